package email

import (
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/payment"
)

// TestNoticeNamesTheFee: the notice says the fee, its state and, for a
// fee paid online, the Kassenzeichen, on the line after the
// Vorgangsnummer; without a fee there is no such line.
func TestNoticeNamesTheFee(t *testing.T) {
	bill := &payment.Bill{Items: []payment.Item{{ID: "g", Description: "Gebühr", Quantity: 1, SingleNet: 6000, TotalNet: 6000}}, Total: 6000}
	paid := &payment.Attempt{Status: payment.Payed, Amount: 6000, TransactionReference: "KZ-2026-000001", Method: payment.Paypal}
	tests := []struct {
		name  string
		state payment.State
		bill  *payment.Bill
		paid  *payment.Attempt
		want  string // "" for no fee line
	}{
		{"paid", payment.Paid, bill, paid, "Gebühr: 60,00 € (Bezahlt, Kassenzeichen KZ-2026-000001)"},
		{"deferred", payment.DeferredState, bill, nil, "Gebühr: 60,00 € (Gebühr wird in Rechnung gestellt)"},
		{"waived", payment.Waived, bill, nil, "Gebühr: 60,00 € (Nicht online bezahlt)"},
		{"no fee", payment.Unpaid, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParcel()
			p.Submission.Payment, p.Submission.Bill, p.Paid = tt.state, tt.bill, tt.paid
			body := Body(p)
			lines := strings.Split(body, "\n")
			i := -1
			for n, l := range lines {
				if strings.HasPrefix(l, "Vorgangsnummer: ") {
					i = n
				}
			}
			if i < 0 || i+1 >= len(lines) {
				t.Fatalf("no Vorgangsnummer line:\n%s", body)
			}
			if tt.want == "" {
				if strings.Contains(body, "Gebühr") || lines[i+1] != "" {
					t.Errorf("notice without a fee names one:\n%s", body)
				}
				return
			}
			if lines[i+1] != tt.want || lines[i+2] != "" {
				t.Errorf("line after the Vorgangsnummer = %q, want %q; body:\n%s", lines[i+1], tt.want, body)
			}
		})
	}
}
