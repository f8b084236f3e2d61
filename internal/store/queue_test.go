package store_test

import (
	"context"
	"log/slog"
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
