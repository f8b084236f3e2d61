package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/alexedwards/scs/sqlite3store"

	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/sqlite"
	"github.com/antrag/antrag/internal/store/storetest"
)

// releaseDir holds a database written by the release 8a39845 through its
// own store API, and what that release read back from it (see its
// README.md).
const releaseDir = "../testdata/release-8a39845"

// The release's schema: antrag's migrations up to this version and
// River's up to this one.
const (
	releaseAntragVersion = 6
	releaseRiverVersion  = 8
)

// TestRelease8a39845 opens a copy of the release's SQLite database with
// the current code, which migrates it in place, and checks that every row
// reads back as the release read it and that the migrated data can be
// written.
func TestRelease8a39845(t *testing.T) {
	ctx := context.Background()
	expected, err := os.ReadFile(filepath.Join(releaseDir, "expected-sqlite.json"))
	if err != nil {
		t.Fatal(err)
	}
	fx := storetest.DecodeRelease(t, expected)
	path := filepath.Join(t.TempDir(), "antrag.db")
	db0 := storetest.ReadGzip(t, filepath.Join(releaseDir, "antrag.db.gz"))
	if err := os.WriteFile(path, db0, 0o600); err != nil {
		t.Fatal(err)
	}

	// Before: the release's migrations are applied, the newer ones pending.
	before, err := sqlite.MigrationStatus(ctx, path)
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

	db, err := sqlite.Open(ctx, path, fx.Box(t))
	if err != nil {
		t.Fatalf("Open (migrating the release's database): %v", err)
	}
	defer db.Close()
	after, err := sqlite.MigrationStatus(ctx, path)
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
		err = db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
		return n, err
	})

	// Web sessions, as scs's store reads them.
	sessions := sqlite3store.NewWithCleanupInterval(db.SQL(), 0)
	for _, s := range fx.Sessions {
		b, found, err := sessions.Find(s.Token)
		if err != nil || !found || !bytes.Equal(b, s.Data) {
			t.Errorf("session %s…: found %v, %v, data equal %v", s.Token[:8], found, err, bytes.Equal(b, s.Data))
		}
	}

	storetest.CheckRelease(t, db, expected)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Another key cannot open the release's data.
	wrong, err := sealed.New(bytes.Repeat([]byte{0xa5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(ctx, path, wrong); !errors.Is(err, sqlite.ErrWrongKey) {
		if err == nil {
			db.Close()
		}
		t.Errorf("Open with another key: %v, want ErrWrongKey", err)
	}
}
