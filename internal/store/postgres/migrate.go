package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the advisory lock held while migrating
// ("antrag" in ASCII).
const migrationLock int64 = 0x616e74726167

// Migration is the state of one schema migration.
type Migration struct {
	Source    string // "antrag" or "river" (the job queue's tables)
	Version   int64
	Name      string // e.g. "00004_delivery.sql"
	Applied   bool
	AppliedAt time.Time // zero unless Applied (antrag's own only)
}

// Migrate applies the pending migrations of the database at url and
// returns what it applied. It needs no data key.
func Migrate(ctx context.Context, url string) (applied []Migration, err error) {
	defer wrap(&err, "Migrate")
	pool, err := newPool(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	err = withMigrationLock(ctx, pool, func() error {
		before, err := migrationStatus(ctx, pool)
		if err != nil {
			return err
		}
		if err := migrateAll(ctx, pool); err != nil {
			return err
		}
		for _, m := range before {
			if !m.Applied {
				applied = append(applied, m)
			}
		}
		return nil
	})
	return applied, err
}

// MigrationStatus lists antrag's and River's migrations and whether the
// database at url has them. It changes nothing but may create goose's
// version table.
func MigrationStatus(ctx context.Context, url string) (_ []Migration, err error) {
	defer wrap(&err, "MigrationStatus")
	pool, err := newPool(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	return migrationStatus(ctx, pool)
}

func migrationStatus(ctx context.Context, pool *pgxpool.Pool) ([]Migration, error) {
	sqlDB := stdlib.OpenDBFromPool(pool) // closing it leaves the pool open
	defer sqlDB.Close()
	p, err := gooseProvider(sqlDB)
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
	rm, err := riverMigrator(pool)
	if err != nil {
		return nil, err
	}
	existing := map[int]bool{}
	if hasTable(ctx, pool, "river_migration") {
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
func hasPending(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	if !hasTable(ctx, pool, "goose_db_version") || !hasTable(ctx, pool, "river_migration") {
		return true, nil
	}
	st, err := migrationStatus(ctx, pool)
	if err != nil {
		return false, err
	}
	for _, m := range st {
		if !m.Applied {
			return true, nil
		}
	}
	return false, nil
}

// hasTable reports whether the current schema has the table.
func hasTable(ctx context.Context, pool *pgxpool.Pool, name string) bool {
	var ok bool
	err := pool.QueryRow(ctx, `SELECT to_regclass(quote_ident($1)) IS NOT NULL`, name).Scan(&ok)
	return err == nil && ok
}

// withMigrationLock runs fn while holding the migration lock, a
// session-level advisory lock: processes that start together wait for
// the first one's migrations and then find nothing left to do.
func withMigrationLock(ctx context.Context, pool *pgxpool.Pool, fn func() error) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx has ended; a connection that cannot
		// unlock is closed, which releases the lock.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, migrationLock); uerr != nil {
			conn.Conn().Close(uctx)
			if err == nil {
				err = fmt.Errorf("migration unlock: %w", uerr)
			}
		}
	}()
	return fn()
}

// migrateAll applies antrag's and then River's pending migrations. The
// caller holds the migration lock.
func migrateAll(ctx context.Context, pool *pgxpool.Pool) error {
	sqlDB := stdlib.OpenDBFromPool(pool) // closing it leaves the pool open
	defer sqlDB.Close()
	p, err := gooseProvider(sqlDB)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	rm, err := riverMigrator(pool)
	if err != nil {
		return err
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

func gooseProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func riverMigrator(pool *pgxpool.Pool) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	return m, nil
}
