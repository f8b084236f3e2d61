// Package account models the staff who work in the caseworker inbox: local
// accounts with argon2id-hashed passwords, each belonging to one tenant.
package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// User is a staff account.
type User struct {
	ID           string
	TenantID     string
	Username     string // unique across tenants; 3–64 characters
	Name         string // display name
	PasswordHash string // argon2id, PHC string format
	CreatedAt    time.Time
}

// Store keeps users. Errors wrap apperr.NotFound and apperr.Conflict (a
// username taken).
type Store interface {
	CreateUser(ctx context.Context, u *User) error
	UserByUsername(ctx context.Context, username string) (*User, error)
	User(ctx context.Context, tenantID, id string) (*User, error)
	// ListUsers lists the tenant's users by username.
	ListUsers(ctx context.Context, tenantID string) ([]*User, error)
	// SetPasswordHash replaces a user's password hash.
	SetPasswordHash(ctx context.Context, tenantID, id, hash string) error
	// DeleteUser deletes a user; their sessions end at the next request.
	// Audit events keep the username.
	DeleteUser(ctx context.Context, tenantID, id string) error

	// Login throttling: token buckets by key, kept in the store so that
	// every process counts the same attempts (see Bucket).
	//
	// ThrottleTokens returns the tokens of the bucket at now (b.Burst for
	// an unknown key).
	ThrottleTokens(ctx context.Context, key string, b Bucket, now time.Time) (float64, error)
	// ThrottleSpend takes one token from the bucket at now (at least
	// down to 0).
	ThrottleSpend(ctx context.Context, key string, b Bucket, now time.Time) error
	// ThrottleReset forgets the bucket.
	ThrottleReset(ctx context.Context, key string) error
	// ThrottlePurge forgets the buckets not used since before.
	ThrottlePurge(ctx context.Context, before time.Time) error
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

// IdleBucket is how long a throttle bucket is kept unused before it is
// forgotten (Store.ThrottlePurge): far longer than any bucket needs to fill
// up again.
const IdleBucket = 24 * time.Hour

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// ErrWeakPassword is returned for a password shorter than MinPasswordLength.
var ErrWeakPassword = fmt.Errorf("Das Passwort muss mindestens %d Zeichen haben", MinPasswordLength)

// params are argon2id's parameters: 19 MiB memory, 2 passes, as OWASP's
// Password Storage Cheat Sheet (2023) recommends as a minimum.
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword returns the argon2id hash of password.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(strings.TrimSpace(password)) < MinPasswordLength {
		return "", ErrWeakPassword
	}
	return argon2id.CreateHash(password, params)
}

// CheckPassword reports whether password matches the hash. A malformed hash
// is an error.
func CheckPassword(hash, password string) (bool, error) {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil {
		return false, errors.Join(errors.New("Passwort-Hash nicht lesbar"), err)
	}
	return ok, nil
}
