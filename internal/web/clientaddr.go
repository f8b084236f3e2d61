package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/account"
)

// loginThrottle slows down password guessing at the caseworker login with
// two token buckets per attempt:
//   - per user name and client address: 5 failed attempts, then one more
//     every 3 minutes. An attacker elsewhere cannot lock a caseworker out;
//   - per user name from all addresses: 100 failed attempts, then one more
//     a minute, against guessing spread over many addresses.
//
// Behind a reverse proxy every request comes from the proxy's address;
// Config.TrustedProxies lets X-Forwarded-For name the client. The buckets
// live in the store (account.Store's Throttle methods), so that all
// processes sharing a database count the same attempts and a restart
// forgets nothing.
type loginThrottle struct {
	store account.Store
}

const (
	loginBurst        = 5
	loginInterval     = 3 * time.Minute
	loginNameBurst    = 100
	loginNameRefill   = time.Minute
	loginBucketClient = "c|"
	loginBucketName   = "n|"
)

var (
	clientBucket = account.Bucket{Burst: loginBurst, Every: loginInterval}
	nameBucket   = account.Bucket{Burst: loginNameBurst, Every: loginNameRefill}
)

func throttleName(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

func (t *loginThrottle) keys(username, client string) (clientKey, nameKey string) {
	n := throttleName(username)
	return loginBucketClient + n + "|" + client, loginBucketName + n
}

// blocked reports whether the name has no attempts left at now, from the
// client or at all.
func (t *loginThrottle) blocked(ctx context.Context, username, client string, now time.Time) (bool, error) {
	ck, nk := t.keys(username, client)
	for _, k := range []struct {
		key string
		b   account.Bucket
	}{{ck, clientBucket}, {nk, nameBucket}} {
		tokens, err := t.store.ThrottleTokens(ctx, k.key, k.b, now)
		if err != nil {
			return false, err
		}
		if tokens < 1 {
			return true, nil
		}
	}
	return false, nil
}

// failed counts a failed attempt.
func (t *loginThrottle) failed(ctx context.Context, username, client string, now time.Time) error {
	ck, nk := t.keys(username, client)
	if err := t.store.ThrottleSpend(ctx, ck, clientBucket, now); err != nil {
		return err
	}
	return t.store.ThrottleSpend(ctx, nk, nameBucket, now)
}

// succeeded forgets the failed attempts of the name from the client.
func (t *loginThrottle) succeeded(ctx context.Context, username, client string) error {
	ck, _ := t.keys(username, client)
	return t.store.ThrottleReset(ctx, ck)
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
