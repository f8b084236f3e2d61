// Package oidctest is an OpenID provider for tests (OpenID Connect Core 1.0,
// authorization code flow with PKCE, RFC 7636): discovery, a JWKS, an
// authorization endpoint that approves every request at once, and a token
// endpoint that issues RS256-signed ID tokens. Tests choose the person's
// claims and can spoil the next token (wrong nonce, audience, signature,
// expiry) to see that the relying party refuses it.
//
// It is for tests only: it checks clients loosely and keeps everything in
// memory.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Provider is a running test OpenID provider.
type Provider struct {
	// Issuer is the provider's issuer URL (the test server's URL).
	Issuer       string
	ClientID     string
	ClientSecret string
	// Now is the provider's clock for iat, exp and auth_time; nil:
	// time.Now.
	Now func() time.Time

	srv   *httptest.Server
	key   *rsa.PrivateKey
	other *rsa.PrivateKey

	mu     sync.Mutex
	claims map[string]any
	tamper func(claims map[string]any)
	badSig bool
	grants map[string]grant
	// Requests are the query parameters of the authorization requests
	// received, oldest first.
	requests []url.Values
}

type grant struct {
	clientID, redirectURI, nonce, challenge string
	claims                                  map[string]any
}

// New starts a provider with a client "antrag" (secret "geheim"); it stops
// when the test ends.
func New(t interface {
	Helper()
	Cleanup(func())
	Fatalf(string, ...any)
}) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	p := &Provider{ClientID: "antrag", ClientSecret: "geheim", key: key, other: other, grants: map[string]grant{},
		claims: map[string]any{"sub": "person-1"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.Issuer = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// Client is an HTTP client that reaches the provider.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// SetClaims sets the claims of the ID tokens issued from now on (besides
// iss, aud, exp, iat, nonce and auth_time, which the provider sets; a
// "sub" given here is used, else "person-1").
func (p *Provider) SetClaims(c map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims = maps.Clone(c)
	if _, ok := p.claims["sub"]; !ok {
		p.claims["sub"] = "person-1"
	}
}

// Tamper changes the claims of the next ID token just before it is signed
// (e.g. a wrong nonce or aud, an exp in the past); nil stops it.
func (p *Provider) Tamper(f func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = f
}

// SignWithOtherKey makes the provider sign ID tokens with a key that its
// JWKS does not publish (under the published key id).
func (p *Provider) SignWithOtherKey(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.badSig = on
}

// Requests returns the query parameters of the authorization requests so
// far.
func (p *Provider) Requests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.requests...)
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.Issuer + "/authorize",
		"token_endpoint":                        p.Issuer + "/token",
		"jwks_uri":                              p.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize approves the request at once: it redirects to redirect_uri
// with a code and the state.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.requests = append(p.requests, q)
	p.mu.Unlock()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("redirect_uri") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.grants[code] = grant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), claims: maps.Clone(p.claims)}
	p.mu.Unlock()
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	v.Set("iss", p.Issuer)
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		tokenError(w, "invalid_client")
		return
	}
	p.mu.Lock()
	g, found := p.grants[r.PostForm.Get("code")]
	delete(p.grants, r.PostForm.Get("code"))
	tamper, badSig := p.tamper, p.badSig
	p.tamper = nil
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !found:
		w.WriteHeader(http.StatusBadRequest)
		tokenError(w, "invalid_grant")
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri") || g.clientID != id:
		w.WriteHeader(http.StatusBadRequest)
		tokenError(w, "invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		w.WriteHeader(http.StatusBadRequest)
		tokenError(w, "invalid_grant")
		return
	}
	now := p.now()
	claims := maps.Clone(g.claims)
	claims["iss"], claims["aud"] = p.Issuer, p.ClientID
	claims["iat"], claims["exp"] = now.Unix(), now.Add(5*time.Minute).Unix()
	if _, ok := claims["auth_time"]; !ok {
		claims["auth_time"] = now.Unix()
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if tamper != nil {
		tamper(claims)
	}
	key := p.key
	if badSig {
		key = p.other
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	raw, _ := jws.CompactSerialize()
	writeJSON(w, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

func tokenError(w http.ResponseWriter, code string) {
	writeJSON(w, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Close stops the provider now (it stops at the end of the test anyway).
func (p *Provider) Close() { p.srv.Close() }
