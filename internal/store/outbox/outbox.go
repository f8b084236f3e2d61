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
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
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

// ReconcileArgs is the periodic pass that asks ePayment providers about
// open payment attempts (payment.Collector.Reconcile).
type ReconcileArgs struct{}

// Kind is the River job kind.
func (ReconcileArgs) Kind() string { return "antrag_reconcile" }

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
		Metadata:    traceMetadata(ctx),
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
	// Reconcile, if set, is the payment reconciliation pass, run every
	// ReconcileEvery (default 30 s; negative never) on the periodic
	// queue.
	Reconcile      func(ctx context.Context) error
	ReconcileEvery time.Duration
	// JobTimeout bounds one delivery attempt and one periodic pass
	// (default 5 min).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is
	// considered lost (its process crashed) and run again (default twice
	// JobTimeout). River looks for such jobs every 30 s. With Leases,
	// this is only the backstop.
	RescueAfter time.Duration
	// Leases, if set, lets the process beat every Lease/6; a job left
	// running by a process that has not beaten for Lease (default 20 s)
	// is run again by another, within about Lease and Lease/6 of the
	// crash. A process whose beats fail for Lease/2 cancels its running
	// jobs first (they count as interrupted, not as attempts), so that a
	// job never runs in two processes at once.
	Leases Leases
	Lease  time.Duration
	Logger *slog.Logger
}

// ProcessPrefix starts the River client id of every process that beats
// (Leases): the jobs of other clients are left to River's rescuer.
const ProcessPrefix = "antrag:"

// Leases record that a process is alive, and hand the jobs of a dead one
// to the others. Times are the database's.
type Leases interface {
	// Beat records that process is alive now.
	Beat(ctx context.Context, process string) error
	// Rescue makes the running jobs of processes (other than self, with
	// ids starting with ProcessPrefix) that have not beaten for lease
	// available to run again, and returns how many.
	Rescue(ctx context.Context, self string, lease time.Duration) (int, error)
	// End forgets process (it stopped).
	End(ctx context.Context, process string) error
}

// Queue is the running job queue of one process.
type Queue struct {
	client *river.Client[*sql.Tx]
	id     string
	leases Leases
	done   chan struct{} // closed to stop the beats
	beats  sync.WaitGroup
	ended  sync.Once
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
	if cfg.ReconcileEvery == 0 {
		cfg.ReconcileEvery = 30 * time.Second
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 5 * time.Minute
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		cfg.RescueAfter = 2 * cfg.JobTimeout
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 20 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{id: processID(), leases: cfg.Leases, done: make(chan struct{})}
	f := newFence()
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliverWorker{r: r, fence: f})
	// A pass left "running" by a crashed process blocks the next one (they
	// are unique) until it is rescued (Leases), or River rescues it
	// RescueAfter after it started: passes get the job timeout like
	// deliveries, not longer.
	river.AddWorker(workers, &periodicWorker[FollowArgs]{run: r.Follow, fence: f})
	river.AddWorker(workers, &periodicWorker[PollArgs]{run: r.Poll, fence: f})
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
	if cfg.Reconcile != nil {
		river.AddWorker(workers, &periodicWorker[ReconcileArgs]{run: cfg.Reconcile, fence: f})
		if cfg.ReconcileEvery > 0 {
			periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.ReconcileEvery),
				func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, once },
				&river.PeriodicJobOpts{ID: "reconcile", RunOnStart: true}))
		}
	}
	c, err := river.NewClient(driver, &river.Config{
		ID: q.id,
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
	q.client = c
	if q.leases != nil {
		// Alive before the first job is fetched.
		if err := q.leases.Beat(ctx, q.id); err != nil {
			return nil, fmt.Errorf("job queue: %w", err)
		}
	}
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	if q.leases != nil {
		q.beats.Add(1)
		go q.beat(context.WithoutCancel(ctx), cfg.Lease, f, cfg.Logger)
	}
	return q, nil
}

// processID is a new River client id: ProcessPrefix, host name, process
// id and a random part (a restarted process is a new one).
func processID() string {
	host, _ := os.Hostname()
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s%s:%d:%s", ProcessPrefix, host, os.Getpid(), hex.EncodeToString(b[:]))
}

// beat records every lease/6 that the process is alive, takes over the
// jobs of processes that are not, and trips the fence while its own beats
// fail for lease/2.
func (q *Queue) beat(ctx context.Context, lease time.Duration, f *fence, log *slog.Logger) {
	defer q.beats.Done()
	every := max(lease/6, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	last, fenced := time.Now(), false
	for {
		if n, err := q.rescue(ctx, lease, every); err != nil {
			log.Warn("taking over the jobs of stopped processes", "error", err.Error())
		} else if n > 0 {
			log.Warn("jobs of a stopped process taken over", "count", n)
		}
		select {
		case <-q.done:
			return
		case <-t.C:
		}
		bctx, cancel := context.WithTimeout(ctx, every)
		err := q.leases.Beat(bctx, q.id)
		cancel()
		if err == nil {
			if fenced {
				log.Warn("queue heartbeat recorded again")
			}
			last, fenced = time.Now(), false
			continue
		}
		if silent := time.Since(last); silent > lease/2 {
			// Jobs started since the last trip are cancelled too, until a
			// beat succeeds.
			f.trip()
			if !fenced {
				log.Warn("queue heartbeat failing: running jobs cancelled, they run again later",
					"silent", silent.Round(time.Millisecond).String(), "error", err.Error())
			}
			fenced = true
		}
	}
}

func (q *Queue) rescue(ctx context.Context, lease, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return q.leases.Rescue(ctx, q.id, lease)
}

// Stop lets running deliveries finish until ctx ends, then cancels them.
// A cancelled delivery is run again later (it stays queued). It may be
// called more than once.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(cctx)
	}
	if q.leases != nil {
		q.ended.Do(func() {
			close(q.done)
			q.beats.Wait()
			ectx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = errors.Join(err, q.leases.End(ectx, q.id))
		})
	}
	return err
}

// fence cancels the jobs running in this process when its heartbeat
// fails, before other processes may take them over.
type fence struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

func newFence() *fence {
	f := &fence{}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	return f
}

// trip cancels the jobs running now; later ones run under a new fence.
func (f *fence) trip() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancel()
	f.ctx, f.cancel = context.WithCancel(context.Background())
}

// join returns ctx, also cancelled when the fence trips, and a func that
// releases it.
func (f *fence) join(ctx context.Context) (context.Context, func()) {
	f.mu.Lock()
	fc := f.ctx
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(fc, cancel)
	return ctx, func() { stop(); cancel() }
}

type periodicWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run   func(ctx context.Context) error
	fence *fence
}

func (w *periodicWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error {
	ctx, done := w.fence.join(ctx)
	defer done()
	return w.run(ctx)
}

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	r     delivery.Runner
	fence *fence
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	ctx, done := w.fence.join(ctx)
	defer done()
	ctx, span := startDeliverySpan(ctx, job)
	retryIn, err := w.r.Deliver(ctx, job.Args.TenantID, job.Args.DeliveryID, job.Args.Round)
	endSpan(span, err)
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
