package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
)

// TestBrowserAdminPublishesNewVersion: an admin logs in, imports the
// sample of a demo service as its new version, sees the preview, is
// refused while the unsupported Regeln are unacknowledged, acknowledges
// them, publishes and finds the publication in the audit trail; every
// page passes axe, in light and dark.
func TestBrowserAdminPublishesNewVersion(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	h.addStaff("beispielkreis", "chefin", &account.Access{Role: account.RoleAdmin})
	_, svc := h.ownService("beispielkreis", "asbest-anzeige")
	b := newBrowser(t, bin, h.srv.URL)
	file := filepath.Join(b.dir, "asbest.xml")
	if err := os.WriteFile(file, sample(t, asbestFile), 0o600); err != nil {
		t.Fatal(err)
	}

	b.navigate("/intern/anmelden", 200)
	b.run(
		chromedp.SendKeys(chromedp.ID("benutzername"), "chefin"),
		chromedp.SendKeys(chromedp.ID("passwort"), demo.Password),
	)
	b.click(`main form button[type="submit"]`, 200)
	b.page("Posteingang", "Posteingang")
	b.click(`header a#nav-admin`, 200)
	b.page("Administration", "Administration")
	b.click(`main a[href="/intern/admin/dienste"]`, 200)
	b.page("Online-Dienste", "Online-Dienste")
	b.click(`main a[href="/intern/admin/dienste/`+svc.ID+`/ziele"]`, 200)
	b.page("Zustellung", "Zustellung")
	b.click(`table#ziele button[type="submit"]`, 200)
	b.page("Zustellung geprüft", "Zustellung")
	b.navigate("/intern/admin/dienste", 200)
	b.click(`main a[href="/intern/admin/dienste/`+svc.ID+`/import"]`, 200)
	b.page("Neue Formularversion", "Neue Formularversion")

	// Without a file: the error summary, focused.
	b.click(`main form button[type="submit"]`, 422)
	b.page("Neue Formularversion mit Fehler", "Neue Formularversion")
	if id := evalT[string](b, `document.activeElement.id`); id != "fehler" {
		t.Errorf("upload without file: focus on %q, want #fehler", id)
	}
	b.run(chromedp.SetUploadFiles(chromedp.ID("datei"), []string{file}))
	b.click(`main form button[type="submit"]`, 200)
	b.page("Vorschau", "Vorschau")
	if n := evalT[int](b, `document.querySelectorAll("#schritte > li").length`); n < 2 {
		t.Errorf("preview shows %d steps", n)
	}

	b.click(`#veroeffentlichen`, 422)
	b.page("Vorschau mit Fehler", "Vorschau")
	for _, k := range asbestUnsupported {
		b.settle(`input[name="bestaetigt"][value="` + k + `"]`)
		b.run(chromedp.Click(chromedp.CSS(`input[name="bestaetigt"][value="` + k + `"]`)))
	}
	b.click(`#veroeffentlichen`, 200)
	b.page("Änderungsprotokoll", "Änderungsprotokoll")
	row := evalT[string](b, `document.querySelector("#protokoll tbody tr").innerText`)
	if !strings.Contains(row, "chefin") || !strings.Contains(row, "Veröffentlicht") || !strings.Contains(row, "1 → 2") {
		t.Errorf("first audit row %q", row)
	}
	if msg := evalT[string](b, `document.getElementById("meldung").innerText`); !strings.Contains(msg, "Formularversion 2") {
		t.Errorf("message %q", msg)
	}
}
