package payment

import (
	"fmt"
	"time"
)

// Label is the method in German, for citizens and caseworkers.
// GIROPAY ended on 31.12.2024 but may still be reported; an unknown
// method is shown as reported.
func (m Method) Label() string {
	switch m {
	case Creditcard:
		return "Kreditkarte"
	case Paypal:
		return "PayPal"
	case Paydirect:
		return "paydirekt"
	case Giropay:
		return "giropay"
	case Invoice:
		return "Rechnung"
	case Other:
		return "Sonstige"
	}
	return string(m)
}

// PaidAttempt returns the attempt that paid the application (status
// PAYED), nil if none did. Attempt.Next makes PAYED final, so an
// application has at most one; should a list hold several, the first
// counts.
func PaidAttempt(as []*Attempt) *Attempt {
	for _, a := range as {
		if a != nil && a.Status == Payed {
			return a
		}
	}
	return nil
}

// DeferredNote is what a statement says of a deferred fee.
const DeferredNote = "Die Gebühr wird Ihnen in Rechnung gestellt."

// Statement is an application's fee and its payment as the outputs of the
// application show it (the receipt PDF, the copy of the answers): the
// computed bill, the payment state and, for a paid fee, the attempt that
// paid it.
type Statement struct {
	State State
	Bill  *Bill
	// Paid is the attempt that paid the fee; nil unless State is Paid.
	Paid *Attempt
}

// NewStatement returns the statement of an application with the payment
// state st, the bill b and the payment attempts as (in any order); nil
// for an application without a bill (nothing to pay).
func NewStatement(st State, b *Bill, as []*Attempt) *Statement {
	if b == nil {
		return nil
	}
	s := &Statement{State: st, Bill: b}
	if st == Paid {
		s.Paid = PaidAttempt(as)
	}
	return s
}

// Amount is the fee in cents: what the paid attempt paid, else the
// bill's total; 0 for a nil statement.
func (s *Statement) Amount() Cents {
	switch {
	case s == nil || s.Bill == nil:
		return 0
	case s.Paid != nil:
		return s.Paid.Amount
	}
	return s.Bill.Total
}

// Row is one line of a statement: a German label and its value.
type Row struct {
	Label, Value string
}

// ItemRows are the bill's items, one row each: the description as label,
// "quantity × price per unit = amount" as value, e.g.
// {"Bewohnerparkausweis (je Jahr)", "2 × 30,00 € = 60,00 €"}. Nil for a
// nil statement.
func (s *Statement) ItemRows() []Row {
	if s == nil || s.Bill == nil {
		return nil
	}
	rows := make([]Row, 0, len(s.Bill.Items))
	for _, it := range s.Bill.Items {
		rows = append(rows, Row{it.Description, fmt.Sprintf("%d × %s = %s", it.Quantity, it.SingleNet, it.TotalNet)})
	}
	return rows
}

// Facts are the payment's rows after the items: "Zahlung" (State.Label);
// for a paid fee "Kassenzeichen", "Zahlart" (Method.Label) and "Bezahlt
// am" (the provider's transactionTimestamp in loc, "17.05.2024, 09:30
// Uhr"), each only when known; for a deferred fee "Hinweis" with
// DeferredNote. A nil loc is UTC. Nil for a nil statement.
func (s *Statement) Facts(loc *time.Location) []Row {
	if s == nil {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	rows := []Row{{"Zahlung", s.State.Label()}}
	if a := s.Paid; a != nil {
		if a.TransactionReference != "" {
			rows = append(rows, Row{"Kassenzeichen", a.TransactionReference})
		}
		if a.Method != "" {
			rows = append(rows, Row{"Zahlart", a.Method.Label()})
		}
		if !a.PaidAt.IsZero() {
			rows = append(rows, Row{"Bezahlt am", a.PaidAt.In(loc).Format("02.01.2006, 15:04") + " Uhr"})
		}
	}
	if s.State == DeferredState {
		rows = append(rows, Row{"Hinweis", DeferredNote})
	}
	return rows
}

// Rows are the whole statement: ItemRows, then "Summe" with the bill's
// total, then Facts. Nil for a nil statement.
func (s *Statement) Rows(loc *time.Location) []Row {
	if s == nil || s.Bill == nil {
		return nil
	}
	rows := s.ItemRows()
	rows = append(rows, Row{"Summe", s.Bill.Total.String()})
	return append(rows, s.Facts(loc)...)
}
