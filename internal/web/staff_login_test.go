package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/web"
)

// sessionCookie returns the value of the staff session cookie the jar
// holds for the server.
func (h *harness) sessionCookie(c *http.Client) string {
	u, _ := url.Parse(h.srv.URL + "/intern/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "session" {
			return ck.Value
		}
	}
	return ""
}

func (h *harness) enrolTOTP(tenantSlug, username string) string {
	h.t.Helper()
	ctx := context.Background()
	u, err := h.db.UserByUsername(ctx, username)
	if err != nil {
		h.t.Fatal(err)
	}
	key, err := account.NewTOTP("antrag", username)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.SetTOTPSecret(ctx, u.TenantID, u.ID, key.Secret()); err != nil {
		h.t.Fatal(err)
	}
	return key.Secret()
}

// TestTOTPLogin: an account with a second factor is signed in only after
// the code; wrong and reused codes are refused; the session id changes at
// each step.
func TestTOTPLogin(t *testing.T) {
	h := newHarness(t)
	user := demo.Users["musterstadt"]
	secret := h.enrolTOTP("musterstadt", user)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}

	h.do(c, "GET", "/intern/anmelden", nil)
	r := h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {user}, "passwort": {demo.Password}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="code"`) {
		t.Fatalf("password step: %d %s", r.status, r.location)
	}
	afterPassword := h.sessionCookie(c)
	if afterPassword == "" {
		t.Fatal("no session after the password")
	}
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusSeeOther || r.location != "/intern/anmelden" {
		t.Fatalf("inbox after the password alone: %d %s", r.status, r.location)
	}
	for _, wrong := range []string{"", "000000", "12345", "abcdef"} {
		r := h.do(c, "POST", "/intern/anmelden/code", url.Values{"code": {wrong}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Sicherheitscode ist falsch") {
			t.Errorf("code %q: %d", wrong, r.status)
		}
	}
	code, err := totp.GenerateCode(secret, h.now)
	if err != nil {
		t.Fatal(err)
	}
	r = h.do(c, "POST", "/intern/anmelden/code", url.Values{"code": {code[:3] + " " + code[3:]}})
	if r.status != http.StatusSeeOther || r.location != "/intern/" {
		t.Fatalf("right code: %d %s", r.status, r.body)
	}
	if s := h.sessionCookie(c); s == afterPassword || s == "" {
		t.Errorf("session id kept from the password step to the login")
	}
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusOK {
		t.Fatalf("inbox after the code: %d", r.status)
	}

	// The same code again, in a new login: refused.
	c2 := &http.Client{Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	c2.Jar, _ = cookiejar.New(nil)
	h.do(c2, "POST", "/intern/anmelden", url.Values{"benutzername": {user}, "passwort": {demo.Password}})
	if r := h.do(c2, "POST", "/intern/anmelden/code", url.Values{"code": {code}}); r.status != http.StatusUnauthorized {
		t.Errorf("reused code: %d", r.status)
	}
	// The next step's code works.
	h.now = h.now.Add(account.TOTPPeriod)
	next, _ := totp.GenerateCode(secret, h.now)
	if r := h.do(c2, "POST", "/intern/anmelden/code", url.Values{"code": {next}}); r.status != http.StatusSeeOther {
		t.Errorf("next code: %d", r.status)
	}

	// A code without the password step first.
	c3 := &http.Client{Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	c3.Jar, _ = cookiejar.New(nil)
	h.now = h.now.Add(account.TOTPPeriod)
	third, _ := totp.GenerateCode(secret, h.now)
	if r := h.do(c3, "POST", "/intern/anmelden/code", url.Values{"code": {third}}); r.status != http.StatusUnauthorized ||
		!strings.Contains(r.body, "erneut mit Benutzername und Passwort") {
		t.Errorf("code without password: %d", r.status)
	}
	if r := h.do(c3, "GET", "/intern/", nil); r.status != http.StatusSeeOther {
		t.Errorf("inbox after a code without password: %d", r.status)
	}
	if strings.Contains(h.logs.String(), secret) || strings.Contains(h.logs.String(), code) {
		t.Error("the log holds the secret or a code")
	}
}

// TestTOTPCodesAreThrottled: wrong codes count against the login throttle
// like wrong passwords; after the burst even the right code is refused.
func TestTOTPCodesAreThrottled(t *testing.T) {
	h := newHarness(t)
	user := demo.Users["musterstadt"]
	secret := h.enrolTOTP("musterstadt", user)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {user}, "passwort": {demo.Password}})
	for range 5 {
		h.do(c, "POST", "/intern/anmelden/code", url.Values{"code": {"000000"}})
	}
	code, _ := totp.GenerateCode(secret, h.now)
	if r := h.do(c, "POST", "/intern/anmelden/code", url.Values{"code": {code}}); r.status != http.StatusTooManyRequests {
		t.Errorf("right code after 5 wrong ones: %d", r.status)
	}
}

func TestTOTPLoginTakesTooLong(t *testing.T) {
	h := newHarness(t)
	user := demo.Users["musterstadt"]
	secret := h.enrolTOTP("musterstadt", user)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {user}, "passwort": {demo.Password}})
	h.now = h.now.Add(6 * time.Minute)
	code, _ := totp.GenerateCode(secret, h.now)
	if r := h.do(c, "POST", "/intern/anmelden/code", url.Values{"code": {code}}); r.status != http.StatusUnauthorized {
		t.Errorf("code after 6 minutes: %d", r.status)
	}
}

func TestRequireTOTPRefusesAccountsWithout(t *testing.T) {
	h := newHarnessWith(t, func(hc *harnessConfig) { hc.web = func(c *web.Config) { c.RequireTOTP = true } })
	r := h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {demo.Users["musterstadt"]}, "passwort": {demo.Password}})
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "kein zweiter Faktor") || r.header.Get("Set-Cookie") != "" {
		t.Errorf("login without second factor: %d", r.status)
	}
}
