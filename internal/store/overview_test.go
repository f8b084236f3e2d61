package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/overview"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// ovTenant is a tenant of the overview tests with two services, each
// delivered to the inbox and a webhook.
type ovTenant struct {
	tn         *tenant.Tenant
	svc, other *tenant.Service
}

func newOvTenant(t *testing.T, db *store.DB, slug string) *ovTenant {
	t.Helper()
	ctx := context.Background()
	o := &ovTenant{tn: &tenant.Tenant{Slug: slug, Name: "Mandant " + slug, Kind: tenant.Gemeinde}}
	must(t, db.CreateTenant(ctx, o.tn))
	for i, svc := range []**tenant.Service{&o.svc, &o.other} {
		*svc = &tenant.Service{TenantID: o.tn.ID, Slug: fmt.Sprintf("dienst-%d", i), Name: fmt.Sprintf("Dienst %d von %s", i, slug)}
		must(t, db.CreateService(ctx, *svc))
		must(t, db.SetTargets(ctx, o.tn.ID, (*svc).ID, []*delivery.Target{{Kind: delivery.Inbox},
			{Kind: delivery.Webhook, URL: "https://fachverfahren.example.org/hook", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}))
	}
	return o
}

// submit stores an application of the service submitted at and returns
// its webhook delivery.
func (o *ovTenant) submit(t *testing.T, db *store.DB, svc *tenant.Service, ref string, at time.Time) *delivery.Delivery {
	t.Helper()
	ctx := context.Background()
	s := &submission.Submission{TenantID: o.tn.ID, ServiceID: svc.ID, Reference: ref, Data: []byte(`{"a":1}`), SubmittedAt: at}
	_, created, _, err := db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	must(t, err)
	if !created {
		t.Fatalf("%s not created", ref)
	}
	ds, err := db.Deliveries(ctx, o.tn.ID, s.ID)
	must(t, err)
	for _, d := range ds {
		if d.Target.Kind == delivery.Webhook {
			return d
		}
	}
	t.Fatalf("%s has no webhook delivery", ref)
	return nil
}

// settle moves a pending delivery to state after attempts, done at done
// (zero: still pending).
func settle(t *testing.T, db *store.DB, d *delivery.Delivery, state delivery.State, attempts int, done time.Time) {
	t.Helper()
	d.State, d.Attempts, d.DoneAt = state, attempts, done
	if state == delivery.Pending {
		d.NextAttempt = done.Add(time.Hour)
		d.DoneAt = time.Time{}
	} else {
		d.NextAttempt = time.Time{}
	}
	if state == delivery.Failed {
		d.LastError = "HTTP 500"
	}
	must(t, db.UpdateDelivery(context.Background(), d, delivery.Pending, nil))
}

// TestOverviewQueries: the overview's aggregates count the tenant's own
// applications and deliveries only, within the period, by UTC hour, kind,
// state and attempt; tenant B's identical data never counts for A.
func TestOverviewQueries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		a, b := newOvTenant(t, db, "musterstadt"), newOvTenant(t, db, "beispielkreis")
		from := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC) // 7 December, midnight in Berlin
		to := from.Add(24 * time.Hour)
		at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

		a1 := a.submit(t, db, a.svc, "A-1", at)
		a2 := a.submit(t, db, a.svc, "A-2", at.Add(10*time.Minute))
		a3 := a.submit(t, db, a.other, "A-3", at.Add(2*time.Hour+30*time.Minute))
		a4 := a.submit(t, db, a.svc, "A-4", from.Add(-time.Second)) // the day before
		a5 := a.submit(t, db, a.svc, "A-5", to)                     // the day after
		settle(t, db, a1, delivery.Delivered, 1, at.Add(5*time.Minute))
		settle(t, db, a2, delivery.Failed, 3, at.Add(time.Hour))
		settle(t, db, a3, delivery.Pending, 2, at.Add(3*time.Hour))
		_, _ = a4, a5
		// B: more of everything, in the same hours.
		for i := range 3 {
			d := b.submit(t, db, b.svc, fmt.Sprintf("B-%d", i), at.Add(time.Duration(i)*time.Minute))
			settle(t, db, d, delivery.Failed, 1, at.Add(time.Hour))
			d = b.submit(t, db, b.other, fmt.Sprintf("B-x%d", i), at.Add(2*time.Hour+time.Duration(i)*time.Minute))
			settle(t, db, d, delivery.Delivered, 1, at.Add(4*time.Hour))
		}

		hours, err := db.SubmissionsByHour(ctx, a.tn.ID, from, to)
		must(t, err)
		wantHours := []overview.HourCount{
			{ServiceID: a.svc.ID, ServiceName: a.svc.Name, Hour: at, Count: 2},
			{ServiceID: a.other.ID, ServiceName: a.other.Name, Hour: at.Add(2 * time.Hour), Count: 1},
		}
		if !slices.EqualFunc(hours, wantHours, func(x, y overview.HourCount) bool {
			return x.ServiceID == y.ServiceID && x.ServiceName == y.ServiceName && x.Hour.Equal(y.Hour) && x.Count == y.Count
		}) {
			t.Errorf("SubmissionsByHour = %+v, want %+v", hours, wantHours)
		}

		tallies, err := db.DeliveryTallies(ctx, a.tn.ID, from, to)
		must(t, err)
		got := map[string]int{}
		for _, c := range tallies {
			got[fmt.Sprintf("%s/%s/%v", c.Kind, c.State, c.Tried)] += c.Count
		}
		want := map[string]int{"inbox/zugestellt/false": 3, "webhook/zugestellt/true": 1,
			"webhook/fehlgeschlagen/true": 1, "webhook/ausstehend/true": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("DeliveryTallies = %v, want %v", got, want)
		}

		delivered := []delivery.State{delivery.Delivered, delivery.Accepted}
		all := []delivery.Kind{delivery.Inbox, delivery.Webhook}
		times, more, err := db.DeliveryTimes(ctx, a.tn.ID, from, to, all, delivered, 10)
		must(t, err)
		if len(times) != 4 || more {
			t.Fatalf("DeliveryTimes = %+v (more %v), want 4", times, more)
		}
		if hooks, _, err := db.DeliveryTimes(ctx, a.tn.ID, from, to, []delivery.Kind{delivery.Webhook}, delivered, 10); err != nil ||
			len(hooks) != 1 || hooks[0].Kind != delivery.Webhook {
			t.Errorf("DeliveryTimes of webhooks = %+v, %v", hooks, err)
		}
		var webhook []time.Duration
		for _, x := range times {
			if x.Kind == delivery.Webhook {
				webhook = append(webhook, x.Done.Sub(x.Submitted))
			}
		}
		if len(webhook) != 1 || webhook[0] != 5*time.Minute {
			t.Errorf("webhook delivery times %v, want [5m]", webhook)
		}
		if !times[0].Submitted.Equal(at.Add(2*time.Hour + 30*time.Minute)) {
			t.Errorf("first delivery time of an application submitted %v, want the latest", times[0].Submitted)
		}
		if _, more, err := db.DeliveryTimes(ctx, a.tn.ID, from, to, all, delivered, 3); err != nil || !more {
			t.Errorf("DeliveryTimes with limit 3: more %v, %v", more, err)
		}

		open, total, err := db.DeliveriesInStates(ctx, a.tn.ID, []delivery.State{delivery.Failed, delivery.Pending}, 10)
		must(t, err)
		// lie outside the period but are pending all the same.
		var refs []string
		for _, o := range open {
			refs = append(refs, o.Reference+"/"+string(o.State))
			if o.ServiceName != a.svc.Name && o.ServiceName != a.other.Name {
				t.Errorf("open delivery of service %q", o.ServiceName)
			}
		}
		slices.Sort(refs)
		if total != 4 || strings.Join(refs, " ") != "A-2/fehlgeschlagen A-3/ausstehend A-4/ausstehend A-5/ausstehend" {
			t.Errorf("DeliveriesInStates = %v, total %d", refs, total)
		}
		for _, o := range open {
			if o.Reference == "A-2" && (o.LastError != "HTTP 500" || o.Attempts != 3 || o.Kind != delivery.Webhook || o.SubmissionID == "") {
				t.Errorf("failed delivery %+v", o)
			}
		}
		if list, total, err := db.DeliveriesInStates(ctx, a.tn.ID, []delivery.State{delivery.Failed, delivery.Pending}, 1); err != nil || len(list) != 1 || total != 4 {
			t.Errorf("DeliveriesInStates with limit 1: %d listed, total %d, %v", len(list), total, err)
		}
	})
}
