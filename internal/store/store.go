// Package store keeps antrag's tenants, authorities, services, form
// versions, drafts, submissions, attachments, audit events, staff users,
// web sessions, delivery targets, deliveries, FIT-Connect accounts, login
// throttle buckets, the SAML replay cache, the reference data of package
// area (ARS areas, postcodes) and the delivery job queue
// (River's tables) in one SQL database: a SQLite file (modernc.org/sqlite,
// pure Go) for one process, or PostgreSQL (github.com/jackc/pgx/v5 through
// its database/sql driver) for several.
//
// The SQL is written once, with $n parameters (modernc's SQLite binds $n by
// number, as PostgreSQL does). What truly differs between the two sits in
// the dialect seam (dialect.go; sqlite.go and postgres.go): how a database
// is opened, how times are encoded (TEXT in a fixed UTC layout on SQLite,
// TIMESTAMPTZ on PostgreSQL), row locking, how driver errors map to the
// kinds of package apperr, how a transaction starts (BEGIN IMMEDIATE on
// SQLite's one writer connection; SERIALIZABLE on PostgreSQL, retried on a
// serialization failure or deadlock), River's driver and the web session
// store. Business rules are not here: the store persists what the domain
// packages decided (delivery.Plan, delivery.PlanRedelivery), each
// use case in one transaction.
//
// The schema is created and upgraded by numbered SQL files per database in
// migrations/sqlite and migrations/postgres, embedded and applied with
// goose (each in a transaction, recorded in goose_db_version), then by
// River's migrations; on PostgreSQL under an advisory lock, so that
// processes starting together migrate once. Both sets yield the same
// tables and columns (a test compares them).
//
// Personal data and secrets are sealed at rest with a *sealed.Box: draft
// and submission data, attachment file names, webhook secrets, the target
// copy of each delivery, and the secrets and private keys of FIT-Connect
// accounts. Other columns (names of tenants, services and staff, event
// details) are plain text.
//
// Errors wrap the operation ("sqlite: SaveDraft(…): …" or "postgres: …")
// and one of the kinds of package apperr: no row is apperr.NotFound; a
// unique violation apperr.Conflict; a foreign key, check or not-null
// violation apperr.Invalid.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/outbox"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

var (
	_ tenant.Store          = (*DB)(nil)
	_ submission.Store      = (*DB)(nil)
	_ account.Store         = (*DB)(nil)
	_ delivery.Store        = (*DB)(nil)
	_ delivery.AccountStore = (*DB)(nil)
	_ area.Store            = (*DB)(nil)
)

// DB is an open antrag database. It is safe for concurrent use.
type DB struct {
	sql  *sql.DB
	d    dialect
	box  *sealed.Box
	jobs *outbox.Inserter

	rd      *sql.DB     // reads outside transactions (dialect.reader)
	stmts   stmtCache   // prepared statements of sql (SQLite)
	rstmts  stmtCache   // prepared statements of rd (SQLite)
	cache   lookupCache // tenants, authorities, services (cache.go)
	drafts  draftCache  // decoded data of drafts read or saved last (draftcache.go)
	group   groupCommitter
	retries atomic.Int64 // transactions tried again (withTx, withRowLockTx)
}

// Options change how OpenWith opens a database.
type Options struct {
	// NoMigrate leaves the schema as it is: a database with pending
	// migrations is refused with ErrPendingMigrations (for installations
	// that migrate with `antrag migrate up` before rolling out).
	NoMigrate bool
	// ConfigRecheck is how long the process trusts the count of
	// configuration changes (config_version, store/cache.go) it read last
	// before it reads it again: another process's change of a tenant,
	// authority, service, jurisdiction, delivery target or fee is seen
	// within this time. The process's own changes are seen at once. 0
	// reads the count once for every request.
	ConfigRecheck time.Duration
}

// DefaultConfigRecheck is the ConfigRecheck of `antrag serve`.
const DefaultConfigRecheck = time.Second

// ErrPendingMigrations is returned by OpenWith with NoMigrate when the
// database lacks migrations this version needs.
var ErrPendingMigrations = errors.New("die Datenbank braucht Migrationen dieser Version (antrag migrate up)")

// ErrWrongKey is returned by Open when the data key is not the one the
// database was first opened with.
var ErrWrongKey = errors.New("der Datenschlüssel passt nicht zu dieser Datenbank")

// Open opens the database that dsn names, "sqlite:PATH" (the file is
// created, mode 0600, if it does not exist) or "postgres://…" (see
// pgxpool.ParseConfig; pool_max_conns sets the pool's size, default
// DefaultMaxConns), and applies the pending migrations. box seals the
// personal data; a box whose key is not the one the database was first
// opened with is ErrWrongKey.
func Open(ctx context.Context, dsn string, box *sealed.Box) (*DB, error) {
	return OpenWith(ctx, dsn, box, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, box *sealed.Box, o Options) (_ *DB, err error) {
	if box == nil {
		return nil, errors.New("store: Open: no sealed.Box")
	}
	d, err := openDialect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{sql: d.db(), rd: d.reader(), d: d, box: box}
	db.cache.recheck = o.ConfigRecheck
	db.stmts.on = d.stmtCache()
	db.rstmts.on = d.stmtCache()
	defer db.wrap(&err, "Open")
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if o.NoMigrate {
		pending, err := hasPending(ctx, d)
		if err == nil && pending {
			err = ErrPendingMigrations
		}
		if err != nil {
			return nil, err
		}
	} else if err := migrateAll(ctx, d); err != nil {
		return nil, err
	}
	if err := db.checkKey(ctx); err != nil {
		return nil, err
	}
	if err := db.sealFilenames(ctx); err != nil {
		return nil, err
	}
	if db.jobs, err = outbox.NewInserter(d.riverDriver()); err != nil {
		return nil, err
	}
	return db, nil
}

// keyCheckValue is what the key_check row holds, sealed.
const keyCheckValue = "antrag key check"

// checkKey opens the database's sealed key check with the box, or on the
// first start writes it.
func (db *DB) checkKey(ctx context.Context) error {
	// Two processes starting together may both find no row: the one whose
	// insert loses reads the winner's.
	if _, err := db.exec(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
		db.box.Seal([]byte(keyCheckValue))); err != nil {
		return err
	}
	var sealedCheck []byte
	if err := db.queryRow(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealedCheck); err != nil {
		return err
	}
	if plain, err := db.box.Open(sealedCheck); err != nil || string(plain) != keyCheckValue {
		return ErrWrongKey
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopGroups()
	db.closeStmts()
	if err := db.d.close(); err != nil {
		return fmt.Errorf("%s: Close: %w", db.d.name(), err)
	}
	return nil
}

// SQL returns the underlying handle (for tests and operators' tools). On
// SQLite it has one connection: a caller must not hold rows or a
// transaction open while calling a method of db.
func (db *DB) SQL() *sql.DB { return db.sql }

// Dialect names the database: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name() }

// Ping checks that the database answers (for readiness checks).
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// sessionCleanup is how often the session stores delete expired sessions.
const sessionCleanup = 30 * time.Minute

// SessionStore returns the scs store of the caseworker sessions, in the
// database (so that any process serves any request), and a func that
// stops its cleanup of expired sessions.
func (db *DB) SessionStore() (scs.Store, func()) { return db.d.sessionStore() }

// maxTries and retryBudget bound the tries of a transaction that
// PostgreSQL aborts for a serialization failure or a deadlock: it is tried
// again while it has had fewer than maxTries tries or its first try began
// less than retryBudget ago (and ctx is alive). Under many concurrent
// writers on small tables, SERIALIZABLE's page-level predicate locks abort
// one of nearly every pair of concurrent writers, so a count alone can run
// out while the database is merely busy.
const (
	maxTries    = 30
	retryBudget = 20 * time.Second
)

// withTx runs fn in a transaction and commits it if fn returns nil. A
// transaction the database aborted so that it may be tried again
// (dialect.retryable) is tried again within maxTries and retryBudget: fn
// must start from scratch each time.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	start := time.Now()
	for try := 1; ; try++ {
		err := db.tryTx(ctx, fn)
		if err == nil || !db.retryAgain(err, try, start) {
			return err
		}
		db.retries.Add(1)
		// Back off with jitter: 1 ms, 2 ms, 4 ms … up to 100 ms.
		d := min(time.Millisecond<<min(try-1, 7), 100*time.Millisecond)
		select {
		case <-time.After(d/2 + rand.N(d/2+1)):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

// retryAgain reports whether a transaction whose try-th try, begun first
// at start, failed with err is to be tried again.
func (db *DB) retryAgain(err error, try int, start time.Time) bool {
	return db.d.retryable(err) && (try < maxTries || time.Since(start) < retryBudget)
}

// Retries reports how many transactions this process has tried again
// after the database aborted them (serialization failure or deadlock).
func (db *DB) Retries() int64 { return db.retries.Load() }

func (db *DB) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, db.d.txOptions())
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		db.cache.txDone(tx)
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		db.cache.txDone(tx)
		return err
	}
	db.cache.txDone(tx)
	forgetLookups(ctx)
	return nil
}

// wrap prefixes *errp with the dialect's name and the operation, and
// translates driver errors to the kinds of package apperr.
func (db *DB) wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	*errp = fmt.Errorf("%s: %s: %w", db.d.name(), fmt.Sprintf(format, args...), translate(db.d, *errp))
}

// translate adds the apperr kind to a driver error.
func translate(d dialect, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", apperr.NotFound, err)
	}
	return d.translate(err)
}

// notFound returns an error of kind apperr.NotFound.
func notFound(what string) error {
	return fmt.Errorf("%s: %w", what, apperr.NotFound)
}

// mustAffect returns apperr.NotFound if res changed no row.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// newID returns id, or a new UUID if id is empty.
func newID(id string) string {
	if id != "" {
		return id
	}
	return uuid.NewString()
}

// nowUTC returns the current time as the database stores it.
func (db *DB) nowUTC() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// orNow returns t in UTC at the stored precision, or the current time if t
// is zero.
func (db *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return db.nowUTC()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// ts encodes t as a query argument (dialect.time).
func (db *DB) ts(t time.Time) any { return db.d.time(t.UTC()) }

// optTS is ts, or NULL for the zero time.
func (db *DB) optTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.ts(t)
}

// nullString returns nil (NULL) for "", for optional references.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect scans all rows with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// collectCounts reads rows of (text, count), as a GROUP BY with count(*)
// gives them, into a map, and closes rows.
func collectCounts(rows *sql.Rows) (map[string]int, error) {
	type count struct {
		key string
		n   int
	}
	counts, err := collect(rows, func(row scanner) (count, error) {
		var c count
		return c, row.Scan(&c.key, &c.n)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(counts))
	for _, c := range counts {
		out[c.key] = c.n
	}
	return out, nil
}

// queryStrings returns the one text column of the rows of a query.
func queryStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	})
}

// timeLayout is how SQLite stores times: UTC, microseconds, fixed width,
// so that the text sorts like the time.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// timeCol scans a stored time into *t, in UTC: a time.Time (PostgreSQL) or
// text in timeLayout (SQLite); NULL is the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
		return nil
	case time.Time:
		*c.t = v.UTC()
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("stored time has type %T", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// strCol scans a nullable text into *s ("" for NULL).
type strCol struct{ s *string }

func (c strCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.s = ""
	case string:
		*c.s = v
	case []byte:
		*c.s = string(v)
	default:
		return fmt.Errorf("stored text has type %T", src)
	}
	return nil
}
