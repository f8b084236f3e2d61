package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/tenant"
)

// tcpProxy forwards connections to target until cut.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

// cut refuses new connections and breaks the open ones: the database is
// gone.
func (p *tcpProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestPostgresOutageIsUnavailable: when the server cannot be reached, the
// store's errors are apperr.Unavailable (which the web layer answers with
// 503), for connections that break and for new ones that are refused.
func TestPostgresOutageIsUnavailable(t *testing.T) {
	dsn := storetest.NewPostgresDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	db := storetest.Open(t, u.String())
	ctx := context.Background()
	if _, err := db.TenantBySlug(ctx, "keiner"); !errors.Is(err, apperr.NotFound) {
		t.Fatalf("before the outage: %v", err)
	}
	proxy.cut()
	for i := range 3 { // broken pooled connections, then refused new ones
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := db.TenantBySlug(qctx, "keiner")
		cancel()
		if !errors.Is(err, apperr.Unavailable) {
			t.Errorf("query %d during the outage: %v, want apperr.Unavailable", i+1, err)
		}
	}
}

// TestSQLiteLockedIsUnavailable: a write that waits longer than
// BusyTimeout for another connection's lock is apperr.Unavailable.
func TestSQLiteLockedIsUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the busy timeout")
	}
	dsn := storetest.Dialects()[0].NewDSN(t)
	db := storetest.Open(t, dsn)
	other, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)
	err = db.CreateTenant(ctx, &tenant.Tenant{Slug: "gesperrt", Name: "Gesperrt", Kind: tenant.Gemeinde})
	if !errors.Is(err, apperr.Unavailable) {
		t.Errorf("write while another connection holds the lock for more than %v: %v, want apperr.Unavailable", store.BusyTimeout, err)
	}
}
