package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/account"
)

// ThrottleTake takes one token from each login throttle bucket at now,
// all or none, in one transaction (see account.Store).
func (db *DB) ThrottleTake(ctx context.Context, keys []account.ThrottleKey, now time.Time) (blocked int, wait time.Duration, err error) {
	defer db.wrap(&err, "ThrottleTake")
	err = db.withRowLockTx(ctx, func(tx *sql.Tx) error {
		blocked, wait = -1, 0
		tokens, err := lockBuckets(ctx, db, tx, keys, now)
		if err != nil {
			return err
		}
		for i, k := range keys {
			if tokens[i] < 1 {
				blocked, wait = i, k.Bucket.Wait(tokens[i])
				return nil
			}
		}
		for i, k := range keys {
			if err := db.setBucket(ctx, tx, k.Key, tokens[i]-1, now); err != nil {
				return err
			}
		}
		return nil
	})
	return blocked, wait, err
}

// ThrottleGive gives one token back to each login throttle bucket at now;
// a bucket that is full then is forgotten.
func (db *DB) ThrottleGive(ctx context.Context, keys []account.ThrottleKey, now time.Time) (err error) {
	defer db.wrap(&err, "ThrottleGive")
	if len(keys) == 0 {
		return nil
	}
	return db.withRowLockTx(ctx, func(tx *sql.Tx) error {
		tokens, err := lockBuckets(ctx, db, tx, keys, now)
		if err != nil {
			return err
		}
		for i, k := range keys {
			t := min(tokens[i]+1, float64(k.Bucket.Burst))
			if t >= float64(k.Bucket.Burst) {
				_, err = db.txExec(ctx, tx, `DELETE FROM login_throttle WHERE key = $1`, k.Key)
			} else {
				err = db.setBucket(ctx, tx, k.Key, t, now)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// withRowLockTx runs fn in a transaction in which the rows a SELECT … FOR
// UPDATE reads stay locked until the end. Where the database isolates
// transactions serializably (PostgreSQL), the row locks suffice: the
// transaction reads committed data instead, so that many logins at one
// bucket wait for each other rather than abort and retry.
func (db *DB) withRowLockTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := db.d.txOptions()
	if opts == nil || opts.Isolation != sql.LevelSerializable {
		return db.withTx(ctx, fn)
	}
	rc := *opts
	rc.Isolation = sql.LevelReadCommitted
	start := time.Now()
	for try := 1; ; try++ {
		tx, err := db.sql.BeginTx(ctx, &rc)
		if err != nil {
			return err
		}
		if err = fn(tx); err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		if err == nil || !db.retryAgain(err, try, start) {
			return err
		}
		db.retries.Add(1)
	}
}

// lockBuckets creates the buckets the store does not hold yet (full),
// locks them in the order of their keys (so that two transactions never
// wait for each other crosswise) and returns their tokens at now, in the
// order of keys.
func lockBuckets(ctx context.Context, db *DB, tx *sql.Tx, keys []account.ThrottleKey, now time.Time) ([]float64, error) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a].Key, keys[b].Key) })
	tokens := make([]float64, len(keys))
	for _, i := range order {
		k := keys[i]
		if _, err := db.txExec(ctx, tx, `INSERT INTO login_throttle (key, tokens, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING`, k.Key, float64(k.Bucket.Burst), db.ts(now)); err != nil {
			return nil, err
		}
		var stored float64
		var then time.Time
		if err := db.txQueryRow(ctx, tx, `SELECT tokens, updated_at FROM login_throttle WHERE key = $1`+db.d.forUpdate(), k.Key).
			Scan(&stored, timeCol{&then}); err != nil {
			return nil, err
		}
		tokens[i] = k.Bucket.Refill(stored, then, now)
	}
	return tokens, nil
}

func (db *DB) setBucket(ctx context.Context, tx *sql.Tx, key string, tokens float64, now time.Time) error {
	_, err := db.txExec(ctx, tx, `UPDATE login_throttle SET tokens = $1, updated_at = $2 WHERE key = $3`, max(tokens, 0), db.ts(now), key)
	return err
}

// ThrottleReset forgets a login throttle bucket.
func (db *DB) ThrottleReset(ctx context.Context, key string) (err error) {
	defer db.wrap(&err, "ThrottleReset")
	_, err = db.exec(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}

// ThrottlePurge forgets the buckets not used since before.
func (db *DB) ThrottlePurge(ctx context.Context, before time.Time) (err error) {
	defer db.wrap(&err, "ThrottlePurge")
	_, err = db.exec(ctx, `DELETE FROM login_throttle WHERE updated_at < $1`, db.ts(before))
	return err
}
