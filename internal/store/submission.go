package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
)

// Event texts of PurgeSubmissions.
const (
	purgeActor  = "System"
	purgeAction = "gelöscht"
	purgeDetail = "Antragsdaten nach Ablauf der Aufbewahrungsfrist gelöscht"
)

const submissionColumns = `id, tenant_id, service_id, form_version_id, authority_id, reference, status,
	data, data_sha256, idempotency_key, draft_id, submitted_at, updated_at, source, external_ref, sender_ref,
	request_sha256, owner, evidence, routing, payment, bill, receipt_key, receipt_fingerprint`

// submissionListColumns is submissionColumns without the data.
const submissionListColumns = `id, tenant_id, service_id, form_version_id, authority_id, reference, status,
	NULL, data_sha256, idempotency_key, draft_id, submitted_at, updated_at, source, external_ref, sender_ref,
	request_sha256, owner, evidence, routing, payment, bill, receipt_key, receipt_fingerprint`

// whereIdempotencyKey and whereExternalRef find a submission by a key of a
// partial unique index. The "<> ”" repeats the index's condition: without
// it SQLite cannot use the index for a bound parameter and reads every
// submission of the tenant, and PostgreSQL's generic plans cannot either.
const (
	whereIdempotencyKey = `tenant_id = $1 AND idempotency_key = $2 AND idempotency_key <> ''`
	whereExternalRef    = `tenant_id = $1 AND external_ref = $2 AND external_ref <> ''`
)

func (db *DB) scanSubmission(row scanner) (*submission.Submission, error) {
	s := &submission.Submission{}
	var status string
	var data, routing []byte
	var evidence, pay, bill string
	err := row.Scan(&s.ID, &s.TenantID, &s.ServiceID, strCol{&s.FormVersionID}, strCol{&s.AuthorityID},
		&s.Reference, &status, &data, &s.DataSHA256, &s.IdempotencyKey, strCol{&s.DraftID},
		timeCol{&s.SubmittedAt}, timeCol{&s.UpdatedAt}, &s.Source, &s.ExternalRef, &s.SenderRef, &s.RequestSHA256,
		&s.Owner, &evidence, &routing, &pay, &bill, &s.ReceiptKey, &s.ReceiptFingerprint)
	if err != nil {
		return nil, err
	}
	s.Payment = payment.State(pay)
	if bill != "" {
		s.Bill = &payment.Bill{}
		if err := json.Unmarshal([]byte(bill), s.Bill); err != nil {
			return nil, fmt.Errorf("submission %s: bill: %w", s.ID, err)
		}
	}
	if s.Routing, err = db.openRouting(routing); err != nil {
		return nil, fmt.Errorf("submission %s: %w", s.ID, err)
	}
	if evidence != "" {
		s.Evidence = &identity.Evidence{}
		if err := json.Unmarshal([]byte(evidence), s.Evidence); err != nil {
			return nil, fmt.Errorf("submission %s: evidence: %w", s.ID, err)
		}
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
func (db *DB) querySubmission(ctx context.Context, q queryer, where string, args ...any) (*submission.Submission, error) {
	return db.scanSubmission(db.queryRowOn(ctx, q, `SELECT `+submissionColumns+` FROM submissions WHERE `+where, args...))
}

// insertEvent records ev (nil: nothing) in the submission's audit trail,
// at ev.At (now if zero), and sets ev's ID, TenantID, SubmissionID and At.
func (db *DB) insertEvent(ctx context.Context, tx *sql.Tx, tenantID, submissionID string, ev *submission.Event) error {
	if ev == nil {
		return nil
	}
	at := db.orNow(ev.At)
	var id int64
	if err := db.txQueryRow(ctx, tx, `INSERT INTO events (tenant_id, submission_id, at, actor, action, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, tenantID, submissionID, db.ts(at), ev.Actor, ev.Action, ev.Detail).Scan(&id); err != nil {
		return err
	}
	ev.ID, ev.TenantID, ev.SubmissionID, ev.At = id, tenantID, submissionID, at
	return nil
}

// checkReference returns submission.ErrReferenceTaken when a submission of
// any tenant has the Vorgangsnummer (they are unique in the installation).
func (db *DB) checkReference(ctx context.Context, tx *sql.Tx, reference string) error {
	var n int
	if err := db.txQueryRow(ctx, tx, `SELECT count(*) FROM submissions WHERE reference = $1`, reference).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return submission.ErrReferenceTaken
	}
	return nil
}

// Submit stores s with ev in one transaction; see submission.Store. It
// sets s.ID (if empty), Status (Eingegangen if empty), SubmittedAt and
// UpdatedAt (if zero), and ev.ID, TenantID, SubmissionID and At (if zero).
// When it stores s it returns s with created true. ev is required, and
// attachmentIDs need a draft (apperr.Invalid); an attachment id that is not
// one of the draft's is apperr.NotFound; a taken Reference is
// submission.ErrReferenceTaken. The deliveries are those delivery.Plan
// makes for the service's targets.
func (db *DB) Submit(ctx context.Context, s *submission.Submission, ev *submission.Event, attachmentIDs []string) (existing *submission.Submission, created bool, orphanKeys []string, err error) {
	defer db.wrap(&err, "Submit(%q, %q)", s.TenantID, s.Reference)
	ctx, end := db.traced(ctx, "Submit")
	defer end(&err)
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
	var evidence string
	if s.Evidence != nil {
		b, err := json.Marshal(s.Evidence)
		if err != nil {
			return nil, false, nil, fmt.Errorf("evidence: %w", err)
		}
		evidence = string(b)
	}
	routing, err := db.sealRouting(s.Routing)
	if err != nil {
		return nil, false, nil, err
	}
	bill, err := billJSON(s.Bill)
	if err != nil {
		return nil, false, nil, err
	}
	id := newID(s.ID)
	submitted := db.orNow(s.SubmittedAt)
	updated := submitted
	if !s.UpdatedAt.IsZero() {
		updated = db.orNow(s.UpdatedAt)
	}

	// Once it has begun, the submission is not cut short by the caller's
	// end (a client gone away): it may share its transaction with others
	// (withGroupTx), whose work an interrupted statement would roll back.
	// Whoever asks again with the Idempotency-Key finds it.
	ctx = context.WithoutCancel(ctx)
	err = db.withGroupTx(ctx, func(tx *sql.Tx) error {
		existing, created, orphanKeys = nil, false, nil
		if s.IdempotencyKey != "" {
			old, err := db.querySubmission(ctx, tx, whereIdempotencyKey, s.TenantID, s.IdempotencyKey)
			if err == nil {
				existing = old
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if s.DraftID != "" {
			// Locked: concurrent submits of one draft queue here.
			var draftSubmission *string
			err := db.txQueryRow(ctx, tx, `SELECT submission_id FROM drafts WHERE tenant_id = $1 AND id = $2`+db.d.forUpdate(),
				s.TenantID, s.DraftID).Scan(&draftSubmission)
			if errors.Is(err, sql.ErrNoRows) {
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
		if err := db.checkReference(ctx, tx, s.Reference); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO submissions
			(id, tenant_id, service_id, form_version_id, authority_id, reference, status, data, data_sha256,
			idempotency_key, draft_id, submitted_at, updated_at, source, request_sha256, owner, evidence, routing, payment, bill)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
			id, s.TenantID, s.ServiceID, nullString(s.FormVersionID), nullString(s.AuthorityID), s.Reference,
			string(status), data, s.DataSHA256, s.IdempotencyKey, nullString(s.DraftID), db.ts(submitted), db.ts(updated),
			submission.SourceAntrag, s.RequestSHA256, s.Owner, evidence, routing, string(s.Payment), bill); err != nil {
			return err
		}

		if s.DraftID != "" {
			if _, err := db.txExec(ctx, tx,
				`UPDATE drafts SET submission_id = $1, data = NULL, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
				id, db.ts(submitted), s.TenantID, s.DraftID); err != nil {
				return err
			}
			for _, aid := range attachmentIDs {
				res, err := db.txExec(ctx, tx,
					`UPDATE attachments SET submission_id = $1, draft_id = NULL WHERE tenant_id = $2 AND id = $3 AND draft_id = $4`,
					id, s.TenantID, aid, s.DraftID)
				if err != nil {
					return err
				}
				if err := mustAffect(res, "attachment "+aid+" of the draft"); err != nil {
					return err
				}
			}
			keys, err := queryStrings(ctx, tx, `SELECT storage_key FROM attachments
				WHERE tenant_id = $1 AND draft_id = $2 ORDER BY storage_key`, s.TenantID, s.DraftID)
			if err != nil {
				return err
			}
			if _, err := db.txExec(ctx, tx, `DELETE FROM attachments WHERE tenant_id = $1 AND draft_id = $2`,
				s.TenantID, s.DraftID); err != nil {
				return err
			}
			orphanKeys = keys
		}

		if err := db.insertEvent(ctx, tx, s.TenantID, id, ev); err != nil {
			return err
		}
		if s.Payment != payment.Open { // an open payment holds the deliveries back (SaveAttempt makes them)
			if err := db.insertDeliveries(ctx, tx, s, id, false, submitted); err != nil {
				return err
			}
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
	if s.DraftID != "" {
		db.drafts.forget(s.DraftID) // its data moved to the submission
	}
	s.ID, s.Status, s.SubmittedAt, s.UpdatedAt, s.Source = id, status, submitted, updated, submission.SourceAntrag
	return s, true, orphanKeys, nil
}

// Submission returns a submission of the tenant.
func (db *DB) Submission(ctx context.Context, tenantID, id string) (_ *submission.Submission, err error) {
	defer db.wrap(&err, "Submission(%q, %q)", tenantID, id)
	return db.querySubmission(ctx, db.sql, `tenant_id = $1 AND id = $2`, tenantID, id)
}

// SubmissionByReference returns the tenant's submission with the
// Vorgangsnummer.
func (db *DB) SubmissionByReference(ctx context.Context, tenantID, reference string) (_ *submission.Submission, err error) {
	defer db.wrap(&err, "SubmissionByReference(%q, %q)", tenantID, reference)
	return db.querySubmission(ctx, db.sql, `tenant_id = $1 AND reference = $2`, tenantID, reference)
}

// SubmissionByIdempotencyKey returns the tenant's submission made with the
// JSON API idempotency key. An empty key finds nothing.
func (db *DB) SubmissionByIdempotencyKey(ctx context.Context, tenantID, key string) (_ *submission.Submission, err error) {
	defer db.wrap(&err, "SubmissionByIdempotencyKey(%q)", tenantID)
	if key == "" {
		return nil, notFound("empty idempotency key")
	}
	return db.querySubmission(ctx, db.sql, whereIdempotencyKey, tenantID, key)
}

// SubmissionByExternalRef returns the tenant's received submission with
// the external reference. An empty reference finds nothing.
func (db *DB) SubmissionByExternalRef(ctx context.Context, tenantID, ref string) (_ *submission.Submission, err error) {
	defer db.wrap(&err, "SubmissionByExternalRef(%q)", tenantID)
	if ref == "" {
		return nil, notFound("empty external reference")
	}
	return db.querySubmission(ctx, db.sql, whereExternalRef, tenantID, ref)
}

// SubmissionByDraft returns the tenant's submission made from the draft
// (also after the draft row was deleted).
func (db *DB) SubmissionByDraft(ctx context.Context, tenantID, draftID string) (_ *submission.Submission, err error) {
	defer db.wrap(&err, "SubmissionByDraft(%q, %q)", tenantID, draftID)
	return db.querySubmission(ctx, db.sql, `tenant_id = $1 AND draft_id = $2`, tenantID, draftID)
}

// DefaultLimit is the number of submissions ListSubmissions returns when
// the filter has no limit.
const DefaultLimit = 100

// ListSubmissions lists the tenant's submissions that f selects (see
// submission.Filter), newest first (submitted_at, then id, descending),
// without Data. With f.Before it reads the rows nearest the cursor in the
// opposite direction and returns them newest first.
func (db *DB) ListSubmissions(ctx context.Context, tenantID string, f submission.Filter) (_ []*submission.Submission, err error) {
	defer db.wrap(&err, "ListSubmissions(%q)", tenantID)
	if f.After != nil && f.Before != nil {
		return nil, fmt.Errorf("%w: cursors after and before", apperr.Invalid)
	}
	limit, offset := f.Limit, f.Offset
	if limit <= 0 {
		limit = DefaultLimit
	}
	if offset < 0 {
		offset = 0
	}
	where, args := db.submissionFilter(tenantID, f)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	order := ` ORDER BY submitted_at DESC, id DESC`
	if c := f.After; c != nil {
		where += ` AND (submitted_at, id) < (` + arg(db.ts(c.SubmittedAt)) + `, ` + arg(c.ID) + `)`
	}
	if c := f.Before; c != nil {
		where += ` AND (submitted_at, id) > (` + arg(db.ts(c.SubmittedAt)) + `, ` + arg(c.ID) + `)`
		order = ` ORDER BY submitted_at, id`
	}
	query := `SELECT ` + submissionListColumns + ` FROM submissions WHERE ` + where + order +
		` LIMIT ` + arg(limit) + ` OFFSET ` + arg(offset)
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, db.scanSubmission)
	if err != nil {
		return nil, err
	}
	if f.Before != nil {
		slices.Reverse(list)
	}
	return list, nil
}

// submissionFilter is the WHERE clause (without cursors) and its
// arguments, $1 the tenant, for a filter.
func (db *DB) submissionFilter(tenantID string, f submission.Filter) (string, []any) {
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := `tenant_id = $1`
	if f.Search != nil {
		where = searchClause(f.Search, arg)
	}
	if f.Status != "" {
		where += ` AND status = ` + arg(string(f.Status))
	}
	if f.ServiceID != "" {
		where += ` AND service_id = ` + arg(f.ServiceID)
	}
	if f.HasData {
		where += ` AND data IS NOT NULL`
	}
	if f.DeliveryState != "" {
		// IN, not EXISTS: SQLite then reads the few submissions of a rare
		// state through the deliveries_state index instead of testing every
		// submission of the tenant.
		where += ` AND id IN (SELECT d.submission_id FROM deliveries d WHERE d.tenant_id = $1 AND d.state = ` +
			arg(f.DeliveryState) + `)`
	}
	if f.Within != nil {
		where += withinClause(f.Within, arg)
	}
	if !f.ReceivedFrom.IsZero() {
		where += ` AND submitted_at >= ` + arg(db.ts(f.ReceivedFrom))
	}
	if !f.ReceivedBefore.IsZero() {
		where += ` AND submitted_at < ` + arg(db.ts(f.ReceivedBefore))
	}
	return where, args
}

// withinClause keeps the submissions of the authorities or services of w;
// none for an empty w.
func withinClause(w *submission.Within, arg func(any) string) string {
	var parts []string
	for _, c := range []struct {
		col string
		ids []string
	}{{"authority_id", w.AuthorityIDs}, {"service_id", w.ServiceIDs}} {
		col, ids := c.col, c.ids
		if len(ids) == 0 {
			continue
		}
		ph := make([]string, len(ids))
		for i, id := range ids {
			ph[i] = arg(id)
		}
		parts = append(parts, col+` IN (`+strings.Join(ph, ", ")+`)`)
	}
	if len(parts) == 0 {
		return ` AND 1 = 0`
	}
	return ` AND (` + strings.Join(parts, ` OR `) + `)`
}

// searchClause selects the tenant's submissions a search matches: the ids
// each alternative finds through its own index, scoped by the tenant ($1).
// It takes the place of the plain "tenant_id = $1": next to it, SQLite
// (without table statistics) would walk all of the tenant's submissions in
// the inbox order instead of looking up the few matches and sorting them.
// Each alternative repeats its partial index's condition (see
// whereExternalRef).
func searchClause(q *submission.Search, arg func(any) string) string {
	var alts []string
	if q.Reference != "" {
		alts = append(alts, `SELECT id FROM submissions WHERE tenant_id = $1 AND reference = `+arg(q.Reference))
	}
	if q.ExternalRef != "" {
		alts = append(alts, `SELECT id FROM submissions WHERE tenant_id = $1 AND external_ref = `+arg(q.ExternalRef)+
			` AND external_ref <> ''`)
	}
	for _, ref := range q.SenderRefs {
		if ref != "" {
			alts = append(alts, `SELECT id FROM submissions WHERE tenant_id = $1 AND sender_ref = `+arg(ref)+
				` AND sender_ref <> ''`)
		}
	}
	if len(alts) == 0 {
		return `tenant_id = $1 AND 1 = 0`
	}
	return `id IN (` + strings.Join(alts, ` UNION ALL `) + `)`
}

// SetStatus sets the status of one of the tenant's submissions and its
// UpdatedAt to now, and records ev (required; its ID, TenantID,
// SubmissionID and At, if zero, are set), in one transaction.
func (db *DB) SetStatus(ctx context.Context, tenantID, id string, status submission.Status, ev *submission.Event) (err error) {
	defer db.wrap(&err, "SetStatus(%q, %q, %q)", tenantID, id, status)
	if !status.Valid() {
		return fmt.Errorf("%w: status %q", apperr.Invalid, status)
	}
	if ev == nil {
		return fmt.Errorf("%w: no event", apperr.Invalid)
	}
	now := db.nowUTC()
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE submissions SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
			string(status), db.ts(now), tenantID, id)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "submission"); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, tenantID, id, ev)
	})
}

// SetReceipt records the stored receipt of a submission; see
// submission.Store. Only a submission that still has its data takes one
// (apperr.Gone otherwise), so that a receipt rendered while the data were
// purged is not kept. UpdatedAt stays: storing a receipt changes nothing
// of the application (and must not delay its purge).
func (db *DB) SetReceipt(ctx context.Context, tenantID, id, key, fingerprint string) (replaced string, err error) {
	defer db.wrap(&err, "SetReceipt(%q, %q)", tenantID, id)
	if key == "" || fingerprint == "" {
		return "", fmt.Errorf("%w: no key or fingerprint", apperr.Invalid)
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var hasData bool
		err := tx.QueryRowContext(ctx, `SELECT receipt_key, data IS NOT NULL FROM submissions WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&replaced, &hasData)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("submission: %w", apperr.NotFound)
		}
		if err != nil {
			return err
		}
		if !hasData {
			return fmt.Errorf("Antragsdaten gelöscht: %w", apperr.Gone)
		}
		_, err = tx.ExecContext(ctx, `UPDATE submissions SET receipt_key = $1, receipt_fingerprint = $2 WHERE tenant_id = $3 AND id = $4`,
			key, fingerprint, tenantID, id)
		return err
	})
	if err != nil {
		return "", err
	}
	if replaced == key {
		replaced = ""
	}
	return replaced, nil
}

// Events returns the audit trail of one of the tenant's submissions,
// oldest first. An unknown submission has none.
func (db *DB) Events(ctx context.Context, tenantID, submissionID string) (_ []*submission.Event, err error) {
	defer db.wrap(&err, "Events(%q, %q)", tenantID, submissionID)
	rows, err := db.query(ctx, `SELECT id, tenant_id, submission_id, at, actor, action, detail
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
// data, attachments and stored receipt of the submissions that are
// abgeschlossen, were last changed before the cut-off and still have data.
// Reference, hash, status and times stay. It records an event for each and
// returns the storage keys of the deleted attachments and receipts.
func (db *DB) PurgeSubmissions(ctx context.Context, before time.Time) (keys []string, err error) {
	defer db.wrap(&err, "PurgeSubmissions(%s)", before.UTC().Format(time.RFC3339))
	return db.purgeDue(ctx, purgeDetail, `SELECT tenant_id, id FROM submissions
			WHERE status = $1 AND updated_at < $2 AND data IS NOT NULL ORDER BY tenant_id, id`,
		string(submission.Abgeschlossen), db.ts(before))
}

// purgeUnpaidDetail is the event of PurgeUnpaid.
const purgeUnpaidDetail = "Antragsdaten gelöscht: die Gebühr wurde nicht bezahlt"

// PurgeUnpaid deletes the data and attachments of applications held for
// a fee (payment open) that were never paid: sent before the cut-off, with
// no attempt still asked about or paid, across all tenants. Each gets an
// event; the storage keys of the deleted attachments are returned.
func (db *DB) PurgeUnpaid(ctx context.Context, before time.Time) (keys []string, err error) {
	defer db.wrap(&err, "PurgeUnpaid(%s)", before.UTC().Format(time.RFC3339))
	return db.purgeDue(ctx, purgeUnpaidDetail, `SELECT s.tenant_id, s.id FROM submissions s
			WHERE s.payment = $1 AND s.updated_at < $2 AND s.data IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.tenant_id = s.tenant_id AND p.submission_id = s.id
				AND (p.next_check_at IS NOT NULL OR p.status = $3))
			ORDER BY s.tenant_id, s.id`,
		string(payment.Open), db.ts(before), string(payment.Payed))
}

// purgeDue deletes, in one transaction, the data, attachments and stored
// receipts of the submissions that query (with args) selects as
// (tenant_id, id) rows, and records an event with detail for each. It
// returns the storage keys of the attachments and receipts.
func (db *DB) purgeDue(ctx context.Context, detail, query string, args ...any) (keys []string, err error) {
	now := db.nowUTC()
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		keys = nil
		rows, err := db.txQuery(ctx, tx, query, args...)
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
				WHERE tenant_id = $1 AND submission_id = $2
				UNION ALL SELECT receipt_key FROM submissions
				WHERE tenant_id = $1 AND id = $2 AND receipt_key <> ''
				ORDER BY 1`, r.tenantID, r.id)
			if err != nil {
				return err
			}
			keys = append(keys, k...)
			if _, err := db.txExec(ctx, tx, `DELETE FROM attachments WHERE tenant_id = $1 AND submission_id = $2`,
				r.tenantID, r.id); err != nil {
				return err
			}
			if _, err := db.txExec(ctx, tx, `UPDATE submissions SET data = NULL, routing = NULL, receipt_key = '', receipt_fingerprint = ''
				WHERE tenant_id = $1 AND id = $2`, r.tenantID, r.id); err != nil {
				return err
			}
			ev := &submission.Event{At: now, Actor: purgeActor, Action: purgeAction, Detail: detail}
			if err := db.insertEvent(ctx, tx, r.tenantID, r.id, ev); err != nil {
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

// OwnerSubmissions lists the tenant's submissions sent by the owner
// (identity.OwnerKey), newest first, at most limit, without Data. An empty
// owner has none.
func (db *DB) OwnerSubmissions(ctx context.Context, tenantID, owner string, limit int) (_ []*submission.Submission, err error) {
	defer db.wrap(&err, "OwnerSubmissions(%q)", tenantID)
	if owner == "" {
		return nil, nil
	}
	rows, err := db.query(ctx, `SELECT `+submissionListColumns+` FROM submissions
		WHERE tenant_id = $1 AND owner = $2 AND owner <> ''
		ORDER BY submitted_at DESC, id DESC LIMIT $3`, tenantID, owner, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanSubmission)
}
