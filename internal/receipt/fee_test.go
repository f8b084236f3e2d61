package receipt

import (
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/payment"
)

// feeBill is a bill of 60,00 €: two years of a 30 € permit.
func feeBill(policy payment.Policy) *payment.Bill {
	return &payment.Bill{Policy: policy, Purpose: "Parkausweis A7K2-9QXM-4T", Items: []payment.Item{
		{ID: "jahr", Description: "Bewohnerparkausweis je Jahr", Quantity: 2, SingleNet: 3000, TotalNet: 6000},
	}, Total: 6000}
}

// paidReceipt is sampleReceipt with a fee of 60,00 € paid by credit card.
func paidReceipt() Receipt {
	r := sampleReceipt()
	r.Fee = payment.NewStatement(payment.Paid, feeBill(payment.Mandatory), []*payment.Attempt{
		{N: 1, Status: payment.Canceled, Amount: 6000, TransactionReference: "KZ-2024-000000"},
		{N: 2, Status: payment.Payed, Amount: 6000, TransactionReference: "KZ-2024-000001", TransactionID: "tx-1",
			Method: payment.Creditcard, PaidAt: time.Date(2024, 5, 17, 7, 29, 0, 0, time.UTC)},
	})
	return r
}

func TestRenderFee(t *testing.T) {
	deferred := sampleReceipt()
	deferred.Fee = payment.NewStatement(payment.DeferredState, feeBill(payment.Deferred), nil)
	waived := sampleReceipt()
	waived.Fee = payment.NewStatement(payment.Waived, feeBill(payment.Optional), nil)
	items := []string{"Gebühr", "Bewohnerparkausweis je Jahr", "2 × 30,00 € = 60,00 €", "Summe", "60,00 €", "Zahlung"}
	tests := []struct {
		name   string
		r      Receipt
		want   []string
		refuse []string
	}{
		{"paid", paidReceipt(),
			append(items, "Bezahlt", "Kassenzeichen", "KZ-2024-000001", "Zahlart", "Kreditkarte",
				"Bezahlt am", "17.05.2024, 09:29 Uhr"), // Europe/Berlin, summer time
			[]string{"KZ-2024-000000", "in Rechnung gestellt"}},
		{"deferred", deferred,
			append(items, "Gebühr wird in Rechnung gestellt", "Die Gebühr wird Ihnen in Rechnung gestellt."),
			[]string{"Kassenzeichen", "Zahlart"}},
		{"waived", waived, append(items, "Nicht online bezahlt"), []string{"Kassenzeichen", "in Rechnung gestellt"}},
		{"no fee", sampleReceipt(), nil, []string{"Gebühr", "Summe", "Kassenzeichen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := pdfText(t, render(t, tt.r))
			wantText(t, text, tt.want...)
			for _, no := range tt.refuse {
				if strings.Contains(text, no) {
					t.Errorf("extracted text has %q", no)
				}
			}
			if t.Failed() {
				t.Logf("extracted text:\n%s", text)
			}
		})
	}
}

// TestRenderFeeBeforeEvidence: the fee follows the answers and comes
// before the identity proof.
func TestRenderFeeBeforeEvidence(t *testing.T) {
	r := paidReceipt()
	r.Evidence = sampleEvidence()
	text := pdfText(t, render(t, r))
	answer, fee, evidence := strings.Index(text, "Gewünschter Prüfungstermin"), strings.Index(text, "Kassenzeichen"), strings.Index(text, "Identitätsnachweis")
	if answer < 0 || fee < 0 || evidence < 0 || !(answer < fee && fee < evidence) {
		t.Errorf("positions: answers %d, fee %d, evidence %d; want this order", answer, fee, evidence)
	}
}
