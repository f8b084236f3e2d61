// Package sqlite stores antrag's tenants, services, form versions, drafts,
// submissions, attachments, audit events, staff users, web sessions,
// delivery targets, deliveries, FIT-Connect accounts and the delivery job
// queue (River's tables, see queue.go) in one SQLite database file, using
// the pure-Go driver modernc.org/sqlite.
//
// Open sets these pragmas on the connection through the DSN (_pragma=…):
// journal_mode=WAL, foreign_keys=ON, busy_timeout=5000 (ms),
// synchronous=NORMAL and secure_delete=ON, and begins transactions with
// BEGIN IMMEDIATE. The pool holds one connection, so there is exactly one
// writer and every store method that changes more than one row runs in one
// transaction.
//
// The schema is created and upgraded by the numbered SQL files in
// migrations/, embedded and applied with goose (each in a transaction,
// recorded in goose_db_version).
//
// Personal data and secrets are sealed at rest: Draft.Data,
// Submission.Data, attachment file names, webhook secrets, the target copy of each delivery and
// the secrets and private keys of FIT-Connect accounts are stored
// encrypted with a *sealed.Box and opened when read. Other columns
// (names of tenants, services and staff, event details) are stored in
// plain text.
//
// Errors wrap the operation ("sqlite: SaveDraft: …") and one of the kinds of
// package apperr: no row is apperr.NotFound; a UNIQUE or PRIMARY KEY
// violation is apperr.Conflict; a reference to a row that does not exist
// (FOREIGN KEY) or a CHECK/NOT NULL violation is apperr.Invalid.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

//go:embed migrations/*.sql
var migrations embed.FS

// BusyTimeout is how long a statement waits for a lock held by another
// connection (another process) before it fails with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

// DB is an open antrag database. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	box  *sealed.Box
	jobs *jobs
}

// Open opens the SQLite database at path, creating it (mode 0600) if it does
// not exist, and applies the pending migrations. box seals Draft.Data and
// Submission.Data.
func Open(ctx context.Context, path string, box *sealed.Box) (*DB, error) {
	return OpenWith(ctx, path, box, Options{})
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
func OpenWith(ctx context.Context, path string, box *sealed.Box, o Options) (_ *DB, err error) {
	defer wrap(&err, "Open(%q)", path)
	if box == nil {
		return nil, errors.New("no sealed.Box")
	}
	db, err := openSQL(ctx, path)
	if err != nil {
		return nil, err
	}
	if o.NoMigrate {
		pending, err := hasPending(ctx, db)
		if err == nil && pending {
			err = ErrPendingMigrations
		}
		if err != nil {
			db.Close()
			return nil, err
		}
	} else {
		// Two processes starting together on a new or upgraded database
		// may both try a migration; the loser fails on "already exists",
		// and its second try finds the migration recorded.
		err = migrateAll(ctx, db)
		if err != nil {
			time.Sleep(BusyTimeout / 5)
			err = migrateAll(ctx, db)
		}
		if err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := checkKey(ctx, db, box); err != nil {
		db.Close()
		return nil, err
	}
	if err := sealFilenames(ctx, db, box); err != nil {
		db.Close()
		return nil, err
	}
	j, err := newJobs(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &DB{db: db, box: box, jobs: j}, nil
}

// openSQL opens the database file (creating it) with antrag's settings.
func openSQL(ctx context.Context, path string) (*sql.DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("%w: database path must be non-empty and have no '?'", apperr.Invalid)
	}
	if path != ":memory:" {
		// Create the file ourselves so that it (and SQLite's -wal and
		// -shm files, which copy its mode) is readable by the owner only.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Deleted rows (expired drafts, purged applications) are overwritten,
	// not left readable in free pages of the file.
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One connection: one writer, and transactions never wait on each
	// other inside SQLite (they queue for the connection instead).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Migration is the state of one schema migration.
type Migration struct {
	Source    string // "antrag" or "river" (the job queue's tables)
	Version   int64
	Name      string // e.g. "00004_delivery.sql"
	Applied   bool
	AppliedAt time.Time // zero unless Applied (antrag's own only)
}

// Migrate applies the pending migrations of the database at path
// (creating it) and returns what it applied. It needs no data key.
func Migrate(ctx context.Context, path string) (applied []Migration, err error) {
	defer wrap(&err, "Migrate(%q)", path)
	before, err := MigrationStatus(ctx, path)
	if err != nil {
		return nil, err
	}
	db, err := openSQL(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := migrateAll(ctx, db); err != nil {
		return nil, err
	}
	for _, m := range before {
		if !m.Applied {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// MigrationStatus lists antrag's and River's migrations and whether the
// database at path has them. It changes nothing but creates the file if
// it does not exist.
func MigrationStatus(ctx context.Context, path string) (_ []Migration, err error) {
	defer wrap(&err, "MigrationStatus(%q)", path)
	db, err := openSQL(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	p, err := gooseProvider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, s := range st {
		m := Migration{Source: "antrag", Version: s.Source.Version, Name: filepath.Base(s.Source.Path), Applied: s.State == goose.StateApplied}
		if m.Applied {
			m.AppliedAt = s.AppliedAt.UTC()
		}
		out = append(out, m)
	}
	rm, err := riverMigrator(db)
	if err != nil {
		return nil, err
	}
	existing := map[int]bool{}
	if hasTable(ctx, db, "river_migration") {
		ex, err := rm.ExistingVersions(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range ex {
			existing[v.Version] = true
		}
	}
	for _, v := range rm.AllVersions() {
		out = append(out, Migration{Source: "river", Version: int64(v.Version), Name: v.Name, Applied: existing[v.Version]})
	}
	return out, nil
}

// hasPending reports whether antrag's or River's migrations are missing.
func hasPending(ctx context.Context, db *sql.DB) (bool, error) {
	p, err := gooseProvider(db)
	if err != nil {
		return false, err
	}
	if pending, err := p.HasPending(ctx); err != nil || pending {
		return pending, err
	}
	if !hasTable(ctx, db, "river_migration") {
		return true, nil
	}
	rm, err := riverMigrator(db)
	if err != nil {
		return false, err
	}
	ex, err := rm.ExistingVersions(ctx)
	if err != nil {
		return false, err
	}
	return len(ex) < len(rm.AllVersions()), nil
}

func hasTable(ctx context.Context, db *sql.DB, name string) bool {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return err == nil && n > 0
}

// ErrWrongKey is returned by Open when the data key is not the one the
// database was first opened with.
var ErrWrongKey = errors.New("der Datenschlüssel passt nicht zu dieser Datenbank")

// keyCheckValue is what the key_check row holds, sealed.
const keyCheckValue = "antrag key check"

// checkKey opens the database's sealed key check with box, or on the
// first start writes it.
func checkKey(ctx context.Context, db *sql.DB, box *sealed.Box) error {
	var sealedCheck []byte
	err := db.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealedCheck)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = db.ExecContext(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, ?)`, box.Seal([]byte(keyCheckValue)))
		return err
	}
	if err != nil {
		return err
	}
	if plain, err := box.Open(sealedCheck); err != nil || string(plain) != keyCheckValue {
		return ErrWrongKey
	}
	return nil
}

// migrateAll applies antrag's and then River's pending migrations.
func migrateAll(ctx context.Context, db *sql.DB) error {
	if err := migrate(ctx, db); err != nil {
		return err
	}
	return migrateRiver(ctx, db)
}

func gooseProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// migrate applies the embedded migrations that have not been applied yet.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := gooseProvider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("sqlite: Close: %w", err)
	}
	return nil
}

// SQL returns the underlying handle, e.g. for scs's sqlite3store, which
// uses the sessions table. It has one connection: a caller must not hold
// rows or a transaction open while calling a method of db.
func (db *DB) SQL() *sql.DB { return db.db }

// withTx runs fn in a transaction and commits it if fn returns nil.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	return tx.Commit()
}

// wrap prefixes *errp with "sqlite: " and the operation, and translates
// driver errors to the kinds of package apperr.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	*errp = fmt.Errorf("sqlite: %s: %w", fmt.Sprintf(format, args...), translate(*errp))
}

// translate adds the apperr kind to a driver error.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", apperr.NotFound, err)
	}
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
			return fmt.Errorf("database locked by another connection for more than %v (SQLITE_BUSY): %w", BusyTimeout, err)
		}
	}
	return err
}

// notFound returns an error of kind apperr.NotFound.
func notFound(what string) error {
	return fmt.Errorf("%s: %w", what, apperr.NotFound)
}

// newID returns id, or a new UUID if id is empty.
func newID(id string) string {
	if id != "" {
		return id
	}
	return uuid.NewString()
}

// timeLayout is how times are stored: UTC, microseconds, fixed width, so
// that the text sorts like the time.
const timeLayout = "2006-01-02T15:04:05.000000Z"

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

// ts formats t for storage.
func ts(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// parseTS parses a stored time.
func parseTS(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// nullString returns nil for "", for optional references.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// timeCol scans a stored time into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("stored time has type %T", src)
	}
	t, err := parseTS(s)
	if err != nil {
		return err
	}
	*c.t = t
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
