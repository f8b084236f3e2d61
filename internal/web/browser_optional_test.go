package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserOptionalGroupSkipped: in Chromium, a citizen who holds the
// vehicle goes through Bewohnerparkausweis, answers "Nein, keine Angaben"
// on the choice for "Angaben zur Fahrzeughalterin, zum Fahrzeughalter"
// (G05000499, Anzahl 0:1), is taken past the group to the summary, and
// sends and pays the fee on the sandbox provider's pay page; the stored
// data is what was typed, without the group. The choice step and the
// payment page pass axe like every page.
func TestBrowserOptionalGroupSkipped(t *testing.T) {
	bin := chromiumBinary(t)
	// No fixed public address: the pay page returns to the address the
	// browser used.
	h := newHarnessWith(t, func(hc *harnessConfig) { hc.baseURL = "" })
	sv := h.service("musterstadt", "bewohnerparkausweis")
	const holder = "G05000499"
	choice := choiceStep(t, sv, holder)
	doc := sv.form.Example(sv.ctx)
	delete(doc, holder)
	doc["G05000477"].(map[string]any)["F05001047"] = elementAt(sv, "F05001047").Codes()[0].Code
	if ps, _ := sv.form.Rules.Validate(doc, sv.ctx); len(ps) > 0 {
		t.Fatalf("test document does not pass: %v", ps)
	}
	b := newBrowser(t, bin, h.srv.URL)
	b.navigate("/musterstadt/dienste/"+sv.svc.Slug, 200)
	b.click(`main form button[type="submit"]`, 200)
	for _, st := range sv.form.Steps[:choice.Index] {
		b.page(fmt.Sprintf("Schritt %d", st.Index+1), st.Title)
		b.fill(sv.form, st, doc)
		b.click(`button[name="aktion"][value="weiter"]`, 200)
	}
	b.page("Auswahl", choice.Title)
	if n := evalT[int](b, fmt.Sprintf(`document.querySelectorAll('input[type="radio"][name=%s]').length`, jsString(holder))); n != 2 {
		t.Fatalf("choice step has %d radio buttons, want 2", n)
	}
	// Weiter without a choice: one error, whose link reaches the radios.
	b.click(`button[name="aktion"][value="weiter"]`, 422)
	b.page("Auswahl mit Fehler", choice.Title)
	if bad := evalT[[]string](b, `Array.from(document.querySelectorAll("#fehler a"), a => a.getAttribute("href")).filter(h => !document.getElementById(h.slice(1)))`); len(bad) > 0 {
		t.Errorf("error summary links to missing ids %v", bad)
	}
	b.fill(sv.form, choice, doc) // "nein"
	b.click(`button[name="aktion"][value="weiter"]`, 200)
	b.page("Angaben prüfen", "Angaben prüfen")
	// The Bewohnerparkausweis costs a fee, paid online before it is sent
	// on: the payment page leads to the sandbox provider's pay page, which
	// returns to the confirmation.
	b.click(`form[action$="/absenden"] button[type="submit"]`, 200)
	b.page("Zahlung", "Gebühr bezahlen")
	b.click(`#bezahlseite`, 200)
	b.click(`button[name="aktion"][value="bezahlen"]`, 200)
	b.page("Bestätigung", "Ihr Antrag ist eingegangen")
	ref := referenceRE.FindString(evalT[string](b, `document.querySelector("main").innerText`))
	if ref == "" {
		t.Fatalf("no Vorgangsnummer on the confirmation page")
	}
	h.storedAs(t, sv, ref, doc)
}

// TestBrowserLongFileNameReflows: on a 375 px wide screen, a step with an
// uploaded file whose name is 240 characters long does not scroll
// sideways (WCAG 1.4.10 Reflow): the name and its remove button wrap.
func TestBrowserLongFileNameReflows(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	const holder = "G05000499"
	choice := choiceStep(t, sv, holder)
	base := h.start(sv)
	r := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, choice.Index+1), url.Values{"aktion": {"weiter"}, holder: {"ja"}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("Angaben machen: %d", r.status)
	}
	step := r.location
	n := sv.stepOf(t, "F05001248")
	field := "G05000499.F05001248"
	name := `Nachweis_"Halter"_` + strings.Repeat("x", 240) + ".pdf"
	if r := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, n), url.Values{"aktion": {"aktualisieren"}},
		[]upload{{field: field, name: name, content: pdfFile("lang")}}); r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.status, problemsOf(r.body))
	}
	b := newBrowser(t, bin, h.srv.URL)
	if _, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 375, Height: 800, DeviceScaleFactor: 1, Mobile: true}); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	b.navigate(strings.TrimPrefix(step, h.srv.URL), 200)
	if !evalT[bool](b, `document.querySelector(".app-files li") !== null`) {
		t.Fatal("no uploaded file listed on the step")
	}
	if w := evalT[int](b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the page is %d px wide on a 375 px screen", w)
	}
}

// TestBrowserRuleRequiredDropsOptionalMark: on the step with "Angaben zur
// bestehenden Parkgenehmigung" (Optional), answering "Art des Antrags"
// with the renewal, which a rule of the schema makes the group required
// for, removes the group's "Optional" mark at once; the other answer
// brings it back.
func TestBrowserRuleRequiredDropsOptionalMark(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	art := elementAt(sv, "F05001347")
	renewal := ""
	for _, w := range art.Codes() {
		if strings.Contains(w.Name, "Verlängerung") {
			renewal = w.Code
		}
	}
	if renewal == "" {
		t.Fatalf("no renewal among %v", art.Codes())
	}
	other := art.Codes()[0].Code
	if other == renewal {
		other = art.Codes()[1].Code
	}
	base := h.start(sv)
	n := sv.stepOf(t, "G05000599")
	b := newBrowser(t, bin, h.srv.URL)
	b.navigate(fmt.Sprintf("%s/schritt/%d", strings.TrimPrefix(base, h.srv.URL), n), 200)
	const mark = `#f-G05000493-G05000599-feld > legend .kern-label__optional`
	visible := func() bool {
		return evalT[bool](b, `(m => !!m && !m.hidden && m.offsetParent !== null)(document.querySelector(`+jsString(mark)+`))`)
	}
	if !visible() {
		t.Fatal("the optional group has no visible „Optional“ mark")
	}
	b.set("G05000493.F05001347", []string{renewal})
	if visible() {
		t.Error("„Optional“ stays on the group a rule now requires")
	}
	b.set("G05000493.F05001347", []string{other})
	if !visible() {
		t.Error("„Optional“ does not come back when the rule no longer holds")
	}
}
