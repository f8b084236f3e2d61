package xbezahldienste

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
)

// amount is an amount written as a JSON number in euros with two
// decimals (XBezahldienste 1.0.0 grosAmount, …NetAmount, …TaxAmount).
type amount payment.Cents

func (a amount) MarshalJSON() ([]byte, error) { return []byte(payment.Cents(a).Decimal()), nil }

// wireRequest is the body of POST paymenttransaction/{originatorId}/{endpointId}.
type wireRequest struct {
	RequestID        string         `json:"requestId"`
	RequestTimestamp string         `json:"requestTimestamp"`
	Currency         string         `json:"currency"`
	GrosAmount       amount         `json:"grosAmount"` // sic
	Purpose          string         `json:"purpose"`
	Description      string         `json:"description"`
	RedirectURL      string         `json:"redirectUrl"`
	Items            []wireItem     `json:"items"`
	Requestor        *wireRequestor `json:"requestor"`
}

type wireItem struct {
	ID              string            `json:"id"`
	Reference       string            `json:"reference"`
	Description     string            `json:"description"`
	TaxRate         int               `json:"taxRate"`
	Quantity        int               `json:"quantity"`
	TotalNetAmount  amount            `json:"totalNetAmount"`
	TotalTaxAmount  amount            `json:"totalTaxAmount"`
	SingleNetAmount amount            `json:"singleNetAmount"`
	SingleTaxAmount amount            `json:"singleTaxAmount"`
	BookingData     map[string]string `json:"bookingData,omitempty"`
}

type wireRequestor struct {
	Name             string `json:"name,omitempty"`
	FirstName        string `json:"firstName,omitempty"`
	IsOrganization   bool   `json:"isOrganization"`
	OrganizationName string `json:"organizationName,omitempty"`
}

// encodeRequest writes r as the JSON body of a create. Booking data of
// the account (by item ID) are merged under the item's own; empty
// booking data are left out. A zero RequestTimestamp is now.
func encodeRequest(r *payment.Request, booking map[string]map[string]string, now time.Time) ([]byte, error) {
	ts := r.RequestTimestamp
	if ts.IsZero() {
		ts = now
	}
	w := wireRequest{
		RequestID:        r.RequestID,
		RequestTimestamp: ts.Format(time.RFC3339),
		Currency:         currency,
		GrosAmount:       amount(r.GrossAmount),
		Purpose:          r.Purpose,
		Description:      r.Description,
		RedirectURL:      r.RedirectURL,
		Items:            make([]wireItem, 0, len(r.Items)),
	}
	for _, it := range r.Items {
		w.Items = append(w.Items, wireItem{
			ID:              it.ID,
			Reference:       it.Reference,
			Description:     it.Description,
			Quantity:        it.Quantity,
			TotalNetAmount:  amount(it.TotalNet),
			SingleNetAmount: amount(it.SingleNet),
			BookingData:     mergeBooking(booking[it.ID], it.BookingData),
		})
	}
	if q := r.Requestor; q != nil {
		w.Requestor = &wireRequestor{Name: q.Name, FirstName: q.FirstName, IsOrganization: q.IsOrganization, OrganizationName: q.OrganizationName}
	}
	return json.Marshal(w)
}

// mergeBooking returns base overlaid with own, or nil when both are empty.
func mergeBooking(base, own map[string]string) map[string]string {
	if len(base) == 0 && len(own) == 0 {
		return nil
	}
	m := make(map[string]string, len(base)+len(own))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range own {
		m[k] = v
	}
	return m
}

// wireInfo is XBezahldienste 1.0.0 paymentInformation.
type wireInfo struct {
	TransactionURL         string `json:"transactionUrl"`
	TransactionRedirectURL string `json:"transactionRedirectUrl"`
	TransactionID          string `json:"transactionId"`
	TransactionReference   string `json:"transactionReference"`
	TransactionTimestamp   string `json:"transactionTimestamp"`
	PaymentMethod          string `json:"paymentMethod"`
	PaymentMethodDetail    string `json:"paymentMethodDetail"`
	Status                 string `json:"status"`
	StatusDetail           string `json:"statusDetail"`
}

// ErrInvalidReply is wrapped by the errors for a provider's 2xx reply that
// is not a valid paymentInformation.
var ErrInvalidReply = errors.New("ePayment: ungültige Antwort des Bezahldienstes")

// maxText bounds the free texts taken from a reply (details, reference).
const maxText = 1000

// ParseInfo reads a provider's reply to a create or a status request: a
// JSON object that is paymentInformation (XBezahldienste 1.0.0) or holds
// it under "paymentInformation". The transactionId must be 1 to 36 of
// [A-Za-z0-9_-], the status one of INITIAL, PAYED, FAILED, CANCELED, the
// URLs absolute http(s) URLs, the timestamp RFC 3339 (one without zone is
// read as Europe/Berlin time). Errors wrap ErrInvalidReply.
func ParseInfo(body []byte) (*payment.Info, error) { return decodeInfo(body, "") }

// decodeInfo is ParseInfo with the transactionId to take when the reply
// has none ("" for none).
func decodeInfo(body []byte, defaultID string) (*payment.Info, error) {
	var env struct {
		PaymentInformation json.RawMessage `json:"paymentInformation"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidReply, err)
	}
	inner := body
	if len(env.PaymentInformation) > 0 && !bytes.Equal(env.PaymentInformation, []byte("null")) {
		inner = env.PaymentInformation
	}
	var w wireInfo
	if err := json.Unmarshal(inner, &w); err != nil {
		return nil, fmt.Errorf("%w: paymentInformation: %v", ErrInvalidReply, err)
	}
	if w.TransactionID == "" {
		w.TransactionID = defaultID
	}
	if !validTransactionID(w.TransactionID) {
		return nil, fmt.Errorf("%w: transactionId missing or not 1 to 36 of [A-Za-z0-9_-]", ErrInvalidReply)
	}
	st := payment.Status(w.Status)
	if !st.Known() {
		return nil, fmt.Errorf("%w: unknown status %q", ErrInvalidReply, clip(w.Status, 40))
	}
	info := &payment.Info{
		TransactionID:        w.TransactionID,
		TransactionReference: clip(w.TransactionReference, maxText),
		Method:               payment.Method(clip(w.PaymentMethod, 40)),
		MethodDetail:         clip(w.PaymentMethodDetail, maxText),
		Status:               st,
		StatusDetail:         clip(w.StatusDetail, maxText),
	}
	var err error
	if info.TransactionURL, err = httpURL("transactionUrl", w.TransactionURL); err != nil {
		return nil, err
	}
	if info.TransactionRedirectURL, err = httpURL("transactionRedirectUrl", w.TransactionRedirectURL); err != nil {
		return nil, err
	}
	if w.TransactionTimestamp != "" {
		if info.TransactionTimestamp, err = parseTimestamp(w.TransactionTimestamp); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// validTransactionID reports whether id is 1 to 36 of [A-Za-z0-9_-].
func validTransactionID(id string) bool {
	if id == "" || len(id) > maxID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// httpURL returns s if it is empty or an absolute http(s) URL.
func httpURL(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > 2048 {
		return "", fmt.Errorf("%w: %s is not an absolute http(s) URL", ErrInvalidReply, field)
	}
	return s, nil
}

func parseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, localtime.Berlin); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: transactionTimestamp %q is not RFC 3339", ErrInvalidReply, clip(s, 40))
}

// clip cuts s to at most n bytes at a character boundary and drops
// invalid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ParseError reads the error answer of a provider (HTTP status code
// status, body body) into a *payment.ProviderError. It accepts the
// shapes {"code": …, "message": …}, {"errorCode": …, "errorMessage": …}
// and {"error": {"code": …, "message": …}} (also "error" as a string
// code, and "description" or "detail" for the message). Without a code
// the code is FORBIDDEN for HTTP 401 and 403 and UNSPECIFIED otherwise;
// the message is then the HTTP status text.
func ParseError(status int, body []byte) *payment.ProviderError {
	pe := &payment.ProviderError{HTTPStatus: status}
	var v struct {
		Code         json.RawMessage `json:"code"`
		ErrorCode    json.RawMessage `json:"errorCode"`
		Message      json.RawMessage `json:"message"`
		ErrorMessage json.RawMessage `json:"errorMessage"`
		Description  json.RawMessage `json:"description"`
		Detail       json.RawMessage `json:"detail"`
		Error        json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		var nested struct {
			Code    json.RawMessage `json:"code"`
			Message json.RawMessage `json:"message"`
		}
		if len(v.Error) > 0 && v.Error[0] == '{' && json.Unmarshal(v.Error, &nested) == nil {
			pe.Code = jsonString(nested.Code)
			pe.Message = jsonString(nested.Message)
		}
		pe.Code = first(pe.Code, jsonString(v.Code), jsonString(v.ErrorCode), jsonString(v.Error))
		pe.Message = first(pe.Message, jsonString(v.Message), jsonString(v.ErrorMessage), jsonString(v.Description), jsonString(v.Detail))
	}
	pe.Code = clip(strings.TrimSpace(pe.Code), 64)
	switch {
	case pe.Code != "":
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		pe.Code = payment.CodeForbidden
	default:
		pe.Code = payment.CodeUnspecified
	}
	pe.Message = clip(pe.Message, 500)
	if pe.Message == "" {
		pe.Message = http.StatusText(status)
	}
	return pe
}

// jsonString returns raw as a string if it is a JSON string or number.
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
