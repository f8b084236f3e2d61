package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/antrag/antrag/internal/payment"
)

// authenticate checks the API caller as cfg.Auth requires; nil is
// authenticated.
func (s *Sandbox) authenticate(r *http.Request) *apiError {
	forbidden := &apiError{http.StatusUnauthorized, payment.CodeForbidden, "nicht angemeldet"}
	switch s.cfg.Auth {
	case AuthBasic:
		user, pass, ok := r.BasicAuth()
		if !ok || !equal(user, s.cfg.Username) || !equal(pass, s.cfg.Password) {
			return forbidden
		}
	case AuthOAuth2:
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.validToken(tok) {
			return forbidden
		}
	case AuthMTLS:
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return &apiError{http.StatusForbidden, payment.CodeForbidden, "Client-Zertifikat erforderlich"}
		}
	}
	return nil
}

func (s *Sandbox) challenge() string {
	if s.cfg.Auth == AuthOAuth2 {
		return `Bearer realm="sandbox"`
	}
	return `Basic realm="sandbox", charset="UTF-8"`
}

func (s *Sandbox) validToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.cfg.Now().Before(exp)
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// token is the OAuth2 token endpoint for the client credentials grant
// (RFC 6749, 4.4): client_id and client_secret by HTTP Basic (form
// encoded, 2.3.1) or in the form body.
func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Auth != AuthOAuth2 {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if !equal(id, s.cfg.ClientID) || !equal(secret, s.cfg.ClientSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	tok := rand.Text()
	s.mu.Lock()
	now := s.cfg.Now()
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = now.Add(s.cfg.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int(s.cfg.TokenTTL.Seconds()),
	})
}
