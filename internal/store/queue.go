package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/outbox"
)

// QueueConfig configures RunQueue (outbox.Config; PollOnly and Leases are
// set by the store: SQLite has no notifications).
type QueueConfig = outbox.Config

// Queue is the running job queue of one process.
type Queue = outbox.Queue

// RunQueue starts working the delivery jobs with r until Stop. River's
// tables live in the same database, so a job is inserted in the
// transaction that stores the submission, and River's locking lets several
// processes work the queue without doing a job twice at the same time.
// The process beats in queue_processes; see outbox.Leases.
func (db *DB) RunQueue(ctx context.Context, r delivery.Runner, cfg QueueConfig) (*Queue, error) {
	cfg.PollOnly = db.d.pollOnly()
	cfg.Leases = leases{db}
	return outbox.Run(ctx, db.d.riverDriver(), r, cfg)
}

// processPrefix starts the River client id of every process that beats
// (outbox.ProcessPrefix): jobs of other clients are left to River's rescuer.
const processPrefix = outbox.ProcessPrefix

// leaseSQL are a dialect's statements for leases. $1 is the process id;
// in rescue, $2 the lease in seconds.
type leaseSQL struct {
	beat   string // records that process $1 is alive now
	rescue string // makes available the running jobs of processes silent for $2 s, except $1's
	forget string // deletes processes silent for a day
}

// leases implements outbox.Leases on the database's clock.
type leases struct{ db *DB }

func (l leases) Beat(ctx context.Context, process string) (err error) {
	defer l.db.wrap(&err, "Beat")
	_, err = l.db.exec(ctx, l.db.d.leaseSQL().beat, process)
	return err
}

func (l leases) Rescue(ctx context.Context, self string, lease time.Duration) (n int, err error) {
	defer l.db.wrap(&err, "Rescue")
	q := l.db.d.leaseSQL()
	res, err := l.db.exec(ctx, q.rescue, self, lease.Seconds())
	if err != nil {
		return 0, err
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := l.db.exec(ctx, q.forget); err != nil {
		return 0, err
	}
	return int(rows), nil
}

func (l leases) End(ctx context.Context, process string) (err error) {
	defer l.db.wrap(&err, "End")
	_, err = l.db.exec(ctx, `DELETE FROM queue_processes WHERE id = $1`, process)
	return err
}

// Backlog is the work waiting at one moment, for operators: the job
// queue's unfinished jobs and the deliveries not yet made.
type Backlog struct {
	// Jobs counts River's unfinished jobs by state (available, scheduled,
	// retryable, running, pending); finished states are left out.
	Jobs map[string]int
	// OldestJobDue is how long the longest waiting job has been due
	// (available, scheduled or retryable with scheduled_at passed); 0
	// when no job is due.
	OldestJobDue time.Duration
	// PendingDeliveries counts the deliveries in state ausstehend, of all
	// tenants; OldestPending is the age of the oldest since it was
	// created with its submission, 0 when there is none.
	PendingDeliveries int
	OldestPending     time.Duration
}

// Backlog reads the backlog of all tenants in three aggregate queries.
func (db *DB) Backlog(ctx context.Context) (_ Backlog, err error) {
	defer db.wrap(&err, "Backlog")
	b := Backlog{Jobs: map[string]int{}}
	rows, err := db.rd.QueryContext(ctx, `SELECT state, count(*) FROM river_job
		WHERE state NOT IN ('completed', 'cancelled', 'discarded') GROUP BY state`)
	if err != nil {
		return b, err
	}
	if b.Jobs, err = collectCounts(rows); err != nil {
		return b, err
	}
	var due sql.NullFloat64
	if err := db.rd.QueryRowContext(ctx, `SELECT max(`+db.d.ageSeconds("scheduled_at")+`) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable')`).Scan(&due); err != nil {
		return b, err
	}
	b.OldestJobDue = seconds(due)
	var oldest sql.NullFloat64
	if err := db.rd.QueryRowContext(ctx, `SELECT count(*), max(`+db.d.ageSeconds("created_at")+`) FROM deliveries WHERE state = $1`, string(delivery.Pending)).Scan(&b.PendingDeliveries, &oldest); err != nil {
		return b, err
	}
	b.OldestPending = seconds(oldest)
	return b, nil
}

// seconds is a nullable number of seconds as a duration, 0 for NULL or
// a negative number.
func seconds(s sql.NullFloat64) time.Duration {
	if !s.Valid || s.Float64 <= 0 {
		return 0
	}
	return time.Duration(s.Float64 * float64(time.Second))
}
