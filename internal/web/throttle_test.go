package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
)

// throttleOn returns a throttle on a fresh SQLite store.
func throttleOn(t *testing.T) *loginThrottle {
	t.Helper()
	box, err := sealed.New(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "a.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &loginThrottle{store: db}
}

func mustBlocked(t *testing.T, th *loginThrottle, name, client string, now time.Time) bool {
	t.Helper()
	b, err := th.blocked(context.Background(), name, client, now)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLoginThrottle: a name is blocked from a client after loginBurst
// failures, not from elsewhere, and free again after loginInterval; a
// success forgets the client's failures.
func TestLoginThrottle(t *testing.T) {
	th := throttleOn(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for range loginBurst {
		if err := th.failed(ctx, "Opfer", "203.0.113.9", now); err != nil {
			t.Fatal(err)
		}
	}
	if !mustBlocked(t, th, "opfer ", "203.0.113.9", now) {
		t.Errorf("a name with %d failures is not blocked", loginBurst)
	}
	if mustBlocked(t, th, "opfer", "198.51.100.7", now) {
		t.Errorf("blocked from another address")
	}
	if mustBlocked(t, th, "opfer", "203.0.113.9", now.Add(loginInterval)) {
		t.Errorf("still blocked after %s", loginInterval)
	}
	if err := th.succeeded(ctx, "opfer", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	if mustBlocked(t, th, "opfer", "203.0.113.9", now) {
		t.Errorf("blocked after a successful login")
	}
}

// TestLoginThrottleAcrossAddresses: guessing spread over many addresses
// is stopped by the per-name bucket.
func TestLoginThrottleAcrossAddresses(t *testing.T) {
	th := throttleOn(t)
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := range loginNameBurst {
		if err := th.failed(context.Background(), "opfer", fmt.Sprintf("10.0.%d.%d", i/250, i%250), now); err != nil {
			t.Fatal(err)
		}
	}
	if !mustBlocked(t, th, "opfer", "198.51.100.7", now) {
		t.Errorf("%d failures from %d addresses do not block the name", loginNameBurst, loginNameBurst)
	}
	if mustBlocked(t, th, "opfer", "198.51.100.7", now.Add(loginNameRefill)) {
		t.Errorf("still blocked after %s", loginNameRefill)
	}
}

// TestLoginThrottleShared: two servers on one database (two processes)
// count the same failures.
func TestLoginThrottleShared(t *testing.T) {
	a := throttleOn(t)
	b := &loginThrottle{store: a.store}
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := range loginBurst {
		th := a
		if i%2 == 1 {
			th = b
		}
		if err := th.failed(context.Background(), "opfer", "203.0.113.9", now); err != nil {
			t.Fatal(err)
		}
	}
	if !mustBlocked(t, a, "opfer", "203.0.113.9", now) || !mustBlocked(t, b, "opfer", "203.0.113.9", now) {
		t.Error("failures spread over two servers do not block")
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"203.0.113.9:4711", "", trusted, "203.0.113.9"},
		{"203.0.113.9:4711", "1.2.3.4", trusted, "203.0.113.9"}, // untrusted peer: the header is ignored
		{"127.0.0.1:4711", "198.51.100.7", trusted, "198.51.100.7"},
		{"127.0.0.1:4711", "6.6.6.6, 198.51.100.7, 10.1.2.3", trusted, "198.51.100.7"}, // client spoofs the first hop
		{"127.0.0.1:4711", "", trusted, "127.0.0.1"},
		{"127.0.0.1:4711", "kaputt", trusted, "127.0.0.1"},
		{"127.0.0.1:4711", "198.51.100.7", nil, "127.0.0.1"},
		{"[::1]:4711", "198.51.100.7", []netip.Prefix{netip.MustParsePrefix("::1/128")}, "198.51.100.7"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r, tc.trusted); got != tc.want {
			t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}
