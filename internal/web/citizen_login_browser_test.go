package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCitizenLogin: in Chromium, without a script of antrag's
// own, a citizen chooses the development IdP, goes on to it, picks a test
// person at "substantiell" with the Online-Ausweis, sends the answer back
// and is logged in. Each page on the way passes axe, among them the
// IdP's login page.
func TestBrowserCitizenLogin(t *testing.T) {
	bin := chromiumBinary(t)
	h := newLoginHarness(t)
	b := newBrowser(t, bin, h.srv.URL)
	b.navigate("/musterstadt/anmelden?zurueck=/musterstadt/&niveau=substantiell", 200)
	b.page("Kontowahl", "Anmelden")
	b.click(`form[action="/musterstadt/anmelden/devidp"] button[type="submit"]`, 200)
	b.page("Weiterleitung", "Weiter zur Anmeldung")
	b.click(`main form button[type="submit"]`, 200)
	b.page("Anmeldeseite des Entwicklungs-Kontos", "Anmelden für Stadt Musterstadt")
	if !evalT[bool](b, `document.getElementById("niveau-STORK-QAA-Level-3").checked && document.getElementById("methode-eID").checked`) {
		t.Error("the IdP does not preselect the requested level and eID")
	}
	b.settle(`#person-max`)
	b.run(chromedp.Click(chromedp.CSS(`#person-max`)))
	b.click(`main form button[type="submit"]`, 200)
	b.page("Antwort des Entwicklungs-Kontos", "Anmeldung erfolgreich")
	b.click(`main form button[type="submit"]`, 200) // ACS → 303 → the tenant's page
	if loc := b.location(); !strings.HasSuffix(loc, "/musterstadt/") {
		t.Fatalf("after the login at %s", loc)
	}
	b.page("Katalog, angemeldet", "Online-Dienste")
	if got := strings.Join(strings.Fields(evalT[string](b, `document.querySelector("#angemeldet .kern-body").innerText`)), " "); got != "Angemeldet als Max Ludwig Schäfer (Vertrauensniveau substantiell)" {
		t.Errorf("greeting %q", got)
	}
}
