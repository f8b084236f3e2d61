package web

import (
	"net/http"
	"net/netip"
	"testing"
)

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
