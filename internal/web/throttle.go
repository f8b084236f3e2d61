package web

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginThrottle slows down password guessing at the caseworker login: per
// user name, 5 failed attempts in a row, then one more every 3 minutes. It
// counts by user name, not by address, because behind a reverse proxy all
// requests share one. It lives in memory: a restart forgets the counts.
type loginThrottle struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

const (
	loginBurst    = 5
	loginInterval = 3 * time.Minute
	loginMaxNames = 10_000 // names tracked at most; names with all attempts left are dropped first
)

func throttleKey(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// blocked reports whether the name has no attempts left at now.
func (t *loginThrottle) blocked(username string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[throttleKey(username)]
	return l != nil && l.TokensAt(now) < 1
}

// failed counts a failed attempt.
func (t *loginThrottle) failed(username string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*rate.Limiter{}
	}
	k := throttleKey(username)
	l := t.m[k]
	if l == nil {
		if len(t.m) >= loginMaxNames {
			for name, o := range t.m {
				if o.TokensAt(now) >= loginBurst {
					delete(t.m, name)
				}
			}
			// Still full (a flood of names): forget arbitrary ones. Each
			// costs a failed password check, so this takes a long time.
			for name := range t.m {
				if len(t.m) < loginMaxNames {
					break
				}
				delete(t.m, name)
			}
		}
		l = rate.NewLimiter(rate.Every(loginInterval), loginBurst)
		t.m[k] = l
	}
	l.AllowN(now, 1)
}

// succeeded forgets the name's failed attempts.
func (t *loginThrottle) succeeded(username string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, throttleKey(username))
}
