package fitconnecttest

import (
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const cryptoSHA256 = crypto.SHA256

// ProblemBase prefixes the type of every problem document the double
// answers with.
const ProblemBase = "https://schema.fitko.de/fit-connect/submission-api/problems/"

// Problem types (ProblemBase + name) the double answers with.
const (
	ProblemDestinationNotFound    = ProblemBase + "destination-not-found"
	ProblemKeyNotFound            = ProblemBase + "key-not-found"
	ProblemSubmissionNotFound     = ProblemBase + "submission-not-found"
	ProblemAttachmentNotFound     = ProblemBase + "attachment-not-found"
	ProblemCaseNotFound           = ProblemBase + "case-not-found"
	ProblemServiceNotAccepted     = ProblemBase + "service-not-accepted"
	ProblemSubmissionStateInvalid = ProblemBase + "submission-state-invalid"
	ProblemMissingAttachments     = ProblemBase + "missing-attachments"
	ProblemInvalidJWE             = ProblemBase + "invalid-jwe"
	ProblemInvalidEvent           = ProblemBase + "invalid-event"
	ProblemInvalidRequest         = ProblemBase + "invalid-request"
	ProblemUnauthorized           = ProblemBase + "unauthorized"
	ProblemUnsupportedMediaType   = ProblemBase + "unsupported-media-type"
	ProblemPayloadTooLarge        = ProblemBase + "payload-too-large"
	ProblemInsufficientStorage    = ProblemBase + "insufficient-storage"
	ProblemNotFound               = ProblemBase + "not-found"
	ProblemMethodNotAllowed       = ProblemBase + "method-not-allowed"
	ProblemServiceUnavailable     = ProblemBase + "service-unavailable"
	ProblemTooManyRequests        = ProblemBase + "too-many-requests"
	ProblemInternalServerError    = ProblemBase + "internal-server-error"
)

// Problem is an RFC 7807 problem document as the double writes it
// (Content-Type application/problem+json).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Values are built by the double itself; this cannot happen.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeProblem(w http.ResponseWriter, status int, typ, detail string) {
	if typ == "" {
		typ = problemTypeFor(status)
	}
	title := http.StatusText(status)
	if title == "" {
		title = "Error"
	}
	body, _ := json.Marshal(Problem{Type: typ, Title: title, Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func problemTypeFor(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return ProblemInvalidRequest
	case http.StatusUnauthorized:
		return ProblemUnauthorized
	case http.StatusNotFound:
		return ProblemNotFound
	case http.StatusMethodNotAllowed:
		return ProblemMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return ProblemPayloadTooLarge
	case http.StatusUnsupportedMediaType:
		return ProblemUnsupportedMediaType
	case http.StatusTooManyRequests:
		return ProblemTooManyRequests
	case http.StatusServiceUnavailable:
		return ProblemServiceUnavailable
	case http.StatusInsufficientStorage:
		return ProblemInsufficientStorage
	case http.StatusInternalServerError:
		return ProblemInternalServerError
	}
	name := strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "-"))
	if name == "" {
		name = "error-" + strconv.Itoa(status)
	}
	return ProblemBase + name
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, v string)

// routes builds the mux. Every route is wrapped: request counting, Fail
// injection, authentication.
func (d *Double) routes() http.Handler {
	mux := http.NewServeMux()
	d.route(mux, "POST /token", "", false, d.handleToken)
	d.route(mux, "GET /.well-known/jwks.json", "", false, d.handleJWKS)
	d.route(mux, "GET "+RoutingAPIPath+"/routes", "", false, d.handleRoutes)
	d.route(mux, "GET "+PortalPath+"/.well-known/jwks.json", "", false, d.handlePortalJWKS)
	for _, v := range []string{"v1", "v2"} {
		p := "/" + v
		d.route(mux, "GET "+p+"/destinations/{id}", v, true, d.handleDestination)
		d.route(mux, "GET "+p+"/destinations/{id}/keys/{kid}", v, true, d.handleKey)
		d.route(mux, "GET "+p+"/destinations/{id}/keys", v, true, d.handleKeys)
		d.route(mux, "POST "+p+"/submissions", v, true, d.handleAnnounce)
		d.route(mux, "GET "+p+"/submissions", v, true, d.handleList)
		d.route(mux, "PUT "+p+"/submissions/{sid}", v, true, d.handleSubmit)
		d.route(mux, "GET "+p+"/submissions/{sid}", v, true, d.handleGetSubmission)
		d.route(mux, "PUT "+p+"/submissions/{sid}/attachments/{aid}", v, true, d.handleUpload)
		d.route(mux, "GET "+p+"/submissions/{sid}/attachments/{aid}", v, true, d.handleGetAttachment)
		d.route(mux, "GET "+p+"/submissions/{sid}/events", v, true, d.handleSubmissionEvents)
		d.route(mux, "GET "+p+"/cases/{caseId}/events", v, true, d.handleCaseEvents)
		d.route(mux, "POST "+p+"/cases/{caseId}/events", v, true, d.handlePostEvent)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				writeProblem(w, http.StatusInternalServerError, "", fmt.Sprintf("test double failure: %v", p))
			}
		}()
		if _, pattern := mux.Handler(r); pattern == "" {
			d.mu.Lock()
			d.requests["unmatched"]++
			d.mu.Unlock()
			d.unmatched(mux, w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// unmatched answers a request no route matches with a problem document,
// keeping the status (404, 405) and headers (Allow) the mux chose.
func (d *Double) unmatched(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	cw := &captureWriter{header: http.Header{}}
	mux.ServeHTTP(cw, r)
	status := cw.status
	if status == 0 {
		status = http.StatusNotFound
	}
	if allow := cw.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if loc := cw.header.Get("Location"); loc != "" && status >= 300 && status < 400 {
		w.Header().Set("Location", loc)
		w.WriteHeader(status)
		return
	}
	if status < 400 {
		status = http.StatusNotFound
	}
	writeProblem(w, status, "", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
}

type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}
func (c *captureWriter) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
}

func (d *Double) route(mux *http.ServeMux, pattern, version string, auth bool, h handlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.requests[pattern]++
		status := d.takeFailure(pattern)
		d.mu.Unlock()
		if status != 0 {
			writeProblem(w, status, "", fmt.Sprintf("failure injected by the test double for %s", pattern))
			return
		}
		if auth && !d.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fitconnecttest"`)
			writeProblem(w, http.StatusUnauthorized, ProblemUnauthorized, "missing, unknown or expired bearer token")
			return
		}
		h(w, r, version)
	})
}

func (d *Double) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	exp, ok := d.tokens[tok]
	if !ok {
		return false
	}
	if !d.opts.Now().Before(exp) {
		delete(d.tokens, tok)
		return false
	}
	return true
}

func (d *Double) handleToken(w http.ResponseWriter, r *http.Request, _ string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "body is not a form"})
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: client credentials in Basic are form-urlencoded.
		id, secret = formUnescape(id), formUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "only client_credentials is supported"})
		return
	}
	d.mu.Lock()
	want, known := d.clients[id]
	d.mu.Unlock()
	if id == "" || !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="fitconnecttest"`)
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	tok, err := randomToken()
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "", "no randomness for a token")
		return
	}
	d.mu.Lock()
	now := d.opts.Now()
	if len(d.tokens) >= maxTokens {
		for t, exp := range d.tokens {
			if !now.Before(exp) {
				delete(d.tokens, t)
			}
		}
		for len(d.tokens) >= maxTokens {
			var oldest string
			var oldestExp int64
			for t, exp := range d.tokens {
				if oldest == "" || exp.UnixNano() < oldestExp {
					oldest, oldestExp = t, exp.UnixNano()
				}
			}
			delete(d.tokens, oldest)
		}
	}
	d.tokens[tok] = now.Add(d.opts.TokenTTL)
	d.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(d.opts.TokenTTL / time.Second),
	})
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return b64(b), nil
}

func (d *Double) handleJWKS(w http.ResponseWriter, _ *http.Request, _ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(d.jwks)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// isUUID reports whether s is a UUID in the 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// checkCompactJWE checks the shape of a compact JWE: five base64url
// segments, a protected header that is a JSON object with string alg and
// enc, and non-empty iv, ciphertext and tag. It decrypts nothing.
func checkCompactJWE(s string) error {
	parts := strings.Split(s, ".")
	if len(parts) != 5 {
		return fmt.Errorf("a compact JWE has 5 dot-separated segments, got %d", len(parts))
	}
	names := [5]string{"protected header", "encrypted key", "initialization vector", "ciphertext", "authentication tag"}
	for i, p := range parts {
		if p == "" && i != 1 {
			return fmt.Errorf("JWE %s is empty", names[i])
		}
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil {
			return fmt.Errorf("JWE %s is not base64url without padding", names[i])
		}
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr map[string]any
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return errors.New("JWE protected header is not a JSON object")
	}
	for _, k := range []string{"alg", "enc"} {
		if v, ok := hdr[k].(string); !ok || v == "" {
			return fmt.Errorf("JWE protected header has no %q", k)
		}
	}
	return nil
}

// readBody reads at most limit bytes; it writes the problem (413, 400) and
// returns ok=false on failure.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, http.StatusRequestEntityTooLarge, ProblemPayloadTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit))
			return nil, false
		}
		writeProblem(w, http.StatusBadRequest, ProblemInvalidRequest, "request body could not be read")
		return nil, false
	}
	return body, true
}

// requireMediaType writes 415 and returns false unless the request's
// Content-Type is one of want (parameters ignored).
func requireMediaType(w http.ResponseWriter, r *http.Request, want ...string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		for _, x := range want {
			if strings.EqualFold(mt, x) {
				return true
			}
		}
	}
	writeProblem(w, http.StatusUnsupportedMediaType, ProblemUnsupportedMediaType, fmt.Sprintf("Content-Type must be %s", strings.Join(want, " or ")))
	return false
}

// decodeJSON unmarshals body into v, writing a 400 problem on failure.
func decodeJSON(w http.ResponseWriter, body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		writeProblem(w, http.StatusBadRequest, ProblemInvalidRequest, "request body is not valid JSON of the expected shape: "+err.Error())
		return false
	}
	return true
}

// pageParams parses offset (default 0, ≥ 0) and limit (default 100,
// 1…MaxListLimit), writing a 400 problem on failure.
func pageParams(w http.ResponseWriter, r *http.Request) (offset, limit int, ok bool) {
	q := r.URL.Query()
	offset, limit = 0, 100
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeProblem(w, http.StatusBadRequest, ProblemInvalidRequest, "offset must be a non-negative integer")
			return 0, 0, false
		}
		offset = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListLimit {
			writeProblem(w, http.StatusBadRequest, ProblemInvalidRequest, fmt.Sprintf("limit must be an integer from 1 to %d", MaxListLimit))
			return 0, 0, false
		}
		limit = n
	}
	return offset, limit, true
}

// page returns items[offset:offset+limit], never nil.
func page[T any](items []T, offset, limit int) []T {
	out := make([]T, 0)
	if offset >= len(items) {
		return out
	}
	end := len(items)
	if limit < end-offset {
		end = offset + limit
	}
	return append(out, items[offset:end]...)
}
