package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/outbox"
)

// The delivery jobs run on River with its pgx driver (package outbox, the
// same job kinds and options as on SQLite): River's tables live in the same
// database, so a job is inserted in the transaction that stores the
// submission, and River's locking (SELECT … FOR UPDATE SKIP LOCKED) lets
// several processes work the queue without doing a job twice at the same
// time. New jobs are announced with LISTEN/NOTIFY.

// jobs inserts delivery jobs in the store's transactions.
type jobs = outbox.Inserter[pgx.Tx]

func newJobs(pool *pgxpool.Pool) (*jobs, error) { return outbox.NewInserter(riverpgxv5.New(pool)) }

// QueueConfig configures RunQueue (outbox.Config).
type QueueConfig = outbox.Config

// Queue is the running job queue of one process.
type Queue = outbox.Queue[pgx.Tx]

// RunQueue starts working the delivery jobs with r until Stop.
func (db *DB) RunQueue(ctx context.Context, r delivery.Runner, cfg QueueConfig) (*Queue, error) {
	return outbox.Run(ctx, riverpgxv5.New(db.pool), r, cfg)
}
