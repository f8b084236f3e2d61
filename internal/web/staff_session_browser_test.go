package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/antrag/antrag/internal/demo"
)

// TestBrowserSessionWarning: with JavaScript, a dialog warns the
// caseworker before the session ends (five minutes before; here the idle
// timeout is a few seconds longer) and extends it with the page's button.
func TestBrowserSessionWarning(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarnessWith(t, func(c *harnessConfig) { c.sessionIdle = 5*time.Minute + 3*time.Second })
	b := newBrowser(t, bin, h.srv.URL)
	b.navigate("/intern/anmelden", 200)
	b.run(
		chromedp.SendKeys(chromedp.ID("benutzername"), demo.Users["musterstadt"]),
		chromedp.SendKeys(chromedp.ID("passwort"), demo.Password),
	)
	b.click(`main form button[type="submit"]`, 200)
	b.page("Posteingang", "Posteingang")

	const open = `!!document.querySelector("dialog.app-session-dialog[open]")`
	deadline := time.Now().Add(60 * time.Second)
	for !evalT[bool](b, open) {
		if time.Now().After(deadline) {
			t.Fatal("no session warning within 60 s of its due time (3 s after the page loaded)")
		}
		time.Sleep(200 * time.Millisecond)
	}
	text := evalT[string](b, `document.querySelector("dialog.app-session-dialog").innerText`)
	if !strings.Contains(text, "Ihre Anmeldung läuft bald ab") || !strings.Contains(text, "ohne weitere Aktivität") {
		t.Errorf("session warning says %q", text)
	}
	if role := evalT[string](b, `document.querySelector("dialog.app-session-dialog").getAttribute("role")`); role != "alertdialog" {
		t.Errorf("session warning role %q", role)
	}
	b.axe("Sitzungswarnung")
	b.click(`dialog.app-session-dialog form button[type="submit"]`, 200)
	if got := evalT[string](b, `(document.querySelector("#sitzung [role=status]") || {}).innerText || ""`); strings.TrimSpace(got) != "Ihre Anmeldung wurde verlängert." {
		t.Errorf("after extending in the dialog: %q", got)
	}
}
