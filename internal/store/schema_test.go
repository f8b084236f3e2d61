package store_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/store/storetest"
)

// column is what the schemas of both dialects must agree on (types differ
// by dialect).
type column struct {
	name    string
	notNull bool
}

// ownTable reports whether a table is antrag's own (not River's, goose's
// or the database's).
func ownTable(name string) bool {
	return !strings.HasPrefix(name, "river_") && !strings.HasPrefix(name, "sqlite_") && name != "goose_db_version"
}

// TestSchemaMatches: both migration sets yield the same tables with the
// same columns, NOT NULL alike, so that the dialects cannot drift apart;
// and on PostgreSQL every text column of antrag's tables collates "C",
// bytewise, as SQLite compares text.
func TestSchemaMatches(t *testing.T) {
	pg := storetest.Open(t, storetest.NewPostgresDatabase(t))
	liteDSN, _ := sqliteDSN(t)
	lite := storetest.Open(t, liteDSN)

	want := sqliteSchema(t, lite.SQL())
	for _, table := range []string{"tenants", "submissions", "deliveries", "sessions", "key_check"} {
		if len(want[table]) == 0 {
			t.Fatalf("SQLite schema has no table %s: %v", table, sortedKeys(want))
		}
	}
	got := postgresSchema(t, pg.SQL())
	if g, w := sortedKeys(got), sortedKeys(want); !slices.Equal(g, w) {
		t.Fatalf("tables on PostgreSQL %v, on SQLite %v", g, w)
	}
	for table, wantCols := range want {
		if g, w := describe(got[table]), describe(wantCols); !slices.Equal(g, w) {
			t.Errorf("%s: columns on PostgreSQL %v, on SQLite %v", table, g, w)
		}
	}

	collations := textCollations(t, pg.SQL())
	if len(collations) == 0 {
		t.Fatal("PostgreSQL schema has no text columns")
	}
	for col, coll := range collations {
		if coll != "C" {
			t.Errorf("%s collates %q, want \"C\"", col, coll)
		}
	}
}

func sqliteSchema(t *testing.T, db *sql.DB) map[string][]column {
	t.Helper()
	rows, err := db.Query(`SELECT m.name, p.name, p."notnull" OR p.pk > 0
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.name`)
	if err != nil {
		t.Fatal(err)
	}
	return scanSchema(t, rows)
}

func postgresSchema(t *testing.T, db *sql.DB) map[string][]column {
	t.Helper()
	rows, err := db.Query(`SELECT table_name, column_name, is_nullable = 'NO'
		FROM information_schema.columns c
		WHERE table_schema = current_schema()
		AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = c.table_schema
			AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE')
		ORDER BY table_name, column_name`)
	if err != nil {
		t.Fatal(err)
	}
	return scanSchema(t, rows)
}

// scanSchema reads rows of (table, column, not null) of antrag's tables.
func scanSchema(t *testing.T, rows *sql.Rows) map[string][]column {
	t.Helper()
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var table string
		var c column
		if err := rows.Scan(&table, &c.name, &c.notNull); err != nil {
			t.Fatal(err)
		}
		if ownTable(table) {
			out[table] = append(out[table], c)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// textCollations returns the collation of every text column of antrag's
// tables on PostgreSQL, by "table.column" ("" for the database's default).
func textCollations(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT c.table_name, c.column_name, coalesce(c.collation_name, '')
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		AND c.data_type IN ('text', 'character varying', 'character')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var table, col, coll string
		if err := rows.Scan(&table, &col, &coll); err != nil {
			t.Fatal(err)
		}
		if ownTable(table) {
			out[table+"."+col] = coll
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
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
