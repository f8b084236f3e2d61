package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginThrottle slows down password guessing at the caseworker login with
// two token buckets per attempt:
//   - per user name and client address: 5 failed attempts, then one more
//     every 3 minutes. An attacker elsewhere cannot lock a caseworker out;
//   - per user name from all addresses: 100 failed attempts, then one more
//     a minute, against guessing spread over many addresses.
//
// Behind a reverse proxy every request comes from the proxy's address;
// Config.TrustedProxies lets X-Forwarded-For name the client. The counts
// live in memory: a restart forgets them.
type loginThrottle struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

const (
	loginBurst        = 5
	loginInterval     = 3 * time.Minute
	loginNameBurst    = 100
	loginNameRefill   = time.Minute
	loginMaxBuckets   = 20_000 // buckets kept at most; full ones are dropped first
	loginBucketClient = "c|"
	loginBucketName   = "n|"
)

func throttleName(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

func (t *loginThrottle) keys(username, client string) (clientKey, nameKey string) {
	n := throttleName(username)
	return loginBucketClient + n + "|" + client, loginBucketName + n
}

// blocked reports whether the name has no attempts left at now, from the
// client or at all.
func (t *loginThrottle) blocked(username, client string, now time.Time) bool {
	ck, nk := t.keys(username, client)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range []string{ck, nk} {
		if l := t.m[k]; l != nil && l.TokensAt(now) < 1 {
			return true
		}
	}
	return false
}

// failed counts a failed attempt.
func (t *loginThrottle) failed(username, client string, now time.Time) {
	ck, nk := t.keys(username, client)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.bucket(ck, rate.Every(loginInterval), loginBurst, now).AllowN(now, 1)
	t.bucket(nk, rate.Every(loginNameRefill), loginNameBurst, now).AllowN(now, 1)
}

// succeeded forgets the failed attempts of the name from the client.
func (t *loginThrottle) succeeded(username, client string) {
	ck, _ := t.keys(username, client)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, ck)
}

// bucket returns the bucket of key, creating it; the caller holds t.mu.
func (t *loginThrottle) bucket(key string, every rate.Limit, burst int, now time.Time) *rate.Limiter {
	if l := t.m[key]; l != nil {
		return l
	}
	if t.m == nil {
		t.m = map[string]*rate.Limiter{}
	}
	if len(t.m) >= loginMaxBuckets {
		for k, o := range t.m {
			if o.TokensAt(now) >= float64(o.Burst()) {
				delete(t.m, k)
			}
		}
		// Still full (a flood of names): forget arbitrary ones. Each
		// costs a failed password check, so this takes a long time.
		for k := range t.m {
			if len(t.m) < loginMaxBuckets {
				break
			}
			delete(t.m, k)
		}
	}
	l := rate.NewLimiter(every, burst)
	t.m[key] = l
	return l
}

// clientAddr returns the address of the client that sent r: the peer's,
// or, if the peer is a trusted proxy, the last address in
// X-Forwarded-For that is not a trusted proxy.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
