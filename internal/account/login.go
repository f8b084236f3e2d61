package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

// Logins checks caseworker logins so that they can neither exhaust the
// server nor be used to lock a caseworker out:
//
//   - At most MaxHashing logins are checked at once in the process (each
//     runs argon2id with 19 MiB). A login that finds them all busy waits
//     at most HashWait, then is refused (Refused with Busy) without
//     touching the database.
//   - Every attempt takes a token from its throttle buckets in the store
//     before the password is checked, in one transaction, all or none:
//     parallel attempts cannot all pass a limit they were counted against
//     only afterwards. A success gives the tokens back (and refills the
//     bucket of the name from the client or device); a failure keeps
//     them. An attempt without tokens is refused (Refused) unchecked.
//   - Unknown user names are checked against a dummy hash with the same
//     buckets, so that neither the time nor the throttle tells which
//     names exist.
//   - Buckets (Limits): per user name and client address; per client
//     address (all names together); and per user name from all clients
//     without a known-device cookie, against guessing spread over many
//     addresses. A browser that has logged in to the account before
//     presents a known-device cookie (signed, bound to the name, valid
//     KnownDeviceLifetime) and is throttled only per name and device: an
//     attacker elsewhere cannot lock it out, whatever the per-name count.
//     When the per-name limit refuses attempts, Logins counts them in the
//     metric throttled_name and logs a warning (at most once a minute, no
//     name or address) for the operators.
//
// Bucket keys are HMAC-SHA256 of the name, address or device under a key
// derived from the data key (Keys): the store holds no user names (often
// a password typed into the wrong field) and no addresses.
type Logins struct {
	store     Store
	keys      Keys
	limits    Limits
	sem       chan struct{}
	hashWait  time.Duration
	check     func(hash, password string) (bool, error)
	metrics   LoginCounter
	throttled atomic.Int64 // refusals counted in MetricThrottledName, for the warning
	logger    *slog.Logger
	lastAlert atomic.Int64 // Unix nanoseconds of the last warning
}

// Limits are the throttle's buckets.
type Limits struct {
	NameClient Bucket // one user name from one client address
	Client     Bucket // all user names from one client address
	Name       Bucket // one user name from all clients without a known-device cookie
	Device     Bucket // one user name from one known device
}

// DefaultLimits are the limits of a Logins with none configured.
var DefaultLimits = Limits{
	NameClient: Bucket{Burst: 5, Every: 3 * time.Minute},
	Client:     Bucket{Burst: 30, Every: 30 * time.Second},
	Name:       Bucket{Burst: 100, Every: time.Minute},
	Device:     Bucket{Burst: 5, Every: 3 * time.Minute},
}

// KnownDeviceLifetime is how long a known-device cookie is valid after
// the last successful login with it.
const KnownDeviceLifetime = 180 * 24 * time.Hour

// DefaultHashWait is how long a login waits for a free password check by
// default before it is refused.
const DefaultHashWait = 250 * time.Millisecond

// LoginsConfig configures NewLogins; the zero value is the default.
type LoginsConfig struct {
	// MaxHashing is how many password checks run at once in the process;
	// 0: DefaultMaxHashing.
	MaxHashing int
	// HashWait is how long a login waits for a free check; 0:
	// DefaultHashWait, negative: not at all.
	HashWait time.Duration
	// Limits are the throttle's buckets; zero: DefaultLimits.
	Limits Limits
	// Check checks a password against a hash; nil: CheckPassword. Tests
	// count checks with it.
	Check func(hash, password string) (bool, error)
	// Metrics receives the counters (see MetricNames); nil: none.
	Metrics LoginCounter
	Logger  *slog.Logger // nil: slog.Default()
}

// DefaultMaxHashing is the number of password checks at once by default:
// the number of CPUs, at least 2 and at most 4 (76 MiB of argon2id
// memory).
func DefaultMaxHashing() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }

// The counters in LoginsConfig.Metrics.
const (
	MetricAttempts            = "attempts"              // logins tried
	MetricSucceeded           = "succeeded"             // logins that succeeded
	MetricFailed              = "failed"                // wrong name or password, or a disabled account
	MetricBusy                = "refused_busy"          // refused: all password checks busy
	MetricThrottledNameClient = "throttled_name_client" // refused: one name from one client
	MetricThrottledClient     = "throttled_client"      // refused: one client, all names
	MetricThrottledName       = "throttled_name"        // refused: one name from clients without a known-device cookie (the alert)
	MetricThrottledDevice     = "throttled_device"      // refused: one name from one known device
	MetricHashing             = "hashing"               // password checks running now
)

// LoginCounter receives the login's counters: Add adds delta to the
// counter name, one of MetricNames (MetricHashing goes up and down; the
// others only up). *expvar.Map is one; it must be safe for concurrent
// use.
type LoginCounter interface {
	Add(name string, delta int64)
}

// MetricNames lists the counters.
var MetricNames = []string{MetricAttempts, MetricSucceeded, MetricFailed, MetricBusy, MetricThrottledNameClient,
	MetricThrottledClient, MetricThrottledName, MetricThrottledDevice, MetricHashing}

// NewLogins returns the login checker on st with the keys (DeriveKeys).
func NewLogins(st Store, keys Keys, cfg LoginsConfig) *Logins {
	if !keys.valid() {
		panic("account.NewLogins: keys not derived with DeriveKeys")
	}
	l := &Logins{store: st, keys: keys, limits: cfg.Limits, hashWait: cfg.HashWait, check: cfg.Check,
		metrics: cfg.Metrics, logger: cfg.Logger}
	if l.limits == (Limits{}) {
		l.limits = DefaultLimits
	}
	n := cfg.MaxHashing
	if n <= 0 {
		n = DefaultMaxHashing()
	}
	l.sem = make(chan struct{}, n)
	if l.hashWait == 0 {
		l.hashWait = DefaultHashWait
	}
	if l.check == nil {
		l.check = CheckPassword
	}
	if l.metrics == nil {
		l.metrics = noCounter{}
	}
	for _, m := range MetricNames {
		l.metrics.Add(m, 0)
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	return l
}

// Attempt is a login attempt.
type Attempt struct {
	Username string
	Password string
	Client   string // the client's address
	Device   string // the known-device cookie's value; "" if none
}

// Success is a successful login.
type Success struct {
	User *User
	// Device is the known-device cookie's new value, valid until
	// DeviceExpires.
	Device        string
	DeviceExpires time.Time
}

// ErrLoginFailed is a login with a wrong user name or password, or of a
// disabled account (the three are not told apart).
var ErrLoginFailed = errors.New("Benutzername oder Passwort ist falsch")

// Refused is a login that was not checked.
type Refused struct {
	// Busy: all password checks were busy (the server's limit, HTTP
	// 503); else a throttle bucket was empty (the client's, HTTP 429).
	Busy bool
	// RetryAfter is when to try again, in whole seconds, at least 1.
	RetryAfter time.Duration
}

func (e *Refused) Error() string {
	if e.Busy {
		return "Anmeldung ausgelastet"
	}
	return "zu viele fehlgeschlagene Anmeldeversuche"
}

// NormalizeUsername is a user name as the throttle counts it: trimmed, in
// lower case.
func NormalizeUsername(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Login checks an attempt at now. It returns the user and a new
// known-device cookie, or ErrLoginFailed, or *Refused; other errors are
// the store's.
func (l *Logins) Login(ctx context.Context, a Attempt, now time.Time) (*Success, error) {
	l.metrics.Add(MetricAttempts, 1)
	name := NormalizeUsername(a.Username)
	device, known := l.keys.knownDevice(a.Device, name, now)
	var buckets []ThrottleKey
	var kinds []string
	if known {
		buckets = []ThrottleKey{{l.keys.bucketKey("device", name, string(device[:])), l.limits.Device}}
		kinds = []string{MetricThrottledDevice}
	} else {
		buckets = []ThrottleKey{
			{l.keys.bucketKey("name-client", name, a.Client), l.limits.NameClient},
			{l.keys.bucketKey("client", a.Client), l.limits.Client},
			{l.keys.bucketKey("name", name), l.limits.Name},
		}
		kinds = []string{MetricThrottledNameClient, MetricThrottledClient, MetricThrottledName}
	}
	// The slot first: a login refused as busy costs the database
	// nothing.
	if !l.acquire(ctx) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		l.metrics.Add(MetricBusy, 1)
		return nil, &Refused{Busy: true, RetryAfter: time.Second}
	}
	u, ok, err := l.reserveAndCheck(ctx, a, buckets, kinds, now)
	<-l.sem
	if err != nil {
		return nil, err
	}
	if u == nil || u.Disabled || !ok {
		l.metrics.Add(MetricFailed, 1)
		return nil, ErrLoginFailed
	}

	// The name from this client or device starts afresh; the other
	// buckets get their token back, as the attempt was no failure.
	if err := l.store.ThrottleReset(ctx, buckets[0].Key); err != nil {
		return nil, err
	}
	if err := l.store.ThrottleGive(ctx, buckets[1:], now); err != nil {
		return nil, err
	}
	if !known {
		if _, err := rand.Read(device[:]); err != nil {
			return nil, err
		}
	}
	l.metrics.Add(MetricSucceeded, 1)
	exp := now.Add(KnownDeviceLifetime)
	return &Success{User: u, Device: l.keys.deviceToken(name, device, exp), DeviceExpires: exp}, nil
}

// SecondFactor reserves one attempt at a second-factor code for a name
// from a client before the code is checked: it takes a token from the
// same per-(name, client) bucket as a password attempt and returns
// *Refused when none is left. A right code gives the attempts back
// (SecondFactorPassed); a wrong one keeps the token taken.
func (l *Logins) SecondFactor(ctx context.Context, username, client string, now time.Time) error {
	b := []ThrottleKey{{l.keys.bucketKey("name-client", NormalizeUsername(username), client), l.limits.NameClient}}
	blocked, wait, err := l.store.ThrottleTake(ctx, b, now)
	if err != nil {
		return err
	}
	if blocked >= 0 {
		l.metrics.Add(MetricThrottledNameClient, 1)
		return &Refused{RetryAfter: time.Duration(math.Ceil(max(wait, time.Second).Seconds())) * time.Second}
	}
	return nil
}

// SecondFactorPassed starts the name's attempts from the client afresh
// after a right code.
func (l *Logins) SecondFactorPassed(ctx context.Context, username, client string) error {
	return l.store.ThrottleReset(ctx, l.keys.bucketKey("name-client", NormalizeUsername(username), client))
}

// reserveAndCheck takes a token from each bucket (or returns *Refused)
// and checks the password, of the user or, if the name is unknown (u
// nil), against dummyHash.
func (l *Logins) reserveAndCheck(ctx context.Context, a Attempt, buckets []ThrottleKey, kinds []string, now time.Time) (u *User, ok bool, err error) {
	blocked, wait, err := l.store.ThrottleTake(ctx, buckets, now)
	if err != nil {
		return nil, false, err
	}
	if blocked >= 0 {
		l.metrics.Add(kinds[blocked], 1)
		if kinds[blocked] == MetricThrottledName {
			l.throttled.Add(1)
			l.alert(now)
		}
		return nil, false, &Refused{RetryAfter: time.Duration(math.Ceil(max(wait, time.Second).Seconds())) * time.Second}
	}
	u, err = l.store.UserByUsername(ctx, strings.TrimSpace(a.Username))
	hash := dummyHash()
	switch {
	case err == nil:
		hash = u.PasswordHash
	case errors.Is(err, apperr.NotFound):
		u = nil
	default:
		return nil, false, err
	}
	l.metrics.Add(MetricHashing, 1)
	defer l.metrics.Add(MetricHashing, -1)
	ok, err = l.check(hash, a.Password)
	if err != nil {
		return nil, false, fmt.Errorf("checking a password: %w", err)
	}
	return u, ok, nil
}

// acquire takes a password check slot, waiting at most hashWait.
func (l *Logins) acquire(ctx context.Context) bool {
	select {
	case l.sem <- struct{}{}:
		return true
	default:
	}
	if l.hashWait < 0 {
		return false
	}
	t := time.NewTimer(l.hashWait)
	defer t.Stop()
	select {
	case l.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// alert logs that the per-name limit refuses attempts, at most once a
// minute.
func (l *Logins) alert(now time.Time) {
	last := l.lastAlert.Load()
	if now.UnixNano()-last < int64(time.Minute) || !l.lastAlert.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	l.logger.Warn("login throttle: a user name reached its limit for clients without a known-device cookie; "+
		"known devices can still log in", "metric", "antrag_login_"+MetricThrottledName+"_total",
		"refused_total", l.throttled.Load())
}

// noCounter is the LoginCounter of a Logins without metrics.
type noCounter struct{}

func (noCounter) Add(string, int64) {}
