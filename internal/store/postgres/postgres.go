// Package postgres stores antrag's tenants, services, form versions,
// drafts, submissions, attachments, audit events, staff users, web
// sessions, delivery targets, deliveries, FIT-Connect accounts and the
// delivery job queue (River's tables, see queue.go) in a PostgreSQL
// database, using github.com/jackc/pgx/v5. It is the PostgreSQL twin of
// package sqlite: the same tables and columns (schema_test.go compares
// them), the same behaviour (both pass package storetest), the same
// sealing and the same error kinds.
//
// Every store method that writes runs in one SERIALIZABLE transaction and
// is retried when PostgreSQL aborts it for a serialization failure or a
// deadlock, so that concurrent calls behave as if they ran one after the
// other, as they do on SQLite's single writer.
//
// The schema is created and upgraded by the numbered SQL files in
// migrations/, embedded and applied with goose (each in a transaction,
// recorded in goose_db_version), and then by River's migrations; Open
// holds a PostgreSQL advisory lock while it migrates, so that several
// processes starting together migrate once.
//
// Personal data and secrets are sealed at rest with a *sealed.Box, in the
// same columns as on SQLite: Draft.Data, Submission.Data, attachment file
// names, webhook secrets, the target copy of each delivery and the secrets
// and private keys of FIT-Connect accounts.
//
// Errors wrap the operation ("postgres: SaveDraft: …") and one of the
// kinds of package apperr: no row is apperr.NotFound; a unique violation
// (SQLSTATE 23505) is apperr.Conflict; a foreign key, check or not-null
// violation (23503, 23514, 23502) is apperr.Invalid.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

var (
	_ tenant.Store     = (*DB)(nil)
	_ submission.Store = (*DB)(nil)
	_ account.Store    = (*DB)(nil)
)

// DB is an open antrag database. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	box  *sealed.Box
	jobs *jobs
}

// DefaultMaxConns is the size of the connection pool unless the URL sets
// pool_max_conns.
const DefaultMaxConns = 16

// Open connects to the PostgreSQL database at url (a postgres:// URL or a
// key=value connection string, see pgxpool.ParseConfig; pool_max_conns
// sets the pool's size, default DefaultMaxConns) and applies the pending
// migrations. box seals the personal data; a box whose key is not the one
// the database was first opened with is ErrWrongKey.
func Open(ctx context.Context, url string, box *sealed.Box) (*DB, error) {
	return OpenWith(ctx, url, box, Options{})
}

// Options change how OpenWith opens a database.
type Options struct {
	// NoMigrate leaves the schema as it is: a database with pending
	// migrations is refused with ErrPendingMigrations (for installations
	// that migrate with `antrag migrate up` before rolling out).
	NoMigrate bool
}

// ErrPendingMigrations is returned by OpenWith with NoMigrate when the
// database lacks migrations this version needs.
var ErrPendingMigrations = errors.New("die Datenbank braucht Migrationen dieser Version (antrag migrate up)")

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, box *sealed.Box, o Options) (_ *DB, err error) {
	defer wrap(&err, "Open")
	if box == nil {
		return nil, errors.New("no sealed.Box")
	}
	pool, err := newPool(ctx, url)
	if err != nil {
		return nil, err
	}
	if o.NoMigrate {
		pending, err := hasPending(ctx, pool)
		if err == nil && pending {
			err = ErrPendingMigrations
		}
		if err != nil {
			pool.Close()
			return nil, err
		}
	} else if err := withMigrationLock(ctx, pool, func() error { return migrateAll(ctx, pool) }); err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool, box: box}
	if err := db.checkKey(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.sealFilenames(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if db.jobs, err = newJobs(pool); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// newPool connects to the database at url.
func newPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: do not repeat it.
		return nil, fmt.Errorf("%w: database URL cannot be parsed", apperr.Invalid)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (4 on a small machine) is too few beside
		// River, which holds one connection for LISTEN and needs some for
		// its workers and maintenance besides the web requests.
		cfg.MaxConns = max(cfg.MaxConns, DefaultMaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// ErrWrongKey is returned by Open when the data key is not the one the
// database was first opened with.
var ErrWrongKey = errors.New("der Datenschlüssel passt nicht zu dieser Datenbank")

// keyCheckValue is what the key_check row holds, sealed.
const keyCheckValue = "antrag key check"

// checkKey opens the database's sealed key check with the box, or on the
// first start writes it.
func (db *DB) checkKey(ctx context.Context) error {
	// Two processes starting together may both find no row: the one whose
	// insert loses reads the winner's.
	if _, err := db.pool.Exec(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
		db.box.Seal([]byte(keyCheckValue))); err != nil {
		return err
	}
	var sealedCheck []byte
	if err := db.pool.QueryRow(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealedCheck); err != nil {
		return err
	}
	if plain, err := db.box.Open(sealedCheck); err != nil || string(plain) != keyCheckValue {
		return ErrWrongKey
	}
	return nil
}

// Close closes the connections of the database.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the connection pool, e.g. for scs's pgxstore
// (pgxstore.New(db.Pool())), which uses the sessions table.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers (for readiness checks).
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxTries bounds the tries of a transaction that PostgreSQL aborts for a
// serialization failure or a deadlock.
const maxTries = 30

// withTx runs fn in a SERIALIZABLE transaction and commits it if fn
// returns nil. A transaction aborted for a serialization failure or a
// deadlock is tried again (fn must start from scratch each time).
func (db *DB) withTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for try := 1; ; try++ {
		err := db.tryTx(ctx, fn)
		if err == nil || !retryable(err) || try == maxTries {
			return err
		}
		// Back off with jitter: 1 ms, 2 ms, 4 ms … up to 100 ms.
		d := min(time.Millisecond<<min(try-1, 7), 100*time.Millisecond)
		select {
		case <-time.After(d/2 + rand.N(d/2+1)):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

func (db *DB) tryTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(ctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	return tx.Commit(ctx)
}

// retryable reports whether err aborted a transaction that may succeed
// when tried again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
}

// wrap prefixes *errp with "postgres: " and the operation, and translates
// driver errors to the kinds of package apperr.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	*errp = fmt.Errorf("postgres: %s: %w", fmt.Sprintf(format, args...), translate(*errp))
}

// translate adds the apperr kind to a driver error.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", apperr.NotFound, err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", apperr.Conflict, err)
	case "23503", "23514", "23502": // foreign_key_violation, check_violation, not_null_violation
		return fmt.Errorf("%w: %w", apperr.Invalid, err)
	}
	return err
}

// notFound returns an error of kind apperr.NotFound.
func notFound(what string) error {
	return fmt.Errorf("%s: %w", what, apperr.NotFound)
}

// mustAffect returns apperr.NotFound if the command changed no row.
func mustAffect(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
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

// optTime returns nil (NULL) for the zero time, else t.
func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// nullString returns nil for "", for optional references.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect scans all rows with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
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

// queryStrings returns the one text column of the rows of a query.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	})
}

// timeCol scans a TIMESTAMPTZ into *t, in UTC; NULL is the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*c.t = time.Time{}
		return nil
	}
	if v.InfinityModifier != pgtype.Finite {
		return fmt.Errorf("stored time is infinite")
	}
	*c.t = v.Time.UTC()
	return nil
}

// strCol scans a nullable text into *s ("" for NULL).
type strCol struct{ s *string }

func (c strCol) ScanText(v pgtype.Text) error {
	*c.s = v.String // "" when not Valid
	return nil
}
