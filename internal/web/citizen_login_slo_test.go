package web_test

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/antrag/antrag/internal/identity/devidp"
)

// decodeSAML parses a base64 SAML message from a form.
func decodeSAML(t *testing.T, v string) *etree.Element {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

func encodeSAML(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// logoutAtIdP presses Abmelden of tenant in c, which must lead to the IdP
// with a LogoutRequest, posts that to the IdP and returns where the IdP
// sends its LogoutResponse and the form (SAMLResponse, RelayState).
func (h *loginHarness) logoutAtIdP(c *http.Client, tenant string) (string, url.Values, *etree.Element) {
	h.t.Helper()
	fwd, res := h.page(c, "POST", "/"+tenant+"/abmelden", url.Values{}, http.StatusOK)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+h.srv.URL) {
		h.t.Errorf("the logout page's CSP does not allow the IdP: %s", csp)
	}
	if fwd.Find("script").Length() != 0 || fwd.Find(`main form button[type="submit"]`).Length() != 1 {
		h.t.Error("the logout page does not post with a button, without script")
	}
	idpURL, v := formValues(fwd, "main form")
	if idpURL != h.idp.EntityID()+devidp.SLOPath || v.Get("SAMLRequest") == "" {
		h.t.Fatalf("logout form to %q", idpURL)
	}
	req := decodeSAML(h.t, v.Get("SAMLRequest"))
	answer, _ := h.page(c, "POST", idpURL, v, http.StatusOK)
	if got := answer.Find("h1").Text(); got != "Abmeldung erfolgreich" {
		h.t.Errorf("the IdP's logout page says %q", got)
	}
	slo, v := formValues(answer, "form")
	return slo, v, req
}

func TestCitizenSingleLogout(t *testing.T) {
	h := newLoginHarness(t)
	c := h.browser()
	if res := h.login(c, "substantiell", "erika", "STORK-QAA-Level-3", "eID"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	if g := h.greeting(c); g == "" {
		t.Fatal("not logged in")
	}
	slo, v, req := h.logoutAtIdP(c, "musterstadt")
	// The LogoutRequest names the login's subject and session, signed
	// with RSA-PSS.
	if req.Tag != "LogoutRequest" || req.FindElement("./NameID") == nil || req.FindElement("./NameID").Text() == "" ||
		req.FindElement("./SessionIndex") == nil || req.FindElement("./SessionIndex").Text() == "" {
		t.Errorf("LogoutRequest without NameID or SessionIndex")
	}
	if m := req.FindElement(".//SignatureMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != dsig.RSASHA256PSSSignatureMethod {
		t.Errorf("LogoutRequest not signed with RSA-PSS")
	}
	// The local session ended with Abmelden already.
	if g := h.greeting(c); g != "" {
		t.Fatalf("logged in after Abmelden: %q", g)
	}
	if slo != h.srv.URL+"/musterstadt/saml/devidp/slo" || v.Get("SAMLResponse") == "" {
		t.Fatalf("the IdP answers to %q", slo)
	}
	resp := decodeSAML(t, v.Get("SAMLResponse"))
	if resp.Tag != "LogoutResponse" || resp.SelectAttrValue("InResponseTo", "") != req.SelectAttrValue("ID", "") {
		t.Fatalf("IdP answer %s to %q", resp.Tag, resp.SelectAttrValue("InResponseTo", ""))
	}
	if m := resp.FindElement(".//SignatureMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != dsig.RSASHA256PSSSignatureMethod {
		t.Errorf("LogoutResponse not signed with RSA-PSS")
	}
	done, _ := h.page(c, "POST", slo, v, http.StatusOK)
	if got := done.Find("h1").Text(); got != "Sie sind abgemeldet" {
		t.Fatalf("after the LogoutResponse: %q", got)
	}
	if g := h.greeting(c); g != "" {
		t.Fatalf("logged in after logout: %q", g)
	}
	// The pending logout is used up: the same answer again is refused.
	h.page(c, "POST", slo, v, http.StatusBadRequest)
	logs := h.logs.String()
	if !strings.Contains(logs, `msg="citizen logged out at the IdP" tenant=musterstadt idp=devidp`) {
		t.Error("logout not logged")
	}
	if strings.Contains(logs, "Erika") || strings.Contains(logs, "Mustermann") {
		t.Error("the log has personal data")
	}
}

func TestCitizenSingleLogoutRefused(t *testing.T) {
	h := newLoginHarness(t)
	// pending is a browser logged out here that waits for the IdP's
	// answer; it returns the answer.
	pending := func(tenant string) (*http.Client, string, url.Values) {
		c := h.browser()
		start := "/" + tenant + "/anmelden?zurueck=/" + tenant + "/"
		if res := h.loginFrom(c, start, "erika", "STORK-QAA-Level-3", "eID"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", res.StatusCode)
		}
		slo, v, _ := h.logoutAtIdP(c, tenant)
		return c, slo, v
	}
	refused := func(t *testing.T, c *http.Client, slo string, v url.Values, reason string) {
		t.Helper()
		doc, _ := h.page(c, "POST", slo, v, http.StatusBadRequest)
		if got := doc.Find("h1").Text(); got != "Abmeldung nicht bestätigt" {
			t.Errorf("refusal page %q", got)
		}
		if want := `msg="logout response refused" tenant=musterstadt idp=devidp reason=` + reason; !strings.Contains(h.logs.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
	t.Run("unsigned", func(t *testing.T) {
		c, slo, v := pending("musterstadt")
		resp := decodeSAML(t, v.Get("SAMLResponse"))
		resp.RemoveChild(resp.FindElement("./Signature"))
		v.Set("SAMLResponse", encodeSAML(t, resp))
		refused(t, c, slo, v, "signature")
	})
	t.Run("tampered", func(t *testing.T) {
		c, slo, v := pending("musterstadt")
		resp := decodeSAML(t, v.Get("SAMLResponse"))
		code := resp.FindElement("./Status/StatusCode")
		code.CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success ")
		v.Set("SAMLResponse", encodeSAML(t, resp))
		refused(t, c, slo, v, "signature")
	})
	t.Run("unknown InResponseTo", func(t *testing.T) {
		// Another browser's answer: it answers a request this browser
		// did not start.
		c, slo, _ := pending("musterstadt")
		_, _, other := pending("musterstadt")
		refused(t, c, slo, other, "in_response_to")
	})
	t.Run("another destination", func(t *testing.T) {
		// The IdP's answer to Beispielkreis, posted to Musterstadt.
		c, slo, _ := pending("musterstadt")
		_, _, other := pending("beispielkreis")
		if d := decodeSAML(t, other.Get("SAMLResponse")).SelectAttrValue("Destination", ""); d != h.srv.URL+"/beispielkreis/saml/devidp/slo" {
			t.Fatalf("destination %q", d)
		}
		refused(t, c, slo, other, "destination")
	})
	t.Run("without a logout started", func(t *testing.T) {
		_, slo, v := pending("musterstadt")
		victim := h.browser()
		refused(t, victim, slo, v, "no_pending_logout")
	})
}

func TestIdPInitiatedLogoutAnswered(t *testing.T) {
	h := newLoginHarness(t)
	c := h.browser()
	if res := h.login(c, "substantiell", "erika", "STORK-QAA-Level-3", "eID"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	slo := h.srv.URL + "/musterstadt/saml/devidp/slo"
	b, err := h.idp.LogoutRequest(slo, "_someone", false)
	if err != nil {
		t.Fatal(err)
	}
	lr := etree.NewDocument()
	if err := lr.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	doc, _ := h.page(c, "POST", slo, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(b)}}, http.StatusOK)
	if g := h.greeting(c); g != "" {
		t.Fatalf("logged in after the IdP's logout: %q", g)
	}
	if doc.Find("script").Length() != 0 {
		t.Error("the answer page has a script")
	}
	action, v := formValues(doc, "main form")
	if action != h.idp.EntityID()+devidp.SLOPath {
		t.Fatalf("LogoutResponse goes to %q", action)
	}
	resp := decodeSAML(t, v.Get("SAMLResponse"))
	if resp.Tag != "LogoutResponse" || resp.SelectAttrValue("InResponseTo", "") != lr.Root().SelectAttrValue("ID", "") ||
		resp.SelectAttrValue("Destination", "") != action {
		t.Fatalf("answer %s to %q at %q", resp.Tag, resp.SelectAttrValue("InResponseTo", ""), resp.SelectAttrValue("Destination", ""))
	}
	if code := resp.FindElement("./Status/StatusCode"); code == nil || code.SelectAttrValue("Value", "") != "urn:oasis:names:tc:SAML:2.0:status:Success" {
		t.Error("status is not Success")
	}
	if iss := resp.FindElement("./Issuer"); iss == nil || iss.Text() != h.srv.URL+"/musterstadt/saml/devidp/metadata" {
		t.Error("issuer is not the SP")
	}
	// Signed by the SP's key (RSA-PSS, as its AuthnRequests).
	store := dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{h.spCert}}
	vc := dsig.NewDefaultValidationContext(&store)
	if _, err := vc.Validate(resp); err != nil {
		t.Errorf("LogoutResponse signature: %v", err)
	}
	if m := resp.FindElement(".//SignatureMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != dsig.RSASHA256PSSSignatureMethod {
		t.Errorf("LogoutResponse not signed with RSA-PSS")
	}
	// Tampered, the same request is refused.
	bad := strings.Replace(string(b), "_someone", "_another", 1)
	h.page(h.browser(), "POST", slo, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(bad))}}, http.StatusBadRequest)
}
