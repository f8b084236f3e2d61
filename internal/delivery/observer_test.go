package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
)

// recorder is a delivery.Observer that writes down what it is told.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) Attempted(d *delivery.Delivery, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("attempt %s %s", d.Target.Kind, d.State))
}

func (r *recorder) Settled(d *delivery.Delivery, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("settled %s %s age %v", d.Target.Kind, d.State, now.Sub(d.CreatedAt).Round(time.Minute)))
}

// TestObserver: the Worker tells its Observer of every attempt, with its
// outcome, and of every state a delivery reaches, by an attempt or by
// following it; an interrupted attempt is not one.
func TestObserver(t *testing.T) {
	e := newEnv(t)
	r := &recorder{}
	e.w.Observer = r
	_, d := e.submit(t)
	ctx := context.Background()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	e.sender.err = context.Canceled
	e.w.Deliver(cancelled, d.TenantID, d.ID, d.Round)

	e.sender.err = errors.New("Webhook antwortete 503 Service Unavailable")
	e.now = e.now.Add(time.Minute)
	if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	e.sender.err = nil
	e.sender.outcome = delivery.Outcome{State: delivery.Delivered, RemoteID: "r1"}
	e.now = e.now.Add(time.Minute)
	if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	e.sender.follow = delivery.Outcome{State: delivery.Accepted}
	e.now = e.now.Add(time.Minute)
	if err := e.w.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	// d was created when the submission was stored, at the first e.now.
	want := []string{
		"attempt webhook ausstehend",
		"attempt webhook zugestellt",
		"settled webhook zugestellt age 2m0s",
		"settled webhook angenommen age 3m0s",
	}
	if got := strings.Join(r.log, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("observed:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}

	// A delivery given up at once.
	r.log = nil
	_, d2 := e.submit(t)
	e.sender.err = delivery.Permanent(errors.New("Webhook antwortete 410 Gone"))
	if _, err := e.w.Deliver(ctx, d2.TenantID, d2.ID, d2.Round); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.log, "\n"); !strings.HasPrefix(got, "attempt webhook fehlgeschlagen\nsettled webhook fehlgeschlagen") {
		t.Errorf("a permanent failure observed as:\n%s", got)
	}
}
