package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
)

// TestParcelCarriesThePaidAttempt: a paid application's parcel carries
// the attempt that paid it (read through the store, chosen by
// payment.PaidAttempt), so that senders can describe the payment; an
// application without online payment carries none.
func TestParcelCarriesThePaidAttempt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s, _ := e.submit(t) // unpaid; makes the service's targets
	bill := &payment.Bill{Policy: payment.Mandatory, Items: []payment.Item{
		{ID: "jahr", Description: "Bewohnerparkausweis je Jahr", Quantity: 2, SingleNet: 3000, TotalNet: 6000}}, Total: 6000}
	held := &submission.Submission{TenantID: e.tenant.ID, ServiceID: e.svc.ID, FormVersionID: e.svc.FormVersionID,
		AuthorityID: e.svc.AuthorityID, Reference: submission.NewReference(), Data: []byte(`{"a":2}`),
		Payment: payment.Open, Bill: bill}
	if _, _, _, err := e.db.Submit(ctx, held, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil); err != nil {
		t.Fatal(err)
	}
	// A failed attempt, then one that pays and releases the application.
	for i, st := range []payment.Status{payment.Failed, payment.Payed} {
		a := &payment.Attempt{ID: uuid.NewString(), TenantID: e.tenant.ID, SubmissionID: held.ID, AuthorityID: held.AuthorityID,
			RequestID: []string{"5b0c1d2e-0000-4000-8000-000000000001", "5b0c1d2e-0000-4000-8000-000000000002"}[i],
			Amount:    6000, Status: payment.New, CreatedAt: e.now, UpdatedAt: e.now}
		if err := e.db.StartAttempt(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(&payment.Info{TransactionID: "tx-" + string(st), TransactionReference: "KZ-2026-00000" + string(rune('1'+i)),
			Status: st, Method: payment.Creditcard, TransactionTimestamp: e.now.Add(time.Minute)}, e.now); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.SaveAttempt(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		sub     *submission.Submission
		wantRef string // "" for no paid attempt
	}{
		{"paid", held, "KZ-2026-000002"},
		{"unpaid", s, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := e.db.Deliveries(ctx, e.tenant.ID, tc.sub.ID)
			if err != nil || len(ds) == 0 {
				t.Fatalf("deliveries: %d, %v", len(ds), err)
			}
			var d *delivery.Delivery
			for _, x := range ds {
				if x.Target.Kind == delivery.Webhook {
					d = x
				}
			}
			e.sender.parcels = nil
			e.sender.outcome = delivery.Outcome{State: delivery.Delivered}
			if _, err := e.w.Deliver(ctx, d.TenantID, d.ID, d.Round); err != nil {
				t.Fatal(err)
			}
			if len(e.sender.parcels) != 1 {
				t.Fatalf("%d parcels", len(e.sender.parcels))
			}
			p := e.sender.parcels[0]
			switch {
			case tc.wantRef == "" && p.Paid != nil:
				t.Errorf("parcel of an unpaid application has paid attempt %+v", p.Paid)
			case tc.wantRef != "" && (p.Paid == nil || p.Paid.Status != payment.Payed || p.Paid.TransactionReference != tc.wantRef || p.Paid.Amount != 6000):
				t.Errorf("paid attempt %+v, want the PAYED one with Kassenzeichen %s", p.Paid, tc.wantRef)
			}
			if fee := p.Fee(); (fee != nil) != (tc.wantRef != "") || (fee != nil && (fee.State != payment.Paid || fee.Amount() != 6000)) {
				t.Errorf("Fee() = %+v", fee)
			}
		})
	}
}
