package web_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	crewjam "github.com/crewjam/saml"

	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/identity/devidp"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/web"
)

// loginHarness is a server with citizen login through the development IdP
// mounted on the same listener, as `antrag serve --demo` runs it.
type loginHarness struct {
	t    *testing.T
	srv  *httptest.Server
	logs *syncBuffer
	db   *store.DB
	idp  *devidp.IdP
	// spCert is the SP's certificate (its signing key's).
	spCert *x509.Certificate
}

func newLoginHarness(t *testing.T) *loginHarness {
	t.Helper()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "antrag.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, db, cat); err != nil {
		t.Fatal(err)
	}
	withoutFees(t, db) // these tests are about logins; payment_test.go pays
	h := &loginHarness{t: t, logs: &syncBuffer{}, db: db}
	var handler http.Handler
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(h.srv.Close)
	var sp *saml.ServiceProvider
	idp, err := devidp.New(devidp.Config{BaseURL: h.srv.URL + "/api/demo-idp",
		ServiceProvider: func(r *http.Request, id string) (*crewjam.EntityDescriptor, error) { return sp.Descriptor(id) }})
	if err != nil {
		t.Fatal(err)
	}
	spKey, spCert, err := saml.GenerateKeyPair("antrag test SP", 2048)
	if err != nil {
		t.Fatal(err)
	}
	if sp, err = saml.New(saml.Config{Key: spKey, Certificate: spCert, Replay: db}, []*saml.Profile{idp.Profile()}); err != nil {
		t.Fatal(err)
	}
	h.idp, h.spCert = idp, spCert
	st, stop := db.SessionStore()
	t.Cleanup(stop)
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	blobs, err := blob.NewDir(filepath.Join(dir, "anhaenge"), box)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{BaseURL: h.srv.URL}, web.Deps{Store: db, Catalog: cat, Logger: logger, Blobs: blobs,
		Identity: sp, Citizens: web.NewCitizenSessions(st, false), Box: box,
		Handlers: map[string]http.Handler{"/api/demo-idp/": idp}})
	if err != nil {
		t.Fatal(err)
	}
	handler = srv
	return h
}

func (h *loginHarness) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// page fetches and parses; want is the expected status.
func (h *loginHarness) page(c *http.Client, method, u string, form url.Values, want int) (*goquery.Document, *http.Response) {
	h.t.Helper()
	if !strings.HasPrefix(u, "http") {
		u = h.srv.URL + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if res.StatusCode != want {
		h.t.Fatalf("%s %s: %d, want %d: %s", method, u, res.StatusCode, want, strings.Join(strings.Fields(doc.Find("main").Text()), " "))
	}
	return doc, res
}

// formValues returns a form's action and its hidden fields.
func formValues(doc *goquery.Document, sel string) (string, url.Values) {
	f := doc.Find(sel).First()
	action, _ := f.Attr("action")
	v := url.Values{}
	f.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("name")
		val, _ := s.Attr("value")
		v.Set(n, val)
	})
	return action, v
}

// login goes from the choice page through the IdP back to the ACS and
// returns the ACS's response.
func (h *loginHarness) login(c *http.Client, niveau, person, level, method string) *http.Response {
	h.t.Helper()
	return h.loginFrom(c, "/musterstadt/anmelden?zurueck=/musterstadt/&niveau="+niveau, person, level, method)
}

// loginFrom is login starting from a tenant's login page (start: its path
// and query).
func (h *loginHarness) loginFrom(c *http.Client, start, person, level, method string) *http.Response {
	h.t.Helper()
	lp, _ := url.Parse(start)
	niveau := lp.Query().Get("niveau")
	tenant := strings.Split(lp.Path, "/")[1]
	doc, _ := h.page(c, "GET", start, nil, http.StatusOK)
	action, v := formValues(doc, `form[action="/`+tenant+`/anmelden/devidp"]`)
	if action == "" || v.Get("niveau") != niveau {
		h.t.Fatalf("no login choice for the development IdP (niveau %q)", v.Get("niveau"))
	}
	fwd, res := h.page(c, "POST", action, v, http.StatusOK)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+h.srv.URL) {
		h.t.Errorf("the forwarding page's CSP does not allow the IdP: %s", csp)
	}
	idpURL, v := formValues(fwd, "main form")
	if !strings.HasPrefix(idpURL, h.srv.URL+"/api/demo-idp/") || v.Get("SAMLRequest") == "" {
		h.t.Fatalf("forwarding form to %q", idpURL)
	}
	loginPage, _ := h.page(c, "POST", idpURL, v, http.StatusOK)
	if tenant == "musterstadt" && loginPage.Find(`h1`).Text() != "Anmelden für Stadt Musterstadt" {
		h.t.Errorf("IdP login page heading %q", loginPage.Find(`h1`).Text())
	}
	action, v = formValues(loginPage, "main form")
	v.Set("person", person)
	v.Set("niveau", level)
	v.Set("methode", method)
	answer, _ := h.page(c, "POST", action, v, http.StatusOK)
	acs, v := formValues(answer, "main form")
	if acs != h.srv.URL+"/"+tenant+"/saml/devidp/acs" {
		h.t.Fatalf("the IdP answers to %q", acs)
	}
	req, _ := http.NewRequest("POST", acs, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// As a browser sends the IdP's cross-site post.
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://id.example")
	res, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func sessionCookie(c *http.Client, u string) string {
	pu, _ := url.Parse(u)
	for _, ck := range c.Jar.Cookies(pu) {
		if ck.Name == "antrag_sitzung" {
			return ck.Value
		}
	}
	return ""
}

func (h *loginHarness) greeting(c *http.Client) string {
	h.t.Helper()
	doc, _ := h.page(c, "GET", "/musterstadt/", nil, http.StatusOK)
	return strings.Join(strings.Fields(doc.Find("#angemeldet .kern-body").Text()), " ")
}

func TestCitizenLoginFlow(t *testing.T) {
	h := newLoginHarness(t)
	c := h.browser()
	if g := h.greeting(c); g != "" {
		t.Fatalf("logged in before login: %q", g)
	}
	res := h.login(c, "substantiell", "erika", "STORK-QAA-Level-3", "eID")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/musterstadt/" {
		t.Fatalf("ACS: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if g := h.greeting(c); g != "Angemeldet als Erika Mustermann (Vertrauensniveau substantiell)" {
		t.Fatalf("greeting %q", g)
	}
	first := sessionCookie(c, h.srv.URL)

	// Session fixation: a second login gets a new session id, and the
	// old one no longer logs anybody in.
	res = h.login(c, "hoch", "max", "STORK-QAA-Level-4", "eID")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second login: %d", res.StatusCode)
	}
	second := sessionCookie(c, h.srv.URL)
	if first == "" || second == "" || first == second {
		t.Fatalf("session id did not change at login: %q → %q", first, second)
	}
	if g := h.greeting(c); g != "Angemeldet als Max Ludwig Schäfer (Vertrauensniveau hoch)" {
		t.Fatalf("greeting after second login %q", g)
	}
	old := h.browser()
	pu, _ := url.Parse(h.srv.URL)
	old.Jar.SetCookies(pu, []*http.Cookie{{Name: "antrag_sitzung", Value: first, Path: "/"}})
	if g := h.greeting(old); g != "" {
		t.Fatalf("the pre-login session id still logs in: %q", g)
	}

	// Logout ends it.
	h.page(c, "POST", "/musterstadt/abmelden", url.Values{}, http.StatusOK)
	if g := h.greeting(c); g != "" {
		t.Fatalf("logged in after logout: %q", g)
	}
	if strings.Contains(h.logs.String(), "Mustermann") || strings.Contains(h.logs.String(), "99 084") || strings.Contains(h.logs.String(), "Erika") {
		t.Error("the log has personal data")
	}
	if !strings.Contains(h.logs.String(), `msg="citizen logged in" tenant=musterstadt idp=devidp level=substantiell method=eID`) {
		t.Errorf("no login in the log")
	}
}

func TestCitizenLoginRefused(t *testing.T) {
	h := newLoginHarness(t)
	t.Run("level below the one asked for", func(t *testing.T) {
		c := h.browser()
		res := h.login(c, "hoch", "erika", "STORK-QAA-Level-3", "eID")
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("ACS: %d", res.StatusCode)
		}
		if g := h.greeting(c); g != "" {
			t.Fatalf("logged in: %q", g)
		}
		if !strings.Contains(h.logs.String(), `msg="citizen login refused" tenant=musterstadt idp=devidp reason=level`) {
			t.Error("refusal not logged with its reason")
		}
	})
	t.Run("answer in another browser", func(t *testing.T) {
		// An attacker's response posted into a victim's browser, which
		// never started a login: refused (login CSRF).
		c := h.browser()
		doc, _ := h.page(c, "GET", "/musterstadt/anmelden", nil, http.StatusOK)
		action, v := formValues(doc, `form[action="/musterstadt/anmelden/devidp"]`)
		fwd, _ := h.page(c, "POST", action, v, http.StatusOK)
		idpURL, v := formValues(fwd, "main form")
		lp, _ := h.page(c, "POST", idpURL, v, http.StatusOK)
		action, v = formValues(lp, "main form")
		v.Set("person", "erika")
		v.Set("niveau", "STORK-QAA-Level-1")
		v.Set("methode", "eID")
		answer, _ := h.page(c, "POST", action, v, http.StatusOK)
		acs, v := formValues(answer, "main form")
		victim := h.browser()
		h.page(victim, "POST", acs, v, http.StatusBadRequest)
		if g := h.greeting(victim); g != "" {
			t.Fatalf("victim logged in: %q", g)
		}
	})
	t.Run("unsigned logout request", func(t *testing.T) {
		c := h.browser()
		h.page(c, "POST", "/musterstadt/saml/devidp/slo", url.Values{"SAMLRequest": {"PHNhbWxwOkxvZ291dFJlcXVlc3QvPg=="}}, http.StatusBadRequest)
	})
}

func TestSAMLMetadataPerTenantAndHost(t *testing.T) {
	h := newLoginHarness(t)
	c := h.browser()
	for _, tenant := range []string{"musterstadt", "beispielkreis"} {
		res, err := c.Get(h.srv.URL + "/" + tenant + "/saml/devidp/metadata")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		want := `entityID="` + h.srv.URL + "/" + tenant + `/saml/devidp/metadata"`
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), want) || !strings.Contains(string(b), h.srv.URL+"/"+tenant+"/saml/devidp/acs") {
			t.Errorf("%s metadata: %d %s", tenant, res.StatusCode, b)
		}
		if !strings.Contains(string(b), `use="encryption"`) || !strings.Contains(string(b), `use="signing"`) || !strings.Contains(string(b), `AuthnRequestsSigned="true"`) {
			t.Errorf("%s metadata lacks keys or request signing", tenant)
		}
	}
	// Another host is not one of antrag's SPs.
	req, _ := http.NewRequest("GET", h.srv.URL+"/musterstadt/saml/devidp/metadata", nil)
	req.Host = "evil.example"
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("metadata for another host: %d", res.StatusCode)
	}
	if res, _ := c.Get(h.srv.URL + "/musterstadt/saml/bundid/metadata"); res.StatusCode != http.StatusNotFound {
		t.Errorf("metadata for a profile without IdP metadata: %d", res.StatusCode)
	}
}

// withoutFees takes the online fees off the demo's services.
func withoutFees(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	ts, err := db.ListTenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range ts {
		svcs, err := db.ListServices(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range svcs {
			if svc.Fee != nil && svc.TenantID == tn.ID {
				svc.Fee = nil
				if err := db.UpdateService(ctx, svc); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
