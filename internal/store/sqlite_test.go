package store_test

// What only SQLite has: a file (its mode, its bytes), pragmas, one
// connection.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

// sqliteDSN returns the DSN of a new SQLite database in a directory of its
// own, and the file's path.
func sqliteDSN(t *testing.T) (dsn, path string) {
	path = filepath.Join(t.TempDir(), "antrag.db")
	return "sqlite:" + path, path
}

// sqliteAtRest returns the bytes of the database file at dsn and of
// SQLite's files beside it (write-ahead log, shared memory, journal).
func sqliteAtRest(t *testing.T, dsn string) storetest.AtRest {
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		t.Fatalf("not a SQLite DSN: %q", dsn)
	}
	return func(t *testing.T) []byte {
		t.Helper()
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
}

func TestSQLiteDurableCommits(t *testing.T) {
	dsn, _ := sqliteDSN(t)
	db := storetest.Open(t, dsn)
	for pragma, want := range map[string]string{
		"journal_mode":  "wal",
		"foreign_keys":  "1",
		"busy_timeout":  "5000",
		"synchronous":   "2", // FULL: a confirmed application survives a power failure
		"secure_delete": "1",
	} {
		var got string
		if err := db.SQL().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if n := db.SQL().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("MaxOpenConnections = %d, want 1", n)
	}
	if got := db.Dialect(); got != "sqlite" {
		t.Errorf("Dialect() = %q", got)
	}
}

// TestSQLiteFileMode: the database file, and SQLite's files beside it
// while it is open, are readable by the owner only.
func TestSQLiteFileMode(t *testing.T) {
	dsn, path := sqliteDSN(t)
	db := storetest.Open(t, dsn)
	if _, err := db.ListTenants(context.Background()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %v, want 0600", mode)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			t.Errorf("%s while open: %v", suffix, err)
			continue
		}
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			t.Errorf("%s file mode %v, want no access for group and others", suffix, mode)
		}
	}
}

// TestSQLiteOpenErrors: paths that SQLite cannot open, or that the DSN
// cannot carry, are refused.
func TestSQLiteOpenErrors(t *testing.T) {
	ctx := context.Background()
	if db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), storetest.Box(t)); err == nil {
		db.Close()
		t.Error("Open in a missing directory: no error")
	}
	for _, dsn := range []string{"sqlite:", "sqlite:" + filepath.Join(t.TempDir(), "x.db") + "?_pragma=foreign_keys(0)"} {
		db, err := store.Open(ctx, dsn, storetest.Box(t))
		if err == nil {
			db.Close()
		}
		if !errors.Is(err, apperr.Invalid) {
			t.Errorf("Open(%q) = %v, want apperr.Invalid", dsn, err)
		}
	}
}

// sqliteRelease copies the release's SQLite file into a new directory and
// returns its DSN.
func sqliteRelease(t *testing.T) string {
	dsn, path := sqliteDSN(t)
	if err := os.WriteFile(path, storetest.ReadGzip(t, filepath.Join(releaseDir, "antrag.db.gz")), 0o600); err != nil {
		t.Fatal(err)
	}
	return dsn
}
