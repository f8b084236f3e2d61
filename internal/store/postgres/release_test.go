package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5"

	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/postgres"
	"github.com/antrag/antrag/internal/store/postgres/pgtest"
	"github.com/antrag/antrag/internal/store/storetest"
)

// releaseDir holds a database written by the release 8a39845 through its
// own store API (postgres.sql, a plain pg_dump with --inserts), and what
// that release read back from it (see its README.md).
const releaseDir = "../testdata/release-8a39845"

// The release's schema: antrag's migrations up to this version and
// River's up to this one.
const (
	releaseAntragVersion = 6
	releaseRiverVersion  = 8
)

// psqlMeta matches the psql meta-commands pg_dump writes around the dump
// (\restrict, \unrestrict), which are no SQL.
var psqlMeta = regexp.MustCompile(`(?m)^\\(un)?restrict .*$`)

// restoreRelease executes the release's dump in the database at url,
// with pgx (no psql needed): the dump has no COPY blocks, so the whole
// script runs as one simple-protocol query, in one implicit transaction.
func restoreRelease(t *testing.T, url string) {
	t.Helper()
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
}

// TestRelease8a39845 restores the release's PostgreSQL dump into a new
// database, opens it with the current code, which migrates it in place,
// and checks that every row reads back as the release read it and that
// the migrated data can be written.
func TestRelease8a39845(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	expected, err := os.ReadFile(filepath.Join(releaseDir, "expected-postgres.json"))
	if err != nil {
		t.Fatal(err)
	}
	fx := storetest.DecodeRelease(t, expected)
	restoreRelease(t, url)

	// Before: the release's migrations are applied, the newer ones pending.
	before, err := postgres.MigrationStatus(ctx, url)
	if err != nil {
		t.Fatalf("MigrationStatus before Open: %v", err)
	}
	for _, m := range before {
		inRelease := (m.Source == "antrag" && m.Version <= releaseAntragVersion) || (m.Source == "river" && m.Version <= releaseRiverVersion)
		if m.Applied != inRelease {
			t.Errorf("before Open: %s migration %s applied %v, want %v", m.Source, m.Name, m.Applied, inRelease)
		}
		if !m.Applied {
			t.Logf("pending before Open: %s %s", m.Source, m.Name)
		}
	}

	db, err := postgres.Open(ctx, url, fx.Box(t))
	if err != nil {
		t.Fatalf("Open (migrating the release's database): %v", err)
	}
	defer db.Close()
	after, err := postgres.MigrationStatus(ctx, url)
	if err != nil {
		t.Fatalf("MigrationStatus after Open: %v", err)
	}
	for _, m := range after {
		if !m.Applied {
			t.Errorf("after Open: %s migration %s still pending", m.Source, m.Name)
		}
	}
	if len(after) < len(before) {
		t.Errorf("MigrationStatus lists %d migrations after Open, %d before", len(after), len(before))
	}

	storetest.CheckReleaseRows(t, fx, func(table string) (n int, err error) {
		err = db.Pool().QueryRow(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
		return n, err
	})

	// Web sessions, as scs's store reads them.
	sessions := pgxstore.NewWithCleanupInterval(db.Pool(), 0)
	for _, s := range fx.Sessions {
		b, found, err := sessions.Find(s.Token)
		if err != nil || !found || !bytes.Equal(b, s.Data) {
			t.Errorf("session %s…: found %v, %v, data equal %v", s.Token[:8], found, err, bytes.Equal(b, s.Data))
		}
	}

	storetest.CheckRelease(t, db, expected)
	db.Close()

	// Another key cannot open the release's data.
	wrong, err := sealed.New(bytes.Repeat([]byte{0xa5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if db, err := postgres.Open(ctx, url, wrong); !errors.Is(err, postgres.ErrWrongKey) {
		if err == nil {
			db.Close()
		}
		t.Errorf("Open with another key: %v, want ErrWrongKey", err)
	}
}
