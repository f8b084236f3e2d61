package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// Event texts of PurgeSubmissions (the same as on SQLite).
const (
	purgeActor  = "System"
	purgeAction = "gelöscht"
	purgeDetail = "Antragsdaten nach Ablauf der Aufbewahrungsfrist gelöscht"
)

const submissionColumns = `id, tenant_id, service_id, form_version_id, authority_id, reference, status,
	data, data_sha256, idempotency_key, draft_id, submitted_at, updated_at, source, external_ref`

// submissionListColumns is submissionColumns without the data.
const submissionListColumns = `id, tenant_id, service_id, form_version_id, authority_id, reference, status,
	NULL::bytea, data_sha256, idempotency_key, draft_id, submitted_at, updated_at, source, external_ref`

func (db *DB) scanSubmission(row scanner) (*submission.Submission, error) {
	s := &submission.Submission{}
	var status string
	var data []byte
	err := row.Scan(&s.ID, &s.TenantID, &s.ServiceID, strCol{&s.FormVersionID}, strCol{&s.AuthorityID},
		&s.Reference, &status, &data, &s.DataSHA256, &s.IdempotencyKey, strCol{&s.DraftID},
		timeCol{&s.SubmittedAt}, timeCol{&s.UpdatedAt}, &s.Source, &s.ExternalRef)
	if err != nil {
		return nil, err
	}
	s.Status = submission.Status(status)
	if data != nil {
		if s.Data, err = db.box.Open(data); err != nil {
			return nil, fmt.Errorf("submission %s: data: %w", s.ID, err)
		}
		if s.Data == nil {
			s.Data = []byte{}
		}
	}
	return s, nil
}

// querySubmission returns the one submission a query selects.
func (db *DB) querySubmission(ctx context.Context, q querier, where string, args ...any) (*submission.Submission, error) {
	return db.scanSubmission(q.QueryRow(ctx, `SELECT `+submissionColumns+` FROM submissions WHERE `+where, args...))
}

// insertEventTx records an event and returns its id.
func insertEventTx(ctx context.Context, tx pgx.Tx, tenantID, submissionID string, at time.Time, actor, action, detail string) (id int64, err error) {
	err = tx.QueryRow(ctx, `INSERT INTO events (tenant_id, submission_id, at, actor, action, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, tenantID, submissionID, at, actor, action, detail).Scan(&id)
	return id, err
}

// Submit stores s with ev in one transaction; see submission.Store. It
// sets s.ID (if empty), Status (Eingegangen if empty), SubmittedAt and
// UpdatedAt (if zero), and ev.ID, TenantID, SubmissionID and At (if zero).
// When it stores s it returns s with created true. ev is required, and
// attachmentIDs need a draft (apperr.Invalid); an attachment id that is not
// one of the draft's is apperr.NotFound.
func (db *DB) Submit(ctx context.Context, s *submission.Submission, ev *submission.Event, attachmentIDs []string) (existing *submission.Submission, created bool, orphanKeys []string, err error) {
	defer wrap(&err, "Submit(%q, %q)", s.TenantID, s.Reference)
	if ev == nil {
		return nil, false, nil, fmt.Errorf("%w: no event", apperr.Invalid)
	}
	if s.DraftID == "" && len(attachmentIDs) > 0 {
		return nil, false, nil, fmt.Errorf("%w: attachments without a draft", apperr.Invalid)
	}
	status := s.Status
	if status == "" {
		status = submission.Eingegangen
	}
	if !status.Valid() {
		return nil, false, nil, fmt.Errorf("%w: status %q", apperr.Invalid, status)
	}
	data := db.box.Seal(s.Data)
	id := newID(s.ID)
	submitted := db.orNow(s.SubmittedAt)
	updated := submitted
	if !s.UpdatedAt.IsZero() {
		updated = db.orNow(s.UpdatedAt)
	}
	at := db.orNow(ev.At)
	var evID int64

	err = db.withTx(ctx, func(tx pgx.Tx) error {
		existing, created, orphanKeys = nil, false, nil
		if s.IdempotencyKey != "" {
			old, err := db.querySubmission(ctx, tx, `tenant_id = $1 AND idempotency_key = $2 AND idempotency_key <> ''`, s.TenantID, s.IdempotencyKey)
			if err == nil {
				existing = old
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if s.DraftID != "" {
			// FOR UPDATE: concurrent submits of one draft queue here.
			var draftSubmission *string
			err := tx.QueryRow(ctx, `SELECT submission_id FROM drafts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
				s.TenantID, s.DraftID).Scan(&draftSubmission)
			if errors.Is(err, pgx.ErrNoRows) {
				return notFound("draft " + s.DraftID)
			}
			if err != nil {
				return err
			}
			if draftSubmission != nil {
				old, err := db.querySubmission(ctx, tx, `tenant_id = $1 AND id = $2`, s.TenantID, *draftSubmission)
				if err != nil {
					return err
				}
				existing = old
				return nil
			}
		}

		if _, err := tx.Exec(ctx, `INSERT INTO submissions
			(id, tenant_id, service_id, form_version_id, authority_id, reference, status, data, data_sha256,
			idempotency_key, draft_id, submitted_at, updated_at, source)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			id, s.TenantID, s.ServiceID, nullString(s.FormVersionID), nullString(s.AuthorityID), s.Reference,
			string(status), data, s.DataSHA256, s.IdempotencyKey, nullString(s.DraftID), submitted, updated,
			submission.SourceAntrag); err != nil {
			return err
		}

		if s.DraftID != "" {
			if _, err := tx.Exec(ctx,
				`UPDATE drafts SET submission_id = $1, data = NULL, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
				id, submitted, s.TenantID, s.DraftID); err != nil {
				return err
			}
			for _, aid := range attachmentIDs {
				tag, err := tx.Exec(ctx,
					`UPDATE attachments SET submission_id = $1, draft_id = NULL WHERE tenant_id = $2 AND id = $3 AND draft_id = $4`,
					id, s.TenantID, aid, s.DraftID)
				if err != nil {
					return err
				}
				if err := mustAffect(tag, "attachment "+aid+" of the draft"); err != nil {
					return err
				}
			}
			keys, err := queryStrings(ctx, tx, `SELECT storage_key FROM attachments
				WHERE tenant_id = $1 AND draft_id = $2 ORDER BY storage_key COLLATE "C"`, s.TenantID, s.DraftID)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM attachments WHERE tenant_id = $1 AND draft_id = $2`,
				s.TenantID, s.DraftID); err != nil {
				return err
			}
			orphanKeys = keys
		}

		var err error
		if evID, err = insertEventTx(ctx, tx, s.TenantID, id, at, ev.Actor, ev.Action, ev.Detail); err != nil {
			return err
		}
		if err := db.createDeliveries(ctx, tx, s, id, submitted); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return nil, false, nil, err
	}
	if !created {
		return existing, false, nil, nil
	}
	s.ID, s.Status, s.SubmittedAt, s.UpdatedAt, s.Source = id, status, submitted, updated, submission.SourceAntrag
	ev.ID, ev.TenantID, ev.SubmissionID, ev.At = evID, s.TenantID, id, at
	return s, true, orphanKeys, nil
}

// Submission returns a submission of the tenant.
func (db *DB) Submission(ctx context.Context, tenantID, id string) (_ *submission.Submission, err error) {
	defer wrap(&err, "Submission(%q, %q)", tenantID, id)
	return db.querySubmission(ctx, db.pool, `tenant_id = $1 AND id = $2`, tenantID, id)
}

// SubmissionByReference returns the tenant's submission with the
// Vorgangsnummer.
func (db *DB) SubmissionByReference(ctx context.Context, tenantID, reference string) (_ *submission.Submission, err error) {
	defer wrap(&err, "SubmissionByReference(%q, %q)", tenantID, reference)
	return db.querySubmission(ctx, db.pool, `tenant_id = $1 AND reference = $2`, tenantID, reference)
}

// SubmissionByIdempotencyKey returns the tenant's submission made with the
// JSON API idempotency key. An empty key finds nothing.
func (db *DB) SubmissionByIdempotencyKey(ctx context.Context, tenantID, key string) (_ *submission.Submission, err error) {
	defer wrap(&err, "SubmissionByIdempotencyKey(%q)", tenantID)
	if key == "" {
		return nil, notFound("empty idempotency key")
	}
	return db.querySubmission(ctx, db.pool, `tenant_id = $1 AND idempotency_key = $2 AND idempotency_key <> ''`, tenantID, key)
}

// SubmissionByExternalRef returns the tenant's received submission with
// the external reference. An empty reference finds nothing.
func (db *DB) SubmissionByExternalRef(ctx context.Context, tenantID, ref string) (_ *submission.Submission, err error) {
	defer wrap(&err, "SubmissionByExternalRef(%q)", tenantID)
	if ref == "" {
		return nil, notFound("empty external reference")
	}
	return db.querySubmission(ctx, db.pool, `tenant_id = $1 AND external_ref = $2 AND external_ref <> ''`, tenantID, ref)
}

// SubmissionByDraft returns the tenant's submission made from the draft
// (also after the draft row was deleted).
func (db *DB) SubmissionByDraft(ctx context.Context, tenantID, draftID string) (_ *submission.Submission, err error) {
	defer wrap(&err, "SubmissionByDraft(%q, %q)", tenantID, draftID)
	return db.querySubmission(ctx, db.pool, `tenant_id = $1 AND draft_id = $2`, tenantID, draftID)
}

// DefaultLimit is the number of submissions ListSubmissions returns when
// the filter has no limit.
const DefaultLimit = 100

// ListSubmissions lists the tenant's submissions, newest first, without
// Data.
func (db *DB) ListSubmissions(ctx context.Context, tenantID string, f submission.Filter) (_ []*submission.Submission, err error) {
	defer wrap(&err, "ListSubmissions(%q)", tenantID)
	limit, offset := f.Limit, f.Offset
	if limit <= 0 {
		limit = DefaultLimit
	}
	if offset < 0 {
		offset = 0
	}
	query := `SELECT ` + submissionListColumns + ` FROM submissions WHERE tenant_id = $1`
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		query += ` AND status = ` + arg(string(f.Status))
	}
	if f.ServiceID != "" {
		query += ` AND service_id = ` + arg(f.ServiceID)
	}
	if f.DeliveryState != "" {
		query += ` AND data IS NOT NULL AND EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = submissions.tenant_id
			AND d.submission_id = submissions.id AND d.state = ` + arg(f.DeliveryState) + `)`
	}
	query += ` ORDER BY submitted_at DESC, reference COLLATE "C" DESC LIMIT ` + arg(limit) + ` OFFSET ` + arg(offset)
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanSubmission)
}

// SetStatus sets the status of one of the tenant's submissions and its
// UpdatedAt to now, and records ev (required; its ID, TenantID,
// SubmissionID and At, if zero, are set), in one transaction.
func (db *DB) SetStatus(ctx context.Context, tenantID, id string, status submission.Status, ev *submission.Event) (err error) {
	defer wrap(&err, "SetStatus(%q, %q, %q)", tenantID, id, status)
	if !status.Valid() {
		return fmt.Errorf("%w: status %q", apperr.Invalid, status)
	}
	if ev == nil {
		return fmt.Errorf("%w: no event", apperr.Invalid)
	}
	now := db.nowUTC()
	at := db.orNow(ev.At)
	var evID int64
	err = db.withTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE submissions SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
			string(status), now, tenantID, id)
		if err != nil {
			return err
		}
		if err := mustAffect(tag, "submission"); err != nil {
			return err
		}
		evID, err = insertEventTx(ctx, tx, tenantID, id, at, ev.Actor, ev.Action, ev.Detail)
		return err
	})
	if err != nil {
		return err
	}
	ev.ID, ev.TenantID, ev.SubmissionID, ev.At = evID, tenantID, id, at
	return nil
}

// Events returns the audit trail of one of the tenant's submissions,
// oldest first. An unknown submission has none.
func (db *DB) Events(ctx context.Context, tenantID, submissionID string) (_ []*submission.Event, err error) {
	defer wrap(&err, "Events(%q, %q)", tenantID, submissionID)
	rows, err := db.pool.Query(ctx, `SELECT id, tenant_id, submission_id, at, actor, action, detail
		FROM events WHERE tenant_id = $1 AND submission_id = $2 ORDER BY at, id`, tenantID, submissionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (*submission.Event, error) {
		e := &submission.Event{}
		if err := row.Scan(&e.ID, &e.TenantID, &e.SubmissionID, timeCol{&e.At}, &e.Actor, &e.Action, &e.Detail); err != nil {
			return nil, err
		}
		return e, nil
	})
}

// PurgeSubmissions deletes, in one transaction and across all tenants, the
// data and attachments of the submissions that are abgeschlossen, were last
// changed before the cut-off and still have data. Reference, hash, status
// and times stay. It records an event for each and returns the storage
// keys of the deleted attachments.
func (db *DB) PurgeSubmissions(ctx context.Context, before time.Time) (keys []string, err error) {
	defer wrap(&err, "PurgeSubmissions(%s)", before.UTC().Format(time.RFC3339))
	now := db.nowUTC()
	err = db.withTx(ctx, func(tx pgx.Tx) error {
		keys = nil
		rows, err := tx.Query(ctx, `SELECT tenant_id, id FROM submissions
			WHERE status = $1 AND updated_at < $2 AND data IS NOT NULL ORDER BY tenant_id COLLATE "C", id COLLATE "C"`,
			string(submission.Abgeschlossen), before.UTC())
		if err != nil {
			return err
		}
		type ref struct{ tenantID, id string }
		due, err := collect(rows, func(row scanner) (ref, error) {
			var r ref
			err := row.Scan(&r.tenantID, &r.id)
			return r, err
		})
		if err != nil {
			return err
		}
		for _, r := range due {
			k, err := queryStrings(ctx, tx, `SELECT storage_key FROM attachments
				WHERE tenant_id = $1 AND submission_id = $2 ORDER BY storage_key COLLATE "C"`, r.tenantID, r.id)
			if err != nil {
				return err
			}
			keys = append(keys, k...)
			if _, err := tx.Exec(ctx, `DELETE FROM attachments WHERE tenant_id = $1 AND submission_id = $2`,
				r.tenantID, r.id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE submissions SET data = NULL WHERE tenant_id = $1 AND id = $2`,
				r.tenantID, r.id); err != nil {
				return err
			}
			if _, err := insertEventTx(ctx, tx, r.tenantID, r.id, now, purgeActor, purgeAction, purgeDetail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}
