package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

// ConsumeOnce records key (a SAML message's identity provider and id) as
// used until expires. It returns an error of kind apperr.Conflict when key
// is already recorded and has not expired at now: the message is a replay.
// Every process sharing the database sees the same records, so a message
// taken by one is refused by all. The key is stored as its SHA-256.
func (db *DB) ConsumeOnce(ctx context.Context, key string, expires, now time.Time) (err error) {
	defer db.wrap(&err, "ConsumeOnce")
	sum := sha256.Sum256([]byte(key))
	k := hex.EncodeToString(sum[:])
	return db.withTx(ctx, func(tx *sql.Tx) error {
		// An expired record no longer protects anything and may be
		// taken again.
		if _, err := db.txExec(ctx, tx, `DELETE FROM saml_replay WHERE key = $1 AND expires_at <= $2`, k, db.ts(now)); err != nil {
			return err
		}
		res, err := db.txExec(ctx, tx, `INSERT INTO saml_replay (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, k, db.ts(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("message already used: %w", apperr.Conflict)
		}
		return nil
	})
}

// ReplayPurge forgets the replay records that expired before.
func (db *DB) ReplayPurge(ctx context.Context, before time.Time) (err error) {
	defer db.wrap(&err, "ReplayPurge")
	_, err = db.exec(ctx, `DELETE FROM saml_replay WHERE expires_at < $1`, db.ts(before))
	return err
}
