package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
)

var _ delivery.Store = (*DB)(nil)

// Targets lists the targets of one of the tenant's services in order.
func (db *DB) Targets(ctx context.Context, tenantID, serviceID string) (_ []*delivery.Target, err error) {
	defer wrap(&err, "Targets(%q, %q)", tenantID, serviceID)
	return db.targets(ctx, db.db, tenantID, serviceID)
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (db *DB) targets(ctx context.Context, q queryer, tenantID, serviceID string) ([]*delivery.Target, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, tenant_id, service_id, kind, destination_id, url, secret, address
		FROM delivery_targets WHERE tenant_id = ? AND service_id = ? ORDER BY position`, tenantID, serviceID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (*delivery.Target, error) {
		t := &delivery.Target{}
		var kind string
		var secret []byte
		if err := row.Scan(&t.ID, &t.TenantID, &t.ServiceID, &kind, &t.DestinationID, &t.URL, &secret, &t.Address); err != nil {
			return nil, err
		}
		t.Kind = delivery.Kind(kind)
		if secret != nil {
			plain, err := db.box.Open(secret)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", t.ID, err)
			}
			t.Secret = string(plain)
		}
		return t, nil
	})
}

// SetTargets replaces the targets of one of the tenant's services; see
// delivery.Store. Each target must Validate (apperr.Invalid), at most one
// Inbox; ID, TenantID and ServiceID are set.
func (db *DB) SetTargets(ctx context.Context, tenantID, serviceID string, targets []*delivery.Target) (err error) {
	defer wrap(&err, "SetTargets(%q, %q)", tenantID, serviceID)
	seen := map[string]bool{}
	for _, t := range targets {
		if err := t.Validate(); err != nil {
			return err
		}
		key := t.Key()
		if seen[key] {
			return fmt.Errorf("%s ist mehrfach angegeben: %w", t.String(), apperr.Invalid)
		}
		seen[key] = true
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM services WHERE tenant_id = ? AND id = ?`,
			tenantID, serviceID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("service " + serviceID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM delivery_targets WHERE tenant_id = ? AND service_id = ?`,
			tenantID, serviceID); err != nil {
			return err
		}
		for i, t := range targets {
			t.ID, t.TenantID, t.ServiceID = uuid.NewString(), tenantID, serviceID
			var secret []byte
			if t.Secret != "" {
				secret = db.box.Seal([]byte(t.Secret))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_targets
				(id, tenant_id, service_id, position, kind, destination_id, url, secret, address)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				t.ID, tenantID, serviceID, i, string(t.Kind), t.DestinationID, t.URL, secret, t.Address); err != nil {
				return err
			}
		}
		return nil
	})
}

// createDeliveries writes one delivery per target of the submission's
// service (the Inbox alone when it has none) and queues a job for each
// delivery that is not to the Inbox, inside tx. Inbox deliveries are
// written as Delivered: the submission is in the inbox once tx commits.
func (db *DB) createDeliveries(ctx context.Context, tx *sql.Tx, s *submission.Submission, submissionID string, at time.Time) error {
	targets, err := db.targets(ctx, tx, s.TenantID, s.ServiceID)
	if err != nil {
		return err
	}
	return db.insertDeliveries(ctx, tx, s, submissionID, at, targets)
}

// createReceivedDeliveries is createDeliveries for a received submission:
// its FIT-Connect targets are left out, and the Inbox is always one.
func (db *DB) createReceivedDeliveries(ctx context.Context, tx *sql.Tx, s *submission.Submission, submissionID string, at time.Time) error {
	all, err := db.targets(ctx, tx, s.TenantID, s.ServiceID)
	if err != nil {
		return err
	}
	targets := []*delivery.Target{{Kind: delivery.Inbox, TenantID: s.TenantID, ServiceID: s.ServiceID}}
	for _, t := range all {
		if t.Kind != delivery.FITConnect && t.Kind != delivery.Inbox {
			targets = append(targets, t)
		}
	}
	return db.insertDeliveries(ctx, tx, s, submissionID, at, targets)
}

func (db *DB) insertDeliveries(ctx context.Context, tx *sql.Tx, s *submission.Submission, submissionID string, at time.Time, targets []*delivery.Target) error {
	if len(targets) == 0 {
		targets = []*delivery.Target{{Kind: delivery.Inbox, TenantID: s.TenantID, ServiceID: s.ServiceID}}
	}
	for _, t := range targets {
		d := &delivery.Delivery{
			ID: uuid.NewString(), TenantID: s.TenantID, SubmissionID: submissionID, Target: *t,
			State: delivery.Pending, CreatedAt: at, UpdatedAt: at, NextAttempt: at,
		}
		if t.Kind == delivery.Inbox {
			d.State, d.NextAttempt, d.DoneAt = delivery.Delivered, time.Time{}, at
		}
		if err := db.insertDelivery(ctx, tx, d); err != nil {
			return err
		}
		if d.State == delivery.Pending {
			if _, err := db.jobs.Enqueue(ctx, tx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) insertDelivery(ctx context.Context, tx *sql.Tx, d *delivery.Delivery) error {
	target, err := json.Marshal(d.Target)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries
		(id, tenant_id, submission_id, kind, target, state, attempts, last_error, reason, remote_id, case_id,
		created_at, updated_at, next_attempt_at, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, d.SubmissionID, string(d.Target.Kind), db.box.Seal(target), string(d.State), d.Attempts,
		d.LastError, d.Reason, d.RemoteID, d.CaseID, ts(d.CreatedAt), ts(d.UpdatedAt), optTS(d.NextAttempt), optTS(d.DoneAt))
	return err
}

// optTS formats t for storage, "" for the zero time.
func optTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

// optTimeCol scans a stored time that may be "".
type optTimeCol struct{ t *time.Time }

func (c optTimeCol) Scan(src any) error {
	var s string
	if err := (strCol{&s}).Scan(src); err != nil {
		return err
	}
	if s == "" {
		*c.t = time.Time{}
		return nil
	}
	t, err := parseTS(s)
	*c.t = t
	return err
}

const deliveryColumns = `id, tenant_id, submission_id, target, state, attempts, round, last_error, reason, remote_id, case_id,
	created_at, updated_at, next_attempt_at, done_at`

func (db *DB) scanDelivery(row scanner) (*delivery.Delivery, error) {
	d := &delivery.Delivery{}
	var target []byte
	var state string
	if err := row.Scan(&d.ID, &d.TenantID, &d.SubmissionID, &target, &state, &d.Attempts, &d.Round, &d.LastError, &d.Reason,
		&d.RemoteID, &d.CaseID, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, optTimeCol{&d.NextAttempt},
		optTimeCol{&d.DoneAt}); err != nil {
		return nil, err
	}
	d.State = delivery.State(state)
	plain, err := db.box.Open(target)
	if err != nil {
		return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	if err := json.Unmarshal(plain, &d.Target); err != nil {
		return nil, fmt.Errorf("delivery %s: target: %w", d.ID, err)
	}
	return d, nil
}

// Delivery returns one of the tenant's deliveries.
func (db *DB) Delivery(ctx context.Context, tenantID, id string) (_ *delivery.Delivery, err error) {
	defer wrap(&err, "Delivery(%q, %q)", tenantID, id)
	return db.scanDelivery(db.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// Deliveries lists the deliveries of one of the tenant's submissions in
// creation order.
func (db *DB) Deliveries(ctx context.Context, tenantID, submissionID string) (_ []*delivery.Delivery, err error) {
	defer wrap(&err, "Deliveries(%q, %q)", tenantID, submissionID)
	rows, err := db.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE tenant_id = ? AND submission_id = ? ORDER BY rowid`, tenantID, submissionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanDelivery)
}

// Following lists Delivered deliveries of the kind, across tenants, least
// recently checked first.
func (db *DB) Following(ctx context.Context, kind delivery.Kind, limit int) (_ []*delivery.Delivery, err error) {
	defer wrap(&err, "Following(%q)", kind)
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE kind = ? AND state = ? ORDER BY updated_at LIMIT ?`, string(kind), string(delivery.Delivered), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanDelivery)
}

// UpdateDelivery stores the mutable fields of d (state, attempts, errors,
// remote ids, times; UpdatedAt is set to now) and ev, if not nil, in one
// transaction, if the stored state is still from (apperr.Conflict
// otherwise; apperr.NotFound for no such delivery).
func (db *DB) UpdateDelivery(ctx context.Context, d *delivery.Delivery, from delivery.State, ev *submission.Event) (err error) {
	defer wrap(&err, "UpdateDelivery(%q, %q)", d.TenantID, d.ID)
	d.UpdatedAt = db.nowUTC()
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, attempts = ?, last_error = ?, reason = ?,
			remote_id = ?, case_id = ?, updated_at = ?, next_attempt_at = ?, done_at = ?
			WHERE tenant_id = ? AND id = ? AND state = ?`,
			string(d.State), d.Attempts, d.LastError, d.Reason, d.RemoteID, d.CaseID, ts(d.UpdatedAt),
			optTS(d.NextAttempt), optTS(d.DoneAt), d.TenantID, d.ID, string(from))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var state string
			err := tx.QueryRowContext(ctx, `SELECT state FROM deliveries WHERE tenant_id = ? AND id = ?`, d.TenantID, d.ID).Scan(&state)
			if err != nil {
				return err // sql.ErrNoRows: apperr.NotFound
			}
			return fmt.Errorf("Zustellung ist inzwischen %s, nicht %s: %w", delivery.State(state).Label(), from.Label(), apperr.Conflict)
		}
		return insertEvent(ctx, tx, d.TenantID, d.SubmissionID, db.orNow(evAt(ev)), ev)
	})
}

func evAt(ev *submission.Event) time.Time {
	if ev == nil {
		return time.Time{}
	}
	return ev.At
}

// insertEvent records ev (nil: nothing) for the submission.
func insertEvent(ctx context.Context, tx *sql.Tx, tenantID, submissionID string, at time.Time, ev *submission.Event) error {
	if ev == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO events (tenant_id, submission_id, at, actor, action, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, tenantID, submissionID, ts(at), ev.Actor, ev.Action, ev.Detail)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	ev.ID, ev.TenantID, ev.SubmissionID, ev.At = id, tenantID, submissionID, at
	return nil
}

// Redeliver puts a Failed or Rejected delivery back to Pending in its next
// round (attempts and errors kept, next attempt now), records ev and queues
// a job for the round that runs now, in one transaction. Any other state is apperr.Conflict, a submission whose data
// is purged apperr.Gone. It delivers to the service's current target for
// the same place (its current secret), or, when that place is gone from the
// service's targets, to the one target of the same kind that replaced it
// (ev's detail then names both).
func (db *DB) Redeliver(ctx context.Context, tenantID, id string, ev *submission.Event) (err error) {
	defer wrap(&err, "Redeliver(%q, %q)", tenantID, id)
	now := db.nowUTC()
	return db.withTx(ctx, func(tx *sql.Tx) error {
		d, err := db.scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE tenant_id = ? AND id = ?`, tenantID, id))
		if err != nil {
			return err
		}
		if d.State != delivery.Failed && d.State != delivery.Rejected {
			return fmt.Errorf("Zustellung ist %s, nicht fehlgeschlagen oder abgelehnt: %w", d.State.Label(), apperr.Conflict)
		}
		if d.Target.Kind == delivery.Inbox {
			return fmt.Errorf("der Posteingang wird nicht erneut zugestellt: %w", apperr.Conflict)
		}
		var serviceID string
		var purged bool
		if err := tx.QueryRowContext(ctx, `SELECT service_id, data IS NULL FROM submissions WHERE tenant_id = ? AND id = ?`,
			tenantID, d.SubmissionID).Scan(&serviceID, &purged); err != nil {
			return err
		}
		if purged {
			return fmt.Errorf("die Daten des Antrags sind nach der Aufbewahrungsfrist gelöscht: %w", apperr.Gone)
		}
		// The service's targets may have changed since (a corrected
		// address): the same place is delivered with its current settings;
		// a place no longer listed goes to the one target of its kind that
		// replaced it.
		current, err := db.targets(ctx, tx, tenantID, serviceID)
		if err != nil {
			return err
		}
		if old := delivery.Retarget(d, current); old != nil && ev != nil {
			ev.Detail = d.Target.String() + " (statt " + old.String() + ")"
		}
		// A rejected FIT-Connect submission is closed at FIT-Connect: a new
		// delivery announces a new one.
		if d.State == delivery.Rejected {
			d.RemoteID, d.CaseID, d.Reason = "", "", ""
		}
		// A new round: its job is queued even while the last round's job
		// is still finishing (River records a job's end asynchronously).
		d.Round++
		target, err := json.Marshal(d.Target)
		if err != nil {
			return err
		}
		// The age limit counts from the re-delivery.
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?, round = ?, remote_id = ?, case_id = ?, reason = ?, target = ?,
			created_at = ?, updated_at = ?, next_attempt_at = ?, done_at = '' WHERE tenant_id = ? AND id = ?`,
			string(delivery.Pending), d.Round, d.RemoteID, d.CaseID, d.Reason, db.box.Seal(target), ts(now), ts(now), ts(now), tenantID, id); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, tenantID, d.SubmissionID, db.orNow(evAt(ev)), ev); err != nil {
			return err
		}
		_, err = db.jobs.Enqueue(ctx, tx, d)
		return err
	})
}

// RequeueOverdue makes a job run now for each pending delivery (up to
// limit, any tenant) whose next attempt was due before the cut-off, and
// returns how many jobs it queued. A delivery whose job still waits keeps
// that one job, moved to now (River's own backoff after store errors may
// have put it far off), and one whose job runs keeps it; one without a
// live job (River gave up on it, say) gets a new one.
func (db *DB) RequeueOverdue(ctx context.Context, before time.Time, limit int) (n int, err error) {
	defer wrap(&err, "RequeueOverdue")
	if limit <= 0 {
		limit = 500
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT tenant_id, id, round FROM deliveries
			WHERE state = ? AND next_attempt_at <> '' AND next_attempt_at < ? ORDER BY next_attempt_at LIMIT ?`,
			string(delivery.Pending), ts(before), limit)
		if err != nil {
			return err
		}
		due, err := collect(rows, func(row scanner) (*delivery.Delivery, error) {
			d := &delivery.Delivery{}
			return d, row.Scan(&d.TenantID, &d.ID, &d.Round)
		})
		if err != nil {
			return err
		}
		for _, d := range due {
			inserted, err := db.jobs.Enqueue(ctx, tx, d)
			if err != nil {
				return err
			}
			if inserted {
				n++
			}
		}
		return nil
	})
	return n, err
}

// DeliveryCounts returns, for the tenant, how many deliveries are in each
// state (for operators and tests).
func (db *DB) DeliveryCounts(ctx context.Context, tenantID string) (_ map[delivery.State]int, err error) {
	defer wrap(&err, "DeliveryCounts(%q)", tenantID)
	rows, err := db.db.QueryContext(ctx, `SELECT state, count(*) FROM deliveries WHERE tenant_id = ? GROUP BY state`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[delivery.State]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[delivery.State(s)] = n
	}
	return out, rows.Err()
}
