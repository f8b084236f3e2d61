// Package delivery moves a submission from antrag to the systems that
// process it: antrag's own caseworker inbox, a Fachverfahren reached through
// FIT-Connect, a webhook receiver, and an e-mail notice to the authority.
//
// A service has one or more delivery targets (Target). When a citizen sends
// an application, the store writes the submission and one Delivery per
// target in the same database transaction, together with a queued job for
// each (the transactional outbox). A worker then hands each Delivery to the
// Sender of its Kind, retrying with exponential backoff and jitter
// (Backoff) until the Delivery is delivered or, after MaxAge, failed.
// Delivery is at least once: receivers de-duplicate (webhook receivers by
// webhook-id, the delivery's id; antrag's FIT-Connect receiver by the
// FIT-Connect submissionId, which a retry keeps), so that a caseworker
// sees each submission exactly once.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// Kind names a delivery target type.
type Kind string

const (
	// Inbox is antrag's own caseworker inbox. A submission is in the inbox
	// of its tenant as soon as it is stored, so an Inbox delivery is
	// written as Delivered in the submitting transaction.
	Inbox Kind = "inbox"
	// FITConnect is a FIT-Connect destination (Zustellpunkt).
	FITConnect Kind = "fitconnect"
	// Webhook is an HTTPS POST signed per Standard Webhooks.
	Webhook Kind = "webhook"
	// Email is a notice to an authority's mailbox with a link to the
	// inbox; it never carries the application's data.
	Email Kind = "email"
	// FITConnectRouting delivers to the FIT-Connect destination that the
	// FIT-Connect Routing API names for the applicant's place (the LeiKa
	// key of the service and the ARS of the place), so that an EfA service
	// reaches authorities with their own Fachverfahren without a target
	// for each. The journey looks the destination up, verifies its
	// signature and stores it with the routing result (tenant.Routing);
	// Plan then delivers there as FITConnect.
	FITConnectRouting Kind = "fitconnect_routing"
)

// Kinds lists the target kinds in display order.
var Kinds = []Kind{Inbox, FITConnect, FITConnectRouting, Webhook, Email}

// Label is the German name of the kind shown to staff.
func (k Kind) Label() string {
	switch k {
	case Inbox:
		return "Posteingang"
	case FITConnect:
		return "FIT-Connect"
	case FITConnectRouting:
		return "FIT-Connect (Zustellpunkt nach Routing-API)"
	case Webhook:
		return "Webhook"
	case Email:
		return "E-Mail-Hinweis"
	}
	return string(k)
}

// Target is one place a service's submissions are delivered to.
type Target struct {
	ID        string // UUID
	TenantID  string
	ServiceID string
	Kind      Kind

	// DestinationID is the FIT-Connect destination (UUID) for FITConnect.
	DestinationID string
	// URL is the HTTPS (or, for loopback, HTTP) address for Webhook.
	URL string
	// Secret is the Standard Webhooks signing secret for Webhook:
	// "whsec_" followed by standard base64 of 24 to 64 random bytes. It is
	// stored sealed.
	Secret string
	// Address is the mailbox for Email.
	Address string
}

// Validate checks that the fields the Kind needs are present and
// well-formed. The error wraps apperr.Invalid and is phrased for an operator.
func (t *Target) Validate() error {
	switch t.Kind {
	case Inbox, FITConnectRouting:
	case FITConnect:
		if !uuidRE.MatchString(t.DestinationID) {
			return fmt.Errorf("FIT-Connect-Zustellpunkt %q ist keine UUID: %w", t.DestinationID, apperr.Invalid)
		}
	case Webhook:
		u, err := url.Parse(t.URL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			return fmt.Errorf("Webhook-Adresse %q: https://… (http nur für localhost): %w", t.URL, apperr.Invalid)
		}
		if _, err := DecodeWebhookSecret(t.Secret); err != nil {
			return err
		}
	case Email:
		a, err := mail.ParseAddress(t.Address)
		if err != nil || a.Name != "" || a.Address != t.Address {
			return fmt.Errorf("E-Mail-Adresse %q ist ungültig: %w", t.Address, apperr.Invalid)
		}
	default:
		return fmt.Errorf("Zustellart %q: inbox, fitconnect, fitconnect_routing, webhook oder email: %w", t.Kind, apperr.Invalid)
	}
	return nil
}

// CheckTargets checks the targets a service is to have: each must
// Validate, and no place (Key) may be listed twice. The error wraps
// apperr.Invalid and is phrased for an operator.
func CheckTargets(targets []*Target) error {
	seen := map[string]bool{}
	for _, t := range targets {
		if err := t.Validate(); err != nil {
			return err
		}
		key := t.Key()
		if seen[key] {
			return fmt.Errorf("%s ist mehrfach angegeben: %w", t.String(), apperr.Invalid)
		}
		seen[key] = true
	}
	return nil
}

// Key identifies where the target delivers to, so that a service lists
// each place once: the kind and the destination, the URL, or the address
// (in lower case).
func (t *Target) Key() string {
	switch t.Kind {
	case FITConnect:
		return "fitconnect " + strings.ToLower(t.DestinationID)
	case Webhook:
		u, err := url.Parse(t.URL)
		if err != nil {
			return "webhook " + t.URL
		}
		u.Scheme, u.Host, u.User = strings.ToLower(u.Scheme), strings.ToLower(u.Host), nil
		if u.Path == "" {
			u.Path = "/"
		}
		return "webhook " + u.String()
	case Email:
		return "email " + strings.ToLower(t.Address)
	}
	return string(t.Kind)
}

// String describes the target for staff and logs without secrets.
func (t *Target) String() string {
	switch t.Kind {
	case FITConnect:
		return "FIT-Connect " + t.DestinationID
	case Webhook:
		if u, err := url.Parse(t.URL); err == nil {
			return "Webhook " + u.Scheme + "://" + u.Host + u.Path
		}
		return "Webhook"
	case Email:
		return "E-Mail an " + t.Address
	}
	return t.Kind.Label()
}

// State is where a Delivery stands.
type State string

const (
	// Pending: queued or being retried.
	Pending State = "ausstehend"
	// Delivered: the receiver took it (HTTP 2xx, FIT-Connect submitted, mail
	// accepted by the SMTP server).
	Delivered State = "zugestellt"
	// Accepted: the receiving Fachverfahren confirmed it (FIT-Connect
	// accept-submission).
	Accepted State = "angenommen"
	// Rejected: the receiving Fachverfahren refused it (FIT-Connect
	// reject-submission); Reason says why.
	Rejected State = "abgelehnt"
	// Failed: a permanent error, or still not delivered after MaxAge. Staff
	// can deliver it again.
	Failed State = "fehlgeschlagen"
)

// Label is the German text shown to staff and citizens.
func (s State) Label() string {
	switch s {
	case Pending:
		return "wird zugestellt"
	case Delivered:
		return "zugestellt"
	case Accepted:
		return "zugestellt/angenommen"
	case Rejected:
		return "abgelehnt"
	case Failed:
		return "Zustellung fehlgeschlagen"
	}
	return string(s)
}

// Final reports whether no further change is expected without staff action.
func (s State) Final() bool { return s == Accepted || s == Rejected || s == Failed }

// Delivery is one submission on its way to one target.
type Delivery struct {
	ID           string // UUID; also the webhook-id and the idempotency key towards receivers
	TenantID     string
	SubmissionID string
	Target       Target // a copy of the target as it was when the submission was stored
	State        State
	Attempts     int // attempts so far
	// Round counts how often staff delivered it again (0 at first). A job
	// is queued for one round: a job of an earlier round does nothing, so
	// that a re-delivery can queue a new job while the last round's job is
	// still finishing.
	Round int
	// LastError is the latest failure, phrased for staff; it never holds
	// personal data.
	LastError string
	// Reason is the receiver's reason for a rejection.
	Reason string
	// RemoteID and CaseID are the FIT-Connect submissionId and caseId once
	// the submission is announced.
	RemoteID    string
	CaseID      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	NextAttempt time.Time // zero unless Pending
	DoneAt      time.Time // when it reached Delivered, Accepted, Rejected or Failed
}

// Parcel is everything a Sender needs for one Delivery.
type Parcel struct {
	Delivery   *Delivery
	Tenant     *tenant.Tenant
	Service    *tenant.Service
	Submission *submission.Submission // Data holds the canonical JSON
	// Paid is the payment attempt that paid the application's fee
	// (status PAYED: transaction id, Kassenzeichen, method, time and
	// amount) when Submission.Payment is payment.Paid; nil otherwise
	// (no fee, deferred, waived).
	Paid *payment.Attempt
	// Attachments in the order the citizen uploaded them.
	Attachments []*submission.Attachment
	// Open returns the content of an attachment.
	Open func(ctx context.Context, a *submission.Attachment) (io.ReadCloser, error)
	// SchemaURI identifies the form's JSON Schema (submissionSchema in
	// FIT-Connect metadata); Schema is that schema.
	SchemaURI string
	Schema    []byte
	// InboxURL is the absolute address of the submission in the sending
	// tenant's caseworker inbox.
	InboxURL string
	// Progress records FIT-Connect ids as soon as they exist, so that a
	// retry after a crash continues the same remote submission.
	Progress func(ctx context.Context, remoteID, caseID string) error
}

// Fee is the application's fee and its payment for the receiver (state,
// bill and, when paid, the paid attempt); nil for an application without
// a fee.
func (p *Parcel) Fee() *payment.Statement {
	if p == nil || p.Submission == nil || p.Submission.Bill == nil {
		return nil
	}
	st := &payment.Statement{State: p.Submission.Payment, Bill: p.Submission.Bill}
	if st.State == payment.Paid {
		st.Paid = p.Paid
	}
	return st
}

// Outcome is what a Sender achieved.
type Outcome struct {
	State    State // Delivered, Accepted or Rejected
	Reason   string
	RemoteID string
	CaseID   string
}

// Sender delivers parcels of one Kind.
//
// Send returns an error when the parcel was not delivered. Wrap it with
// Permanent when a retry cannot help (the target refuses the request as
// invalid); other errors are retried with Backoff. Error texts are shown to
// staff: they name the problem and never contain personal data.
type Sender interface {
	Send(ctx context.Context, p *Parcel) (Outcome, error)
}

// Follower is a Sender whose receiver reports an outcome later (FIT-Connect
// accept-submission and reject-submission in the event log). Follow returns
// the current outcome of a Delivered delivery; State stays Delivered while
// the receiver has not decided.
type Follower interface {
	Follow(ctx context.Context, d *Delivery) (Outcome, error)
}

// PermanentError marks an error that a retry cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that the delivery fails at once instead of being
// retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is, or wraps, a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Policy says how often and how long deliveries are tried.
type Policy struct {
	// First is the delay before the second attempt (default 10 s); each
	// further attempt doubles it, up to Max (default 1 h).
	First, Max time.Duration
	// MaxAge is how long after the submission a delivery is retried before
	// it is Failed (default 7 days).
	MaxAge time.Duration
}

// DefaultPolicy is the policy when none is configured.
var DefaultPolicy = Policy{First: 10 * time.Second, Max: time.Hour, MaxAge: 7 * 24 * time.Hour}

// WithDefaults fills zero fields from DefaultPolicy.
func (p Policy) WithDefaults() Policy {
	if p.First <= 0 {
		p.First = DefaultPolicy.First
	}
	if p.Max <= 0 {
		p.Max = DefaultPolicy.Max
	}
	if p.Max < p.First {
		p.Max = p.First
	}
	if p.MaxAge <= 0 {
		p.MaxAge = DefaultPolicy.MaxAge
	}
	return p
}

// Backoff returns the delay after the given number of failed attempts
// (1 for the first failure): exponential, First·2^(attempts-1) capped at Max,
// with "equal jitter" (a uniformly random half of it added to the other
// half), so that many deliveries failing together spread out.
func (p Policy) Backoff(attempts int) time.Duration {
	d := p.delay(attempts)
	half := d / 2
	return half + rand.N(half+1)
}

// delay is First·2^(failures-1) capped at Max, without jitter.
func (p Policy) delay(failures int) time.Duration {
	p = p.WithDefaults()
	d := p.First
	for i := 1; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Retarget points a delivery that is to be made again at the service's
// current targets: the same place (Key) with its current settings (a
// rotated webhook secret), or, when that place is no longer listed, the one
// target of the same kind that replaced it (a corrected address; the
// FIT-Connect ids are cleared, the new place gets a new submission). It
// returns the target it replaced in the second case, else nil (also when
// nothing fits: the delivery keeps its target).
func Retarget(d *Delivery, current []*Target) (replaced *Target) {
	var same, ofKind []*Target
	for _, t := range current {
		if t.Key() == d.Target.Key() {
			same = append(same, t)
		}
		if t.Kind == d.Target.Kind {
			ofKind = append(ofKind, t)
		}
	}
	switch {
	case len(same) == 1:
		d.Target = *same[0]
	case len(ofKind) == 1:
		old := d.Target
		d.Target = *ofKind[0]
		d.RemoteID, d.CaseID = "", ""
		return &old
	}
	return nil
}

// Store keeps targets and deliveries. Creating deliveries is part of
// submission.Store.Submit, so that a submission and its jobs are written in
// one transaction.
type Store interface {
	// Targets lists a service's targets; a service without any has none
	// (the caller then delivers to the Inbox only).
	Targets(ctx context.Context, tenantID, serviceID string) ([]*Target, error)
	// SetTargets replaces the targets of a service. Each must Validate.
	SetTargets(ctx context.Context, tenantID, serviceID string, targets []*Target) error

	Delivery(ctx context.Context, tenantID, id string) (*Delivery, error)
	// Deliveries lists a submission's deliveries in creation order.
	Deliveries(ctx context.Context, tenantID, submissionID string) ([]*Delivery, error)
	// Following lists Delivered deliveries of a kind across tenants, oldest
	// first, whose outcome is still open.
	Following(ctx context.Context, kind Kind, limit int) ([]*Delivery, error)
	// UpdateDelivery stores the state, attempts, errors, remote ids and
	// times of d, and ev (may be nil) in the submission's audit trail, if
	// the stored delivery is still in state from (the state the caller
	// read); otherwise it changes nothing and returns an error wrapping
	// apperr.Conflict (another process or staff changed it meanwhile).
	UpdateDelivery(ctx context.Context, d *Delivery, from State, ev *submission.Event) error
	// RequeueOverdue makes a job run now for each Pending delivery whose
	// next attempt was due before the cut-off (at most limit): a job of its
	// round that waits is moved to now, and one is queued where none waits
	// or runs. It returns how many it queued.
	RequeueOverdue(ctx context.Context, before time.Time, limit int) (int, error)
	// Redeliver puts a Failed (or Rejected) delivery back to Pending in a
	// new Round and queues a job for it that runs now, in one transaction.
	Redeliver(ctx context.Context, tenantID, id string, ev *submission.Event) error
}

// Runner is what the job queue runs: the store's queue calls Deliver for
// each queued delivery job, and Follow and Poll periodically (on one
// process at a time).
type Runner interface {
	// Deliver attempts one delivery for a job queued for the delivery's
	// round (Delivery.Round; a job of an earlier round does nothing). It
	// returns retryIn > 0 when the delivery is to be tried again after
	// that delay (the failure is already recorded), and an error only when
	// it could not even record the attempt (the queue then retries the job
	// on its own schedule).
	Deliver(ctx context.Context, tenantID, deliveryID string, round int) (retryIn time.Duration, err error)
	// Follow asks receivers for the outcomes of delivered deliveries.
	Follow(ctx context.Context) error
	// Poll fetches submissions addressed to the tenants' FIT-Connect
	// destinations (the fallback for missed callbacks).
	Poll(ctx context.Context) error
}
