package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/localtime"
)

// sessionCookieExpiry is the expiry of the session cookie a response
// sets (zero if it sets none).
func sessionCookieExpiry(r response) time.Time {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "session" {
			return c.Expires
		}
	}
	return time.Time{}
}

// TestSessionEndIsAnnouncedAndExtendable: a caseworker page says when the
// idle session ends and offers a form post that extends it and returns to
// the page (WCAG 2.2.1, without JavaScript).
func TestSessionEndIsAnnouncedAndExtendable(t *testing.T) {
	const idle = 30 * time.Minute
	h := newHarnessWith(t, func(c *harnessConfig) { c.sessionIdle = idle })
	c := h.staffClient("musterstadt")

	before := time.Now()
	r := h.do(c, "GET", "/intern/?status=eingegangen", nil)
	after := time.Now()
	doc := page(t, r)
	text := strings.TrimSpace(doc.Find("#sitzung-ende").Text())
	ok := false
	for _, at := range []time.Time{before.Add(idle), after.Add(idle)} {
		at = at.In(localtime.Berlin)
		when := "um " + at.Format("15:04") + " Uhr"
		if at.Day() != time.Now().In(localtime.Berlin).Day() {
			when = "am " + at.Format("02.01.2006") + " " + when
		}
		if text == "Ihre Anmeldung endet "+when+" ohne weitere Aktivität." {
			ok = true
		}
	}
	if !ok {
		t.Errorf("session notice %q, want the end %s after the request", text, idle)
	}
	form := doc.Find(`#sitzung form[method=post][action="/intern/sitzung"]`)
	if strings.TrimSpace(form.Find("button[type=submit]").Text()) != "Sitzung verlängern" {
		t.Fatalf("no \"Sitzung verlängern\" button in the session notice")
	}
	back, _ := form.Find("input[name=zurueck]").Attr("value")
	if back != "/intern/?status=eingegangen" {
		t.Errorf("the form returns to %q, want the page it is on", back)
	}
	if doc.Find(`script[src*="/app/session."]`).Length() != 1 {
		t.Error("caseworker page without the session script")
	}

	start := time.Now().Truncate(time.Second)
	ext := h.do(c, "POST", "/intern/sitzung", url.Values{"zurueck": {back}})
	if ext.status != http.StatusSeeOther || ext.location != back {
		t.Fatalf("extend: %d to %q, want 303 to %q", ext.status, ext.location, back)
	}
	if exp := sessionCookieExpiry(ext); exp.Before(start.Add(idle)) {
		t.Errorf("after extending the session cookie expires %v, want at least %v", exp, start.Add(idle))
	}
	next := page(t, h.do(c, "GET", ext.location, nil))
	if got := strings.TrimSpace(next.Find(`#sitzung [role=status]`).Text()); got != "Ihre Anmeldung wurde verlängert." {
		t.Errorf("after extending: status message %q", got)
	}
	if again := page(t, h.do(c, "GET", back, nil)); again.Find(`#sitzung [role=status]`).Length() != 0 {
		t.Error("the extension message is shown twice")
	}

	// The session of the submission page returns there.
	subs := seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 1, h.now.Add(-time.Hour), time.Minute)
	detail := page(t, h.do(c, "GET", "/intern/antraege/"+subs[0].ID, nil))
	if v, _ := detail.Find("#sitzung input[name=zurueck]").Attr("value"); v != "/intern/antraege/"+subs[0].ID {
		t.Errorf("submission page: the form returns to %q", v)
	}
}

// TestSessionExtendRedirectsOnlyInside: the return address is client
// input; one outside the caseworker area returns to the inbox.
func TestSessionExtendRedirectsOnlyInside(t *testing.T) {
	h := newHarnessWith(t, func(c *harnessConfig) { c.sessionIdle = time.Hour })
	c := h.staffClient("musterstadt")
	for _, back := range []string{"https://evil.example/intern/", "//evil.example/intern/", "/\\evil.example/intern/",
		"/musterstadt/", "", "javascript:alert(1)", "/intern\r\nX: y"} {
		r := h.do(c, "POST", "/intern/sitzung", url.Values{"zurueck": {back}})
		if r.status != http.StatusSeeOther || r.location != "/intern/" {
			t.Errorf("extend with return %q: %d to %q, want /intern/", back, r.status, r.location)
		}
	}
	if r := h.do(h.client, "POST", "/intern/sitzung", url.Values{"zurueck": {"/intern/"}}); r.location != "/intern/anmelden" {
		t.Errorf("extend without a session: %d to %q, want the login", r.status, r.location)
	}
}

// TestSessionWithoutIdleTimeoutEndsAtDeadline: without an idle timeout the
// session ends at its lifetime; the page says so and offers no extension.
func TestSessionWithoutIdleTimeoutEndsAtDeadline(t *testing.T) {
	h := newHarness(t)
	c := h.staffClient("musterstadt")
	doc := page(t, h.do(c, "GET", "/intern/", nil))
	if !strings.Contains(doc.Find("#sitzung-ende").Text(), "Danach melden Sie sich bitte erneut an.") {
		t.Errorf("session notice %q", doc.Find("#sitzung-ende").Text())
	}
	if doc.Find(`#sitzung form`).Length() != 0 {
		t.Error("an extension is offered that cannot extend the session")
	}
	citizen := page(t, h.get("/musterstadt/"))
	if citizen.Find("#sitzung").Length() != 0 || citizen.Find(`script[src*="/app/session."]`).Length() != 0 {
		t.Error("a citizen page has the staff session notice")
	}
}
