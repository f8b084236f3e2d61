package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/store/postgres/pgtest"
	"github.com/antrag/antrag/internal/store/sqlite"
)

// column is what the schemas of both backends must agree on (types differ
// by dialect).
type column struct {
	name    string
	notNull bool
}

// nullableOnPostgres are the columns that are NOT NULL with ” for "none"
// on SQLite (times stored as TEXT) and nullable TIMESTAMPTZ on PostgreSQL.
var nullableOnPostgres = map[string]bool{
	"deliveries.next_attempt_at": true,
	"deliveries.done_at":         true,
}

// ownTable reports whether a table is antrag's own (not River's, goose's
// or the database's).
func ownTable(name string) bool {
	return !strings.HasPrefix(name, "river_") && !strings.HasPrefix(name, "sqlite_") && name != "goose_db_version"
}

// TestSchemaMatchesSQLite: both migration sets yield the same tables with
// the same columns, so that the backends cannot drift apart.
func TestSchemaMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	pg := mustOpen(t, pgtest.NewDatabase(t))
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "antrag.db"), mustBox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()

	want := sqliteSchema(t, lite.SQL())
	for _, table := range []string{"tenants", "submissions", "deliveries", "sessions", "key_check"} {
		if len(want[table]) == 0 {
			t.Fatalf("SQLite schema has no table %s: %v", table, sortedKeys(want))
		}
	}
	got := map[string][]column{}
	rows, err := pg.Pool().Query(ctx, `SELECT table_name, column_name, is_nullable = 'NO'
		FROM information_schema.columns c
		WHERE table_schema = current_schema()
		AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = c.table_schema
			AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE')
		ORDER BY table_name, column_name`)
	must(t, err)
	for rows.Next() {
		var table string
		var c column
		must(t, rows.Scan(&table, &c.name, &c.notNull))
		if !ownTable(table) {
			continue
		}
		if nullableOnPostgres[table+"."+c.name] {
			c.notNull = true
		}
		got[table] = append(got[table], c)
	}
	must(t, rows.Err())

	if g, w := sortedKeys(got), sortedKeys(want); !slices.Equal(g, w) {
		t.Fatalf("tables on PostgreSQL %v, on SQLite %v", g, w)
	}
	for table, wantCols := range want {
		if g, w := describe(got[table]), describe(wantCols); !slices.Equal(g, w) {
			t.Errorf("%s: columns on PostgreSQL %v, on SQLite %v", table, g, w)
		}
	}
}

func sqliteSchema(t *testing.T, db *sql.DB) map[string][]column {
	t.Helper()
	rows, err := db.Query(`SELECT m.name, p.name, p."notnull" OR p.pk > 0
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.name`)
	must(t, err)
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var table string
		var c column
		must(t, rows.Scan(&table, &c.name, &c.notNull))
		if ownTable(table) {
			out[table] = append(out[table], c)
		}
	}
	must(t, rows.Err())
	return out
}

func sortedKeys(m map[string][]column) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func describe(cols []column) []string {
	var out []string
	for _, c := range cols {
		null := "NULL"
		if c.notNull {
			null = "NOT NULL"
		}
		out = append(out, fmt.Sprintf("%s %s", c.name, null))
	}
	slices.Sort(out)
	return out
}
