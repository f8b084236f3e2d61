package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
)

// apiPaymentRequest is how a JSON API client has a fee paid: ReturnURL is
// where the provider's pay page sends the applicant back (absolute
// http(s); default: the submission's status address); Later sends an
// application with an optional fee without online payment.
type apiPaymentRequest struct {
	ReturnURL string `json:"returnUrl,omitempty"`
	Later     bool   `json:"later,omitempty"`
}

// apiPayment is a submission's fee and payment in the JSON API.
type apiPayment struct {
	// State is the application's payment state: "open" (held until
	// paid), "paid", "deferred" (invoiced later), "waived" (optional fee
	// not paid online).
	State payment.State `json:"state"`
	// Policy is the fee's payment policy.
	Policy payment.Policy `json:"policy"`
	// Amount is the fee in euros (two decimals), Currency "EUR".
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	// Status is the XBezahldienste status of the latest attempt
	// (INITIAL, PAYED, FAILED, CANCELED), absent before the first.
	Status payment.Status `json:"status,omitempty"`
	// TransactionReference is the Kassenzeichen of the paid (or latest)
	// attempt.
	TransactionReference string `json:"transactionReference,omitempty"`
	// PayURL is the provider's pay page while an attempt is INITIAL: send
	// the applicant there.
	PayURL string `json:"payUrl,omitempty"`
	// PaymentMethod is how it was paid.
	PaymentMethod payment.Method `json:"paymentMethod,omitempty"`
	// Problem says in German why the latest attempt failed.
	Problem string `json:"problem,omitempty"`
}

// apiPaymentChoice is the payment state an API submission is stored with.
func apiPaymentChoice(b *payment.Bill, req *apiPaymentRequest) payment.State {
	switch {
	case b == nil:
		return payment.Unpaid
	case b.Policy == payment.Deferred:
		return payment.DeferredState
	case b.Policy == payment.Optional && req != nil && req.Later:
		return payment.Waived
	}
	return payment.Open
}

// apiPayment reports sub's payment; with start, it first starts paying an
// open fee (or continues the active attempt), returning to req's
// ReturnURL or the submission's status address. A provider failure is not
// an error here: the application is stored, and Problem says what went
// wrong.
func (s *Server) apiPayment(r *http.Request, formID string, sub *submission.Submission, req *apiPaymentRequest, start bool) (*apiPayment, error) {
	if sub.Bill == nil {
		return nil, nil
	}
	if start && sub.Payment == payment.Open && s.deps.Payments != nil {
		ret := s.absolute(r, "/api/v1/forms/"+url.PathEscape(formID)+"/submissions/"+url.PathEscape(sub.ID))
		if req != nil && req.ReturnURL != "" {
			ret = req.ReturnURL
		}
		_, err := s.deps.Payments.Start(r.Context(), payment.Application{TenantID: sub.TenantID, SubmissionID: sub.ID,
			AuthorityID: sub.AuthorityID, Reference: sub.Reference, Bill: sub.Bill}, ret, "Antragsteller")
		if err != nil && !errors.Is(err, payment.ErrPaid) && !errors.Is(err, payment.ErrActive) {
			s.deps.Logger.Warn("payment not started", "tenant", sub.TenantID, "error", payment.ErrorCode(err))
		}
		if fresh, err := s.deps.Store.Submission(r.Context(), sub.TenantID, sub.ID); err == nil {
			sub = fresh
		}
	}
	as, err := s.deps.Store.Attempts(r.Context(), sub.TenantID, sub.ID)
	if err != nil {
		return nil, err
	}
	pv := paymentViewOf(sub, as)
	out := &apiPayment{State: sub.Payment, Policy: sub.Bill.Policy, Amount: float64(sub.Bill.Total) / 100, Currency: "EUR", Problem: pv.Problem}
	last := pv.Paid
	if last == nil && len(as) > 0 {
		last = as[len(as)-1]
	}
	if last != nil {
		out.Status, out.TransactionReference, out.PaymentMethod = last.Status, last.TransactionReference, last.Method
		if !payment.Status(last.Status).Known() {
			out.Status = "" // antrag's own (NEW, ERROR, ABANDONED): Problem says it
		}
	}
	if pv.Current != nil {
		out.PayURL = pv.Current.RedirectURL
	}
	return out, nil
}

// apiPay starts paying a submission's open fee again, or continues the
// active attempt (POST …/submissions/{id}/payment), and answers like
// apiSubmissionStatus. A paid fee is never asked for again.
func (s *Server) apiPay(w http.ResponseWriter, r *http.Request) error {
	t, svc, _, _, err := s.apiResolve(r)
	if err != nil {
		return err
	}
	notFound := clientError(apperr.NotFound, "Zu diesem Formular gibt es keinen Antrag mit dieser ID.")
	sub, err := s.deps.Store.Submission(r.Context(), t.ID, r.PathValue("id"))
	if errors.Is(err, apperr.NotFound) || err == nil && sub.ServiceID != svc.ID {
		return notFound
	}
	if err != nil {
		return err
	}
	if sub.Bill == nil || sub.Payment != payment.Open {
		return clientError(apperr.Conflict, "Für diesen Antrag ist keine Zahlung offen.")
	}
	if s.deps.Payments == nil {
		return errNoPayments
	}
	var req apiPaymentRequest
	if r.ContentLength != 0 {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			return clientError(apperr.Invalid, "Der Inhalt ist kein gültiges JSON-Objekt {\"returnUrl\": …}.")
		}
	}
	if req.ReturnURL != "" && !validReturnURL(req.ReturnURL) {
		return clientError(apperr.Invalid, "returnUrl muss eine absolute http(s)-Adresse von höchstens 2000 Zeichen sein.")
	}
	if req.Later {
		// An optional fee: send the application without online payment.
		if sub.Bill.Policy != payment.Optional {
			return clientError(apperr.Conflict, "Die Gebühr dieses Antrags ist vor der Übermittlung zu bezahlen; \"later\" gilt nur für eine freiwillige Online-Zahlung.")
		}
		ev := &submission.Event{TenantID: t.ID, Actor: "Antragsteller", Action: "zahlung", Detail: "ohne Online-Zahlung abgesendet (JSON-Schnittstelle)"}
		if err := s.deps.Store.Waive(r.Context(), t.ID, sub.ID, ev); err != nil {
			if errors.Is(err, apperr.Conflict) {
				return clientError(apperr.Conflict, "Für diesen Antrag läuft gerade eine Zahlung; sie ist erst abzuschließen oder abzubrechen.")
			}
			return err
		}
		if sub, err = s.deps.Store.Submission(r.Context(), t.ID, sub.ID); err != nil {
			return err
		}
		out := apiSubmission{ID: sub.ID, Reference: sub.Reference, Status: sub.Status, Evidence: sub.Evidence}
		if out.Payment, err = s.apiPayment(r, r.PathValue("formId"), sub, nil, false); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
	ret := s.absolute(r, "/api/v1/forms/"+url.PathEscape(r.PathValue("formId"))+"/submissions/"+url.PathEscape(sub.ID))
	if req.ReturnURL != "" {
		ret = req.ReturnURL
	}
	_, err = s.deps.Payments.Start(r.Context(), payment.Application{TenantID: sub.TenantID, SubmissionID: sub.ID,
		AuthorityID: sub.AuthorityID, Reference: sub.Reference, Bill: sub.Bill}, ret, payment.Citizen)
	switch {
	case errors.Is(err, payment.ErrPaid):
		return clientError(apperr.Conflict, "Die Gebühr dieses Antrags ist bereits bezahlt.")
	case err != nil && !errors.Is(err, payment.ErrActive):
		s.deps.Logger.Warn("payment not started", "tenant", t.Slug, "error", payment.ErrorCode(err))
	}
	if sub, err = s.deps.Store.Submission(r.Context(), t.ID, sub.ID); err != nil {
		return err
	}
	out := apiSubmission{ID: sub.ID, Reference: sub.Reference, Status: sub.Status, Evidence: sub.Evidence}
	if out.Payment, err = s.apiPayment(r, r.PathValue("formId"), sub, nil, false); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// maxReturnURL bounds a client's payment.returnUrl (characters): the
// provider sends it back as a Location header.
const maxReturnURL = 2000

// validReturnURL reports whether a client's returnUrl may be given to the
// provider: an absolute http(s) URL of at most maxReturnURL characters.
func validReturnURL(u string) bool {
	return len(u) <= maxReturnURL && safeRedirect(u)
}
