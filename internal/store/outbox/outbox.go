// Package outbox is the job queue of the delivery outbox, shared by the
// store backends: the River (github.com/riverqueue/river, MPL-2.0) job
// kinds, their insert options, workers and periodic passes. The store
// supplies River's driver for its database (riversqlite, riverdatabasesql),
// so that a delivery job is inserted in the transaction that stores the
// submission, and River's locking lets several processes work the queue
// without running a job twice at the same time.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/antrag/antrag/internal/delivery"
)

// DeliverArgs is the job that delivers one delivery in one round
// (delivery.Delivery.Round; omitted for round 0, as jobs queued before
// rounds existed were).
type DeliverArgs struct {
	TenantID   string `json:"tenant_id"`
	DeliveryID string `json:"delivery_id"`
	Round      int    `json:"round,omitempty"`
}

// Kind is the River job kind.
func (DeliverArgs) Kind() string { return "antrag_deliver" }

// FollowArgs is the periodic pass that asks receivers for outcomes.
type FollowArgs struct{}

// Kind is the River job kind.
func (FollowArgs) Kind() string { return "antrag_follow" }

// PollArgs is the periodic pass that fetches submissions for the tenants'
// FIT-Connect destinations.
type PollArgs struct{}

// Kind is the River job kind.
func (PollArgs) Kind() string { return "antrag_poll" }

// MaxJobAttempts bounds River's own retries of a job whose handler
// returned an unexpected error (the database was unreachable, say). An
// ordinary failed delivery does not count: the handler records it and
// snoozes the job until the next attempt.
const MaxJobAttempts = 50

// liveStates are the states of a job that will still run.
var liveStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// PeriodicQueue runs the follow and poll passes, one at a time.
const PeriodicQueue = "antrag_periodic"

// PeriodicOpts are the insert options of a follow or poll pass: one try,
// on the periodic queue, and only while no pass waits or runs.
func PeriodicOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: 1, Queue: PeriodicQueue, UniqueOpts: river.UniqueOpts{ByState: liveStates}}
}

// Inserter inserts delivery jobs in the caller's transactions.
type Inserter struct {
	client *river.Client[*sql.Tx]
}

// NewInserter returns an inserter on driver (it works no jobs).
func NewInserter(driver riverdriver.Driver[*sql.Tx]) (*Inserter, error) {
	c, err := river.NewClient(driver, &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Inserter{client: c}, nil
}

// Enqueue makes a job for d's round run now, in tx: it queues one unless
// one is waiting or running for that round (one live job per delivery and
// round), and moves a waiting one (scheduled for a later attempt, or
// retrying after errors) to now; a running one is left to finish its
// attempt. inserted reports whether it queued a new job.
func (in *Inserter) Enqueue(ctx context.Context, tx *sql.Tx, d *delivery.Delivery) (inserted bool, err error) {
	if in == nil {
		return false, errors.New("no job queue")
	}
	res, err := in.client.InsertTx(ctx, tx, DeliverArgs{TenantID: d.TenantID, DeliveryID: d.ID, Round: d.Round}, &river.InsertOpts{
		MaxAttempts: MaxJobAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: liveStates},
	})
	if err != nil {
		return false, fmt.Errorf("queue delivery %s: %w", d.ID, err)
	}
	if !res.UniqueSkippedAsDuplicate {
		return true, nil
	}
	if res.Job.State != rivertype.JobStateRunning {
		if _, err := in.client.JobRetryTx(ctx, tx, res.Job.ID); err != nil {
			return false, fmt.Errorf("run job of delivery %s now: %w", d.ID, err)
		}
	}
	return false, nil
}

// Config configures Run.
type Config struct {
	// Workers is how many deliveries run at once in this process
	// (default 4).
	Workers int
	// PollInterval is how often the queue looks for due jobs (default
	// 1 s; with PollOnly the only way it learns of new ones).
	PollInterval time.Duration
	// PollOnly: the database has no notifications (SQLite).
	PollOnly bool
	// FollowEvery is how often the outcomes of FIT-Connect deliveries are
	// checked (default 1 min); PollEvery how often the tenants'
	// destinations are polled for submissions (default 5 min; callbacks
	// bring them sooner). Zero means the default, negative never.
	FollowEvery, PollEvery time.Duration
	// JobTimeout bounds one delivery attempt and one periodic pass
	// (default 5 min).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is
	// considered lost (its process crashed) and run again (default twice
	// JobTimeout). River looks for such jobs every 30 s.
	RescueAfter time.Duration
	Logger      *slog.Logger
}

// Queue is the running job queue of one process.
type Queue struct {
	client *river.Client[*sql.Tx]
}

// Run starts working the delivery jobs with r until Stop.
func Run(ctx context.Context, driver riverdriver.Driver[*sql.Tx], r delivery.Runner, cfg Config) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.FollowEvery == 0 {
		cfg.FollowEvery = time.Minute
	}
	if cfg.PollEvery == 0 {
		cfg.PollEvery = 5 * time.Minute
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 5 * time.Minute
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		cfg.RescueAfter = 2 * cfg.JobTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliverWorker{r: r})
	// A pass left "running" by a crashed process blocks the next one (they
	// are unique) until River rescues it, RescueAfter after it started:
	// passes get the job timeout like deliveries, not longer.
	river.AddWorker(workers, &periodicWorker[FollowArgs]{run: r.Follow})
	river.AddWorker(workers, &periodicWorker[PollArgs]{run: r.Poll})
	var periodic []*river.PeriodicJob
	// A periodic pass is queued only when none is waiting or running, and
	// passes run one at a time on their own queue, so that they never
	// overlap and never hold up deliveries.
	once := PeriodicOpts()
	if cfg.FollowEvery > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.FollowEvery),
			func() (river.JobArgs, *river.InsertOpts) { return FollowArgs{}, once },
			&river.PeriodicJobOpts{ID: "follow", RunOnStart: true}))
	}
	if cfg.PollEvery > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.PollEvery),
			func() (river.JobArgs, *river.InsertOpts) { return PollArgs{}, once },
			&river.PeriodicJobOpts{ID: "poll", RunOnStart: true}))
	}
	c, err := river.NewClient(driver, &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.Workers},
			PeriodicQueue:      {MaxWorkers: 1},
		},
		Workers:              workers,
		PeriodicJobs:         periodic,
		PollOnly:             cfg.PollOnly,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Logger:               cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: c}, nil
}

// Stop lets running deliveries finish until ctx ends, then cancels them.
// A cancelled delivery is run again later (it stays queued).
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return q.client.StopAndCancel(cctx)
	}
	return err
}

type periodicWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run func(ctx context.Context) error
}

func (w *periodicWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error { return w.run(ctx) }

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	r delivery.Runner
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	retryIn, err := w.r.Deliver(ctx, job.Args.TenantID, job.Args.DeliveryID, job.Args.Round)
	if err != nil {
		// Not recorded on the delivery (the store may be unreachable):
		// River retries the job with its own backoff.
		return err
	}
	if retryIn > 0 {
		return river.JobSnooze(retryIn)
	}
	return nil
}
