package store_test

import (
	"path/filepath"
	"testing"

	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

// forEachDialect runs check on a new, empty database of every dialect, as
// the subtest of the dialect's name.
func forEachDialect(t *testing.T, check func(t *testing.T, dsn string)) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) { check(t, d.NewDSN(t)) })
	}
}

// skipUnavailable skips (or fails, see storetest.PostgresURL) the test of
// a dialect whose server is not there, before it opens any database.
func skipUnavailable(t *testing.T, d storetest.Dialect) {
	t.Helper()
	if d.Name == "postgres" {
		storetest.PostgresURL(t)
	}
}

// atRest returns what the database at dsn holds at rest, for
// storetest.CheckEncryptedAtRest: the files of SQLite's database, or the
// rows of PostgreSQL's tables.
func atRest(t *testing.T, dsn string) storetest.AtRest {
	t.Helper()
	if store.IsPostgres(dsn) {
		return postgresAtRest(dsn)
	}
	return sqliteAtRest(t, dsn)
}

func TestStore(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			skipUnavailable(t, d)
			storetest.Run(t, func(t *testing.T) storetest.Stores {
				return storetest.Open(t, d.NewDSN(t))
			})
		})
	}
}

func TestEncryptedAtRest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		storetest.CheckEncryptedAtRest(t, dsn, atRest(t, dsn))
	})
}

func TestFileNamesSealed(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		storetest.CheckFileNamesSealed(t, dsn, atRest(t, dsn))
	})
}

func TestReopen(t *testing.T) {
	forEachDialect(t, storetest.CheckReopen)
}

func TestMigrationsRecorded(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("migrations", d.Name, "*.sql"))
			if err != nil {
				t.Fatal(err)
			}
			storetest.CheckMigrationsRecorded(t, d.NewDSN(t), files)
		})
	}
}

func TestMigrate(t *testing.T) {
	forEachDialect(t, storetest.CheckMigrate)
}

func TestErrors(t *testing.T) {
	forEachDialect(t, storetest.CheckErrors)
}

func TestSessions(t *testing.T) {
	forEachDialect(t, storetest.CheckSessions)
}

func TestConcurrentWritesSerialize(t *testing.T) {
	forEachDialect(t, storetest.CheckConcurrentWrites)
}

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, want string
		postgres  bool
	}{
		{"postgres://antrag:geheim@db.example:5432/antrag", "postgres://…@db.example:5432/antrag", true},
		{"postgresql://antrag@db/antrag?sslmode=disable", "postgresql://…@db/antrag?sslmode=disable", true},
		{"postgres://db/antrag", "postgres://db/antrag", true},
		{"sqlite:/var/lib/antrag/antrag.db", "sqlite:/var/lib/antrag/antrag.db", false},
		{"sqlite:antrag@home.db", "sqlite:antrag@home.db", false},
		{"mysql://root:geheim@db/antrag", "mysql://…@db/antrag", false},
	} {
		if got := store.RedactDSN(tc.dsn); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
		if got := store.IsPostgres(tc.dsn); got != tc.postgres {
			t.Errorf("IsPostgres(%q) = %v, want %v", tc.dsn, got, tc.postgres)
		}
	}
}
