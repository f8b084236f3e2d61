package payment

import (
	"slices"
	"testing"
	"time"
)

func TestStatementRows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no Europe/Berlin zone:", err)
	}
	bill := &Bill{Policy: Mandatory, Items: []Item{
		{ID: "jahr", Description: "Bewohnerparkausweis (je Jahr)", Quantity: 2, SingleNet: 3000, TotalNet: 6000},
	}, Total: 6000}
	paid := &Attempt{N: 2, Status: Payed, Amount: 6000, TransactionReference: "KZ-2026-000001", Method: Creditcard,
		PaidAt: time.Date(2026, 7, 1, 8, 5, 0, 0, time.UTC)}
	failed := &Attempt{N: 1, Status: Failed, Amount: 6000, TransactionReference: "KZ-2026-000000"}
	items := []Row{{"Bewohnerparkausweis (je Jahr)", "2 × 30,00 € = 60,00 €"}, {"Summe", "60,00 €"}}
	tests := []struct {
		name  string
		state State
		bill  *Bill
		as    []*Attempt
		want  []Row // nil: no statement
	}{
		{"no fee", Unpaid, nil, nil, nil},
		{"paid", Paid, bill, []*Attempt{failed, paid}, append(slices.Clone(items),
			Row{"Zahlung", "Bezahlt"}, Row{"Kassenzeichen", "KZ-2026-000001"}, Row{"Zahlart", "Kreditkarte"},
			Row{"Bezahlt am", "01.07.2026, 10:05 Uhr"})},
		{"deferred", DeferredState, bill, nil, append(slices.Clone(items),
			Row{"Zahlung", "Gebühr wird in Rechnung gestellt"}, Row{"Hinweis", "Die Gebühr wird Ihnen in Rechnung gestellt."})},
		{"waived", Waived, bill, nil, append(slices.Clone(items), Row{"Zahlung", "Nicht online bezahlt"})},
		// A held application shows no paid attempt, even one the
		// provider reported but the store has not released yet.
		{"open", Open, bill, []*Attempt{failed}, append(slices.Clone(items), Row{"Zahlung", "Zahlung ausstehend"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStatement(tt.state, tt.bill, tt.as)
			if (s == nil) != (tt.want == nil) {
				t.Fatalf("NewStatement = %+v, want a statement: %v", s, tt.want != nil)
			}
			if got := s.Rows(berlin); !slices.Equal(got, tt.want) {
				t.Errorf("Rows =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestPaidAttempt(t *testing.T) {
	a := &Attempt{N: 1, Status: Canceled}
	b := &Attempt{N: 2, Status: Payed}
	if got := PaidAttempt([]*Attempt{a, nil, b}); got != b {
		t.Errorf("PaidAttempt = %+v, want attempt 2", got)
	}
	if got := PaidAttempt([]*Attempt{a}); got != nil {
		t.Errorf("PaidAttempt without a PAYED attempt = %+v", got)
	}
}

func TestMethodLabel(t *testing.T) {
	for m, want := range map[Method]string{Creditcard: "Kreditkarte", Paypal: "PayPal", Giropay: "giropay",
		Paydirect: "paydirekt", Invoice: "Rechnung", Other: "Sonstige", "SEPA_DD": "SEPA_DD"} {
		if got := m.Label(); got != want {
			t.Errorf("%s.Label() = %q, want %q", m, got, want)
		}
	}
}
