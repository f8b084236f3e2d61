package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/antrag/antrag/internal/apperr"
)

// The SQLite dialect: one file, opened with the pure-Go driver
// modernc.org/sqlite with these pragmas (through the DSN, _pragma=…):
// journal_mode=WAL, foreign_keys=ON, busy_timeout=5000 (ms),
// synchronous=FULL (a commit is on disk before it returns, so an
// application confirmed to the citizen survives a power failure; NORMAL in
// WAL mode may lose the last commits) and secure_delete=ON (deleted rows
// are overwritten, not left readable in free pages), and transactions begun with BEGIN
// IMMEDIATE. The pool holds one connection: one writer, and transactions
// queue for the connection instead of waiting on each other inside
// SQLite. Times are TEXT in timeLayout. SQLite has no notifications:
// River (riversqlite, the same file) polls. Web sessions are kept by scs's
// sqlite3store.

// BusyTimeout is how long a SQLite statement waits for a lock held by
// another connection (another process) before it fails with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

type sqliteDialect struct {
	sql *sql.DB // the writer: one connection
	// rd reads outside transactions: a pool of read-only connections
	// (query_only), which WAL lets read while the writer writes and
	// waits for its commit to reach the disk. nil for ":memory:", where
	// each connection would be a database of its own.
	rd *sql.DB
}

// readers is the number of read-only connections to a SQLite file.
const readers = 4

// openSQLite opens (creating it, mode 0600) the database file at path.
func openSQLite(ctx context.Context, path string) (*sqliteDialect, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: %w: database path must be non-empty and have no '?'", apperr.Invalid)
	}
	if path != ":memory:" {
		// Create the file here so that it (and SQLite's -wal and -shm
		// files, which copy its mode) is readable by the owner only.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "secure_delete(1)")
	q.Add("_pragma", "temp_store(2)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	d := &sqliteDialect{sql: db}
	if path != ":memory:" {
		q.Set("_txlock", "deferred")
		q.Add("_pragma", "query_only(1)")
		rd, err := sql.Open("sqlite", path+"?"+q.Encode())
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		rd.SetMaxOpenConns(readers)
		rd.SetMaxIdleConns(readers)
		rd.SetConnMaxLifetime(0)
		rd.SetConnMaxIdleTime(0)
		d.rd = rd
	}
	return d, nil
}

func (d *sqliteDialect) name() string { return "sqlite" }
func (d *sqliteDialect) db() *sql.DB  { return d.sql }
func (d *sqliteDialect) close() error {
	err := d.sql.Close()
	if d.rd != nil {
		err = errors.Join(err, d.rd.Close())
	}
	return err
}

func (d *sqliteDialect) reader() *sql.DB {
	if d.rd != nil {
		return d.rd
	}
	return d.sql
}
func (d *sqliteDialect) time(t time.Time) any        { return t.Format(timeLayout) }
func (d *sqliteDialect) forUpdate() string           { return "" }
func (d *sqliteDialect) txOptions() *sql.TxOptions   { return nil }
func (d *sqliteDialect) retryable(err error) bool    { return false }
func (d *sqliteDialect) pollOnly() bool              { return true }
func (d *sqliteDialect) groupCommit() bool           { return true }
func (d *sqliteDialect) stmtCache() bool             { return true }
func (d *sqliteDialect) gooseDialect() goose.Dialect { return goose.DialectSQLite3 }

// utcHour cuts the hour from timeLayout's text ("2006-01-02T15").
func (d *sqliteDialect) utcHour(col string) string { return "substr(" + col + ", 1, 13)" }

func (d *sqliteDialect) riverDriver() riverdriver.Driver[*sql.Tx] { return riversqlite.New(d.sql) }

func (d *sqliteDialect) sessionStore() (scs.Store, func()) {
	st := sqlite3store.NewWithCleanupInterval(d.sql, sessionCleanup)
	return st, st.StopCleanup
}

// withMigrationLock runs fn, and once more after a pause if it fails: two
// processes starting together on a new or upgraded file may both try a
// migration; the loser fails on "already exists", and its second try finds
// the migration recorded.
func (d *sqliteDialect) withMigrationLock(ctx context.Context, fn func() error) error {
	if err := fn(); err == nil {
		return nil
	}
	select {
	case <-time.After(BusyTimeout / 5):
	case <-ctx.Done():
		return ctx.Err()
	}
	return fn()
}

func (d *sqliteDialect) hasTable(ctx context.Context, name string) (bool, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, name).Scan(&n)
	return n > 0, err
}

func (d *sqliteDialect) translate(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", apperr.Conflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return fmt.Errorf("%w: %w", apperr.Invalid, err)
	default:
		if code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED {
			return fmt.Errorf("%w: database locked by another connection for more than %v (SQLITE_BUSY): %w", apperr.Unavailable, BusyTimeout, err)
		}
		if code&0xff == sqlite3.SQLITE_IOERR || code&0xff == sqlite3.SQLITE_FULL {
			return fmt.Errorf("%w: %w", apperr.Unavailable, err)
		}
	}
	return err
}

func (d *sqliteDialect) leaseSQL() leaseSQL {
	// River keeps times as text of datetime('now', 'subsec'), and the
	// attempting clients as a JSON array.
	const last = `json(river_job.attempted_by) ->> '$[#-1]'`
	const horizon = `datetime('now', 'subsec', '-' || $2 || ' seconds')`
	return leaseSQL{
		beat: `INSERT INTO queue_processes (id, seen_at) VALUES ($1, datetime('now', 'subsec'))
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`,
		rescue: `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
			WHERE state = 'running' AND attempted_at < ` + horizon + `
			AND ` + last + ` LIKE '` + processPrefix + `%' AND ` + last + ` <> $1
			AND NOT EXISTS (SELECT 1 FROM queue_processes p WHERE p.id = ` + last + ` AND p.seen_at >= ` + horizon + `)`,
		forget: `DELETE FROM queue_processes WHERE seen_at < datetime('now', 'subsec', '-1 day')`,
	}
}

// ageSeconds: julianday reads both timeLayout and River's
// "2006-01-02 15:04:05.000".
func (d *sqliteDialect) ageSeconds(col string) string {
	return "((julianday('now') - julianday(" + col + ")) * 86400.0)"
}
