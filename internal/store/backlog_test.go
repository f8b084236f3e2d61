package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// TestBacklog: the backlog counts the queue's unfinished jobs by state and
// the pending deliveries, and reads the age of the oldest due job and of
// the oldest pending delivery from the stored times of either database.
func TestBacklog(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		b, err := db.Backlog(ctx)
		must(t, err)
		if len(b.Jobs) != 0 || b.OldestJobDue != 0 || b.PendingDeliveries != 0 || b.OldestPending != 0 {
			t.Errorf("backlog of an empty database: %+v", b)
		}

		tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
		must(t, db.CreateTenant(ctx, tn))
		auth := &tenant.Authority{TenantID: tn.ID, Name: "Bürgeramt"}
		must(t, db.CreateAuthority(ctx, auth))
		svc := &tenant.Service{TenantID: tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken", AuthorityID: auth.ID}
		must(t, db.CreateService(ctx, svc))
		must(t, db.SetTargets(ctx, tn.ID, svc.ID, []*delivery.Target{
			{Kind: delivery.Email, Address: "amt@example.org"}, {Kind: delivery.Inbox}}))
		// Sent two hours ago: its e-mail delivery is pending since then
		// (the inbox delivery is delivered with it).
		s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, AuthorityID: auth.ID, Reference: "BACKLOG-1",
			Data: []byte(`{"a":1}`), SubmittedAt: time.Now().Add(-2 * time.Hour)}
		_, _, _, err = db.Submit(ctx, s, &submission.Event{At: s.SubmittedAt, Actor: "Antragsteller", Action: "eingegangen"}, nil)
		must(t, err)
		// Its job has been due for a minute.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE river_job SET scheduled_at = `+minuteAgo[db.Dialect()]+
			` WHERE kind = 'antrag_deliver'`); err != nil {
			t.Fatal(err)
		}

		b, err = db.Backlog(ctx)
		must(t, err)
		if b.Jobs["available"] != 1 || len(b.Jobs) != 1 {
			t.Errorf("jobs %v, want one available", b.Jobs)
		}
		if b.OldestJobDue < 50*time.Second || b.OldestJobDue > time.Hour {
			t.Errorf("oldest job due for %v, want about a minute", b.OldestJobDue)
		}
		if b.PendingDeliveries != 1 {
			t.Errorf("%d pending deliveries, want 1", b.PendingDeliveries)
		}
		if b.OldestPending < 110*time.Minute || b.OldestPending > 3*time.Hour {
			t.Errorf("oldest pending delivery %v old, want about two hours", b.OldestPending)
		}

		// A job scheduled for later is counted, but not due.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'scheduled', scheduled_at = `+
			map[string]string{"sqlite": `datetime('now', '+1 hour')`, "postgres": `now() + interval '1 hour'`}[db.Dialect()]+
			` WHERE kind = 'antrag_deliver'`); err != nil {
			t.Fatal(err)
		}
		b, err = db.Backlog(ctx)
		must(t, err)
		if b.Jobs["scheduled"] != 1 || b.OldestJobDue != 0 {
			t.Errorf("a job scheduled for later: jobs %v, oldest due %v", b.Jobs, b.OldestJobDue)
		}
	})
}
