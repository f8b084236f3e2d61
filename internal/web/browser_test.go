package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
)

// TestBrowserJourney drives headless Chromium through one citizen journey
// of the demo service "Beschäftigung einer schwangeren oder stillenden
// Frau zwischen 20 und 22 Uhr" (FIM S00000000371): catalogue, start page,
// the three steps (one of them first sent empty, to see the error
// summary), the summary page, submission, confirmation and the HTML copy
// of what was sent; then the
// caseworker of beispielkreis logs in (first with a wrong password), opens
// the inbox and the submission. Every page is checked with axe-core (WCAG
// 2.0/2.1 A and AA) in the light and the dark colour scheme; a serious or
// critical violation fails the test. On the step with "Status der Frau" it
// checks that journey.js shows and hides the Entbindungstermin fields
// without a page load. At the end the stored data must be the example the
// browser typed in.
//
// It skips without a Chromium binary, unless ANTRAG_REQUIRE_BROWSER=1.
func TestBrowserJourney(t *testing.T) {
	bin := chromiumBinary(t)
	start := time.Now()
	h := newHarness(t)
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	ex := sv.form.Example(sv.ctx)
	if len(sv.form.Steps) != 3 {
		t.Fatalf("%s has %d steps, want 3", sv.svc.Slug, len(sv.form.Steps))
	}
	b := newBrowser(t, bin, h.srv.URL)
	t.Logf("browser started in %v", time.Since(start).Round(time.Millisecond))

	// Catalogue, with a keyboard check of the skip link.
	b.navigate("/beispielkreis/", 200)
	b.page("Katalog", "Online-Dienste")
	b.press("\t")
	if !evalT[bool](b, `document.activeElement.classList.contains("app-skip") && document.activeElement.getBoundingClientRect().left >= 0`) {
		t.Errorf("Katalog: Tab does not focus a visible skip link")
	}

	// Start page.
	b.click(fmt.Sprintf(`a[href="/beispielkreis/dienste/%s"]`, sv.svc.Slug), 200)
	b.page("Startseite", sv.svc.Name)
	b.click(`main form button[type="submit"]`, 200)

	// Step 1, first sent empty: the page comes back with the error summary,
	// focused, and "Fehler:" in the title.
	b.page("Schritt 1", sv.form.Steps[0].Title)
	b.click(`button[name="aktion"][value="weiter"]`, 422)
	b.page("Schritt 1 mit Fehlern", sv.form.Steps[0].Title)
	if title := evalT[string](b, `document.title`); !strings.HasPrefix(title, "Fehler: ") || !strings.Contains(title, "(Schritt 1 von 3)") {
		t.Errorf("Schritt 1 mit Fehlern: title %q lacks „Fehler:“ or the step", title)
	}
	if id := evalT[string](b, `document.activeElement.id`); id != "fehler" {
		t.Errorf("Schritt 1 mit Fehlern: focus is on %q, want the error summary #fehler", id)
	}
	if bad := evalT[[]string](b, `Array.from(document.querySelectorAll("#fehler a"), a => a.getAttribute("href")).filter(h => !document.getElementById(h.slice(1)))`); len(bad) > 0 {
		t.Errorf("Schritt 1 mit Fehlern: error summary links to missing ids %v", bad)
	}
	if n := evalT[int](b, `document.querySelectorAll("#fehler a").length`); n == 0 {
		t.Errorf("Schritt 1 mit Fehlern: error summary without links")
	}
	b.fill(sv.form, sv.form.Steps[0], ex)
	b.click(`button[name="aktion"][value="weiter"]`, 200)

	// Step 2: the client-side rules, then the answers.
	st := sv.form.Steps[1]
	b.page("Schritt 2", st.Title)
	b.checkStatusRules(st)
	b.fill(sv.form, st, ex)
	b.click(`button[name="aktion"][value="weiter"]`, 200)

	// Step 3, with the uploads.
	b.page("Schritt 3", sv.form.Steps[2].Title)
	b.fill(sv.form, sv.form.Steps[2], ex)
	b.click(`button[name="aktion"][value="weiter"]`, 200)

	// Summary and submission.
	b.page("Angaben prüfen", "Angaben prüfen")
	b.click(`form[action$="/absenden"] button[type="submit"]`, 200)
	b.page("Bestätigung", "Ihr Antrag ist eingegangen")
	ref := referenceRE.FindString(evalT[string](b, `document.querySelector("main").innerText`))
	if ref == "" {
		t.Fatalf("no Vorgangsnummer on the confirmation page")
	}

	// What the browser sent is what was meant.
	h.storedAs(t, sv, ref, ex)

	// The accessible copy of what was sent, linked from the confirmation.
	b.click(`main a[href$="/angaben"]`, 200)
	b.page("Übermittelte Angaben", "Ihre übermittelten Angaben")
	if title := evalT[string](b, `document.title`); !strings.Contains(title, sv.svc.Name) {
		t.Errorf("Übermittelte Angaben: title %q lacks the service", title)
	}
	if text := evalT[string](b, `document.querySelector("main").innerText`); !strings.Contains(text, ref) {
		t.Errorf("Übermittelte Angaben: no Vorgangsnummer")
	}

	// The caseworker, in the same browser.
	// A wrong password first: the error summary, focused.
	b.navigate("/intern/anmelden", 200)
	b.page("Anmeldung", "Anmeldung für Mitarbeitende")
	b.run(
		chromedp.SendKeys(chromedp.ID("benutzername"), demo.Users["beispielkreis"]),
		chromedp.SendKeys(chromedp.ID("passwort"), "falsch"),
	)
	b.click(`main form button[type="submit"]`, 401)
	b.page("Anmeldung mit Fehler", "Anmeldung für Mitarbeitende")
	if id := evalT[string](b, `document.activeElement.id`); id != "fehler" {
		t.Errorf("Anmeldung mit Fehler: focus is on %q, want the error summary #fehler", id)
	}
	b.run(chromedp.SendKeys(chromedp.ID("passwort"), demo.Password))
	b.click(`main form button[type="submit"]`, 200)
	b.page("Posteingang", "Posteingang")
	href := evalT[string](b, fmt.Sprintf(`(Array.from(document.querySelectorAll("main table a")).find(a => a.textContent.trim() === %s) || {}).getAttribute?.("href") || ""`, jsString(ref)))
	if href == "" {
		t.Fatalf("inbox lacks %s", ref)
	}
	b.click(fmt.Sprintf(`main table a[href=%s]`, jsString(href)), 200)
	b.page("Antrag im Posteingang", "Antrag "+ref)
	if text := evalT[string](b, `document.querySelector("main").innerText`); !strings.Contains(text, "eingereicht") {
		t.Errorf("submission view lacks the status „eingereicht“")
	}

	t.Logf("journey through %d pages in %v", b.pages, time.Since(start).Round(time.Millisecond))
}

// chromiumBinary finds Chromium. Without it the test skips, or fails when
// ANTRAG_REQUIRE_BROWSER=1 (CI).
func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ANTRAG_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found, and ANTRAG_REQUIRE_BROWSER=1")
	}
	t.Skip("no Chromium found (set ANTRAG_REQUIRE_BROWSER=1 to fail instead)")
	return ""
}

// browser is one headless Chromium tab on the test server.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	axeSrc string // axe.min.js, then its German locale
	dir    string // for upload files
	pages  int

	mu      sync.Mutex
	console []string // page exceptions and errors

	marked  chan struct{} // closed when consoleMark arrives
	stopped chan struct{} // closed when no more console messages arrive
}

// consoleMark is what checkConsole writes to the console: the messages
// arrive in order, so once it is there, every earlier one is.
const consoleMark = "antrag-test: Ende der Konsole"

func newBrowser(t *testing.T, bin, base string) *browser {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	de, err := os.ReadFile(filepath.Join("testdata", "axe", "de.json"))
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1024))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first run starts the browser and binds it to ctx: no deadline
	// there, but on everything after it. The journey takes some seconds on
	// an idle machine; the deadline only ends a browser that hangs.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx, base: base, dir: t.TempDir(),
		axeSrc:  string(src) + "\n;axe.configure({locale: " + string(de) + "});\ntrue",
		marked:  make(chan struct{}),
		stopped: make(chan struct{})}
	// Before the browser stops, also after a t.Fatal.
	t.Cleanup(b.checkConsole)
	msgs := chromedp.Console(ctx)
	go func() {
		defer close(b.stopped)
		marked := false
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleLog && m.Text == consoleMark && !marked {
				marked = true
				close(b.marked)
				continue
			}
			// Network entries are responses such as the 422 of a step with
			// errors; exceptions, console.error and CSP reports count.
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s %s:%d: %s", m.Type, m.URL, m.Line+1, m.Text))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", b.location(), err)
	}
}

func (b *browser) location() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(loc, b.base)
}

// evalT evaluates a JavaScript expression in the page.
func evalT[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("%s: evaluate %.80q: %v", b.location(), expr, err)
	}
	return v
}

// navigate loads a path and checks the status of the response.
func (b *browser) navigate(path string, status int64) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	if resp.Status != status {
		b.t.Fatalf("GET %s: status %d, want %d", path, resp.Status, status)
	}
}

// click clicks an element that loads a page, waits for it and checks the
// status of its response.
// settle scrolls the element sel finds into the middle of the view at
// once. KERN scrolls smoothly (scroll-behavior: smooth); a mouse click
// computed while the page still moves lands on another element.
// It then waits two animation frames, so that a layout change the last
// input caused (journey.js showing or hiding fields) is done.
func (b *browser) settle(sel string) {
	b.t.Helper()
	evalT[bool](b, fmt.Sprintf(`new Promise(done => {
		const e = document.querySelector(%s);
		if (e) e.scrollIntoView({block: "center", behavior: "instant"});
		requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
	})`, jsString(sel)), chromedp.EvalAwaitPromise)
}

func (b *browser) click(sel string, status int64) {
	b.t.Helper()
	from := b.location()
	b.settle(sel)
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: click %s: %v", from, sel, err)
	}
	if resp.Status != status {
		b.t.Fatalf("%s: click %s: status %d, want %d (at %s)\n%s", from, sel, resp.Status, status, b.location(),
			evalT[string](b, `(document.getElementById("fehler") || document.querySelector("main") || document.body).innerText`))
	}
}

// press sends keys to the focused element.
func (b *browser) press(keys string) {
	b.t.Helper()
	b.run(chromedp.KeyEvent(keys))
}

// page checks the page the browser shows: its h1 contains heading, it has
// the basic structure, and axe finds no serious or critical violation.
func (b *browser) page(name, heading string) {
	b.t.Helper()
	b.pages++
	type structure struct {
		Lang      string   `json:"lang"`
		Title     string   `json:"title"`
		H1        []string `json:"h1"`
		Main      int      `json:"main"`
		NoStyle   []string `json:"noStyle"`   // style sheets that did not load
		HiddenVis []string `json:"hiddenVis"` // elements shown despite the hidden attribute
	}
	s := evalT[structure](b, `({lang: document.documentElement.lang, title: document.title,
		h1: Array.from(document.querySelectorAll("h1"), h => h.innerText.trim()),
		main: document.querySelectorAll("main").length,
		noStyle: Array.from(document.querySelectorAll('link[rel="stylesheet"]')).filter(l => !l.sheet || l.sheet.cssRules.length === 0).map(l => l.href),
		hiddenVis: Array.from(document.querySelectorAll("[hidden]")).filter(e => e.getClientRects().length > 0).map(e => e.id || e.tagName)})`)
	if s.Lang != "de" || s.Title == "" || s.Main != 1 || len(s.H1) != 1 {
		b.t.Errorf("%s (%s): lang %q, title %q, %d main, h1 %q", name, b.location(), s.Lang, s.Title, s.Main, s.H1)
	}
	if len(s.NoStyle) > 0 {
		b.t.Errorf("%s (%s): style sheets not loaded: %v", name, b.location(), s.NoStyle)
	}
	if len(s.HiddenVis) > 0 {
		b.t.Errorf("%s (%s): shown despite the hidden attribute: %v", name, b.location(), s.HiddenVis)
	}
	if len(s.H1) > 0 && !strings.Contains(s.H1[0], heading) {
		b.t.Errorf("%s (%s): h1 %q, want %q", name, b.location(), s.H1[0], heading)
	}
	// Every label[for] names a control that exists (axe does not see a
	// label whose control is gone).
	if orphans := evalT[[]string](b, `Array.from(document.querySelectorAll("label[for]"), l => l.htmlFor).filter(id => !document.getElementById(id))`); len(orphans) > 0 {
		b.t.Errorf("%s (%s): labels for missing controls %v", name, b.location(), orphans)
	}
	b.axe(name)
	b.screenshot(name)
	b.dark(true)
	b.axe(name + " (dunkel)")
	b.screenshot(name + " (dunkel)")
	b.dark(false)
}

// screenshot saves the page as PNG into $ANTRAG_BROWSER_SCREENSHOTS, when
// set, to look at what the test saw.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("ANTRAG_BROWSER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(dir, fmt.Sprintf("%02d %s.png", b.pages, strings.ReplaceAll(name, "/", "-")))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// dark switches the emulated colour scheme: KERN follows
// prefers-color-scheme, so the pages must pass in both.
func (b *browser) dark(on bool) {
	b.t.Helper()
	scheme := "light"
	if on {
		scheme = "dark"
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		b.t.Fatalf("emulate %s: %v", scheme, err)
	}
}

// axeViolation is a violation as axeRun reports it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []string `json:"target"`
		Summary string   `json:"summary"`
	} `json:"nodes"`
}

// axeResult is what axeRun reports: the violations, the number of rules
// that passed and the rules axe could not decide.
type axeResult struct {
	Violations []axeViolation `json:"violations"`
	Passes     int            `json:"passes"`
	Incomplete []axeViolation `json:"incomplete"`
}

// axeRun checks the document against WCAG 2.0 and 2.1, levels A and AA.
// The texts inside the charts' SVGs (axis labels, package chart) are left
// out: axe cannot decide their contrast (an SVG counts as an image behind
// them), the charts are images to assistive technology, and
// TestBrowserOverview checks their contrast itself.
const axeRun = `axe.run({exclude: [".app-chart__svg text"]}, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
	.then(r => {
		const short = v => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary || n.any.map(c => c.message).join("; ")}))});
		return {violations: r.violations.map(short), passes: r.passes.length, incomplete: r.incomplete.map(short)};
	})`

// axe injects axe-core into the page (evaluation is not subject to the
// page's Content-Security-Policy) and fails on serious and critical
// violations; lesser ones are logged.
func (b *browser) axe(name string) {
	b.t.Helper()
	if !evalT[bool](b, `typeof window.axe === "object"`) {
		evalT[bool](b, b.axeSrc)
	}
	res := evalT[axeResult](b, axeRun, chromedp.EvalAwaitPromise)
	if res.Passes == 0 {
		b.t.Errorf("%s (%s): axe checked nothing", name, b.location())
	}
	for _, v := range res.Incomplete {
		// Text as dark as its background (1:1) is an "incomplete"
		// color-contrast, not a violation, for axe; these pages have no
		// background images, so any undecided contrast fails.
		report := b.t.Logf
		if v.ID == "color-contrast" {
			report = b.t.Errorf
		}
		report("%s (%s): axe could not decide %s: %s", name, b.location(), v.ID, v.Help)
		for _, n := range v.Nodes {
			report("\t%s: %s", strings.Join(n.Target, " "), n.Summary)
		}
	}
	for _, v := range res.Violations {
		var msg strings.Builder
		fmt.Fprintf(&msg, "%s (%s): axe %s [%s]: %s", name, b.location(), v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&msg, "\n\t%s\n\t\t%s", strings.Join(n.Target, " "), strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg.String())
		} else {
			b.t.Log(msg.String())
		}
	}
}

// fill enters the example's answers of a step through the page, in page
// order: it types into text inputs, clicks radios and checkboxes, chooses
// options and attaches files. It fails when an answer has no input.
func (b *browser) fill(f *journey.Form, st *journey.Step, doc map[string]any) {
	b.t.Helper()
	vals, files := f.FormValues(st, doc)
	names := evalT[[]string](b, `Array.from(document.querySelectorAll("form.app-stepform [name]"), e => e.name)`)
	done := map[string]bool{}
	for _, name := range names {
		if done[name] || strings.Contains(name, "#") || name == "aktion" {
			continue
		}
		if refs, ok := files[name]; ok {
			done[name] = true
			b.upload(name, refs)
			continue
		}
		vs, ok := vals[name]
		if !ok {
			continue
		}
		done[name] = true
		b.set(name, vs)
	}
	for name := range vals {
		if !strings.Contains(name, "#") && !done[name] {
			b.t.Errorf("%s: no input named %q for the value %q", b.location(), name, vals[name])
		}
	}
	for name := range files {
		if !done[name] {
			b.t.Errorf("%s: no file input named %q", b.location(), name)
		}
	}
}

// set enters the values of one input name as a citizen would.
func (b *browser) set(name string, vs []string) {
	b.t.Helper()
	sel := fmt.Sprintf(`[name=%s]`, jsString(name))
	kind := evalT[string](b, fmt.Sprintf(`(e => e.closest("[hidden]") ? "hidden" : e.tagName.toLowerCase() + "/" + e.type)(document.querySelector(%s))`, jsString(sel)))
	switch kind {
	case "input/radio", "input/checkbox":
		for _, v := range vs {
			opt := fmt.Sprintf(`%s[value=%s]`, sel, jsString(v))
			if !evalT[bool](b, fmt.Sprintf(`document.querySelector(%s).checked`, jsString(opt))) {
				ticked := func() bool { return evalT[bool](b, fmt.Sprintf(`document.querySelector(%s).checked`, jsString(opt))) }
				for try := 1; !ticked(); try++ {
					if try > 2 {
						b.t.Errorf("%s: clicking %s twice did not tick it; at its centre: %s", b.location(), opt, evalT[string](b, fmt.Sprintf(`(e => { const r = e.getBoundingClientRect(); const h = document.elementFromPoint(r.x + r.width/2, r.y + r.height/2); return JSON.stringify({r, hit: h && (h.tagName + "#" + h.id + "." + h.className), scrollY}) })(document.querySelector(%s))`, jsString(opt))))
						break
					}
					// A mouse click at the element's place, as a citizen's.
					b.settle(opt)
					b.run(chromedp.Click(chromedp.CSS(opt)))
				}
			}
		}
		return
	case "select/select-one":
		// SetValue and the change event the choice of an option fires.
		b.run(chromedp.SetValue(chromedp.CSS(sel), vs[0]))
		evalT[bool](b, fmt.Sprintf(`document.querySelector(%s).dispatchEvent(new Event("change", {bubbles: true}))`, jsString(sel)))
	case "input/text", "textarea/textarea":
		// Typing replaces what the input holds.
		evalT[bool](b, fmt.Sprintf(`(e => { e.focus(); e.select(); return true })(document.querySelector(%s))`, jsString(sel)))
		b.run(chromedp.SendKeys(chromedp.CSS(sel), vs[0]))
		// Leave the input as a citizen moves on: an autofill suggestion
		// list Chromium opens under it would take the next click.
		b.press("\t")
	case "hidden":
		b.t.Fatalf("%s: the input %s for %q is hidden", b.location(), name, vs)
	default:
		b.t.Fatalf("%s: cannot enter %q into %s (%s)", b.location(), vs, name, kind)
	}
	if got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel))); err != nil || got != vs[0] {
		b.t.Errorf("%s: %s holds %q, want %q (%v)", b.location(), name, got, vs[0], err)
	}
}

// upload attaches small PDF files to a file input.
func (b *browser) upload(name string, refs []form.FileRef) {
	b.t.Helper()
	if len(refs) != 1 {
		b.t.Fatalf("%s: %d files for %s; the input takes one", b.location(), len(refs), name)
	}
	dir := filepath.Join(b.dir, strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.t.Fatal(err)
	}
	p := filepath.Join(dir, refs[0].Filename)
	if err := os.WriteFile(p, pdfFile(name), 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.run(chromedp.SetUploadFiles(chromedp.CSS(fmt.Sprintf(`input[type="file"][name=%s]`, jsString(name))), []string{p}))
}

// checkStatusRules checks journey.js on the step with "Status der Frau":
// "schwanger" shows the (voraussichtlicher) Entbindungstermin and hides the
// tatsächliche, "stillend" the other way round, without a page load.
func (b *browser) checkStatusRules(st *journey.Step) {
	b.t.Helper()
	status := findChild(st, "Status der Frau")
	expected := findChild(st, "voraussichtliche")
	actual := findChild(st, "tatsächliche Entbindungstermin")
	if status.e == nil || expected.e == nil || actual.e == nil {
		b.t.Fatalf("step %q lacks the Status der Frau fields", st.Title)
	}
	code := func(name string) string {
		for _, w := range status.e.Codes() {
			if w.Name == name {
				return w.Code
			}
		}
		b.t.Fatalf("Status der Frau has no option %q", name)
		return ""
	}
	expBox, actBox := journey.BoxID(expected.path), journey.BoxID(actual.path)
	if !evalT[bool](b, `document.documentElement.classList.contains("js-rules")`) {
		b.t.Errorf("%s: journey.js did not start (no js-rules class)", b.location())
	}
	evalT[bool](b, `window.antragOhneNeuladen = true`)
	for _, c := range []struct {
		option                  string
		expHidden, actualHidden bool
	}{{"schwanger", false, true}, {"stillend", true, false}, {"schwanger", false, true}} {
		radio := fmt.Sprintf(`input[type="radio"][name=%s][value=%s]`, jsString(status.path.String()), jsString(code(c.option)))
		b.settle(radio)
		b.run(chromedp.Click(chromedp.CSS(radio)))
		// hidden, and not rendered either (no CSS overrides the attribute).
		expr := fmt.Sprintf(`[%s, %s].map(id => document.getElementById(id)).map(e => e.hidden && e.getClientRects().length === 0)
			.concat([window.antragOhneNeuladen === true])`, jsString(expBox), jsString(actBox))
		// journey.js reacts at once; the deadline is for a loaded machine.
		var got []bool
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			got = evalT[[]bool](b, expr)
			if (got[0] == c.expHidden && got[1] == c.actualHidden) || time.Now().After(deadline) {
				break
			}
		}
		if got[0] != c.expHidden || got[1] != c.actualHidden {
			b.t.Errorf("%s chosen: #%s hidden=%v, #%s hidden=%v; want %v, %v", c.option, expBox, got[0], actBox, got[1], c.expHidden, c.actualHidden)
		}
		if !got[2] {
			b.t.Fatalf("%s chosen: the page was loaded again", c.option)
		}
	}
}

type childAt struct {
	e    *form.Element
	path form.Path
}

// findChild finds the element of a step whose label contains s.
func findChild(st *journey.Step, s string) childAt {
	var walk func(p form.Path, cs []form.Child) childAt
	walk = func(p form.Path, cs []form.Child) childAt {
		for i := range cs {
			e := cs[i].Element
			kp := p.Key(e.ID)
			if strings.Contains(e.Label(), s) {
				return childAt{e, kp}
			}
			if e.Kind == form.KindGroup && !cs[i].Anzahl.Repeats() {
				if c := walk(kp, e.Struktur); c.e != nil {
					return c
				}
			}
		}
		return childAt{}
	}
	return walk(st.Parent, st.Children)
}

// checkConsole fails on exceptions and errors the pages wrote to the
// console (a script error, a Content-Security-Policy violation).
func (b *browser) checkConsole() {
	b.t.Helper()
	// Wait for the console messages of the last page: they arrive before
	// a mark written after them.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`console.log(%s), true`, jsString(consoleMark)))); err != nil {
		b.t.Logf("console: no mark written (%v); messages still on the way are not checked", err)
	} else {
		select {
		case <-b.marked:
		case <-b.stopped:
		case <-time.After(time.Minute):
			b.t.Errorf("console: the mark did not arrive within a minute; messages still on the way are not checked")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		b.t.Errorf("console: %s", m)
	}
}

// jsString quotes s as a JavaScript (and CSS) string literal.
func jsString(s string) string {
	q, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(q)
}

// TestBrowserErrorLinksFocusAndAutocomplete checks in Chromium what axe
// does not: on every step of "Bewohnerparkausweis" sent empty, following
// each link of the error summary moves the focus to the field it names
// (a select, a date's day, a consent checkbox, a file input, radios); and
// the autocomplete tokens of "Immobiliardarlehensvermittler" are set on
// the applicant's fields and absent on the business's and the
// representative's. Every page is checked by b.page (axe, orphan labels).
func TestBrowserErrorLinksFocusAndAutocomplete(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	b := newBrowser(t, bin, h.srv.URL)

	sv := h.service("musterstadt", "bewohnerparkausweis")
	b.navigate("/musterstadt/dienste/"+sv.svc.Slug, 200)
	b.click(`main form button[type="submit"]`, 200)
	base := strings.TrimSuffix(b.location(), "/schritt/1")
	followed := 0
	for _, st := range sv.form.Steps {
		b.navigate(fmt.Sprintf("%s/schritt/%d", base, st.Index+1), 200)
		if !strings.HasSuffix(b.location(), fmt.Sprintf("/schritt/%d", st.Index+1)) {
			t.Fatalf("step %d is skipped (at %s)", st.Index+1, b.location())
		}
		b.settle(`button[name="aktion"][value="weiter"]`)
		resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`button[name="aktion"][value="weiter"]`)))
		if err != nil {
			t.Fatalf("step %d: %v", st.Index+1, err)
		}
		if resp.Status != 422 {
			continue // nothing required on this step
		}
		name := fmt.Sprintf("Schritt %d mit Fehlern", st.Index+1)
		b.page(name, st.Heading())
		for _, href := range evalT[[]string](b, `Array.from(document.querySelectorAll("#fehler a"), a => a.getAttribute("href"))`) {
			followed++
			// Click the link (its activation, without mouse coordinates
			// that a smooth scroll could move) and wait until the focus
			// has moved to its target, or give up after 5 s.
			got := evalT[string](b, `new Promise(done => {
				const target = document.getElementById(`+jsString(href[1:])+`);
				document.querySelector("#fehler a[href=" + CSS.escape(`+jsString(href)+`) + "]").click();
				let tries = 0;
				(function wait() {
					if (document.activeElement === target || ++tries > 250) done(document.activeElement ? document.activeElement.id : "");
					else setTimeout(wait, 20);
				})();
			})`, chromedp.EvalAwaitPromise)
			if "#"+got != href {
				t.Errorf("%s: the error link %s moved the focus to %q", name, href, got)
			}
		}
		if ch := st.Choice; ch != nil {
			// Give the optional group, so that its step follows.
			b.set(ch.Input(), []string{"ja"})
			b.click(`button[name="aktion"][value="weiter"]`, 200)
		}
	}
	if followed < 5 {
		t.Errorf("only %d error links followed", followed)
	}

	sv = h.service("beispielkreis", "immobiliardarlehensvermittler")
	b.navigate("/beispielkreis/dienste/"+sv.svc.Slug, 200)
	b.click(`main form button[type="submit"]`, 200)
	base = strings.TrimSuffix(b.location(), "/schritt/1")
	tokensOn := func(st *journey.Step) map[string]string {
		if o := st.Optional; o != nil {
			// Choose the step's branch (or group) on its choice step.
			at := -1
			for _, c := range sv.form.Steps {
				if c.Choice == o {
					at = c.Index
				}
			}
			b.navigate(fmt.Sprintf("%s/schritt/%d", base, at+1), 200)
			v := "ja"
			if o.Alternatives() {
				v = st.Parent[0].Key
			}
			b.set(o.Input(), []string{v})
			b.click(`button[name="aktion"][value="weiter"]`, 200)
		}
		b.navigate(fmt.Sprintf("%s/schritt/%d", base, st.Index+1), 200)
		b.page("Schritt "+st.Heading(), st.Heading())
		return evalT[map[string]string](b, `Object.fromEntries(Array.from(document.querySelectorAll("form.app-stepform [autocomplete]"), e => [e.id, e.getAttribute("autocomplete")]))`)
	}
	applicant, business, representative := findStep(t, sv.form, "Angaben zur antragstellenden Person"),
		findStep(t, sv.form, "Angaben Unternehmen"), findStep(t, sv.form, "Vertretung")
	got := map[string]bool{}
	for _, tok := range tokensOn(applicant) {
		got[tok] = true
	}
	for _, want := range []string{"given-name", "family-name", "bday-day", "bday-month", "bday-year", "address-line1", "postal-code", "tel", "email"} {
		if !got[want] {
			t.Errorf("%s: no field with autocomplete %q (tokens %v)", applicant.Heading(), want, got)
		}
	}
	for _, st := range []*journey.Step{business, representative} {
		if toks := tokensOn(st); len(toks) > 0 {
			t.Errorf("%s: autocomplete on other people's data: %v", st.Heading(), toks)
		}
	}
}

// findStep returns the step with the heading.
func findStep(t *testing.T, f *journey.Form, heading string) *journey.Step {
	t.Helper()
	for _, st := range f.Steps {
		if st.Heading() == heading {
			return st
		}
	}
	t.Fatalf("no step %q", heading)
	return nil
}
