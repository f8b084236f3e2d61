// Package outboxtest is the one test suite of the delivery job queue that
// every store backend must pass (see package outbox): retries and snoozes,
// errors, survival of a restart, two processes on one database each job
// once, the periodic passes, and re-queueing of lost jobs. A backend's test
// calls Run with a Backend.
package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/store/outbox"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// callLog records the Deliver calls of one or more fake runners.
type callLog struct {
	mu       sync.Mutex
	calls    map[string]int    // delivery id → calls
	tenants  map[string]string // delivery id → tenant id of the call
	rounds   map[string][]int  // delivery id → round of each call
	problems []string
}

func newCallLog() *callLog {
	return &callLog{calls: map[string]int{}, tenants: map[string]string{}, rounds: map[string][]int{}}
}

// add records a call and returns its number for the delivery (1 for the
// first).
func (l *callLog) add(tenantID, id string, round int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[id]++
	l.rounds[id] = append(l.rounds[id], round)
	if old, ok := l.tenants[id]; ok && old != tenantID {
		l.problems = append(l.problems, fmt.Sprintf("delivery %s called with tenants %s and %s", id, old, tenantID))
	}
	l.tenants[id] = tenantID
	return l.calls[id]
}

func (l *callLog) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// roundsOf returns the round of each call for the delivery, in order.
func (l *callLog) roundsOf(id string) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.rounds[id]...)
}

func (l *callLog) count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[id]
}

// distinct is the number of deliveries called at least once.
func (l *callLog) distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func (l *callLog) snapshot() (calls map[string]int, tenants map[string]string, problems []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	calls, tenants = map[string]int{}, map[string]string{}
	for k, v := range l.calls {
		calls[k] = v
	}
	for k, v := range l.tenants {
		tenants[k] = v
	}
	return calls, tenants, append([]string(nil), l.problems...)
}

// fakeRunner is a delivery.Runner that records its calls.
type fakeRunner struct {
	// db, if set, is read by Deliver (as the real worker does), so that a
	// queue that held all of the database's connections (SQLite has one)
	// while working a job would stall.
	db    DB
	log   *callLog
	sleep time.Duration
	// result returns what the n-th call (1 for the first) for the
	// delivery returns; nil means (0, nil).
	result func(id string, n int) (time.Duration, error)

	follows, polls atomic.Int64
	delivered      atomic.Int64 // Deliver calls
}

var _ delivery.Runner = (*fakeRunner)(nil)

func (r *fakeRunner) Deliver(ctx context.Context, tenantID, id string, round int) (time.Duration, error) {
	if r.db != nil {
		d, err := r.db.Delivery(ctx, tenantID, id)
		switch {
		case err != nil:
			r.log.problem("Deliver(%s, %s): Delivery: %v", tenantID, id, err)
		case d.Target.Kind == delivery.Inbox:
			r.log.problem("Deliver(%s, %s) for an inbox delivery", tenantID, id)
		}
	}
	n := r.log.add(tenantID, id, round)
	r.delivered.Add(1)
	if r.sleep > 0 {
		select {
		case <-time.After(r.sleep):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if r.result != nil {
		return r.result(id, n)
	}
	return 0, nil
}

func (r *fakeRunner) Follow(ctx context.Context) error {
	r.follows.Add(1)
	return nil
}

func (r *fakeRunner) Poll(ctx context.Context) error {
	r.polls.Add(1)
	return nil
}

// waitDeadline bounds every wait of the suite: far more than any event
// takes, even on a loaded machine; waits end as soon as the event comes.
const waitDeadline = 60 * time.Second

// waitFor polls cond every 20 ms until it holds, and fails the test after
// waitDeadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queueConfig is a quick queue for tests; Follow and Poll never run.
func queueConfig() outbox.Config {
	return outbox.Config{PollInterval: 20 * time.Millisecond, FollowEvery: -1, PollEvery: -1}
}

// startQueue runs the queue of db with r and stops it at the end of the
// test (before the database is closed, if db was opened before). The
// returned stop stops it earlier; it may be called more than once.
func (b Backend) startQueue(t *testing.T, db DB, r delivery.Runner, cfg outbox.Config) (stop func() error) {
	t.Helper()
	q, err := b.Run(context.Background(), db, r, cfg)
	if err != nil {
		t.Fatalf("RunQueue: %v", err)
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stopErr = q.Stop(ctx)
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return stop
}

// webhookService creates a tenant with a service whose one target is a
// webhook.
func webhookService(t *testing.T, db DB) (*tenant.Tenant, *tenant.Service) {
	t.Helper()
	ctx := context.Background()
	tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	svc := &tenant.Service{TenantID: tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken"}
	must(t, db.CreateService(ctx, svc))
	must(t, db.SetTargets(ctx, tn.ID, svc.ID, []*delivery.Target{{
		Kind: delivery.Webhook, URL: "https://fachverfahren.example.org/hook", Secret: delivery.NewWebhookSecret(),
	}}))
	return tn, svc
}

// submitOne submits to the service and returns the id of its one
// (webhook) delivery.
func submitOne(t *testing.T, db DB, tn *tenant.Tenant, svc *tenant.Service, reference string) string {
	t.Helper()
	ctx := context.Background()
	s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: reference, Data: []byte(`{"a":1}`)}
	_, created, _, err := db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	must(t, err)
	if !created {
		t.Fatalf("Submit(%s): created = false", reference)
	}
	ds, err := db.Deliveries(ctx, tn.ID, s.ID)
	must(t, err)
	if len(ds) != 1 || ds[0].Target.Kind != delivery.Webhook || ds[0].State != delivery.Pending {
		t.Fatalf("Submit(%s): deliveries %s, want one pending webhook delivery", reference, deliverytest.Format(ds))
	}
	return ds[0].ID
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func noProblems(t *testing.T, l *callLog) {
	t.Helper()
	_, _, problems := l.snapshot()
	for _, p := range problems {
		t.Error(p)
	}
}

func (b Backend) testQueueDeliverRetryIn(t *testing.T) {
	db := b.newDB(t)
	tn, svc := webhookService(t, db)
	log := newCallLog()
	r := &fakeRunner{db: db, log: log, result: func(_ string, n int) (time.Duration, error) {
		if n <= 2 {
			return 50 * time.Millisecond, nil
		}
		return 0, nil
	}}
	stop := b.startQueue(t, db, r, queueConfig())
	id := submitOne(t, db, tn, svc, "R-1")

	waitFor(t, "three Deliver calls and the job completed", func() bool {
		return log.count(id) >= 3 && b.OpenJobs(t, db) == 0
	})
	if err := stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	calls, tenants, _ := log.snapshot()
	if calls[id] != 3 || len(calls) != 1 {
		t.Errorf("Deliver calls = %v, want 3 for %s only", calls, id)
	}
	if tenants[id] != tn.ID {
		t.Errorf("Deliver tenant = %q, want %q", tenants[id], tn.ID)
	}
	noProblems(t, log)
}

func (b Backend) testQueueDeliverError(t *testing.T) {
	db := b.newDB(t)
	tn, svc := webhookService(t, db)
	log := newCallLog()
	r := &fakeRunner{db: db, log: log, result: func(_ string, n int) (time.Duration, error) {
		if n == 1 {
			return 0, errors.New("database unreachable")
		}
		return 0, nil
	}}
	b.startQueue(t, db, r, queueConfig())
	id := submitOne(t, db, tn, svc, "R-1")
	waitFor(t, "Deliver retried after an error", func() bool { return log.count(id) >= 2 })
	waitFor(t, "the job completed", func() bool { return b.OpenJobs(t, db) == 0 })
	noProblems(t, log)
}

func (b Backend) testQueueSurvivesRestart(t *testing.T) {
	db, name := b.New(t)
	tn, svc := webhookService(t, db)
	id := submitOne(t, db, tn, svc, "R-1")
	must(t, db.Close())

	db = b.Open(t, name)
	log := newCallLog()
	b.startQueue(t, db, &fakeRunner{db: db, log: log}, queueConfig())
	waitFor(t, "Deliver after the restart", func() bool { return log.count(id) >= 1 })
	_, tenants, _ := log.snapshot()
	if tenants[id] != tn.ID {
		t.Errorf("Deliver tenant = %q, want %q", tenants[id], tn.ID)
	}
	noProblems(t, log)
}

// testQueueTwoProcesses works one database with two handles, as two
// processes would: each delivery is delivered once.
func (b Backend) testQueueTwoProcesses(t *testing.T) {
	db1, name := b.New(t)
	db2 := b.Open(t, name)
	tn, svc := webhookService(t, db1)
	log := newCallLog()
	cfg := queueConfig()
	cfg.Workers = 4
	r1 := &fakeRunner{db: db1, log: log, sleep: 5 * time.Millisecond}
	r2 := &fakeRunner{db: db2, log: log, sleep: 5 * time.Millisecond}
	stop1 := b.startQueue(t, db1, r1, cfg)
	stop2 := b.startQueue(t, db2, r2, cfg)

	const n = 50
	want := map[string]bool{}
	for i := range n {
		db := db1
		if i%2 == 1 {
			db = db2
		}
		want[submitOne(t, db, tn, svc, fmt.Sprintf("R-%02d", i))] = true
	}
	waitFor(t, "all deliveries called and their jobs completed", func() bool {
		return log.distinct() >= n && b.OpenJobs(t, db1) == 0
	})
	if err := stop1(); err != nil {
		t.Errorf("Stop 1: %v", err)
	}
	if err := stop2(); err != nil {
		t.Errorf("Stop 2: %v", err)
	}
	calls, tenants, _ := log.snapshot()
	t.Logf("Deliver calls per process: %d, %d", r1.delivered.Load(), r2.delivered.Load())
	for id := range want {
		if calls[id] != 1 {
			t.Errorf("delivery %s delivered %d times, want once", id, calls[id])
		}
		if tenants[id] != tn.ID {
			t.Errorf("delivery %s: tenant %q, want %q", id, tenants[id], tn.ID)
		}
	}
	for id := range calls {
		if !want[id] {
			t.Errorf("Deliver called for unknown delivery %s", id)
		}
	}
	noProblems(t, log)
}

func (b Backend) testQueueFollowAndPoll(t *testing.T) {
	db := b.newDB(t)
	r := &fakeRunner{log: newCallLog()}
	cfg := queueConfig()
	cfg.FollowEvery, cfg.PollEvery = 100*time.Millisecond, 100*time.Millisecond
	b.startQueue(t, db, r, cfg)
	waitFor(t, "Follow and Poll called repeatedly", func() bool {
		return r.follows.Load() >= 2 && r.polls.Load() >= 2
	})
}

// testQueueNoFollowOrPoll checks that negative intervals turn the periodic
// jobs off, while deliveries still run.
func (b Backend) testQueueNoFollowOrPoll(t *testing.T) {
	db := b.newDB(t)
	tn, svc := webhookService(t, db)
	log := newCallLog()
	r := &fakeRunner{db: db, log: log}
	stop := b.startQueue(t, db, r, queueConfig())
	id := submitOne(t, db, tn, svc, "R-1")
	waitFor(t, "Deliver", func() bool { return log.count(id) >= 1 })
	must(t, stop())
	if f, p := r.follows.Load(), r.polls.Load(); f != 0 || p != 0 {
		t.Errorf("Follow called %d times, Poll %d times, want never", f, p)
	}
	noProblems(t, log)
}

// testRequeueOverdue: a pending delivery whose job is gone gets a new one;
// one whose job is still waiting does not get a second.
func (b Backend) testRequeueOverdue(t *testing.T) {
	ctx := context.Background()
	db := b.newDB(t)
	tn, svc := webhookService(t, db)
	lost := submitOne(t, db, tn, svc, "R-1")
	kept := submitOne(t, db, tn, svc, "R-2")
	later := time.Now().Add(time.Hour)
	// With both jobs waiting, nothing is queued again.
	n, err := db.RequeueOverdue(ctx, later, 0)
	must(t, err)
	if n != 0 || b.OpenJobs(t, db) != 2 {
		t.Fatalf("requeued %d with live jobs (open jobs %d), want 0 (2)", n, b.OpenJobs(t, db))
	}
	// The job of one delivery is lost.
	b.DropJob(t, db, lost)
	if b.OpenJobs(t, db) != 1 {
		t.Fatalf("open jobs after deleting one: %d", b.OpenJobs(t, db))
	}
	// Not yet overdue: nothing happens.
	if n, err := db.RequeueOverdue(ctx, time.Now().Add(-time.Hour), 0); err != nil || n != 0 {
		t.Fatalf("before due: %d, %v", n, err)
	}
	n, err = db.RequeueOverdue(ctx, later, 0)
	must(t, err)
	if n != 1 || b.OpenJobs(t, db) != 2 {
		t.Fatalf("requeued %d (open jobs %d), want 1 (2)", n, b.OpenJobs(t, db))
	}
	log := newCallLog()
	b.startQueue(t, db, &fakeRunner{db: db, log: log}, queueConfig())
	waitFor(t, "both delivered", func() bool { return log.count(lost) == 1 && log.count(kept) == 1 })
	noProblems(t, log)
}

// testRedeliverWhileJobFinishes: staff deliver again a delivery whose job
// has recorded a permanent failure but is not yet done in the queue (River
// completes jobs asynchronously, here held up on purpose); the re-delivery
// runs at once, not when the first job's completion lands or a later pass
// finds it.
func (b Backend) testRedeliverWhileJobFinishes(t *testing.T) {
	ctx := context.Background()
	db := b.newDB(t)
	tn, svc := webhookService(t, db)
	log := newCallLog()
	failed, release := make(chan struct{}), make(chan struct{})
	r := &fakeRunner{db: db, log: log, result: func(id string, n int) (time.Duration, error) {
		if n > 1 {
			return 0, nil
		}
		// Record the failure as the worker does, then hold the job.
		d, err := db.Delivery(ctx, tn.ID, id)
		if err != nil {
			return 0, err
		}
		d.Attempts++
		d.State, d.LastError, d.NextAttempt, d.DoneAt = delivery.Failed, "destination-not-found", time.Time{}, time.Now()
		if err := db.UpdateDelivery(ctx, d, delivery.Pending, nil); err != nil {
			return 0, err
		}
		close(failed)
		<-release
		return 0, nil
	}}
	b.startQueue(t, db, r, queueConfig())
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the queue stops
	id := submitOne(t, db, tn, svc, "R-1")
	select {
	case <-failed:
	case <-time.After(waitDeadline):
		t.Fatalf("the first attempt did not run within %v", waitDeadline)
	}
	must(t, db.Redeliver(ctx, tn.ID, id, &submission.Event{Actor: "Sachbearbeitung", Action: "erneut zustellen"}))
	waitFor(t, "the re-delivery to run while the first job is still finishing", func() bool { return log.count(id) >= 2 })
	free()
	waitFor(t, "all jobs done", func() bool { return b.OpenJobs(t, db) == 0 })
	if rounds := log.roundsOf(id); len(rounds) != 2 || rounds[0] != 0 || rounds[1] != 1 {
		t.Errorf("Deliver called for rounds %v, want [0 1]", rounds)
	}
	d, err := db.Delivery(ctx, tn.ID, id)
	must(t, err)
	if d.State != delivery.Pending || d.Round != 1 || d.Attempts != 1 {
		t.Errorf("after the re-delivery: state %s, round %d, attempts %d; want %s, 1, 1", d.State, d.Round, d.Attempts, delivery.Pending)
	}
	noProblems(t, log)
}

// testRequeueRunsWaitingJobNow: a pending delivery that is overdue while
// its job waits for a later time (River's own backoff after store errors,
// say) is run now, by its existing job.
func (b Backend) testRequeueRunsWaitingJobNow(t *testing.T) {
	ctx := context.Background()
	db := b.newDB(t)
	tn, svc := webhookService(t, db)
	log := newCallLog()
	r := &fakeRunner{db: db, log: log, result: func(_ string, n int) (time.Duration, error) {
		if n == 1 {
			return time.Hour, nil // snoozed far beyond the test
		}
		return 0, nil
	}}
	b.startQueue(t, db, r, queueConfig())
	id := submitOne(t, db, tn, svc, "R-1")
	waitFor(t, "the first attempt", func() bool { return log.count(id) == 1 })
	waitFor(t, "the job to wait for its next attempt", func() bool { return b.JobsIn(t, db, "scheduled") == 1 })
	n, err := db.RequeueOverdue(ctx, time.Now().Add(2*time.Hour), 0)
	must(t, err)
	if n != 0 {
		t.Errorf("RequeueOverdue queued %d new jobs, want 0 (the waiting one runs)", n)
	}
	waitFor(t, "the waiting job to run now", func() bool { return log.count(id) >= 2 })
	waitFor(t, "all jobs done", func() bool { return b.OpenJobs(t, db) == 0 })
	if n := log.count(id); n != 2 {
		t.Errorf("Deliver called %d times, want 2", n)
	}
	noProblems(t, log)
}

// DB is a store backend as the suite uses it.
type DB interface {
	tenant.Store
	submission.Store
	delivery.Store
	Close() error
}

// Stopper is a running queue.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Backend opens the databases of one store backend for the suite.
type Backend struct {
	// New opens a new, empty database and returns it with a name that
	// Open takes; the database is closed at the end of the test (closing
	// it earlier is allowed).
	New func(t *testing.T) (DB, string)
	// Open opens the named database again, as another process would.
	Open func(t *testing.T, name string) DB
	// Run starts the queue of db (db's RunQueue).
	Run func(ctx context.Context, db DB, r delivery.Runner, cfg outbox.Config) (Stopper, error)
	// OpenJobs counts the delivery jobs River has not completed yet.
	OpenJobs func(t *testing.T, db DB) int
	// JobsIn counts the delivery jobs in one of River's states
	// ("scheduled", "running", …).
	JobsIn func(t *testing.T, db DB, state string) int
	// DropJob deletes the job of a delivery, as if River had lost it.
	DropJob func(t *testing.T, db DB, deliveryID string)
}

func (b Backend) newDB(t *testing.T) DB {
	db, _ := b.New(t)
	return db
}

// Run runs the suite.
func Run(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"DeliverRetryIn", b.testQueueDeliverRetryIn},
		{"DeliverError", b.testQueueDeliverError},
		{"SurvivesRestart", b.testQueueSurvivesRestart},
		{"TwoProcesses", b.testQueueTwoProcesses},
		{"FollowAndPoll", b.testQueueFollowAndPoll},
		{"NoFollowOrPoll", b.testQueueNoFollowOrPoll},
		{"RequeueOverdue", b.testRequeueOverdue},
		{"RedeliverWhileJobFinishes", b.testRedeliverWhileJobFinishes},
		{"RequeueRunsWaitingJobNow", b.testRequeueRunsWaitingJobNow},
	} {
		t.Run(tc.name, tc.fn)
	}
}

// WebhookService creates a tenant with a service whose one target is a
// webhook (for a backend's own queue tests).
func WebhookService(t *testing.T, db DB) (*tenant.Tenant, *tenant.Service) {
	return webhookService(t, db)
}

// SubmitOne submits to the service and returns the id of its one webhook
// delivery, whose job is queued.
func SubmitOne(t *testing.T, db DB, tn *tenant.Tenant, svc *tenant.Service, reference string) string {
	return submitOne(t, db, tn, svc, reference)
}
