package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/store/storetest"
)

// TestReplacePostcodesLarge writes more rows than one batch, with a
// remainder, and reads them back.
func TestReplacePostcodesLarge(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		db := storetest.Open(t, dsn)
		ctx := context.Background()
		const n = 2*500 + 137
		entries := make([]area.PostcodeEntry, n)
		for i := range entries {
			entries[i] = area.PostcodeEntry{Postcode: fmt.Sprintf("%05d", 10000+i/3), Street: fmt.Sprintf("Weg %d", i), ARS: "160510000000", Name: "Erfurt"}
		}
		if err := db.ReplacePostcodes(ctx, entries); err != nil {
			t.Fatal(err)
		}
		if got, err := db.PostcodeCount(ctx); err != nil || got != n {
			t.Errorf("%d rows, %v; want %d", got, err, n)
		}
		last := entries[n-1]
		if got, err := db.Municipalities(ctx, last.Postcode, last.Street); err != nil || len(got) != 1 {
			t.Errorf("last entry: %+v, %v", got, err)
		}
	})
}
