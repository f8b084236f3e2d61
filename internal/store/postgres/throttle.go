package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/antrag/antrag/internal/account"
)

// ThrottleTokens returns the tokens of a login throttle bucket at now.
func (db *DB) ThrottleTokens(ctx context.Context, key string, b account.Bucket, now time.Time) (_ float64, err error) {
	defer wrap(&err, "ThrottleTokens")
	var tokens float64
	var then time.Time
	err = db.pool.QueryRow(ctx, `SELECT tokens, updated_at FROM login_throttle WHERE key = $1`, key).Scan(&tokens, &then)
	if errors.Is(err, pgx.ErrNoRows) {
		return float64(b.Burst), nil
	}
	if err != nil {
		return 0, err
	}
	return b.Refill(tokens, then, now), nil
}

// ThrottleSpend takes one token from a login throttle bucket at now.
func (db *DB) ThrottleSpend(ctx context.Context, key string, b account.Bucket, now time.Time) (err error) {
	defer wrap(&err, "ThrottleSpend")
	return db.withTx(ctx, func(tx pgx.Tx) error {
		tokens := float64(b.Burst)
		var stored float64
		var then time.Time
		err := tx.QueryRow(ctx, `SELECT tokens, updated_at FROM login_throttle WHERE key = $1 FOR UPDATE`, key).Scan(&stored, &then)
		switch {
		case err == nil:
			tokens = b.Refill(stored, then, now)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		tokens = max(tokens-1, 0)
		_, err = tx.Exec(ctx, `INSERT INTO login_throttle (key, tokens, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
			key, tokens, now.UTC())
		return err
	})
}

// ThrottleReset forgets a login throttle bucket.
func (db *DB) ThrottleReset(ctx context.Context, key string) (err error) {
	defer wrap(&err, "ThrottleReset")
	_, err = db.pool.Exec(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}

// ThrottlePurge forgets the buckets not used since before.
func (db *DB) ThrottlePurge(ctx context.Context, before time.Time) (err error) {
	defer wrap(&err, "ThrottlePurge")
	_, err = db.pool.Exec(ctx, `DELETE FROM login_throttle WHERE updated_at < $1`, before.UTC())
	return err
}
