package payment

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
)

// Note is an entry for the application's audit trail: every change of an
// attempt's status is recorded with the change.
type Note struct {
	Actor  string // "Antragsteller", "System" or a staff user name
	Action string // "zahlung"
	Detail string // e.g. "Versuch 1: INITIAL → PAYED, Kassenzeichen KZ-1"
}

// Store keeps the attempts. Every method is scoped by tenant except
// DueAttempts, which serves reconciliation across tenants.
type Store interface {
	// StartAttempt stores a (Status New) as the application's next
	// attempt: it sets a.N to one more than the application's attempts
	// and records note, in one transaction that locks the application. An
	// application with an active attempt is ErrActive, one already paid
	// ErrPaid, one whose payment is not Open apperr.Conflict.
	StartAttempt(ctx context.Context, a *Attempt, note *Note) error
	// SaveAttempt stores a's status, details and schedule, and note (nil:
	// none). When a is PAYED and its application's payment is Open, it
	// releases the application in the same transaction: the payment
	// becomes Paid and its deliveries are made and queued. released
	// reports that it did (once per application).
	SaveAttempt(ctx context.Context, a *Attempt, note *Note) (released bool, err error)
	// Attempt returns one attempt of the tenant (apperr.NotFound).
	Attempt(ctx context.Context, tenantID, id string) (*Attempt, error)
	// Attempts lists an application's attempts, oldest first.
	Attempts(ctx context.Context, tenantID, submissionID string) ([]*Attempt, error)
	// DueAttempts lists up to limit attempts of all tenants whose
	// NextCheck is at or before now, earliest first.
	DueAttempts(ctx context.Context, now time.Time, limit int) ([]*Attempt, error)
	// PaymentAccount returns an authority's provider account
	// (apperr.NotFound if it has none).
	PaymentAccount(ctx context.Context, tenantID, authorityID string) (*Account, error)
}

// ErrActive is StartAttempt's error for an application whose earlier
// attempt may still be paid (apperr.Conflict).
var ErrActive = fmt.Errorf("Für diesen Antrag läuft bereits eine Zahlung: %w", apperr.Conflict)

// ErrPaid is StartAttempt's error for an application already paid
// (apperr.Conflict): a paid fee is never asked for again.
var ErrPaid = fmt.Errorf("Die Gebühr für diesen Antrag ist bereits bezahlt: %w", apperr.Conflict)

// NewProvider makes the client for an account (xbezahldienste.New).
type NewProvider func(acc *Account) (Provider, error)

// Collector takes fees: the use case behind the payment step, the return
// from the pay page, the inbox's "check again" and reconciliation.
type Collector struct {
	Store       Store
	NewProvider NewProvider
	// MaxAge is how long an attempt is asked about (default 7 days): an
	// attempt still INITIAL then is ABANDONED.
	MaxAge time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger

	mu      sync.Mutex
	clients map[string]Provider  // by account fingerprint
	views   map[string]time.Time // attempt id → last citizen's view that asked the provider
}

// Application is what an attempt pays for.
type Application struct {
	TenantID, SubmissionID, AuthorityID string
	Reference                           string // Vorgangsnummer
	Bill                                *Bill
}

// Citizen-facing messages for provider failures (plain German).
const (
	msgUnavailable = "Der Bezahldienst ist gerade nicht erreichbar. Ihr Antrag ist gespeichert und geht nicht verloren. Bitte versuchen Sie die Zahlung in einigen Minuten erneut."
	msgSetup       = "Die Zahlung konnte wegen eines Fehlers in der Einrichtung des Bezahldienstes nicht angelegt werden. Ihr Antrag ist gespeichert. Bitte versuchen Sie es später erneut oder wenden Sie sich an die Behörde."
	msgExists      = "Für diesen Antrag wurde bereits eine Zahlung angelegt. Bitte prüfen Sie den Zahlungsstatus, bevor Sie erneut bezahlen."
	msgNoAccount   = "Für diese Behörde ist keine Online-Zahlung eingerichtet. Ihr Antrag ist gespeichert. Bitte wenden Sie sich an die Behörde."
	// Problems of a status request (the transaction exists).
	msgStatusUnavailable = "Der Stand der Zahlung konnte gerade nicht beim Bezahldienst abgefragt werden. Falls Sie schon bezahlt haben, müssen Sie nichts weiter tun: Die Zahlung wird automatisch erneut abgefragt."
	msgUnknown           = "Der Bezahldienst kennt diese Zahlung nicht mehr. Sie können die Zahlung neu starten."
)

// minRecheck is the least time between two status requests for one
// attempt made for the citizen's views (CheckApplication with actor
// Citizen: the return from the pay page, reloading it, the JSON API's
// status), so that reloading a page or polling does not flood the
// provider. Staff checks, reconciliation and Start always ask.
const minRecheck = 5 * time.Second

// Citizen is the actor of the applicant's own requests.
const Citizen = "Antragsteller"

// viewedRecently reports whether the citizen's views asked about attempt
// id within minRecheck (wall-clock time, this process), and records this
// view otherwise.
func (c *Collector) viewedRecently(id string) bool {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.views == nil {
		c.views = map[string]time.Time{}
	}
	if t, ok := c.views[id]; ok && now.Sub(t) < minRecheck {
		return true
	}
	if len(c.views) > 10000 {
		for k, t := range c.views {
			if now.Sub(t) >= minRecheck {
				delete(c.views, k)
			}
		}
	}
	c.views[id] = now
	return false
}

// ProblemOf is the plain-German message for a provider failure err,
// suitable for the citizen; "" for nil.
func ProblemOf(err error) string {
	var pe *ProviderError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe) && pe.Code == CodePaymentExists:
		return msgExists
	case errors.As(err, &pe):
		return msgSetup
	case errors.Is(err, apperr.NotFound):
		return msgNoAccount
	}
	return msgUnavailable
}

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Collector) maxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return 7 * 24 * time.Hour
}

// provider returns the client of an authority's account, made once per
// account content (a changed account makes a new one).
func (c *Collector) provider(ctx context.Context, tenantID, authorityID string) (Provider, error) {
	acc, err := c.Store.PaymentAccount(ctx, tenantID, authorityID)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(acc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte(tenantID+"\x00"+authorityID+"\x00"), b...))
	key := string(sum[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.clients[key]; ok {
		return p, nil
	}
	p, err := c.NewProvider(acc)
	if err != nil {
		return nil, fmt.Errorf("ePayment account of authority %s: %w", authorityID, err)
	}
	if c.clients == nil {
		c.clients = map[string]Provider{}
	}
	c.clients[key] = p
	return p, nil
}

// Start starts paying app: the earlier attempts are reconciled first (an
// attempt still INITIAL is returned as it is, so the citizen goes back to
// its pay page and nothing is charged twice); otherwise a new attempt
// with a new RequestID is stored, then the provider is asked to create
// its transaction, which returns to redirectURL. It returns the attempt
// (Status INITIAL with RedirectURL to send the citizen to), or, when the
// provider failed, the refused attempt (Problem says why) with the error.
// Errors: ErrPaid, ErrActive (another request is starting one),
// apperr.Conflict for an application not Open, the provider's (see
// ProblemOf).
func (c *Collector) Start(ctx context.Context, app Application, redirectURL, actor string) (*Attempt, error) {
	if app.Bill == nil || app.Bill.Total <= 0 {
		return nil, fmt.Errorf("%w: nothing to pay", apperr.Invalid)
	}
	prev, err := c.Store.Attempts(ctx, app.TenantID, app.SubmissionID)
	if err != nil {
		return nil, err
	}
	for _, a := range prev {
		if a.Status == Payed {
			return a, ErrPaid
		}
		if a.TransactionID != "" && a.Status != Payed {
			// Reconcile before anything new: it may have been paid.
			if _, _, err := c.check(ctx, a, actor); err != nil {
				if a.Active() {
					return a, err // cannot know whether it is paid: no second transaction
				}
				c.logWarn("payment check before a new attempt failed", a, err)
			}
			if a.Status == Payed {
				return a, ErrPaid
			}
		}
		if a.Status == Initial && a.RedirectURL != "" {
			return a, nil // continue on its pay page
		}
		if a.Status == New {
			if c.now().Sub(a.CreatedAt) < time.Minute {
				return a, ErrActive // another request is creating it
			}
			// Never confirmed by the provider: the citizen never saw its
			// pay page, so it cannot have been paid.
			a.Status, a.Problem = Refused, msgUnavailable
			a.Schedule(c.now(), c.maxAge())
			if _, err := c.Store.SaveAttempt(ctx, a, &Note{Actor: "System", Action: "zahlung",
				Detail: fmt.Sprintf("Versuch %d nicht angelegt (keine Antwort des Bezahldienstes)", a.N)}); err != nil {
				return nil, err
			}
		}
	}
	p, err := c.provider(ctx, app.TenantID, app.AuthorityID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", msgNoAccount, err)
	}
	now := c.now()
	a := &Attempt{ID: uuid.NewString(), TenantID: app.TenantID, SubmissionID: app.SubmissionID, AuthorityID: app.AuthorityID,
		RequestID: uuid.NewString(), Amount: app.Bill.Total, Status: New, CreatedAt: now, UpdatedAt: now}
	if err := c.Store.StartAttempt(ctx, a, &Note{Actor: actor, Action: "zahlung",
		Detail: fmt.Sprintf("Zahlung über %s eingeleitet", app.Bill.Total)}); err != nil {
		return nil, err
	}
	bill := app.Bill.withReference(app.Reference)
	req := &Request{RequestID: a.RequestID, RequestTimestamp: now, Currency: "EUR", GrossAmount: bill.Total,
		Purpose: bill.Purpose, Description: bill.Description, RedirectURL: redirectURL, Items: bill.Items}
	info, cerr := p.Create(ctx, req)
	now = c.now()
	if cerr != nil {
		a.Status, a.Problem = Refused, ProblemOf(cerr)
		a.Schedule(now, c.maxAge())
		c.logWarn("payment transaction not created", a, cerr)
		if _, err := c.Store.SaveAttempt(context.WithoutCancel(ctx), a, &Note{Actor: "System", Action: "zahlung",
			Detail: fmt.Sprintf("Versuch %d vom Bezahldienst nicht angelegt: %s", a.N, providerText(cerr))}); err != nil {
			return nil, errors.Join(cerr, err)
		}
		return a, cerr
	}
	old := a.Status
	if _, err := a.Apply(info, now); err != nil {
		a.Status, a.Problem = Refused, msgSetup
	}
	a.Schedule(now, c.maxAge())
	if _, err := c.Store.SaveAttempt(context.WithoutCancel(ctx), a, c.statusNote("System", a, old)); err != nil {
		return nil, err
	}
	return a, nil
}

// ErrorCode is a provider failure for logs and the audit trail: the
// XBezahldienste error code, "nicht erreichbar" or "Fehler"; never the
// provider's text, which might repeat what was sent.
func ErrorCode(err error) string { return providerText(err) }

// providerText is ErrorCode.
func providerText(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Code
	}
	if errors.Is(err, ErrUnavailable) {
		return "nicht erreichbar"
	}
	return "Fehler"
}

func (c *Collector) statusNote(actor string, a *Attempt, old Status) *Note {
	if old == a.Status {
		return nil
	}
	d := fmt.Sprintf("Versuch %d: %s → %s", a.N, old, a.Status)
	if a.TransactionReference != "" {
		d += ", Kassenzeichen " + a.TransactionReference
	}
	return &Note{Actor: actor, Action: "zahlung", Detail: d}
}

// Check asks the provider about one attempt of the tenant now and stores
// the answer (see Attempt.Apply and Schedule); a PAYED answer releases the
// application (released). actor is who asked ("System" for
// reconciliation). An attempt without a transaction is returned as it is.
func (c *Collector) Check(ctx context.Context, tenantID, attemptID, actor string) (*Attempt, bool, error) {
	a, err := c.Store.Attempt(ctx, tenantID, attemptID)
	if err != nil {
		return nil, false, err
	}
	return c.check(ctx, a, actor)
}

// CheckApplication asks about every attempt of an application that has a
// transaction and is not paid (the citizen's return, the inbox's "check
// again"). It returns the attempts after the check and whether the
// application was released; provider failures are in the attempts'
// Problem and joined in err.
func (c *Collector) CheckApplication(ctx context.Context, tenantID, submissionID, actor string) ([]*Attempt, bool, error) {
	as, err := c.Store.Attempts(ctx, tenantID, submissionID)
	if err != nil {
		return nil, false, err
	}
	released := false
	var errs []error
	for _, a := range as {
		if a.TransactionID == "" || a.Status == Payed || actor == Citizen && c.viewedRecently(a.ID) {
			continue
		}
		_, rel, err := c.check(ctx, a, actor)
		released = released || rel
		errs = append(errs, err)
	}
	return as, released, errors.Join(errs...)
}

func (c *Collector) check(ctx context.Context, a *Attempt, actor string) (*Attempt, bool, error) {
	if a.TransactionID == "" {
		return a, false, nil
	}
	p, err := c.provider(ctx, a.TenantID, a.AuthorityID)
	if err != nil {
		return a, false, err
	}
	info, serr := p.Status(ctx, a.TransactionID)
	now := c.now()
	old := a.Status
	if serr == nil {
		if _, err := a.Apply(info, now); err != nil {
			serr = err
		}
	}
	var pe *ProviderError
	switch {
	case serr != nil && errors.As(serr, &pe) && pe.HTTPStatus == 404 && a.Status != Payed:
		// The provider no longer knows the transaction (a test stage that
		// forgot it): nothing can be paid on it; a new attempt may start.
		// It is still asked about daily (Schedule), in case it returns.
		a.Status, a.RedirectURL, a.CheckedAt, a.Problem = Abandoned, "", now, msgUnknown
	case serr != nil:
		a.CheckedAt, a.Problem = now, msgStatusUnavailable
	default:
		a.Problem = ""
	}
	if serr != nil {
		c.logWarn("payment status not read", a, serr)
	}
	a.Schedule(now, c.maxAge())
	released, err := c.Store.SaveAttempt(context.WithoutCancel(ctx), a, c.statusNote(actor, a, old))
	if err != nil {
		return a, false, err
	}
	return a, released, serr
}

// Reconcile asks about every attempt that is due (the background pass of
// the job queue), in batches, until none is due or ctx ends. Failures of
// single attempts are logged and rescheduled; the error is only for the
// store.
func (c *Collector) Reconcile(ctx context.Context) error {
	seen := map[string]bool{}
	for ctx.Err() == nil {
		due, err := c.Store.DueAttempts(ctx, c.now(), 50)
		if err != nil {
			return err
		}
		n := 0
		for _, a := range due {
			if seen[a.ID] {
				continue // rescheduled to now again (a clock step): next pass
			}
			seen[a.ID] = true
			n++
			if _, _, err := c.check(ctx, a, "System"); err != nil && c.Logger != nil && !errors.Is(err, ErrUnavailable) {
				c.Logger.Warn("payment reconciliation", "tenant", a.TenantID, "attempt", a.ID, "error", providerText(err))
			}
		}
		if n == 0 {
			return nil
		}
	}
	return ctx.Err()
}

func (c *Collector) logWarn(msg string, a *Attempt, err error) {
	if c.Logger != nil {
		c.Logger.Warn(msg, "tenant", a.TenantID, "attempt", a.ID, "error", providerText(err))
	}
}

// withReference returns a copy of b for the application with the
// Vorgangsnummer ref: put in for ReferencePlaceholder in the purpose and
// description, and as every item's reference.
func (b *Bill) withReference(ref string) *Bill {
	c := *b
	c.Purpose = strings.ReplaceAll(b.Purpose, ReferencePlaceholder, ref)
	c.Description = strings.ReplaceAll(b.Description, ReferencePlaceholder, ref)
	c.Items = make([]Item, len(b.Items))
	for i, it := range b.Items {
		it.Reference = ref
		c.Items[i] = it
	}
	return &c
}
