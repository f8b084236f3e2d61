package store

import (
	"context"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/outbox"
)

// QueueConfig configures RunQueue (outbox.Config; PollOnly is set by the
// database: SQLite has no notifications).
type QueueConfig = outbox.Config

// Queue is the running job queue of one process.
type Queue = outbox.Queue

// RunQueue starts working the delivery jobs with r until Stop. River's
// tables live in the same database, so a job is inserted in the
// transaction that stores the submission, and River's locking lets several
// processes work the queue without doing a job twice at the same time.
func (db *DB) RunQueue(ctx context.Context, r delivery.Runner, cfg QueueConfig) (*Queue, error) {
	cfg.PollOnly = db.d.pollOnly()
	return outbox.Run(ctx, db.d.riverDriver(), r, cfg)
}
