package postgres

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/outbox"
	"github.com/antrag/antrag/internal/store/postgres/pgtest"
)

type countingRunner struct{ follows atomic.Int64 }

func (r *countingRunner) Deliver(ctx context.Context, tenantID, id string, round int) (time.Duration, error) {
	return 0, nil
}
func (r *countingRunner) Follow(ctx context.Context) error { r.follows.Add(1); return nil }
func (r *countingRunner) Poll(ctx context.Context) error   { return nil }

// TestQueueFollowAfterCrash: a follow pass left "running" by a process
// that died blocks the next one (passes are unique) only until River
// rescues it; then following goes on.
func TestQueueFollowAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescuer")
	}
	ctx := context.Background()
	box, err := sealed.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, pgtest.NewDatabase(t), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// What a killed process leaves: its pass, running since a while.
	res, err := db.jobs.Client.Insert(ctx, outbox.FollowArgs{}, outbox.PeriodicOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = now() - interval '1 minute' WHERE id = $1`, res.Job.ID); err != nil {
		t.Fatal(err)
	}
	// It blocks a new pass.
	if again, err := db.jobs.Client.Insert(ctx, outbox.FollowArgs{}, outbox.PeriodicOpts()); err != nil || !again.UniqueSkippedAsDuplicate {
		t.Fatalf("a second pass was queued beside the running one: %+v, %v", again, err)
	}
	r := &countingRunner{}
	q, err := db.RunQueue(ctx, r, QueueConfig{PollInterval: 20 * time.Millisecond, FollowEvery: 200 * time.Millisecond,
		PollEvery: -1, JobTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(sctx)
	})
	deadline := time.Now().Add(90 * time.Second)
	for r.follows.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no follow pass within 90 s after a crashed one")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
