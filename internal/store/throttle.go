package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/antrag/antrag/internal/account"
)

// ThrottleTokens returns the tokens of a login throttle bucket at now.
func (db *DB) ThrottleTokens(ctx context.Context, key string, b account.Bucket, now time.Time) (_ float64, err error) {
	defer db.wrap(&err, "ThrottleTokens")
	var tokens float64
	var then time.Time
	err = db.sql.QueryRowContext(ctx, `SELECT tokens, updated_at FROM login_throttle WHERE key = $1`, key).Scan(&tokens, timeCol{&then})
	if errors.Is(err, sql.ErrNoRows) {
		return float64(b.Burst), nil
	}
	if err != nil {
		return 0, err
	}
	return b.Refill(tokens, then, now), nil
}

// ThrottleSpend takes one token from a login throttle bucket at now.
func (db *DB) ThrottleSpend(ctx context.Context, key string, b account.Bucket, now time.Time) (err error) {
	defer db.wrap(&err, "ThrottleSpend")
	return db.withTx(ctx, func(tx *sql.Tx) error {
		tokens := float64(b.Burst)
		var stored float64
		var then time.Time
		err := tx.QueryRowContext(ctx, `SELECT tokens, updated_at FROM login_throttle WHERE key = $1`+db.d.forUpdate(), key).Scan(&stored, timeCol{&then})
		switch {
		case err == nil:
			tokens = b.Refill(stored, then, now)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		tokens = max(tokens-1, 0)
		_, err = tx.ExecContext(ctx, `INSERT INTO login_throttle (key, tokens, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
			key, tokens, db.ts(now))
		return err
	})
}

// ThrottleReset forgets a login throttle bucket.
func (db *DB) ThrottleReset(ctx context.Context, key string) (err error) {
	defer db.wrap(&err, "ThrottleReset")
	_, err = db.sql.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}

// ThrottlePurge forgets the buckets not used since before.
func (db *DB) ThrottlePurge(ctx context.Context, before time.Time) (err error) {
	defer db.wrap(&err, "ThrottlePurge")
	_, err = db.sql.ExecContext(ctx, `DELETE FROM login_throttle WHERE updated_at < $1`, db.ts(before))
	return err
}
