package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/payment"
)

// maxBody bounds a request body the sandbox reads (1 MiB).
const maxBody = 1 << 20

// apiError is an XBezahldienste error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func errorFor(code, message string) *apiError {
	status := http.StatusBadRequest
	switch code {
	case payment.CodeForbidden:
		status = http.StatusForbidden
	case payment.CodeNoValidEndpoint:
		status = http.StatusNotFound
	}
	return &apiError{status, code, message}
}

// apiHandler handles an authenticated API call of a valid pair and
// returns the HTTP status and the JSON body, or an error answer.
type apiHandler func(r *http.Request, p Pair) (int, any, *apiError)

// api wraps h: it counts the call in counter (if not nil), answers 503
// while down, authenticates, and checks the originatorId/endpointId pair.
func (s *Sandbox) api(counter func(*Sandbox) *int, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if counter != nil {
			*counter(s)++
		}
		down := s.down
		s.mu.Unlock()
		if down {
			writeError(w, &apiError{http.StatusServiceUnavailable, payment.CodeUnspecified, "Bezahldienst nicht verfügbar"})
			return
		}
		if e := s.authenticate(r); e != nil {
			if e.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", s.challenge())
			}
			writeError(w, e)
			return
		}
		p := Pair{r.PathValue("originatorId"), r.PathValue("endpointId")}
		if !s.accepts(p) {
			writeError(w, errorFor(payment.CodeNoValidEndpoint, "originatorId oder endpointId ungültig"))
			return
		}
		status, body, e := h(r, p)
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, status, body)
	}
}

func countCreates(s *Sandbox) *int  { return &s.creates }
func countStatuses(s *Sandbox) *int { return &s.statuses }

// createRequest is the body of a create (XBezahldienste 1.0.0).
type createRequest struct {
	RequestID        string          `json:"requestId"`
	RequestTimestamp string          `json:"requestTimestamp"`
	Currency         string          `json:"currency"`
	GrosAmount       json.RawMessage `json:"grosAmount"`
	Purpose          string          `json:"purpose"`
	Description      string          `json:"description"`
	RedirectURL      string          `json:"redirectUrl"`
	Items            []struct {
		ID              string            `json:"id"`
		Reference       string            `json:"reference"`
		Description     string            `json:"description"`
		TaxRate         json.RawMessage   `json:"taxRate"`
		Quantity        int               `json:"quantity"`
		TotalNetAmount  json.RawMessage   `json:"totalNetAmount"`
		TotalTaxAmount  json.RawMessage   `json:"totalTaxAmount"`
		SingleNetAmount json.RawMessage   `json:"singleNetAmount"`
		SingleTaxAmount json.RawMessage   `json:"singleTaxAmount"`
		BookingData     map[string]string `json:"bookingData"`
	} `json:"items"`
	Requestor json.RawMessage `json:"requestor"`
}

// wireInfo is paymentInformation as the sandbox writes it.
type wireInfo struct {
	TransactionURL         string `json:"transactionUrl,omitempty"`
	TransactionRedirectURL string `json:"transactionRedirectUrl,omitempty"`
	TransactionID          string `json:"transactionId"`
	TransactionReference   string `json:"transactionReference,omitempty"`
	TransactionTimestamp   string `json:"transactionTimestamp,omitempty"`
	PaymentMethod          string `json:"paymentMethod,omitempty"`
	PaymentMethodDetail    string `json:"paymentMethodDetail,omitempty"`
	Status                 string `json:"status"`
	StatusDetail           string `json:"statusDetail,omitempty"`
}

// wireTransaction is the answer to a create and to a status request.
type wireTransaction struct {
	RequestID          string   `json:"requestId"`
	PaymentInformation wireInfo `json:"paymentInformation"`
}

func (s *Sandbox) replyLocked(tx *transaction) wireTransaction {
	info := s.infoLocked(tx)
	w := wireInfo{
		TransactionURL:         info.TransactionURL,
		TransactionRedirectURL: info.TransactionRedirectURL,
		TransactionID:          info.TransactionID,
		TransactionReference:   info.TransactionReference,
		PaymentMethod:          string(info.Method),
		PaymentMethodDetail:    info.MethodDetail,
		Status:                 string(info.Status),
		StatusDetail:           info.StatusDetail,
	}
	if !info.TransactionTimestamp.IsZero() {
		w.TransactionTimestamp = info.TransactionTimestamp.Format(time.RFC3339)
	}
	return wireTransaction{RequestID: tx.requestID, PaymentInformation: w}
}

func (s *Sandbox) create(r *http.Request, p Pair) (int, any, *apiError) {
	s.mu.Lock()
	code := s.failNext
	s.failNext = ""
	s.mu.Unlock()
	if code != "" {
		return 0, nil, errorFor(code, "Fehler auf Wunsch der Teststeuerung")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(data) > maxBody {
		return 0, nil, errorFor(payment.CodeValidation, "Anfrage nicht lesbar oder größer als 1 MiB")
	}
	var req createRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return 0, nil, errorFor(payment.CodeValidation, "kein gültiges JSON: "+err.Error())
	}
	tx, e := checkCreate(&req)
	if e != nil {
		return 0, nil, e
	}
	tx.pair = p

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byRequest[requestKey(p, tx.requestID)]; ok {
		return 0, nil, errorFor(payment.CodePaymentExists, "requestId wurde schon verwendet")
	}
	s.newTransactionLocked(tx)
	return http.StatusCreated, s.replyLocked(tx), nil
}

// checkCreate validates a create against XBezahldienste 1.0.0's limits
// and computes the transaction.
func checkCreate(req *createRequest) (*transaction, *apiError) {
	invalid := func(format string, args ...any) *apiError {
		return errorFor(payment.CodeValidation, fmt.Sprintf(format, args...))
	}
	switch {
	case req.RequestID == "" || utf8.RuneCountInString(req.RequestID) > 36:
		return nil, invalid("requestId muss 1 bis 36 Zeichen haben")
	case req.Currency != "EUR":
		return nil, invalid("currency muss EUR sein")
	case req.Purpose == "" || utf8.RuneCountInString(req.Purpose) > 27:
		return nil, invalid("purpose muss 1 bis 27 Zeichen haben")
	case utf8.RuneCountInString(req.Description) > 250:
		return nil, invalid("description hat mehr als 250 Zeichen")
	case len(req.Items) < 1 || len(req.Items) > 99:
		return nil, invalid("1 bis 99 items erlaubt")
	}
	if _, err := time.Parse(time.RFC3339, req.RequestTimestamp); err != nil {
		return nil, invalid("requestTimestamp ist kein Zeitpunkt nach RFC 3339")
	}
	if u, err := url.Parse(req.RedirectURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid("redirectUrl ist keine absolute http(s)-Adresse")
	}
	gross, err := amountOf(req.GrosAmount)
	if err != nil || gross <= 0 {
		return nil, invalid("grosAmount muss eine Zahl größer 0 mit höchstens zwei Nachkommastellen sein")
	}
	tx := &transaction{requestID: req.RequestID, purpose: req.Purpose, description: req.Description, redirectURL: req.RedirectURL, gross: gross}
	var sum payment.Cents
	for i, it := range req.Items {
		n := i + 1
		if it.ID == "" || utf8.RuneCountInString(it.ID) > 36 {
			return nil, invalid("items[%d].id muss 1 bis 36 Zeichen haben", n)
		}
		if utf8.RuneCountInString(it.Description) > 250 {
			return nil, invalid("items[%d].description hat mehr als 250 Zeichen", n)
		}
		single, err1 := amountOf(it.SingleNetAmount)
		total, err2 := amountOf(it.TotalNetAmount)
		if err1 != nil || err2 != nil || single <= 0 || it.Quantity < 1 || it.Quantity > 1_000_000 {
			return nil, invalid("items[%d]: quantity, singleNetAmount oder totalNetAmount ungültig", n)
		}
		for _, raw := range []json.RawMessage{it.TaxRate, it.TotalTaxAmount, it.SingleTaxAmount} {
			if tax, err := amountOf(raw); len(raw) > 0 && (err != nil || tax != 0) {
				return nil, errorFor(payment.CodeCalculation, fmt.Sprintf("items[%d]: Gebühren tragen keine Steuer", n))
			}
		}
		if single > 1_000_000_000 || total != payment.Cents(it.Quantity)*single {
			return nil, errorFor(payment.CodeCalculation, fmt.Sprintf("items[%d]: totalNetAmount ist nicht quantity × singleNetAmount", n))
		}
		sum += total
		tx.items = append(tx.items, item{Description: it.Description, Quantity: it.Quantity, Single: single, Total: total})
	}
	if sum != gross {
		return nil, errorFor(payment.CodeCalculation, "Summe der items ist nicht grosAmount")
	}
	return tx, nil
}

// amountOf reads an amount that must be a JSON number (not a string).
func amountOf(raw json.RawMessage) (payment.Cents, error) {
	if len(raw) == 0 || raw[0] == '"' {
		return 0, fmt.Errorf("amount is not a JSON number")
	}
	return payment.ParseDecimal(string(raw))
}

func (s *Sandbox) status(r *http.Request, p Pair) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.txs[r.PathValue("transactionId")]
	if !ok || tx.pair != p {
		return 0, nil, &apiError{http.StatusNotFound, payment.CodeUnspecified, "Transaktion unbekannt"}
	}
	return http.StatusOK, s.replyLocked(tx), nil
}

func (s *Sandbox) check(*http.Request, Pair) (int, any, *apiError) {
	return http.StatusOK, map[string]string{"status": "OK"}, nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"code": e.code, "message": e.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
