// Package xbezahldienste is a client of an ePayment provider speaking
// XBezahldienste 1.0.0 (docs.fitko.de/xbezahldienste): ePayBL, pmPayment
// and ePay21. It creates payment transactions (POST
// {base}paymenttransaction/{originatorId}/{endpointId}), reads their
// status (GET …/{transactionId}) and checks a configuration (GET
// {base}status/{originatorId}/{endPointId}), with the authentication the
// provider's kind needs. It logs nothing.
package xbezahldienste

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
)

// DefaultTimeout bounds a call to the provider when Options.Timeout is 0.
const DefaultTimeout = 15 * time.Second

// maxBody bounds how much of a provider's answer is read (1 MiB).
const maxBody = 1 << 20

// Options tune a Client.
type Options struct {
	// Timeout bounds each call, including the OAuth2 token request
	// (0: DefaultTimeout).
	Timeout time.Duration
	// Transport is the HTTP transport under the authentication (nil: a
	// clone of http.DefaultTransport). An *http.Transport is cloned and
	// given the account's trust roots and client certificate; another
	// round tripper is used as it is and cannot take them.
	Transport http.RoundTripper
	// Now is the clock for a request without RequestTimestamp and for
	// the certificate's expiry (nil: time.Now).
	Now func() time.Time
}

// Client is an authority's XBezahldienste provider account. It is safe
// for concurrent use.
type Client struct {
	base       string // ends with "/"
	originator string
	endpoint   string
	booking    map[string]map[string]string
	http       *http.Client
	now        func() time.Time
}

var _ payment.Provider = (*Client)(nil)

// New returns a client for acc. Errors wrap apperr.Invalid for an
// account whose base URL, originatorId or endpointId (1 to 36
// characters) is not valid, or that lacks what its kind needs: ePayBL a
// PKCS#12 certificate that opens with its password and has not expired,
// pmPayment TokenURL, ClientID and ClientSecret, ePay21 Username and
// Password.
func New(acc *payment.Account, opts Options) (*Client, error) {
	if acc == nil {
		return nil, fmt.Errorf("%w: kein Zugang zum Bezahldienst", apperr.Invalid)
	}
	u, err := url.Parse(acc.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: Basis-URL des Bezahldienstes ist keine absolute http(s)-Adresse", apperr.Invalid)
	}
	for _, id := range []struct{ name, value string }{{"originatorId", acc.OriginatorID}, {"endpointId", acc.EndpointID}} {
		if n := utf8.RuneCountInString(id.value); n == 0 || n > maxID {
			return nil, fmt.Errorf("%w: %s muss 1 bis %d Zeichen haben", apperr.Invalid, id.name, maxID)
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rt, err := authTransport(acc, opts, opts.Timeout, opts.Now())
	if err != nil {
		return nil, err
	}
	base := acc.BaseURL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return &Client{
		base:       base,
		originator: acc.OriginatorID,
		endpoint:   acc.EndpointID,
		booking:    acc.BookingData,
		http:       &http.Client{Transport: rt, Timeout: opts.Timeout, CheckRedirect: noRedirect},
		now:        opts.Now,
	}, nil
}

// Create creates a payment transaction for r (POST
// {base}paymenttransaction/{originatorId}/{endpointId}) and returns its
// paymentInformation, with the pay page in TransactionRedirectURL.
// Errors: apperr.Invalid (see Validate) before anything is sent;
// *payment.ProviderError for a 4xx answer (PAYMENT_EXISTS when r's
// RequestID was used before); payment.ErrUnavailable for network
// errors, timeouts and 5xx; ErrInvalidReply for a 2xx answer without a
// valid paymentInformation.
func (c *Client) Create(ctx context.Context, r *payment.Request) (*payment.Info, error) {
	if err := Validate(r); err != nil {
		return nil, err
	}
	body, err := encodeRequest(r, c.booking, c.now())
	if err != nil {
		return nil, fmt.Errorf("ePayment: encode request: %w", err)
	}
	reply, err := c.do(ctx, http.MethodPost, c.transactionsURL(), body)
	if err != nil {
		return nil, err
	}
	return parseInfo(reply, "")
}

// Status reads the transaction's paymentInformation (GET
// {base}paymenttransaction/{originatorId}/{endpointId}/{transactionId}).
// A reply without transactionId is taken as the asked one's; one with
// another transactionId is invalid. Errors as Create's; a transactionID
// that is not 1 to 36 of [A-Za-z0-9_-] wraps apperr.Invalid.
func (c *Client) Status(ctx context.Context, transactionID string) (*payment.Info, error) {
	if !validTransactionID(transactionID) {
		return nil, fmt.Errorf("%w: transactionId muss 1 bis %d Zeichen aus A-Z, a-z, 0-9, - und _ haben", apperr.Invalid, maxID)
	}
	reply, err := c.do(ctx, http.MethodGet, c.transactionsURL()+"/"+url.PathEscape(transactionID), nil)
	if err != nil {
		return nil, err
	}
	return parseInfo(reply, transactionID)
}

// Check asks the provider whether the account's originatorId and
// endpointId are valid (GET {base}status/{originatorId}/{endPointId});
// any 2xx answer is valid. Errors as Create's: an invalid pair is
// typically a *payment.ProviderError with NO_VALID_ORIGINATOR_OR_ENDPOINT.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, c.base+"status/"+url.PathEscape(c.originator)+"/"+url.PathEscape(c.endpoint), nil)
	return err
}

func (c *Client) transactionsURL() string {
	return c.base + "paymenttransaction/" + url.PathEscape(c.originator) + "/" + url.PathEscape(c.endpoint)
}

// do sends one request and returns the body of a 2xx answer.
func (c *Client) do(ctx context.Context, method, u string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("ePayment: %s: %w", method, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	switch {
	case res.StatusCode >= 500:
		return nil, fmt.Errorf("%w: HTTP %d", payment.ErrUnavailable, res.StatusCode)
	case res.StatusCode >= 200 && res.StatusCode < 300:
		if len(data) > maxBody {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrInvalidReply, maxBody)
		}
		return data, nil
	default:
		return nil, ParseError(res.StatusCode, data)
	}
}

// transportError classifies an error of a round trip: the caller's
// cancellation stays itself, a refused OAuth2 token request becomes a
// *payment.ProviderError (FORBIDDEN), everything else (network, TLS,
// timeout, a token endpoint's 5xx) wraps payment.ErrUnavailable.
func transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("ePayment: %w", ctx.Err())
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
		code := re.Response.StatusCode
		msg := "OAuth2-Token verweigert"
		if re.ErrorCode != "" {
			msg += ": " + clip(re.ErrorCode, 64)
		}
		return &payment.ProviderError{HTTPStatus: code, Code: payment.CodeForbidden, Message: msg}
	}
	return fmt.Errorf("%w: %w", payment.ErrUnavailable, err)
}

// parseInfo is ParseInfo for the reply to a create (wantID "") or to the
// status of wantID.
func parseInfo(body []byte, wantID string) (*payment.Info, error) {
	info, err := decodeInfo(body, wantID)
	if err != nil {
		return nil, err
	}
	if wantID != "" && info.TransactionID != wantID {
		return nil, fmt.Errorf("%w: reply is for another transaction", ErrInvalidReply)
	}
	return info, nil
}
