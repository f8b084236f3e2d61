package xbezahldienste

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
)

// Limits of XBezahldienste 1.0.0 (standards: payment limits).
const (
	maxID          = 36  // requestId, item id, transactionId, originatorId, endpointId
	maxPurpose     = 27  // purpose (Verwendungszweck)
	maxDescription = 250 // description, item description
	maxItems       = 99
	currency       = "EUR"
	// maxSingle bounds an item's price per unit (ten million euros) and
	// maxQuantity its quantity, so that totals cannot overflow.
	maxSingle   = payment.Cents(1_000_000_000)
	maxQuantity = 1_000_000
)

// Validate checks r against the limits of XBezahldienste 1.0.0 before it
// is sent: RequestID and item IDs 1 to 36 characters, Purpose 1 to 27,
// descriptions at most 250, 1 to 99 items, Currency "EUR" (or empty, for
// EUR), amounts above zero, each item's TotalNet = Quantity × SingleNet,
// the items' totals adding up to GrossAmount, and RedirectURL an
// absolute http(s) URL. Lengths count characters. The error wraps
// apperr.Invalid and names every problem (in German, for operators).
func Validate(r *payment.Request) error {
	if r == nil {
		return fmt.Errorf("%w: keine Zahlungsanforderung", apperr.Invalid)
	}
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if n := utf8.RuneCountInString(r.RequestID); n == 0 || n > maxID {
		bad("requestId muss 1 bis %d Zeichen haben", maxID)
	}
	if r.Currency != "" && r.Currency != currency {
		bad("Währung %q nicht unterstützt (nur EUR)", r.Currency)
	}
	if n := utf8.RuneCountInString(r.Purpose); n == 0 || n > maxPurpose {
		bad("Verwendungszweck muss 1 bis %d Zeichen haben (hat %d)", maxPurpose, n)
	}
	if n := utf8.RuneCountInString(r.Description); n > maxDescription {
		bad("Beschreibung länger als %d Zeichen (hat %d)", maxDescription, n)
	}
	if u, err := url.Parse(r.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("redirectUrl ist keine absolute http(s)-Adresse")
	}
	if r.GrossAmount <= 0 {
		bad("Gesamtbetrag muss größer als 0 sein")
	}
	if n := len(r.Items); n < 1 || n > maxItems {
		bad("1 bis %d Positionen erlaubt (sind %d)", maxItems, n)
	}
	var sum payment.Cents
	seen := make(map[string]bool, len(r.Items))
	for i, it := range r.Items {
		pos := i + 1
		if n := utf8.RuneCountInString(it.ID); n == 0 || n > maxID {
			bad("Position %d: id muss 1 bis %d Zeichen haben", pos, maxID)
		} else if seen[it.ID] {
			bad("Position %d: id %q doppelt", pos, it.ID)
		}
		seen[it.ID] = true
		if n := utf8.RuneCountInString(it.Description); n > maxDescription {
			bad("Position %d: Beschreibung länger als %d Zeichen", pos, maxDescription)
		}
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			bad("Position %d: Menge muss 1 bis %d sein", pos, maxQuantity)
			continue
		}
		if it.SingleNet <= 0 || it.SingleNet > maxSingle {
			bad("Position %d: Einzelbetrag muss größer als 0 und höchstens %s sein", pos, maxSingle)
			continue
		}
		if it.TotalNet != payment.Cents(it.Quantity)*it.SingleNet {
			bad("Position %d: Summe %s ist nicht Menge × Einzelbetrag", pos, it.TotalNet)
			continue
		}
		sum += it.TotalNet
	}
	if len(p) == 0 && sum != r.GrossAmount {
		bad("Summe der Positionen %s ist nicht der Gesamtbetrag %s", sum, r.GrossAmount)
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", apperr.Invalid, strings.Join(p, "; "))
	}
	return nil
}
