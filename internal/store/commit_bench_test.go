package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

// BenchmarkSQLiteCommit measures the durable commit rate of a database
// opened as the store opens it (WAL, synchronous=FULL): one transaction
// inserting one small row, committed, per iteration, one at a time as the
// store's one writer connection commits. It is the ceiling of any
// workload that commits once per operation on this disk (see
// BENCHMARKS.md, "Load"); concurrent clients queue for the one
// connection, so more of them do not raise it.
func BenchmarkSQLiteCommit(b *testing.B) {
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "commit.db"), storetest.Box(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	h := db.SQL()
	ctx := context.Background()
	if _, err := h.ExecContext(ctx, `CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var mode string
	if err := h.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode); err != nil || mode != "2" {
		b.Fatalf("synchronous = %q (%v), want 2 (FULL)", mode, err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tx, err := h.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_commit (v) VALUES ($1)`, fmt.Sprint("row ", i)); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
