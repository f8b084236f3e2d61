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
	"github.com/antrag/antrag/internal/tenant"
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

// startAPIPayment starts paying sub's open fee (or continues the active
// attempt), returning to returnURL or, if "", the submission's status
// address, and returns the submission as it is then. A provider failure
// is not an error here: the application is stored, and the payment's
// Problem says what went wrong. payment.ErrPaid is returned for a fee
// already paid.
func (s *Server) startAPIPayment(r *http.Request, formID string, sub *submission.Submission, returnURL string) (*submission.Submission, error) {
	if returnURL == "" {
		returnURL = s.absolute(r, "/api/v1/forms/"+url.PathEscape(formID)+"/submissions/"+url.PathEscape(sub.ID))
	}
	_, err := s.deps.Payments.Start(r.Context(), applicationOf(sub), returnURL, payment.Citizen)
	switch {
	case errors.Is(err, payment.ErrPaid):
		return sub, err
	case err != nil && !errors.Is(err, payment.ErrActive):
		s.deps.Logger.Warn("payment not started", "tenant", sub.TenantID, "error", payment.ErrorCode(err))
	}
	return s.deps.Store.Submission(r.Context(), sub.TenantID, sub.ID)
}

// apiPayment reports sub's fee and payment (nil without a fee).
func (s *Server) apiPayment(r *http.Request, sub *submission.Submission) (*apiPayment, error) {
	if sub.Bill == nil {
		return nil, nil
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
	t, sub, err := s.apiSubmissionOf(r)
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
			return clientError(apperr.Invalid, "Der Inhalt ist kein gültiges JSON-Objekt {\"returnUrl\": …, \"later\": …}.")
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
		ev := &submission.Event{TenantID: t.ID, Actor: payment.Citizen, Action: "zahlung", Detail: "ohne Online-Zahlung abgesendet (JSON-Schnittstelle)"}
		if err := s.deps.Store.Waive(r.Context(), t.ID, sub.ID, ev); err != nil {
			if errors.Is(err, apperr.Conflict) {
				return clientError(apperr.Conflict, "Für diesen Antrag läuft gerade eine Zahlung; sie ist erst abzuschließen oder abzubrechen.")
			}
			return err
		}
		if sub, err = s.deps.Store.Submission(r.Context(), t.ID, sub.ID); err != nil {
			return err
		}
		return s.writeSubmission(w, r, http.StatusOK, sub)
	}
	sub, err = s.startAPIPayment(r, r.PathValue("formId"), sub, req.ReturnURL)
	if errors.Is(err, payment.ErrPaid) {
		return clientError(apperr.Conflict, "Die Gebühr dieses Antrags ist bereits bezahlt.")
	}
	if err != nil {
		return err
	}
	return s.writeSubmission(w, r, http.StatusOK, sub)
}

// apiSubmissionOf loads the submission {id} of the form {formId}: one of
// another form, or of another tenant, is not found.
func (s *Server) apiSubmissionOf(r *http.Request) (*tenant.Tenant, *submission.Submission, error) {
	t, svc, _, _, err := s.apiResolve(r)
	if err != nil {
		return nil, nil, err
	}
	sub, err := s.deps.Store.Submission(r.Context(), t.ID, r.PathValue("id"))
	if errors.Is(err, apperr.NotFound) || err == nil && sub.ServiceID != svc.ID {
		return nil, nil, clientError(apperr.NotFound, "Zu diesem Formular gibt es keinen Antrag mit dieser ID.")
	}
	return t, sub, err
}

// writeSubmission answers with a submission: id, Vorgangsnummer, status,
// evidence and payment.
func (s *Server) writeSubmission(w http.ResponseWriter, r *http.Request, status int, sub *submission.Submission) error {
	out := apiSubmission{ID: sub.ID, Reference: sub.Reference, Status: sub.Status, Evidence: sub.Evidence}
	var err error
	if out.Payment, err = s.apiPayment(r, sub); err != nil {
		return err
	}
	return writeJSON(w, status, out)
}

// maxReturnURL bounds a client's payment.returnUrl (characters): the
// provider sends it back as a Location header.
const maxReturnURL = 2000

// validReturnURL reports whether a client's returnUrl may be given to the
// provider: an absolute http(s) URL of at most maxReturnURL characters.
func validReturnURL(u string) bool {
	return len(u) <= maxReturnURL && safeRedirect(u)
}
