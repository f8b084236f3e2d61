package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/outbox"
)

// The delivery jobs run on River with its SQLite driver (package outbox):
// River's tables live in the same database file, so a job is inserted in
// the transaction that stores the submission, and River's locking lets
// several processes that share the file work the queue without doing a
// job twice at the same time. SQLite has no notifications: the queue
// polls.

// jobs inserts delivery jobs in the store's transactions.
type jobs = outbox.Inserter[*sql.Tx]

func newJobs(db *sql.DB) (*jobs, error) { return outbox.NewInserter(riversqlite.New(db)) }

func riverMigrator(db *sql.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	return m, nil
}

// migrateRiver creates or upgrades River's tables.
func migrateRiver(ctx context.Context, db *sql.DB) error {
	m, err := riverMigrator(db)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// QueueConfig configures RunQueue (outbox.Config; PollOnly is set).
type QueueConfig = outbox.Config

// Queue is the running job queue of one process.
type Queue = outbox.Queue[*sql.Tx]

// RunQueue starts working the delivery jobs with r until Stop.
func (db *DB) RunQueue(ctx context.Context, r delivery.Runner, cfg QueueConfig) (*Queue, error) {
	cfg.PollOnly = true
	return outbox.Run(ctx, riversqlite.New(db.db), r, cfg)
}
