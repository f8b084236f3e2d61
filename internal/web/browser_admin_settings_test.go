package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
)

// TestBrowserAdminPages: an admin goes through the admin pages in
// Chromium, a refused colour's error summary takes focus, and the
// branded catalogue shows the tenant's colour and logo; every page passes
// axe, in the light and the dark scheme.
func TestBrowserAdminPages(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	h.addStaff("musterstadt", "chefin", &account.Access{Role: account.RoleAdmin})
	svc := h.service("musterstadt", "gewerbeanmeldung").svc
	shared := h.service("beispielkreis", "krankheitserreger").svc
	b := newBrowser(t, bin, h.srv.URL)

	b.navigate("/intern/anmelden", 200)
	b.run(
		chromedp.SendKeys(chromedp.ID("benutzername"), "chefin"),
		chromedp.SendKeys(chromedp.ID("passwort"), demo.Password),
	)
	b.click(`main form button[type="submit"]`, 200)
	b.click(`main a[href="/intern/admin/mandant"]`, 200)
	b.page("Portal", "Portal des Mandanten")
	b.run(chromedp.SetValue(chromedp.ID("farbe"), "#ffff00"))
	b.click(`main form button[type="submit"]`, 400)
	b.page("Portal mit Fehler", "Portal des Mandanten")
	if id := evalT[string](b, `document.activeElement.id`); id != "fehler" {
		t.Errorf("Portal mit Fehler: focus is on %q, want #fehler", id)
	}
	b.run(chromedp.SetValue(chromedp.ID("farbe"), "#7a1f3d"), chromedp.SetValue(chromedp.ID("logo"), "/static/app/favicon.ico"))
	b.click(`main form button[type="submit"]`, 200)
	b.page("Portal gespeichert", "Portal des Mandanten")

	b.click(`nav a[href="/intern/admin/behoerden"]`, 200)
	b.page("Behörden", "Behörden")
	b.click(`main a[href="/intern/admin/behoerden/neu"]`, 200)
	b.page("Neue Behörde", "Neue Behörde")
	b.run(chromedp.SendKeys(chromedp.ID("efa"), "kein gleichheitszeichen"))
	b.click(`main form button[type="submit"]`, 400)
	b.page("Neue Behörde mit Fehlern", "Neue Behörde")
	b.run(chromedp.SetValue(chromedp.ID("name"), "Ordnungsamt Musterstadt"), chromedp.SetValue(chromedp.ID("efa"), "zustellkanal = fitconnect"))
	b.click(`main form button[type="submit"]`, 200)
	b.page("Behörden nach dem Anlegen", "Behörden")
	b.navigate("/intern/admin/behoerden/"+svc.AuthorityID, 200)
	b.page("Behörde bearbeiten", "Behörde bearbeiten")

	b.navigate("/intern/admin/dienste/"+svc.ID+"/bearbeiten", 200)
	b.page("Dienst bearbeiten", "Dienst bearbeiten")
	b.run(chromedp.SetValue(chromedp.ID("leika"), "123"))
	b.click(`main form button[type="submit"]`, 400)
	b.page("Dienst mit Fehler", "Dienst bearbeiten")

	b.navigate("/intern/admin/zustaendigkeiten", 200)
	b.page("Zuständigkeiten", "Zuständigkeiten")
	b.run(
		chromedp.SetValue(chromedp.ID("dienst"), shared.ID),
		chromedp.SetValue(chromedp.ID("behoerde"), svc.AuthorityID),
		chromedp.SetValue(chromedp.ID("ars"), "160510000000"), // the demo has 16051
	)
	b.click(`main form button[type="submit"]`, 200)
	b.page("Zuständigkeit eingetragen", "Zuständigkeiten")
	b.click(`main table a[href$="/entfernen"]`, 200)
	b.page("Zuständigkeit entfernen", "Zuständigkeit entfernen")
	b.click(`main form button[type="submit"]`, 200)
	b.page("Zuständigkeit entfernt", "Zuständigkeiten")

	// The branded catalogue: the colour is KERN's action colour, the logo
	// names the tenant.
	b.navigate("/musterstadt/", 200)
	b.page("Katalog mit Farbe und Logo", "Online-Dienste")
	if c := evalT[string](b, `getComputedStyle(document.documentElement).getPropertyValue("--kern-color-action-default").trim()`); c != "#7a1f3d" {
		t.Errorf("--kern-color-action-default is %q, want #7a1f3d", c)
	}
	if alt := evalT[string](b, `document.querySelector("header img").alt`); alt != "Stadt Musterstadt" {
		t.Errorf("logo alt %q", alt)
	}
	tn, err := h.db.TenantBySlug(context.Background(), "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	if tn.Colour != "#7a1f3d" {
		t.Errorf("stored colour %q", tn.Colour)
	}
}
