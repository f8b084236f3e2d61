package fitconnect_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/antrag/antrag/internal/fitconnect"
)

// fakeAPI is a tiny hand-written API for client unit tests (the protocol
// double in fitconnecttest is used by the end-to-end tests).
type fakeAPI struct {
	t          *testing.T
	tokens     atomic.Int32
	mu         sync.Mutex
	paths      []string
	forms      []url.Values
	reject401  atomic.Int32 // answer this many API calls with 401
	keysPublic []byte
}

func (f *fakeAPI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", 400)
			return
		}
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		f.mu.Unlock()
		if r.PostForm.Get("client_secret") != "geheim" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		n := f.tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok") {
			w.WriteHeader(401)
			return
		}
		if f.reject401.Load() > 0 {
			f.reject401.Add(-1)
			w.WriteHeader(401)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/destinations/5a2c9e0b-1a7d-4c55-9b61-0f6a3f2f1c11"):
			_, _ = io.WriteString(w, `{"destinationId":"5a2c9e0b-1a7d-4c55-9b61-0f6a3f2f1c11","status":"active","encryptionKid":"k1","services":[{"identifier":"urn:de:fim:leika:leistung:99018115001001","submissionSchemas":[]}]}`)
		case strings.HasSuffix(r.URL.Path, "/keys"):
			_, _ = w.Write(f.keysPublic)
		case strings.HasSuffix(r.URL.Path, "/destinations/00000000-0000-4000-8000-000000000000"):
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"type":"https://schema.fitko.de/fit-connect/submission-api/problems/destination-not-found","title":"Destination not found","status":404}`)
		case strings.HasSuffix(r.URL.Path, "/submissions") && r.Method == "POST":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			if _, ok := body["serviceType"]; ok && strings.HasPrefix(r.URL.Path, "/v2/") {
				w.WriteHeader(400)
				return
			}
			if _, ok := body["publicService"]; ok && strings.HasPrefix(r.URL.Path, "/v1/") {
				w.WriteHeader(400)
				return
			}
			if a, ok := body["announcedAttachments"].([]any); !ok || a == nil {
				w.WriteHeader(400)
				return
			}
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"destinationId":"d","submissionId":"s","caseId":"c"}`)
		case strings.Contains(r.URL.Path, "/events"):
			off := r.URL.Query().Get("offset")
			if r.URL.Query().Get("limit") != "500" {
				w.WriteHeader(400)
				return
			}
			if off == "0" {
				_, _ = io.WriteString(w, `{"offset":0,"count":2,"totalCount":3,"eventLog":["a","b"]}`)
			} else {
				_, _ = io.WriteString(w, `{"offset":2,"count":1,"totalCount":3,"eventLog":["c"]}`)
			}
		case strings.HasSuffix(r.URL.Path, "/big"):
			w.WriteHeader(500)
		default:
			w.WriteHeader(503)
		}
	})
	return mux
}

func newFake(t *testing.T) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{t: t}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	return f, srv
}

func newClient(t *testing.T, srv *httptest.Server, version, secret string) *fitconnect.Client {
	t.Helper()
	c, err := fitconnect.NewClient(fitconnect.Config{TokenURL: srv.URL + "/token", SubmissionAPI: srv.URL, Version: version,
		ClientID: "sender-1", ClientSecret: secret, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientTokenCachedAndInParams(t *testing.T) {
	f, srv := newFake(t)
	c := newClient(t, srv, "v1", "geheim")
	ctx := context.Background()
	for range 3 {
		if _, err := c.Destination(ctx, testDest); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokens.Load(); n != 1 {
		t.Fatalf("%d token requests for 3 calls, want 1 (cached)", n)
	}
	form := f.forms[0]
	if form.Get("grant_type") != "client_credentials" || form.Get("client_id") != "sender-1" || form.Get("client_secret") != "geheim" {
		t.Fatalf("token form %v", form)
	}
	// A 401 from the API fetches a new token and retries once.
	f.reject401.Store(1)
	if _, err := c.Destination(ctx, testDest); err != nil {
		t.Fatalf("after one 401: %v", err)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	f.reject401.Store(2)
	_, err := c.Destination(ctx, testDest)
	var p *fitconnect.Problem
	if !errors.As(err, &p) || p.Status != 401 || p.Retryable() {
		t.Fatalf("two 401s: %v", err)
	}
}

func TestClientBadCredentials(t *testing.T) {
	_, srv := newFake(t)
	c := newClient(t, srv, "v1", "falsch")
	_, err := c.Destination(context.Background(), testDest)
	var p *fitconnect.Problem
	if !errors.As(err, &p) || p.Type != fitconnect.ProblemUnauthorized || p.Retryable() {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "Client-Secret") {
		t.Errorf("message %q does not help staff", err)
	}
}

func TestClientProblems(t *testing.T) {
	f, srv := newFake(t)
	c := newClient(t, srv, "v1", "geheim")
	_, err := c.Destination(context.Background(), "00000000-0000-4000-8000-000000000000")
	var p *fitconnect.Problem
	if !errors.As(err, &p) || p.Type != fitconnect.ProblemDestinationNotFound || p.Status != 404 {
		t.Fatalf("err = %v", err)
	}
	if p.Retryable() || fitconnect.Retryable(err) {
		t.Error("404 retryable")
	}
	if !strings.Contains(p.Meaning(), "Zustellpunkt") || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("meaning %q / error %q", p.Meaning(), err)
	}
	if _, err := c.Destination(context.Background(), "keine-uuid"); err == nil {
		t.Error("accepted a destination id that is no UUID")
	}
	_, err = c.Submissions(context.Background(), testDest) // default: 503
	if !errors.As(err, &p) || p.Status != 503 || !fitconnect.Retryable(err) {
		t.Fatalf("503: %v", err)
	}
	_ = f
}

func TestClientVersions(t *testing.T) {
	f, srv := newFake(t)
	f.keysPublic = getFixture(t).keys.PublicJWKS
	ctx := context.Background()
	for _, v := range []string{"v1", "v2"} {
		c := newClient(t, srv, v, "geheim")
		ref, err := c.Announce(ctx, testDest, nil, fitconnect.ServiceRef{Identifier: "urn:de:fim:leika:leistung:99018115001001", Name: "x"})
		if err != nil || ref.SubmissionID != "s" || ref.CaseID != "c" {
			t.Fatalf("%s announce: %+v %v", v, ref, err)
		}
		evs, err := c.Events(ctx, testSub, testCase)
		if err != nil || strings.Join(evs, ",") != "a,b,c" {
			t.Fatalf("%s events: %v %v", v, evs, err)
		}
	}
	// v2 reads the key list and picks by kid.
	c := newClient(t, srv, "v2", "geheim")
	k, err := c.DestinationKey(ctx, testDest, getFixture(t).keys.SigningKid)
	if err != nil || k.KeyID != getFixture(t).keys.SigningKid || k.KeyOps[0] != "verify" {
		t.Fatalf("v2 key: %v %v", k, err)
	}
	if _, err := c.DestinationKey(ctx, testDest, "unbekannt"); !errors.Is(err, fitconnect.ErrKeyInvalid) {
		t.Fatalf("unknown kid: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	want := []string{
		"POST /v1/submissions", "GET /v1/cases/" + testCase + "/events", "GET /v1/cases/" + testCase + "/events",
		"POST /v2/submissions", "GET /v2/submissions/" + testSub + "/events", "GET /v2/submissions/" + testSub + "/events",
		"GET /v2/destinations/" + testDest + "/keys", "GET /v2/destinations/" + testDest + "/keys",
	}
	if strings.Join(f.paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paths:\n%s\nwant:\n%s", strings.Join(f.paths, "\n"), strings.Join(want, "\n"))
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&fitconnect.Problem{Status: 500}, true},
		{&fitconnect.Problem{Status: 502}, true},
		{&fitconnect.Problem{Status: 429}, true},
		{&fitconnect.Problem{Status: 400}, false},
		{&fitconnect.Problem{Status: 404}, false},
		{&fitconnect.Problem{Status: 409}, false},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{context.DeadlineExceeded, true},
		{errors.New("anderes"), false},
		{nil, false},
	} {
		if got := fitconnect.Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v", tc.err, got)
		}
	}
	known := []string{fitconnect.ProblemDestinationNotFound, fitconnect.ProblemDestinationStateInvalid,
		fitconnect.ProblemSubmissionNotFound, fitconnect.ProblemSubmissionStateInvalid, fitconnect.ProblemInvalidRequest,
		fitconnect.ProblemUnauthorized}
	seen := map[string]bool{}
	for _, typ := range known {
		m := (&fitconnect.Problem{Type: typ, Status: 400}).Meaning()
		if m == "" || seen[m] {
			t.Errorf("%s: meaning %q empty or shared", typ, m)
		}
		seen[m] = true
	}
	// An unknown problem falls back to the status and keeps the title.
	p := &fitconnect.Problem{Type: "https://example.org/x", Title: "Something", Status: 422}
	if !strings.Contains(p.Meaning(), "abgelehnt") || !strings.Contains(p.Meaning(), "Something") {
		t.Errorf("fallback meaning %q", p.Meaning())
	}
}
