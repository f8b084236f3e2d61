package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// WorkerStore is what the Worker reads and writes.
type WorkerStore interface {
	Store
	tenant.Store
	submission.Store
	PaymentReader
}

// PaymentReader reads an application's payment attempts, so that a parcel
// carries the attempt that paid it (payment.PaidAttempt decides which).
type PaymentReader interface {
	// Attempts lists the application's payment attempts in the order
	// they were made; none for an application without online payment.
	Attempts(ctx context.Context, tenantID, submissionID string) ([]*payment.Attempt, error)
}

// Poller fetches submissions addressed to the tenants' own FIT-Connect
// destinations (the FIT-Connect subscriber).
type Poller interface {
	Poll(ctx context.Context) (received int, err error)
}

// Worker carries out deliveries; it implements Runner.
type Worker struct {
	Store   WorkerStore
	Blobs   blob.Store
	Senders map[Kind]Sender
	Policy  Policy
	// Forms are the process's prepared form versions (their JSON
	// Schema); nil: parcels carry no schema.
	Forms *journey.Forms
	// InboxURL returns the absolute inbox address of a submission.
	InboxURL func(t *tenant.Tenant, submissionID string) string
	// Poller is the FIT-Connect subscriber; nil if no tenant receives.
	Poller Poller
	// Limits bound the attempts at once per tenant and per place; the
	// zero value means no limits (a failing place still backs off).
	Limits Limits
	Logger *slog.Logger
	Now    func() time.Time
	// Observer is told of each attempt and each state reached; nil:
	// none.
	Observer Observer

	fair fairness
}

// Observer is told what a Worker does (operator metrics). Its methods are
// called after the store has the change; they must be quick and safe for
// concurrent use.
type Observer interface {
	// Attempted reports one attempt at d, which took took (making the
	// parcel and sending it); d.State is its outcome: Pending when it is
	// to be tried again, Delivered or Accepted when it succeeded, Failed
	// when it was given up.
	Attempted(d *Delivery, took time.Duration)
	// Settled reports that d reached d.State (Delivered, Accepted,
	// Rejected or Failed) at now, by an attempt or by following it.
	Settled(d *Delivery, now time.Time)
}

// observe tells the Observer of an attempt at d that started at start,
// and, unless d is still Pending, of its new state.
func (w *Worker) observe(d *Delivery, start, now time.Time) {
	if w.Observer == nil {
		return
	}
	w.Observer.Attempted(d, now.Sub(start))
	if d.State != Pending {
		w.Observer.Settled(d, now)
	}
}

// settled tells the Observer that d reached d.State at now.
func (w *Worker) settled(d *Delivery, now time.Time) {
	if w.Observer != nil {
		w.Observer.Settled(d, now)
	}
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// overdue is how long past its next attempt a pending delivery may be
// before Follow queues it again (a live job keeps it from being queued
// twice).
const overdue = 15 * time.Minute

// systemActor is the actor of delivery events in the audit trail.
const systemActor = "System"

// Deliver attempts one delivery; see Runner.
func (w *Worker) Deliver(ctx context.Context, tenantID, id string, round int) (time.Duration, error) {
	d, err := w.Store.Delivery(ctx, tenantID, id)
	if errors.Is(err, apperr.NotFound) {
		return 0, nil // the submission was deleted
	}
	if err != nil {
		return 0, err
	}
	if d.Round != round {
		// Staff delivered it again meanwhile: the job of that round does
		// it (this one was still finishing, or ran again after a crash).
		return 0, nil
	}
	if d.State != Pending {
		// Done already (a job run twice after a crash); finish what the
		// first run may not have.
		return 0, w.closeIfHandedOver(ctx, d, w.now().UTC())
	}
	policy := w.Policy.WithDefaults()
	place := TargetKey(&d.Target)
	if ok, wait := w.fair.acquire(w.Limits, d.TenantID, place, w.now()); !ok {
		// The tenant or the place is busy, or the place backs off: come
		// back later, without holding a worker and without an attempt.
		return wait, nil
	}
	res, placeWait := placeUnknown, maxTargetBackoff
	defer func() {
		w.fair.release(d.TenantID, place, w.now(), res, func(failures int) time.Duration {
			// Never longer than this delivery waits for its own retry.
			return min(policy.delay(failures)/2, placeWait)
		})
	}()
	start := w.now()
	p, err := w.parcel(ctx, d)
	var out Outcome
	sent := false
	if err == nil {
		sender := w.Senders[d.Target.Kind]
		if sender == nil {
			err = fmt.Errorf("Zustellart %s ist in dieser Installation nicht eingerichtet", d.Target.Kind.Label())
		} else {
			out, err = sender.Send(ctx, p)
			sent = true
		}
	}
	if err != nil && ctx.Err() != nil {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Stopped (shutdown): not the receiver's fault, and not an
			// attempt; the queue runs the job again after the restart.
			return 0, fmt.Errorf("delivery %s interrupted: %w", d.ID, err)
		}
		// The attempt took longer than the job timeout: it counts, so that
		// a delivery that never finishes in time fails after MaxAge and
		// staff see it.
		w.logger().Info("delivery attempt timed out", "delivery", d.ID, "error", err.Error())
		err = errors.New("Zustellung nicht in der erlaubten Zeit abgeschlossen (ANTRAG_DELIVERY_TIMEOUT)")
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	now := w.now().UTC()
	d.Attempts++
	log := w.logger().With("delivery", d.ID, "kind", string(d.Target.Kind), "attempt", d.Attempts)
	switch {
	case !sent: // the parcel could not be made: not the place's doing
	case err == nil || IsPermanent(err):
		res = placeOK
	default:
		res = placeFailed
	}
	if err == nil {
		d.State, d.Reason, d.LastError = out.State, out.Reason, ""
		if out.RemoteID != "" {
			d.RemoteID, d.CaseID = out.RemoteID, out.CaseID
		}
		d.NextAttempt, d.DoneAt = time.Time{}, now
		log.Info("delivered", "state", string(d.State))
		if err := w.Store.UpdateDelivery(ctx, d, Pending, event(now, "zugestellt", d.Target.String()+": "+d.State.Label())); err != nil {
			return 0, ignoreConflict(err)
		}
		w.observe(d, start, now)
		return 0, w.closeIfHandedOver(ctx, d, now)
	}
	d.LastError = staffText(err)
	deadline := d.CreatedAt.Add(policy.MaxAge)
	if IsPermanent(err) || !now.Before(deadline) {
		d.State, d.NextAttempt, d.DoneAt = Failed, time.Time{}, now
		log.Warn("delivery failed", "permanent", IsPermanent(err), "error", d.LastError)
		if err := w.Store.UpdateDelivery(ctx, d, Pending, event(now, "Zustellung fehlgeschlagen", d.Target.String()+": "+d.LastError)); err != nil {
			return 0, ignoreConflict(err)
		}
		w.observe(d, start, now)
		return 0, nil
	}
	wait := min(policy.Backoff(d.Attempts), deadline.Sub(now))
	wait = max(wait, time.Millisecond)
	placeWait = wait
	d.NextAttempt = now.Add(wait)
	log.Info("delivery attempt failed", "retry_in", wait.Round(time.Millisecond).String(), "error", d.LastError)
	if err := w.Store.UpdateDelivery(ctx, d, Pending, nil); err != nil {
		return 0, ignoreConflict(err)
	}
	w.observe(d, start, now)
	return wait, nil
}

// closeIfHandedOver closes (status abgeschlossen) a submission that is
// not in the tenant's own inbox once every delivery to a processing system
// has succeeded: FIT-Connect accepted, webhook delivered (e-mail notices
// do not count). The sending tenant keeps it only for the status and
// until the retention period (--retention) deletes its data, like any
// closed application.
func (w *Worker) closeIfHandedOver(ctx context.Context, d *Delivery, now time.Time) error {
	if d.State != Accepted && !(d.State == Delivered && d.Target.Kind == Webhook) {
		return nil
	}
	ds, err := w.Store.Deliveries(ctx, d.TenantID, d.SubmissionID)
	if err != nil {
		return err
	}
	processing := 0
	for _, x := range ds {
		switch {
		case x.Target.Kind == Inbox:
			return nil // the tenant's caseworkers handle it
		case x.Target.Kind == Email:
		case x.State == Accepted || (x.Target.Kind == Webhook && x.State == Delivered):
			processing++
		default:
			return nil // still on its way, or failed
		}
	}
	if processing == 0 {
		return nil
	}
	s, err := w.Store.Submission(ctx, d.TenantID, d.SubmissionID)
	if err != nil || s.Status == submission.Abgeschlossen {
		return err
	}
	return w.Store.SetStatus(ctx, d.TenantID, d.SubmissionID, submission.Abgeschlossen,
		event(now, "Status geändert", s.Status.Label()+" → "+submission.Abgeschlossen.Label()+" (an alle zuständigen Stellen übergeben)"))
}

// ignoreConflict drops an apperr.Conflict: the delivery was changed by
// another run meanwhile, whose result stands.
func ignoreConflict(err error) error {
	if errors.Is(err, apperr.Conflict) {
		return nil
	}
	return err
}

// staffText is err's message for staff, bounded.
func staffText(err error) string {
	s := strings.TrimSpace(err.Error())
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

func event(at time.Time, action, detail string) *submission.Event {
	return &submission.Event{At: at, Actor: systemActor, Action: action, Detail: detail}
}

// parcel loads what a Sender needs for d.
func (w *Worker) parcel(ctx context.Context, d *Delivery) (*Parcel, error) {
	s, err := w.Store.Submission(ctx, d.TenantID, d.SubmissionID)
	if err != nil {
		return nil, err
	}
	if s.Data == nil {
		return nil, Permanent(errors.New("die Daten des Antrags sind bereits gelöscht"))
	}
	t, err := w.Store.Tenant(ctx, d.TenantID)
	if err != nil {
		return nil, err
	}
	// The same place among the service's current targets has the current
	// settings (a webhook's secret after a rotation).
	if current, err := w.Store.Targets(ctx, d.TenantID, s.ServiceID); err == nil {
		for _, t := range current {
			if t.Key() == d.Target.Key() {
				d.Target.Secret = t.Secret
			}
		}
	} else {
		return nil, err
	}
	svc, err := w.Store.Service(ctx, d.TenantID, s.ServiceID)
	if err != nil {
		return nil, err
	}
	atts, err := w.Store.ListAttachments(ctx, d.TenantID, d.SubmissionID)
	if err != nil {
		return nil, err
	}
	paid, err := w.paid(ctx, s)
	if err != nil {
		return nil, err
	}
	p := &Parcel{
		Delivery: d, Tenant: t, Service: svc, Submission: s, Paid: paid, Attachments: atts,
		Open: func(ctx context.Context, a *submission.Attachment) (io.ReadCloser, error) {
			return w.Blobs.Open(ctx, a.StorageKey)
		},
		Progress: func(ctx context.Context, remoteID, caseID string) error {
			d.RemoteID, d.CaseID = remoteID, caseID
			return w.Store.UpdateDelivery(ctx, d, Pending, nil)
		},
	}
	if w.InboxURL != nil {
		p.InboxURL = w.InboxURL(t, s.ID)
	}
	if w.Forms != nil && s.FormVersionID != "" {
		fv, err := w.Forms.Get(ctx, d.TenantID, s.FormVersionID)
		if err != nil {
			return nil, err
		}
		if p.Schema, err = fv.JSONSchema(); err != nil {
			return nil, err
		}
		p.SchemaURI = fv.SchemaURI
	}
	return p, nil
}

// paid returns the attempt that paid s, nil unless s is paid. A paid
// application without a PAYED attempt cannot be described to the
// receiver: a permanent error for staff.
func (w *Worker) paid(ctx context.Context, s *submission.Submission) (*payment.Attempt, error) {
	if s.Payment != payment.Paid {
		return nil, nil
	}
	as, err := w.Store.Attempts(ctx, s.TenantID, s.ID)
	if err != nil {
		return nil, err
	}
	a := payment.PaidAttempt(as)
	if a == nil {
		return nil, Permanent(errors.New("der Antrag ist als bezahlt vermerkt, aber kein bezahlter Zahlungsvorgang ist gespeichert"))
	}
	return a, nil
}

// Follow asks every Follower for the outcome of its Delivered deliveries,
// and queues again pending deliveries that lost their job; see Runner.
func (w *Worker) Follow(ctx context.Context) error {
	// A pending delivery long overdue has lost its job: queue it again.
	if n, err := w.Store.RequeueOverdue(ctx, w.now().Add(-overdue), 500); err != nil {
		return err
	} else if n > 0 {
		w.logger().Warn("overdue deliveries queued again", "count", n)
	}
	var errs []error
	for kind, s := range w.Senders {
		f, ok := s.(Follower)
		if !ok {
			continue
		}
		ds, err := w.Store.Following(ctx, kind, 200)
		if err != nil {
			return err
		}
		for _, d := range ds {
			out, err := f.Follow(ctx, d)
			now := w.now().UTC()
			if err != nil && errors.Is(err, apperr.Gone) {
				// The receiver no longer knows it: staff decide, and can
				// deliver it again, which starts afresh. (Other errors, a
				// refused token say, are the sender's to fix: the delivery
				// stays delivered and shows the error.)
				d.State, d.LastError, d.DoneAt = Failed, staffText(err), now
				d.RemoteID, d.CaseID = "", ""
				ev := event(now, "Zustellung fehlgeschlagen", d.Target.String()+": "+d.LastError)
				if err := w.Store.UpdateDelivery(ctx, d, Delivered, ev); err != nil {
					if errors.Is(err, apperr.Conflict) {
						continue
					}
					return err
				}
				w.settled(d, now)
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("follow %s: %w", d.ID, err))
				d.LastError = staffText(err)
				if err := w.Store.UpdateDelivery(ctx, d, Delivered, nil); ignoreConflict(err) != nil {
					return err
				}
				continue
			}
			if out.State == Delivered || out.State == "" {
				// Touch it, so that the oldest unchecked come first.
				d.LastError = ""
				if err := w.Store.UpdateDelivery(ctx, d, Delivered, nil); ignoreConflict(err) != nil {
					return err
				}
				continue
			}
			d.State, d.Reason, d.LastError, d.DoneAt = out.State, out.Reason, "", now
			detail := d.Target.String() + ": " + d.State.Label()
			if d.Reason != "" {
				detail += " (" + d.Reason + ")"
			}
			if err := w.Store.UpdateDelivery(ctx, d, Delivered, event(now, d.State.Label(), detail)); err != nil {
				if errors.Is(err, apperr.Conflict) {
					continue // decided by another pass, or staff delivered it again
				}
				return err
			}
			w.settled(d, now)
			if err := w.closeIfHandedOver(ctx, d, now); err != nil {
				return err
			}
		}
	}
	if len(errs) > 0 {
		w.logger().Warn("following deliveries", "errors", len(errs), "first", errs[0].Error())
	}
	return nil
}

// Poll runs the Poller; see Runner.
func (w *Worker) Poll(ctx context.Context) error {
	if w.Poller == nil {
		return nil
	}
	n, err := w.Poller.Poll(ctx)
	if n > 0 {
		w.logger().Info("received submissions by polling", "count", n)
	}
	return err
}
