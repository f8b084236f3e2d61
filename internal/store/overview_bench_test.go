package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/overview"
	"github.com/antrag/antrag/internal/store/storetest"
)

// BenchmarkOverview builds the overview (overview.Build: its four
// queries) of a tenant with 10,000 applications in the 30 days, each
// delivered to the inbox and a webhook (all but 200 of the webhook
// deliveries delivered), next to another tenant's 1,000, on each
// database.
func BenchmarkOverview(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d.Name, func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d.NewDSN(b))
			a, svcs := benchTenant(b, db, "musterstadt", 3)
			other, otherSvcs := benchTenant(b, db, "beispielkreis", 1)
			for _, svc := range svcs {
				if err := db.SetTargets(ctx, a.ID, svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
					{Kind: delivery.Webhook, URL: "https://fachverfahren.example.org/hook", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}); err != nil {
					b.Fatal(err)
				}
			}
			now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
			start := now.AddDate(0, 0, -29)
			step := 29 * 24 * time.Hour / 10000
			seedSubmissions(b, db, a, svcs, 10000, start, step)
			seedSubmissions(b, db, other, otherSvcs, 1000, start, 10*step)
			var done any = now
			if db.Dialect() == "sqlite" {
				done = now.Format("2006-01-02T15:04:05.000000Z")
			}
			if _, err := db.SQL().ExecContext(ctx, `UPDATE deliveries SET state = 'zugestellt', attempts = 1, done_at = $1,
				next_attempt_at = NULL WHERE tenant_id = $2 AND kind = 'webhook' AND submission_id NOT IN (`+
				`SELECT id FROM submissions WHERE tenant_id = $2 ORDER BY submitted_at DESC LIMIT 200)`, done, a.ID); err != nil {
				b.Fatal(err)
			}
			if db.Dialect() == "postgres" {
				if _, err := db.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				o, err := overview.Build(ctx, db, a.ID, now, 30)
				if err != nil || o.Total != 10000 || o.OpenTotal != 200 || len(o.Times) != 1 || o.Times[0].Count != 9800 {
					b.Fatalf("Build: %v; total %d, open %d, times %+v", err, o.Total, o.OpenTotal, o.Times)
				}
			}
		})
	}
}
