package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/antrag/antrag/internal/sealed"
)

// TestGroupCommitRollsBackAlone runs use cases at once through
// withGroupTx on SQLite, every third of which writes and then fails: its
// writes are rolled back, and every other one's are committed.
func TestGroupCommitRollsBackAlone(t *testing.T) {
	key := make([]byte, 32)
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "g.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE g (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	fail := errors.New("refused")
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.withGroupTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO g (n) VALUES ($1)`, i); err != nil {
					return err
				}
				if i%3 == 0 {
					return fmt.Errorf("use case %d: %w", i, fail)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%3 == 0) != errors.Is(err, fail) || (i%3 != 0 && err != nil) {
			t.Errorf("use case %d: %v", i, err)
		}
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT n FROM g`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got[v] = true
	}
	for i := range n {
		if got[i] != (i%3 != 0) {
			t.Errorf("row %d stored: %v", i, got[i])
		}
	}
	if db.group.jobs == nil {
		t.Error("no group commits ran")
	}
}
