package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/payment"
)

// feeBill is a fee of 60,00 €: two years at 30 €.
func feeBill(policy payment.Policy) *payment.Bill {
	return &payment.Bill{Policy: policy, Items: []payment.Item{
		{ID: "jahr", Description: "Bewohnerparkausweis je Jahr", Quantity: 2, SingleNet: 3000, TotalNet: 6000},
	}, Total: 6000}
}

// TestSendPayment: the payload's "payment" names the state, the amount
// in cents and, for a paid fee, the Kassenzeichen, transaction, method
// and time; an application without a fee has no "payment".
func TestSendPayment(t *testing.T) {
	paid := &payment.Attempt{N: 1, Status: payment.Payed, Amount: 6000, TransactionID: "8c2f0a4e-tx",
		TransactionReference: "KZ-2026-000001", Method: payment.Creditcard, MethodDetail: "Visa",
		PaidAt: time.Date(2026, 11, 29, 11, 58, 0, 0, time.FixedZone("MEZ", 3600))}
	tests := []struct {
		name  string
		state payment.State
		bill  *payment.Bill
		paid  *payment.Attempt
		want  map[string]any // nil: no "payment"
	}{
		{"paid", payment.Paid, feeBill(payment.Mandatory), paid, map[string]any{"state": "paid", "amountCents": 6000.0,
			"currency": "EUR", "transactionReference": "KZ-2026-000001", "transactionId": "8c2f0a4e-tx",
			"paymentMethod": "CREDITCARD", "paidAt": "2026-11-29T10:58:00Z"}},
		{"deferred", payment.DeferredState, feeBill(payment.Deferred), nil,
			map[string]any{"state": "deferred", "amountCents": 6000.0, "currency": "EUR"}},
		// A paid attempt given with a state other than paid is not shown.
		{"waived", payment.Waived, feeBill(payment.Optional), paid,
			map[string]any{"state": "waived", "amountCents": 6000.0, "currency": "EUR"}},
		{"no fee", payment.Unpaid, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, srv := startReceiver(t, http.StatusOK, nil)
			p := newParcel(srv.URL + "/hook")
			p.Submission.Payment, p.Submission.Bill, p.Paid = tt.state, tt.bill, tt.paid
			if _, err := testSender().Send(context.Background(), p); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			var got struct {
				Data map[string]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(reqs[0].body, &got); err != nil {
				t.Fatal(err)
			}
			raw, ok := got.Data["payment"]
			if tt.want == nil {
				if ok {
					t.Errorf("payload has payment %s", raw)
				}
				return
			}
			var pm map[string]any
			if err := json.Unmarshal(raw, &pm); err != nil {
				t.Fatalf("payment %s: %v", raw, err)
			}
			if !reflect.DeepEqual(pm, tt.want) {
				t.Errorf("payment = %v\nwant %v", pm, tt.want)
			}
		})
	}
}
