// Package payment takes the fee for an application: what a service costs
// (Fee), the XBezahldienste 1.0.0 payment transaction an authority's
// ePayment provider keeps for it (Request, Info, Provider), and the
// attempts antrag makes for one application (Attempt) with the rules that
// decide when an application is paid.
//
// XBezahldienste 1.0.0 (docs.fitko.de/xbezahldienste, official standard
// since 03.11.2023) is served by ePayBL, pmPayment and ePay21. Its
// paymenttransaction resource is created with POST
// {base}paymenttransaction/{originatorId}/{endpointId} and read with GET
// …/{transactionId}; there is no push, so status is polled. Limits:
// ids at most 36 characters, purpose at most 27, description at most
// 250, 1 to 99 items, currency EUR only.
package payment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cents is an amount of euro cents.
type Cents int64

// String formats c as German euros: "1.234,50 €".
func (c Cents) String() string {
	neg := c < 0
	if neg {
		c = -c
	}
	euros, cents := int64(c)/100, int64(c)%100
	s := fmt.Sprintf("%d", euros)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	s = fmt.Sprintf("%s,%02d €", s, cents)
	if neg {
		s = "-" + s
	}
	return s
}

// Status is a payment transaction's status (XBezahldienste 1.0.0
// paymentInformation.status).
type Status string

// Statuses of XBezahldienste.
const (
	Initial  Status = "INITIAL"  // created; the citizen has not finished on the pay page
	Payed    Status = "PAYED"    // paid (sic, as the standard spells it)
	Failed   Status = "FAILED"   // refused by the provider on the citizen's input
	Canceled Status = "CANCELED" // the citizen cancelled
)

// Known reports whether s is one of XBezahldienste's statuses.
func (s Status) Known() bool {
	switch s {
	case Initial, Payed, Failed, Canceled:
		return true
	}
	return false
}

// Method is the payment method the citizen chose (paymentInformation.paymentMethod).
type Method string

// Methods of XBezahldienste 1.0.0 (INVOICE is FIT-Connect's, for a
// deferred fee). GIROPAY ended on 31.12.2024 but may still be reported.
const (
	Giropay    Method = "GIROPAY"
	Paydirect  Method = "PAYDIRECT"
	Creditcard Method = "CREDITCARD"
	Paypal     Method = "PAYPAL"
	Invoice    Method = "INVOICE"
	Other      Method = "OTHER"
)

// Item is one line of a payment transaction (XBezahldienste items[]).
// Amounts are gross: antrag takes fees (Gebühren) that carry no VAT, so
// TaxRate is 0 and the net amounts equal the gross ones.
type Item struct {
	ID          string `json:"id"`                  // at most 36 characters
	Reference   string `json:"reference,omitempty"` // e.g. the Vorgangsnummer
	Description string `json:"description"`         // at most 250 characters
	Quantity    int    `json:"quantity"`            // at least 1
	SingleNet   Cents  `json:"single"`              // per unit
	TotalNet    Cents  `json:"total"`               // Quantity × SingleNet
	// BookingData is what the authority's cash system books the item to,
	// e.g. "Haushaltsstelle", "Objektnummer" (provider-specific keys).
	BookingData map[string]string `json:"booking_data,omitempty"`
}

// Requestor is who pays (XBezahldienste requestor). antrag sends none
// unless the service needs it: the provider's pay page asks.
type Requestor struct {
	Name, FirstName  string
	IsOrganization   bool
	OrganizationName string
}

// Request creates a payment transaction (the body of POST
// paymenttransaction/{originatorId}/{endpointId}).
type Request struct {
	// RequestID identifies the attempt (at most 36 characters): the
	// provider refuses a second transaction with it (PAYMENT_EXISTS), so a
	// retried request never charges twice.
	RequestID        string
	RequestTimestamp time.Time
	Currency         string // "EUR"
	GrossAmount      Cents  // the sum of the items' TotalNet
	Purpose          string // Verwendungszweck, at most 27 characters
	Description      string // at most 250 characters
	RedirectURL      string // where the pay page sends the citizen back
	Items            []Item // 1 to 99
	Requestor        *Requestor
}

// Info is a provider's paymentInformation for a transaction.
type Info struct {
	TransactionID string
	// TransactionReference is the Kassenzeichen.
	TransactionReference string
	// TransactionURL is the REST URL of the transaction (for status);
	// TransactionRedirectURL the pay page, present only while INITIAL.
	TransactionURL, TransactionRedirectURL string
	TransactionTimestamp                   time.Time
	Method                                 Method
	MethodDetail                           string
	Status                                 Status
	StatusDetail                           string
}

// Endpoint is where an authority's payment transactions are kept: the
// provider's base URL with the originatorId and endpointId the provider
// assigned.
type Endpoint struct {
	BaseURL      string // ends with "/"
	OriginatorID string
	EndpointID   string
}

// Provider is an authority's ePayment provider (the XBezahldienste
// client implements it, with the authentication its kind needs).
type Provider interface {
	// Create creates a transaction for r. Errors: *ProviderError for an
	// answer with an error code, ErrUnavailable when the provider could
	// not be reached or answered 5xx or timed out.
	Create(ctx context.Context, r *Request) (*Info, error)
	// Status reads the transaction's status. Errors as Create's.
	Status(ctx context.Context, transactionID string) (*Info, error)
	// Check asks whether the configuration is valid (GET
	// status/{originatorId}/{endPointId}). Errors as Create's.
	Check(ctx context.Context) error
}

// Error codes of XBezahldienste answers.
const (
	CodePaymentExists   = "PAYMENT_EXISTS"
	CodeCalculation     = "CALCULATION_ERROR"
	CodeBookingData     = "BOOKING_DATA_MISSING"
	CodeValidation      = "VALIDATION_ERROR"
	CodeForbidden       = "FORBIDDEN"
	CodeNoValidEndpoint = "NO_VALID_ORIGINATOR_OR_ENDPOINT"
	CodeUnspecified     = "UNSPECIFIED"
)

// ProviderError is an answer of the provider with an error code.
type ProviderError struct {
	HTTPStatus int
	Code       string // one of the Code… constants, or what the provider sent
	Message    string // the provider's text, for logs and staff (never personal data)
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("ePayment: %s (HTTP %d): %s", e.Code, e.HTTPStatus, e.Message)
}

// ErrUnavailable is the error for a provider that cannot be reached, does
// not answer in time, or answers with a server error.
var ErrUnavailable = errors.New("ePayment: Bezahldienst nicht erreichbar")
