package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/sealed"
)

// TestLookupsUseIndexes: the lookups that run on every submission use an
// index, so that their cost does not grow with the number of submissions.
func TestLookupsUseIndexes(t *testing.T) {
	box, err := sealed.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for where, index := range map[string]string{
		whereIdempotencyKey: "submissions_idempotency_key",
		whereExternalRef:    "submissions_external_ref",
	} {
		rows, err := db.db.Query(`EXPLAIN QUERY PLAN SELECT `+submissionColumns+` FROM submissions WHERE `+where, "t", "k")
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), "USING INDEX "+index) {
			t.Errorf("%s: plan\n%s\ndoes not use %s", where, plan.String(), index)
		}
	}
}
