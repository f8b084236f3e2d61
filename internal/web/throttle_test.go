package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// TestLoginThrottleIsBounded: a flood of failed logins with distinct names
// does not grow the throttle's memory beyond loginMaxBuckets.
func TestLoginThrottleIsBounded(t *testing.T) {
	var th loginThrottle
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := range loginMaxBuckets/2 + 500 {
		th.failed(fmt.Sprintf("name-%d", i), "203.0.113.9", now)
	}
	if n := len(th.m); n > loginMaxBuckets {
		t.Fatalf("%d buckets kept, at most %d allowed", n, loginMaxBuckets)
	}
	// Counting still works for a name under attack.
	for range loginBurst {
		th.failed("Opfer", "203.0.113.9", now)
	}
	if !th.blocked("opfer ", "203.0.113.9", now) {
		t.Errorf("a name with %d failures is not blocked", loginBurst)
	}
	if th.blocked("opfer", "198.51.100.7", now) {
		t.Errorf("blocked from another address")
	}
	if th.blocked("opfer", "203.0.113.9", now.Add(loginInterval)) {
		t.Errorf("still blocked after %s", loginInterval)
	}
}

// TestLoginThrottleAcrossAddresses: guessing spread over many addresses
// is stopped by the per-name bucket.
func TestLoginThrottleAcrossAddresses(t *testing.T) {
	var th loginThrottle
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := range loginNameBurst {
		th.failed("opfer", fmt.Sprintf("10.0.%d.%d", i/250, i%250), now)
	}
	if !th.blocked("opfer", "198.51.100.7", now) {
		t.Errorf("%d failures from %d addresses do not block the name", loginNameBurst, loginNameBurst)
	}
	if th.blocked("opfer", "198.51.100.7", now.Add(loginNameRefill)) {
		t.Errorf("still blocked after %s", loginNameRefill)
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
