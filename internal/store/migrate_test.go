package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// roundTripVersion is the version that TestMigrationRoundTrip migrates
// down to: the schema before migration 00008.
const roundTripVersion = 7

// TestMigrationRoundTrip: a new database with data, migrated down to
// version 7 (as for a roll-back to a release of that schema) and up again,
// keeps its data, the order of each submission's deliveries included, and
// keeps working.
func TestMigrationRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
		must(t, db.CreateTenant(ctx, tn))
		svc := &tenant.Service{TenantID: tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken"}
		must(t, db.CreateService(ctx, svc))
		must(t, db.SetTargets(ctx, tn.ID, svc.ID, []*delivery.Target{
			{Kind: delivery.Webhook, URL: "https://a.example.org/hook", Secret: delivery.NewWebhookSecret()},
			{Kind: delivery.Email, Address: "amt@example.org"},
			{Kind: delivery.Webhook, URL: "https://b.example.org/hook", Secret: delivery.NewWebhookSecret()},
			{Kind: delivery.Email, Address: "leitung@example.org"},
		}))
		var subs []string
		for _, ref := range []string{"R-1", "R-2", "R-3"} {
			subs = append(subs, submit(t, db, tn, svc, ref))
		}
		// One delivery done (a done time, no next attempt), one failed.
		ds, err := db.Deliveries(ctx, tn.ID, subs[0])
		must(t, err)
		done := ds[1]
		done.State, done.Attempts, done.NextAttempt, done.DoneAt = delivery.Delivered, 1, time.Time{}, time.Now()
		must(t, db.UpdateDelivery(ctx, done, delivery.Pending, nil))
		failed := ds[2]
		failed.State, failed.Attempts, failed.LastError, failed.NextAttempt, failed.DoneAt = delivery.Failed, 12, "HTTP 500", time.Time{}, time.Now()
		must(t, db.UpdateDelivery(ctx, failed, delivery.Pending, nil))
		before := map[string][]*delivery.Delivery{}
		for _, id := range subs {
			before[id], err = db.Deliveries(ctx, tn.ID, id)
			must(t, err)
		}

		p, err := store.GooseProvider(db)
		must(t, err)
		latest, err := p.GetDBVersion(ctx)
		must(t, err)
		if latest <= roundTripVersion {
			t.Fatalf("database version %d, want more than %d", latest, roundTripVersion)
		}
		if _, err := p.DownTo(ctx, roundTripVersion); err != nil {
			t.Fatalf("migrate down to %d: %v", roundTripVersion, err)
		}
		if v, err := p.GetDBVersion(ctx); err != nil || v != roundTripVersion {
			t.Fatalf("version after down = %d, %v; want %d", v, err, roundTripVersion)
		}
		if db.Dialect() == "postgres" {
			for col, coll := range textCollations(t, db.SQL()) {
				if coll != "" {
					t.Errorf("version %d: %s collates %q, want the default", roundTripVersion, col, coll)
				}
			}
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
		if v, err := p.GetDBVersion(ctx); err != nil || v != latest {
			t.Fatalf("version after up = %d, %v; want %d", v, err, latest)
		}
		must(t, db.Close())

		// Reopened, nothing is pending and every delivery is as it was.
		if db, err := store.OpenWith(ctx, dsn, storetest.Box(t), store.Options{NoMigrate: true}); err != nil {
			t.Fatalf("OpenWith(NoMigrate) after the round trip: %v", err)
		} else {
			db.Close()
		}
		db = storetest.Open(t, dsn)
		for _, id := range subs {
			after, err := db.Deliveries(ctx, tn.ID, id)
			must(t, err)
			if !reflect.DeepEqual(after, before[id]) {
				t.Errorf("deliveries of %s after the round trip:\n%s\nbefore:\n%s", id, deliverytest.Format(after), deliverytest.Format(before[id]))
			}
		}
		if db.Dialect() == "postgres" {
			for col, coll := range textCollations(t, db.SQL()) {
				if coll != "C" {
					t.Errorf("after the round trip: %s collates %q, want \"C\"", col, coll)
				}
			}
		}
		// And it keeps working: a new submission gets its deliveries in
		// the targets' order, and a failed one can be delivered again.
		id := submit(t, db, tn, svc, "R-4")
		ds, err = db.Deliveries(ctx, tn.ID, id)
		must(t, err)
		if len(ds) != len(before[subs[0]]) {
			t.Fatalf("deliveries of a new submission: %s", deliverytest.Format(ds))
		}
		for i, d := range ds {
			if w := before[subs[0]][i]; d.Target.Kind != w.Target.Kind || d.Target.URL != w.Target.URL || d.Target.Address != w.Target.Address {
				t.Errorf("delivery #%d of a new submission goes to %+v, want %+v", i, d.Target, w.Target)
			}
		}
		must(t, db.Redeliver(ctx, tn.ID, failed.ID, &submission.Event{Actor: "sachbearbeitung", Action: "erneut zustellen"}))
		if d, err := db.Delivery(ctx, tn.ID, failed.ID); err != nil || d.State != delivery.Pending || d.Round != 1 {
			t.Errorf("after Redeliver: %s, %v", deliverytest.One(d), err)
		}
	})
}

// submit submits to the service and returns the submission's id.
func submit(t *testing.T, db *store.DB, tn *tenant.Tenant, svc *tenant.Service, reference string) string {
	t.Helper()
	s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: reference, Data: []byte(`{"a":1}`)}
	_, created, _, err := db.Submit(context.Background(), s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	must(t, err)
	if !created {
		t.Fatalf("Submit(%s): created = false", reference)
	}
	return s.ID
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
