package delivery

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Limits keep one tenant's trouble with that tenant: a process makes at
// most PerTenant attempts of one tenant and PerTarget attempts to one
// place (TargetKey) at once, and a place whose attempts fail is left alone
// for a while (target back-off) instead of every one of its deliveries
// holding a worker until its own attempt fails. A delivery that may not
// be attempted now is put back for a moment (see Runner.Deliver) without
// an attempt being counted.
//
// The limits hold per process; several processes on one database each
// apply them.
type Limits struct {
	// PerTenant bounds the attempts of one tenant at a time (0: no
	// limit).
	PerTenant int
	// PerTarget bounds the attempts to one place at a time (0: no
	// limit). While a place is failing, only one attempt at a time probes
	// it.
	PerTarget int
}

// DefaultLimits are the limits for a process with the given number of
// delivery workers: half of them per tenant and per place, at least one,
// so that one tenant (or one of its receivers) never holds them all.
func DefaultLimits(workers int) Limits {
	n := max(1, workers/2)
	return Limits{PerTenant: n, PerTarget: n}
}

// Back-off of a failing place.
const (
	// busyWait is about how long a delivery waits when its tenant or
	// place is at its limit (a random share of it is added, so that the
	// waiting ones do not all come back at once).
	busyWait = time.Second
	// maxTargetBackoff caps the back-off of a failing place, so that a
	// place that recovers is tried again within minutes, whatever the
	// deliveries' own retry delays.
	maxTargetBackoff = 5 * time.Minute
)

// TargetKey names the place a target's attempts go to, for PerTarget: the
// scheme and host (with port) of a webhook, the FIT-Connect destination,
// or the domain of an e-mail address.
func TargetKey(t *Target) string {
	switch t.Kind {
	case Webhook:
		if u, err := url.Parse(t.URL); err == nil {
			return "webhook " + strings.ToLower(u.Scheme+"://"+u.Host)
		}
		return "webhook " + t.URL
	case Email:
		_, domain, _ := strings.Cut(strings.ToLower(t.Address), "@")
		return "email " + domain
	}
	return t.Key()
}

// fairness is the per-process state behind Limits.
type fairness struct {
	mu      sync.Mutex
	tenants map[string]int // attempts in flight by tenant id
	targets map[string]*targetState
}

type targetState struct {
	inflight int
	failures int       // consecutive failed attempts
	until    time.Time // no attempt before (back-off)
}

// acquire reserves an attempt for tenantID to target at now. It returns
// ok, or else how long the delivery is to wait.
func (f *fairness) acquire(l Limits, tenantID, target string, now time.Time) (ok bool, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tenants == nil {
		f.tenants, f.targets = map[string]int{}, map[string]*targetState{}
	}
	ts := f.targets[target]
	if ts == nil {
		ts = &targetState{}
		f.targets[target] = ts
	}
	if now.Before(ts.until) {
		return false, ts.until.Sub(now) + jitter(busyWait)
	}
	perTarget := l.PerTarget
	if ts.failures > 0 {
		perTarget = 1 // probing a failing place
	}
	if (perTarget > 0 && ts.inflight >= perTarget) || (l.PerTenant > 0 && f.tenants[tenantID] >= l.PerTenant) {
		return false, busyWait + jitter(busyWait)
	}
	ts.inflight++
	f.tenants[tenantID]++
	return true, 0
}

// attemptResult is what an attempt says about its place.
type attemptResult int

const (
	placeOK      attemptResult = iota // delivered, or refused for the parcel's own sake
	placeFailed                       // a failure a retry may fix: the place backs off
	placeUnknown                      // interrupted (shutdown): says nothing
)

// release ends an attempt that acquire allowed. After placeFailed the
// place waits backoff(consecutive failures), at most maxTargetBackoff: the
// worker passes half the delivery policy's un-jittered delay, and no more
// than the failed delivery waits itself, so that a delivery retrying on
// its own schedule finds the place open again.
func (f *fairness) release(tenantID, target string, now time.Time, res attemptResult, backoff func(failures int) time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tenants[tenantID]--; f.tenants[tenantID] <= 0 {
		delete(f.tenants, tenantID)
	}
	ts := f.targets[target]
	ts.inflight--
	switch res {
	case placeFailed:
		ts.failures++
		until := now.Add(min(backoff(ts.failures), maxTargetBackoff))
		if until.After(ts.until) {
			ts.until = until
		}
	case placeOK:
		ts.failures, ts.until = 0, time.Time{}
	}
	if ts.inflight == 0 && ts.failures == 0 {
		delete(f.targets, target)
	}
}

// jitter returns a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
