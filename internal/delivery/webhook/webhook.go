// Package webhook delivers submissions to an HTTPS receiver as a JSON POST
// signed per Standard Webhooks (https://www.standardwebhooks.com, spec
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
// sections "Webhook headers" and "Signature scheme").
//
// Each request carries three headers:
//
//	webhook-id:        the Delivery id (UUID), identical on every retry, so
//	                   that a receiver can de-duplicate (delivery is at least once)
//	webhook-timestamp: the time of this attempt in Unix seconds
//	webhook-signature: "v1," + standard base64 of
//	                   HMAC-SHA256(key, id + "." + timestamp + "." + body)
//
// where key is the base64-decoded part of the target's "whsec_…" secret.
// Signing and verifying use the Standard Webhooks reference library
// (github.com/standard-webhooks/standard-webhooks/libraries/go).
//
// A receiver checks a request with Verify: it rejects a timestamp further
// than the tolerance (default 5 minutes) from its clock, to limit replays,
// and compares the signature in constant time. The signature header may
// hold several space-separated signatures (during a secret rotation); one
// valid "v1" signature is enough. After a successful check the receiver
// should answer 2xx quickly and remember the webhook-id, so that a retry of
// the same delivery is not processed twice.
//
// The body is described by Payload.
package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/antrag/antrag/internal/delivery"
)

// EventType is the "type" of every payload antrag sends.
const EventType = "antrag.submission.created"

// Header names per Standard Webhooks, section "Webhook headers".
const (
	HeaderID        = standardwebhooks.HeaderWebhookID        // "webhook-id"
	HeaderTimestamp = standardwebhooks.HeaderWebhookTimestamp // "webhook-timestamp"
	HeaderSignature = standardwebhooks.HeaderWebhookSignature // "webhook-signature"
)

// Defaults.
const (
	// DefaultTimeout bounds one attempt (connect, send, response headers
	// and the first bytes of the body) when Sender.HTTPClient is nil.
	DefaultTimeout = 30 * time.Second
	// DefaultTolerance is how far a webhook-timestamp may be from the
	// receiver's clock, in either direction, when Verify gets 0.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxAttachmentBytes caps the summed size of the attachments
	// embedded in one request (before base64, which adds a third) when
	// Sender.MaxAttachmentBytes is 0.
	DefaultMaxAttachmentBytes = 64 << 20
)

// UserAgent is the User-Agent of every request.
const UserAgent = "antrag"

// Sender delivers parcels of kind delivery.Webhook. The zero value is
// ready to use.
type Sender struct {
	// HTTPClient sends the requests. nil means a client with a timeout of
	// DefaultTimeout. Whatever its CheckRedirect, redirects are never
	// followed: a 3xx answer fails the delivery.
	HTTPClient *http.Client
	// Now is the clock for webhook-timestamp and "timestamp"; nil means
	// time.Now.
	Now func() time.Time
	// MaxAttachmentBytes caps the summed attachment size in bytes; 0 means
	// DefaultMaxAttachmentBytes, a negative value means no limit. A larger
	// submission fails permanently (the receiver would refuse it anyway;
	// use FIT-Connect or the inbox for large files).
	MaxAttachmentBytes int64
}

var _ delivery.Sender = (*Sender)(nil)

// Payload is the JSON body of a request. Times are RFC 3339 in UTC.
type Payload struct {
	Type      string    `json:"type"`      // EventType
	Timestamp time.Time `json:"timestamp"` // when this attempt was made
	Data      Data      `json:"data"`
}

// Data describes one submission.
type Data struct {
	SubmissionID string    `json:"submissionId"` // UUID
	Reference    string    `json:"reference"`    // Vorgangsnummer
	Tenant       Tenant    `json:"tenant"`
	Service      Service   `json:"service"`
	SubmittedAt  time.Time `json:"submittedAt"`
	// SchemaURI identifies the JSON Schema that Data satisfies.
	SchemaURI string `json:"schemaUri"`
	// DataSHA256 is the lower-case hex SHA-256 of the canonical JSON of
	// the application, i.e. of the exact bytes embedded as Data.
	DataSHA256 string `json:"dataSha256"`
	// Data is the application's canonical JSON, embedded as a JSON value
	// byte for byte (not as a string).
	Data        json.RawMessage `json:"data"`
	Attachments []Attachment    `json:"attachments"`
	// Payment is the application's fee and its payment; left out for an
	// application without a fee.
	Payment *Payment `json:"payment,omitempty"`
}

// Payment is an application's fee and its payment (ePayment after
// XBezahldienste 1.0.0). An application whose fee is still to be paid
// online is not delivered before it is paid, so State is never "open".
type Payment struct {
	// State is "paid" (paid online before sending), "deferred" (the
	// authority invoices the fee after the service) or "waived" (an
	// optional fee the applicant chose not to pay online).
	State string `json:"state"`
	// AmountCents is the fee in euro cents: the amount paid for "paid",
	// the computed fee otherwise (e.g. 6000 for 60,00 €).
	AmountCents int64 `json:"amountCents"`
	// Currency is "EUR" (the only currency of XBezahldienste 1.0.0).
	Currency string `json:"currency"`
	// The following are set for "paid" only, each when the provider
	// reported it:
	//
	// TransactionReference is the Kassenzeichen under which the
	// authority's cash office booked the payment.
	TransactionReference string `json:"transactionReference,omitempty"`
	// TransactionID is the provider's id of the payment transaction.
	TransactionID string `json:"transactionId,omitempty"`
	// PaymentMethod is the method as XBezahldienste names it
	// (CREDITCARD, PAYPAL, PAYDIRECT, GIROPAY, OTHER).
	PaymentMethod string `json:"paymentMethod,omitempty"`
	// PaidAt is when the payment was made (RFC 3339, UTC).
	PaidAt *time.Time `json:"paidAt,omitempty"`
}

// paymentOf is the Payment of p, nil without a fee.
func paymentOf(p *delivery.Parcel) *Payment {
	fee := p.Fee()
	if fee == nil {
		return nil
	}
	out := &Payment{State: string(fee.State), AmountCents: int64(fee.Amount()), Currency: "EUR"}
	if a := fee.Paid; a != nil {
		out.TransactionReference, out.TransactionID, out.PaymentMethod = a.TransactionReference, a.TransactionID, string(a.Method)
		if !a.PaidAt.IsZero() {
			at := a.PaidAt.UTC()
			out.PaidAt = &at
		}
	}
	return out
}

// Tenant is the authority's tenant.
type Tenant struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	ARS  string `json:"ars"` // Amtlicher Regionalschlüssel, 12 digits
}

// Service is the administrative service applied for.
type Service struct {
	ID                  string `json:"id"`
	Slug                string `json:"slug"`
	Name                string `json:"name"`
	Leistungsschluessel string `json:"leistungsschluessel"` // LeiKa key, 14 digits
}

// Attachment is one uploaded file with its content.
type Attachment struct {
	AttachmentID string `json:"attachmentId"`
	Filename     string `json:"filename"`
	MediaType    string `json:"mediaType"`
	Size         int64  `json:"size"`   // bytes, before base64
	SHA512       string `json:"sha512"` // lower-case hex of the content
	// Content is the file, standard base64 (RFC 4648 section 4, padded).
	Content []byte `json:"content"`
}

// Send POSTs the parcel's submission to p.Delivery.Target.URL and returns
// Outcome{State: delivery.Delivered} on a 2xx answer.
//
// Errors are phrased in German for staff and never contain the
// application's data, attachment names or the receiver's body (at most the
// first 200 bytes of the "title" of an RFC 9457 problem answer):
//   - retryable: network errors and timeouts, 408, 429, 5xx, unreadable
//     attachments;
//   - delivery.Permanent: a target without valid URL or secret, missing
//     application data, attachments over MaxAttachmentBytes or not
//     matching their recorded size or SHA-512, a 3xx answer (redirects are
//     not followed) and every other 4xx answer.
func (s *Sender) Send(ctx context.Context, p *delivery.Parcel) (delivery.Outcome, error) {
	if p == nil || p.Delivery == nil || p.Submission == nil || p.Tenant == nil || p.Service == nil {
		return delivery.Outcome{}, delivery.Permanent(errors.New("Webhook: Zustellung unvollständig (interner Fehler)"))
	}
	t := p.Delivery.Target
	if t.Kind != delivery.Webhook {
		return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("Webhook: Zustellart %q statt webhook (interner Fehler)", t.Kind))
	}
	if err := t.Validate(); err != nil {
		return delivery.Outcome{}, delivery.Permanent(err)
	}
	key, err := delivery.DecodeWebhookSecret(t.Secret)
	if err != nil {
		return delivery.Outcome{}, delivery.Permanent(err)
	}
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("Webhook-Geheimnis: %w", err))
	}

	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := now()
	body, err := s.body(ctx, p, ts)
	if err != nil {
		return delivery.Outcome{}, err
	}
	sig, err := wh.Sign(p.Delivery.ID, ts, body)
	if err != nil {
		return delivery.Outcome{}, fmt.Errorf("Webhook signieren: %w", err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("Webhook-Anfrage an %s: %w", t.String(), err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, p.Delivery.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)

	resp, err := s.client().Do(req)
	if err != nil {
		return delivery.Outcome{}, transportError(ctx, err)
	}
	defer resp.Body.Close()
	title := problemTitle(resp)
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused

	return classify(resp.StatusCode, title)
}

// classify maps a response status to an outcome or error.
func classify(code int, title string) (delivery.Outcome, error) {
	status := strconv.Itoa(code)
	if txt := http.StatusText(code); txt != "" {
		status += " " + txt
	}
	msg := "Webhook antwortete " + status
	if title != "" {
		msg += ": " + strconv.Quote(title)
	}
	switch {
	case code >= 200 && code < 300:
		return delivery.Outcome{State: delivery.Delivered}, nil
	case code >= 300 && code < 400:
		return delivery.Outcome{}, delivery.Permanent(errors.New(msg + " (Weiterleitung nicht erlaubt)"))
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		return delivery.Outcome{}, errors.New(msg)
	case code >= 400 && code < 500:
		return delivery.Outcome{}, delivery.Permanent(errors.New(msg))
	default: // 5xx and anything unexpected: try again later
		return delivery.Outcome{}, errors.New(msg)
	}
}

func (s *Sender) client() *http.Client {
	var c http.Client
	if s.HTTPClient != nil {
		c = *s.HTTPClient
	} else {
		c.Timeout = DefaultTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// transportError phrases a failed round trip for staff. It leaves out the
// URL, whose query might hold a token.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("Webhook: Zustellung abgebrochen: %w", ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("Webhook antwortete nicht rechtzeitig (Zeitüberschreitung): %w", err)
	}
	return fmt.Errorf("Webhook nicht erreichbar: %w", err)
}

// problemTitle returns the sanitised "title" of an RFC 9457
// application/problem+json answer, at most 200 bytes, or "".
func problemTitle(resp *http.Response) string {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return ""
	}
	var pr struct {
		Title string `json:"title"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 8<<10)).Decode(&pr) != nil {
		return ""
	}
	title := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.TrimSpace(pr.Title))
	if len(title) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(title[cut]) {
			cut--
		}
		title = title[:cut] + "…"
	}
	return title
}

// body builds the JSON body at time ts.
func (s *Sender) body(ctx context.Context, p *delivery.Parcel, ts time.Time) ([]byte, error) {
	sub := p.Submission
	if len(sub.Data) == 0 {
		return nil, delivery.Permanent(errors.New("Webhook: die Antragsdaten sind nicht mehr vorhanden (Aufbewahrungsfrist abgelaufen?)"))
	}
	if !json.Valid(sub.Data) {
		return nil, delivery.Permanent(errors.New("Webhook: die gespeicherten Antragsdaten sind kein gültiges JSON"))
	}
	sum := sha256.Sum256(sub.Data)
	dataSHA := hex.EncodeToString(sum[:])
	if sub.DataSHA256 != "" && !strings.EqualFold(sub.DataSHA256, dataSHA) {
		return nil, delivery.Permanent(errors.New("Webhook: die Antragsdaten passen nicht zu ihrer Prüfsumme"))
	}
	atts, err := s.attachments(ctx, p)
	if err != nil {
		return nil, err
	}
	pl := Payload{
		Type:      EventType,
		Timestamp: ts.UTC().Truncate(time.Second),
		Data: Data{
			SubmissionID: sub.ID,
			Reference:    sub.Reference,
			Tenant:       Tenant{ID: p.Tenant.ID, Slug: p.Tenant.Slug, Name: p.Tenant.Name, ARS: p.Tenant.ARS},
			Service: Service{ID: p.Service.ID, Slug: p.Service.Slug, Name: p.Service.Name,
				Leistungsschluessel: p.Service.Leistungsschluessel},
			SubmittedAt: sub.SubmittedAt.UTC(),
			SchemaURI:   p.SchemaURI,
			DataSHA256:  dataSHA,
			Data:        json.RawMessage(sub.Data),
			Attachments: atts,
			Payment:     paymentOf(p),
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the canonical data byte for byte
	if err := enc.Encode(pl); err != nil {
		return nil, fmt.Errorf("Webhook: Nachricht aufbauen: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// attachments reads the parcel's attachments, checking size and SHA-512.
// Errors name attachments by position, never by file name.
func (s *Sender) attachments(ctx context.Context, p *delivery.Parcel) ([]Attachment, error) {
	out := make([]Attachment, 0, len(p.Attachments))
	if len(p.Attachments) == 0 {
		return out, nil
	}
	if p.Open == nil {
		return nil, delivery.Permanent(errors.New("Webhook: Anhänge können nicht gelesen werden (interner Fehler)"))
	}
	limit := s.MaxAttachmentBytes
	if limit == 0 {
		limit = DefaultMaxAttachmentBytes
	}
	var total int64
	for i, a := range p.Attachments {
		n := i + 1
		total += a.Size
		if limit > 0 && total > limit {
			return nil, delivery.Permanent(fmt.Errorf("Webhook: die Anhänge sind zusammen größer als %d MB", limit>>20))
		}
		rc, err := p.Open(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("Webhook: Anhang %d lesen: %w", n, err)
		}
		content, err := io.ReadAll(io.LimitReader(rc, a.Size+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("Webhook: Anhang %d lesen: %w", n, err)
		}
		if int64(len(content)) != a.Size {
			return nil, delivery.Permanent(fmt.Errorf("Webhook: Anhang %d hat nicht die gespeicherte Größe", n))
		}
		sum := sha512.Sum512(content)
		sha := hex.EncodeToString(sum[:])
		if a.SHA512 != "" && !strings.EqualFold(a.SHA512, sha) {
			return nil, delivery.Permanent(fmt.Errorf("Webhook: Anhang %d passt nicht zu seiner Prüfsumme", n))
		}
		out = append(out, Attachment{
			AttachmentID: a.ID,
			Filename:     a.Filename,
			MediaType:    a.MediaType,
			Size:         a.Size,
			SHA512:       sha,
			Content:      content, // encoding/json writes []byte as standard base64
		})
	}
	return out, nil
}

// Errors returned by Verify; test with errors.Is.
var (
	// ErrHeaders: webhook-id, webhook-timestamp or webhook-signature is
	// missing, or the timestamp is not an integer.
	ErrHeaders = errors.New("Webhook-Kopfzeilen fehlen oder sind ungültig")
	// ErrTimestamp: webhook-timestamp is further than the tolerance from
	// now (too old: a possible replay; too new: a wrong clock).
	ErrTimestamp = errors.New("Webhook-Zeitstempel außerhalb der Toleranz")
	// ErrSignature: no "v1" signature in webhook-signature matches.
	ErrSignature = errors.New("keine gültige Webhook-Signatur")
)

// Verify is the receiver's check of a request per Standard Webhooks,
// section "Verifying webhook authenticity": secret is the "whsec_…"
// signing secret, header the request's headers (canonical keys, as in
// http.Request.Header), body the raw request body exactly as received.
//
// It fails with ErrHeaders if a header is missing or malformed, with
// ErrTimestamp if webhook-timestamp (Unix seconds) differs from now by more
// than tolerance (0 or less means DefaultTolerance), and with ErrSignature
// unless one of the space-separated "v1,<base64>" entries of
// webhook-signature equals HMAC-SHA256(key, id + "." + timestamp + "." +
// body), compared in constant time. A malformed secret yields an error
// wrapping apperr.Invalid.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := delivery.DecodeWebhookSecret(secret)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, tsText, sig := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || tsText == "" || sig == "" {
		return ErrHeaders
	}
	secs, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrHeaders
	}
	ts := time.Unix(secs, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return fmt.Errorf("Webhook-Geheimnis: %w", err)
	}
	// The timestamp was checked above against the caller's clock; the
	// library checks headers and signatures (hmac.Equal).
	switch err := wh.VerifyIgnoringTimestamp(body, header); {
	case err == nil:
		return nil
	case errors.Is(err, standardwebhooks.ErrNoMatchingSignature):
		return ErrSignature
	case errors.Is(err, standardwebhooks.ErrRequiredHeaders), errors.Is(err, standardwebhooks.ErrInvalidHeaders):
		return ErrHeaders
	default:
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
}
