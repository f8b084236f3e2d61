package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/identity/oidc/oidctest"
	"github.com/antrag/antrag/internal/web"
)

// staffOIDCHarness is a server whose tenant musterstadt logs its staff in
// through op.
func staffOIDCHarness(t *testing.T, op *oidctest.Provider, extra string) *harness {
	t.Helper()
	list, err := web.LoadStaffOIDC(strings.NewReader(`[{"tenant": "musterstadt",
		"profile": {"id": "rathaus", "name": "Dienstkonto Rathaus", "issuer": "`+op.Issuer+`", "client_id": "antrag",
			"client_secret": "`+op.ClientSecret+`", "scopes": ["profile"]}`+extra+`}]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return newHarnessWith(t, func(hc *harnessConfig) {
		hc.baseURL = ""
		hc.web = func(c *web.Config) { c.StaffOIDC = list }
	})
}

// oidcLogin clicks the login page's IdP button and follows the IdP's
// redirects back; it returns the client and the last answer of antrag.
func (h *harness) oidcLogin(c *http.Client, tweak func(callback *url.URL)) response {
	h.t.Helper()
	page, err := goquery.NewDocumentFromReader(strings.NewReader(h.do(c, "GET", "/intern/anmelden", nil).body))
	if err != nil {
		h.t.Fatal(err)
	}
	href, ok := page.Find("a[href^='/intern/anmelden/oidc/']").Attr("href")
	if !ok {
		h.t.Fatal("login page without IdP button")
	}
	r := h.do(c, "GET", href, nil)
	if r.status != http.StatusSeeOther {
		h.t.Fatalf("start: %d %s", r.status, r.body)
	}
	idp, err := c.Get(r.location) // the IdP approves at once
	if err != nil {
		h.t.Fatal(err)
	}
	idp.Body.Close()
	cb, err := url.Parse(idp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(cb.String(), h.srv.URL+"/intern/anmelden/oidc/musterstadt/rueckkehr?") {
		h.t.Fatalf("IdP redirected to %q", idp.Header.Get("Location"))
	}
	if tweak != nil {
		tweak(cb)
	}
	return h.do(c, "GET", strings.TrimPrefix(cb.String(), h.srv.URL), nil)
}

func newJarClient(h *harness) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
}

// TestStaffOIDCLoginWithRolesFromTheIdP: the IdP's groups decide the role;
// the account is made at the first login and found again by the subject;
// a person without a group is refused.
func TestStaffOIDCLoginWithRolesFromTheIdP(t *testing.T) {
	op := oidctest.New(t)
	h := staffOIDCHarness(t, op, `, "roles_claim": "groups",
		"roles": {"antrag-admin": "admin", "antrag-sb": "sachbearbeitung"}`)
	op.SetClaims(map[string]any{"sub": "ad-4711", "preferred_username": "m.muster", "name": "Maria Muster",
		"groups": []any{"alle", "antrag-sb"}})
	c := newJarClient(h)
	h.do(c, "GET", "/intern/anmelden", nil)
	before := h.sessionCookie(c)
	r := h.oidcLogin(c, nil)
	if r.status != http.StatusSeeOther || r.location != "/intern/" {
		t.Fatalf("callback: %d %s %s", r.status, r.location, r.body)
	}
	if s := h.sessionCookie(c); s == "" || s == before {
		t.Errorf("session id not renewed at the login")
	}
	inbox := h.do(c, "GET", "/intern/", nil)
	if inbox.status != http.StatusOK || !strings.Contains(inbox.body, "Maria Muster (m.muster)") {
		t.Fatalf("inbox after IdP login: %d", inbox.status)
	}
	if r := h.do(c, "GET", "/intern/benutzer", nil); r.status != http.StatusForbidden {
		t.Errorf("caseworker on the staff page: %d", r.status)
	}
	ctx := context.Background()
	u, err := h.db.UserByUsername(ctx, "m.muster")
	if err != nil {
		t.Fatal(err)
	}
	// Promoted at the IdP: admin at the next login, same account.
	op.SetClaims(map[string]any{"sub": "ad-4711", "preferred_username": "m.muster", "groups": []any{"antrag-admin", "antrag-sb"}})
	c2 := newJarClient(h)
	if r := h.oidcLogin(c2, nil); r.status != http.StatusSeeOther {
		t.Fatalf("second login: %d", r.status)
	}
	if r := h.do(c2, "GET", "/intern/benutzer", nil); r.status != http.StatusOK {
		t.Errorf("admin on the staff page: %d", r.status)
	}
	if acc, _ := h.db.Access(ctx, u.TenantID, u.ID); acc.Role != account.RoleAdmin {
		t.Errorf("role %s", acc.Role)
	}
	users, _ := h.db.ListUsers(ctx, u.TenantID)
	if len(users) != 3 {
		t.Errorf("%d accounts, want the demo's two and one", len(users))
	}
	// Without a group: refused.
	op.SetClaims(map[string]any{"sub": "ad-0815", "preferred_username": "praktikant", "groups": []any{"alle"}})
	c3 := newJarClient(h)
	r = h.oidcLogin(c3, nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "keine Berechtigung") {
		t.Errorf("person without group: %d", r.status)
	}
	if r := h.do(c3, "GET", "/intern/", nil); r.status != http.StatusSeeOther {
		t.Errorf("inbox of the refused person: %d", r.status)
	}
	if _, err := h.db.UserByUsername(ctx, "praktikant"); err == nil {
		t.Error("account made for a person without group")
	}
}

// TestStaffOIDCLoginRefusals: a forged state, a spoilt token, a callback
// without a login begun here and an unknown person are refused, and the
// log says why without naming the person.
func TestStaffOIDCLoginRefusals(t *testing.T) {
	op := oidctest.New(t)
	h := staffOIDCHarness(t, op, ``)
	op.SetClaims(map[string]any{"sub": "ad-4711", "preferred_username": "m.muster", "name": "Maria Muster"})
	for _, tc := range []struct {
		name   string
		spoil  func()
		tweak  func(cb *url.URL)
		status int
	}{
		{"forged state", nil, func(cb *url.URL) { q := cb.Query(); q.Set("state", "x"); cb.RawQuery = q.Encode() }, http.StatusUnauthorized},
		{"wrong nonce", func() { op.Tamper(func(c map[string]any) { c["nonce"] = "x" }) }, nil, http.StatusUnauthorized},
		{"wrong audience", func() { op.Tamper(func(c map[string]any) { c["aud"] = "other" }) }, nil, http.StatusUnauthorized},
		{"bad signature", func() { op.SignWithOtherKey(true) }, nil, http.StatusUnauthorized},
		{"unknown person without roles claim", nil, nil, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.spoil != nil {
				tc.spoil()
			}
			defer op.SignWithOtherKey(false)
			c := newJarClient(h)
			r := h.oidcLogin(c, tc.tweak)
			if r.status != tc.status {
				t.Errorf("callback: %d, want %d", r.status, tc.status)
			}
			if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusSeeOther {
				t.Errorf("inbox after a refused login: %d", r.status)
			}
		})
	}
	// A callback in a browser that did not begin the login.
	r := h.do(newJarClient(h), "GET", "/intern/anmelden/oidc/musterstadt/rueckkehr?code=x&state=y", nil)
	if r.status != http.StatusBadRequest {
		t.Errorf("callback without pending login: %d", r.status)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "staff OIDC login refused") || strings.Contains(logs, "m.muster") || strings.Contains(logs, "ad-4711") {
		t.Errorf("log: %s", logs)
	}
	if r := h.get("/intern/anmelden/oidc/beispielkreis"); r.status != http.StatusNotFound {
		t.Errorf("tenant without IdP: %d", r.status)
	}
}

// TestStaffOIDCLinksExistingAccount: with link_by_username, the first
// login links the tenant's account of that name and keeps its limits.
func TestStaffOIDCLinksExistingAccount(t *testing.T) {
	op := oidctest.New(t)
	h := staffOIDCHarness(t, op, `, "link_by_username": true`)
	parking, _ := h.sendExample("musterstadt", "bewohnerparkausweis")
	trade, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	h.addStaff("musterstadt", "m.muster", &account.Access{Role: account.RoleCaseworker, Services: []string{parking.ServiceID}})
	op.SetClaims(map[string]any{"sub": "ad-4711", "preferred_username": "m.muster"})
	c := newJarClient(h)
	if r := h.oidcLogin(c, nil); r.status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.status)
	}
	refs := inboxRefs(t, h.do(c, "GET", "/intern/", nil).body)
	if len(refs) != 1 || refs[0] != parking.Reference {
		t.Errorf("inbox %v, want only %s (not %s)", refs, parking.Reference, trade.Reference)
	}
	// Another person with the same user name later: refused, the link
	// stays with the first.
	op.SetClaims(map[string]any{"sub": "ad-9999", "preferred_username": "m.muster"})
	if r := h.oidcLogin(newJarClient(h), nil); r.status != http.StatusForbidden {
		t.Errorf("second person with the name: %d", r.status)
	}
}

// TestStaffOIDCNameTakenAndProviderDown: a first login whose user name an
// unlinked account has is refused (no takeover without link_by_username);
// an unreachable IdP is a 502 with a hint at the local login.
func TestStaffOIDCNameTakenAndProviderDown(t *testing.T) {
	op := oidctest.New(t)
	h := staffOIDCHarness(t, op, `, "roles_claim": "groups", "roles": {"antrag-admin": "admin"}`)
	h.addStaff("musterstadt", "m.muster", nil)
	op.SetClaims(map[string]any{"sub": "ad-1", "preferred_username": "m.muster", "groups": "antrag-admin"})
	r := h.oidcLogin(newJarClient(h), nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "schon an ein anderes Konto vergeben") {
		t.Errorf("name taken: %d", r.status)
	}
	u, _ := h.db.UserByUsername(context.Background(), "m.muster")
	if acc, _ := h.db.Access(context.Background(), u.TenantID, u.ID); acc.Role != account.RoleCaseworker {
		t.Errorf("the unlinked account's role changed to %s", acc.Role)
	}

	down := oidctest.New(t)
	h2 := staffOIDCHarness(t, down, ``)
	down.Close()
	r = h2.do(newJarClient(h2), "GET", "/intern/anmelden/oidc/musterstadt", nil)
	if r.status != http.StatusBadGateway || !strings.Contains(r.body, "Benutzername und Passwort") {
		t.Errorf("IdP down: %d", r.status)
	}
}
