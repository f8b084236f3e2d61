package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/postgres"
	"github.com/antrag/antrag/internal/store/sqlite"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// database is a store backend as the commands use it: the domain stores,
// plus what differs between SQLite and PostgreSQL (web sessions, the job
// queue, readiness).
type database interface {
	tenant.Store
	submission.Store
	account.Store
	delivery.Store
	delivery.AccountStore
	Close() error

	// sessionStore returns the scs store of the caseworker sessions (in
	// the database, so that any process serves any request) and a func
	// that stops its cleanup.
	sessionStore() (scs.Store, func())
	ping(ctx context.Context) error
	runQueue(ctx context.Context, r delivery.Runner, q queueSettings) (stopper, error)
}

// queueSettings are the queue settings both backends share.
type queueSettings struct {
	workers                          int
	poll, follow, fcPoll, jobTimeout time.Duration
	logger                           *slog.Logger
}

type stopper interface {
	Stop(ctx context.Context) error
}

// dbTarget is a parsed --db: sqlite:PATH or postgres://….
type dbTarget struct {
	postgres bool
	path     string // SQLite file
	url      string // PostgreSQL connection URL
}

func (d dbTarget) String() string {
	if d.postgres {
		return "PostgreSQL"
	}
	return d.path
}

// parseDB reads a --db value; anything else is a usage error.
func parseDB(db string) (dbTarget, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return dbTarget{postgres: true, url: db}, nil
	}
	path, ok := strings.CutPrefix(db, "sqlite:")
	if !ok || path == "" {
		return dbTarget{}, usageError{fmt.Sprintf("--db %q: erwartet sqlite:PFAD oder postgres://…", redactURL(db))}
	}
	return dbTarget{path: path}, nil
}

// redactURL hides a password in a connection URL.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.Index(s[i+3:], "@"); at >= 0 {
			return s[:i+3] + "…@" + s[i+3+at+1:]
		}
	}
	return s
}

// openDB opens the database that --db names, migrating it unless
// --no-migrate.
func openDB(ctx context.Context, c *serveConfig, box *sealed.Box) (database, error) {
	t, err := parseDB(c.db)
	if err != nil {
		return nil, err
	}
	var db database
	if t.postgres {
		var pg *postgres.DB
		pg, err = postgres.OpenWith(ctx, t.url, box, postgres.Options{NoMigrate: c.noMigrate})
		if pg != nil {
			db = pgDB{pg}
		}
	} else {
		var sl *sqlite.DB
		sl, err = sqlite.OpenWith(ctx, t.path, box, sqlite.Options{NoMigrate: c.noMigrate})
		if sl != nil {
			db = sqliteDB{sl}
		}
	}
	if errors.Is(err, sqlite.ErrWrongKey) || errors.Is(err, postgres.ErrWrongKey) {
		from := "der Schlüsseldatei " + filepath.Join(c.dataDir, "schluessel")
		if c.dataKey != "" {
			from = "ANTRAG_DATA_KEY"
		}
		return nil, fmt.Errorf("%w: der Schlüssel aus %s ist nicht der, mit dem die Datenbank (%s) angelegt wurde; ohne den richtigen Schlüssel sind die gespeicherten Anträge nicht lesbar", err, from, t)
	}
	return db, err
}

// openStore opens the database of an existing installation alone, for
// administrative commands; it creates no SQLite file.
func openStore(ctx context.Context, c *serveConfig) (database, func(), error) {
	t, err := parseDB(c.db)
	if err != nil {
		return nil, nil, err
	}
	if !t.postgres {
		if _, err := os.Stat(t.path); err != nil {
			return nil, nil, fmt.Errorf("keine Installation in %s (erst `antrag serve` starten oder --data/--db angeben): %w", t.path, err)
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

// sqliteDB is the SQLite backend.
type sqliteDB struct{ *sqlite.DB }

func (d sqliteDB) sessionStore() (scs.Store, func()) {
	st := sqlite3store.NewWithCleanupInterval(d.SQL(), 30*time.Minute)
	return st, st.StopCleanup
}

func (d sqliteDB) ping(ctx context.Context) error { return d.SQL().PingContext(ctx) }

func (d sqliteDB) runQueue(ctx context.Context, r delivery.Runner, q queueSettings) (stopper, error) {
	return d.RunQueue(ctx, r, sqlite.QueueConfig{Workers: q.workers, PollInterval: q.poll, FollowEvery: q.follow,
		PollEvery: q.fcPoll, JobTimeout: q.jobTimeout, Logger: q.logger})
}

// pgDB is the PostgreSQL backend.
type pgDB struct{ *postgres.DB }

func (d pgDB) sessionStore() (scs.Store, func()) {
	st := pgxstore.NewWithCleanupInterval(d.Pool(), 30*time.Minute)
	return st, st.StopCleanup
}

func (d pgDB) ping(ctx context.Context) error { return d.Ping(ctx) }

func (d pgDB) runQueue(ctx context.Context, r delivery.Runner, q queueSettings) (stopper, error) {
	return d.RunQueue(ctx, r, postgres.QueueConfig{Workers: q.workers, PollInterval: q.poll, FollowEvery: q.follow,
		PollEvery: q.fcPoll, JobTimeout: q.jobTimeout, Logger: q.logger})
}
