package account_test

import (
	"bytes"
	"context"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/tenant"
)

const (
	victim   = "sachbearbeitung"
	password = "Gartenzaun-Blau-7"
)

// loginEnv is a store with one caseworker and a Logins on it.
type loginEnv struct {
	db     *store.DB
	user   *account.User
	keys   account.Keys
	checks *countingCheck
	logs   *bytes.Buffer
	now    time.Time
}

// countingCheck is a password check that counts the checks, the checks
// running at once, and their peak.
type countingCheck struct {
	total, running, peak atomic.Int64
	hashes               sync.Map      // hash → number of checks against it
	delay                time.Duration // before the check, to widen the window of parallel checks
}

func (c *countingCheck) check(hash, pw string) (bool, error) {
	c.total.Add(1)
	n := c.running.Add(1)
	defer c.running.Add(-1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	v, _ := c.hashes.LoadOrStore(hash, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	time.Sleep(c.delay)
	return account.CheckPassword(hash, pw)
}

// eachDialect runs fn on SQLite, and on PostgreSQL when
// ANTRAG_TEST_POSTGRES names a server.
func eachDialect(t *testing.T, fn func(t *testing.T, env *loginEnv)) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			db := storetest.Open(t, d.NewDSN(t))
			ctx := context.Background()
			tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
			if err := db.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			hash, err := account.HashPassword(password)
			if err != nil {
				t.Fatal(err)
			}
			u := &account.User{TenantID: tn.ID, Username: victim, Name: "S. Bearbeitung", PasswordHash: hash}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			keys, err := account.DeriveKeys(bytes.Repeat([]byte{9}, 32))
			if err != nil {
				t.Fatal(err)
			}
			fn(t, &loginEnv{db: db, user: u, keys: keys, checks: &countingCheck{}, logs: &bytes.Buffer{},
				now: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)})
		})
	}
}

func (e *loginEnv) logins(cfg account.LoginsConfig) *account.Logins {
	if cfg.Check == nil {
		cfg.Check = e.checks.check
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	}
	return account.NewLogins(e.db, e.keys, cfg)
}

// outcome names a login's result: "ok", "failed", "throttled", "busy".
func outcome(t testing.TB, s *account.Success, err error) string {
	t.Helper()
	var r *account.Refused
	switch {
	case err == nil && s != nil && s.User != nil:
		return "ok"
	case errors.Is(err, account.ErrLoginFailed):
		return "failed"
	case errors.As(err, &r) && r.Busy:
		return "busy"
	case errors.As(err, &r):
		return "throttled"
	}
	t.Fatalf("login: %v", err)
	return ""
}

func (e *loginEnv) try(t testing.TB, l *account.Logins, a account.Attempt) string {
	t.Helper()
	s, err := l.Login(context.Background(), a, e.now)
	return outcome(t, s, err)
}

// TestLoginNameClientLimit: after 5 wrong passwords for a name from a
// client even the right one is refused there, for 3 minutes, but not
// from another client; a success refills the client's bucket.
func TestLoginNameClientLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{})
		for i := range 5 {
			if got := e.try(t, l, account.Attempt{Username: "Sachbearbeitung", Password: "falsch", Client: "203.0.113.9"}); got != "failed" {
				t.Fatalf("attempt %d: %s", i+1, got)
			}
		}
		s, err := l.Login(context.Background(), account.Attempt{Username: victim, Password: password, Client: "203.0.113.9"}, e.now)
		var r *account.Refused
		if !errors.As(err, &r) || r.Busy || r.RetryAfter != 3*time.Minute {
			t.Fatalf("right password after 5 failures: %v %v, want refused for 3 minutes", s, err)
		}
		if got := e.checks.total.Load(); got != 5 {
			t.Errorf("%d passwords checked, want 5 (the refused one is not checked)", got)
		}
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "198.51.100.7"}); got != "ok" {
			t.Errorf("from another client: %s", got)
		}
		e.now = e.now.Add(3 * time.Minute)
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "203.0.113.9"}); got != "ok" {
			t.Errorf("after 3 minutes: %s", got)
		}
		for range 4 {
			e.try(t, l, account.Attempt{Username: victim, Password: "falsch", Client: "203.0.113.9"})
		}
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "203.0.113.9"}); got != "ok" {
			t.Errorf("after a success and 4 failures: %s", got)
		}
	})
}

// TestLoginParallelWrongPasswords: 40 parallel wrong passwords for one
// user from one client are checked at most 5 times (the limit), not 40:
// the attempt is reserved before the check.
func TestLoginParallelWrongPasswords(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		e.checks.delay = 20 * time.Millisecond
		l := e.logins(account.LoginsConfig{MaxHashing: 64, HashWait: 10 * time.Second})
		const n = 40
		var wg sync.WaitGroup
		outcomes := make([]string, n)
		for i := range n {
			wg.Go(func() {
				s, err := l.Login(context.Background(), account.Attempt{Username: victim, Password: fmt.Sprintf("rate-%d", i), Client: "203.0.113.9"}, e.now)
				outcomes[i] = outcome(t, s, err)
			})
		}
		wg.Wait()
		count := map[string]int{}
		for _, o := range outcomes {
			count[o]++
		}
		if got := e.checks.total.Load(); got != 5 {
			t.Errorf("%d parallel wrong passwords: %d checked, want 5", n, got)
		}
		if count["failed"] != 5 || count["throttled"] != n-5 {
			t.Errorf("outcomes %v, want 5 failed and %d throttled", count, n-5)
		}
	})
}

// TestLoginHashingBounded: 300 parallel logins with random names (from
// as many addresses, so that no per-client limit helps) run at most
// MaxHashing real argon2id checks at once; the others are refused as
// busy at once, and memory stays bounded (unbounded, 300 checks of 19 MiB
// each took 5.7 GB).
func TestLoginHashingBounded(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		const maxHashing = 2
		l := e.logins(account.LoginsConfig{MaxHashing: maxHashing})
		stop := make(chan struct{})
		peakHeap := make(chan uint64)
		go func() { peakHeap <- samplePeakHeap(stop) }()

		const n = 300
		var wg sync.WaitGroup
		outcomes := make([]string, n)
		took := make([]time.Duration, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				s, err := l.Login(context.Background(), account.Attempt{Username: fmt.Sprintf("zufall-%d-%d", i, time.Now().UnixNano()),
					Password: "irgendwas", Client: fmt.Sprintf("10.%d.%d.1", i/250, i%250)}, e.now)
				took[i] = time.Since(t0)
				outcomes[i] = outcome(t, s, err)
			})
		}
		begin := time.Now()
		close(start)
		wg.Wait()
		all := time.Since(begin)
		close(stop)
		peak := <-peakHeap

		count := map[string]int{}
		var slowestBusy time.Duration
		for i, o := range outcomes {
			count[o]++
			if o == "busy" {
				slowestBusy = max(slowestBusy, took[i])
			}
		}
		t.Logf("%d logins in %s: %v; %d checks, at most %d at once; slowest busy answer %s; peak heap %d MiB",
			n, all, count, e.checks.total.Load(), e.checks.peak.Load(), slowestBusy, peak>>20)
		if p := e.checks.peak.Load(); p > maxHashing {
			t.Errorf("%d password checks ran at once, want at most %d", p, maxHashing)
		}
		if count["failed"] != int(e.checks.total.Load()) || count["busy"] == 0 || count["failed"]+count["busy"] != n {
			t.Errorf("outcomes %v with %d checks: want every login checked (failed) or refused as busy", count, e.checks.total.Load())
		}
		// A busy answer waits DefaultHashWait (0.25 s) at most, plus the
		// throttle's transactions; 5 s leaves room for a loaded machine.
		if slowestBusy > 5*time.Second {
			t.Errorf("a busy login took %s to be refused", slowestBusy)
		}
		if peak > 400<<20 {
			t.Errorf("peak heap %d MiB during 300 parallel logins, want far below 300 × 19 MiB", peak>>20)
		}
	})
}

// samplePeakHeap returns the peak of the heap's live objects until stop
// is closed.
func samplePeakHeap(stop <-chan struct{}) uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(s)
		peak = max(peak, s[0].Value.Uint64())
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

// TestLoginUnknownNameCosts: a login with an unknown name is checked
// against a hash like a known one, and throttled the same way, so that
// neither time nor refusals tell which names exist.
func TestLoginUnknownNameCosts(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{})
		if got := e.try(t, l, account.Attempt{Username: "niemand", Password: password, Client: "203.0.113.9"}); got != "failed" {
			t.Fatalf("unknown name: %s", got)
		}
		if got := e.checks.total.Load(); got != 1 {
			t.Fatalf("unknown name: %d password checks, want 1", got)
		}
		e.checks.hashes.Range(func(k, _ any) bool {
			h := k.(string)
			if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Errorf("unknown name checked against %q, want an argon2id hash with the parameters of real ones", h)
			}
			if h == e.user.PasswordHash {
				t.Error("unknown name checked against a real user's hash")
			}
			return true
		})
		for range 4 {
			e.try(t, l, account.Attempt{Username: "niemand", Password: "x", Client: "203.0.113.9"})
		}
		if got := e.try(t, l, account.Attempt{Username: "niemand", Password: "x", Client: "203.0.113.9"}); got != "throttled" {
			t.Errorf("6th attempt for an unknown name: %s, want throttled like a known one", got)
		}
	})
}

// TestLoginUnknownNameTiming: a login with an unknown name takes as long
// as one with a known name and a wrong password (the argon2id check
// dominates both).
func TestLoginUnknownNameTiming(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{Limits: account.Limits{
			NameClient: account.Bucket{Burst: 1000, Every: time.Second}, Client: account.Bucket{Burst: 1000, Every: time.Second},
			Name: account.Bucket{Burst: 1000, Every: time.Second}, Device: account.Bucket{Burst: 1000, Every: time.Second}}})
		measure := func(name string) time.Duration {
			var best time.Duration
			for i := range 7 {
				t0 := time.Now()
				e.try(t, l, account.Attempt{Username: name, Password: "falsch", Client: "203.0.113.9"})
				if d := time.Since(t0); i == 0 || d < best {
					best = d
				}
			}
			return best
		}
		known, unknown := measure(victim), measure("niemand")
		t.Logf("fastest of 7: known name %s, unknown name %s", known, unknown)
		if unknown < known/2 || known < unknown/2 {
			t.Errorf("unknown name takes %s, known name %s: timing tells them apart", unknown, known)
		}
	})
}

// TestLoginLockoutResisted: 100 failures for a name from 21 addresses
// exhaust its per-name limit, so that the right password from a new
// client is refused (and the operators are alerted through the metric
// and a warning without the name); the caseworker's browser, known from
// an earlier login, still logs in.
func TestLoginLockoutResisted(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		m := new(expvar.Map)
		l := e.logins(account.LoginsConfig{Metrics: m})
		first, err := l.Login(context.Background(), account.Attempt{Username: victim, Password: password, Client: "192.0.2.10"}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		refused := 0
		for i := range 105 {
			client := fmt.Sprintf("198.51.100.%d", i%21)
			if e.try(t, l, account.Attempt{Username: victim, Password: fmt.Sprintf("rate-%d", i), Client: client}) == "throttled" {
				refused++
			}
		}
		if refused == 0 {
			t.Fatal("105 failures from 21 addresses: none refused")
		}
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "203.0.113.50"}); got != "throttled" {
			t.Errorf("right password from a new client after the attack: %s, want throttled (per-name limit)", got)
		}
		if got := m.Get(account.MetricThrottledName).String(); got == "0" {
			t.Error("the per-name limit refused attempts, but the metric throttled_name is 0")
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "login throttle") {
			t.Errorf("no warning for the operators: %q", logs)
		}
		if strings.Contains(logs, victim) || regexp.MustCompile(`\d+\.\d+\.\d+\.\d+`).MatchString(logs) {
			t.Errorf("the warning names the user or an address: %q", logs)
		}
		if strings.Count(logs, "login throttle") != 1 {
			t.Errorf("%d warnings, want 1 a minute", strings.Count(logs, "login throttle"))
		}

		// The caseworker's browser: from the same or any other address.
		for _, client := range []string{"192.0.2.10", "198.51.100.3"} {
			s, err := l.Login(context.Background(), account.Attempt{Username: victim, Password: password, Client: client, Device: first.Device}, e.now)
			if got := outcome(t, s, err); got != "ok" {
				t.Errorf("known device from %s: %s, want ok", client, got)
			}
		}
		// A known device of another name, a changed or an expired cookie
		// does not pass.
		tampered := []byte(first.Device)
		tampered[10] ^= 1
		for what, dev := range map[string]string{"changed": string(tampered), "garbage": "abc", "empty": ""} {
			if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "203.0.113.50", Device: dev}); got != "throttled" {
				t.Errorf("%s device cookie: %s, want throttled", what, got)
			}
		}
		start, late := e.now, e.now.Add(account.KnownDeviceLifetime+time.Second)
		e.now = late
		for i := range 200 { // exhaust the name limit again, after the refill
			e.try(t, l, account.Attempt{Username: victim, Password: "x", Client: fmt.Sprintf("198.51.101.%d", i%40)})
		}
		s, err := l.Login(context.Background(), account.Attempt{Username: victim, Password: password, Client: "192.0.2.10", Device: first.Device}, late)
		if got := outcome(t, s, err); got == "ok" {
			t.Errorf("expired device cookie: %s", got)
		}
		e.now = start
		// The known device has a limit of its own.
		other := account.Attempt{Username: victim, Password: "falsch", Client: "192.0.2.10", Device: first.Device}
		for range 5 {
			e.try(t, l, other)
		}
		if got := e.try(t, l, other); got != "throttled" {
			t.Errorf("6th wrong password from a known device: %s, want throttled", got)
		}
	})
}

// TestLoginClientLimit: one client trying many names is stopped by its
// per-client bucket.
func TestLoginClientLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{})
		burst := account.DefaultLimits.Client.Burst
		for i := range burst {
			if got := e.try(t, l, account.Attempt{Username: fmt.Sprintf("name-%d", i), Password: "x", Client: "203.0.113.9"}); got != "failed" {
				t.Fatalf("name %d: %s", i, got)
			}
		}
		if got := e.try(t, l, account.Attempt{Username: "noch-einer", Password: "x", Client: "203.0.113.9"}); got != "throttled" {
			t.Errorf("name %d from one client: %s, want throttled", burst+1, got)
		}
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "198.51.100.1"}); got != "ok" {
			t.Errorf("another client: %s", got)
		}
	})
}

// TestLoginDisabled: a disabled account cannot log in, with the right
// password, and it answers like a wrong one.
func TestLoginDisabled(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{})
		if err := e.db.SetDisabled(context.Background(), e.user.TenantID, e.user.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "203.0.113.9"}); got != "failed" {
			t.Errorf("disabled account: %s, want failed", got)
		}
		if err := e.db.SetDisabled(context.Background(), e.user.TenantID, e.user.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := e.try(t, l, account.Attempt{Username: victim, Password: password, Client: "203.0.113.9"}); got != "ok" {
			t.Errorf("enabled again: %s", got)
		}
	})
}

// TestThrottleHoldsNoPlainText: the throttle's table holds keyed hashes,
// not the typed names (often a password) or the addresses.
func TestThrottleHoldsNoPlainText(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{})
		typed := []string{victim, "Mein-Geheimes-Passwort-1", "niemand"}
		for _, name := range typed {
			e.try(t, l, account.Attempt{Username: name, Password: "falsch", Client: "203.0.113.77"})
		}
		rows, err := e.db.SQL().Query(`SELECT key FROM login_throttle`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		hexKey := regexp.MustCompile(`^[0-9a-f]{64}$`)
		n := 0
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			n++
			if !hexKey.MatchString(k) {
				t.Errorf("key %q is not a hex HMAC-SHA256", k)
			}
			for _, plain := range append(typed, "203.0.113.77", "mein-geheimes-passwort-1") {
				if strings.Contains(k, plain) {
					t.Errorf("key %q holds %q", k, plain)
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// Per name-and-client and per name, for 3 names; one per client.
		if n != 7 {
			t.Errorf("%d buckets, want 7", n)
		}
	})
}

// TestDeriveKeys: the keys depend on the data key, and another data key
// makes another installation's device cookies worthless.
func TestDeriveKeys(t *testing.T) {
	if _, err := account.DeriveKeys(make([]byte, 16)); err == nil {
		t.Error("a 16-byte data key derived keys")
	}
	eachDialect(t, func(t *testing.T, e *loginEnv) {
		l := e.logins(account.LoginsConfig{})
		s, err := l.Login(context.Background(), account.Attempt{Username: victim, Password: password, Client: "192.0.2.1"}, e.now)
		if err != nil {
			t.Fatal(err)
		}
		otherKeys, _ := account.DeriveKeys(bytes.Repeat([]byte{8}, 32))
		other := account.NewLogins(e.db, otherKeys, account.LoginsConfig{Limits: account.Limits{
			NameClient: account.Bucket{Burst: 1, Every: time.Hour}, Client: account.Bucket{Burst: 10, Every: time.Hour},
			Name: account.Bucket{Burst: 1, Every: time.Hour}, Device: account.Bucket{Burst: 5, Every: time.Hour}}})
		e.try(t, other, account.Attempt{Username: victim, Password: "x", Client: "192.0.2.1"})
		if got := e.try(t, other, account.Attempt{Username: victim, Password: password, Client: "192.0.2.1", Device: s.Device}); got != "throttled" {
			t.Errorf("a device cookie of another data key: %s, want throttled (not known)", got)
		}
	})
}
