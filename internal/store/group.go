package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commit (SQLite): a commit of SQLite in WAL mode with
// synchronous=FULL waits for the disk, and while it waits the one writer
// connection can do nothing else; on a virtual disk the wait was three
// quarters of a submission's time on the connection. withGroupTx lets
// concurrent use cases share one transaction and one commit: each runs in
// a savepoint of its own, so that one that fails is rolled back alone, and
// each caller returns only after the commit that holds its work, with the
// commit's error if it fails. A use case waits for no one: the group is
// whoever queued while the previous commit ran, and a lone caller commits
// alone. PostgreSQL, with many connections and its own group commit,
// runs each use case in its own transaction (withTx).

// maxGroup bounds the use cases of one group commit.
const maxGroup = 64

// groupJob is a use case waiting for a group commit.
type groupJob struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// groupCommitter runs the group commits of a database.
type groupCommitter struct {
	once   sync.Once
	halt   sync.Once
	jobs   chan *groupJob
	stop   chan struct{}
	exited chan struct{} // closed when runGroups has returned
}

// withGroupTx runs fn as withTx does, in a group commit where the dialect
// has them (dialect.groupCommit).
func (db *DB) withGroupTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if !db.d.groupCommit() {
		return db.withTx(ctx, fn)
	}
	g := &db.group
	g.once.Do(func() {
		g.jobs = make(chan *groupJob, maxGroup)
		g.stop = make(chan struct{})
		g.exited = make(chan struct{})
		go db.runGroups()
	})
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case g.jobs <- j:
	case <-g.stop:
		return fmt.Errorf("group commit: %w", sql.ErrConnDone)
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the job's outcome is the commit's: wait for it even if
	// ctx ends meanwhile, so that a caller never reports a failure for
	// work that was committed. A job queued as the committer stopped is
	// never run.
	select {
	case err := <-j.done:
		return err
	case <-g.exited:
		select {
		case err := <-j.done:
			return err
		default:
			return fmt.Errorf("group commit: %w", sql.ErrConnDone)
		}
	}
}

// runGroups commits the queued use cases, a group at a time, until the
// committer stops.
func (db *DB) runGroups() {
	g := &db.group
	defer close(g.exited)
	for {
		var first *groupJob
		select {
		case first = <-g.jobs:
		case <-g.stop:
			// Answer what is still queued.
			for {
				select {
				case j := <-g.jobs:
					j.done <- fmt.Errorf("group commit: %w", sql.ErrConnDone)
				default:
					return
				}
			}
		}
		group := []*groupJob{first}
	more:
		for len(group) < maxGroup {
			select {
			case j := <-g.jobs:
				group = append(group, j)
			default:
				break more
			}
		}
		db.commitGroup(group)
	}
}

// commitGroup runs group in one transaction, each job in a savepoint, and
// tells each job its outcome.
func (db *DB) commitGroup(group []*groupJob) {
	errs := make([]error, len(group))
	err := db.tryTx(context.Background(), func(tx *sql.Tx) error {
		for i, j := range group {
			if err := j.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			if _, err := tx.ExecContext(j.ctx, `SAVEPOINT use_case`); err != nil {
				return err
			}
			errs[i] = j.fn(tx)
			if errs[i] != nil {
				if _, err := tx.ExecContext(context.Background(), `ROLLBACK TO use_case`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(context.Background(), `RELEASE use_case`); err != nil {
				return err
			}
		}
		return nil
	})
	for i, j := range group {
		if err != nil {
			j.done <- err
		} else {
			forgetLookups(j.ctx)
			j.done <- errs[i]
		}
	}
}

// stopGroups stops the committer (after the group it runs); a committer
// that never started cannot start any more.
func (db *DB) stopGroups() {
	g := &db.group
	g.once.Do(func() {
		g.jobs = make(chan *groupJob) // nobody receives: withGroupTx sees stop
		g.stop = make(chan struct{})
		g.exited = make(chan struct{})
		close(g.exited)
	})
	g.halt.Do(func() { close(g.stop) })
	<-g.exited
}
