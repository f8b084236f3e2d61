package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// Receive stores a submission that arrived from elsewhere (s.Source not
// SourceAntrag, s.ExternalRef set) with its attachments (their content
// already in the blob store) and ev, in one transaction, and creates the
// deliveries of the receiving service except FIT-Connect ones (so that a
// submission is never forwarded in a loop). A submission with the same
// ExternalRef for the tenant is not stored again: Receive then returns it
// with created false, and the caller deletes the attachment contents it
// put. A taken Reference is submission.ErrReferenceTaken.
func (db *DB) Receive(ctx context.Context, s *submission.Submission, atts []*submission.Attachment, ev *submission.Event) (existing *submission.Submission, created bool, err error) {
	defer db.wrap(&err, "Receive(%q, %q)", s.TenantID, s.ExternalRef)
	switch {
	case ev == nil:
		return nil, false, fmt.Errorf("%w: no event", apperr.Invalid)
	case s.ExternalRef == "" || s.Source == "" || s.Source == submission.SourceAntrag:
		return nil, false, fmt.Errorf("%w: a received submission needs a source and an external reference", apperr.Invalid)
	case s.DraftID != "" || s.IdempotencyKey != "":
		return nil, false, fmt.Errorf("%w: a received submission has no draft", apperr.Invalid)
	}
	status := s.Status
	if status == "" {
		status = submission.Eingegangen
	}
	if !status.Valid() {
		return nil, false, fmt.Errorf("%w: status %q", apperr.Invalid, status)
	}
	id := newID(s.ID)
	submitted := db.orNow(s.SubmittedAt)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		existing, created = nil, false
		old, err := db.querySubmission(ctx, tx, whereExternalRef, s.TenantID, s.ExternalRef)
		if err == nil {
			existing = old
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := db.checkReference(ctx, tx, s.Reference); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO submissions
			(id, tenant_id, service_id, form_version_id, authority_id, reference, status, data, data_sha256,
			idempotency_key, draft_id, submitted_at, updated_at, source, external_ref, sender_ref)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', NULL, $10, $10, $11, $12, $13)`,
			id, s.TenantID, s.ServiceID, nullString(s.FormVersionID), nullString(s.AuthorityID), s.Reference,
			string(status), db.box.Seal(s.Data), s.DataSHA256, db.ts(submitted), s.Source, s.ExternalRef, s.SenderRef); err != nil {
			return err
		}
		for _, a := range atts {
			a.ID, a.TenantID, a.SubmissionID, a.DraftID = newID(a.ID), s.TenantID, id, ""
			a.CreatedAt = submitted
			if _, err := db.txExec(ctx, tx, `INSERT INTO attachments
				(id, tenant_id, draft_id, submission_id, filename, filename_sealed, media_type, size, sha512, storage_key, created_at)
				VALUES ($1, $2, NULL, $3, '', $4, $5, $6, $7, $8, $9)`,
				a.ID, s.TenantID, id, db.box.Seal([]byte(a.Filename)), a.MediaType, a.Size, a.SHA512, a.StorageKey, db.ts(submitted)); err != nil {
				return err
			}
		}
		if err := db.insertEvent(ctx, tx, s.TenantID, id, ev); err != nil {
			return err
		}
		created = true
		return db.insertDeliveries(ctx, tx, s, id, true, submitted)
	})
	if err != nil {
		return nil, false, err
	}
	if !created {
		return existing, false, nil
	}
	s.ID, s.Status, s.SubmittedAt, s.UpdatedAt = id, status, submitted, submitted
	return s, true, nil
}
