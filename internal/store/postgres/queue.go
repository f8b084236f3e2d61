package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/antrag/antrag/internal/delivery"
)

// The delivery jobs run on River (github.com/riverqueue/river, MPL-2.0)
// with its pgx driver: River's tables live in the same database, so a job
// is inserted in the transaction that stores the submission (the
// transactional outbox), and River's locking (SELECT … FOR UPDATE SKIP
// LOCKED) lets several processes work the queue without doing a job twice
// at the same time. New jobs are announced with LISTEN/NOTIFY.
//
// The job kinds, arguments, queues and options are those of package
// sqlite, so that both backends queue the same jobs.

// deliverArgs is the job that delivers one delivery.
type deliverArgs struct {
	TenantID   string `json:"tenant_id"`
	DeliveryID string `json:"delivery_id"`
}

func (deliverArgs) Kind() string { return "antrag_deliver" }

// followArgs is the periodic job that asks receivers for outcomes.
type followArgs struct{}

func (followArgs) Kind() string { return "antrag_follow" }

// pollArgs is the periodic job that fetches submissions for the tenants'
// FIT-Connect destinations.
type pollArgs struct{}

func (pollArgs) Kind() string { return "antrag_poll" }

// jobs inserts delivery jobs.
type jobs struct {
	client *river.Client[pgx.Tx]
}

func newJobs(pool *pgxpool.Pool) (*jobs, error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &jobs{client: c}, nil
}

func (j *jobs) enqueue(ctx context.Context, tx pgx.Tx, d *delivery.Delivery) error {
	_, err := j.enqueueNew(ctx, tx, d)
	return err
}

// enqueueNew queues a job for d unless one is live; inserted reports
// whether it queued one.
func (j *jobs) enqueueNew(ctx context.Context, tx pgx.Tx, d *delivery.Delivery) (inserted bool, err error) {
	if j == nil {
		return false, ErrNoQueue
	}
	res, err := j.client.InsertTx(ctx, tx, deliverArgs{TenantID: d.TenantID, DeliveryID: d.ID}, &river.InsertOpts{
		MaxAttempts: maxJobAttempts,
		// One live job per delivery: queueing it again while a job waits
		// or runs does nothing (see RequeueOverdue).
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates},
	})
	if err != nil {
		return false, fmt.Errorf("queue delivery %s: %w", d.ID, err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// liveStates are the states of a job that will still run.
var liveStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// maxJobAttempts bounds River's own retries of a job whose handler
// returned an unexpected error (the database was unreachable, say). An
// ordinary failed delivery does not count: the handler records it and
// snoozes the job until the next attempt.
const maxJobAttempts = 50

// QueueConfig configures RunQueue. It has the fields of
// sqlite.QueueConfig with the same meaning and defaults.
type QueueConfig struct {
	// Workers is how many deliveries run at once in this process
	// (default 4).
	Workers int
	// PollInterval is how often the queue looks for due jobs besides
	// the notifications of new ones (default 1 s).
	PollInterval time.Duration
	// FollowEvery is how often the outcomes of FIT-Connect deliveries are
	// checked (default 1 min); PollEvery how often the tenants'
	// destinations are polled for submissions (default 5 min; callbacks
	// bring them sooner). Zero means the default, negative never.
	FollowEvery, PollEvery time.Duration
	// JobTimeout bounds one delivery attempt (default 5 min).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is
	// considered lost (its process crashed) and run again (default twice
	// JobTimeout). River looks for such jobs every 30 s.
	RescueAfter time.Duration
	Logger      *slog.Logger
}

// Queue is the running job queue of one process.
type Queue struct {
	client *river.Client[pgx.Tx]
}

// RunQueue starts working the delivery jobs with r until Stop.
func (db *DB) RunQueue(ctx context.Context, r delivery.Runner, cfg QueueConfig) (*Queue, error) {
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
	river.AddWorker(workers, &periodicWorker[followArgs]{run: r.Follow})
	river.AddWorker(workers, &periodicWorker[pollArgs]{run: r.Poll})
	var periodic []*river.PeriodicJob
	// A periodic pass is queued only when none is waiting or running, and
	// passes run one at a time on their own queue, so that they never
	// overlap and never hold up deliveries.
	once := periodicOpts()
	if cfg.FollowEvery > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.FollowEvery),
			func() (river.JobArgs, *river.InsertOpts) { return followArgs{}, once },
			&river.PeriodicJobOpts{ID: "follow", RunOnStart: true}))
	}
	if cfg.PollEvery > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.PollEvery),
			func() (river.JobArgs, *river.InsertOpts) { return pollArgs{}, once },
			&river.PeriodicJobOpts{ID: "poll", RunOnStart: true}))
	}
	c, err := river.NewClient(riverpgxv5.New(db.pool), &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.Workers},
			periodicQueue:      {MaxWorkers: 1},
		},
		Workers:              workers,
		PeriodicJobs:         periodic,
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

// periodicOpts are the insert options of a follow or poll pass: one try,
// on the periodic queue, and only while no pass waits or runs.
func periodicOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: 1, Queue: periodicQueue, UniqueOpts: river.UniqueOpts{ByState: liveStates}}
}

// periodicQueue runs the follow and poll passes, one at a time.
const periodicQueue = "antrag_periodic"

type periodicWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run func(ctx context.Context) error
}

func (w *periodicWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error { return w.run(ctx) }

type deliverWorker struct {
	river.WorkerDefaults[deliverArgs]
	r delivery.Runner
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	retryIn, err := w.r.Deliver(ctx, job.Args.TenantID, job.Args.DeliveryID)
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
