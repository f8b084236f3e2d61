package fitconnect_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/payment"
)

// paidAttempt is an attempt that paid a fee of 60,00 € by credit card.
func paidAttempt() *payment.Attempt {
	return &payment.Attempt{N: 1, Status: payment.Payed, Amount: 6000, RequestID: "0b8f6f54-7d0c-4f5e-9d43-3c1f2b7a9e11",
		TransactionID: "9a1d-432c-6543-afd6-b2d1fd27", TransactionReference: "KZ-2026-000001",
		TransactionURL: "https://epayment.example/konnektor/epayment/paymenttransaction/musterstadt/parken/9a1d-432c-6543-afd6-b2d1fd27",
		Method:         payment.Creditcard, MethodDetail: "Visa",
		PaidAt: time.Date(2026, 11, 29, 13, 58, 7, 0, time.FixedZone("MEZ", 3600))}
}

// paymentJSON returns the metadata's paymentInformation as a generic map
// (nil if it has none), after checking the metadata against the schema.
func paymentJSON(t *testing.T, pi *fitconnect.PaymentInformation) map[string]any {
	t.Helper()
	m := validMetadata()
	m.PaymentInformation = pi
	raw := mustJSON(t, m)
	if err := fitconnect.ValidateMetadata(raw); err != nil {
		t.Fatalf("metadata with paymentInformation refused by the schema: %v\n%s", err, raw)
	}
	var back struct {
		PaymentInformation map[string]any `json:"paymentInformation"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back.PaymentInformation
}

// TestPaymentInformationValidates builds the paymentInformation of paid
// applications, puts it into metadata and checks the metadata against
// the FIT-Connect metadata schema 1.0.0.
func TestPaymentInformationValidates(t *testing.T) {
	tests := []struct {
		name string
		mod  func(a *payment.Attempt)
		want map[string]any
	}{
		{"credit card", func(*payment.Attempt) {}, map[string]any{
			"transactionId": "9a1d-432c-6543-afd6-b2d1fd27", "transactionReference": "KZ-2026-000001",
			"transactionUrl":       "https://epayment.example/konnektor/epayment/paymenttransaction/musterstadt/parken/9a1d-432c-6543-afd6-b2d1fd27",
			"transactionTimestamp": "2026-11-29T12:58:07Z", "paymentMethod": "CREDITCARD", "paymentMethodDetail": "Visa",
			"status": "BOOKED", "grossAmount": 60.0}},
		// A method FIT-Connect does not list is OTHER; a detail outside
		// the schema's pattern, an unusable URL and an unknown time are
		// left out; cents keep two decimals.
		{"other method, odd details", func(a *payment.Attempt) {
			a.Method, a.MethodDetail, a.TransactionURL, a.PaidAt, a.Amount = "SEPA_LASTSCHRIFT", "Testkarte (Sandbox)", "/relativ", time.Time{}, 5
		}, map[string]any{
			"transactionId": "9a1d-432c-6543-afd6-b2d1fd27", "transactionReference": "KZ-2026-000001",
			"paymentMethod": "OTHER", "status": "BOOKED", "grossAmount": 0.05}},
		{"no method, large amount", func(a *payment.Attempt) {
			a.Method, a.MethodDetail, a.Amount = "", strings37(), 1234567
		}, map[string]any{
			"transactionId": "9a1d-432c-6543-afd6-b2d1fd27", "transactionReference": "KZ-2026-000001",
			"transactionUrl":       "https://epayment.example/konnektor/epayment/paymenttransaction/musterstadt/parken/9a1d-432c-6543-afd6-b2d1fd27",
			"transactionTimestamp": "2026-11-29T12:58:07Z", "paymentMethod": "OTHER", "status": "BOOKED", "grossAmount": 12345.67}},
		{"paypal, no Kassenzeichen", func(a *payment.Attempt) { a.Method, a.MethodDetail, a.TransactionReference = payment.Paypal, "", "" },
			map[string]any{
				"transactionId": "9a1d-432c-6543-afd6-b2d1fd27", "transactionReference": "",
				"transactionUrl":       "https://epayment.example/konnektor/epayment/paymenttransaction/musterstadt/parken/9a1d-432c-6543-afd6-b2d1fd27",
				"transactionTimestamp": "2026-11-29T12:58:07Z", "paymentMethod": "PAYPAL", "status": "BOOKED", "grossAmount": 60.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := paidAttempt()
			tt.mod(a)
			pi, err := fitconnect.PaymentInfo(payment.Paid, a)
			if err != nil || pi == nil {
				t.Fatalf("PaymentInfo = %+v, %v", pi, err)
			}
			if got := paymentJSON(t, pi); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("paymentInformation =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
	// The schema check is real: an amount with three decimals and an
	// unknown status are refused.
	for name, mod := range map[string]func(pi *fitconnect.PaymentInformation){
		"three decimals": func(pi *fitconnect.PaymentInformation) { pi.GrossAmount = "60.001" },
		"PAYED status":   func(pi *fitconnect.PaymentInformation) { pi.Status = "PAYED" },
	} {
		pi, _ := fitconnect.PaymentInfo(payment.Paid, paidAttempt())
		mod(pi)
		m := validMetadata()
		m.PaymentInformation = pi
		if err := fitconnect.ValidateMetadata(mustJSON(t, m)); !errors.Is(err, fitconnect.ErrMetadata) {
			t.Errorf("%s: ValidateMetadata = %v, want ErrMetadata", name, err)
		}
	}
}

// strings37 is a method detail one character too long for the schema.
func strings37() string { return "Kreditkarte-Visa-Debit-0123456789abcd" }

// TestPaymentInformationOnlyWhenPaid: an application that was not paid
// online (no fee, deferred, waived, still open) has no paymentInformation,
// even with an attempt at hand.
func TestPaymentInformationOnlyWhenPaid(t *testing.T) {
	failed := paidAttempt()
	failed.Status = payment.Failed
	for _, tc := range []struct {
		name  string
		state payment.State
		a     *payment.Attempt
	}{
		{"no fee", payment.Unpaid, nil},
		{"deferred", payment.DeferredState, nil},
		{"waived", payment.Waived, paidAttempt()},
		{"open", payment.Open, paidAttempt()},
		{"paid without attempt", payment.Paid, nil},
		{"paid, attempt failed", payment.Paid, failed},
	} {
		pi, err := fitconnect.PaymentInfo(tc.state, tc.a)
		if pi != nil || err != nil {
			t.Errorf("%s: PaymentInfo = %+v, %v; want none", tc.name, pi, err)
		}
		if got := paymentJSON(t, pi); got != nil {
			t.Errorf("%s: metadata has paymentInformation %v", tc.name, got)
		}
	}
	bad := paidAttempt()
	bad.TransactionID = "9a1d 432c"
	if pi, err := fitconnect.PaymentInfo(payment.Paid, bad); !errors.Is(err, fitconnect.ErrPayment) || pi != nil {
		t.Errorf("transactionId with a space: %+v, %v; want ErrPayment", pi, err)
	}
}

// TestE2EPayment sends a paid application: the metadata carry its
// paymentInformation, which passes the receiver's schema check; a
// deferred fee sends none.
func TestE2EPayment(t *testing.T) {
	e := newEnv(t, envOpts{version: "v2"})
	bill := &payment.Bill{Policy: payment.Mandatory, Items: []payment.Item{
		{ID: "jahr", Description: "Bewohnerparkausweis je Jahr", Quantity: 2, SingleNet: 3000, TotalNet: 6000}}, Total: 6000}
	for _, tc := range []struct {
		name  string
		state payment.State
		paid  *payment.Attempt
		want  *fitconnect.PaymentInformation
	}{
		{"paid", payment.Paid, paidAttempt(), &fitconnect.PaymentInformation{
			TransactionID: "9a1d-432c-6543-afd6-b2d1fd27", TransactionReference: "KZ-2026-000001",
			TransactionURL:       "https://epayment.example/konnektor/epayment/paymenttransaction/musterstadt/parken/9a1d-432c-6543-afd6-b2d1fd27",
			TransactionTimestamp: "2026-11-29T12:58:07Z", PaymentMethod: "CREDITCARD", PaymentMethodDetail: "Visa",
			Status: "BOOKED", GrossAmount: "60.00"}},
		{"deferred", payment.DeferredState, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc := e.newParcel()
			pc.p.Submission.Payment, pc.p.Submission.Bill, pc.p.Paid = tc.state, bill, tc.paid
			out := e.send(pc)
			if out.State != delivery.Delivered {
				t.Fatalf("outcome %+v", out)
			}
			if n, err := e.sub.Poll(context.Background()); err != nil || n != 1 {
				t.Fatalf("Poll = %d, %v", n, err)
			}
			r := e.inbox.get(out.RemoteID)
			if r == nil {
				t.Fatal("not received")
			}
			if !reflect.DeepEqual(r.Metadata.PaymentInformation, tc.want) {
				t.Errorf("received paymentInformation %+v, want %+v", r.Metadata.PaymentInformation, tc.want)
			}
		})
	}
}
