package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"golang.org/x/net/html"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/sandbox"
	"github.com/antrag/antrag/internal/payment/sandbox/sandboxtest"
	"github.com/antrag/antrag/internal/payment/xbezahldienste"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web"
	"github.com/antrag/antrag/internal/web/apicontract"
)

// harness runs a real server (web.New on SQLite, seeded with the demo) on
// a local port.
type harness struct {
	t      testing.TB
	srv    *httptest.Server
	db     *store.DB
	blobs  *blob.Dir
	bdir   string      // the directory blobs keeps its files in
	box    *sealed.Box // the server's data key (Deps.Box)
	now    time.Time
	client *http.Client // does not follow redirects
	cfg    web.Config
	logs   *syncBuffer    // everything the server logged, at debug level
	extra  *http.ServeMux // handlers for /_test/ on the same listener
	server *web.Server
	// pay is the sandbox ePayment provider of the demo authorities'
	// accounts (served at payURL); payments the server's payment use case.
	pay      *sandbox.Sandbox
	payURL   string
	payments *payment.Collector
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
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

// harnessConfig are the settings a test may change.
type harnessConfig struct {
	baseURL                    string
	maxForm, maxUpload, maxAPI int64
	sessionIdle                time.Duration // the staff session's idle timeout; 0: none
	years                      form.YearRange
	trustedProxies             []netip.Prefix
	logins                     *account.LoginsConfig // nil: the server's default Logins
	dsn                        string                // the database (store.Open); "": a new SQLite file
	web                        func(*web.Config)     // changes further settings
	deps                       func(*web.Deps)       // changes further collaborators
	tune                       func(*web.Config)     // further settings; nil: none
}

func newHarness(t testing.TB) *harness { return newHarnessWith(t, nil) }

func newHarnessWith(t testing.TB, configure func(*harnessConfig)) *harness {
	t.Helper()
	hc := harnessConfig{baseURL: "http://antrag.test"}
	if configure != nil {
		configure(&hc)
	}
	dir := t.TempDir()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dsn := hc.dsn
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "antrag.db")
	}
	db, err := store.OpenWith(ctx, dsn, box, store.Options{ConfigRecheck: store.DefaultConfigRecheck})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bdir := filepath.Join(dir, "anhaenge")
	blobs, err := blob.NewDir(bdir, box)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, db, cat); err != nil {
		t.Fatal(err)
	}
	st, stopCleanup := db.SessionStore()
	t.Cleanup(stopCleanup)
	sm := scs.New()
	sm.Store = st
	sm.Cookie.Path = "/intern"
	sm.IdleTimeout = hc.sessionIdle
	h := &harness{t: t, db: db, blobs: blobs, bdir: bdir, box: box, now: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), logs: &syncBuffer{}}
	h.cfg = web.Config{BaseURL: hc.baseURL, MaxFormBytes: hc.maxForm, MaxUploadBytes: hc.maxUpload, MaxAPIBytes: hc.maxAPI, Years: hc.years,
		TrustedProxies: hc.trustedProxies}
	var logins *account.Logins
	if hc.logins != nil {
		keys, err := account.DeriveKeys(key)
		if err != nil {
			t.Fatal(err)
		}
		logins = account.NewLogins(db, keys, *hc.logins)
	}
	if hc.web != nil {
		hc.web(&h.cfg)
	}
	if hc.tune != nil {
		hc.tune(&h.cfg)
	}
	// The demo authorities pay through a sandbox provider, with the real
	// XBezahldienste client (HTTP Basic, as ePay21).
	var paySrv *httptest.Server
	h.pay, paySrv = sandboxtest.Start(t, sandbox.Config{Auth: sandbox.AuthBasic, Username: demo.PaymentUser, Password: demo.PaymentPassword}, nil)
	h.payURL = paySrv.URL + sandboxtest.Prefix
	if err := demo.SeedPayments(ctx, db, h.payURL); err != nil {
		t.Fatal(err)
	}
	h.payments = &payment.Collector{Store: db, Now: func() time.Time { return h.now }, MaxAge: 7 * 24 * time.Hour,
		NewProvider: func(acc *payment.Account) (payment.Provider, error) {
			return xbezahldienste.New(acc, xbezahldienste.Options{})
		}}
	deps := web.Deps{Store: db, RequestScope: store.WithLookups, Blobs: blobs, Catalog: cat, Sessions: sm, Logins: logins, Box: box, Payments: h.payments,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: func() time.Time { return h.now }}
	if hc.deps != nil {
		hc.deps(&deps)
	}
	srv, err := web.New(h.cfg, deps)
	h.server = srv
	if err != nil {
		t.Fatal(err)
	}
	// Paths under /_test/ reach handlers a test adds to h.extra (the
	// benchmarks' baseline) on the same listener; all others the server.
	h.extra = http.NewServeMux()
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_test/") {
			h.extra.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	// Every exchange with the JSON API is checked against its OpenAPI
	// document.
	contract := &apicontract.Transport{Next: http.DefaultTransport, Fail: func(err error) { h.t.Errorf("API contract: %v", err) }}
	h.client = &http.Client{Transport: contract, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

// staffClient returns a client with a cookie jar, logged in as the demo
// caseworker of a tenant.
func (h *harness) staffClient(tenantSlug string) *http.Client {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	resp := h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {demo.Users[tenantSlug]}, "passwort": {demo.Password}})
	if resp.status != http.StatusSeeOther || resp.location != "/intern/" {
		h.t.Fatalf("login: %d %s %s", resp.status, resp.location, resp.body)
	}
	return c
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (h *harness) get(path string) response { return h.do(h.client, "GET", path, nil) }

func (h *harness) do(c *http.Client, method, path string, form url.Values) response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return h.send(c, req)
}

func (h *harness) send(c *http.Client, req *http.Request) response {
	h.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

// upload is a file for a multipart post.
type upload struct {
	field, name string
	content     []byte
}

// postMultipart posts form values and files as a browser does.
func (h *harness) postMultipart(path string, vals url.Values, files []upload) response {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range vals {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			h.t.Fatal(err)
		}
		w.Write(f.content)
	}
	mw.Close()
	req, err := http.NewRequest("POST", h.srv.URL+path, &buf)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return h.send(h.client, req)
}

// pdfFile is a small file that sniffs as application/pdf.
func pdfFile(tag string) []byte {
	return []byte("%PDF-1.4\n% " + tag + "\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
}

// service is a demo service with its prepared form.
type service struct {
	tenant *tenant.Tenant
	svc    *tenant.Service
	form   *journey.Form
	ctx    rules.Context
}

func (h *harness) service(tenantSlug, slug string) *service {
	h.t.Helper()
	ctx := context.Background()
	t, err := h.db.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := h.db.ServiceBySlug(ctx, t.ID, slug)
	if err != nil {
		h.t.Fatal(err)
	}
	fv, err := h.db.FormVersion(ctx, t.ID, svc.FormVersionID)
	if err != nil {
		h.t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(fv.XDF), fv.FIMID, fim.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	return &service{tenant: t, svc: svc, form: journey.NewForm(s), ctx: rules.Context{Today: h.now, Bundesland: t.Bundesland()}}
}

var stepRE = regexp.MustCompile(`/schritt/(\d+)$`)

// start begins an application and returns the draft's base path.
func (h *harness) start(sv *service) string {
	h.t.Helper()
	resp := h.do(h.client, "POST", "/"+sv.tenant.Slug+"/dienste/"+sv.svc.Slug, url.Values{})
	if resp.status != http.StatusSeeOther || !strings.HasSuffix(resp.location, "/schritt/1") {
		h.t.Fatalf("start %s: %d %q", sv.svc.Slug, resp.status, resp.location)
	}
	return strings.TrimSuffix(resp.location, "/schritt/1")
}

// fill enters doc on every step through form posts: each step once with
// "Aktualisieren" (uploading the files), then through the steps the
// answers leave visible with "Weiter", and returns at the summary page.
func (h *harness) fill(sv *service, base string, doc map[string]any) {
	h.t.Helper()
	for _, st := range sv.form.Steps {
		vals, refs := sv.form.FormValues(st, doc)
		vals.Set("aktion", "aktualisieren")
		var files []upload
		for field, rs := range refs {
			for _, r := range rs {
				files = append(files, upload{field: field, name: r.Filename, content: pdfFile(field + r.AttachmentID)})
			}
		}
		resp := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, st.Index+1), vals, files)
		if resp.status != http.StatusSeeOther {
			h.t.Fatalf("%s step %d (aktualisieren): %d\n%s", sv.svc.Slug, st.Index+1, resp.status, problemsOf(resp.body))
		}
	}
	path := base + "/schritt/1"
	for range len(sv.form.Steps) + 1 {
		resp := h.get(path)
		if resp.status == http.StatusSeeOther { // a step the answers hide
			path = resp.location
			if strings.HasSuffix(path, "/pruefen") {
				return
			}
			continue
		}
		if resp.status != http.StatusOK {
			h.t.Fatalf("GET %s: %d", path, resp.status)
		}
		m := stepRE.FindStringSubmatch(path)
		if m == nil {
			h.t.Fatalf("not a step: %s", path)
		}
		var n int
		fmt.Sscan(m[1], &n)
		vals, _ := sv.form.FormValues(sv.form.Steps[n-1], doc)
		vals.Set("aktion", "weiter")
		resp = h.postMultipart(path, vals, nil)
		if resp.status != http.StatusSeeOther {
			h.t.Fatalf("%s step %d (weiter): %d\n%s", sv.svc.Slug, n, resp.status, problemsOf(resp.body))
		}
		path = resp.location
		if strings.HasSuffix(path, "/pruefen") {
			return
		}
	}
	h.t.Fatalf("%s: never reached the summary", sv.svc.Slug)
}

var errorItemRE = regexp.MustCompile(`<li><a class="kern-link" href="[^"]*">([^<]*)</a></li>`)

// problemsOf extracts the error summary of a page.
func problemsOf(body string) string {
	var out []string
	for _, m := range errorItemRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 && len(body) > 400 {
		return body[:400]
	}
	return strings.Join(out, "\n")
}

var referenceRE = regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}`)

// submit sends the application from the summary page and returns the
// confirmation page.
func (h *harness) submit(base string) (reference string, page string) {
	h.t.Helper()
	resp := h.get(base + "/pruefen")
	if resp.status != http.StatusOK {
		h.t.Fatalf("summary: %d %s", resp.status, problemsOf(resp.body))
	}
	resp = h.do(h.client, "POST", base+"/absenden", url.Values{})
	if resp.status == http.StatusSeeOther && h.payURL != "" && resp.location == base+"/zahlung" {
		// A fee to pay online: paid on the sandbox's pay page.
		resp = h.payOnPage(h.payLink(base), "bezahlen")
	}
	if resp.status != http.StatusSeeOther || resp.location != base+"/bestaetigung" {
		h.t.Fatalf("submit: %d %q %s", resp.status, resp.location, problemsOf(resp.body))
	}
	resp = h.get(base + "/bestaetigung")
	if resp.status != http.StatusOK {
		h.t.Fatalf("confirmation: %d", resp.status)
	}
	ref := referenceRE.FindString(resp.body)
	if ref == "" {
		h.t.Fatalf("no Vorgangsnummer on the confirmation page")
	}
	return ref, resp.body
}

// pdfText extracts the text of a PDF with pdftotext, or skips.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-raw", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// normalizeFiles replaces the FileRefs in doc by their file names, so that
// data with uploaded files compares to data with example references.
func normalizeFiles(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if name, ok := x["filename"].(string); ok && x["attachmentId"] != nil {
			return "file:" + name
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalizeFiles(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeFiles(e)
		}
		return out
	}
	return v
}

func tokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// storedAs loads the submission with the Vorgangsnummer and fails t unless
// its data is want (file references compared without their ids, which the
// server assigns). It returns the submission and its decoded data.
func (h *harness) storedAs(t testing.TB, sv *service, ref string, want map[string]any) (*submission.Submission, map[string]any) {
	t.Helper()
	sub, err := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, ref)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := form.DecodeData(bytes.NewReader(sub.Data))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(normalizeFiles(stored))
	exp, _ := json.Marshal(normalizeFiles(want))
	if string(got) != string(exp) {
		t.Errorf("stored data differs from what was entered\n got %.800s\nwant %.800s", got, exp)
	}
	return sub, stored
}

// payOnPage makes a choice on the sandbox's pay page at payPage
// ("bezahlen", "scheitern", "abbrechen", "spaeter"), follows the pay
// page's redirect back to antrag, and returns antrag's answer there.
func (h *harness) payOnPage(payPage, choice string) response {
	h.t.Helper()
	if !strings.HasPrefix(payPage, h.payURL+"bezahlen/") {
		h.t.Fatalf("not a pay page of the sandbox: %s", payPage)
	}
	req, err := http.NewRequest("POST", payPage, strings.NewReader(url.Values{"aktion": {choice}}.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := h.send(h.client, req)
	if resp.status != http.StatusSeeOther {
		h.t.Fatalf("pay page %s: %d %s", choice, resp.status, resp.body)
	}
	back, err := url.Parse(resp.location)
	if err != nil || !strings.HasSuffix(back.Path, "/zahlung/rueckkehr") {
		h.t.Fatalf("pay page sent back to %q", resp.location)
	}
	return h.get(back.Path)
}

// payLink returns the pay page the payment page of the draft at base
// links to, failing the test if it links none.
func (h *harness) payLink(base string) string {
	h.t.Helper()
	page := h.get(base + "/zahlung")
	m := payLinkRE.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		h.t.Fatalf("payment page: %d, no link to a pay page\n%s", page.status, problemsOf(page.body))
	}
	return html.UnescapeString(m[1])
}

var payLinkRE = regexp.MustCompile(`id="bezahlseite" href="([^"]+)"`)
