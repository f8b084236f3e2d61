package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// BenchmarkInboxQueries runs the inbox's queries (submission.ListPage, 50
// a page) over 10,000 submissions of one tenant and 1,000 of another, on
// each database, against the baseline of reading one submission by id in
// the same run. PostgreSQL has its table statistics (ANALYZE, as
// autovacuum keeps them); SQLite has none, as in an installation.
func BenchmarkInboxQueries(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d.Name, func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d.NewDSN(b))
			a, svcs := benchTenant(b, db, "musterstadt", 2)
			other, otherSvcs := benchTenant(b, db, "beispielkreis", 1)
			start := time.Date(2025, 12, 7, 0, 0, 0, 0, time.UTC)
			step := 365 * 24 * time.Hour / 10000
			subs := seedSubmissions(b, db, a, svcs, 10000, start, step)
			seedSubmissions(b, db, other, otherSvcs, 1000, start, 10*step)
			for _, s := range subs[:20] {
				ds, err := db.Deliveries(ctx, a.ID, s.ID)
				if err != nil {
					b.Fatal(err)
				}
				from := ds[0].State
				ds[0].State = delivery.Failed
				if err := db.UpdateDelivery(ctx, ds[0], from, nil); err != nil {
					b.Fatal(err)
				}
			}
			if db.Dialect() == "postgres" {
				// What autovacuum does in a running installation after this
				// many new rows; without statistics PostgreSQL takes the
				// tenant's 10,000 rows for a few and sorts them.
				if _, err := db.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			search, err := submission.ParseSearch(subs[4321].Reference)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				name string
				f    submission.Filter
			}{
				{"first-page", submission.Filter{}},
				{"deep-page", submission.Filter{After: submission.CursorOf(subs[5000])}},
				{"filtered-service-status-dates", submission.Filter{ServiceID: svcs[0].ID, Status: submission.InBearbeitung,
					ReceivedFrom: start.AddDate(0, 3, 0), ReceivedBefore: start.AddDate(0, 9, 0)}},
				{"filtered-delivery-failed", submission.Filter{DeliveryState: string(delivery.Failed)}},
				{"any-failed-with-data", submission.Filter{DeliveryState: string(delivery.Failed), HasData: true}},
				{"search-vorgangsnummer", submission.Filter{Search: search}},
			} {
				if c.name == "first-page" {
					b.Run("baseline-by-id", func(b *testing.B) {
						for b.Loop() {
							if _, err := db.Submission(ctx, a.ID, subs[4321].ID); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						p, err := submission.ListPage(ctx, db, a.ID, c.f, 50)
						if err != nil || len(p.Items) == 0 {
							b.Fatalf("ListPage: %d items, %v", len(p.Items), err)
						}
					}
				})
			}
		})
	}
}

func benchTenant(b *testing.B, db *store.DB, slug string, services int) (*tenant.Tenant, []*tenant.Service) {
	b.Helper()
	ctx := context.Background()
	tn := &tenant.Tenant{Slug: slug, Name: slug, Kind: tenant.Gemeinde}
	if err := db.CreateTenant(ctx, tn); err != nil {
		b.Fatal(err)
	}
	var svcs []*tenant.Service
	for i := range services {
		svc := &tenant.Service{TenantID: tn.ID, Slug: slug + "-" + string(rune('a'+i)), Name: "Dienst"}
		if err := db.CreateService(ctx, svc); err != nil {
			b.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	return tn, svcs
}

// seedSubmissions stores n submissions through Submit from 4 goroutines
// (PostgreSQL takes them in parallel; SQLite queues them on its one
// writer), alternating the services, the i-th at start + i*step; every
// third is in Bearbeitung, every seventh abgeschlossen. It returns them in
// order of i.
func seedSubmissions(b *testing.B, db *store.DB, tn *tenant.Tenant, svcs []*tenant.Service, n int, start time.Time, step time.Duration) []*submission.Submission {
	b.Helper()
	data := []byte(`{"benchmark":true}`)
	sum := sha256.Sum256(data)
	out := make([]*submission.Submission, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				st := submission.Eingegangen
				switch {
				case i%7 == 0:
					st = submission.Abgeschlossen
				case i%3 == 0:
					st = submission.InBearbeitung
				}
				s := &submission.Submission{TenantID: tn.ID, ServiceID: svcs[i%len(svcs)].ID,
					Reference: submission.NewReference(), Status: st, Data: data, DataSHA256: hex.EncodeToString(sum[:]),
					SubmittedAt: start.Add(time.Duration(i) * step)}
				got, _, _, err := db.Submit(context.Background(), s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
				if err != nil {
					errs <- err
					return
				}
				out[i] = got
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return out
}
