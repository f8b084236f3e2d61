package fitconnect

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Response size limits of the client.
const (
	// MaxJSONResponse bounds JSON answers, including a submission with its
	// encrypted data (antrag's data documents are at most 16 MiB).
	MaxJSONResponse = 32 << 20
	// MaxAttachmentResponse bounds an attachment JWE download.
	MaxAttachmentResponse = 128 << 20
	// EventPageSize is the limit used when reading event logs and
	// submission lists (the API allows at most 500; standards.md §1).
	EventPageSize = 500
	// maxPages bounds paging loops against a misbehaving server.
	maxPages = 1000
)

// Config addresses one FIT-Connect environment with one API client
// (sender or subscriber account).
type Config struct {
	// TokenURL is the OAuth2 token endpoint, e.g.
	// https://auth-testing.fit-connect.fitko.dev/token.
	TokenURL string
	// SubmissionAPI is the Submission API base URL without version suffix,
	// e.g. https://test.fit-connect.fitko.dev/submission-api.
	SubmissionAPI string
	// DestinationAPI is the base URL for destination reads; empty means
	// SubmissionAPI (v1 has no separate destination API).
	DestinationAPI string
	// Version is the API version, "v1" (default) or "v2".
	Version string
	// ClientID and ClientSecret are the API client's credentials.
	ClientID, ClientSecret string
	// HTTPClient is used for all requests, including token requests; nil
	// means a client with a 60 s timeout.
	HTTPClient *http.Client
}

// Client talks to the FIT-Connect Submission API (v1 or v2) for one API
// client. It is safe for concurrent use; the access token is cached until
// shortly before it expires.
type Client struct {
	cfg Config
	api apiVersion
	hc  *http.Client

	mu sync.Mutex
	ts oauth2.TokenSource
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	for _, u := range []struct{ name, v string }{{"Token-URL", cfg.TokenURL}, {"Submission-API", cfg.SubmissionAPI}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("FIT-Connect: %s %q ist keine http(s)-Adresse", u.name, u.v)
		}
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("FIT-Connect: Client-ID und Client-Secret fehlen")
	}
	cfg.SubmissionAPI = strings.TrimRight(cfg.SubmissionAPI, "/")
	if cfg.DestinationAPI == "" {
		cfg.DestinationAPI = cfg.SubmissionAPI
	}
	cfg.DestinationAPI = strings.TrimRight(cfg.DestinationAPI, "/")
	var api apiVersion
	switch cfg.Version {
	case "", "v1":
		cfg.Version = "v1"
		api = v1{}
	case "v2":
		api = v2{}
	default:
		return nil, fmt.Errorf("FIT-Connect: API-Version %q: v1 oder v2", cfg.Version)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	c := &Client{cfg: cfg, api: api, hc: hc}
	c.ts = c.newTokenSource()
	return c, nil
}

// Version returns "v1" or "v2".
func (c *Client) Version() string { return c.cfg.Version }

func (c *Client) newTokenSource() oauth2.TokenSource {
	cc := clientcredentials.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		TokenURL:     c.cfg.TokenURL,
		// A form body with grant_type, client_id and client_secret
		// (standards.md §1 "Environments and auth").
		AuthStyle: oauth2.AuthStyleInParams,
	}
	// The token source outlives single requests, so it gets a background
	// context carrying only the HTTP client.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.hc)
	return cc.TokenSource(ctx) // a ReuseTokenSource: cached until expiry
}

func (c *Client) token() (*oauth2.Token, error) {
	c.mu.Lock()
	ts := c.ts
	c.mu.Unlock()
	tok, err := ts.Token()
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		if st == http.StatusBadRequest || st == http.StatusUnauthorized || st == http.StatusForbidden {
			return nil, &Problem{Type: ProblemUnauthorized, Status: http.StatusUnauthorized, Title: "Token-Abruf abgelehnt"}
		}
		return nil, &Problem{Status: st, Title: "Token-Abruf fehlgeschlagen"}
	}
	return nil, fmt.Errorf("FIT-Connect: Token-Abruf fehlgeschlagen: %w", err)
}

// resetToken drops the cached token, e.g. after the API refused it.
func (c *Client) resetToken() {
	c.mu.Lock()
	c.ts = c.newTokenSource()
	c.mu.Unlock()
}

// do sends one request and returns the body of a 2xx answer. Other answers
// become a *Problem (from application/problem+json when present). A 401 is
// retried once with a fresh token.
func (c *Client) do(ctx context.Context, method, u, contentType string, body []byte, limit int64) ([]byte, int, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.token()
		if err != nil {
			return nil, 0, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, 0, fmt.Errorf("FIT-Connect: Anfrage nicht möglich: %w", err)
		}
		tok.SetAuthHeader(req)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Accept", "application/json, application/jose, application/problem+json")
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, 0, fmt.Errorf("FIT-Connect nicht erreichbar (%s %s): %w", method, redactURL(u), err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err != nil {
			return nil, resp.StatusCode, fmt.Errorf("FIT-Connect: Antwort unvollständig (%s %s): %w", method, redactURL(u), err)
		}
		if int64(len(b)) > limit {
			return nil, resp.StatusCode, &Problem{Status: http.StatusBadGateway, Title: "Antwort von FIT-Connect ist zu groß"}
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return b, resp.StatusCode, nil
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			c.resetToken()
			continue
		}
		return nil, resp.StatusCode, parseProblem(resp, b)
	}
}

func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "?"
	}
	p.RawQuery = ""
	return p.String()
}

// parseProblem reads an application/problem+json body; a body of another
// type gives a Problem with only the status.
func parseProblem(resp *http.Response, b []byte) *Problem {
	p := &Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		_ = json.Unmarshal(b, p) // a broken body still leaves the status
	}
	p.Status = resp.StatusCode
	if p.Title == "" {
		p.Title = http.StatusText(resp.StatusCode)
	}
	return p
}

func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	b, _, err := c.do(ctx, http.MethodGet, u, "", nil, MaxJSONResponse)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &Problem{Status: http.StatusBadGateway, Title: "Antwort von FIT-Connect ist kein gültiges JSON"}
	}
	return nil
}

func (c *Client) sendJSON(ctx context.Context, method, u string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	b, _, err := c.do(ctx, method, u, "application/json", body, MaxJSONResponse)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return &Problem{Status: http.StatusBadGateway, Title: "Antwort von FIT-Connect ist kein gültiges JSON"}
		}
	}
	return nil
}

func (c *Client) sub(parts ...string) string  { return c.join(c.cfg.SubmissionAPI, parts) }
func (c *Client) dest(parts ...string) string { return c.join(c.cfg.DestinationAPI, parts) }

func (c *Client) join(base string, parts []string) string {
	var b strings.Builder
	b.WriteString(base)
	b.WriteString("/" + c.cfg.Version)
	for _, p := range parts {
		b.WriteString("/" + url.PathEscape(p))
	}
	return b.String()
}

// apiVersion hides the differences between Submission API v1 and v2
// (standards.md §1: v2 paths from php-fitconnect).
type apiVersion interface {
	// key fetches one public key of a destination by kid.
	key(ctx context.Context, c *Client, destinationID, kid string) (*Key, error)
	// serviceField is the announce body's service member.
	serviceField() string
	// eventsURL is the event log of a submission (v1 by case, v2 by
	// submission).
	eventsURL(c *Client, submissionID, caseID string) (string, error)
}

type v1 struct{}

func (v1) key(ctx context.Context, c *Client, destinationID, kid string) (*Key, error) {
	b, _, err := c.do(ctx, http.MethodGet, c.dest("destinations", destinationID, "keys", kid), "", nil, MaxJSONResponse)
	if err != nil {
		return nil, err
	}
	k, err := ParseJWK(b)
	if err != nil {
		return nil, err
	}
	if k.KeyID != kid {
		return nil, fmt.Errorf("%w: Schlüssel %s angefragt, %s erhalten", ErrKeyInvalid, kid, k.KeyID)
	}
	return k, nil
}

func (v1) serviceField() string { return "serviceType" }

func (v1) eventsURL(c *Client, _, caseID string) (string, error) {
	if caseID == "" {
		return "", errors.New("FIT-Connect: Vorgangs-ID (caseId) fehlt")
	}
	return c.sub("cases", caseID, "events"), nil
}

type v2 struct{}

func (v2) key(ctx context.Context, c *Client, destinationID, kid string) (*Key, error) {
	b, _, err := c.do(ctx, http.MethodGet, c.dest("destinations", destinationID, "keys"), "", nil, MaxJSONResponse)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("%w: keine JWK-Menge", ErrKeyInvalid)
	}
	for _, r := range set.Keys {
		var peek struct {
			Kid string `json:"kid"`
		}
		if json.Unmarshal(r, &peek) == nil && peek.Kid == kid {
			return ParseJWK(r)
		}
	}
	return nil, fmt.Errorf("%w: Zustellpunkt %s hat keinen Schlüssel %s", ErrKeyInvalid, destinationID, kid)
}

func (v2) serviceField() string { return "publicService" }

func (v2) eventsURL(c *Client, submissionID, _ string) (string, error) {
	if submissionID == "" {
		return "", errors.New("FIT-Connect: Einreichungs-ID fehlt")
	}
	return c.sub("submissions", submissionID, "events"), nil
}

// DestinationInfo is a destination as the API describes it.
type DestinationInfo struct {
	DestinationID string               `json:"destinationId"`
	Status        string               `json:"status"` // "active" when it takes submissions
	EncryptionKid string               `json:"encryptionKid"`
	Services      []DestinationService `json:"services"`
}

// DestinationService is one service a destination accepts.
type DestinationService struct {
	Identifier        string             `json:"identifier"` // LeiKa URN
	SubmissionSchemas []SubmissionSchema `json:"submissionSchemas"`
}

// Offers reports whether the destination lists the service identifier.
func (d *DestinationInfo) Offers(identifier string) bool {
	for _, s := range d.Services {
		if s.Identifier == identifier {
			return true
		}
	}
	return false
}

// Destination reads a destination: GET {DestinationAPI}/{v}/destinations/{id}.
func (c *Client) Destination(ctx context.Context, destinationID string) (*DestinationInfo, error) {
	if err := uuid.Validate(destinationID); err != nil {
		return nil, fmt.Errorf("FIT-Connect: Zustellpunkt-ID %q ist keine UUID", destinationID)
	}
	var d DestinationInfo
	if err := c.getJSON(ctx, c.dest("destinations", destinationID), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// DestinationKey reads one public key of a destination: v1 GET
// …/destinations/{id}/keys/{kid}, v2 GET …/destinations/{id}/keys and the
// key with that kid. The key is not checked; see CheckEncryptionKey.
func (c *Client) DestinationKey(ctx context.Context, destinationID, kid string) (*Key, error) {
	if kid == "" {
		return nil, fmt.Errorf("%w: kid fehlt", ErrKeyInvalid)
	}
	return c.api.key(ctx, c, destinationID, kid)
}

// ServiceRef names a service in announce bodies and submissions.
type ServiceRef struct {
	Name       string `json:"name,omitempty"`
	Identifier string `json:"identifier"`
}

// SubmissionRef identifies a submission.
type SubmissionRef struct {
	DestinationID string `json:"destinationId"`
	SubmissionID  string `json:"submissionId"`
	CaseID        string `json:"caseId"`
}

// Announce creates a submission: POST /{v}/submissions with destinationId,
// announcedAttachments (UUIDs, [] when none) and the service (v1
// serviceType, v2 publicService). The API answers 201 with the ids.
func (c *Client) Announce(ctx context.Context, destinationID string, attachmentIDs []string, service ServiceRef) (*SubmissionRef, error) {
	if attachmentIDs == nil {
		attachmentIDs = []string{}
	}
	body := map[string]any{
		"destinationId":        destinationID,
		"announcedAttachments": attachmentIDs,
		c.api.serviceField():   service,
	}
	var ref SubmissionRef
	if err := c.sendJSON(ctx, http.MethodPost, c.sub("submissions"), body, &ref); err != nil {
		return nil, err
	}
	if ref.SubmissionID == "" || ref.CaseID == "" {
		return nil, &Problem{Status: http.StatusBadGateway, Title: "Antwort ohne submissionId oder caseId"}
	}
	return &ref, nil
}

// UploadAttachment stores one attachment JWE: PUT
// /{v}/submissions/{sid}/attachments/{aid}, Content-Type application/jose.
func (c *Client) UploadAttachment(ctx context.Context, submissionID, attachmentID, jwe string) error {
	_, _, err := c.do(ctx, http.MethodPut, c.sub("submissions", submissionID, "attachments", attachmentID), "application/jose", []byte(jwe), MaxJSONResponse)
	return err
}

// Submit sends metadata and data: PUT /{v}/submissions/{sid} with
// encryptedMetadata and encryptedData; the API answers 202.
func (c *Client) Submit(ctx context.Context, submissionID, encryptedMetadata, encryptedData string) (*SubmissionRef, error) {
	body := map[string]string{"encryptedMetadata": encryptedMetadata, "encryptedData": encryptedData}
	var ref SubmissionRef
	if err := c.sendJSON(ctx, http.MethodPut, c.sub("submissions", submissionID), body, &ref); err != nil {
		return nil, err
	}
	return &ref, nil
}

// Events reads the whole event log of a submission as compact SETs, oldest
// first: v1 GET /v1/cases/{caseId}/events, v2 GET
// /v2/submissions/{sid}/events, paged with offset and limit.
func (c *Client) Events(ctx context.Context, submissionID, caseID string) ([]string, error) {
	u, err := c.api.eventsURL(c, submissionID, caseID)
	if err != nil {
		return nil, err
	}
	var out []string
	for page, offset := 0, 0; page < maxPages; page++ {
		var r struct {
			Count      int      `json:"count"`
			TotalCount int      `json:"totalCount"`
			EventLog   []string `json:"eventLog"`
		}
		if err := c.getJSON(ctx, u+"?offset="+strconv.Itoa(offset)+"&limit="+strconv.Itoa(EventPageSize), &r); err != nil {
			return nil, err
		}
		out = append(out, r.EventLog...)
		offset += len(r.EventLog)
		if len(r.EventLog) == 0 || offset >= r.TotalCount {
			return out, nil
		}
	}
	return nil, &Problem{Status: http.StatusBadGateway, Title: "Ereignisprotokoll endet nicht"}
}

// PostEvent posts a SET to a case: POST /{v}/cases/{caseId}/events,
// Content-Type application/jose.
func (c *Client) PostEvent(ctx context.Context, caseID, set string) error {
	_, _, err := c.do(ctx, http.MethodPost, c.sub("cases", caseID, "events"), "application/jose", []byte(set), MaxJSONResponse)
	return err
}

// Submissions lists the submissions waiting for a destination: GET
// /{v}/submissions?destinationId=&offset=&limit=, all pages.
func (c *Client) Submissions(ctx context.Context, destinationID string) ([]SubmissionRef, error) {
	var out []SubmissionRef
	for page, offset := 0, 0; page < maxPages; page++ {
		var r struct {
			TotalCount  int             `json:"totalCount"`
			Submissions []SubmissionRef `json:"submissions"`
		}
		q := url.Values{"destinationId": {destinationID}, "offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(EventPageSize)}}
		if err := c.getJSON(ctx, c.sub("submissions")+"?"+q.Encode(), &r); err != nil {
			return nil, err
		}
		out = append(out, r.Submissions...)
		offset += len(r.Submissions)
		if len(r.Submissions) == 0 || offset >= r.TotalCount {
			return out, nil
		}
	}
	return nil, &Problem{Status: http.StatusBadGateway, Title: "Liste der Einreichungen endet nicht"}
}

// EncryptedSubmission is a submission as the subscriber downloads it.
type EncryptedSubmission struct {
	SubmissionRef
	Service           ServiceRef // from serviceType (v1) or publicService (v2)
	Attachments       []string   // attachment ids
	EncryptedMetadata string
	EncryptedData     string
}

// Submission downloads one submission: GET /{v}/submissions/{sid}.
func (c *Client) Submission(ctx context.Context, submissionID string) (*EncryptedSubmission, error) {
	var r struct {
		SubmissionRef
		ServiceType       *ServiceRef `json:"serviceType"`
		PublicService     *ServiceRef `json:"publicService"`
		Attachments       []string    `json:"attachments"`
		EncryptedMetadata string      `json:"encryptedMetadata"`
		EncryptedData     string      `json:"encryptedData"`
	}
	if err := c.getJSON(ctx, c.sub("submissions", submissionID), &r); err != nil {
		return nil, err
	}
	s := &EncryptedSubmission{SubmissionRef: r.SubmissionRef, Attachments: r.Attachments,
		EncryptedMetadata: r.EncryptedMetadata, EncryptedData: r.EncryptedData}
	switch {
	case r.PublicService != nil:
		s.Service = *r.PublicService
	case r.ServiceType != nil:
		s.Service = *r.ServiceType
	}
	return s, nil
}

// Attachment downloads one attachment JWE: GET
// /{v}/submissions/{sid}/attachments/{aid}.
func (c *Client) Attachment(ctx context.Context, submissionID, attachmentID string) (string, error) {
	b, _, err := c.do(ctx, http.MethodGet, c.sub("submissions", submissionID, "attachments", attachmentID), "", nil, MaxAttachmentResponse)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// PlatformKeys reads the platform's SET signing keys: GET
// {SubmissionAPI}/.well-known/jwks.json (standards.md §1 "Events").
func (c *Client) PlatformKeys(ctx context.Context) ([]*Key, error) {
	b, _, err := c.do(ctx, http.MethodGet, c.cfg.SubmissionAPI+"/.well-known/jwks.json", "", nil, MaxJSONResponse)
	if err != nil {
		return nil, err
	}
	return ParseJWKSet(b)
}

// SETKeys returns a key lookup for VerifySET (standards.md §1 "Events"):
//   - iss an http(s) URL (the platform): the key with that kid from
//     PlatformKeys of the configured SubmissionAPI (never from the URL in
//     iss); it must be a public RSA key of at least 2048 bits and, if alg
//     is set, PS512;
//   - iss a UUID (a destination): that destination's key by kid, which must
//     pass CheckSignatureKey with roots at now.
//
// Keys are cached for the lifetime of the returned function.
func (c *Client) SETKeys(ctx context.Context, roots *x509.CertPool, now time.Time) func(iss, kid string) (*jose.JSONWebKey, error) {
	var platform []*Key
	cache := map[string]*jose.JSONWebKey{}
	return func(iss, kid string) (*jose.JSONWebKey, error) {
		if k, ok := cache[iss+"\x00"+kid]; ok {
			return k, nil
		}
		var found *jose.JSONWebKey
		if u, err := url.Parse(iss); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			if platform == nil {
				ks, err := c.PlatformKeys(ctx)
				if err != nil {
					return nil, err
				}
				platform = ks
			}
			for _, k := range platform {
				if k.KeyID != kid {
					continue
				}
				pub, ok := k.Key.(*rsa.PublicKey)
				if !ok || pub.N.BitLen() < 2048 || (k.Algorithm != "" && k.Algorithm != AlgSignature) {
					return nil, fmt.Errorf("%w: Plattformschlüssel %s ist kein öffentlicher RSA-Schlüssel für PS512", ErrKeyInvalid, kid)
				}
				found = &k.JSONWebKey
				break
			}
			if found == nil {
				return nil, fmt.Errorf("%w: kein Plattformschlüssel %s", ErrKeyInvalid, kid)
			}
		} else if uuid.Validate(iss) == nil {
			k, err := c.DestinationKey(ctx, iss, kid)
			if err != nil {
				return nil, err
			}
			if err := CheckSignatureKey(k, roots, now); err != nil {
				return nil, err
			}
			found = &k.JSONWebKey
		} else {
			return nil, fmt.Errorf("%w: unbekannter Aussteller", ErrSET)
		}
		cache[iss+"\x00"+kid] = found
		return found, nil
	}
}
