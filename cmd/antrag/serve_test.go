package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/web/apicontract"
)

// ---- parseServe ----

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func mustParseServe(t *testing.T, env map[string]string, args ...string) *serveConfig {
	t.Helper()
	var stderr bytes.Buffer
	c, err := parseServe(args, envMap(env), io.Discard, &stderr)
	if err != nil {
		t.Fatalf("parseServe(%q): %v\n%s", args, err, stderr.String())
	}
	return c
}

func TestParseServeDefaults(t *testing.T) {
	c := mustParseServe(t, nil)
	want := serveConfig{
		addr:          ":8080",
		dataDir:       "./antrag-data",
		db:            "sqlite:" + filepath.Join("./antrag-data", "antrag.db"),
		draftTTL:      30 * 24 * time.Hour,
		retention:     365 * 24 * time.Hour,
		logLevel:      "info",
		janitorTick:   time.Hour,
		years:         form.DefaultYearRange,
		configRecheck: time.Second,
		delivery: deliveryConfig{maxAge: 7 * 24 * time.Hour, workers: 4, fcVersion: "v1", smtpTLS: "starttls",
			firstRetry: 10 * time.Second, maxRetry: time.Hour, jobTimeout: 5 * time.Minute, poll: time.Second,
			follow: time.Minute, fcPoll: 5 * time.Minute, perTenant: 2, perTarget: 2, lease: 20 * time.Second,
			fcRoutingTTL: time.Hour},
		payment: paymentConfig{maxAge: 7 * 24 * time.Hour, reconcile: 30 * time.Second, timeout: 15 * time.Second},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
	if c.db != "sqlite:antrag-data/antrag.db" {
		t.Errorf("db = %q", c.db)
	}
	// The default database follows --data.
	c = mustParseServe(t, nil, "--data", "/srv/antrag")
	if c.db != "sqlite:/srv/antrag/antrag.db" {
		t.Errorf("db with --data = %q", c.db)
	}
}

var fullEnv = map[string]string{
	"ANTRAG_ADDR":           "127.0.0.1:9000",
	"ANTRAG_DATA":           "/var/lib/antrag",
	"ANTRAG_DB":             "sqlite:/db/a.db",
	"ANTRAG_BASE_URL":       "https://antrag.example.de",
	"ANTRAG_DEMO":           "1",
	"ANTRAG_DRAFT_TTL":      "7d",
	"ANTRAG_CONFIG_RECHECK": "5s",
	"ANTRAG_RETENTION":      "12h",
	"ANTRAG_CODELISTS":      "/etc/antrag/codelisten",
	"ANTRAG_LOG_LEVEL":      "debug",
	"ANTRAG_DATA_KEY":       "c2NobMO8c3NlbA==",

	"ANTRAG_DELIVERY_MAX_AGE":           "3d",
	"ANTRAG_DELIVERY_PER_TENANT":        "3",
	"ANTRAG_DELIVERY_PER_TARGET":        "1",
	"ANTRAG_DELIVERY_LEASE":             "30s",
	"ANTRAG_FITCONNECT_TOKEN_URL":       "https://auth.example/token",
	"ANTRAG_FITCONNECT_SUBMISSION_API":  "https://fc.example/submission-api",
	"ANTRAG_FITCONNECT_DESTINATION_API": "https://fc.example/destination-api",
	"ANTRAG_FITCONNECT_VERSION":         "v2",
	"ANTRAG_FITCONNECT_TRUST_ANCHORS":   "/etc/antrag/pki.pem",
	"ANTRAG_FITCONNECT_ROUTING_URL":     "https://routing.example/v1",
	"ANTRAG_FITCONNECT_PORTAL_JWKS":     "https://portal.example/.well-known/jwks.json",
	"ANTRAG_FITCONNECT_ROUTING_TTL":     "10m",
	"ANTRAG_SMTP_ADDR":                  "mail.example:587",
	"ANTRAG_SMTP_FROM":                  "antrag@example.de",
	"ANTRAG_SMTP_USER":                  "antrag",
	"ANTRAG_SMTP_PASSWORD":              "geheim",
	"ANTRAG_SMTP_TLS":                   "tls",
	"ANTRAG_PAYMENT_MAX_AGE":            "2d",
	"ANTRAG_PAYMENT_RECONCILE":          "10s",
	"ANTRAG_PAYMENT_TIMEOUT":            "5s",
}

// envPayment is the payment configuration fullEnv gives.
var envPayment = paymentConfig{maxAge: 2 * 24 * time.Hour, reconcile: 10 * time.Second, timeout: 5 * time.Second}

// envDelivery is the delivery configuration fullEnv gives.
var envDelivery = deliveryConfig{
	maxAge: 3 * 24 * time.Hour, workers: 4, perTenant: 3, perTarget: 1, lease: 30 * time.Second,
	firstRetry: 10 * time.Second, maxRetry: time.Hour, jobTimeout: 5 * time.Minute, poll: time.Second,
	follow: time.Minute, fcPoll: 5 * time.Minute,
	fcTokenURL: "https://auth.example/token", fcSubmissionAPI: "https://fc.example/submission-api",
	fcDestinationAPI: "https://fc.example/destination-api", fcVersion: "v2", fcTrustAnchors: "/etc/antrag/pki.pem",
	fcRoutingURL: "https://routing.example/v1", fcPortalJWKS: "https://portal.example/.well-known/jwks.json", fcRoutingTTL: 10 * time.Minute,
	smtpAddr: "mail.example:587", smtpFrom: "antrag@example.de", smtpUser: "antrag", smtpPassword: "geheim", smtpTLS: "tls",
}

func TestParseServeEnvironment(t *testing.T) {
	c := mustParseServe(t, fullEnv)
	want := serveConfig{
		addr:          "127.0.0.1:9000",
		dataDir:       "/var/lib/antrag",
		db:            "sqlite:/db/a.db",
		baseURL:       "https://antrag.example.de",
		demo:          true,
		draftTTL:      7 * 24 * time.Hour,
		retention:     12 * time.Hour,
		codelists:     "/etc/antrag/codelisten",
		years:         form.DefaultYearRange,
		dataKey:       "c2NobMO8c3NlbA==",
		logLevel:      "debug",
		janitorTick:   time.Hour,
		configRecheck: 5 * time.Second,
		delivery:      envDelivery,
		payment:       envPayment,
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("from environment:\n got %+v\nwant %+v", *c, want)
	}
	// ANTRAG_DATA alone moves the default database with it.
	c = mustParseServe(t, map[string]string{"ANTRAG_DATA": "/d"})
	if c.db != "sqlite:/d/antrag.db" {
		t.Errorf("db with ANTRAG_DATA = %q", c.db)
	}
	for _, v := range []string{"true", "1"} {
		if c := mustParseServe(t, map[string]string{"ANTRAG_DEMO": v}); !c.demo {
			t.Errorf("ANTRAG_DEMO=%s: demo off", v)
		}
	}
	for _, v := range []string{"0", "false", "nein"} {
		if c := mustParseServe(t, map[string]string{"ANTRAG_DEMO": v}); c.demo {
			t.Errorf("ANTRAG_DEMO=%s: demo on", v)
		}
	}
}

func TestParseServeFlagsWinOverEnvironment(t *testing.T) {
	c := mustParseServe(t, fullEnv,
		"--addr", ":1234", "--data", "/x", "--db", "sqlite:/y.db", "--base-url", "http://h:1",
		"--demo=false", "--draft-ttl", "1d", "--retention", "0", "--codelists", "/cl", "--log-level", "warn",
		"--delivery-max-age", "1d", "--delivery-workers", "2", "--delivery-per-tenant", "2", "--fitconnect-version", "v1", "--smtp-tls", "starttls",
		"--payment-max-age", "3d", "--payment-reconcile", "1m", "--payment-timeout", "20s", "--config-recheck", "0")
	wantDelivery := envDelivery
	wantDelivery.maxAge, wantDelivery.workers, wantDelivery.fcVersion, wantDelivery.smtpTLS = 24*time.Hour, 2, "v1", "starttls"
	wantDelivery.perTenant = 2
	want := serveConfig{
		addr:          ":1234",
		dataDir:       "/x",
		db:            "sqlite:/y.db",
		baseURL:       "http://h:1",
		demo:          false,
		draftTTL:      24 * time.Hour,
		retention:     0,
		codelists:     "/cl",
		years:         form.DefaultYearRange,
		dataKey:       fullEnv["ANTRAG_DATA_KEY"], // there is no flag for the key
		logLevel:      "warn",
		janitorTick:   time.Hour,
		configRecheck: 0,
		delivery:      wantDelivery,
		payment:       paymentConfig{maxAge: 3 * 24 * time.Hour, reconcile: time.Minute, timeout: 20 * time.Second},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("flags over environment:\n got %+v\nwant %+v", *c, want)
	}
	// --data on the command line moves the default database even when
	// ANTRAG_DATA says otherwise.
	c = mustParseServe(t, map[string]string{"ANTRAG_DATA": "/env"}, "--data", "/flag")
	if c.db != "sqlite:/flag/antrag.db" {
		t.Errorf("db = %q", c.db)
	}
	// The duration variables are parsed before the flags, so a bad one is
	// an error even when the flag overrides it. Pinned down so that a
	// change is deliberate.
	_, err := parseServe([]string{"--draft-ttl", "1d"}, envMap(map[string]string{"ANTRAG_DRAFT_TTL": "bald"}), io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ANTRAG_DRAFT_TTL") {
		t.Errorf("bad ANTRAG_DRAFT_TTL with --draft-ttl: %v", err)
	}
}

func TestParseServeDateYears(t *testing.T) {
	want := form.YearRange{Min: 1900, Max: 2100}
	if c := mustParseServe(t, nil, "--date-years", "1900-2100"); c.years != want {
		t.Errorf("flag: %v", c.years)
	}
	if c := mustParseServe(t, map[string]string{"ANTRAG_DATE_YEARS": "1900-2100"}); c.years != want {
		t.Errorf("environment: %v", c.years)
	}
	if c := mustParseServe(t, map[string]string{"ANTRAG_DATE_YEARS": "1000-3000"}, "--date-years", "1900-2100"); c.years != want {
		t.Errorf("the flag does not win: %v", c.years)
	}
	for _, bad := range []string{"2100-1900", "1900", "0-2000", "x"} {
		var ue usageError
		if _, err := parseServe([]string{"--date-years", bad}, envMap(nil), io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Errorf("--date-years %q: %T %v", bad, err, err)
		}
		if _, err := parseServe(nil, envMap(map[string]string{"ANTRAG_DATE_YEARS": bad}), io.Discard, io.Discard); !errors.As(err, &ue) || !strings.Contains(err.Error(), "ANTRAG_DATE_YEARS") {
			t.Errorf("ANTRAG_DATE_YEARS=%q: %T %v", bad, err, err)
		}
	}
}

func TestParseServeDurations(t *testing.T) {
	good := map[string]time.Duration{
		"30d":   30 * 24 * time.Hour,
		"0d":    0,
		"12h":   12 * time.Hour,
		"90m":   90 * time.Minute,
		"0":     0,
		"1h30m": 90 * time.Minute,
	}
	for s, want := range good {
		c := mustParseServe(t, nil, "--draft-ttl", s, "--retention", s)
		if c.draftTTL != want || c.retention != want {
			t.Errorf("flags %q: draftTTL %v, retention %v, want %v", s, c.draftTTL, c.retention, want)
		}
		c = mustParseServe(t, map[string]string{"ANTRAG_DRAFT_TTL": s, "ANTRAG_RETENTION": s})
		if c.draftTTL != want || c.retention != want {
			t.Errorf("environment %q: draftTTL %v, retention %v, want %v", s, c.draftTTL, c.retention, want)
		}
	}
	for _, s := range []string{"bald", "30", "1.5d", "-1d", "-2h", "d", "30 d", "3w"} {
		for _, flagName := range []string{"--draft-ttl", "--retention"} {
			var stderr bytes.Buffer
			_, err := parseServe([]string{flagName, s}, envMap(nil), io.Discard, &stderr)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("%s %q: want usageError, got %T %v", flagName, s, err, err)
				continue
			}
			if !strings.Contains(err.Error(), "Dauer") {
				t.Errorf("%s %q: message does not explain: %v", flagName, s, err)
			}
		}
		for _, k := range []string{"ANTRAG_DRAFT_TTL", "ANTRAG_RETENTION"} {
			_, err := parseServe(nil, envMap(map[string]string{k: s}), io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), k) {
				t.Errorf("%s=%q: want usageError naming the variable, got %v", k, s, err)
			}
		}
	}
}

func TestParseServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"extra"},
		{"--demo", "extra"},
		{"--bogus"},
		{"--addr"},
		{"--config-recheck", "-1s"},
	} {
		var stderr bytes.Buffer
		c, err := parseServe(args, envMap(nil), io.Discard, &stderr)
		var ue usageError
		if !errors.As(err, &ue) || c != nil {
			t.Errorf("%q: want usageError, got %v, %v", args, c, err)
			continue
		}
		if code := exitCode(err, io.Discard); code != 2 {
			t.Errorf("%q: exit code %d", args, code)
		}
	}
	for _, env := range []map[string]string{
		{"ANTRAG_DELIVERY_PER_TENANT": "0"},
		{"ANTRAG_DELIVERY_PER_TARGET": "viele"},
		{"ANTRAG_DELIVERY_LEASE": "0s"},
	} {
		var ue usageError
		if c, err := parseServe(nil, envMap(env), io.Discard, io.Discard); !errors.As(err, &ue) || c != nil {
			t.Errorf("%v: want usageError, got %v, %v", env, c, err)
		}
	}
	_, err := parseServe([]string{"extra"}, envMap(nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Errorf("unexpected argument not named: %v", err)
	}
}

func TestParseServeHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		var stdout, stderr bytes.Buffer
		_, err := parseServe([]string{arg}, envMap(nil), &stdout, &stderr)
		if err != (exitError{0}) {
			t.Errorf("%s: got %#v, want exitError{0}", arg, err)
		}
		if !strings.Contains(stdout.String(), "-draft-ttl") || stderr.Len() > 0 {
			t.Errorf("%s: flags not listed on stdout: %q (stderr %q)", arg, stdout.String(), stderr.String())
		}
	}
	// Through the whole program: `antrag serve --help` exits 0 without
	// starting anything; `antrag --help` prints the overview.
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve", "--help"}, envMap(nil), strings.NewReader(""), &out, &errb)
	if exitCode(err, io.Discard) != 0 || strings.Contains(out.String(), "antrag läuft") {
		t.Errorf("serve --help: %v, %q", err, out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"--help"}, envMap(nil), strings.NewReader(""), &out, &errb)
	if err != nil || !strings.Contains(out.String(), "antrag user add") {
		t.Errorf("--help: %v, %q", err, out.String())
	}
}

// ---- running the server ----

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is `antrag serve` running in the test process.
type testServer struct {
	t      *testing.T
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	err    error
	exited bool
}

// startServe runs `antrag serve --addr 127.0.0.1:0 ARGS` until it prints
// its URL (waiting up to waitLong: a start-up migrates and seeds the
// database, which is slow on a loaded machine). The server is stopped at
// the end of the test if it still runs.
func startServe(t *testing.T, env map[string]string, args ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), envMap(env), strings.NewReader(""), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		if !s.exited {
			s.stop()
		}
	})
	deadline := time.Now().Add(waitLong)
	for {
		if line, ok := strings.CutPrefix(s.stdout.String(), "antrag läuft auf "); ok {
			u, _, ok := strings.Cut(line, "\n")
			if ok {
				s.url = u
				return s
			}
		}
		select {
		case err := <-s.done:
			s.exited, s.err = true, err
			t.Fatalf("antrag serve ended before it ran: %v\nstderr:\n%s", err, s.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("antrag serve did not say that it runs within %v; stderr:\n%s", waitLong, s.stderr.String())
		}
	}
}

// stop cancels the server's context, as SIGINT does, and returns what
// runServe returned. It waits longer than runServe's grace period of 20 s,
// so that a shutdown that runs into that limit returns its error here.
func (s *testServer) stop() error {
	s.t.Helper()
	if s.exited {
		return s.err
	}
	s.cancel()
	select {
	case s.err = <-s.done:
		s.exited = true
	case <-time.After(waitLong):
		s.t.Fatalf("antrag serve did not shut down within %v of cancel", waitLong)
	}
	return s.err
}

// startServeErr runs `antrag serve` expecting it to fail at start-up. It
// waits for the failure or for the line that says that the server runs,
// whichever comes first.
func startServeErr(t *testing.T, env map[string]string, args ...string) (error, string) {
	t.Helper()
	out, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), envMap(env), strings.NewReader(""), out, stderr)
	}()
	deadline := time.Now().Add(waitLong)
	for {
		select {
		case err := <-done:
			if strings.Contains(out.String(), "antrag läuft") {
				t.Errorf("printed that it runs: %q", out.String())
			}
			return err, stderr.String()
		case <-time.After(10 * time.Millisecond):
		}
		started := strings.Contains(out.String(), "antrag läuft")
		if started || time.Now().After(deadline) {
			cancel()
			err := <-done
			if started {
				t.Fatalf("antrag serve %q started instead of failing (it returned %v after cancel)", args, err)
			}
			t.Fatalf("antrag serve %q neither failed nor started within %v; stderr:\n%s", args, waitLong, stderr.String())
		}
	}
}

// client is an HTTP client that keeps cookies and does not follow
// redirects.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The timeout only ends a request that hangs: waitEvent, so that a
	// slow answer of a loaded machine does not fail the test.
	// Exchanges with the JSON API are checked against its OpenAPI document.
	contract := &apicontract.Transport{Fail: func(err error) { t.Errorf("API contract: %v", err) }}
	return &http.Client{Jar: jar, Timeout: waitEvent, Transport: contract,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// login posts the login form as a browser on the same origin would.
func login(t *testing.T, c *http.Client, base, user, pw string) *http.Response {
	t.Helper()
	form := url.Values{"benutzername": {user}, "passwort": {pw}}
	req, err := http.NewRequest("POST", base+"/intern/anmelden", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, _ := do(t, c, req)
	return resp
}

type apiService struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Name   string `json:"name"`
}

func services(t *testing.T, c *http.Client, base string) []apiService {
	t.Helper()
	resp, body := get(t, c, base+"/api/v1/services")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/services: %d %s", resp.StatusCode, body)
	}
	var out []apiService
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("services: %v: %s", err, body)
	}
	return out
}

const gewerbeSample = "../../internal/fim/samples/xdf2/S00000009_GewerbeAnmeldung_xdf2.xml"

var gewerbeExample = sync.OnceValues(func() (string, error) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"fim", "example", gewerbeSample}, envMap(nil), strings.NewReader(""), &out, &errb); err != nil {
		return "", errors.Join(err, errors.New(errb.String()))
	}
	return out.String(), nil
})

type apiSubmission struct {
	ID        string `json:"id"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
}

// submitGewerbe sends the example Gewerbeanmeldung through the JSON API.
func submitGewerbe(t *testing.T, c *http.Client, base, idemKey string) (int, apiSubmission, string) {
	t.Helper()
	data, err := gewerbeExample()
	if err != nil {
		t.Fatal(err)
	}
	// Its optional fee is not paid online: delivered at once.
	req, err := http.NewRequest("POST", base+"/api/v1/forms/musterstadt.gewerbeanmeldung/submissions",
		strings.NewReader(`{"data":`+data+`,"payment":{"later":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, body := do(t, c, req)
	var sub apiSubmission
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal([]byte(body), &sub); err != nil {
			t.Fatalf("submission answer: %v: %s", err, body)
		}
	}
	return resp.StatusCode, sub, body
}

func newDataKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

const demoUser, demoPassword = "sachbearbeitung-musterstadt", "Demo-Passwort-2026"

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "daten")
	c := newClient(t)

	s := startServe(t, nil, "--data", dir, "--demo")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || strings.HasSuffix(s.url, ":0") {
		t.Errorf("base URL %q is not the listener's address", s.url)
	}

	resp, body := get(t, c, s.url+"/healthz")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, c, s.url+"/readyz")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "bereit" {
		t.Errorf("/readyz: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, c, s.url+"/")
	if resp.StatusCode != 200 {
		t.Errorf("/: %d", resp.StatusCode)
	}
	for _, want := range []string{"Stadt Musterstadt", "Landkreis Beispielkreis"} {
		if !strings.Contains(body, want) {
			t.Errorf("/ does not list %q", want)
		}
	}
	resp, body = get(t, c, s.url+"/musterstadt/")
	if resp.StatusCode != 200 || !strings.Contains(body, `href="/musterstadt/dienste/gewerbeanmeldung"`) {
		t.Errorf("/musterstadt/: %d, links the Gewerbeanmeldung: %v", resp.StatusCode, strings.Contains(body, "/musterstadt/dienste/gewerbeanmeldung"))
	}
	svcs := services(t, c, s.url)
	if len(svcs) != 16 {
		t.Errorf("%d services after the first start, want 16: %+v", len(svcs), svcs)
	}

	// The data directory: key file 0600, directory and database owner-only.
	for path, want := range map[string]os.FileMode{
		dir:                              0o700 | os.ModeDir,
		filepath.Join(dir, "schluessel"): 0o600,
		filepath.Join(dir, "antrag.db"):  0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	keyFile, err := os.ReadFile(filepath.Join(dir, "schluessel"))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(keyFile))); err != nil || len(k) != 32 {
		t.Errorf("key file is not 32 bytes of base64: %v, %d bytes", err, len(k))
	}

	// Something to find again after the restart.
	code, sub, body := submitGewerbe(t, c, s.url, "serve-test-1")
	if code != http.StatusCreated || sub.Reference == "" || sub.Status != "eingegangen" {
		t.Fatalf("submission: %d %s", code, body)
	}

	// runServe returns nil after a clean shutdown; when the HTTP server
	// does not finish within the grace period, Shutdown's error. How long
	// the shutdown takes depends on the machine and is not checked here.
	if err := s.stop(); err != nil {
		t.Fatalf("runServe after cancel: %v, want nil", err)
	}
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Errorf("%s still answers after shutdown", s.url)
	}
	// The database was closed: SQLite checkpoints and removes the WAL
	// file when its last connection closes.
	if _, err := os.Stat(filepath.Join(dir, "antrag.db-wal")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("antrag.db-wal left after shutdown: the database was not closed (%v)", err)
	}
	if !strings.Contains(s.stderr.String(), "demo catalogue created") {
		t.Errorf("first start did not log the demo seed:\n%s", s.stderr.String())
	}

	// Second start on the same data: the demo is not seeded again, the key
	// file is kept and the data is readable.
	s2 := startServe(t, nil, "--data", dir, "--demo")
	if strings.Contains(s2.stderr.String(), "demo catalogue created") {
		t.Errorf("second start seeded the demo again:\n%s", s2.stderr.String())
	}
	svcs2 := services(t, c, s2.url)
	if len(svcs2) != len(svcs) {
		t.Errorf("%d services after the second start, %d after the first", len(svcs2), len(svcs))
	}
	keyFile2, err := os.ReadFile(filepath.Join(dir, "schluessel"))
	if err != nil || !bytes.Equal(keyFile, keyFile2) {
		t.Errorf("key file changed between starts (%v)", err)
	}
	// The retry answers with the first submission: it is still there.
	code, again, body := submitGewerbe(t, c, s2.url, "serve-test-1")
	if code != http.StatusCreated || again != sub {
		t.Errorf("retry after restart: %d %s, want %+v", code, body, sub)
	}
	// And the caseworker reads it.
	if resp := login(t, c, s2.url, demoUser, demoPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/intern/" {
		t.Fatalf("demo login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, c, s2.url+"/intern/")
	if resp.StatusCode != 200 || !strings.Contains(body, sub.Reference) {
		t.Errorf("inbox after restart: %d, lists %s: %v", resp.StatusCode, sub.Reference, strings.Contains(body, sub.Reference))
	}
	resp, body = get(t, c, s2.url+"/intern/antraege/"+sub.ID+"/daten.json")
	if resp.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Errorf("daten.json after restart: %d %.200s", resp.StatusCode, body)
	}
	if err := s2.stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
}

func TestServeDataKeyFromEnvironment(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "daten")
	keyA, keyB := newDataKey(t), newDataKey(t)
	c := newClient(t)

	s := startServe(t, map[string]string{"ANTRAG_DATA_KEY": keyA}, "--data", dir, "--demo")
	if _, err := os.Stat(filepath.Join(dir, "schluessel")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file written although ANTRAG_DATA_KEY is set: %v", err)
	}
	code, sub, body := submitGewerbe(t, c, s.url, "key-test")
	if code != http.StatusCreated {
		t.Fatalf("submission: %d %s", code, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	// The data in the database is sealed: a distinctive value of the
	// example is not in the file as plain text.
	example, _ := gewerbeExample()
	if needle := longestString(example); needle != "" {
		db, err := os.ReadFile(filepath.Join(dir, "antrag.db"))
		if err != nil {
			t.Fatal(err)
		}
		wal, _ := os.ReadFile(filepath.Join(dir, "antrag.db-wal"))
		if bytes.Contains(db, []byte(needle)) || bytes.Contains(wal, []byte(needle)) {
			t.Errorf("application data %q stored in clear text", needle)
		}
	}

	// Another key is refused at start-up, before anything is sealed
	// with it.
	err, _ := startServeErr(t, map[string]string{"ANTRAG_DATA_KEY": keyB}, "--data", dir)
	if !errors.Is(err, store.ErrWrongKey) || !strings.Contains(err.Error(), "ANTRAG_DATA_KEY") {
		t.Errorf("start with another key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "schluessel")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file written although ANTRAG_DATA_KEY is set: %v", err)
	}

	// With the right key everything is readable.
	s = startServe(t, map[string]string{"ANTRAG_DATA_KEY": keyA}, "--data", dir)
	if resp := login(t, c, s.url, demoUser, demoPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	resp, body := get(t, c, s.url+"/intern/antraege/"+sub.ID+"/daten.json")
	if resp.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Errorf("daten.json with the right key: %d %.200s", resp.StatusCode, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

// longestString returns the longest JSON string value in doc, a value
// distinctive enough to search for.
func longestString(doc string) string {
	var best string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if len(v) > len(best) {
				best = v
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	if json.Unmarshal([]byte(doc), &v) == nil {
		walk(v)
	}
	if len(best) < 6 {
		return ""
	}
	return best
}

func TestServeMalformedDataKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"kein-base64!", base64.StdEncoding.EncodeToString([]byte("zu kurz"))} {
		dir := filepath.Join(t.TempDir(), "daten")
		err, _ := startServeErr(t, map[string]string{"ANTRAG_DATA_KEY": key}, "--data", dir)
		if err == nil || !strings.Contains(err.Error(), "Datenschlüssel") || !strings.Contains(err.Error(), "32 Bytes") {
			t.Errorf("ANTRAG_DATA_KEY=%q: %v", key, err)
		}
		if code := exitCode(err, io.Discard); code == 0 {
			t.Errorf("exit code 0")
		}
		if _, err := os.Stat(filepath.Join(dir, "schluessel")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("key file written for a malformed key: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "antrag.db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("database created for a malformed key: %v", err)
		}
	}
}

func TestServeOtherDatabasesRefused(t *testing.T) {
	t.Parallel()
	// untouched fails if anything was created in the data directory.
	untouched := func(what, dir string) {
		t.Helper()
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: data directory created although the database is refused (%v)", what, err)
		}
	}
	for _, db := range []string{"mysql://x", "sqlite:", "antrag.db"} {
		dir := filepath.Join(t.TempDir(), "daten")
		err, _ := startServeErr(t, nil, "--data", dir, "--db", db)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "sqlite:PFAD oder postgres://") {
			t.Errorf("--db %s: %v", db, err)
		}
		if code := exitCode(err, io.Discard); code != 2 {
			t.Errorf("--db %s: exit code %d", db, code)
		}
		untouched("--db "+db, dir)
		// It is a mistake on the command line: parseServe finds it.
		if _, err := parseServe([]string{"--db", db}, envMap(nil), io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Errorf("parseServe --db %s: %v", db, err)
		}
		// user add selects the database the same way, and says so before
		// it asks for the password.
		_, stderr, err := runUserOut(t, nil, "ein-langes-passwort\n", "user", "add", "--data", dir, "--db", db, "--tenant", "musterstadt", "--username", "m.muster")
		if !errors.As(err, &ue) {
			t.Errorf("user add --db %s: %v", db, err)
		}
		if strings.Contains(stderr, "Passwort") {
			t.Errorf("user add --db %s asked for the password first", db)
		}
		untouched("user add --db "+db, dir)
	}
	// A PostgreSQL that cannot be reached is an error that hides the
	// password of the URL.
	err, _ := startServeErr(t, nil, "--data", filepath.Join(t.TempDir(), "daten"), "--db", "postgres://antrag:streng-geheim@127.0.0.1:1/antrag?connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "streng-geheim") {
		t.Errorf("unreachable PostgreSQL: %v", err)
	}
}

func TestServeBadLogLevel(t *testing.T) {
	t.Parallel()
	err, _ := startServeErr(t, nil, "--data", t.TempDir(), "--log-level", "laut")
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "laut") {
		t.Errorf("--log-level laut: %v", err)
	}
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	s := startServe(t, nil, "--data", t.TempDir())
	addr := strings.TrimPrefix(s.url, "http://")
	err, _ := startServeErr(t, nil, "--data", t.TempDir(), "--addr", addr)
	if err == nil {
		t.Errorf("second server on %s started", addr)
	}
	if err := s.stop(); err != nil {
		t.Error(err)
	}
}

// ---- user add ----

func runUserCmd(t *testing.T, env map[string]string, stdin string, args ...string) error {
	t.Helper()
	_, _, err := runUserOut(t, env, stdin, args...)
	return err
}

func runUserOut(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, envMap(env), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// seedDemo creates the demo tenants in a new data directory, as the first
// `antrag serve --demo` does, without starting a server.
func seedDemo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "daten")
	c := &serveConfig{dataDir: dir, db: "sqlite:" + filepath.Join(dir, "antrag.db")}
	box, err := openBox(c)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openDB(context.Background(), c, box)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(context.Background(), st, cat); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestUserAddAndLogin(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	const pw = "ein langes Passwort, 2026"

	out, stderr, err := runUserOut(t, nil, pw+"\r\n", "user", "add", "--data", dir, "--tenant", "beispielkreis", "--username", "m.muster", "--name", "Maria Muster")
	if err != nil {
		t.Fatalf("user add: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "Benutzer m.muster im Mandanten „Landkreis Beispielkreis“ angelegt.") {
		t.Errorf("stdout: %q", out)
	}
	if strings.Contains(out+stderr, pw) {
		t.Errorf("the password is echoed")
	}
	// The name is taken.
	if err := runUserCmd(t, nil, "noch ein langes Passwort\n", "user", "add", "--data", dir, "--tenant", "musterstadt", "--username", "m.muster"); err == nil {
		t.Errorf("a second m.muster was created")
	}
	// ANTRAG_DATA selects the installation too; a password without a final
	// newline is taken as it is.
	if err := runUserCmd(t, map[string]string{"ANTRAG_DATA": dir}, "ohne Zeilenende!", "user", "add", "--tenant", "musterstadt", "--username", "k.kunz"); err != nil {
		t.Errorf("user add with ANTRAG_DATA: %v", err)
	}

	s := startServe(t, nil, "--data", dir)
	c := newClient(t)
	if resp := login(t, c, s.url, "m.muster", pw+"x"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %d", resp.StatusCode)
	}
	if resp := login(t, c, s.url, "m.muster", pw+"\r"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the \\r of the input line became part of the password: %d", resp.StatusCode)
	}
	resp := login(t, c, s.url, "m.muster", pw)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/intern/" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(t, c, s.url+"/intern/")
	if resp.StatusCode != 200 || !strings.Contains(body, "Posteingang") || !strings.Contains(body, "Maria Muster") || !strings.Contains(body, "Landkreis Beispielkreis") {
		t.Errorf("inbox of m.muster: %d, has name %v, has tenant %v", resp.StatusCode, strings.Contains(body, "Maria Muster"), strings.Contains(body, "Landkreis Beispielkreis"))
	}
	// Without an Origin header (curl, scripts) login works as well.
	c2 := newClient(t)
	form := url.Values{"benutzername": {"k.kunz"}, "passwort": {"ohne Zeilenende!"}}
	req, _ := http.NewRequest("POST", s.url+"/intern/anmelden", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := do(t, c2, req); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login of k.kunz without Origin: %d", resp.StatusCode)
	}
	// A cross-origin login is refused.
	c3 := newClient(t)
	req, _ = http.NewRequest("POST", s.url+"/intern/anmelden", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://boese.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := do(t, c3, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin login: %d, want 403", resp.StatusCode)
	}
	if err := s.stop(); err != nil {
		t.Error(err)
	}
}

func TestUserAddRefuses(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	add := func(stdin string, args ...string) error {
		return runUserCmd(t, nil, stdin, append([]string{"user", "add", "--data", dir}, args...)...)
	}

	// Too short: 11 characters (runes, not bytes).
	for _, pw := range []string{"elf-Zeichen", "äöüäöüäöüäö", ""} {
		err := add(pw+"\n", "--tenant", "musterstadt", "--username", "kurz.pw")
		if !errors.Is(err, account.ErrWeakPassword) {
			t.Errorf("password %q: %v", pw, err)
		}
	}
	// 12 characters are enough, and kurz.pw did not exist before.
	if err := add("zwölf-Zeiche\n", "--tenant", "musterstadt", "--username", "kurz.pw"); err != nil {
		t.Errorf("12-character password: %v", err)
	}
	// No input at all.
	if err := add("", "--tenant", "musterstadt", "--username", "leer"); err == nil || !strings.Contains(err.Error(), "Passwort") {
		t.Errorf("empty stdin: %v", err)
	}

	// Unknown tenant: the error names it.
	err := add("ein-langes-passwort\n", "--tenant", "gibtsnicht", "--username", "m.muster")
	if err == nil || !strings.Contains(err.Error(), `"gibtsnicht"`) {
		t.Errorf("unknown tenant: %v", err)
	}
	if code := exitCode(err, io.Discard); code != 1 {
		t.Errorf("unknown tenant: exit code %d", code)
	}

	// Command-line mistakes are usage errors.
	for _, args := range [][]string{
		{"user"},
		{"user", "remove"},
		{"user", "add"},
		{"user", "add", "--data", dir, "--tenant", "musterstadt"},
		{"user", "add", "--data", dir, "--username", "m.muster"},
		{"user", "add", "--data", dir, "--tenant", "musterstadt", "--username", "ab"},
		{"user", "add", "--data", dir, "--tenant", "musterstadt", "--username", strings.Repeat("x", 65)},
		{"user", "add", "--bogus"},
	} {
		err := runUserCmd(t, nil, "ein-langes-passwort\n", args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: want usageError, got %v", args, err)
		}
	}
	if err := runUserCmd(t, nil, "", "user", "add", "--help"); err != (exitError{0}) {
		t.Errorf("user add --help: %#v", err)
	}
}

// The password is read from the first line only; the rest of stdin is not
// part of it.
func TestUserAddReadsFirstLine(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	if err := runUserCmd(t, nil, "erste-Zeile-ist-es\nzweite Zeile\n", "user", "add", "--data", dir, "--tenant", "musterstadt", "--username", "z.zeile"); err != nil {
		t.Fatal(err)
	}
	st, closeFn, err := openStore(context.Background(), &serveConfig{dataDir: dir, db: "sqlite:" + filepath.Join(dir, "antrag.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	u, err := st.UserByUsername(context.Background(), "z.zeile")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := account.CheckPassword(u.PasswordHash, "erste-Zeile-ist-es"); err != nil || !ok {
		t.Errorf("first line is not the password: %v %v", ok, err)
	}
	if u.Name != "z.zeile" {
		t.Errorf("display name defaults to %q, want the user name", u.Name)
	}
}

// TestAdminCommandsNeedAnInstallation: `user add` on a data directory
// without a database (a typo in --data) fails and creates nothing.
func TestAdminCommandsNeedAnInstallation(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tippfehler")
	err := runUserCmd(t, nil, "ein langes Passwort, 2026\n", "user", "add", "--data", dir, "--tenant", "musterstadt", "--username", "m.muster")
	if err == nil || !strings.Contains(err.Error(), "keine Installation") {
		t.Errorf("user add without an installation: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data directory was created: %v", err)
	}
}
