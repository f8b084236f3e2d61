package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
)

// loginFrom posts the login form as the client at addr (through a
// trusted proxy's X-Forwarded-For), with c's cookies.
func (h *harness) loginFrom(c *http.Client, addr, user, pw string) response {
	h.t.Helper()
	form := url.Values{"benutzername": {user}, "passwort": {pw}}
	req, err := http.NewRequest("POST", h.srv.URL+"/intern/anmelden", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	return h.send(c, req)
}

func (h *harness) jarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
}

// TestLoginNotLockedOutByDistributedAttack: 100 wrong passwords for the
// caseworker's name from 21 addresses exhaust the per-name limit: the
// right password from a new browser is refused (429, German page,
// Retry-After), but the caseworker's browser, which logged in before
// (known-device cookie), still logs in, from any address.
func TestLoginNotLockedOutByDistributedAttack(t *testing.T) {
	h := newHarnessWith(t, func(c *harnessConfig) {
		c.trustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	})
	user := demo.Users["musterstadt"]
	caseworker := h.jarClient()
	if r := h.loginFrom(caseworker, "192.0.2.10", user, demo.Password); r.status != http.StatusSeeOther {
		t.Fatalf("first login: %d", r.status)
	}
	var device *http.Cookie
	for _, c := range (&http.Response{Header: h.loginFrom(h.jarClient(), "192.0.2.11", user, demo.Password).header}).Cookies() {
		if c.Name == "antrag_geraet" {
			device = c
		}
	}
	if device == nil || !device.HttpOnly || device.SameSite != http.SameSiteStrictMode || device.Path != "/intern/anmelden" || device.MaxAge < 90*24*3600 {
		t.Fatalf("known-device cookie %+v: want HttpOnly, SameSite=Strict, only for the login, months long", device)
	}

	statuses := map[int]int{}
	for i := range 105 {
		statuses[h.loginFrom(h.client, fmt.Sprintf("198.51.100.%d", i%21), user, fmt.Sprintf("geraten-%d", i)).status]++
	}
	t.Logf("105 wrong passwords from 21 addresses: %v", statuses)
	if statuses[http.StatusUnauthorized] != 100 || statuses[http.StatusTooManyRequests] != 5 {
		t.Errorf("statuses %v, want 100 × 401 and then 429", statuses)
	}

	r := h.loginFrom(h.client, "203.0.113.50", user, demo.Password)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("right password from a new browser during the attack: %d, Retry-After %q; want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	if msg := strings.TrimSpace(page(t, r).Find("#fehler li a").Text()); !strings.HasPrefix(msg, "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in ") {
		t.Errorf("429 page says %q", msg)
	}
	for _, addr := range []string{"192.0.2.10", "198.51.100.3"} {
		if r := h.loginFrom(caseworker, addr, user, demo.Password); r.status != http.StatusSeeOther || r.location != "/intern/" {
			t.Errorf("the caseworker's known browser from %s during the attack: %d, want 303 to the inbox", addr, r.status)
		}
	}
	if r := h.do(caseworker, "GET", "/intern/", nil); r.status != http.StatusOK {
		t.Errorf("inbox after the login: %d", r.status)
	}
}

// TestLoginBusy: when all password checks are busy, a login is refused at
// once with 503, a German page and Retry-After, not queued.
func TestLoginBusy(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h := newHarnessWith(t, func(c *harnessConfig) {
		c.logins = &account.LoginsConfig{MaxHashing: 1, HashWait: -1, Check: func(hash, pw string) (bool, error) {
			entered <- struct{}{}
			<-release
			return account.CheckPassword(hash, pw)
		}}
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {"a"}, "passwort": {"b"}})
	})
	<-entered
	start := time.Now()
	r := h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {demo.Users["musterstadt"]}, "passwort": {demo.Password}})
	took := time.Since(start)
	close(release)
	wg.Wait()
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" {
		t.Errorf("login while the check is busy: %d, Retry-After %q; want 503, 1", r.status, r.header.Get("Retry-After"))
	}
	if msg := strings.TrimSpace(page(t, r).Find("#fehler li a").Text()); msg != "Die Anmeldung ist gerade ausgelastet. Bitte versuchen Sie es in einigen Sekunden erneut." {
		t.Errorf("503 page says %q", msg)
	}
	if took > 2*time.Second {
		t.Errorf("the busy answer took %s", took)
	}
	if r := h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {demo.Users["musterstadt"]}, "passwort": {demo.Password}}); r.status != http.StatusSeeOther {
		t.Errorf("login after the check is free again: %d", r.status)
	}
}

// TestSessionEndsWithPasswordOrDisabling: a session opened before
// the password changes (antrag user passwd) or before the account is
// disabled ends at its next request; other caseworkers' sessions go on.
func TestSessionEndsWithPasswordOrDisabling(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	u, err := h.db.UserByUsername(ctx, demo.Users["musterstadt"])
	if err != nil {
		t.Fatal(err)
	}
	c := h.staffClient("musterstadt")
	other := h.staffClient("beispielkreis")
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusOK {
		t.Fatalf("inbox: %d", r.status)
	}
	hash, err := account.HashPassword("Ein-neues-Passwort-2026")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.SetPasswordHash(ctx, u.TenantID, u.ID, hash); err != nil {
		t.Fatal(err)
	}
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusSeeOther || r.location != "/intern/anmelden" {
		t.Errorf("old session after a new password: %d %q, want the login", r.status, r.location)
	}
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusSeeOther {
		t.Errorf("the ended session came back: %d", r.status)
	}
	if r := h.do(other, "GET", "/intern/", nil); r.status != http.StatusOK {
		t.Errorf("another caseworker's session: %d", r.status)
	}

	// A new login with the new password works, until the account is
	// disabled; then the login fails like a wrong password.
	resp := h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {u.Username}, "passwort": {"Ein-neues-Passwort-2026"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", resp.status)
	}
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusOK {
		t.Fatalf("inbox after the new login: %d", r.status)
	}
	if err := h.db.SetDisabled(ctx, u.TenantID, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusSeeOther || r.location != "/intern/anmelden" {
		t.Errorf("session of a disabled account: %d %q, want the login", r.status, r.location)
	}
	resp = h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {u.Username}, "passwort": {"Ein-neues-Passwort-2026"}})
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, "Benutzername oder Passwort ist falsch.") {
		t.Errorf("login of a disabled account: %d, want 401 like a wrong password", resp.status)
	}
}
