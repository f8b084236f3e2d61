package web_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
)

// TestBrowserPrefill: in Chromium, a service requires "substantiell"; its
// start page offers the login instead of the form. A citizen logs in
// through the development IdP as Erika at "substantiell" with the
// Online-Ausweis, starts the application, finds her name and address filled in (the
// postcode "99 084" as 99084) and marked as taken from her account, fills
// the rest of the step and goes on. The account choice, the IdP's login
// page and the prefilled step pass axe.
func TestBrowserPrefill(t *testing.T) {
	bin := chromiumBinary(t)
	h := newLoginHarness(t)
	b := newBrowser(t, bin, h.srv.URL)
	const svc = "/musterstadt/dienste/beschaeftigungserlaubnis"
	// The service requires "substantiell": its start page offers the login
	// instead of the form.
	ctx := context.Background()
	stadt, err := h.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	service, err := h.db.ServiceBySlug(ctx, stadt.ID, "beschaeftigungserlaubnis")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.SetServiceIdentity(ctx, stadt.ID, service.ID, identity.Substantiell, false); err != nil {
		t.Fatal(err)
	}
	b.navigate(svc, 200)
	if evalT[bool](b, `!!document.querySelector('main form[action="`+svc+`"]')`) {
		t.Fatal("the start page offers the form before the login")
	}
	b.navigate("/musterstadt/anmelden?zurueck="+svc+"&niveau=substantiell", 200)
	b.page("Kontowahl", "Anmelden")
	b.click(`form[action="/musterstadt/anmelden/devidp"] button[type="submit"]`, 200)
	b.click(`main form button[type="submit"]`, 200)
	b.page("Anmeldeseite des Entwicklungs-Kontos", "Anmelden für Stadt Musterstadt")
	b.settle(`#person-erika`)
	b.run(chromedp.Click(chromedp.CSS(`#person-erika`)))
	b.click(`main form button[type="submit"]`, 200)
	b.click(`main form button[type="submit"]`, 200) // ACS → 303 → back to the service
	if loc := b.location(); loc != svc {
		t.Fatalf("after the login at %s", loc)
	}
	b.click(`main form[action="`+svc+`"] button[type="submit"]`, 200)
	base, _, ok := strings.Cut(b.location(), "/schritt/")
	if !ok {
		t.Fatalf("started at %s", b.location())
	}
	n := 0
	for i := 1; i <= 20 && n == 0; i++ {
		b.navigate(fmt.Sprintf("%s/schritt/%d", base, i), 200)
		if evalT[bool](b, `!!document.querySelector('input[name="`+plzName+`"]')`) {
			n = i
		}
	}
	if n == 0 {
		t.Fatal("no step with the postcode")
	}
	b.page("Vorbefüllter Schritt", "")
	value := func(name string) string {
		return evalT[string](b, `document.querySelector('input[name="`+name+`"]').value`)
	}
	note := func(name string) string {
		return evalT[string](b, `(() => { const i = document.querySelector('input[name="`+name+`"]');
			const ids = (i.getAttribute("aria-describedby") || "").split(" ");
			const n = document.getElementById(i.id + "-nachweis");
			return n && ids.includes(n.id) ? n.innerText.trim() : ""; })()`)
	}
	for name, want := range map[string]string{plzName: "99084", givenName: "Erika", surName: "Mustermann"} {
		if v := value(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
		if n := note(name); n != "Aus Ihrem Nutzerkonto übernommen." {
			t.Errorf("%s: note %q", name, n)
		}
	}
	// Fill what the account does not know, as the example application
	// has it, and go on.
	xdf, err := samples.FS.ReadFile("xdf3/S00000000362_xdf3.xml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(xdf), "x.xml", fim.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	f := journey.NewForm(s)
	vals, _ := f.FormValues(f.Steps[n-1], f.Example(rules.Context{Today: time.Now()}))
	names := evalT[[]string](b, `Array.from(document.querySelectorAll("form.app-stepform [name]"), e => e.name)`)
	done := map[string]bool{}
	for _, name := range names {
		if done[name] || strings.Contains(name, "#") || name == "aktion" {
			continue
		}
		done[name] = true
		if vs, ok := vals[name]; ok && (!evalT[bool](b, `document.querySelector('[name="`+name+`"]').type === "text"`) || value(name) == "") {
			b.set(name, vs)
		}
	}
	b.click(`button[name="aktion"][value="weiter"]`, 200)
	if strings.HasSuffix(b.location(), fmt.Sprintf("/schritt/%d", n)) {
		t.Fatalf("the prefilled step did not go on: %s", evalT[string](b, `document.querySelector("main").innerText`))
	}
	b.navigate(fmt.Sprintf("%s/schritt/%d", base, n), 200)
	if v := value(plzName); v != "99084" {
		t.Errorf("stored postcode %q", v)
	}
	b.checkConsole()
}
