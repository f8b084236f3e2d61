package store

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
	"github.com/antrag/antrag/internal/tenant"
)

// Targets lists the tenant's targets for a service (its own or a shared
// one), in order: those used for all of the tenant's submissions of the
// service that no authority has targets of its own for.
func (db *DB) Targets(ctx context.Context, tenantID, serviceID string) (_ []*delivery.Target, err error) {
	defer db.wrap(&err, "Targets(%q, %q)", tenantID, serviceID)
	return db.cachedTargets(ctx, tenantID, serviceID, "")
}

// AuthorityTargets lists the targets one of the tenant's authorities has
// for a service, in order; none when it uses the tenant's (Targets).
func (db *DB) AuthorityTargets(ctx context.Context, tenantID, serviceID, authorityID string) (_ []*delivery.Target, err error) {
	defer db.wrap(&err, "AuthorityTargets(%q, %q, %q)", tenantID, serviceID, authorityID)
	return db.cachedTargets(ctx, tenantID, serviceID, authorityID)
}

// cachedTargets is targets outside a transaction, through the lookup
// cache (they are read for every submission and every routed page).
func (db *DB) cachedTargets(ctx context.Context, tenantID, serviceID, authorityID string) ([]*delivery.Target, error) {
	return cachedLoad(ctx, db, "targets\x00"+tenantID+"\x00"+serviceID+"\x00"+authorityID, func() ([]*delivery.Target, error) {
		return db.targets(ctx, db.sql, tenantID, serviceID, authorityID)
	}, cloneList)
}

// targets lists the targets of the authority ("" for the tenant's).
func (db *DB) targets(ctx context.Context, q queryer, tenantID, serviceID, authorityID string) ([]*delivery.Target, error) {
	rows, err := db.queryOn(ctx, q, `SELECT id, tenant_id, service_id, kind, destination_id, url, secret, address
		FROM delivery_targets WHERE tenant_id = $1 AND service_id = $2 AND coalesce(authority_id, '') = $3
		ORDER BY position`, tenantID, serviceID, authorityID)
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

// SetTargets replaces the tenant's targets for a service, its own or a
// shared one (else apperr.NotFound); see delivery.Store. They must pass
// delivery.CheckTargets (apperr.Invalid); ID, TenantID and ServiceID are
// set.
func (db *DB) SetTargets(ctx context.Context, tenantID, serviceID string, targets []*delivery.Target) (err error) {
	defer db.wrap(&err, "SetTargets(%q, %q)", tenantID, serviceID)
	return db.setTargets(ctx, tenantID, serviceID, "", targets)
}

// SetAuthorityTargets replaces the targets one of the tenant's
// authorities has for a service (none: it uses the tenant's), as
// SetTargets does; an authority of another tenant is apperr.NotFound.
func (db *DB) SetAuthorityTargets(ctx context.Context, tenantID, serviceID, authorityID string, targets []*delivery.Target) (err error) {
	defer db.wrap(&err, "SetAuthorityTargets(%q, %q, %q)", tenantID, serviceID, authorityID)
	if authorityID == "" {
		return notFound("authority")
	}
	return db.setTargets(ctx, tenantID, serviceID, authorityID, targets)
}

func (db *DB) setTargets(ctx context.Context, tenantID, serviceID, authorityID string, targets []*delivery.Target) error {
	if err := delivery.CheckTargets(targets); err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := offered(ctx, tx, tenantID, serviceID); err != nil {
			return err
		}
		if authorityID != "" {
			var n int
			if err := db.txQueryRow(ctx, tx, `SELECT count(*) FROM authorities WHERE tenant_id = $1 AND id = $2`,
				tenantID, authorityID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return notFound("authority " + authorityID)
			}
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM delivery_targets
			WHERE tenant_id = $1 AND service_id = $2 AND coalesce(authority_id, '') = $3`,
			tenantID, serviceID, authorityID); err != nil {
			return err
		}
		for i, t := range targets {
			t.ID, t.TenantID, t.ServiceID = uuid.NewString(), tenantID, serviceID
			var secret []byte
			if t.Secret != "" {
				secret = db.box.Seal([]byte(t.Secret))
			}
			if _, err := db.txExec(ctx, tx, `INSERT INTO delivery_targets
				(id, tenant_id, service_id, authority_id, position, kind, destination_id, url, secret, address)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				t.ID, tenantID, serviceID, nullString(authorityID), i, string(t.Kind), t.DestinationID, t.URL, secret,
				t.Address); err != nil {
				return err
			}
		}
		return nil
	})
}

// submissionTargets returns the targets of a submission: one routed to an
// authority in antrag goes to the targets that authority has for the
// service, else, as every other, to the tenant's; see delivery.Routed for
// one routed to a FIT-Connect destination.
func (db *DB) submissionTargets(ctx context.Context, q queryer, tenantID, serviceID string, rt *tenant.Routing) ([]*delivery.Target, error) {
	var targets []*delivery.Target
	var err error
	if rt != nil && rt.AuthorityID != "" {
		if targets, err = db.targets(ctx, q, tenantID, serviceID, rt.AuthorityID); err != nil {
			return nil, err
		}
	}
	if len(targets) == 0 {
		if targets, err = db.targets(ctx, q, tenantID, serviceID, ""); err != nil {
			return nil, err
		}
	}
	return delivery.Routed(targets, rt), nil
}

// insertDeliveries stores the deliveries delivery.Plan makes for a new
// submission, in position order, and queues a job for each Pending one,
// inside tx.
func (db *DB) insertDeliveries(ctx context.Context, tx *sql.Tx, s *submission.Submission, submissionID string, received bool, at time.Time) error {
	targets, err := db.submissionTargets(ctx, tx, s.TenantID, s.ServiceID, s.Routing)
	if err != nil {
		return err
	}
	for i, d := range delivery.Plan(s.TenantID, s.ServiceID, submissionID, targets, received, at) {
		// A UUIDv7: the ids of one process increase, so that the id order
		// of a submission's deliveries is their position order, which is
		// all a schema before migration 00008 has (after a migration down
		// to it, and up again, which numbers them by id on PostgreSQL).
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		d.ID = id.String()
		target, err := json.Marshal(d.Target)
		if err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO deliveries
			(id, tenant_id, submission_id, position, kind, target, state, attempts, round, last_error, reason, remote_id,
			case_id, created_at, updated_at, next_attempt_at, done_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			d.ID, d.TenantID, d.SubmissionID, i, string(d.Target.Kind), db.box.Seal(target), string(d.State), d.Attempts,
			d.Round, d.LastError, d.Reason, d.RemoteID, d.CaseID, db.ts(d.CreatedAt), db.ts(d.UpdatedAt),
			db.optTS(d.NextAttempt), db.optTS(d.DoneAt)); err != nil {
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

const deliveryColumns = `id, tenant_id, submission_id, target, state, attempts, round, last_error, reason, remote_id, case_id,
	created_at, updated_at, next_attempt_at, done_at`

func (db *DB) scanDelivery(row scanner) (*delivery.Delivery, error) {
	d := &delivery.Delivery{}
	var target []byte
	var state string
	if err := row.Scan(&d.ID, &d.TenantID, &d.SubmissionID, &target, &state, &d.Attempts, &d.Round, &d.LastError, &d.Reason,
		&d.RemoteID, &d.CaseID, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, timeCol{&d.NextAttempt},
		timeCol{&d.DoneAt}); err != nil {
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
	defer db.wrap(&err, "Delivery(%q, %q)", tenantID, id)
	return db.scanDelivery(db.queryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

// Deliveries lists the deliveries of one of the tenant's submissions in
// the order delivery.Plan made them.
func (db *DB) Deliveries(ctx context.Context, tenantID, submissionID string) (_ []*delivery.Delivery, err error) {
	defer db.wrap(&err, "Deliveries(%q, %q)", tenantID, submissionID)
	rows, err := db.query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE tenant_id = $1 AND submission_id = $2 ORDER BY position, id`, tenantID, submissionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanDelivery)
}

// Following lists Delivered deliveries of the kind, across tenants, least
// recently checked first.
func (db *DB) Following(ctx context.Context, kind delivery.Kind, limit int) (_ []*delivery.Delivery, err error) {
	defer db.wrap(&err, "Following(%q)", kind)
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE kind = $1 AND state = $2 ORDER BY updated_at, id LIMIT $3`, string(kind), string(delivery.Delivered), limit)
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
	defer db.wrap(&err, "UpdateDelivery(%q, %q)", d.TenantID, d.ID)
	ctx, end := db.traced(ctx, "UpdateDelivery")
	defer end(&err)
	d.UpdatedAt = db.nowUTC()
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE deliveries SET state = $1, attempts = $2, last_error = $3, reason = $4,
			remote_id = $5, case_id = $6, updated_at = $7, next_attempt_at = $8, done_at = $9
			WHERE tenant_id = $10 AND id = $11 AND state = $12`,
			string(d.State), d.Attempts, d.LastError, d.Reason, d.RemoteID, d.CaseID, db.ts(d.UpdatedAt),
			db.optTS(d.NextAttempt), db.optTS(d.DoneAt), d.TenantID, d.ID, string(from))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var state string
			err := db.txQueryRow(ctx, tx, `SELECT state FROM deliveries WHERE tenant_id = $1 AND id = $2`, d.TenantID, d.ID).Scan(&state)
			if err != nil {
				return err // sql.ErrNoRows: apperr.NotFound
			}
			return fmt.Errorf("Zustellung ist inzwischen %s, nicht %s: %w", delivery.State(state).Label(), from.Label(), apperr.Conflict)
		}
		return db.insertEvent(ctx, tx, d.TenantID, d.SubmissionID, ev)
	})
}

// Redeliver puts a Failed or Rejected delivery back to Pending in its next
// round, as delivery.PlanRedelivery decides against the service's current
// targets, records ev (its detail replaced by PlanRedelivery's note, if
// any) and queues a job for the round that runs now, in one transaction.
// PlanRedelivery's errors: apperr.Conflict, delivery.ErrDataPurged
// (apperr.Gone).
func (db *DB) Redeliver(ctx context.Context, tenantID, id string, ev *submission.Event) (err error) {
	defer db.wrap(&err, "Redeliver(%q, %q)", tenantID, id)
	ctx, end := db.traced(ctx, "Redeliver")
	defer end(&err)
	var detail string
	if ev != nil {
		detail = ev.Detail
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		d, err := db.scanDelivery(db.txQueryRow(ctx, tx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE tenant_id = $1 AND id = $2`, tenantID, id))
		if err != nil {
			return err
		}
		var serviceID string
		var routing []byte
		var purged bool
		if err := db.txQueryRow(ctx, tx, `SELECT service_id, routing, data IS NULL FROM submissions
			WHERE tenant_id = $1 AND id = $2`,
			tenantID, d.SubmissionID).Scan(&serviceID, &routing, &purged); err != nil {
			return err
		}
		rt, err := db.openRouting(routing)
		if err != nil {
			return err
		}
		current, err := db.submissionTargets(ctx, tx, tenantID, serviceID, rt)
		if err != nil {
			return err
		}
		note, err := delivery.PlanRedelivery(d, current, purged, db.nowUTC())
		if err != nil {
			return err
		}
		target, err := json.Marshal(d.Target)
		if err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `UPDATE deliveries SET state = $1, round = $2, remote_id = $3, case_id = $4,
			reason = $5, target = $6, created_at = $7, updated_at = $8, next_attempt_at = $9, done_at = $10
			WHERE tenant_id = $11 AND id = $12`,
			string(d.State), d.Round, d.RemoteID, d.CaseID, d.Reason, db.box.Seal(target), db.ts(d.CreatedAt),
			db.ts(d.UpdatedAt), db.optTS(d.NextAttempt), db.optTS(d.DoneAt), tenantID, id); err != nil {
			return err
		}
		if ev != nil {
			ev.Detail = detail // a transaction tried again starts afresh
			if note != "" {
				ev.Detail = note
			}
		}
		if err := db.insertEvent(ctx, tx, tenantID, d.SubmissionID, ev); err != nil {
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
	defer db.wrap(&err, "RequeueOverdue")
	if limit <= 0 {
		limit = 500
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := db.txQuery(ctx, tx, `SELECT tenant_id, id, round FROM deliveries
			WHERE state = $1 AND next_attempt_at IS NOT NULL AND next_attempt_at < $2 ORDER BY next_attempt_at LIMIT $3`,
			string(delivery.Pending), db.ts(before), limit)
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
	defer db.wrap(&err, "DeliveryCounts(%q)", tenantID)
	rows, err := db.query(ctx, `SELECT state, count(*) FROM deliveries WHERE tenant_id = $1 GROUP BY state`, tenantID)
	if err != nil {
		return nil, err
	}
	counts, err := collectCounts(rows)
	if err != nil {
		return nil, err
	}
	out := map[delivery.State]int{}
	for state, n := range counts {
		out[delivery.State(state)] = n
	}
	return out, nil
}
