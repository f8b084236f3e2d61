package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
)

var _ payment.Store = (*DB)(nil)

const attemptColumns = `id, tenant_id, submission_id, authority_id, attempt, request_id, amount, status, transaction_id,
	transaction_reference, transaction_url, redirect_url, method, method_detail, status_detail, problem, paid_at,
	created_at, updated_at, checked_at, next_check_at, closed_at`

func scanAttempt(row scanner) (*payment.Attempt, error) {
	a := &payment.Attempt{}
	var status, method string
	var amount int64
	if err := row.Scan(&a.ID, &a.TenantID, &a.SubmissionID, &a.AuthorityID, &a.N, &a.RequestID, &amount, &status,
		&a.TransactionID, &a.TransactionReference, &a.TransactionURL, &a.RedirectURL, &method, &a.MethodDetail,
		&a.StatusDetail, &a.Problem, timeCol{&a.PaidAt}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt},
		timeCol{&a.CheckedAt}, timeCol{&a.NextCheck}, timeCol{&a.ClosedAt}); err != nil {
		return nil, err
	}
	a.Amount, a.Status, a.Method = payment.Cents(amount), payment.Status(status), payment.Method(method)
	return a, nil
}

// queryAttempts returns the tenant's attempts that cond (with $2 … for
// args) selects.
func (db *DB) queryAttempts(ctx context.Context, q queryer, tenantID, cond string, args ...any) ([]*payment.Attempt, error) {
	rows, err := db.queryOn(ctx, q, `SELECT `+attemptColumns+` FROM payments WHERE tenant_id = $1 AND `+cond,
		append([]any{tenantID}, args...)...)
	if err != nil {
		return nil, err
	}
	return scanAttempts(rows)
}

func scanAttempts(rows *sql.Rows) ([]*payment.Attempt, error) {
	defer rows.Close()
	var out []*payment.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// billJSON encodes a bill for submissions.bill ("" for none).
func billJSON(b *payment.Bill) (string, error) {
	if b == nil {
		return "", nil
	}
	j, err := json.Marshal(b)
	if err != nil {
		return "", fmt.Errorf("bill: %w", err)
	}
	return string(j), nil
}

// paymentNote records note in the submission's audit trail inside tx.
func (db *DB) paymentNote(ctx context.Context, tx *sql.Tx, a *payment.Attempt, note *payment.Note) error {
	if note == nil {
		return nil
	}
	return db.insertEvent(ctx, tx, a.TenantID, a.SubmissionID,
		&submission.Event{Actor: note.Actor, Action: note.Action, Detail: note.Detail, At: a.UpdatedAt})
}

// StartAttempt stores a new attempt; see payment.Store. The application's
// row is locked, so that two requests cannot both start one.
func (db *DB) StartAttempt(ctx context.Context, a *payment.Attempt, note *payment.Note) (err error) {
	defer db.wrap(&err, "StartAttempt(%q, %q)", a.TenantID, a.SubmissionID)
	return db.withTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := db.txQueryRow(ctx, tx, `SELECT payment FROM submissions WHERE tenant_id = $1 AND id = $2`+db.d.forUpdate(),
			a.TenantID, a.SubmissionID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("submission " + a.SubmissionID)
		}
		if err != nil {
			return err
		}
		prev, err := db.queryAttempts(ctx, tx, a.TenantID, `submission_id = $2 ORDER BY attempt`, a.SubmissionID)
		if err != nil {
			return err
		}
		for _, p := range prev {
			if p.Status == payment.Payed {
				return payment.ErrPaid
			}
			if p.Active() {
				return payment.ErrActive
			}
		}
		if payment.State(state) != payment.Open {
			return fmt.Errorf("%w: payment of the application is %q, not open", apperr.Conflict, state)
		}
		a.N = len(prev) + 1
		if _, err := db.txExec(ctx, tx, `INSERT INTO payments (`+attemptColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
			a.ID, a.TenantID, a.SubmissionID, a.AuthorityID, a.N, a.RequestID, int64(a.Amount), string(a.Status),
			a.TransactionID, a.TransactionReference, a.TransactionURL, a.RedirectURL, string(a.Method), a.MethodDetail,
			a.StatusDetail, a.Problem, db.optTS(a.PaidAt), db.ts(a.CreatedAt), db.ts(a.UpdatedAt),
			db.optTS(a.CheckedAt), db.optTS(a.NextCheck), db.optTS(a.ClosedAt)); err != nil {
			return err
		}
		return db.paymentNote(ctx, tx, a, note)
	})
}

// SaveAttempt stores an attempt's status and releases its application
// when it is paid; see payment.Store. A PAYED attempt is never changed
// back: the stored status PAYED wins over a (stale) a, whose other
// fields are then not stored.
func (db *DB) SaveAttempt(ctx context.Context, a *payment.Attempt, note *payment.Note) (released bool, err error) {
	defer db.wrap(&err, "SaveAttempt(%q, %q)", a.TenantID, a.ID)
	ctx, end := db.traced(ctx, "SaveAttempt")
	defer end(&err)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		released = false
		var state string
		err := db.txQueryRow(ctx, tx, `SELECT payment FROM submissions WHERE tenant_id = $1 AND id = $2`+db.d.forUpdate(),
			a.TenantID, a.SubmissionID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("submission " + a.SubmissionID)
		}
		if err != nil {
			return err
		}
		var stored string
		if err := db.txQueryRow(ctx, tx, `SELECT status FROM payments WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, a.ID).Scan(&stored); err != nil {
			return err
		}
		if payment.Status(stored) == payment.Payed && a.Status != payment.Payed {
			return nil // paid is final; another check recorded it first
		}
		if _, err := db.txExec(ctx, tx, `UPDATE payments SET status = $1, transaction_id = $2, transaction_reference = $3,
			transaction_url = $4, redirect_url = $5, method = $6, method_detail = $7, status_detail = $8, problem = $9,
			paid_at = $10, updated_at = $11, checked_at = $12, next_check_at = $13, closed_at = $14
			WHERE tenant_id = $15 AND id = $16`,
			string(a.Status), a.TransactionID, a.TransactionReference, a.TransactionURL, a.RedirectURL, string(a.Method),
			a.MethodDetail, a.StatusDetail, a.Problem, db.optTS(a.PaidAt), db.ts(a.UpdatedAt), db.optTS(a.CheckedAt),
			db.optTS(a.NextCheck), db.optTS(a.ClosedAt), a.TenantID, a.ID); err != nil {
			return err
		}
		if payment.Status(stored) != a.Status {
			if err := db.paymentNote(ctx, tx, a, note); err != nil {
				return err
			}
		}
		if a.Status != payment.Payed || payment.Status(stored) == payment.Payed {
			return nil
		}
		switch payment.State(state) {
		case payment.Paid:
			// Another attempt was paid already (its transaction had
			// failed, and the provider reported PAYED later): the fee is
			// paid twice, and staff refund one.
			return db.insertEvent(ctx, tx, a.TenantID, a.SubmissionID, &submission.Event{At: a.UpdatedAt, Actor: "System",
				Action: "zahlung", Detail: fmt.Sprintf("Doppelte Zahlung: Versuch %d wurde bezahlt, obwohl die Gebühr schon bezahlt war. Bitte den zu viel gezahlten Betrag erstatten.", a.N)})
		case payment.Waived:
			// Sent without online payment, then paid after all: the
			// application is delivered already; the fee must not be
			// invoiced.
			if _, err := db.txExec(ctx, tx, `UPDATE submissions SET payment = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
				string(payment.Paid), db.ts(a.UpdatedAt), a.TenantID, a.SubmissionID); err != nil {
				return err
			}
			return db.insertEvent(ctx, tx, a.TenantID, a.SubmissionID, &submission.Event{At: a.UpdatedAt, Actor: "System",
				Action: "zahlung", Detail: fmt.Sprintf("Versuch %d wurde nachträglich bezahlt; die Gebühr ist nicht mehr in Rechnung zu stellen.", a.N)})
		case payment.Open:
		default:
			return nil
		}
		if err := db.release(ctx, tx, a.TenantID, a.SubmissionID, payment.Paid, a.UpdatedAt); err != nil {
			return err
		}
		released = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return released, nil
}

// release ends the hold of an application whose payment is Open: the
// payment becomes to, and its deliveries are made and queued, inside tx.
func (db *DB) release(ctx context.Context, tx *sql.Tx, tenantID, submissionID string, to payment.State, at time.Time) error {
	s, err := db.querySubmission(ctx, tx, `tenant_id = $1 AND id = $2`, tenantID, submissionID)
	if err != nil {
		return err
	}
	res, err := db.txExec(ctx, tx, `UPDATE submissions SET payment = $1, updated_at = $2
		WHERE tenant_id = $3 AND id = $4 AND payment = $5`, string(to), db.ts(db.orNow(at)), tenantID, submissionID, string(payment.Open))
	if err != nil {
		return err
	}
	if err := mustAffect(res, "application with an open payment"); err != nil {
		return err
	}
	return db.insertDeliveries(ctx, tx, s, submissionID, false, db.orNow(at))
}

// Waive sends an application whose optional fee is not paid online to the
// authority: its payment becomes payment.Waived and its deliveries are
// made, with ev, in one transaction. Only an Open payment without an
// active or paid attempt can be waived (apperr.Conflict); the caller
// checks that the fee is optional.
func (db *DB) Waive(ctx context.Context, tenantID, submissionID string, ev *submission.Event) (err error) {
	defer db.wrap(&err, "Waive(%q, %q)", tenantID, submissionID)
	return db.withTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := db.txQueryRow(ctx, tx, `SELECT payment FROM submissions WHERE tenant_id = $1 AND id = $2`+db.d.forUpdate(),
			tenantID, submissionID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("submission " + submissionID)
		}
		if err != nil {
			return err
		}
		if payment.State(state) != payment.Open {
			return fmt.Errorf("%w: payment is %q, not open", apperr.Conflict, state)
		}
		prev, err := db.queryAttempts(ctx, tx, tenantID, `submission_id = $2`, submissionID)
		if err != nil {
			return err
		}
		for _, p := range prev {
			if p.Status == payment.Payed || p.Active() {
				return fmt.Errorf("%w: an attempt is %s", apperr.Conflict, p.Status)
			}
		}
		if err := db.insertEvent(ctx, tx, tenantID, submissionID, ev); err != nil {
			return err
		}
		return db.release(ctx, tx, tenantID, submissionID, payment.Waived, time.Time{})
	})
}

// Attempt returns one attempt of the tenant.
func (db *DB) Attempt(ctx context.Context, tenantID, id string) (_ *payment.Attempt, err error) {
	defer db.wrap(&err, "Attempt(%q, %q)", tenantID, id)
	as, err := db.queryAttempts(ctx, db.sql, tenantID, `id = $2`, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, notFound("payment attempt " + id)
	}
	return as[0], nil
}

// Attempts lists an application's attempts, oldest first.
func (db *DB) Attempts(ctx context.Context, tenantID, submissionID string) (_ []*payment.Attempt, err error) {
	defer db.wrap(&err, "Attempts(%q, %q)", tenantID, submissionID)
	return db.queryAttempts(ctx, db.sql, tenantID, `submission_id = $2 ORDER BY attempt`, submissionID)
}

// DueAttempts lists attempts of all tenants due for a check at now.
func (db *DB) DueAttempts(ctx context.Context, now time.Time, limit int) (_ []*payment.Attempt, err error) {
	defer db.wrap(&err, "DueAttempts")
	rows, err := db.query(ctx, `SELECT `+attemptColumns+` FROM payments
		WHERE next_check_at IS NOT NULL AND next_check_at <= $1 ORDER BY next_check_at, id LIMIT $2`, db.ts(now), limit)
	if err != nil {
		return nil, err
	}
	return scanAttempts(rows)
}
