package store_test

// What only PostgreSQL has: several processes migrating at once under the
// advisory lock, rows whose sealed columns are bytea, URLs that may hold
// a password, and pg_dump's scripts.

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

// postgresAtRest returns every row of every table of the database at url
// as text (bytea as hex), read on a connection of its own.
func postgresAtRest(url string) storetest.AtRest {
	return func(t *testing.T) []byte {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var all bytes.Buffer
		for _, table := range tables {
			var dump string
			if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(x::text, E'\n'), '') FROM `+
				pgx.Identifier{table}.Sanitize()+` x`).Scan(&dump); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			all.WriteString(dump)
			all.WriteByte('\n')
		}
		return all.Bytes()
	}
}

// TestPostgresOpenConcurrently opens a new database from several
// "processes" at once, while others run `antrag migrate up`: the migration
// lock lets one migrate at a time, and all open it.
func TestPostgresOpenConcurrently(t *testing.T) {
	url := storetest.NewPostgresDatabase(t)
	const n = 4
	dbs := make([]*store.DB, n)
	errs := make([]error, n)
	migrateErrs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = store.Open(context.Background(), url, storetest.Box(t))
		})
	}
	for i := range migrateErrs {
		wg.Go(func() {
			<-start
			_, migrateErrs[i] = store.Migrate(context.Background(), url)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range migrateErrs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if errs[0] == nil {
		files, err := filepath.Glob("migrations/postgres/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		if got := storetest.GooseVersions(t, dbs[0]); len(got) != len(files) {
			t.Errorf("goose recorded versions %v for %d files", got, len(files))
		}
	}
}

// TestPostgresOpenErrors: a URL that cannot be parsed, or a server that
// refuses it, fails without repeating the password.
func TestPostgresOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{
		"postgres://antrag:geheim@%zz/antrag",
		"postgres://antrag:geheim@127.0.0.1:1/antrag?connect_timeout=5",
	} {
		db, err := store.Open(ctx, url, storetest.Box(t))
		if err == nil {
			db.Close()
			t.Errorf("Open(%q): no error", url)
			continue
		}
		if strings.Contains(err.Error(), "geheim") {
			t.Errorf("Open(%q) = %v: repeats the password", url, err)
		}
	}
	if _, err := store.Open(ctx, "postgres://%zz", storetest.Box(t)); !errors.Is(err, apperr.Invalid) || strings.Contains(err.Error(), "%zz") {
		t.Errorf("Open with a bad URL = %v, want apperr.Invalid without the URL", err)
	}
	if _, err := store.MigrationStatus(ctx, "postgres://antrag:geheim@%zz/antrag"); err == nil || strings.Contains(err.Error(), "geheim") {
		t.Errorf("MigrationStatus with a bad URL = %v", err)
	}
}

// psqlMeta matches the psql meta-commands pg_dump writes around the dump
// (\restrict, \unrestrict), which are no SQL.
var psqlMeta = regexp.MustCompile(`(?m)^\\(un)?restrict .*$`)

// postgresRelease restores the release's dump (postgres.sql, a plain
// pg_dump with --inserts) into a new database and returns its URL. It
// runs with pgx (no psql needed): the dump has no COPY blocks, so the
// whole script runs as one simple-protocol query, in one implicit
// transaction.
func postgresRelease(t *testing.T) string {
	t.Helper()
	url := storetest.NewPostgresDatabase(t)
	ctx := context.Background()
	dump := storetest.ReadGzip(t, filepath.Join(releaseDir, "postgres.sql.gz"))
	if bytes.Contains(dump, []byte("FROM stdin;")) {
		t.Fatal("postgres.sql has COPY … FROM stdin blocks: dump it with --inserts")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.PgConn().Exec(ctx, string(psqlMeta.ReplaceAll(dump, nil))).ReadAll(); err != nil {
		t.Fatalf("restore postgres.sql: %v", err)
	}
	return url
}
