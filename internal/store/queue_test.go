package store_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/outbox"
	"github.com/antrag/antrag/internal/store/outbox/outboxtest"
	"github.com/antrag/antrag/internal/store/storetest"
)

// TestQueue runs the shared queue suite on every dialect: "another
// process" is a second handle on the same database (SQLite's file, or
// PostgreSQL's database).
func TestQueue(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			skipUnavailable(t, d)
			outboxtest.Run(t, queueBackend(d))
		})
	}
}

// countJobs returns the count(*) of a query on db.
func countJobs(t *testing.T, db outboxtest.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.(*store.DB).SQL().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func queueBackend(d storetest.Dialect) outboxtest.Backend {
	return outboxtest.Backend{
		New: func(t *testing.T) (outboxtest.DB, string) {
			dsn := d.NewDSN(t)
			return storetest.Open(t, dsn), dsn
		},
		Open: func(t *testing.T, dsn string) outboxtest.DB { return storetest.Open(t, dsn) },
		Run: func(ctx context.Context, db outboxtest.DB, r delivery.Runner, cfg outbox.Config) (outboxtest.Stopper, error) {
			return db.(*store.DB).RunQueue(ctx, r, cfg)
		},
		OpenJobs: func(t *testing.T, db outboxtest.DB) int {
			return countJobs(t, db, `SELECT count(*) FROM river_job WHERE kind = 'antrag_deliver' AND state <> 'completed'`)
		},
		JobsIn: func(t *testing.T, db outboxtest.DB, state string) int {
			return countJobs(t, db, `SELECT count(*) FROM river_job WHERE kind = 'antrag_deliver' AND state = $1`, state)
		},
		DropJob: func(t *testing.T, db outboxtest.DB, deliveryID string) {
			// ->> with a key reads a JSON member on both databases.
			if _, err := db.(*store.DB).SQL().Exec(`DELETE FROM river_job WHERE kind = 'antrag_deliver' AND args->>'delivery_id' = $1`, deliveryID); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// followRunner is a delivery.Runner that reports each follow pass on
// follows.
type followRunner struct{ follows chan struct{} }

func (r *followRunner) Deliver(ctx context.Context, tenantID, id string, round int) (time.Duration, error) {
	return 0, nil
}

func (r *followRunner) Follow(ctx context.Context) error {
	select {
	case r.follows <- struct{}{}:
	default:
	}
	return nil
}

func (r *followRunner) Poll(ctx context.Context) error { return nil }

// minuteAgo is the time a minute ago in River's columns.
var minuteAgo = map[string]string{
	"sqlite":   `datetime('now', '-1 minute')`,
	"postgres": `now() - interval '1 minute'`,
}

// TestQueueFollowAfterCrash: a follow pass left "running" by a process
// that died blocks the next one (passes are unique) only until River
// rescues it; then following goes on.
func TestQueueFollowAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescuer")
	}
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		jobs, err := river.NewClient(store.RiverDriver(db), &river.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		// What a killed process leaves: its pass, running since a while.
		res, err := jobs.Insert(ctx, outbox.FollowArgs{}, outbox.PeriodicOpts())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
			attempted_at = `+minuteAgo[db.Dialect()]+` WHERE id = $1`, res.Job.ID); err != nil {
			t.Fatal(err)
		}
		// It blocks a new pass.
		if again, err := jobs.Insert(ctx, outbox.FollowArgs{}, outbox.PeriodicOpts()); err != nil || !again.UniqueSkippedAsDuplicate {
			t.Fatalf("a second pass was queued beside the running one: %+v, %v", again, err)
		}
		r := &followRunner{follows: make(chan struct{}, 1)}
		q, err := db.RunQueue(ctx, r, store.QueueConfig{PollInterval: 20 * time.Millisecond, FollowEvery: 200 * time.Millisecond,
			PollEvery: -1, JobTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(sctx)
		})
		// River rescues a job running for longer than JobTimeout and a
		// margin when its rescuer next runs; the deadline is far beyond.
		select {
		case <-r.follows:
		case <-time.After(90 * time.Second):
			t.Fatal("no follow pass within 90 s after a crashed one")
		}
	})
}

// deadProcess is what a killed process leaves: a delivery job running
// since now, attempted by a client that beats no more.
var deadProcess = map[string]string{
	"sqlite":   `jsonb('["` + outbox.ProcessPrefix + `dead:1:0"]')`,
	"postgres": `ARRAY['` + outbox.ProcessPrefix + `dead:1:0']`,
}

// TestQueueTakesOverJobsOfDeadProcess: a delivery job left running by a
// process that died runs again once that process has not beaten for the
// lease, long before River's own rescue (twice the job timeout), and the
// jobs of a live process are left alone.
func TestQueueTakesOverJobsOfDeadProcess(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		tn, svc := outboxtest.WebhookService(t, db)
		dead := outboxtest.SubmitOne(t, db, tn, svc, "A-1")
		alive := outboxtest.SubmitOne(t, db, tn, svc, "A-2")
		mark := func(deliveryID, attemptedBy string) {
			t.Helper()
			if _, err := db.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
				attempted_at = `+minuteAgo[db.Dialect()]+`, attempted_by = `+attemptedBy+`
				WHERE kind = 'antrag_deliver' AND args->>'delivery_id' = $1`, deliveryID); err != nil {
				t.Fatal(err)
			}
		}
		mark(dead, deadProcess[db.Dialect()])
		// Another process that is alive: it beats (here, by hand).
		other := db.SQL()
		if _, err := other.ExecContext(ctx, `INSERT INTO queue_processes (id, seen_at) VALUES ('`+outbox.ProcessPrefix+`alive:2:0', `+
			map[string]string{"sqlite": `datetime('now', 'subsec', '+1 hour')`, "postgres": `now() + interval '1 hour'`}[db.Dialect()]+`)`); err != nil {
			t.Fatal(err)
		}
		mark(alive, strings.ReplaceAll(deadProcess[db.Dialect()], "dead:1:0", "alive:2:0"))

		calls := make(chan string, 10)
		r := &recordRunner{calls: calls}
		start := time.Now()
		q, err := db.RunQueue(ctx, r, store.QueueConfig{PollInterval: 50 * time.Millisecond, FollowEvery: -1, PollEvery: -1,
			JobTimeout: 5 * time.Minute, Lease: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(sctx)
		})
		select {
		case id := <-calls:
			if id != dead {
				t.Errorf("ran the job of delivery %s, want the dead process's %s", id, dead)
			}
			t.Logf("job of the dead process run again after %v", time.Since(start).Round(time.Millisecond))
		case <-time.After(30 * time.Second):
			t.Fatal("the job of the dead process did not run within 30 s (lease 2 s)")
		}
		// The live process's job stays with it.
		select {
		case id := <-calls:
			t.Errorf("ran the job of delivery %s of a live process", id)
		case <-time.After(3 * time.Second):
		}
	})
}

// recordRunner is a delivery.Runner that reports each Deliver call.
type recordRunner struct{ calls chan string }

func (r *recordRunner) Deliver(ctx context.Context, tenantID, id string, round int) (time.Duration, error) {
	r.calls <- id
	return 0, nil
}
func (r *recordRunner) Follow(ctx context.Context) error { return nil }
func (r *recordRunner) Poll(ctx context.Context) error   { return nil }

// blockingRunner's Deliver waits until its context ends and reports why.
type blockingRunner struct {
	started chan struct{}
	ended   chan error
}

func (r *blockingRunner) Deliver(ctx context.Context, tenantID, id string, round int) (time.Duration, error) {
	select {
	case r.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	select {
	case r.ended <- context.Cause(ctx):
	default:
	}
	return 0, ctx.Err()
}
func (r *blockingRunner) Follow(ctx context.Context) error { return nil }
func (r *blockingRunner) Poll(ctx context.Context) error   { return nil }

// TestQueueCancelsJobsWhenHeartbeatFails: a process that cannot record
// its heartbeat cancels its running jobs (as interrupted) before other
// processes take them over, so that no job runs in two at once.
func TestQueueCancelsJobsWhenHeartbeatFails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		tn, svc := outboxtest.WebhookService(t, db)
		outboxtest.SubmitOne(t, db, tn, svc, "A-1")
		r := &blockingRunner{started: make(chan struct{}, 1), ended: make(chan error, 1)}
		const lease = 3 * time.Second
		q, err := db.RunQueue(ctx, r, store.QueueConfig{PollInterval: 50 * time.Millisecond, FollowEvery: -1, PollEvery: -1,
			JobTimeout: 5 * time.Minute, Lease: lease})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(sctx)
		})
		select {
		case <-r.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the job did not start")
		}
		// The heartbeat's table is gone: every beat fails from now on.
		if _, err := db.SQL().ExecContext(ctx, `DROP TABLE queue_processes`); err != nil {
			t.Fatal(err)
		}
		dropped := time.Now()
		select {
		case err := <-r.ended:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("the job ended with %v, want cancelled", err)
			}
			if d := time.Since(dropped); d > lease {
				t.Errorf("cancelled %v after the beats began to fail, want before the lease (%v) ends", d, lease)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the job was not cancelled while the heartbeat failed")
		}
	})
}
