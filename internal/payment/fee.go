package payment

import "encoding/json"

// Policy is how a service takes its fee (EFAST's payment policies per
// form; standards §9).
type Policy string

// Policies.
const (
	NoFee     Policy = ""          // nothing to pay online
	Optional  Policy = "optional"  // the citizen may pay online before sending, or later
	Mandatory Policy = "mandatory" // sent to the authority only once paid
	Deferred  Policy = "deferred"  // invoiced after the service; nothing paid online
)

// Fee is what a service costs, configured per service and, where an
// authority charges differently, per authority and service.
type Fee struct {
	Policy Policy `json:"policy"`
	// Purpose is the Verwendungszweck (at most 27 characters after the
	// Vorgangsnummer is put in for "{vorgangsnummer}").
	Purpose string `json:"purpose"`
	// Description describes the payment (at most 250 characters).
	Description string    `json:"description,omitempty"`
	Items       []FeeItem `json:"items"`
}

// FeeItem is one line of a fee.
type FeeItem struct {
	ID          string `json:"id"`          // at most 36 characters, unique in the fee
	Description string `json:"description"` // at most 250 characters
	// Amount is the fixed price per unit in cents.
	Amount Cents `json:"amount,omitempty"`
	// AmountRule, if set, computes the price per unit from the form data
	// instead: a JSON Logic rule (jsonlogic.com) whose result is euros (a
	// number, or a string of digits with a decimal point), e.g. an amount
	// per code value with "if".
	AmountRule json.RawMessage `json:"amount_rule,omitempty"`
	// QuantityRule, if set, computes the number of units from the form
	// data (a JSON Logic rule whose result is a whole number from 0 to
	// 9999; 0 leaves the item out); unset means 1.
	QuantityRule json.RawMessage `json:"quantity_rule,omitempty"`
	// BookingData are the item's booking data (see Account.BookingData).
	BookingData map[string]string `json:"booking_data,omitempty"`
}

// Bill is a fee computed for one application's data.
type Bill struct {
	Policy      Policy
	Purpose     string
	Description string
	Items       []Item // only items with a quantity of at least 1
	Total       Cents
}
