package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

// lookupIndexes are the lookups that run on every submission, with the
// partial unique index each must use, so that its cost does not grow with
// the number of submissions.
var lookupIndexes = map[string]string{
	store.WhereIdempotencyKey: "submissions_idempotency_key",
	store.WhereExternalRef:    "submissions_external_ref",
}

// TestLookupsUseIndexes checks the plans of the lookups with bound
// parameters: SQLite's EXPLAIN QUERY PLAN, and PostgreSQL's generic plan
// of a prepared statement (the plan a statement gets that does not depend
// on its parameters' values), with sequential scans disabled so that the
// plan shows whether the index can be used at all, whatever the tiny
// table's statistics say.
func TestLookupsUseIndexes(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			db := storetest.Open(t, d.NewDSN(t))
			explain := map[string]func(t *testing.T, db *store.DB, where string) string{
				"sqlite":   sqlitePlan,
				"postgres": postgresGenericPlan,
			}[d.Name]
			for where, index := range lookupIndexes {
				if plan := explain(t, db, where); !strings.Contains(plan, index) {
					t.Errorf("%s: plan\n%s\ndoes not use %s", where, plan, index)
				}
			}
		})
	}
}

const lookupQuery = `SELECT ` + store.SubmissionColumns + ` FROM submissions WHERE `

func sqlitePlan(t *testing.T, db *store.DB, where string) string {
	t.Helper()
	rows, err := db.SQL().Query(`EXPLAIN QUERY PLAN `+lookupQuery+where, "t", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

func postgresGenericPlan(t *testing.T, db *store.DB, where string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{
		`BEGIN`, // SET LOCAL: the pooled connection keeps its settings
		`SET LOCAL plan_cache_mode = force_generic_plan`,
		`SET LOCAL enable_seqscan = off`,
		`PREPARE lookup (text, text) AS ` + lookupQuery + where,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)
	defer conn.ExecContext(ctx, `DEALLOCATE lookup`)
	rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE lookup('t', 'k')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}
