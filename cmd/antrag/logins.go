package main

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/antrag/antrag/internal/account"
)

// newLogins returns the caseworker login checker: its keys derived from
// the data key, so that every process sharing the database counts the
// same throttle buckets and accepts the same known-device cookies.
func (a *app) newLogins(c *serveConfig) (*account.Logins, error) {
	key, err := loadDataKey(c)
	if err != nil {
		return nil, err
	}
	keys, err := account.DeriveKeys(key)
	if err != nil {
		return nil, err
	}
	a.loginMetrics = new(expvar.Map)
	return account.NewLogins(a.db, keys, account.LoginsConfig{MaxHashing: c.loginHashes, Metrics: a.loginMetrics, Logger: a.logger}), nil
}

// serveMetrics serves GET /metrics on addr: the login's counters in the
// Prometheus text format (antrag_login_<name>, see account.MetricNames),
// and nothing else of the process. It returns the address it listens on
// and a func that stops it.
func (a *app) serveMetrics(addr string) (at string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		for _, name := range account.MetricNames {
			kind := "counter"
			if name == account.MetricHashing {
				kind = "gauge"
			}
			v := a.loginMetrics.Get(name)
			if v == nil {
				continue
			}
			fmt.Fprintf(w, "# TYPE antrag_login_%s %s\nantrag_login_%s %s\n", name, kind, name, v.String())
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
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

// intEnv returns the whole number in the environment variable k, 0 if it
// is unset.
func intEnv(getenv func(string) string, k string) (int, error) {
	v := getenv(k)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("%s=%q: eine ganze Zahl", k, v)}
	}
	return n, nil
}
