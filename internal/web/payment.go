package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// paymentStore is what the payment pages need of the store.
type paymentStore interface {
	// AuthorityFee returns an authority's own fee for a service
	// (apperr.NotFound if it has none).
	AuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string) (*payment.Fee, error)
	Attempts(ctx context.Context, tenantID, submissionID string) ([]*payment.Attempt, error)
	// Waive sends an application whose optional fee is not paid online.
	Waive(ctx context.Context, tenantID, submissionID string, ev *submission.Event) error
}

// feeOf returns the fee that applies to an application to svc at auth
// (the authority's own, else the service's), nil for none.
func (s *Server) feeOf(ctx context.Context, t *tenant.Tenant, svc *tenant.Service, auth *tenant.Authority) (*payment.Fee, error) {
	var own *payment.Fee
	if auth != nil {
		f, err := s.deps.Store.AuthorityFee(ctx, t.ID, auth.ID, svc.ID)
		if err != nil && !errors.Is(err, apperr.NotFound) {
			return nil, err
		}
		own = f
	}
	f := payment.Effective(svc.Fee, own)
	if f == nil || f.Policy == payment.NoFee {
		return nil, nil
	}
	return f, nil
}

// billOf computes the fee of an application with the data doc; nil when
// nothing is to be paid. The Vorgangsnummer is not known yet: the bill
// keeps payment.ReferencePlaceholder, which the payment fills in.
func (s *Server) billOf(ctx context.Context, t *tenant.Tenant, svc *tenant.Service, auth *tenant.Authority, doc map[string]any) (*payment.Bill, error) {
	f, err := s.feeOf(ctx, t, svc, auth)
	if err != nil || f == nil {
		return nil, err
	}
	var booking map[string]map[string]string
	if auth != nil {
		if acc, err := s.deps.Store.PaymentAccount(ctx, t.ID, auth.ID); err == nil {
			booking = acc.BookingData
		} else if !errors.Is(err, apperr.NotFound) {
			return nil, err
		}
	}
	b, err := f.Compute(doc, payment.ReferencePlaceholder, booking)
	if err != nil {
		// The fee's rules give no valid amount for these answers: a
		// configuration problem the citizen cannot fix. The cause is not
		// logged: a rule's result may repeat an answer.
		s.deps.Logger.Warn("fee not computed: check the service's fee rules", "tenant", t.Slug, "service", svc.Slug)
		return nil, clientError(apperr.Unavailable, "Die Gebühr für diesen Antrag kann wegen eines Fehlers in ihrer Einrichtung gerade nicht berechnet werden. "+
			"Ihre Angaben sind gespeichert. Bitte wenden Sie sich an die zuständige Behörde.")
	}
	if b.Total <= 0 {
		return nil, nil
	}
	return b, nil
}

// paymentChoice is how the citizen sends an application with a fee: the
// payment state it is stored with.
func paymentChoice(b *payment.Bill, r *http.Request) payment.State {
	switch {
	case b == nil:
		return payment.Unpaid
	case b.Policy == payment.Deferred:
		return payment.DeferredState
	case b.Policy == payment.Optional && r.PostFormValue("zahlung") == "spaeter":
		return payment.Waived
	}
	return payment.Open
}

// errNoPayments is the error for a fee to be paid online on an
// installation without ePayment.
var errNoPayments = fmt.Errorf("Die Online-Zahlung ist für diesen Dienst derzeit nicht eingerichtet. Bitte wenden Sie sich an die Behörde: %w", apperr.Unavailable)

// returnURL is where the pay page sends the citizen back: the draft's
// return page (the resume token in its path, as every page of the
// application has it).
func (s *Server) returnURL(r *http.Request, base string) string {
	return s.absolute(r, base+"/zahlung/rueckkehr")
}

// absolute is path under the installation's public address (Config.BaseURL,
// else the request's host).
func (s *Server) absolute(r *http.Request, path string) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/") + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// startPaying starts (or continues) paying a held application and sends
// the citizen to the payment page, which leads on to the provider's pay
// page, or says what went wrong. The pay page is reached by a link, not
// by redirecting the form post: the post's Content-Security-Policy allows
// only antrag as a form target, and the pay page's host is known only
// from the provider's answer.
func (s *Server) startPaying(w http.ResponseWriter, r *http.Request, base string, sub *submission.Submission) error {
	if s.deps.Payments == nil {
		return errNoPayments
	}
	_, err := s.deps.Payments.Start(r.Context(), applicationOf(sub), s.returnURL(r, base), payment.Citizen)
	if err != nil && !errors.Is(err, payment.ErrPaid) && !errors.Is(err, payment.ErrActive) {
		s.deps.Logger.Warn("payment not started", "tenant", sub.TenantID, "error", payment.ErrorCode(err))
	}
	http.Redirect(w, r, base+"/zahlung", http.StatusSeeOther)
	return nil
}

// applicationOf is what a payment of sub pays for.
func applicationOf(sub *submission.Submission) payment.Application {
	return payment.Application{TenantID: sub.TenantID, SubmissionID: sub.ID, AuthorityID: sub.AuthorityID,
		Reference: sub.Reference, Bill: sub.Bill}
}

// safeRedirect reports whether a provider's pay page URL may be sent to
// the browser: an absolute http(s) URL with a host.
func safeRedirect(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// draftSubmission loads the submission of a draft (its payment pages).
func (s *Server) draftSubmission(r *http.Request) (*draftCtx, *submission.Submission, error) {
	dc, err := s.loadDraft(r)
	if err != nil {
		return nil, nil, err
	}
	if dc.draft.SubmissionID == "" {
		return nil, nil, fmt.Errorf("noch nicht abgesendet: %w", apperr.NotFound)
	}
	sub, err := s.deps.Store.Submission(r.Context(), dc.tenant.ID, dc.draft.SubmissionID)
	if err != nil {
		return nil, nil, err
	}
	return dc, sub, nil
}

// paymentPage shows an application's fee and payment: its attempts, what
// went wrong, and what the citizen can do next.
func (s *Server) paymentPage(w http.ResponseWriter, r *http.Request) error {
	dc, sub, err := s.draftSubmission(r)
	if err != nil {
		return err
	}
	if sub.Bill == nil {
		http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
		return nil
	}
	as, err := s.deps.Store.Attempts(r.Context(), dc.tenant.ID, sub.ID)
	if err != nil {
		return err
	}
	pv := paymentViewOf(sub, as)
	s.render(w, r, http.StatusOK, "payment", map[string]any{
		"Title": "Gebühr bezahlen – " + dc.svc.Name, "Tenant": dc.tenant, "Service": dc.svc, "Submission": sub,
		"Base": dc.base, "Payment": pv, "Authority": dc.authority,
	})
	return nil
}

// paymentView is what the payment page and the confirmation show.
type paymentView struct {
	State    payment.State
	Bill     *payment.Bill
	Attempts []*payment.Attempt
	// Paid is the paid attempt; Current the active one (its pay page);
	// Problem why the last attempt failed.
	Paid, Current *payment.Attempt
	Problem       string
	// CanStart: a (new) attempt may start; CanWaive: the fee is optional
	// and the application may go without online payment.
	CanStart, CanWaive bool
	// PaidTwice: more than one attempt was paid (an earlier one the
	// provider reported PAYED late): one payment is to be refunded.
	PaidTwice bool
}

func paymentViewOf(sub *submission.Submission, as []*payment.Attempt) *paymentView {
	pv := &paymentView{State: sub.Payment, Bill: sub.Bill, Attempts: as}
	for _, a := range as {
		switch {
		case a.Status == payment.Payed:
			pv.PaidTwice = pv.Paid != nil
			pv.Paid = a
		case a.Active():
			pv.Current = a
		}
	}
	if n := len(as); n > 0 {
		last := as[n-1]
		pv.Problem = last.Problem
		if pv.Problem == "" {
			switch last.Status {
			case payment.Failed:
				pv.Problem = "Die Zahlung ist fehlgeschlagen. Es wurde nichts abgebucht. Sie können es erneut versuchen."
			case payment.Canceled:
				pv.Problem = "Sie haben die Zahlung abgebrochen. Sie können sie erneut starten."
			case payment.Abandoned:
				pv.Problem = "Die Zahlung wurde nicht abgeschlossen. Sie können sie erneut starten."
			}
		}
	}
	if pv.Current != nil && !safeRedirect(pv.Current.RedirectURL) {
		pv.Current.RedirectURL = "" // only an absolute http(s) pay page is linked
	}
	pv.CanStart = sub.Payment == payment.Open && pv.Paid == nil && (pv.Current == nil || pv.Current.RedirectURL == "")
	pv.CanWaive = pv.CanStart && sub.Bill != nil && sub.Bill.Policy == payment.Optional && pv.Current == nil
	return pv
}

// payAgain starts a new attempt (or continues the open one) for a held
// application: POST …/zahlung.
func (s *Server) payAgain(w http.ResponseWriter, r *http.Request) error {
	dc, sub, err := s.draftSubmission(r)
	if err != nil {
		return err
	}
	if sub.Payment != payment.Open {
		http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
		return nil
	}
	return s.startPaying(w, r, dc.base, sub)
}

// paymentReturn is the redirectUrl the pay page sends the citizen back
// to: it asks the provider now (there is no push) and shows the outcome.
// Returning twice changes nothing.
func (s *Server) paymentReturn(w http.ResponseWriter, r *http.Request) error {
	dc, sub, err := s.draftSubmission(r)
	if err != nil {
		return err
	}
	if sub.Payment == payment.Open && s.deps.Payments != nil {
		_, released, err := s.deps.Payments.CheckApplication(r.Context(), dc.tenant.ID, sub.ID, payment.Citizen)
		if err != nil {
			s.deps.Logger.Warn("payment status on return not read", "tenant", dc.tenant.Slug, "error", payment.ErrorCode(err))
		}
		if released {
			http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
			return nil
		}
	}
	if sub.Payment != payment.Open {
		http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, dc.base+"/zahlung", http.StatusSeeOther)
	return nil
}

// waivePayment sends an application with an optional fee without online
// payment: POST …/zahlung/ohne.
func (s *Server) waivePayment(w http.ResponseWriter, r *http.Request) error {
	dc, sub, err := s.draftSubmission(r)
	if err != nil {
		return err
	}
	if sub.Bill == nil || sub.Bill.Policy != payment.Optional {
		return fmt.Errorf("Für diesen Antrag ist die Zahlung nicht freiwillig: %w", apperr.Conflict)
	}
	ev := &submission.Event{TenantID: dc.tenant.ID, Actor: "Antragsteller", Action: "zahlung", Detail: "ohne Online-Zahlung abgesendet"}
	if err := s.deps.Store.Waive(r.Context(), dc.tenant.ID, sub.ID, ev); err != nil && !errors.Is(err, apperr.Conflict) {
		return err
	}
	http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
	return nil
}

// checkPayment asks the provider about a held application's payment now
// (the inbox's "Zahlungsstatus erneut prüfen"); a PAYED answer releases
// it, as reconciliation would.
func (s *Server) checkPayment(w http.ResponseWriter, r *http.Request) error {
	sc, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	if s.deps.Payments == nil {
		return errNoPayments
	}
	if _, _, err := s.deps.Payments.CheckApplication(r.Context(), sc.tenant.ID, sub.ID, sc.user.Username); err != nil {
		s.deps.Logger.Warn("payment status not read", "tenant", sc.tenant.Slug, "error", payment.ErrorCode(err))
	}
	http.Redirect(w, r, "/intern/antraege/"+sub.ID+"?zahlung=1", http.StatusSeeOther)
	return nil
}

// feeView is a fee as the start page shows it, before any answer.
type feeView struct {
	Policy payment.Policy
	Lines  []string // "Bewohnerparkausweis: 30,00 € je Einheit, Anzahl nach Ihren Angaben"
}

// feeLines describes a fee before the application is filled in: fixed
// amounts as they are, amounts and quantities computed from the answers
// as such; nil for no fee.
func feeLines(f *payment.Fee) *feeView {
	if f == nil || f.Policy == payment.NoFee || len(f.Items) == 0 {
		return nil
	}
	v := &feeView{Policy: f.Policy}
	for _, it := range f.Items {
		line := it.Description + ": "
		switch {
		case len(it.AmountRule) > 0:
			line += "Betrag nach Ihren Angaben"
		case len(it.QuantityRule) > 0:
			line += it.Amount.String() + " je Einheit, Anzahl nach Ihren Angaben"
		default:
			line += it.Amount.String()
		}
		v.Lines = append(v.Lines, line)
	}
	return v
}
