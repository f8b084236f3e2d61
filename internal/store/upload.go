package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// ReserveUpload reserves room for one more attachment in an unsent draft.
// See submission.Store. The draft's row is locked first, so that
// reservations of one draft queue and each counts the ones before it;
// reservations of the draft that expired before now are deleted.
func (db *DB) ReserveUpload(ctx context.Context, r *submission.UploadReservation, q submission.UploadQuota, want int64, now time.Time) (err error) {
	defer db.wrap(&err, "ReserveUpload(%q, %q)", r.TenantID, r.DraftID)
	if r.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: reservation without expiry", apperr.Invalid)
	}
	id := newID(r.ID)
	var granted int64
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var submissionID *string
		err := db.txQueryRow(ctx, tx, `SELECT submission_id FROM drafts
			WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`+db.d.forUpdate(),
			r.TenantID, r.DraftID, db.ts(now)).Scan(&submissionID)
		if err != nil {
			return err
		}
		if submissionID != nil {
			return fmt.Errorf("%w: draft already submitted", apperr.Conflict)
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM upload_reservations
			WHERE tenant_id = $1 AND draft_id = $2 AND expires_at <= $3`, r.TenantID, r.DraftID, db.ts(now)); err != nil {
			return err
		}
		var files int
		var bytes int64
		err = db.txQueryRow(ctx, tx, `SELECT
			(SELECT count(*) FROM attachments WHERE tenant_id = $1 AND draft_id = $2) +
			(SELECT count(*) FROM upload_reservations WHERE tenant_id = $1 AND draft_id = $2),
			CAST((SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND draft_id = $2) +
			(SELECT coalesce(sum(bytes), 0) FROM upload_reservations WHERE tenant_id = $1 AND draft_id = $2) AS BIGINT)`,
			r.TenantID, r.DraftID).Scan(&files, &bytes)
		if err != nil {
			return err
		}
		var ok bool
		if granted, ok = q.Grant(files, bytes, want); !ok {
			return submission.ErrUploadQuota
		}
		_, err = db.txExec(ctx, tx, `INSERT INTO upload_reservations (id, tenant_id, draft_id, bytes, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, id, r.TenantID, r.DraftID, granted, db.ts(r.ExpiresAt))
		return err
	})
	if err != nil {
		return err
	}
	r.ID, r.Bytes = id, granted
	return nil
}

// CompleteUpload stores a in place of the reservation r. See
// submission.Store.
func (db *DB) CompleteUpload(ctx context.Context, r *submission.UploadReservation, a *submission.Attachment) (err error) {
	defer db.wrap(&err, "CompleteUpload(%q, %q)", r.TenantID, r.ID)
	if a.TenantID != r.TenantID || a.DraftID != r.DraftID || a.SubmissionID != "" {
		return fmt.Errorf("%w: the attachment is not of the reservation's draft", apperr.Invalid)
	}
	if a.StorageKey == "" {
		return fmt.Errorf("%w: attachment without storage key", apperr.Invalid)
	}
	id, created := newID(a.ID), db.orNow(a.CreatedAt)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var submissionID *string
		err := db.txQueryRow(ctx, tx, `SELECT submission_id FROM drafts WHERE tenant_id = $1 AND id = $2`+db.d.forUpdate(),
			r.TenantID, r.DraftID).Scan(&submissionID)
		if err != nil {
			return err
		}
		if submissionID != nil {
			return fmt.Errorf("%w: draft submitted during the upload", apperr.Conflict)
		}
		var granted int64
		err = db.txQueryRow(ctx, tx, `SELECT bytes FROM upload_reservations WHERE tenant_id = $1 AND id = $2 AND draft_id = $3`,
			r.TenantID, r.ID, r.DraftID).Scan(&granted)
		if err == sql.ErrNoRows {
			return fmt.Errorf("%w: reservation %s gone", apperr.Conflict, r.ID)
		}
		if err != nil {
			return err
		}
		if a.Size < 0 || a.Size > granted {
			return fmt.Errorf("%w: %d bytes, %d reserved", apperr.Invalid, a.Size, granted)
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM upload_reservations WHERE tenant_id = $1 AND id = $2`, r.TenantID, r.ID); err != nil {
			return err
		}
		_, err = db.txExec(ctx, tx, `INSERT INTO attachments
			(id, tenant_id, draft_id, submission_id, filename, filename_sealed, media_type, size, sha512, storage_key, created_at)
			VALUES ($1, $2, $3, NULL, '', $4, $5, $6, $7, $8, $9)`,
			id, a.TenantID, a.DraftID, db.box.Seal([]byte(a.Filename)), a.MediaType, a.Size,
			a.SHA512, a.StorageKey, db.ts(created))
		return err
	})
	if err != nil {
		return err
	}
	a.ID, a.CreatedAt = id, created
	return nil
}

// ReleaseUpload deletes a reservation. See submission.Store.
func (db *DB) ReleaseUpload(ctx context.Context, tenantID, id string) (err error) {
	defer db.wrap(&err, "ReleaseUpload(%q, %q)", tenantID, id)
	_, err = db.exec(ctx, `DELETE FROM upload_reservations WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return err
}
