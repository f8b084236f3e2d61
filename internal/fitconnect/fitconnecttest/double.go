package fitconnecttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Defaults and hard limits of the double.
const (
	// DefaultTokenTTL is how long an access token is valid when
	// Options.TokenTTL is zero.
	DefaultTokenTTL = time.Hour
	// DefaultMaxAttachmentBytes is the body limit of attachment uploads
	// (64 MiB) when Options.MaxAttachmentBytes is zero.
	DefaultMaxAttachmentBytes int64 = 64 << 20
	// DefaultMaxBodyBytes is the body limit of all other requests (16 MiB)
	// when Options.MaxBodyBytes is zero.
	DefaultMaxBodyBytes int64 = 16 << 20
	// DefaultMaxStoredBytes bounds the JWE bytes held in memory (1 GiB)
	// when Options.MaxStoredBytes is zero.
	DefaultMaxStoredBytes int64 = 1 << 30
	// DefaultMaxSubmissions bounds the number of submissions held in memory
	// when Options.MaxSubmissions is zero.
	DefaultMaxSubmissions = 10000
	// DefaultCallbackAttempts is the number of delivery attempts per
	// callback when Options.CallbackAttempts is zero.
	DefaultCallbackAttempts = 5
	// DefaultCallbackBackoff is the wait before the second callback attempt
	// when Options.CallbackBackoff is zero; it doubles per attempt, capped
	// at 10 s.
	DefaultCallbackBackoff = 200 * time.Millisecond
	// DefaultCallbackTimeout bounds one callback attempt when
	// Options.CallbackTimeout is zero.
	DefaultCallbackTimeout = 10 * time.Second

	// MaxAnnouncedAttachments is the most attachments one submission may
	// announce.
	MaxAnnouncedAttachments = 1000
	// MaxListLimit is the largest accepted limit query parameter of list
	// endpoints; the default limit is 100.
	MaxListLimit = 500

	maxTokens           = 10000
	maxCallbackLog      = 1000
	maxPendingCallbacks = 1000
	maxParallelCallback = 8
	maxTokenBodyBytes   = 64 << 10
	platformKeyBits     = 2048
	defaultIssuer       = "https://fitconnecttest.invalid"
)

// Options configures a Double. The zero value is usable.
type Options struct {
	// BaseURL is the public URL at which the handler's root is reachable,
	// e.g. "https://antrag.example/demo/fitconnect" (no version suffix, a
	// trailing slash is dropped). It is the iss of the double's own SETs.
	// It may be set later with SetBaseURL; while empty, iss is
	// "https://fitconnecttest.invalid".
	BaseURL string
	// Now returns the current time; nil means time.Now. Used for token
	// expiry, SET iat and callback-timestamp.
	Now func() time.Time
	// HTTPClient sends callbacks; nil means a client with
	// CallbackTimeout as timeout.
	HTTPClient *http.Client
	// TokenTTL is the validity of access tokens; zero means DefaultTokenTTL.
	// expires_in is returned in whole seconds.
	TokenTTL time.Duration
	// PlatformKey signs the double's own SETs (PS512); nil means a fresh
	// RSA-2048 key. Must have at least 2048 bits.
	PlatformKey *rsa.PrivateKey
	// PortalKey signs the destinationSignature of routes as the
	// self-service portal (PS512); nil means an RSA-4096 key generated
	// once per process on first use. Must have at least PortalKeyBits.
	PortalKey *rsa.PrivateKey
	// MaxAttachmentBytes limits attachment upload bodies; zero means
	// DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64
	// MaxBodyBytes limits all other request bodies; zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxStoredBytes limits the total size of stored JWEs; an upload or
	// submit that would exceed it gets 507. Zero means
	// DefaultMaxStoredBytes.
	MaxStoredBytes int64
	// MaxSubmissions limits the number of submissions kept; announcing more
	// gets 507. Zero means DefaultMaxSubmissions.
	MaxSubmissions int
	// CallbackAttempts is the number of attempts per callback; zero means
	// DefaultCallbackAttempts.
	CallbackAttempts int
	// CallbackBackoff is the wait before the second attempt, doubled per
	// attempt up to 10 s; zero means DefaultCallbackBackoff.
	CallbackBackoff time.Duration
	// CallbackTimeout bounds each attempt; zero means
	// DefaultCallbackTimeout.
	CallbackTimeout time.Duration
}

// Service is a public service (Leistung) a destination accepts.
type Service struct {
	// Identifier is the LeiKa URN, e.g.
	// "urn:de:fim:leika:leistung:99018115001001". Required.
	Identifier string
	// Name is informational only.
	Name string
	// SubmissionSchemas are the accepted data schemas.
	SubmissionSchemas []Schema
}

// Schema is a submission data schema of a service.
type Schema struct {
	// URI is the schemaUri, e.g. "https://schema.fitko.de/fim/s00000092_1.0.schema.json".
	URI string
	// MimeType is "application/json" or "application/xml" (not checked).
	MimeType string
}

// Destination is a FIT-Connect destination (Zustellpunkt) registered with
// AddDestination.
type Destination struct {
	// ID is the destination id, a UUID (8-4-4-4-12 hex digits).
	ID string
	// PublicKeys is a JWK set JSON ({"keys":[…]}) of public RSA keys, each
	// with a kid and key_ops: the encryption key (key_ops ["wrapKey"]) and
	// the signature key(s) (key_ops ["verify"]) the subscriber signs its
	// SETs with. Keys are served exactly as given (x5c included); an x5c,
	// if present, must match the key.
	PublicKeys []byte
	// EncryptionKid names the key in PublicKeys with key_ops wrapKey.
	EncryptionKid string
	// Services lists the accepted services; at least one.
	Services []Service
	// CallbackURL, if set, receives a new-submissions callback after each
	// submit (absolute http or https URL).
	CallbackURL string
	// CallbackSecret keys the callback HMAC-SHA512.
	CallbackSecret []byte
}

// State is the state of a submission.
type State string

// Submission states.
const (
	StateAnnounced State = "announced"
	StateSubmitted State = "submitted"
	StateAccepted  State = "accepted"
	StateRejected  State = "rejected"
)

// SubmissionView is a snapshot of a stored submission, for inspection by
// tests. It shares no memory with the double.
type SubmissionView struct {
	ID                string
	CaseID            string
	DestinationID     string
	State             State
	ServiceIdentifier string
	ServiceName       string
	// AnnouncedAttachments are the announced attachment ids in announce
	// order.
	AnnouncedAttachments []string
	// Attachments maps attachment id to the uploaded compact JWE.
	Attachments       map[string]string
	EncryptedMetadata string
	EncryptedData     string
	// Events is the event log (compact SETs) in order.
	Events []string
}

// Stored is the mutable part of a stored submission handed to Tamper.
type Stored struct {
	// Attachments maps attachment id to compact JWE. Adding ids that were
	// not announced has no effect on the API (only announced ids are
	// served).
	Attachments       map[string]string
	EncryptedMetadata string
	EncryptedData     string
	// Events is the event log (compact SETs).
	Events []string
}

// CallbackAttempt records one callback delivery attempt.
type CallbackAttempt struct {
	DestinationID string
	SubmissionID  string
	URL           string
	// Attempt counts from 1.
	Attempt int
	// Status is the HTTP status, 0 if no response was received.
	Status int
	// Err is the transport error, or "" if a response was received.
	Err  string
	Time time.Time
}

// Errors returned by the administration methods.
var (
	ErrInvalidDestination = errors.New("fitconnecttest: invalid destination")
	ErrUnknownSubmission  = errors.New("fitconnecttest: unknown submission")
)

// Double is the in-memory FIT-Connect Submission API test double. Create it
// with New (or Start/NewServer); all methods are safe for concurrent use.
type Double struct {
	opts        Options
	handler     http.Handler
	platformKey *rsa.PrivateKey
	platformKid string
	jwks        []byte

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	cbSem  chan struct{}

	mu          sync.Mutex
	baseURL     string
	clients     map[string]string
	tokens      map[string]time.Time
	dests       map[string]*destination
	subs        map[string]*submission
	order       []*submission
	cases       map[string]*submission
	fails       []*failRule
	refused     int
	requests    map[string]int
	storedBytes int64
	seq         int64
	closed      bool
	cbPending   int
	callbackLog []CallbackAttempt
	routeList   []*storedRoute

	portalOnce sync.Once
	portalKeys *portalKeys
	portalErr  error
}

type pubKey struct {
	kid string
	raw json.RawMessage
	ops []string
	jwk jose.JSONWebKey
}

func (k *pubKey) has(op string) bool { return slices.Contains(k.ops, op) }

type destination struct {
	cfg  Destination
	keys []*pubKey
}

func (d *destination) key(kid string) *pubKey {
	for _, k := range d.keys {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

func (d *destination) service(identifier string) bool {
	for _, s := range d.cfg.Services {
		if s.Identifier == identifier {
			return true
		}
	}
	return false
}

type submission struct {
	id, caseID, destID string
	serviceIdentifier  string
	serviceName        string
	announced          []string
	attachments        map[string]string
	metadata, data     string
	state              State
	events             []string
	submittedSeq       int64
	bytes              int64
}

func (s *submission) isAnnounced(aid string) bool { return slices.Contains(s.announced, aid) }

func (s *submission) size() int64 {
	n := int64(len(s.metadata) + len(s.data))
	for _, v := range s.attachments {
		n += int64(len(v))
	}
	return n
}

func (s *submission) view() SubmissionView {
	att := make(map[string]string, len(s.attachments))
	for k, v := range s.attachments {
		att[k] = v
	}
	return SubmissionView{
		ID:                   s.id,
		CaseID:               s.caseID,
		DestinationID:        s.destID,
		State:                s.state,
		ServiceIdentifier:    s.serviceIdentifier,
		ServiceName:          s.serviceName,
		AnnouncedAttachments: slices.Clone(s.announced),
		Attachments:          att,
		EncryptedMetadata:    s.metadata,
		EncryptedData:        s.data,
		Events:               slices.Clone(s.events),
	}
}

// New returns a Double configured by opts. It fails only if
// opts.PlatformKey is too small or invalid, or no key can be generated.
// Call Close when done to stop callback deliveries.
func New(opts Options) (*Double, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.MaxAttachmentBytes <= 0 {
		opts.MaxAttachmentBytes = DefaultMaxAttachmentBytes
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxStoredBytes <= 0 {
		opts.MaxStoredBytes = DefaultMaxStoredBytes
	}
	if opts.MaxSubmissions <= 0 {
		opts.MaxSubmissions = DefaultMaxSubmissions
	}
	if opts.CallbackAttempts <= 0 {
		opts.CallbackAttempts = DefaultCallbackAttempts
	}
	if opts.CallbackBackoff <= 0 {
		opts.CallbackBackoff = DefaultCallbackBackoff
	}
	if opts.CallbackTimeout <= 0 {
		opts.CallbackTimeout = DefaultCallbackTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.CallbackTimeout}
	}
	key := opts.PlatformKey
	if key == nil {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, platformKeyBits)
		if err != nil {
			return nil, fmt.Errorf("fitconnecttest: generate platform key: %w", err)
		}
	} else {
		if key.N == nil || key.N.BitLen() < platformKeyBits {
			return nil, fmt.Errorf("fitconnecttest: platform key needs at least %d bits", platformKeyBits)
		}
		if err := key.Validate(); err != nil {
			return nil, fmt.Errorf("fitconnecttest: platform key: %w", err)
		}
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.PS512), Use: "sig"}
	tp, err := pub.Thumbprint(cryptoSHA256)
	if err != nil {
		return nil, fmt.Errorf("fitconnecttest: platform key thumbprint: %w", err)
	}
	pub.KeyID = b64(tp)
	jwks, err := jwksWithOps(pub, "verify")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Double{
		opts:        opts,
		platformKey: key,
		platformKid: pub.KeyID,
		jwks:        jwks,
		ctx:         ctx,
		cancel:      cancel,
		cbSem:       make(chan struct{}, maxParallelCallback),
		clients:     map[string]string{},
		tokens:      map[string]time.Time{},
		dests:       map[string]*destination{},
		subs:        map[string]*submission{},
		cases:       map[string]*submission{},
		requests:    map[string]int{},
	}
	d.SetBaseURL(opts.BaseURL)
	d.handler = d.routes()
	return d, nil
}

// jwksWithOps renders {"keys":[k]} with key_ops added (go-jose does not
// know key_ops).
func jwksWithOps(k jose.JSONWebKey, ops ...string) ([]byte, error) {
	raw, err := k.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("fitconnecttest: marshal platform key: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("fitconnecttest: marshal platform key: %w", err)
	}
	m["key_ops"] = ops
	return json.Marshal(map[string]any{"keys": []any{m}})
}

// Handler returns the HTTP handler serving all endpoints relative to its
// root. It may be mounted below http.StripPrefix.
func (d *Double) Handler() http.Handler { return d.handler }

// SetBaseURL sets the public URL of the handler's root (see
// Options.BaseURL). A trailing slash is dropped.
func (d *Double) SetBaseURL(u string) {
	d.mu.Lock()
	d.baseURL = strings.TrimRight(strings.TrimSpace(u), "/")
	d.mu.Unlock()
}

// BaseURL returns the current base URL ("" if unset).
func (d *Double) BaseURL() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.baseURL
}

// PlatformJWKS returns the JWK set JSON served at /.well-known/jwks.json:
// the public RSA key (alg PS512, key_ops verify) that signs the double's
// own SETs.
func (d *Double) PlatformJWKS() []byte { return bytes.Clone(d.jwks) }

// PlatformKeyID returns the kid of the platform signing key.
func (d *Double) PlatformKeyID() string { return d.platformKid }

// AddClient registers (or re-registers with a new secret) an OAuth2 client.
// Any registered client may use any endpoint and any destination.
func (d *Double) AddClient(clientID, clientSecret string) {
	d.mu.Lock()
	d.clients[clientID] = clientSecret
	d.mu.Unlock()
}

// AddDestination registers dest, replacing the configuration of a
// destination with the same ID (existing submissions are kept). Errors wrap
// ErrInvalidDestination: ID not a UUID, PublicKeys not a JWK set of public
// RSA keys each with kid and key_ops, EncryptionKid missing or not a
// wrapKey key, no service, an empty service identifier, or a CallbackURL
// that is not an absolute http(s) URL.
func (d *Double) AddDestination(dest Destination) error {
	if !isUUID(dest.ID) {
		return fmt.Errorf("%w: id %q is not a UUID", ErrInvalidDestination, dest.ID)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(dest.PublicKeys, &set); err != nil {
		return fmt.Errorf("%w: public keys are not a JWK set: %v", ErrInvalidDestination, err)
	}
	nd := &destination{}
	for i, raw := range set.Keys {
		var meta struct {
			Kid    string   `json:"kid"`
			Kty    string   `json:"kty"`
			KeyOps []string `json:"key_ops"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("%w: key %d: %v", ErrInvalidDestination, i, err)
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("%w: key %d: %v", ErrInvalidDestination, i, err)
		}
		if _, ok := jwk.Key.(*rsa.PublicKey); !ok || meta.Kty != "RSA" {
			return fmt.Errorf("%w: key %d: not a public RSA key", ErrInvalidDestination, i)
		}
		if meta.Kid == "" {
			return fmt.Errorf("%w: key %d has no kid", ErrInvalidDestination, i)
		}
		if len(meta.KeyOps) == 0 {
			return fmt.Errorf("%w: key %q has no key_ops", ErrInvalidDestination, meta.Kid)
		}
		if nd.key(meta.Kid) != nil {
			return fmt.Errorf("%w: duplicate kid %q", ErrInvalidDestination, meta.Kid)
		}
		nd.keys = append(nd.keys, &pubKey{kid: meta.Kid, raw: bytes.Clone(raw), ops: meta.KeyOps, jwk: jwk})
	}
	ek := nd.key(dest.EncryptionKid)
	if ek == nil || !ek.has("wrapKey") {
		return fmt.Errorf("%w: encryptionKid %q is not a key with key_ops wrapKey", ErrInvalidDestination, dest.EncryptionKid)
	}
	if len(dest.Services) == 0 {
		return fmt.Errorf("%w: no services", ErrInvalidDestination)
	}
	for _, s := range dest.Services {
		if s.Identifier == "" {
			return fmt.Errorf("%w: service without identifier", ErrInvalidDestination)
		}
	}
	if dest.CallbackURL != "" {
		u, err := url.Parse(dest.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: callback URL %q is not an absolute http(s) URL", ErrInvalidDestination, dest.CallbackURL)
		}
	}
	cfg := dest
	cfg.PublicKeys = bytes.Clone(dest.PublicKeys)
	cfg.CallbackSecret = bytes.Clone(dest.CallbackSecret)
	cfg.Services = make([]Service, len(dest.Services))
	for i, s := range dest.Services {
		s.SubmissionSchemas = slices.Clone(s.SubmissionSchemas)
		cfg.Services[i] = s
	}
	nd.cfg = cfg
	d.mu.Lock()
	d.dests[strings.ToLower(dest.ID)] = nd
	d.mu.Unlock()
	return nil
}

// Submissions returns snapshots of the submissions to destinationID (all
// destinations if destinationID is ""), in announce order.
func (d *Double) Submissions(destinationID string) []SubmissionView {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []SubmissionView
	for _, s := range d.order {
		if destinationID == "" || strings.EqualFold(s.destID, destinationID) {
			out = append(out, s.view())
		}
	}
	return out
}

// Submission returns a snapshot of one submission and whether it exists.
func (d *Double) Submission(submissionID string) (SubmissionView, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.subs[strings.ToLower(submissionID)]
	if !ok {
		return SubmissionView{}, false
	}
	return s.view(), true
}

// Tamper lets a test alter the stored JWEs and events of a submission, e.g.
// to test the receiver's checks. f runs with the double locked: it must not
// call methods of the Double. Nothing f stores is validated. Returns
// ErrUnknownSubmission if there is no such submission.
func (d *Double) Tamper(submissionID string, f func(*Stored)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.subs[strings.ToLower(submissionID)]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownSubmission, submissionID)
	}
	v := s.view()
	st := &Stored{Attachments: v.Attachments, EncryptedMetadata: v.EncryptedMetadata, EncryptedData: v.EncryptedData, Events: v.Events}
	if f != nil {
		f(st)
	}
	if st.Attachments == nil {
		st.Attachments = map[string]string{}
	}
	s.attachments = st.Attachments
	s.metadata = st.EncryptedMetadata
	s.data = st.EncryptedData
	s.events = st.Events
	d.storedBytes -= s.bytes
	s.bytes = s.size()
	d.storedBytes += s.bytes
	return nil
}

// Requests returns the number of requests served per route pattern, e.g.
// "PUT /v1/submissions/{sid}" → 3; requests matching no route are counted
// under "unmatched". Refused (Fail) and unauthorised requests are counted
// too.
func (d *Double) Requests() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.requests))
	for k, v := range d.requests {
		out[k] = v
	}
	return out
}

// CallbackLog returns the most recent callback attempts (at most 1000),
// oldest first.
func (d *Double) CallbackLog() []CallbackAttempt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.callbackLog)
}

// Close stops callback deliveries and waits for their goroutines. The
// handler keeps serving; later submits send no callbacks. Close is
// idempotent.
func (d *Double) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

func (d *Double) issuer() string {
	if d.baseURL == "" {
		return defaultIssuer
	}
	return d.baseURL
}
