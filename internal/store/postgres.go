package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/antrag/antrag/internal/apperr"
)

// The PostgreSQL dialect: a pgx connection pool (github.com/jackc/pgx/v5)
// used through pgx's database/sql driver (stdlib.OpenDBFromPool). Every
// transaction is SERIALIZABLE and is tried again when PostgreSQL aborts it
// for a serialization failure (40001) or a deadlock (40P01), so that
// concurrent calls behave as if they ran one after the other, as on
// SQLite's one writer. Times are TIMESTAMPTZ; text columns collate "C"
// (bytewise, as SQLite orders them). River uses its database/sql driver
// on the same handle, with LISTEN/NOTIFY on a connection of the pool
// (riverdatabasesql.NewWithPgxListener). Web sessions are kept by scs's
// postgresstore. Migrations run under a session-level advisory lock.

// DefaultMaxConns is the size of the PostgreSQL connection pool unless the
// URL sets pool_max_conns.
const DefaultMaxConns = 16

// migrationLock is the key of the advisory lock held while migrating
// ("antrag" in ASCII).
const migrationLock int64 = 0x616e74726167

type postgresDialect struct {
	pool *pgxpool.Pool
	sql  *sql.DB
}

// openPostgres connects to the database at url.
func openPostgres(ctx context.Context, url string) (*postgresDialect, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: do not repeat it.
		return nil, fmt.Errorf("postgres: %w: database URL cannot be parsed", apperr.Invalid)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (4 on a small machine) is too few beside
		// River, which holds one connection for LISTEN and needs some for
		// its workers and maintenance besides the web requests.
		cfg.MaxConns = max(cfg.MaxConns, DefaultMaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &postgresDialect{pool: pool, sql: stdlib.OpenDBFromPool(pool)}, nil
}

func (d *postgresDialect) name() string                { return "postgres" }
func (d *postgresDialect) db() *sql.DB                 { return d.sql }
func (d *postgresDialect) reader() *sql.DB             { return d.sql }
func (d *postgresDialect) time(t time.Time) any        { return t }
func (d *postgresDialect) forUpdate() string           { return " FOR UPDATE" }
func (d *postgresDialect) pollOnly() bool              { return false }
func (d *postgresDialect) groupCommit() bool           { return false }
func (d *postgresDialect) stmtCache() bool             { return false }
func (d *postgresDialect) gooseDialect() goose.Dialect { return goose.DialectPostgres }

func (d *postgresDialect) utcHour(col string) string {
	return "to_char(" + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')`
}

func (d *postgresDialect) txOptions() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelSerializable}
}

func (d *postgresDialect) close() error {
	err := d.sql.Close()
	d.pool.Close()
	return err
}

func (d *postgresDialect) riverDriver() riverdriver.Driver[*sql.Tx] {
	return riverdatabasesql.NewWithPgxListener(d.sql, d.pool)
}

func (d *postgresDialect) sessionStore() (scs.Store, func()) {
	st := postgresstore.NewWithCleanupInterval(d.sql, sessionCleanup)
	return st, st.StopCleanup
}

// withMigrationLock runs fn while holding the migration lock, a
// session-level advisory lock on a connection of its own: processes that
// start together wait for the first one's migrations and then find
// nothing left to do.
func (d *postgresDialect) withMigrationLock(ctx context.Context, fn func() error) (err error) {
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx has ended; a connection that cannot
		// unlock is discarded, which releases the lock.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, migrationLock); uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("migration unlock: %w", uerr)
			}
		}
	}()
	return fn()
}

func (d *postgresDialect) hasTable(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := d.sql.QueryRowContext(ctx, `SELECT to_regclass(quote_ident($1)) IS NOT NULL`, name).Scan(&ok)
	return ok, err
}

func (d *postgresDialect) retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
}

func (d *postgresDialect) translate(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		if unreachable(err) {
			return fmt.Errorf("%w: %w", apperr.Unavailable, err)
		}
		return err
	}
	switch pe.Code {
	case "57P01", "57P02", "57P03", "53300": // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
		return fmt.Errorf("%w: %w", apperr.Unavailable, err)
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", apperr.Conflict, err)
	case "23503", "23514", "23502": // foreign_key_violation, check_violation, not_null_violation
		return fmt.Errorf("%w: %w", apperr.Invalid, err)
	}
	if strings.HasPrefix(pe.Code, "08") { // connection_exception
		return fmt.Errorf("%w: %w", apperr.Unavailable, err)
	}
	return err
}

// unreachable reports whether err says that the server could not be
// reached or the connection broke: a failed connect, a network error, a
// connection that database/sql discarded.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

func (d *postgresDialect) leaseSQL() leaseSQL {
	// River keeps the attempting clients as text[].
	const last = `river_job.attempted_by[cardinality(river_job.attempted_by)]`
	const horizon = `now() - make_interval(secs => $2)`
	return leaseSQL{
		beat: `INSERT INTO queue_processes (id, seen_at) VALUES ($1, now())
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`,
		rescue: `UPDATE river_job SET state = 'available', scheduled_at = now()
			WHERE state = 'running' AND attempted_at < ` + horizon + `
			AND ` + last + ` LIKE '` + processPrefix + `%' AND ` + last + ` <> $1
			AND NOT EXISTS (SELECT 1 FROM queue_processes p WHERE p.id = ` + last + ` AND p.seen_at >= ` + horizon + `)`,
		forget: `DELETE FROM queue_processes WHERE seen_at < now() - interval '1 day'`,
	}
}

func (d *postgresDialect) ageSeconds(col string) string {
	return "extract(epoch FROM now() - " + col + ")"
}
