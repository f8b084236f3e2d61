package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRouting walks the routing step of an EfA service in
// Chromium, every page checked with axe: a malformed postcode (the error
// summary takes focus), a postcode of two Gemeinden (the choice), the
// responsible authority's start page, the explanation, and the first
// step.
func TestBrowserRouting(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	l := newEFALand(t, h)
	b := newBrowser(t, bin, h.srv.URL)

	b.navigate("/land-rp/dienste/"+efaSlug, 200)
	b.page("Startseite mit Ortsfrage", l.svc.Name)
	b.run(chromedp.SendKeys(chromedp.ID("plz"), "5527"))
	b.click(`form[action$="/zustaendigkeit"] button[type="submit"]`, 422)
	b.page("Ortsfrage mit Fehler", l.svc.Name)
	if id := evalT[string](b, `document.activeElement.id`); id != "fehler" {
		t.Errorf("Ortsfrage mit Fehler: focus is on %q, want the error summary #fehler", id)
	}
	evalT[bool](b, `(document.getElementById("plz").value = "") === ""`)
	b.run(chromedp.SendKeys(chromedp.ID("plz"), "55270"))
	b.click(`form[action$="/zustaendigkeit"] button[type="submit"]`, 200)
	b.page("Gemeinde wählen", l.svc.Name)
	if n := evalT[int](b, `document.querySelectorAll('input[type=radio][name=ars]').length`); n != 2 {
		t.Fatalf("Gemeinde wählen: %d choices, want 2", n)
	}
	b.settle(`label[for="ars-1"]`)
	b.run(chromedp.Click(chromedp.CSS(`label[for="ars-1"]`))) // selects; no navigation
	b.click(`form[action$="/zustaendigkeit"] button[type="submit"]`, 200)
	b.page("Startseite der zuständigen Behörde", l.svc.Name)
	if loc := b.location(); !containsPath(loc, "/gemeinde-a2/dienste/"+efaSlug) {
		t.Fatalf("after the choice at %s, want gemeinde-a2's start page", loc)
	}
	b.click(`a[href*="/zustaendigkeit?ort="]`, 200)
	b.page("Warum diese Behörde", "Warum diese Behörde?")
	b.click(`main a.kern-link[href*="?ort="]`, 200)
	b.click(`main form[action="/gemeinde-a2/dienste/`+efaSlug+`"] button[type="submit"]`, 200)
	sv := h.service("gemeinde-a2", efaSlug)
	b.page("Schritt 1", sv.form.Steps[0].Title)
}

// containsPath reports whether the URL loc has the path prefix p.
func containsPath(loc, p string) bool {
	u, err := url.Parse(loc)
	return err == nil && strings.HasPrefix(u.Path, p)
}
