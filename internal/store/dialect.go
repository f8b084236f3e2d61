package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"

	"github.com/antrag/antrag/internal/apperr"
)

// dialect is what differs between the databases; everything else in the
// package is written once. sqlite.go and postgres.go implement it.
type dialect interface {
	// name is "sqlite" or "postgres" (the prefix of errors).
	name() string
	// db is the database/sql handle of the open database.
	db() *sql.DB
	// reader returns the handle of reads outside transactions: db(), or
	// a pool of read-only connections where the database reads beside
	// its one writer (SQLite in WAL mode).
	reader() *sql.DB
	// close closes the handle and whatever is behind it.
	close() error

	// time encodes a time (in UTC) as a query argument.
	time(t time.Time) any
	// utcHour is an SQL expression of the UTC hour that the time column
	// col falls in, as text "YYYY-MM-DDTHH" (for counting by hour).
	utcHour(col string) string
	// forUpdate is the clause that locks the rows a SELECT reads until the
	// transaction ends (" FOR UPDATE"), or "" where the transaction holds
	// the one write lock anyway.
	forUpdate() string
	// translate adds the apperr kind to a driver error (sql.ErrNoRows is
	// handled before).
	translate(err error) error
	// txOptions are the options of every transaction.
	txOptions() *sql.TxOptions
	// retryable reports whether err aborted a transaction that may
	// succeed when tried again.
	retryable(err error) bool
	// stmtCache reports whether the store is to cache prepared
	// statements (stmt.go): true where the driver does not.
	stmtCache() bool
	// groupCommit reports whether concurrent use cases are to share
	// commits (group.go).
	groupCommit() bool

	// riverDriver is River's driver on the handle; pollOnly reports that
	// the database has no notifications, so that the queue polls.
	riverDriver() riverdriver.Driver[*sql.Tx]
	pollOnly() bool
	// leaseSQL are the statements of the queue's process heartbeats.
	leaseSQL() leaseSQL
	// ageSeconds is an SQL expression of the seconds from the time in
	// column col (a stored time, or River's) to the database's now;
	// negative for a time to come.
	ageSeconds(col string) string
	// sessionStore is the scs store on the sessions table, and a func that
	// stops its cleanup.
	sessionStore() (scs.Store, func())

	// gooseDialect is goose's name of the dialect, for the migrations in
	// migrations/<name>.
	gooseDialect() goose.Dialect
	// withMigrationLock runs fn while no other process migrates.
	withMigrationLock(ctx context.Context, fn func() error) error
	// hasTable reports whether the database has the table.
	hasTable(ctx context.Context, name string) (bool, error)
}

// openDialect opens the database that dsn names: "sqlite:PATH", or a
// "postgres://" or "postgresql://" URL. Anything else is apperr.Invalid.
func openDialect(ctx context.Context, dsn string) (dialect, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		return openSQLite(ctx, path)
	}
	return nil, fmt.Errorf("store: %w: database %q: sqlite:PATH or postgres://…", apperr.Invalid, RedactDSN(dsn))
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN hides a password in a connection URL.
func RedactDSN(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.Index(s[i+3:], "@"); at >= 0 {
			return s[:i+3] + "…@" + s[i+3+at+1:]
		}
	}
	return s
}
