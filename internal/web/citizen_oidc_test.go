package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc"
	"github.com/antrag/antrag/internal/identity/oidc/oidctest"
	"github.com/antrag/antrag/internal/web"
)

// citizenOIDCHarness is a server with a citizen OIDC profile "broker"
// (a Keycloak in front of BundID and Mein Unternehmenskonto) at op.
func citizenOIDCHarness(t *testing.T, op *oidctest.Provider) (*harness, *scs.SessionManager) {
	t.Helper()
	profiles, err := oidc.LoadProfiles(strings.NewReader(`[{"id": "broker", "name": "BundID", "issuer": "`+op.Issuer+`",
		"client_id": "antrag", "client_secret": "`+op.ClientSecret+`",
		"attributes": {"givenName": "given_name", "surname": "family_name", "postalCode": "address.postal_code"},
		"level": {"claim": "acr", "values": {"STORK-QAA-Level-1": "niedrig", "STORK-QAA-Level-3": "substantiell",
			"STORK-QAA-Level-4": "hoch"}, "request": {"substantiell": "STORK-QAA-Level-3", "hoch": "STORK-QAA-Level-4"}},
		"method": {"claim": "amr", "values": {"eid": "eID", "elster": "ELSTER"}},
		"organisation": {"claim": "account_type", "values": ["organisation"]}}]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	citizens := web.NewCitizenSessions(nil, false)
	citizens.Cookie.Name = "buerger"
	h := newHarnessWith(t, func(hc *harnessConfig) {
		hc.baseURL = ""
		hc.web = func(c *web.Config) { c.CitizenOIDC = profiles }
		hc.deps = func(d *web.Deps) { d.Citizens = citizens }
	})
	return h, citizens
}

// citizenIdentity returns the identity the citizen session of the client
// holds, or nil.
func (h *harness) citizenIdentity(c *http.Client, sm *scs.SessionManager) *identity.Identity {
	h.t.Helper()
	u, _ := url.Parse(h.srv.URL + "/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name != "buerger" {
			continue
		}
		b, found, err := sm.Store.Find(ck.Value)
		if err != nil || !found {
			return nil
		}
		_, vals, err := sm.Codec.Decode(b)
		if err != nil {
			h.t.Fatal(err)
		}
		sealed, _ := vals["buerger"].([]byte)
		if sealed == nil {
			return nil
		}
		raw, err := h.box.Open(sealed)
		if err != nil {
			h.t.Fatal(err)
		}
		var st struct {
			Tenant   string
			Identity identity.Identity
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			h.t.Fatal(err)
		}
		return &st.Identity
	}
	return nil
}

// citizenLogin starts a login at path, lets the IdP approve it and returns
// antrag's answer to the callback.
func (h *harness) citizenLogin(c *http.Client, path string, tweak func(*url.URL)) response {
	h.t.Helper()
	r := h.do(c, "GET", path, nil)
	if r.status != http.StatusSeeOther {
		h.t.Fatalf("start: %d %s", r.status, r.body)
	}
	idp, err := c.Get(r.location)
	if err != nil {
		h.t.Fatal(err)
	}
	idp.Body.Close()
	cb, err := url.Parse(idp.Header.Get("Location"))
	if err != nil {
		h.t.Fatal(err)
	}
	if tweak != nil {
		tweak(cb)
	}
	return h.do(c, "GET", strings.TrimPrefix(cb.String(), h.srv.URL), nil)
}

func TestCitizenOIDCLogin(t *testing.T) {
	op := oidctest.New(t)
	h, sm := citizenOIDCHarness(t, op)
	op.SetClaims(map[string]any{"sub": "bpk2-4711", "given_name": "Erika", "family_name": "Mustermann",
		"address": map[string]any{"postal_code": "99 084"}, "acr": "STORK-QAA-Level-4", "amr": []any{"eid"}})
	c := newJarClient(h)
	var before string // the session id while the login is pending
	r := h.citizenLogin(c, "/musterstadt/anmelden/broker?niveau=substantiell&zurueck="+url.QueryEscape("/musterstadt/dienste/gewerbeanmeldung"),
		func(*url.URL) { before = cookieValue(c, h.srv.URL, "buerger") })
	if r.status != http.StatusSeeOther || r.location != "/musterstadt/dienste/gewerbeanmeldung" {
		t.Fatalf("callback: %d %q %s", r.status, r.location, r.body)
	}
	if after := cookieValue(c, h.srv.URL, "buerger"); before == "" || after == "" || after == before {
		t.Errorf("citizen session id not renewed at login")
	}
	id := h.citizenIdentity(c, sm)
	if id == nil || id.Level != identity.Hoch || id.Method != identity.MethodEID || id.Subject != "bpk2-4711" ||
		id.Attr(identity.AttrGivenName) != "Erika" || id.Attr(identity.AttrPostalCode) != "99 084" || id.Provider != "broker" {
		t.Fatalf("identity %+v", id)
	}
	if got := op.Requests()[0].Get("acr_values"); got != "STORK-QAA-Level-3" {
		t.Errorf("acr_values %q", got)
	}
	if strings.Contains(h.logs.String(), "Mustermann") || strings.Contains(h.logs.String(), "bpk2-4711") {
		t.Error("log names the person")
	}
}

func TestCitizenOIDCLoginRefusals(t *testing.T) {
	op := oidctest.New(t)
	h, sm := citizenOIDCHarness(t, op)
	op.SetClaims(map[string]any{"sub": "p", "acr": "STORK-QAA-Level-1"})
	c := newJarClient(h)
	r := h.citizenLogin(c, "/musterstadt/anmelden/broker?niveau=hoch", nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "„niedrig“") {
		t.Errorf("level too low: %d", r.status)
	}
	if h.citizenIdentity(c, sm) != nil {
		t.Error("identity kept although the level is too low")
	}
	op.SetClaims(map[string]any{"sub": "p", "acr": "STORK-QAA-Level-4"})
	for name, spoil := range map[string]func(){
		"wrong nonce":   func() { op.Tamper(func(c map[string]any) { c["nonce"] = "x" }) },
		"wrong aud":     func() { op.Tamper(func(c map[string]any) { c["aud"] = "x" }) },
		"bad signature": func() { op.SignWithOtherKey(true) },
	} {
		spoil()
		c := newJarClient(h)
		if r := h.citizenLogin(c, "/musterstadt/anmelden/broker", nil); r.status != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, r.status)
		}
		op.SignWithOtherKey(false)
		if h.citizenIdentity(c, sm) != nil {
			t.Errorf("%s: identity kept", name)
		}
	}
	c = newJarClient(h)
	r = h.citizenLogin(c, "/musterstadt/anmelden/broker", func(u *url.URL) {
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
	})
	if r.status != http.StatusUnauthorized || h.citizenIdentity(c, sm) != nil {
		t.Errorf("forged state: %d", r.status)
	}
	// Return paths outside the tenant go to the catalogue.
	for _, bad := range []string{"https://evil.example/", "//evil.example/", "/beispielkreis/", "/musterstadt/../intern/"} {
		r := h.citizenLogin(newJarClient(h), "/musterstadt/anmelden/broker?zurueck="+url.QueryEscape(bad), nil)
		if r.location != "/musterstadt/" {
			t.Errorf("return to %q: %d %q", bad, r.status, r.location)
		}
	}
	if r := h.get("/musterstadt/anmelden/unbekannt"); r.status != http.StatusNotFound {
		t.Errorf("unknown provider: %d", r.status)
	}
	if r := h.get("/musterstadt/anmelden/broker?niveau=mittel"); r.status != http.StatusBadRequest {
		t.Errorf("unknown level: %d", r.status)
	}
}

func cookieValue(c *http.Client, base, name string) string {
	u, _ := url.Parse(base + "/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
