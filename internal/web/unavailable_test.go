package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web"
	"github.com/antrag/antrag/internal/web/apicontract"
)

// outageStore is the harness's store whose tenant look-ups fail, while
// down is set, as the store reports an unreachable database.
type outageStore struct {
	web.Store
	down atomic.Bool
}

func (s *outageStore) TenantBySlug(ctx context.Context, slug string) (*tenant.Tenant, error) {
	if s.down.Load() {
		return nil, fmt.Errorf("postgres: TenantBySlug: %w: dial tcp 127.0.0.1:5432: connect: connection refused", apperr.Unavailable)
	}
	return s.Store.TenantBySlug(ctx, slug)
}

// TestDatabaseOutageIs503: while the database cannot be reached, pages
// and the JSON API answer 503 with Retry-After and a German text, not 500.
func TestDatabaseOutageIs503(t *testing.T) {
	h := newHarness(t)
	st := &outageStore{Store: h.db}
	srv, err := web.New(h.cfg, web.Deps{Store: st, Blobs: h.blobs, Sessions: scs.New(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	contract := &apicontract.Transport{Next: http.DefaultTransport, Fail: func(err error) { t.Errorf("API contract: %v", err) }}
	client := &http.Client{Transport: contract}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	const page, api = "/musterstadt/", "/api/v1/forms/musterstadt.gewerbeanmeldung/schema"
	for _, path := range []string{page, api} {
		if resp, _ := get(path); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s before the outage: %d", path, resp.StatusCode)
		}
	}
	st.down.Store(true)
	resp, body := get(page)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "Vorübergehend nicht verfügbar") || !strings.Contains(body, "nicht verloren") {
		t.Errorf("page during the outage: %d, Retry-After %q:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = get(api)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":503`) ||
		!strings.Contains(body, "vorübergehend nicht erreichbar") {
		t.Errorf("API during the outage: %d, Retry-After %q, %s:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body)
	}
	st.down.Store(false)
	if resp, _ := get(page); resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s after the outage: %d", page, resp.StatusCode)
	}
}

// downSessions is a session store whose database is gone.
type downSessions struct{}

func (downSessions) Find(string) ([]byte, bool, error) {
	return nil, false, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
}
func (downSessions) Commit(string, []byte, time.Time) error { return errors.New("unused") }
func (downSessions) Delete(string) error                    { return errors.New("unused") }

// TestSessionStoreOutageIs503: a staff page whose session cannot be read
// because the database is gone answers 503 with Retry-After and the error
// page, not 500 with the driver's message.
func TestSessionStoreOutageIs503(t *testing.T) {
	h := newHarness(t)
	sm := scs.New()
	sm.Store = downSessions{}
	srv, err := web.New(h.cfg, web.Deps{Store: h.db, Blobs: h.blobs, Sessions: sm, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	req, _ := http.NewRequest("GET", ts.URL+"/intern/", nil)
	req.AddCookie(&http.Cookie{Name: sm.Cookie.Name, Value: "abc"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), "Vorübergehend nicht verfügbar") || strings.Contains(string(body), "connection refused") {
		t.Errorf("staff page without its session store: %d, Retry-After %q:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}
