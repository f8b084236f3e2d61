// Package account models the staff who work in the caseworker inbox: local
// accounts with argon2id-hashed passwords (password.go: hashing and the
// password policy), each belonging to one tenant, and their login
// (login.go: Logins, the throttle and the bound on password checks at
// once; keys.go: the keys derived from the data key).
package account

import (
	"context"
	"time"
)

// User is a staff account.
type User struct {
	ID           string
	TenantID     string
	Username     string // unique across tenants; 3–64 characters
	Name         string // display name
	PasswordHash string // argon2id, PHC string format
	CreatedAt    time.Time
	// Disabled accounts cannot log in; their sessions end at the next
	// request.
	Disabled bool
	// SessionVersion counts the changes that end the account's sessions:
	// every new password and every disabling raises it. A session records
	// the version it was opened with and ends when it differs.
	SessionVersion int
}

// Store keeps users. Errors wrap apperr.NotFound and apperr.Conflict (a
// username taken).
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	UserByUsername(ctx context.Context, username string) (*User, error)
	User(ctx context.Context, tenantID, id string) (*User, error)
	// ListUsers lists the tenant's users by username.
	ListUsers(ctx context.Context, tenantID string) ([]*User, error)
	// SetPasswordHash replaces a user's password hash and raises their
	// SessionVersion, so that their sessions end.
	SetPasswordHash(ctx context.Context, tenantID, id, hash string) error
	// SetDisabled disables or enables a user; disabling raises their
	// SessionVersion, so that their sessions end.
	SetDisabled(ctx context.Context, tenantID, id string, disabled bool) error
	// DeleteUser deletes a user; their sessions end at the next request.
	// Audit events keep the username.
	DeleteUser(ctx context.Context, tenantID, id string) error

	// Login throttling: token buckets by key, kept in the store so that
	// every process counts the same attempts (see Bucket). A bucket the
	// store does not hold is full.
	//
	// ThrottleTake takes one token from each bucket at now, all or none,
	// in one transaction. It returns -1 if it took them; else it takes
	// none and returns the index in keys of the first bucket that holds
	// less than one token, and how long until it holds one.
	ThrottleTake(ctx context.Context, keys []ThrottleKey, now time.Time) (blocked int, wait time.Duration, err error)
	// ThrottleGive gives one token back to each bucket at now (up to its
	// burst; a full bucket is forgotten).
	ThrottleGive(ctx context.Context, keys []ThrottleKey, now time.Time) error
	// ThrottleReset forgets the bucket (it is full again).
	ThrottleReset(ctx context.Context, key string) error
	// ThrottlePurge forgets the buckets not used since before.
	ThrottlePurge(ctx context.Context, before time.Time) error
}

// ThrottleKey names a throttle bucket and gives its shape. Key is opaque
// to the store (Logins makes it a keyed hash; at most 64 characters).
type ThrottleKey struct {
	Key    string
	Bucket Bucket
}

// Bucket is a token bucket's shape: it holds at most Burst tokens and gains
// one every Every.
type Bucket struct {
	Burst int
	Every time.Duration
}

// Refill returns the tokens a bucket holds at now that held tokens at
// then.
func (b Bucket) Refill(tokens float64, then, now time.Time) float64 {
	if b.Every > 0 && now.After(then) {
		tokens += float64(now.Sub(then)) / float64(b.Every)
	}
	return min(tokens, float64(b.Burst))
}

// Wait returns how long a bucket that holds tokens takes to hold one.
func (b Bucket) Wait(tokens float64) time.Duration {
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(b.Every))
}

// IdleBucket is how long a throttle bucket is kept unused before it is
// forgotten (Store.ThrottlePurge): far longer than any bucket needs to fill
// up again.
const IdleBucket = 24 * time.Hour
