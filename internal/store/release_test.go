package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/antrag/antrag/internal/store/storetest"
)

// releaseDir holds databases written by the release 8a39845 through its
// own store API, and what that release read back from them (see its
// README.md).
const releaseDir = "testdata/release-8a39845"

// release8a39845 is the schema of the release's databases: antrag's
// migrations up to 00006 and River's up to 8.
var release8a39845 = storetest.ReleaseSchema{Antrag: 6, River: 8}

// TestRelease8a39845 opens the release's database of each dialect (a copy
// of its SQLite file; its PostgreSQL dump restored into a new database)
// with the current code, which migrates it in place, and checks that
// every row reads back as the release read it, in the same order, and
// that the migrated data can be written.
func TestRelease8a39845(t *testing.T) {
	restore := map[string]func(t *testing.T) string{
		"sqlite":   sqliteRelease,
		"postgres": postgresRelease,
	}
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			skipUnavailable(t, d)
			expected, err := os.ReadFile(filepath.Join(releaseDir, "expected-"+d.Name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			storetest.CheckReleaseDatabase(t, restore[d.Name](t), expected, release8a39845)
		})
	}
}
