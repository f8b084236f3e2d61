// Package oidc is an OpenID Connect relying party (OpenID Connect Core 1.0,
// authorization code flow; PKCE with S256, RFC 7636; the iss response
// parameter, RFC 9207) for Keycloak-brokered citizen and business accounts,
// the Länder OIDC portals and the municipalities' own staff IdPs. It uses
// github.com/coreos/go-oidc/v3 for discovery and ID token verification
// (signature by the provider's JWKS, issuer, audience, expiry) and
// golang.org/x/oauth2 for the code exchange; it adds the checks those leave
// to their caller (state, nonce, azp, iat, auth_time) and maps the claims
// to an identity.Identity through a Profile given as data.
//
// A login is two requests: Begin returns the provider's authorization URL
// and a Pending that the caller keeps in the browser's session; Finish
// takes the callback's query and the Pending and returns the identity.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/antrag/antrag/internal/identity"
)

// Errors of Finish. None of them carries personal data, so they may be
// logged as they are.
var (
	// ErrState: the callback's state is not the one Begin made (a forged
	// or replayed callback, or a login begun in another tab).
	ErrState = errors.New("oidc: state does not match")
	// ErrPendingExpired: the login was begun more than PendingTTL ago.
	ErrPendingExpired = errors.New("oidc: login took too long")
	// ErrProvider: the provider answered with an error (the person
	// cancelled, or the provider refused).
	ErrProvider = errors.New("oidc: provider returned an error")
	// ErrIssuer: the callback's iss parameter names another provider
	// (RFC 9207, mix-up).
	ErrIssuer = errors.New("oidc: callback from another issuer")
	// ErrToken: the ID token failed verification (signature, issuer,
	// audience, expiry, nonce, azp, iat, auth_time).
	ErrToken = errors.New("oidc: ID token rejected")
	// ErrLevel: the login's level is below the minimum Begin asked for.
	ErrLevel = errors.New("oidc: trust level below the minimum")
	// ErrUnavailable: the provider could not be reached (discovery, JWKS
	// or token endpoint).
	ErrUnavailable = errors.New("oidc: provider unavailable")
)

// PendingTTL is how long a login may take from Begin to Finish.
const PendingTTL = 10 * time.Minute

// clockSkew is the tolerance for iat and auth_time in the future.
const clockSkew = 2 * time.Minute

// Pending is what a login in progress keeps between Begin and Finish, in
// the browser's session (never in a URL). It holds secrets: State, Nonce
// and the PKCE Verifier.
type Pending struct {
	Provider    string         `json:"provider"`
	RedirectURL string         `json:"redirect"`
	State       string         `json:"state"`
	Nonce       string         `json:"nonce"`
	Verifier    string         `json:"verifier"`
	MinLevel    identity.Level `json:"min_level"`
	Started     time.Time      `json:"started"`
}

// RP is the relying party for one profile. It discovers the provider's
// endpoints on first use (and again after a failure). It is safe for
// concurrent use.
type RP struct {
	profile *Profile
	client  *http.Client
	now     func() time.Time

	mu       sync.Mutex
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
}

// New returns the relying party of a validated profile. client reaches the
// provider (nil: http.DefaultClient with a 10 s timeout); now is the clock
// (nil: time.Now).
func New(p *Profile, client *http.Client, now func() time.Time) *RP {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &RP{profile: p, client: client, now: now}
}

// Profile returns the relying party's profile.
func (rp *RP) Profile() *Profile { return rp.profile }

func (rp *RP) ctx(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, rp.client)
}

// discover fetches the provider's metadata once.
func (rp *RP) discover(ctx context.Context) (*gooidc.Provider, *gooidc.IDTokenVerifier, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider != nil {
		return rp.provider, rp.verifier, nil
	}
	p, err := gooidc.NewProvider(rp.ctx(ctx), rp.profile.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, rp.profile.ID, err)
	}
	rp.provider = p
	rp.verifier = p.Verifier(&gooidc.Config{ClientID: rp.profile.ClientID, Now: rp.now})
	return rp.provider, rp.verifier, nil
}

func (rp *RP) oauth(p *gooidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: rp.profile.ClientID, ClientSecret: rp.profile.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURL, Scopes: append([]string{gooidc.ScopeOpenID}, rp.profile.Scopes...)}
}

// Begin starts a login: it returns the URL to send the browser to and the
// Pending to keep in its session. redirectURL is the callback address
// registered at the provider; minLevel is the least Vertrauensniveau the
// login must reach (sent as acr_values when the profile maps one; Finish
// checks it).
func (rp *RP) Begin(ctx context.Context, redirectURL string, minLevel identity.Level) (string, *Pending, error) {
	p, _, err := rp.discover(ctx)
	if err != nil {
		return "", nil, err
	}
	pd := &Pending{Provider: rp.profile.ID, RedirectURL: redirectURL, State: rand.Text(), Nonce: rand.Text(),
		Verifier: oauth2.GenerateVerifier(), MinLevel: minLevel, Started: rp.now()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pd.Verifier), gooidc.Nonce(pd.Nonce)}
	if acr := rp.profile.Level.requestACR(minLevel); acr != "" && minLevel > identity.LevelNone {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acr))
	}
	if rp.profile.MaxAgeSeconds > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("max_age", strconv.Itoa(rp.profile.MaxAgeSeconds)))
	}
	return rp.oauth(p, redirectURL).AuthCodeURL(pd.State, opts...), pd, nil
}

// Finish completes a login from the callback's query parameters and the
// Pending that Begin returned (the caller deletes it from the session
// before, so that it is used once). It returns the identity, or one of the
// errors above (wrapped with detail free of personal data). For ErrLevel
// it also returns the identity, so that the caller can say which level
// the login reached.
func (rp *RP) Finish(ctx context.Context, pd *Pending, q url.Values) (*identity.Identity, error) {
	id, _, err := rp.FinishWithClaims(ctx, pd, q)
	return id, err
}

// FinishWithClaims is Finish that also returns all claims of the verified
// ID token (for staff logins, which read claims that are no identity
// attributes, such as groups).
func (rp *RP) FinishWithClaims(ctx context.Context, pd *Pending, q url.Values) (*identity.Identity, map[string]any, error) {
	if pd == nil || pd.Provider != rp.profile.ID || pd.State == "" {
		return nil, nil, ErrState
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pd.State)) != 1 {
		return nil, nil, ErrState
	}
	if age := rp.now().Sub(pd.Started); age > PendingTTL || age < -clockSkew {
		return nil, nil, ErrPendingExpired
	}
	if e := q.Get("error"); e != "" {
		return nil, nil, fmt.Errorf("%w: %s", ErrProvider, safeCode(e))
	}
	if iss := q.Get("iss"); iss != "" && iss != rp.profile.Issuer {
		return nil, nil, ErrIssuer
	}
	code := q.Get("code")
	if code == "" {
		return nil, nil, fmt.Errorf("%w: no code", ErrProvider)
	}
	p, v, err := rp.discover(ctx)
	if err != nil {
		return nil, nil, err
	}
	tok, err := rp.oauth(p, pd.RedirectURL).Exchange(rp.ctx(ctx), code, oauth2.VerifierOption(pd.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, nil, fmt.Errorf("%w: token endpoint: %s", ErrProvider, safeCode(re.ErrorCode))
		}
		return nil, nil, fmt.Errorf("%w: token endpoint: %w", ErrUnavailable, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil, fmt.Errorf("%w: no id_token", ErrToken)
	}
	return rp.verify(ctx, v, pd, raw)
}

// verify checks the raw ID token against the Pending and maps it.
func (rp *RP) verify(ctx context.Context, v *gooidc.IDTokenVerifier, pd *Pending, raw string) (*identity.Identity, map[string]any, error) {
	idt, err := v.Verify(rp.ctx(ctx), raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pd.Nonce)) != 1 {
		return nil, nil, fmt.Errorf("%w: nonce does not match", ErrToken)
	}
	var extra struct {
		AZP string `json:"azp"`
	}
	if err := idt.Claims(&extra); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if (len(idt.Audience) > 1 || extra.AZP != "") && extra.AZP != rp.profile.ClientID {
		return nil, nil, fmt.Errorf("%w: azp is not this client", ErrToken)
	}
	now := rp.now()
	if idt.IssuedAt.After(now.Add(clockSkew)) {
		return nil, nil, fmt.Errorf("%w: issued in the future", ErrToken)
	}
	var payload json.RawMessage
	if err := idt.Claims(&payload); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	id, err := rp.profile.MapClaims(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if id.AuthnTime.After(now.Add(clockSkew)) {
		return nil, nil, fmt.Errorf("%w: auth_time in the future", ErrToken)
	}
	if m := rp.profile.MaxAgeSeconds; m > 0 && (id.AuthnTime.IsZero() || now.Sub(id.AuthnTime) > time.Duration(m)*time.Second+clockSkew) {
		return nil, nil, fmt.Errorf("%w: authentication older than max_age", ErrToken)
	}
	id.Issuer = idt.Issuer
	if id.AssertionID == "" {
		sum := sha256.Sum256([]byte(raw))
		id.AssertionID = "sha256:" + hex.EncodeToString(sum[:])
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if id.Level < pd.MinLevel {
		return id, nil, fmt.Errorf("%w: %s, required %s", ErrLevel, id.Level, pd.MinLevel)
	}
	return id, claims, nil
}

// safeCode returns an OAuth error code for logging: the codes are ASCII
// words (RFC 6749 §4.1.2.1); anything else is replaced.
func safeCode(s string) string {
	if s == "" || len(s) > 64 {
		return "other"
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "other"
		}
	}
	return s
}
