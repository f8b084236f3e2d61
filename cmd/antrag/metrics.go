package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/antrag/antrag/internal/metrics"
	"github.com/antrag/antrag/internal/store"
)

// backlogTimeout bounds the queries of the backlog at each scrape.
const backlogTimeout = 2 * time.Second

// newMetrics returns the installation's metrics with the database pool
// and the backlog of db.
func newMetrics(db *store.DB, logger *slog.Logger) *metrics.Metrics {
	m := metrics.New()
	m.WatchDB(db.SQL())
	m.WatchBacklog(func(ctx context.Context) (metrics.Backlog, error) {
		b, err := db.Backlog(ctx)
		return metrics.Backlog(b), err
	}, backlogTimeout, logger)
	return m
}

// metricsHandler is the internal listener's mux: GET /metrics (the
// Prometheus exposition format) and the runtime profiles of net/http/pprof
// under /debug/pprof/, except /debug/pprof/cmdline, which would show the
// command line (a password in --db). None of it is on the public server.
func metricsHandler(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // the index and the named profiles (heap, goroutine, …)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.Handle("GET /debug/pprof/cmdline", http.NotFoundHandler())
	return mux
}

// serveMetrics serves metricsHandler on addr, a listener of its own
// apart from the public server's. It returns the address it listens on
// and a func that stops it.
func (a *app) serveMetrics(addr string) (at string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	// No WriteTimeout: a CPU profile or trace takes the seconds asked for.
	srv := &http.Server{Handler: metricsHandler(a.metrics), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("metrics server", "error", err.Error())
		}
	}()
	a.logger.Info("metrics served", "address", ln.Addr().String())
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
