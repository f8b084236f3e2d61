package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
)

// checkDB reads a --db value (sqlite:PATH or postgres://…); anything else is
// a usage error. It returns the SQLite file's path ("" for PostgreSQL).
func checkDB(db string) (path string, err error) {
	if store.IsPostgres(db) {
		return "", nil
	}
	path, ok := strings.CutPrefix(db, "sqlite:")
	if !ok || path == "" {
		return "", usageError{fmt.Sprintf("--db %q: erwartet sqlite:PFAD oder postgres://…", store.RedactDSN(db))}
	}
	return path, nil
}

// describeDB names the database for messages: the SQLite file, or
// "PostgreSQL".
func describeDB(db string) string {
	if store.IsPostgres(db) {
		return "PostgreSQL"
	}
	return strings.TrimPrefix(db, "sqlite:")
}

// openDB opens the database that --db names, migrating it unless
// --no-migrate.
func openDB(ctx context.Context, c *serveConfig, box *sealed.Box) (*store.DB, error) {
	if _, err := checkDB(c.db); err != nil {
		return nil, err
	}
	db, err := store.OpenWith(ctx, c.db, box, store.Options{NoMigrate: c.noMigrate, ConfigRecheck: c.configRecheck})
	if errors.Is(err, store.ErrWrongKey) {
		from := "der Schlüsseldatei " + filepath.Join(c.dataDir, "schluessel")
		if c.dataKey != "" {
			from = "ANTRAG_DATA_KEY"
		}
		return nil, fmt.Errorf("%w: der Schlüssel aus %s ist nicht der, mit dem die Datenbank (%s) angelegt wurde; ohne den richtigen Schlüssel sind die gespeicherten Anträge nicht lesbar", err, from, describeDB(c.db))
	}
	return db, err
}

// openStore opens the database of an existing installation alone, for
// administrative commands; it creates no SQLite file.
func openStore(ctx context.Context, c *serveConfig) (*store.DB, func(), error) {
	path, err := checkDB(c.db)
	if err != nil {
		return nil, nil, err
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("keine Installation in %s (erst `antrag serve` starten oder --data/--db angeben): %w", path, err)
		}
	}
	if c.dataKey == "" {
		if _, err := os.Stat(filepath.Join(c.dataDir, "schluessel")); err != nil {
			return nil, nil, fmt.Errorf("kein Datenschlüssel: weder ANTRAG_DATA_KEY noch %s: %w", filepath.Join(c.dataDir, "schluessel"), err)
		}
	}
	box, err := openBox(c)
	if err != nil {
		return nil, nil, err
	}
	db, err := openDB(ctx, c, box)
	if err != nil {
		return nil, nil, err
	}
	return db, func() { db.Close() }, nil
}
