package delivery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// receiver is a webhook receiver that records when each webhook-id first
// arrived, and how many requests it held at once at most.
type receiver struct {
	mu      sync.Mutex
	arrived map[string]time.Time
	open    int
	maxOpen int
}

func (r *receiver) enter(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.arrived == nil {
		r.arrived = map[string]time.Time{}
	}
	if _, ok := r.arrived[id]; !ok {
		r.arrived[id] = time.Now()
	}
	r.open++
	r.maxOpen = max(r.maxOpen, r.open)
}

func (r *receiver) leave() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open--
}

func (r *receiver) at(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.arrived[id]
	return at, ok
}

func (r *receiver) stats() (arrived, maxOpen int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrived), r.maxOpen
}

// webhookTenant creates a tenant whose one service delivers to url.
func webhookTenant(t *testing.T, db *store.DB, slug, url string) (*tenant.Tenant, *tenant.Service) {
	t.Helper()
	ctx := context.Background()
	tn := &tenant.Tenant{Slug: slug, Name: "Stadt " + slug, Kind: tenant.Gemeinde}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	svc := &tenant.Service{TenantID: tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken"}
	if err := db.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := db.SetTargets(ctx, tn.ID, svc.ID, []*delivery.Target{{Kind: delivery.Webhook, URL: url, Secret: delivery.NewWebhookSecret()}}); err != nil {
		t.Fatal(err)
	}
	return tn, svc
}

// submitN stores n submissions and returns their webhook deliveries' ids
// with the time each was stored.
func submitN(t *testing.T, db *store.DB, tn *tenant.Tenant, svc *tenant.Service, n int) map[string]time.Time {
	t.Helper()
	ctx := context.Background()
	out := map[string]time.Time{}
	for range n {
		s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: submission.NewReference(), Data: []byte(`{"a":1}`)}
		if _, _, _, err := db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil); err != nil {
			t.Fatal(err)
		}
		ds, err := db.Deliveries(ctx, tn.ID, s.ID)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries: %d, %v", len(ds), err)
		}
		out[ds[0].ID] = time.Now()
	}
	return out
}

// latest waits until rec has received every delivery of sent and returns
// the longest time from storing to arrival.
func latest(t *testing.T, rec *receiver, sent map[string]time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var worst time.Duration
		missing := 0
		for id, at := range sent {
			got, ok := rec.at(id)
			if !ok {
				missing++
				continue
			}
			worst = max(worst, got.Sub(at))
		}
		if missing == 0 {
			return worst
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries did not arrive within %v", missing, len(sent), within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBlackHoleTenantDoesNotDelayOthers: one tenant's webhook receiver
// takes requests and never answers (a black hole), and 20 of its
// deliveries are under way, queued before another tenant's 10 to a healthy
// receiver. With 4 workers serving all tenants, the healthy tenant's
// deliveries used to wait behind the black hole's attempts (each holding
// a worker until the 30 s timeout); now its latency stays within a few
// seconds of what it is without the black hole, and the black hole never
// holds more than its tenant's share of the workers.
func TestBlackHoleTenantDoesNotDelayOthers(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			dsn := d.NewDSN(t)
			db := storetest.Open(t, dsn)

			healthy := &receiver{}
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				healthy.enter(r.Header.Get(webhook.HeaderID))
				defer healthy.leave()
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(hs.Close)
			hole := &receiver{}
			stop := make(chan struct{})
			bh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hole.enter(r.Header.Get(webhook.HeaderID))
				defer hole.leave()
				select { // takes it and never answers
				case <-stop:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(bh.Close)
			t.Cleanup(func() { close(stop) }) // before the servers close

			a, svcA := webhookTenant(t, db, "schwarzloch", bh.URL+"/eingang")
			b, svcB := webhookTenant(t, db, "gesund", hs.URL+"/eingang")
			const workers = 4
			w := &delivery.Worker{
				Store: db, Senders: map[delivery.Kind]delivery.Sender{delivery.Webhook: &webhook.Sender{}},
				Policy: delivery.Policy{First: 10 * time.Second, Max: time.Hour, MaxAge: 24 * time.Hour},
				Limits: delivery.DefaultLimits(workers),
			}
			q, err := db.RunQueue(context.Background(), w, store.QueueConfig{Workers: workers, PollInterval: 100 * time.Millisecond,
				FollowEvery: -1, PollEvery: -1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				q.Stop(ctx)
			})

			// Normal: the healthy tenant alone.
			normal := latest(t, healthy, submitN(t, db, b, svcB, 10), time.Minute)

			// The black hole's 20 come first and take what workers they may.
			submitN(t, db, a, svcA, 20)
			deadline := time.Now().Add(time.Minute)
			for n, _ := hole.stats(); n == 0; n, _ = hole.stats() {
				if time.Now().After(deadline) {
					t.Fatal("no request reached the black hole within a minute")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// Bounded by the 30 s webhook timeout before: the wait below
			// fails the test long before the healthy tenant could be served
			// only after the black hole's attempts time out.
			const slack = 5 * time.Second
			withHole := latest(t, healthy, submitN(t, db, b, svcB, 10), normal+slack)
			reached, heldAtOnce := hole.stats()
			t.Logf("healthy tenant's slowest delivery: %v alone, %v beside the black hole (%d of its deliveries reached it, at most %d at once)",
				normal.Round(time.Millisecond), withHole.Round(time.Millisecond), reached, heldAtOnce)
			if withHole > normal+slack {
				t.Errorf("beside the black hole the healthy tenant waited %v, alone %v", withHole, normal)
			}
			if limit := delivery.DefaultLimits(workers).PerTarget; heldAtOnce > limit {
				t.Errorf("the black hole held %d attempts at once, limit %d", heldAtOnce, limit)
			}
		})
	}
}
