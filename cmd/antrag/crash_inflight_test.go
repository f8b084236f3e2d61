package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
)

// holdingHook is a webhook receiver that holds every request unanswered
// until answer is set (the antrag process is killed meanwhile), and then
// answers 204. It counts requests and 2xx answers by webhook-id.
type holdingHook struct {
	mu       sync.Mutex
	answer   bool
	open     int
	requests map[string]int
	answered map[string]int
	stop     chan struct{} // closed at the end of the test
}

func (h *holdingHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get(webhook.HeaderID)
	io.Copy(io.Discard, r.Body) // then the server notices the sender going away
	h.mu.Lock()
	h.requests[id]++
	answer := h.answer
	if !answer {
		h.open++
	}
	h.mu.Unlock()
	if !answer {
		select { // until the sender is gone
		case <-r.Context().Done():
		case <-h.stop:
		}
		h.mu.Lock()
		h.open--
		h.mu.Unlock()
		return
	}
	h.mu.Lock()
	h.answered[id]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TestCrashWithDeliveriesInFlight kills antrag (SIGKILL) while its webhook
// deliveries are in flight at a receiver that has not answered, with the
// default job timeout (River alone would run them again only after twice
// that, 10 minutes), and starts it again: the deliveries are taken over
// and delivered within a minute of the kill, each recorded as delivered
// once and answered 2xx by the receiver once (the receiver saw the
// interrupted request too: at least once, de-duplicated by webhook-id).
// On SQLite, and on PostgreSQL with ANTRAG_TEST_POSTGRES.
func TestCrashWithDeliveriesInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts antrag")
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			env := map[string]string{"ANTRAG_FITCONNECT_POLL": "1h"}
			if dialect == "postgres" {
				env["ANTRAG_DB"] = storetest.NewPostgresDatabase(t)
			}
			testCrashWithDeliveriesInFlight(t, env)
		})
	}
}

func testCrashWithDeliveriesInFlight(t *testing.T, env map[string]string) {
	const total = 7
	in := newFCInstallation(t, env)
	hook := &holdingHook{requests: map[string]int{}, answered: map[string]int{}, stop: make(chan struct{})}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(hook.stop) }) // before the server closes
	if out, errOut, err := runCmd(t, in.env, "service", "targets", "--tenant", "musterstadt", "--slug", "mutterschutz-nachtarbeit",
		"--webhook", hs.URL+"/eingang"); err != nil {
		t.Fatalf("service targets: %v\n%s%s", err, out, errOut)
	}
	addr := freeAddr(t)
	base := "http://" + addr
	first := startAntrag(t, in, addr)
	client := &http.Client{Timeout: waitLong}
	for i := range total {
		if _, err := sendFC(client, base, [][2]string{{"Nachweis.pdf", "%PDF-1.4\n% Antrag " + strings.Repeat("x", i+1)}}); err != nil {
			t.Fatal(err)
		}
	}
	// Kill once the receiver holds as many requests as the limit per
	// target lets run at once.
	held := delivery.DefaultLimits(4).PerTarget
	deadline := time.Now().Add(waitLong)
	for {
		hook.mu.Lock()
		open := hook.open
		hook.mu.Unlock()
		if open >= held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver never held %d requests (holds %d)\n%s", held, open, tail(first.output.String(), 40))
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.kill()
	killedAt := time.Now()
	hook.mu.Lock()
	hook.answer = true
	inFlight := len(hook.requests)
	hook.mu.Unlock()

	second := startAntrag(t, in, addr)
	t.Logf("SIGKILL with %d deliveries in flight; restarted after %v", inFlight, time.Since(killedAt).Round(time.Millisecond))

	// Recovery: every delivery delivered, within a minute of the kill.
	ctx := context.Background()
	db := in.open(t)
	stadt, err := db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	const bound = 60 * time.Second
	for {
		counts, err := db.DeliveryCounts(ctx, stadt.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[delivery.Delivered] == total {
			break
		}
		if time.Since(killedAt) > bound+waitLong {
			t.Fatalf("not delivered %v after the kill: %v\n%s", time.Since(killedAt), counts, tail(second.output.String(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	recovery := time.Since(killedAt)
	t.Logf("all %d delivered %v after the kill", total, recovery.Round(time.Millisecond))
	if recovery > bound {
		t.Errorf("recovery took %v after the kill, want under %v", recovery, bound)
	}

	// Exactly once in antrag, and one 2xx per webhook-id at the receiver.
	subs, err := db.ListSubmissions(ctx, stadt.ID, submission.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != total {
		t.Errorf("%d submissions stored, want %d", len(subs), total)
	}
	ids := map[string]bool{}
	for _, s := range subs {
		ds, err := db.Deliveries(ctx, stadt.ID, s.ID)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries of %s: %d, %v", s.ID, len(ds), err)
		}
		ids[ds[0].ID] = true
		evs, err := db.Events(ctx, stadt.ID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Action == "zugestellt" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("submission %s: %d delivered events, want 1", s.ID, n)
		}
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	again := 0
	for id, n := range hook.requests {
		if !ids[id] {
			t.Errorf("the receiver got webhook-id %s, no delivery of Musterstadt", id)
		}
		if hook.answered[id] != 1 {
			t.Errorf("webhook-id %s answered 2xx %d times, want 1", id, hook.answered[id])
		}
		if n > 1 {
			again++
		}
	}
	if len(hook.requests) != total {
		t.Errorf("the receiver got %d webhook-ids, want %d", len(hook.requests), total)
	}
	t.Logf("the receiver saw %d deliveries twice (interrupted by the kill, then delivered)", again)
	second.terminate()
}
