package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/rivermigrate"
)

// Migration is the state of one schema migration.
type Migration struct {
	Source    string // "antrag" or "river" (the job queue's tables)
	Version   int64
	Name      string // e.g. "00004_delivery.sql"
	Applied   bool
	AppliedAt time.Time // zero unless Applied (antrag's own only)
}

// Migrate applies the pending migrations of the database that dsn names
// (see Open; a SQLite file is created) and returns what it applied. It
// needs no data key.
func Migrate(ctx context.Context, dsn string) (applied []Migration, err error) {
	d, err := openDialect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer d.close()
	defer wrapMigration(d, &err, "Migrate")
	err = d.withMigrationLock(ctx, func() error {
		before, err := migrationStatus(ctx, d)
		if err != nil {
			return err
		}
		if err := migrate(ctx, d); err != nil {
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
// database that dsn names has them. It changes nothing but may create the
// SQLite file and goose's version table.
func MigrationStatus(ctx context.Context, dsn string) (_ []Migration, err error) {
	d, err := openDialect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer d.close()
	defer wrapMigration(d, &err, "MigrationStatus")
	return migrationStatus(ctx, d)
}

func wrapMigration(d dialect, errp *error, op string) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %s: %w", d.name(), op, translate(d, *errp))
	}
}

func migrationStatus(ctx context.Context, d dialect) ([]Migration, error) {
	p, err := gooseProvider(d)
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
	rm, err := riverMigrator(d)
	if err != nil {
		return nil, err
	}
	existing := map[int]bool{}
	has, err := d.hasTable(ctx, "river_migration")
	if err != nil {
		return nil, err
	}
	if has {
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
func hasPending(ctx context.Context, d dialect) (bool, error) {
	for _, table := range []string{"goose_db_version", "river_migration"} {
		has, err := d.hasTable(ctx, table)
		if err != nil || !has {
			return true, err
		}
	}
	st, err := migrationStatus(ctx, d)
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

// migrateAll applies the pending migrations under the migration lock.
func migrateAll(ctx context.Context, d dialect) error {
	return d.withMigrationLock(ctx, func() error { return migrate(ctx, d) })
}

// migrate applies antrag's and then River's pending migrations.
func migrate(ctx context.Context, d dialect) error {
	p, err := gooseProvider(d)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	rm, err := riverMigrator(d)
	if err != nil {
		return err
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// migrationFiles are antrag's numbered migrations, one directory per
// dialect (migrations/sqlite, migrations/postgres).
//
//go:embed migrations
var migrationFiles embed.FS

func gooseProvider(d dialect) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations/"+d.name())
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(d.gooseDialect(), d.db(), fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func riverMigrator(d dialect) (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(d.riverDriver(), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	return m, nil
}
