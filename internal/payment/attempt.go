package payment

import (
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

// State is an application's payment state (submissions.payment).
type State string

// Payment states of an application.
const (
	// Unpaid: nothing to pay online (no fee, or a fee of 0).
	Unpaid State = ""
	// Open: the fee is to be paid online before the application goes to
	// the authority; it has no deliveries until paid.
	Open State = "open"
	// Paid: an attempt reported PAYED; the application was released.
	Paid State = "paid"
	// DeferredState: the fee is invoiced after the service (policy
	// Deferred); the application went to the authority at once.
	DeferredState State = "deferred"
	// Waived: an optional fee the citizen chose not to pay online; the
	// application went to the authority without payment.
	Waived State = "waived"
)

// Label is the state in German, for citizens and caseworkers.
func (s State) Label() string {
	switch s {
	case Open:
		return "Zahlung ausstehend"
	case Paid:
		return "Bezahlt"
	case DeferredState:
		return "Gebühr wird in Rechnung gestellt"
	case Waived:
		return "Nicht online bezahlt"
	}
	return "Keine Gebühr"
}

// Local statuses of an attempt, besides XBezahldienste's four.
const (
	// New: the attempt is stored, the provider has not (yet) confirmed a
	// transaction; the citizen never saw a pay page for it.
	New Status = "NEW"
	// Refused: the provider could not be reached or refused to create the
	// transaction; nothing can have been paid.
	Refused Status = "ERROR"
	// Abandoned: the transaction stayed INITIAL past the configured age
	// and is no longer asked about (a manual check still may).
	Abandoned Status = "ABANDONED"
)

// Label is the status in German.
func (s Status) Label() string {
	switch s {
	case New:
		return "Wird angelegt"
	case Initial:
		return "Offen (Bezahlseite aufgerufen)"
	case Payed:
		return "Bezahlt"
	case Failed:
		return "Fehlgeschlagen"
	case Canceled:
		return "Abgebrochen"
	case Refused:
		return "Nicht angelegt (Bezahldienst-Fehler)"
	case Abandoned:
		return "Nicht abgeschlossen (geschlossen)"
	}
	return string(s)
}

// Attempt is one attempt to pay an application: one payment transaction
// at the authority's provider, created with its own RequestID.
type Attempt struct {
	ID           string
	TenantID     string
	SubmissionID string
	AuthorityID  string
	N            int    // 1, 2, … per application
	RequestID    string // XBezahldienste requestId (a UUID, 36 characters)
	Amount       Cents
	Status       Status
	// Info from the provider (empty fields until it answered).
	TransactionID        string
	TransactionReference string // Kassenzeichen
	TransactionURL       string
	RedirectURL          string // the pay page, while INITIAL
	Method               Method
	MethodDetail         string
	StatusDetail         string
	// Problem is why the attempt was refused or could not be checked, in
	// German for the citizen and staff ("" for none).
	Problem   string
	PaidAt    time.Time // the provider's transactionTimestamp of PAYED
	CreatedAt time.Time
	UpdatedAt time.Time
	CheckedAt time.Time // last status request; zero if none
	// NextCheck is when reconciliation asks the provider next; zero once
	// the attempt is closed.
	NextCheck time.Time
	ClosedAt  time.Time
}

// Active reports whether the attempt may still be paid on its pay page
// (NEW or INITIAL): a new attempt may not start while one is active.
func (a *Attempt) Active() bool { return a.Status == New || a.Status == Initial }

// Next is the status an attempt in status cur takes when the provider
// reports rep. The rules, from XBezahldienste's statuses and case C10:
//
//   - PAYED is final: nothing moves an attempt out of it (a paid fee is
//     never asked for again).
//   - A reported PAYED wins over every other status, also over FAILED,
//     CANCELED and ABANDONED reported or decided earlier (C10: a payment
//     that first failed and later succeeded is paid).
//   - FAILED and CANCELED replace NEW, INITIAL, ABANDONED and each other
//     (the provider's latest word counts).
//   - INITIAL replaces only NEW: a provider does not go back to INITIAL.
//   - An unknown reported status changes nothing (an error for the
//     caller, see Apply).
func Next(cur, rep Status) Status {
	switch {
	case cur == Payed:
		return Payed
	case rep == Payed:
		return Payed
	case rep == Failed || rep == Canceled:
		if cur == Refused {
			return cur // no transaction exists for a refused attempt
		}
		return rep
	case rep == Initial && cur == New:
		return Initial
	}
	return cur
}

// Apply takes the provider's information about a's transaction at now: the
// status per Next and the transaction's details. It reports whether the
// status changed. An unknown status is an error (apperr.Invalid) and
// changes nothing.
func (a *Attempt) Apply(info *Info, now time.Time) (changed bool, err error) {
	if !info.Status.Known() {
		return false, fmt.Errorf("%w: unbekannter Zahlungsstatus %q", apperr.Invalid, info.Status)
	}
	if a.TransactionID != "" && info.TransactionID != "" && info.TransactionID != a.TransactionID {
		return false, fmt.Errorf("%w: Antwort zu einer anderen Transaktion", apperr.Invalid)
	}
	next := Next(a.Status, info.Status)
	changed = next != a.Status
	if a.TransactionID == "" {
		a.TransactionID = info.TransactionID
	}
	if info.TransactionReference != "" {
		a.TransactionReference = info.TransactionReference
	}
	if info.TransactionURL != "" {
		a.TransactionURL = info.TransactionURL
	}
	if next == Initial {
		if info.TransactionRedirectURL != "" {
			a.RedirectURL = info.TransactionRedirectURL
		}
	} else {
		a.RedirectURL = "" // the pay page is only for INITIAL
	}
	if next == info.Status {
		if info.Method != "" {
			a.Method = info.Method
		}
		a.MethodDetail = info.MethodDetail
		a.StatusDetail = info.StatusDetail
	}
	if next == Payed && a.PaidAt.IsZero() {
		a.PaidAt = info.TransactionTimestamp
		if a.PaidAt.IsZero() {
			a.PaidAt = now
		}
	}
	a.Status = next
	a.CheckedAt = now
	a.UpdatedAt = now
	return changed, nil
}

// Schedule sets when reconciliation asks about a next, at now: soon at
// first, then less often (1, 2, 5, 15 minutes, then hourly), while the
// attempt is younger than maxAge. FAILED and CANCELED attempts are still
// asked about, because a provider may report PAYED later (C10). Past
// maxAge an attempt still open is ABANDONED: it is closed for the citizen
// (a new attempt may start) but still asked about once a day, so that a
// late payment on its pay page is found, until twice maxAge. A paid or
// refused attempt is closed at once.
func (a *Attempt) Schedule(now time.Time, maxAge time.Duration) {
	age := now.Sub(a.CreatedAt)
	if age >= maxAge && (a.Status == Initial || a.Status == New) {
		a.Status = Abandoned
		a.RedirectURL = ""
	}
	switch {
	case a.Status == Payed || a.Status == Refused || age >= 2*maxAge:
		a.close(now)
		return
	case age >= maxAge || a.Status == Abandoned:
		if a.ClosedAt.IsZero() {
			a.ClosedAt = now
		}
		a.NextCheck = now.Add(24 * time.Hour)
		a.UpdatedAt = now
		return
	}
	var wait time.Duration
	switch {
	case age < 5*time.Minute:
		wait = time.Minute
	case age < 15*time.Minute:
		wait = 2 * time.Minute
	case age < time.Hour:
		wait = 5 * time.Minute
	case age < 6*time.Hour:
		wait = 15 * time.Minute
	default:
		wait = time.Hour
	}
	a.NextCheck = now.Add(wait)
	a.UpdatedAt = now
}

func (a *Attempt) close(now time.Time) {
	a.NextCheck = time.Time{}
	if a.ClosedAt.IsZero() {
		a.ClosedAt = now
	}
	a.UpdatedAt = now
}
