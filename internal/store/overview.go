package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/overview"
)

var _ overview.Store = (*DB)(nil)

// The aggregate queries of the tenant's overview (package overview). Each
// is bounded: by hour and service, by kind and state, or by a limit; the
// day buckets in Europe/Berlin are made from the UTC hours by the caller.

// SubmissionsByHour counts the tenant's submissions of from ≤ submitted_at
// < to by service and UTC hour; see overview.Store. The service name is
// "" for a service the tenant can no longer see (another tenant's that is
// no longer shared).
func (db *DB) SubmissionsByHour(ctx context.Context, tenantID string, from, to time.Time) (_ []overview.HourCount, err error) {
	defer db.wrap(&err, "SubmissionsByHour(%q)", tenantID)
	hour := db.d.utcHour("s.submitted_at")
	rows, err := db.rd.QueryContext(ctx, `SELECT s.service_id, coalesce(v.name, ''), `+hour+`, count(*)
		FROM submissions s LEFT JOIN services v ON v.id = s.service_id AND (v.tenant_id = s.tenant_id OR v.shared)
		WHERE s.tenant_id = $1 AND s.submitted_at >= $2 AND s.submitted_at < $3
		GROUP BY s.service_id, v.name, `+hour+`
		ORDER BY 3, 1`, tenantID, db.ts(from), db.ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (overview.HourCount, error) {
		var c overview.HourCount
		var hour string
		if err := row.Scan(&c.ServiceID, &c.ServiceName, &hour, &c.Count); err != nil {
			return c, err
		}
		c.Hour, err = time.Parse("2006-01-02T15", hour)
		return c, err
	})
}

// DeliveryTallies counts the deliveries of the tenant's submissions of
// from ≤ submitted_at < to by kind, state and whether they were
// attempted; see overview.Store.
func (db *DB) DeliveryTallies(ctx context.Context, tenantID string, from, to time.Time) (_ []overview.DeliveryTally, err error) {
	defer db.wrap(&err, "DeliveryTallies(%q)", tenantID)
	rows, err := db.rd.QueryContext(ctx, `SELECT d.kind, d.state, CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END, count(*)
		FROM deliveries d JOIN submissions s ON s.tenant_id = d.tenant_id AND s.id = d.submission_id
		WHERE d.tenant_id = $1 AND s.submitted_at >= $2 AND s.submitted_at < $3
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, tenantID, db.ts(from), db.ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (overview.DeliveryTally, error) {
		var c overview.DeliveryTally
		var kind, state string
		var tried int
		err := row.Scan(&kind, &state, &tried, &c.Count)
		c.Kind, c.State, c.Tried = delivery.Kind(kind), delivery.State(state), tried == 1
		return c, err
	})
}

// DeliveryTimes lists the submission and done times of the deliveries of
// one of kinds in one of states of the tenant's submissions of from ≤
// submitted_at < to, latest submissions first, at most limit; see
// overview.Store.
func (db *DB) DeliveryTimes(ctx context.Context, tenantID string, from, to time.Time, kinds []delivery.Kind, states []delivery.State, limit int) (_ []overview.DeliveryTime, more bool, err error) {
	defer db.wrap(&err, "DeliveryTimes(%q)", tenantID)
	if len(kinds) == 0 || len(states) == 0 {
		return nil, false, nil
	}
	args := []any{tenantID, db.ts(from), db.ts(to), limit + 1}
	rows, err := db.rd.QueryContext(ctx, `SELECT d.kind, s.submitted_at, d.done_at
		FROM deliveries d JOIN submissions s ON s.tenant_id = d.tenant_id AND s.id = d.submission_id
		WHERE d.tenant_id = $1 AND s.submitted_at >= $2 AND s.submitted_at < $3 AND d.done_at IS NOT NULL
		AND d.state IN (`+placeholders(states, &args)+`) AND d.kind IN (`+placeholders(kinds, &args)+`)
		ORDER BY s.submitted_at DESC, d.id LIMIT $4`, args...)
	if err != nil {
		return nil, false, err
	}
	out, err := collect(rows, func(row scanner) (overview.DeliveryTime, error) {
		var t overview.DeliveryTime
		var kind string
		err := row.Scan(&kind, timeCol{&t.Submitted}, timeCol{&t.Done})
		t.Kind = delivery.Kind(kind)
		return t, err
	})
	if err != nil {
		return nil, false, err
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// DeliveriesInStates lists the tenant's deliveries in one of states, most
// recently changed first, at most limit, and counts them all (two
// statements: the count may include a change the list does not show);
// see overview.Store.
func (db *DB) DeliveriesInStates(ctx context.Context, tenantID string, states []delivery.State, limit int) (_ []overview.OpenDelivery, total int, err error) {
	defer db.wrap(&err, "DeliveriesInStates(%q)", tenantID)
	if len(states) == 0 {
		return nil, 0, nil
	}
	args := []any{tenantID}
	in := placeholders(states, &args)
	if err := db.rd.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE tenant_id = $1 AND state IN (`+in+`)`,
		args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	args = append(args, limit)
	rows, err := db.rd.QueryContext(ctx, `SELECT d.id, d.submission_id, s.reference, coalesce(v.name, ''), d.kind, d.state, d.attempts,
		d.last_error, s.submitted_at, d.updated_at, d.next_attempt_at
		FROM deliveries d JOIN submissions s ON s.tenant_id = d.tenant_id AND s.id = d.submission_id
		LEFT JOIN services v ON v.id = s.service_id AND (v.tenant_id = s.tenant_id OR v.shared)
		WHERE d.tenant_id = $1 AND d.state IN (`+in+`)
		ORDER BY d.updated_at DESC, d.id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := collect(rows, func(row scanner) (overview.OpenDelivery, error) {
		var o overview.OpenDelivery
		var kind, state string
		err := row.Scan(&o.ID, &o.SubmissionID, &o.Reference, &o.ServiceName, &kind, &state, &o.Attempts,
			&o.LastError, timeCol{&o.Submitted}, timeCol{&o.Updated}, timeCol{&o.NextAttempt})
		o.Kind, o.State = delivery.Kind(kind), delivery.State(state)
		return o, err
	})
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// placeholders appends the values to args and returns their placeholders
// ("$2, $3").
func placeholders[T ~string](vals []T, args *[]any) string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		*args = append(*args, string(v))
		ph[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(ph, ", ")
}
