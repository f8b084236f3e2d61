package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

func TestBackoff(t *testing.T) {
	p := delivery.Policy{First: time.Second, Max: time.Minute, MaxAge: time.Hour}
	for attempts, full := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 50: time.Minute,
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.Backoff(attempts)
			if d < full/2 || d > full {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempts, d, full/2, full)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("Backoff(%d): only %d distinct delays in 200 draws: no jitter", attempts, len(seen))
		}
	}
	if d := (delivery.Policy{}).WithDefaults(); d != delivery.DefaultPolicy {
		t.Errorf("zero policy with defaults = %+v", d)
	}
}

// fakeSender answers with what the test says, and records the parcels.
type fakeSender struct {
	mu      sync.Mutex
	err     error
	outcome delivery.Outcome
	follow  delivery.Outcome
	parcels []*delivery.Parcel
}

func (f *fakeSender) Send(ctx context.Context, p *delivery.Parcel) (delivery.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.parcels = append(f.parcels, p)
	if f.err != nil {
		return delivery.Outcome{}, f.err
	}
	return f.outcome, nil
}

func (f *fakeSender) Follow(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error) {
	return f.follow, nil
}

type env struct {
	db     *store.DB
	blobs  blob.Store
	tenant *tenant.Tenant
	svc    *tenant.Service
	now    time.Time
	w      *delivery.Worker
	sender *fakeSender
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	box, err := sealed.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "a.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := blob.NewDir(filepath.Join(dir, "blobs"), box)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, db, cat); err != nil {
		t.Fatal(err)
	}
	tn, err := db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := db.ServiceBySlug(ctx, tn.ID, "gewerbeanmeldung")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, blobs: blobs, tenant: tn, svc: svc, now: time.Now().UTC(), sender: &fakeSender{}}
	e.w = &delivery.Worker{
		Store: db, Blobs: blobs, Senders: map[delivery.Kind]delivery.Sender{delivery.Webhook: e.sender},
		Policy: delivery.Policy{First: time.Second, Max: time.Minute, MaxAge: time.Hour},
		Forms:  &journey.Forms{Store: db, Catalog: cat},
		InboxURL: func(t *tenant.Tenant, id string) string {
			return "https://antrag.example/intern/antraege/" + id
		},
		Now: func() time.Time { return e.now },
	}
	return e
}

// submit stores a submission to a service with a webhook and an e-mail
// target and returns the webhook delivery.
func (e *env) submit(t *testing.T) (*submission.Submission, *delivery.Delivery) {
	t.Helper()
	ctx := context.Background()
	err := e.db.SetTargets(ctx, e.tenant.ID, e.svc.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: "https://fachverfahren.example/eingang", Secret: delivery.NewWebhookSecret()},
		{Kind: delivery.Email, Address: "amt@musterstadt.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &submission.Submission{TenantID: e.tenant.ID, ServiceID: e.svc.ID, FormVersionID: e.svc.FormVersionID,
		AuthorityID: e.svc.AuthorityID, Reference: submission.NewReference(), Data: []byte(`{"a":1}`)}
	if _, _, _, err := e.db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := e.db.Deliveries(ctx, e.tenant.ID, s.ID)
	if err != nil || len(ds) != 2 || ds[0].Target.Kind != delivery.Webhook {
		t.Fatalf("deliveries = %s, %v", deliverytest.Format(ds), err)
	}
	return s, ds[0]
}

func (e *env) reload(t *testing.T, d *delivery.Delivery) *delivery.Delivery {
	t.Helper()
	got, err := e.db.Delivery(context.Background(), d.TenantID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (e *env) events(t *testing.T, s *submission.Submission) string {
	t.Helper()
	evs, err := e.db.Events(context.Background(), s.TenantID, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString(ev.Action + ": " + ev.Detail + "\n")
	}
	return b.String()
}

func TestDeliverSuccess(t *testing.T) {
	e := newEnv(t)
	s, d := e.submit(t)
	e.sender.outcome = delivery.Outcome{State: delivery.Delivered}
	retry, err := e.w.Deliver(context.Background(), d.TenantID, d.ID, d.Round)
	if err != nil || retry != 0 {
		t.Fatalf("Deliver = %v, %v", retry, err)
	}
	got := e.reload(t, d)
	if got.State != delivery.Delivered || got.Attempts != 1 || got.DoneAt.IsZero() || got.LastError != "" {
		t.Errorf("after success: %+v", got)
	}
	p := e.sender.parcels[0]
	if string(p.Submission.Data) != `{"a":1}` || p.Service.ID != e.svc.ID || p.Tenant.ID != e.tenant.ID ||
		!strings.HasSuffix(p.InboxURL, "/intern/antraege/"+s.ID) || p.SchemaURI == "" || len(p.Schema) == 0 {
		t.Errorf("parcel: %+v", p)
	}
	if ev := e.events(t, s); !strings.Contains(ev, "zugestellt: Webhook https://fachverfahren.example/eingang") {
		t.Errorf("events:\n%s", ev)
	}
	// Without an inbox target, the application is closed once handed over.
	if got, _ := e.db.Submission(context.Background(), s.TenantID, s.ID); got.Status != submission.Abgeschlossen {
		t.Errorf("status after hand-over = %q, want abgeschlossen", got.Status)
	}
	// A second run of the same job (after a crash) does nothing.
	if _, err := e.w.Deliver(context.Background(), d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	if len(e.sender.parcels) != 1 {
		t.Errorf("a delivered delivery was sent again")
	}
}

func TestDeliverRetryThenFailAfterMaxAge(t *testing.T) {
	e := newEnv(t)
	s, d := e.submit(t)
	e.sender.err = errors.New("Webhook antwortete 503 Service Unavailable")
	ctx := context.Background()
	retry, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round)
	if err != nil || retry < 500*time.Millisecond || retry > time.Second {
		t.Fatalf("first failure: retry %v, %v; want within [0.5 s, 1 s]", retry, err)
	}
	got := e.reload(t, d)
	if got.State != delivery.Pending || got.Attempts != 1 || !strings.Contains(got.LastError, "503") ||
		!got.NextAttempt.Equal(e.now.Add(retry).Truncate(time.Microsecond)) {
		t.Errorf("after a failure: %+v (retry %v)", got, retry)
	}
	e.now = e.now.Add(10 * time.Minute)
	retry, _ = e.w.Deliver(ctx, d.TenantID, d.ID, d.Round)
	if retry < time.Second || retry > 2*time.Second {
		t.Errorf("second failure: retry %v, want within [1 s, 2 s]", retry)
	}
	// Near the age limit the next attempt is due at the limit.
	e.now = d.CreatedAt.Add(time.Hour - 100*time.Millisecond)
	if retry, _ = e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); retry > 100*time.Millisecond {
		t.Errorf("retry %v goes past the age limit", retry)
	}
	e.now = d.CreatedAt.Add(time.Hour)
	if retry, err = e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); retry != 0 || err != nil {
		t.Errorf("at the age limit: %v, %v", retry, err)
	}
	got = e.reload(t, d)
	if got.State != delivery.Failed || got.Attempts != 4 || got.DoneAt.IsZero() {
		t.Errorf("after the age limit: %+v", got)
	}
	if ev := e.events(t, s); !strings.Contains(ev, "Zustellung fehlgeschlagen: Webhook https://fachverfahren.example/eingang: Webhook antwortete 503") {
		t.Errorf("events:\n%s", ev)
	}
	// Staff deliver it again; it is pending with a new age limit.
	if err := e.db.Redeliver(ctx, d.TenantID, d.ID, &submission.Event{Actor: "sb", Action: "erneut zustellen"}); err != nil {
		t.Fatal(err)
	}
	e.sender.err, e.sender.outcome = nil, delivery.Outcome{State: delivery.Delivered}
	e.now = time.Now().UTC()
	// The test's clock went back an hour, into the back-off of the failing
	// place: a fresh worker (a restarted process) knows of none.
	e.w = &delivery.Worker{Store: e.w.Store, Blobs: e.w.Blobs, Senders: e.w.Senders, Policy: e.w.Policy, Forms: e.w.Forms,
		InboxURL: e.w.InboxURL, Now: e.w.Now}
	// A job of the first round (still finishing, or run again after a
	// crash) does nothing: the new round has its own job.
	sent := len(e.sender.parcels)
	if retry, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); retry != 0 || err != nil {
		t.Fatalf("job of the first round: %v, %v", retry, err)
	}
	if got := e.reload(t, d); got.State != delivery.Pending || got.Round != d.Round+1 || len(e.sender.parcels) != sent {
		t.Fatalf("a job of the first round delivered (sent %d more): state %s, round %d", len(e.sender.parcels)-sent, got.State, got.Round)
	}
	if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round+1); err != nil {
		t.Fatal(err)
	}
	if got := e.reload(t, d); got.State != delivery.Delivered || got.Attempts != 5 || len(e.sender.parcels) != sent+1 {
		t.Errorf("after re-delivery: %+v", got)
	}
}

func TestDeliverKeepsInboxApplicationsOpen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.SetTargets(ctx, e.tenant.ID, e.svc.ID, []*delivery.Target{
		{Kind: delivery.Inbox},
		{Kind: delivery.Webhook, URL: "https://fachverfahren.example/eingang", Secret: delivery.NewWebhookSecret()},
	}); err != nil {
		t.Fatal(err)
	}
	s := &submission.Submission{TenantID: e.tenant.ID, ServiceID: e.svc.ID, FormVersionID: e.svc.FormVersionID,
		AuthorityID: e.svc.AuthorityID, Reference: submission.NewReference(), Data: []byte(`{"a":1}`)}
	if _, _, _, err := e.db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil); err != nil {
		t.Fatal(err)
	}
	ds, _ := e.db.Deliveries(ctx, e.tenant.ID, s.ID)
	e.sender.outcome = delivery.Outcome{State: delivery.Delivered}
	if _, err := e.w.Deliver(ctx, ds[1].TenantID, ds[1].ID, ds[1].Round); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.db.Submission(ctx, s.TenantID, s.ID); got.Status != submission.Eingegangen {
		t.Errorf("an application in the tenant's inbox was closed: %q", got.Status)
	}
}

func TestDeliverPermanentFailsAtOnce(t *testing.T) {
	e := newEnv(t)
	_, d := e.submit(t)
	e.sender.err = delivery.Permanent(errors.New("Webhook antwortete 410 Gone"))
	if retry, err := e.w.Deliver(context.Background(), d.TenantID, d.ID, d.Round); retry != 0 || err != nil {
		t.Fatalf("Deliver = %v, %v", retry, err)
	}
	if got := e.reload(t, d); got.State != delivery.Failed || got.Attempts != 1 || !strings.Contains(got.LastError, "410") {
		t.Errorf("after a permanent error: %+v", got)
	}
}

func TestDeliverWithoutSenderIsRetried(t *testing.T) {
	e := newEnv(t)
	s, _ := e.submit(t)
	ds, _ := e.db.Deliveries(context.Background(), e.tenant.ID, s.ID)
	mail := ds[1] // no e-mail sender configured
	retry, err := e.w.Deliver(context.Background(), mail.TenantID, mail.ID, mail.Round)
	if err != nil || retry <= 0 {
		t.Fatalf("Deliver = %v, %v", retry, err)
	}
	if got := e.reload(t, mail); got.State != delivery.Pending || !strings.Contains(got.LastError, "nicht eingerichtet") {
		t.Errorf("without an e-mail sender: %+v", got)
	}
}

func TestDeliverUnknownDelivery(t *testing.T) {
	e := newEnv(t)
	if retry, err := e.w.Deliver(context.Background(), e.tenant.ID, "00000000-0000-4000-8000-000000000000", 0); retry != 0 || err != nil {
		t.Errorf("unknown delivery: %v, %v", retry, err)
	}
}

func TestDeliverInterruptedIsNotCounted(t *testing.T) {
	e := newEnv(t)
	_, d := e.submit(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.sender.err = context.Canceled
	if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); err == nil {
		t.Error("an interrupted attempt reported no error")
	}
	if got := e.reload(t, d); got.Attempts != 0 || got.State != delivery.Pending {
		t.Errorf("an interrupted attempt was recorded: %+v", got)
	}
}

func TestFollow(t *testing.T) {
	e := newEnv(t)
	s, d := e.submit(t)
	e.sender.outcome = delivery.Outcome{State: delivery.Delivered, RemoteID: "r1", CaseID: "c1"}
	ctx := context.Background()
	if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	e.sender.follow = delivery.Outcome{State: delivery.Delivered}
	if err := e.w.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.reload(t, d); got.State != delivery.Delivered || got.RemoteID != "r1" || got.CaseID != "c1" {
		t.Errorf("while undecided: %+v", got)
	}
	e.sender.follow = delivery.Outcome{State: delivery.Rejected, Reason: "Prüfsumme falsch"}
	if err := e.w.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.reload(t, d); got.State != delivery.Rejected || got.Reason != "Prüfsumme falsch" {
		t.Errorf("after rejection: %+v", got)
	}
	if ev := e.events(t, s); !strings.Contains(ev, "abgelehnt: Webhook https://fachverfahren.example/eingang: abgelehnt (Prüfsumme falsch)") {
		t.Errorf("events:\n%s", ev)
	}
}

// goneFollower reports that the receiver no longer knows the delivery.
type goneFollower struct{ fakeSender }

func (g *goneFollower) Follow(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error) {
	return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("Einreichung nicht gefunden: %w", apperr.Gone))
}

func TestFollowGoneFails(t *testing.T) {
	e := newEnv(t)
	g := &goneFollower{}
	e.w.Senders[delivery.Webhook] = g
	_, d := e.submit(t)
	g.outcome = delivery.Outcome{State: delivery.Delivered, RemoteID: "r1", CaseID: "c1"}
	ctx := context.Background()
	if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	if err := e.w.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.reload(t, d)
	if got.State != delivery.Failed || got.RemoteID != "" || got.CaseID != "" || !strings.Contains(got.LastError, "nicht gefunden") {
		t.Errorf("after the receiver lost it: %+v", got)
	}
}

// TestFormsCheckUsesRules: the check the FIT-Connect receiver applies to
// received data is the form's, rules included.
func TestFormsCheckUsesRules(t *testing.T) {
	e := newEnv(t)
	fv, err := e.w.Forms.Get(context.Background(), e.tenant.ID, e.svc.FormVersionID)
	if err != nil {
		t.Fatal(err)
	}
	err = fv.Check([]byte(`{}`), "TH", time.Now())
	if err == nil || !strings.Contains(err.Error(), "passen nicht zum Formular") {
		t.Errorf("empty document: %v", err)
	}
	if err := fv.Check([]byte(`[`), "TH", time.Now()); err == nil {
		t.Error("broken JSON passed")
	}
	if _, err := e.w.Forms.Get(context.Background(), e.tenant.ID, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("unknown form version: %v", err)
	}
}

// slowSender never finishes before its context ends; reached is called
// when it starts.
type slowSender struct{ reached func() }

func (s slowSender) Send(ctx context.Context, p *delivery.Parcel) (delivery.Outcome, error) {
	s.reached()
	<-ctx.Done()
	return delivery.Outcome{}, ctx.Err()
}

// expiringContext is a context whose deadline passes when expire is
// called, not after a time: the attempt is cut off while it sends, however
// long the steps before took.
type expiringContext struct {
	context.Context
	done chan struct{}
}

func newExpiringContext() (*expiringContext, func()) {
	c := &expiringContext{Context: context.Background(), done: make(chan struct{})}
	var once sync.Once
	return c, func() { once.Do(func() { close(c.done) }) }
}

func (c *expiringContext) Done() <-chan struct{} { return c.done }

func (c *expiringContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestDeliverTimeoutCounts: an attempt cut off by the job timeout counts
// as a failed attempt, so that a delivery that never finishes in time ends
// as failed after MaxAge; a shutdown does not count.
func TestDeliverTimeoutCounts(t *testing.T) {
	e := newEnv(t)
	_, d := e.submit(t)
	ctx, expire := newExpiringContext()
	e.w.Senders[delivery.Webhook] = slowSender{reached: expire}
	retry, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round)
	if err != nil || retry <= 0 {
		t.Fatalf("timed-out attempt: %v, %v", retry, err)
	}
	got := e.reload(t, d)
	if got.Attempts != 1 || got.State != delivery.Pending || !strings.Contains(got.LastError, "ANTRAG_DELIVERY_TIMEOUT") {
		t.Errorf("after a timed-out attempt: %+v", got)
	}
	e.now = d.CreatedAt.Add(2 * time.Hour)
	ctx2, expire2 := newExpiringContext()
	e.w.Senders[delivery.Webhook] = slowSender{reached: expire2}
	if _, err := e.w.Deliver(ctx2, d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	if got := e.reload(t, d); got.State != delivery.Failed {
		t.Errorf("timed out past the age limit: %+v", got)
	}
	// A shutdown (cancelled, not timed out) is not an attempt. (Later: the
	// place backs off after the failures above.)
	_, d2 := e.submit(t)
	e.now = e.now.Add(time.Hour)
	ctx3, cancel := context.WithCancel(context.Background())
	e.w.Senders[delivery.Webhook] = slowSender{reached: cancel}
	if _, err := e.w.Deliver(ctx3, d2.TenantID, d2.ID, d2.Round); err == nil {
		t.Error("an interrupted attempt returned no error")
	}
	if got := e.reload(t, d2); got.Attempts != 0 || got.State != delivery.Pending {
		t.Errorf("after a shutdown: attempts %d, state %s; want 0, %s", got.Attempts, got.State, delivery.Pending)
	}
}

// TestDeliverUsesRotatedSecret: a pending webhook delivery is signed with
// the secret the service's webhook has now, not the one it had when the
// application came in.
func TestDeliverUsesRotatedSecret(t *testing.T) {
	e := newEnv(t)
	_, d := e.submit(t)
	rotated := delivery.NewWebhookSecret()
	if err := e.db.SetTargets(context.Background(), e.tenant.ID, e.svc.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: "https://fachverfahren.example/eingang", Secret: rotated}}); err != nil {
		t.Fatal(err)
	}
	e.sender.outcome = delivery.Outcome{State: delivery.Delivered}
	if _, err := e.w.Deliver(context.Background(), d.TenantID, d.ID, d.Round); err != nil {
		t.Fatal(err)
	}
	if got := e.sender.parcels[0].Delivery.Target.Secret; got != rotated {
		t.Error("the delivery was signed with the old secret")
	}
}
