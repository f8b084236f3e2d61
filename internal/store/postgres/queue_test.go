package postgres_test

import (
	"context"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/outbox"
	"github.com/antrag/antrag/internal/store/outbox/outboxtest"
	"github.com/antrag/antrag/internal/store/postgres"
	"github.com/antrag/antrag/internal/store/postgres/pgtest"
)

// TestQueue runs the shared queue suite on PostgreSQL: "another process" is
// a second pool on the same database.
func TestQueue(t *testing.T) {
	pgtest.URL(t)
	outboxtest.Run(t, outboxtest.Backend{
		New: func(t *testing.T) (outboxtest.DB, string) {
			url := pgtest.NewDatabase(t)
			return mustOpen(t, url), url
		},
		Open: func(t *testing.T, url string) outboxtest.DB { return mustOpen(t, url) },
		Run: func(ctx context.Context, db outboxtest.DB, r delivery.Runner, cfg outbox.Config) (outboxtest.Stopper, error) {
			return db.(*postgres.DB).RunQueue(ctx, r, cfg)
		},
		OpenJobs: func(t *testing.T, db outboxtest.DB) int {
			var n int
			must(t, db.(*postgres.DB).Pool().QueryRow(context.Background(),
				`SELECT count(*) FROM river_job WHERE kind = 'antrag_deliver' AND state <> 'completed'`).Scan(&n))
			return n
		},
		JobsIn: func(t *testing.T, db outboxtest.DB, state string) int {
			var n int
			must(t, db.(*postgres.DB).Pool().QueryRow(context.Background(),
				`SELECT count(*) FROM river_job WHERE kind = 'antrag_deliver' AND state = $1`, state).Scan(&n))
			return n
		},
		DropJob: func(t *testing.T, db outboxtest.DB, deliveryID string) {
			_, err := db.(*postgres.DB).Pool().Exec(context.Background(),
				`DELETE FROM river_job WHERE kind = 'antrag_deliver' AND args->>'delivery_id' = $1`, deliveryID)
			must(t, err)
		},
	})
}
