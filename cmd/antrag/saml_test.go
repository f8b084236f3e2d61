package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	crewjam "github.com/crewjam/saml"

	"github.com/antrag/antrag/internal/identity/devidp"
)

// TestServeDemoCitizenLogin: `antrag serve --demo` offers the development
// IdP, and a citizen logs in through it on the same listener.
func TestServeDemoCitizenLogin(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "daten")
	s := startServe(t, nil, "--data", dir, "--demo")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: waitEvent, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(method, u string, form url.Values, want int) *goquery.Document {
		t.Helper()
		if !strings.HasPrefix(u, "http") {
			u = s.url + u
		}
		var res *http.Response
		var err error
		if method == "GET" {
			res, err = c.Get(u)
		} else {
			res, err = c.PostForm(u, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		doc, err := goquery.NewDocumentFromReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, u, res.StatusCode, want, strings.Join(strings.Fields(doc.Text()), " "))
		}
		return doc
	}
	hidden := func(doc *goquery.Document, sel string) (string, url.Values) {
		f := doc.Find(sel).First()
		action, _ := f.Attr("action")
		v := url.Values{}
		f.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
			n, _ := in.Attr("name")
			val, _ := in.Attr("value")
			v.Set(n, val)
		})
		return action, v
	}
	doc := page("GET", "/musterstadt/anmelden?zurueck=/musterstadt/", nil, http.StatusOK)
	action, v := hidden(doc, `form[action="/musterstadt/anmelden/devidp"]`)
	if action == "" {
		t.Fatal("the demo offers no development IdP")
	}
	idp, v := hidden(page("POST", action, v, http.StatusOK), "main form")
	if idp != s.url+"/api/demo-idp/profile/SAML2/POST/SSO" {
		t.Fatalf("forwarded to %q", idp)
	}
	action, v = hidden(page("POST", idp, v, http.StatusOK), "main form")
	v.Set("person", "ayse")
	v.Set("niveau", "STORK-QAA-Level-4")
	v.Set("methode", "eID")
	acs, v := hidden(page("POST", action, v, http.StatusOK), "main form")
	page("POST", acs, v, http.StatusSeeOther)
	got := strings.Join(strings.Fields(page("GET", "/musterstadt/", nil, http.StatusOK).Find("#angemeldet .kern-body").Text()), " ")
	if got != "Angemeldet als Ayşe Yılmaz-Öztürk (Vertrauensniveau hoch)" {
		t.Errorf("greeting %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "saml-sp.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("SP key file: %v %v", fi, err)
	}
	res, err := c.Get(s.url + "/beispielkreis/saml/devidp/metadata")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `entityID="`+s.url+`/beispielkreis/saml/devidp/metadata"`) {
		t.Errorf("metadata: %d %.200s", res.StatusCode, b)
	}
	if !strings.Contains(s.stderr.String(), "development identity provider enabled") {
		t.Error("the warning about the development IdP is not logged")
	}
}

func TestParseServeSAML(t *testing.T) {
	c := mustParseServe(t, map[string]string{"ANTRAG_SAML_PROFILES": "/etc/antrag/saml", "ANTRAG_SAML_IDPS": "bundid-int, muk",
		"ANTRAG_SAML_KEY": "/k.pem", "ANTRAG_SAML_CERT": "/c.pem"})
	want := samlConfig{profilesDir: "/etc/antrag/saml", idps: []string{"bundid-int", "muk"}, keyFile: "/k.pem", certFile: "/c.pem"}
	if fmt.Sprint(c.saml) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", c.saml, want)
	}
}

// TestServeBundIDTestSystem: with the metadata of BundID's test system in
// ANTRAG_SAML_PROFILES (here made by a development IdP with its entity
// id), antrag offers it, publishes SP metadata for it and sends the
// citizen to its SSO endpoint; naming a profile without metadata stops the
// start.
func TestServeBundIDTestSystem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	idp, err := devidp.New(devidp.Config{BaseURL: "https://int.id.bund.de/idp",
		ServiceProvider: func(*http.Request, string) (*crewjam.EntityDescriptor, error) { return nil, os.ErrNotExist }})
	if err != nil {
		t.Fatal(err)
	}
	md, err := idp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundid-int.metadata.xml"), md, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ANTRAG_SAML_PROFILES": dir}
	s := startServe(t, env, "--data", filepath.Join(t.TempDir(), "daten"), "--demo")
	c := newClient(t)
	_, body := get(t, c, s.url+"/musterstadt/anmelden")
	if !strings.Contains(body, `action="/musterstadt/anmelden/bundid-int"`) || !strings.Contains(body, "BundID (Testsystem)") {
		t.Errorf("the choice page does not offer BundID's test system")
	}
	resp, body := get(t, c, s.url+"/musterstadt/saml/bundid-int/metadata")
	if resp.StatusCode != 200 || !strings.Contains(body, `entityID="`+s.url+`/musterstadt/saml/bundid-int/metadata"`) {
		t.Errorf("SP metadata for bundid-int: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", s.url+"/musterstadt/anmelden/bundid-int", strings.NewReader("niveau=hoch&zurueck=/musterstadt/"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body = do(t, c, req)
	if resp.StatusCode != 200 || !strings.Contains(body, `action="https://int.id.bund.de/idp/profile/SAML2/POST/SSO"`) {
		t.Errorf("forwarding page: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://int.id.bund.de") {
		t.Errorf("CSP %q", csp)
	}

	err, stderr := startServeErr(t, map[string]string{"ANTRAG_SAML_PROFILES": dir, "ANTRAG_SAML_IDPS": "bundid-int,bundid"}, "--data", filepath.Join(t.TempDir(), "d2"))
	if err == nil || !strings.Contains(err.Error()+stderr, `Anmeldeprofil "bundid" hat keine IdP-Metadaten`) {
		t.Errorf("start with a profile without metadata: %v", err)
	}
}
