package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/outbox"
	"github.com/antrag/antrag/internal/store/outbox/outboxtest"
	"github.com/antrag/antrag/internal/store/sqlite"
)

// TestQueue runs the shared queue suite on SQLite: a database is a file,
// "another process" a second handle on it.
func TestQueue(t *testing.T) {
	outboxtest.Run(t, outboxtest.Backend{
		New: func(t *testing.T) (outboxtest.DB, string) {
			path := filepath.Join(t.TempDir(), "antrag.db")
			return mustOpen(t, path), path
		},
		Open: func(t *testing.T, path string) outboxtest.DB { return mustOpen(t, path) },
		Run: func(ctx context.Context, db outboxtest.DB, r delivery.Runner, cfg outbox.Config) (outboxtest.Stopper, error) {
			return db.(*sqlite.DB).RunQueue(ctx, r, cfg)
		},
		OpenJobs: func(t *testing.T, db outboxtest.DB) int {
			var n int
			must(t, db.(*sqlite.DB).SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'antrag_deliver' AND state <> 'completed'`).Scan(&n))
			return n
		},
		JobsIn: func(t *testing.T, db outboxtest.DB, state string) int {
			var n int
			must(t, db.(*sqlite.DB).SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'antrag_deliver' AND state = ?`, state).Scan(&n))
			return n
		},
		DropJob: func(t *testing.T, db outboxtest.DB, deliveryID string) {
			_, err := db.(*sqlite.DB).SQL().Exec(`DELETE FROM river_job WHERE kind = 'antrag_deliver' AND json_extract(args, '$.delivery_id') = ?`, deliveryID)
			must(t, err)
		},
	})
}
