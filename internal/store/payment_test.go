package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/paymenttest"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// payFixture is a tenant with an authority that has a provider account and
// a service delivered to a webhook, a fake provider and a collector on a
// clock the test moves.
type payFixture struct {
	db   *store.DB
	tn   *tenant.Tenant
	auth *tenant.Authority
	svc  *tenant.Service
	prov *paymenttest.Provider
	col  *payment.Collector
	now  time.Time
}

func newPayFixture(t *testing.T, dsn string) *payFixture {
	t.Helper()
	ctx := context.Background()
	f := &payFixture{db: storetest.Open(t, dsn), prov: paymenttest.New(), now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	f.tn = &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, f.db.CreateTenant(ctx, f.tn))
	f.auth = &tenant.Authority{TenantID: f.tn.ID, Name: "Bürgeramt"}
	must(t, f.db.CreateAuthority(ctx, f.auth))
	must(t, f.db.SetPaymentAccount(ctx, f.tn.ID, f.auth.ID, &payment.Account{Kind: payment.EPay21,
		BaseURL: "https://pay.example/", OriginatorID: "o", EndpointID: "e", Username: "u", Password: "p"}))
	f.svc = &tenant.Service{TenantID: f.tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken", AuthorityID: f.auth.ID}
	must(t, f.db.CreateService(ctx, f.svc))
	must(t, f.db.SetTargets(ctx, f.tn.ID, f.svc.ID, []*delivery.Target{{Kind: delivery.Email, Address: "amt@example.org"}}))
	f.col = &payment.Collector{Store: f.db, MaxAge: 24 * time.Hour, Now: func() time.Time { return f.now },
		NewProvider: func(*payment.Account) (payment.Provider, error) { return f.prov, nil }}
	return f
}

var testBill = &payment.Bill{Policy: payment.Mandatory, Purpose: "Anwohnerparken", Total: 3050,
	Items: []payment.Item{{ID: "ausweis", Description: "Parkausweis", Quantity: 1, SingleNet: 3050, TotalNet: 3050}}}

// submitHeld stores an application whose mandatory fee is open.
func (f *payFixture) submitHeld(t *testing.T, ref string) *submission.Submission {
	t.Helper()
	s := &submission.Submission{TenantID: f.tn.ID, ServiceID: f.svc.ID, AuthorityID: f.auth.ID, Reference: ref,
		Data: []byte(`{"a":1}`), Payment: payment.Open, Bill: testBill}
	_, created, _, err := f.db.Submit(context.Background(), s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	must(t, err)
	if !created {
		t.Fatal("not created")
	}
	return s
}

func (f *payFixture) app(s *submission.Submission) payment.Application {
	return payment.Application{TenantID: s.TenantID, SubmissionID: s.ID, AuthorityID: s.AuthorityID, Reference: s.Reference, Bill: s.Bill}
}

func (f *payFixture) deliveries(t *testing.T, s *submission.Submission) int {
	t.Helper()
	ds, err := f.db.Deliveries(context.Background(), f.tn.ID, s.ID)
	must(t, err)
	return len(ds)
}

func (f *payFixture) state(t *testing.T, s *submission.Submission) payment.State {
	t.Helper()
	got, err := f.db.Submission(context.Background(), f.tn.ID, s.ID)
	must(t, err)
	return got.Payment
}

// TestPaymentHoldsDeliveries: an application with an open mandatory fee has
// no deliveries; PAYED makes them, once, in the transaction that records
// it; the bill survives the round trip.
func TestPaymentHoldsDeliveries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newPayFixture(t, dsn)
		s := f.submitHeld(t, "PAY-1")
		if n := f.deliveries(t, s); n != 0 {
			t.Fatalf("held application has %d deliveries", n)
		}
		got, err := f.db.Submission(ctx, f.tn.ID, s.ID)
		must(t, err)
		if got.Bill == nil || got.Bill.Total != 3050 || got.Bill.Items[0].ID != "ausweis" {
			t.Fatalf("bill = %+v", got.Bill)
		}
		a, err := f.col.Start(ctx, f.app(s), "https://antrag.example/rueckkehr", "Antragsteller")
		must(t, err)
		if a.Status != payment.Initial || a.RedirectURL == "" || a.N != 1 || a.TransactionReference == "" {
			t.Fatalf("attempt = %+v", a)
		}
		f.prov.Set(a.TransactionID, payment.Payed)
		f.now = f.now.Add(time.Minute)
		_, released, err := f.col.CheckApplication(ctx, f.tn.ID, s.ID, "Sachbearbeitung")
		must(t, err)
		if !released || f.deliveries(t, s) != 1 || f.state(t, s) != payment.Paid {
			t.Fatalf("after PAYED: released %v, %d deliveries, state %q", released, f.deliveries(t, s), f.state(t, s))
		}
		// A second return to the redirect URL changes nothing.
		_, released, err = f.col.CheckApplication(ctx, f.tn.ID, s.ID, "Sachbearbeitung")
		must(t, err)
		if released || f.deliveries(t, s) != 1 {
			t.Fatalf("second check: released %v, %d deliveries", released, f.deliveries(t, s))
		}
		if _, err := f.col.Start(ctx, f.app(s), "https://antrag.example/rueckkehr", "Antragsteller"); !errors.Is(err, payment.ErrPaid) {
			t.Fatalf("Start after PAYED: %v, want ErrPaid", err)
		}
		evs, err := f.db.Events(ctx, f.tn.ID, s.ID)
		must(t, err)
		var pays []string
		for _, e := range evs {
			if e.Action == "zahlung" {
				pays = append(pays, e.Detail)
			}
		}
		if len(pays) != 3 { // started, NEW → INITIAL, INITIAL → PAYED
			t.Fatalf("payment events = %q", pays)
		}
	})
}

// TestPaymentLatePayedWins is case C10: FAILED, then PAYED for the same
// transaction, found by reconciliation.
func TestPaymentLatePayedWins(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newPayFixture(t, dsn)
		s := f.submitHeld(t, "PAY-C10")
		a, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
		must(t, err)
		f.prov.Set(a.TransactionID, payment.Failed)
		f.now = f.now.Add(2 * time.Minute)
		must(t, f.col.Reconcile(ctx))
		got, err := f.db.Attempt(ctx, f.tn.ID, a.ID)
		must(t, err)
		if got.Status != payment.Failed || got.NextCheck.IsZero() {
			t.Fatalf("after FAILED: %s, next check %v (a failed attempt is still asked about)", got.Status, got.NextCheck)
		}
		if f.deliveries(t, s) != 0 {
			t.Fatal("FAILED application delivered")
		}
		f.prov.Set(a.TransactionID, payment.Payed)
		f.now = f.now.Add(time.Hour)
		must(t, f.col.Reconcile(ctx))
		got, err = f.db.Attempt(ctx, f.tn.ID, a.ID)
		must(t, err)
		if got.Status != payment.Payed || !got.NextCheck.IsZero() || f.deliveries(t, s) != 1 || f.state(t, s) != payment.Paid {
			t.Fatalf("after late PAYED: %s, next %v, %d deliveries, %q", got.Status, got.NextCheck, f.deliveries(t, s), f.state(t, s))
		}
	})
}

// TestPaymentAbandoned: an attempt left INITIAL past MaxAge is closed as
// ABANDONED, the application is kept (open, not delivered), and a new
// attempt may start.
func TestPaymentAbandoned(t *testing.T) {
	ctx := context.Background()
	f := newPayFixture(t, storetest.Dialects()[0].NewDSN(t))
	s := f.submitHeld(t, "PAY-ABANDON")
	a, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
	must(t, err)
	for i := 0; i < 30; i++ {
		f.now = f.now.Add(time.Hour)
		must(t, f.col.Reconcile(ctx))
	}
	got, err := f.db.Attempt(ctx, f.tn.ID, a.ID)
	must(t, err)
	// Closed for the citizen, still asked about once a day.
	if got.Status != payment.Abandoned || got.ClosedAt.IsZero() || got.NextCheck.Sub(f.now) > 24*time.Hour || got.NextCheck.IsZero() {
		t.Fatalf("after max age: %+v", got)
	}
	for i := 0; i < 3; i++ {
		f.now = f.now.Add(12 * time.Hour)
		must(t, f.col.Reconcile(ctx))
	}
	if got, err = f.db.Attempt(ctx, f.tn.ID, a.ID); err != nil || got.Status != payment.Abandoned || !got.NextCheck.IsZero() {
		t.Fatalf("after twice max age: %+v %v", got, err)
	}
	if f.state(t, s) != payment.Open || f.deliveries(t, s) != 0 {
		t.Fatal("abandoned application not kept open")
	}
	b, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
	must(t, err)
	if b.N != 2 || b.RequestID == a.RequestID {
		t.Fatalf("new attempt %+v", b)
	}
}

// TestPaymentStateMachine enumerates every sequence of up to four events
// (the citizen starts or returns, the provider reports a status, is down
// or refuses, time passes) on a new application each, on SQLite, and after
// every step checks: the application has deliveries exactly when an
// attempt is PAYED, which happens at most once; no transaction is created
// while one is paid or may still be paid; the provider never holds two
// paid transactions; no more than one attempt is active.
func TestPaymentStateMachine(t *testing.T) {
	ctx := context.Background()
	f := newPayFixture(t, storetest.Dialects()[0].NewDSN(t))
	type event struct {
		name string
		do   func(s *submission.Submission)
	}
	last := func(s *submission.Submission) *payment.Attempt {
		as, err := f.db.Attempts(ctx, f.tn.ID, s.ID)
		must(t, err)
		if len(as) == 0 {
			return nil
		}
		return as[len(as)-1]
	}
	report := func(st payment.Status) func(s *submission.Submission) {
		return func(s *submission.Submission) {
			if a := last(s); a != nil && a.TransactionID != "" {
				f.prov.Set(a.TransactionID, st)
			}
		}
	}
	events := []event{
		{"start", func(s *submission.Submission) {
			before, paidBefore := f.prov.Creates(), anyPaid(t, f, s)
			activeBefore := false
			if a := last(s); a != nil && a.Status == payment.Initial {
				activeBefore = true
			}
			_, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
			if err != nil && !errors.Is(err, payment.ErrPaid) && !errors.Is(err, payment.ErrUnavailable) && payment.ProblemOf(err) == "" {
				t.Fatalf("Start: %v", err)
			}
			if (paidBefore || activeBefore) && f.prov.Creates() != before {
				// An active attempt may be found paid or failed by the check
				// Start makes first; only then may a new one be created.
				if a := last(s); paidBefore || a.N == 1 && a.Status == payment.Initial {
					t.Fatalf("Start created a transaction while one was paid (%v) or payable", paidBefore)
				}
			}
		}},
		{"payed", report(payment.Payed)},
		{"failed", report(payment.Failed)},
		{"canceled", report(payment.Canceled)},
		{"return", func(s *submission.Submission) {
			_, _, _ = f.col.CheckApplication(ctx, f.tn.ID, s.ID, "Sachbearbeitung")
		}},
		{"later", func(*submission.Submission) {
			f.now = f.now.Add(13 * time.Hour) // two of these pass MaxAge
			must(t, f.col.Reconcile(ctx))
		}},
		{"down", func(*submission.Submission) { f.prov.SetDown(true) }},
		{"refuse", func(*submission.Submission) { f.prov.FailNext(payment.CodeCalculation) }},
	}
	check := func(s *submission.Submission, path []string) {
		as, err := f.db.Attempts(ctx, f.tn.ID, s.ID)
		must(t, err)
		paid, active := 0, 0
		for _, a := range as {
			if a.Status == payment.Payed {
				paid++
			}
			if a.Active() {
				active++
			}
		}
		dels := f.deliveries(t, s)
		switch {
		case paid > 1:
			t.Fatalf("%v: %d attempts paid", path, paid)
		case paid == 1 && (dels != 1 || f.state(t, s) != payment.Paid):
			t.Fatalf("%v: paid but %d deliveries, state %q", path, dels, f.state(t, s))
		case paid == 0 && dels != 0:
			t.Fatalf("%v: delivered without payment", path)
		case active > 1:
			t.Fatalf("%v: %d active attempts", path, active)
		}
	}
	n := 0
	var walk func(path []int, depth int)
	walk = func(path []int, depth int) {
		if depth == 0 {
			n++
			f.prov.SetDown(false)
			f.prov.FailNext("")
			s := f.submitHeld(t, fmt.Sprintf("SM-%d", n))
			var names []string
			for _, i := range path {
				names = append(names, events[i].name)
				events[i].do(s)
				check(s, names)
			}
			// Finally the provider is back, the citizen pays and returns.
			f.prov.SetDown(false)
			f.prov.FailNext("")
			a, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
			if err != nil && !errors.Is(err, payment.ErrPaid) {
				t.Fatalf("%v: final Start: %v", names, err)
			}
			if a != nil && a.Status != payment.Payed {
				f.prov.Set(a.TransactionID, payment.Payed)
			}
			f.now = f.now.Add(time.Minute)
			_, _, _ = f.col.CheckApplication(ctx, f.tn.ID, s.ID, "Sachbearbeitung")
			check(s, append(names, "pay"))
			if f.state(t, s) != payment.Paid {
				t.Fatalf("%v: not paid in the end", names)
			}
			return
		}
		for i := range events {
			walk(append(path, i), depth-1)
		}
	}
	depth := 4
	if testing.Short() {
		depth = 3
	}
	walk(nil, depth)
	// And some longer random walks.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		path := make([]int, 8)
		for i := range path {
			path[i] = rng.IntN(len(events))
		}
		walk(path, 0)
	}
	t.Logf("%d sequences", n)
}

func anyPaid(t *testing.T, f *payFixture, s *submission.Submission) bool {
	as, err := f.db.Attempts(context.Background(), f.tn.ID, s.ID)
	must(t, err)
	for _, a := range as {
		if a.Status == payment.Payed {
			return true
		}
	}
	return false
}

// TestPurgeUnpaid: an application held for a fee that was never paid is
// deleted after the cut-off once no attempt is asked about; one with an
// attempt still open, and a paid one, are kept.
func TestPurgeUnpaid(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newPayFixture(t, dsn)
		abandoned := f.submitHeld(t, "UNPAID-1")
		_, err := f.col.Start(ctx, f.app(abandoned), "https://antrag.example/r", "Antragsteller")
		must(t, err)
		open := f.submitHeld(t, "UNPAID-2")
		a, err := f.col.Start(ctx, f.app(open), "https://antrag.example/r", "Antragsteller")
		must(t, err)
		paid := f.submitHeld(t, "UNPAID-3")
		p, err := f.col.Start(ctx, f.app(paid), "https://antrag.example/r", "Antragsteller")
		must(t, err)
		f.prov.Set(p.TransactionID, payment.Payed)
		// The first attempt of "abandoned" is closed past MaxAge; the one of
		// "open" is asked about again (a new attempt, made later).
		for range 5 { // past twice MaxAge: the first attempts are no longer asked about
			f.now = f.now.Add(12 * time.Hour)
			must(t, f.col.Reconcile(ctx))
		}
		f.prov.Set(a.TransactionID, payment.Canceled)
		_, err = f.col.Start(ctx, f.app(open), "https://antrag.example/r", "Antragsteller")
		must(t, err)
		// A stored receipt goes with the data.
		for _, s := range []*submission.Submission{abandoned, open} {
			_, err := f.db.SetReceipt(ctx, f.tn.ID, s.ID, "receipt-"+s.Reference, "fp")
			must(t, err)
		}
		keys, err := f.db.PurgeUnpaid(ctx, time.Now().Add(time.Hour))
		must(t, err)
		if !slices.Equal(keys, []string{"receipt-UNPAID-1"}) {
			t.Errorf("keys %v, want the abandoned application's receipt (no attachments)", keys)
		}
		for _, c := range []struct {
			s      *submission.Submission
			purged bool
		}{{abandoned, true}, {open, false}, {paid, false}} {
			got, err := f.db.Submission(ctx, f.tn.ID, c.s.ID)
			must(t, err)
			if (got.Data == nil) != c.purged {
				t.Errorf("%s: data deleted %v, want %v (payment %q)", c.s.Reference, got.Data == nil, c.purged, got.Payment)
			}
			if c.s != paid && (got.ReceiptKey == "") != c.purged {
				t.Errorf("%s: stored receipt %q after PurgeUnpaid (purged %v)", c.s.Reference, got.ReceiptKey, c.purged)
			}
		}
	})
}

// TestPaymentPaidLate: a transaction the provider reports PAYED after the
// application was paid on another attempt is recorded as paid twice (to
// be refunded), with no second delivery; one paid after the citizen sent
// an optional fee without online payment makes the application paid.
func TestPaymentPaidLate(t *testing.T) {
	ctx := context.Background()
	f := newPayFixture(t, storetest.Dialects()[0].NewDSN(t))
	events := func(s *submission.Submission) string {
		evs, err := f.db.Events(ctx, f.tn.ID, s.ID)
		must(t, err)
		var out []string
		for _, e := range evs {
			out = append(out, e.Detail)
		}
		return fmt.Sprint(out)
	}
	s := f.submitHeld(t, "LATE-1")
	a, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
	must(t, err)
	f.prov.Set(a.TransactionID, payment.Failed)
	f.now = f.now.Add(time.Minute)
	_, _, err = f.col.CheckApplication(ctx, f.tn.ID, s.ID, "Sachbearbeitung")
	must(t, err)
	b, err := f.col.Start(ctx, f.app(s), "https://antrag.example/r", "Antragsteller")
	must(t, err)
	f.prov.Set(b.TransactionID, payment.Payed)
	f.prov.Set(a.TransactionID, payment.Payed) // the first one, late
	f.now = f.now.Add(time.Minute)
	_, _, err = f.col.CheckApplication(ctx, f.tn.ID, s.ID, "Sachbearbeitung")
	must(t, err)
	if f.state(t, s) != payment.Paid || f.deliveries(t, s) != 1 || !strings.Contains(events(s), "Doppelte Zahlung") {
		t.Fatalf("paid twice: %q, %d deliveries, events %s", f.state(t, s), f.deliveries(t, s), events(s))
	}

	w := f.submitHeld(t, "LATE-2")
	c, err := f.col.Start(ctx, f.app(w), "https://antrag.example/r", "Antragsteller")
	must(t, err)
	f.prov.Set(c.TransactionID, payment.Canceled)
	f.now = f.now.Add(time.Minute)
	_, _, err = f.col.CheckApplication(ctx, f.tn.ID, w.ID, "Sachbearbeitung")
	must(t, err)
	must(t, f.db.Waive(ctx, f.tn.ID, w.ID, &submission.Event{Actor: "Antragsteller", Action: "zahlung", Detail: "ohne Online-Zahlung"}))
	if f.state(t, w) != payment.Waived || f.deliveries(t, w) != 1 {
		t.Fatalf("waived: %q, %d deliveries", f.state(t, w), f.deliveries(t, w))
	}
	f.prov.Set(c.TransactionID, payment.Payed)
	f.now = f.now.Add(time.Hour)
	must(t, f.col.Reconcile(ctx))
	if f.state(t, w) != payment.Paid || f.deliveries(t, w) != 1 || !strings.Contains(events(w), "nachträglich bezahlt") {
		t.Fatalf("waived, then paid: %q, %d deliveries, events %s", f.state(t, w), f.deliveries(t, w), events(w))
	}
}
