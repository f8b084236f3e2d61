package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/tenant"
)

// doc parses a page, failing the test unless it came with status 200.
func (h *harness) doc(path string) *goquery.Document {
	h.t.Helper()
	resp := h.get(path)
	if resp.status != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(resp.body))
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	return d
}

// footerLinks returns the footer's links by their text.
func footerLinks(d *goquery.Document) map[string]string {
	out := map[string]string{}
	d.Find("footer.app-footer a.kern-link").Each(func(_ int, a *goquery.Selection) {
		out[strings.TrimSpace(a.Text())] = a.AttrOr("href", "")
	})
	return out
}

// textsOf returns the trimmed text of every element the selector finds.
func textsOf(d *goquery.Document, selector string) []string {
	var out []string
	d.Find(selector).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// setPages replaces the operator pages of a demo tenant and of its
// authorities (by name); it returns the tenant and its authorities by
// name.
func (h *harness) setPages(slug string, own tenant.Pages, byName map[string]tenant.Pages) (*tenant.Tenant, map[string]*tenant.Authority) {
	h.t.Helper()
	ctx := context.Background()
	t, err := h.db.TenantBySlug(ctx, slug)
	if err != nil {
		h.t.Fatal(err)
	}
	as, err := h.db.ListAuthorities(ctx, t.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	named := map[string]*tenant.Authority{}
	for _, a := range as {
		named[a.Name] = a
	}
	byID := map[string]tenant.Pages{}
	for name, p := range byName {
		a, ok := named[name]
		if !ok {
			h.t.Fatalf("%s has no authority %q", slug, name)
		}
		byID[a.ID] = p
	}
	if err := h.db.SetPages(ctx, t.ID, own, byID); err != nil {
		h.t.Fatal(err)
	}
	return t, named
}

func TestTenantPagesShowTheTenantsText(t *testing.T) {
	h := newHarness(t)
	h.setPages("musterstadt", tenant.Pages{
		Impressum: &tenant.Page{Paragraphs: []string{"Stadt Musterstadt, Marktplatz 1, 99084 Musterstadt", "Vertreten durch <script>alert(1)</script> den Bürgermeister."}},
		Datenschutz: &tenant.Page{Paragraphs: []string{"Verantwortlich ist die Stadt Musterstadt."},
			Sections: []tenant.Section{{Heading: "Ihre Rechte", Paragraphs: []string{"Sie haben das Recht auf Auskunft."}}}},
	}, nil)
	h.setPages("beispielkreis", tenant.Pages{}, nil)

	d := h.doc("/musterstadt/impressum")
	if got := textsOf(d, "main h1"); !slices.Equal(got, []string{"Impressum"}) {
		t.Errorf("h1 = %q", got)
	}
	want := []string{"Stadt Musterstadt, Marktplatz 1, 99084 Musterstadt", "Vertreten durch <script>alert(1)</script> den Bürgermeister."}
	if got := textsOf(d, "main p.kern-body"); !slices.Equal(got, want) {
		t.Errorf("paragraphs = %q, want %q", got, want)
	}
	if n := d.Find("main script").Length(); n != 0 {
		t.Errorf("the operator's text became %d script elements", n)
	}
	if got := d.Find("header .app-header__brand a").First().AttrOr("href", ""); got != "/musterstadt/" {
		t.Errorf("header links to %q, want the tenant's catalogue", got)
	}

	d = h.doc("/musterstadt/datenschutz")
	if got := textsOf(d, "main h2.kern-heading-medium"); !slices.Equal(got, []string{"Ihre Rechte"}) {
		t.Errorf("section headings = %q", got)
	}
	if got := textsOf(d, "main p.kern-body"); !slices.Equal(got, []string{"Verantwortlich ist die Stadt Musterstadt.", "Sie haben das Recht auf Auskunft."}) {
		t.Errorf("Datenschutz paragraphs = %q", got)
	}

	// A tenant without pages of its own shows the installation's, which
	// the portal keeps.
	mine := textsOf(h.doc("/beispielkreis/impressum"), "main p.kern-body")
	portal := textsOf(h.doc("/impressum"), "main p.kern-body")
	if len(portal) == 0 || !slices.Equal(mine, portal) {
		t.Errorf("/beispielkreis/impressum = %q, want the installation's %q", mine, portal)
	}
	if slices.Equal(portal, want) {
		t.Errorf("the installation's Impressum shows a tenant's text")
	}

	// The catalogue links to the tenant's pages.
	links := footerLinks(h.doc("/musterstadt/"))
	for label, href := range map[string]string{"Impressum": "/musterstadt/impressum", "Datenschutz": "/musterstadt/datenschutz", "Barrierefreiheit": "/musterstadt/barrierefreiheit"} {
		if links[label] != href {
			t.Errorf("catalogue footer %s → %q, want %q", label, links[label], href)
		}
	}
	if resp := h.get("/nirgendwo/impressum"); resp.status != http.StatusNotFound {
		t.Errorf("unknown tenant's Impressum: %d", resp.status)
	}
}

func TestAuthorityPageOverridesTenantPage(t *testing.T) {
	h := newHarness(t)
	tn, named := h.setPages("musterstadt",
		tenant.Pages{Datenschutz: &tenant.Page{Paragraphs: []string{"Datenschutz der Stadt."}}},
		map[string]tenant.Pages{"Bürgeramt Musterstadt": {Datenschutz: &tenant.Page{Paragraphs: []string{"Datenschutz des Bürgeramts."}}}})
	bue := named["Bürgeramt Musterstadt"]
	authPath := "/musterstadt/behoerden/" + bue.ID + "/datenschutz"

	sv := h.service("musterstadt", "bewohnerparkausweis")
	start := h.doc("/musterstadt/dienste/bewohnerparkausweis")
	links := footerLinks(start)
	if links["Datenschutz"] != authPath {
		t.Errorf("start page footer Datenschutz → %q, want the authority's %q", links["Datenschutz"], authPath)
	}
	if links["Impressum"] != "/musterstadt/impressum" {
		t.Errorf("start page footer Impressum → %q, want the tenant's (the authority sets none)", links["Impressum"])
	}
	if got := start.Find("main a.kern-link:contains('Datenschutzerklärung')").AttrOr("href", ""); got != authPath {
		t.Errorf("start page's Datenschutzerklärung link → %q, want %q", got, authPath)
	}
	// The steps of the journey link to the authority's page too.
	base := h.start(sv)
	if got := footerLinks(h.doc(base + "/schritt/1"))["Datenschutz"]; got != authPath {
		t.Errorf("step 1 footer Datenschutz → %q, want %q", got, authPath)
	}
	if got := textsOf(h.doc(authPath), "main p.kern-body"); !slices.Equal(got, []string{"Datenschutz des Bürgeramts."}) {
		t.Errorf("%s = %q", authPath, got)
	}
	// The catalogue, which no authority owns, links to the tenant's.
	if got := footerLinks(h.doc("/musterstadt/"))["Datenschutz"]; got != "/musterstadt/datenschutz" {
		t.Errorf("catalogue footer Datenschutz → %q", got)
	}
	if got := textsOf(h.doc("/musterstadt/datenschutz"), "main p.kern-body"); !slices.Equal(got, []string{"Datenschutz der Stadt."}) {
		t.Errorf("/musterstadt/datenschutz = %q", got)
	}
	// An authority's pages fall back to its tenant's, and to the
	// installation's.
	if got := textsOf(h.doc("/musterstadt/behoerden/"+bue.ID+"/impressum"), "main p.kern-body"); !slices.Equal(got, textsOf(h.doc("/impressum"), "main p.kern-body")) {
		t.Errorf("authority without an Impressum shows %q", got)
	}
	// An authority of another tenant is not found under this one.
	if resp := h.get("/beispielkreis/behoerden/" + bue.ID + "/datenschutz"); resp.status != http.StatusNotFound {
		t.Errorf("musterstadt's authority under beispielkreis: %d", resp.status)
	}
	_ = tn
}

func TestExternalPageLinkedInFooter(t *testing.T) {
	h := newHarness(t)
	const ext = "https://www.musterstadt.example.org/impressum"
	const extAuth = "https://buergeramt.musterstadt.example.org/barrierefreiheit"
	h.setPages("musterstadt", tenant.Pages{Impressum: &tenant.Page{URL: ext}},
		map[string]tenant.Pages{"Bürgeramt Musterstadt": {Barrierefreiheit: &tenant.Page{URL: extAuth}}})

	if got := footerLinks(h.doc("/musterstadt/"))["Impressum"]; got != ext {
		t.Errorf("catalogue footer Impressum → %q, want %q", got, ext)
	}
	links := footerLinks(h.doc("/musterstadt/dienste/bewohnerparkausweis"))
	if links["Impressum"] != ext || links["Barrierefreiheit"] != extAuth {
		t.Errorf("start page footer = %v, want Impressum %q and Barrierefreiheit %q", links, ext, extAuth)
	}
	if resp := h.get("/musterstadt/impressum"); resp.status != http.StatusSeeOther || resp.location != ext {
		t.Errorf("/musterstadt/impressum: %d → %q, want a redirect to %q", resp.status, resp.location, ext)
	}
	// The portal keeps the installation's pages.
	portal := footerLinks(h.doc("/"))
	if portal["Impressum"] != "/impressum" || portal["Datenschutz"] != "/datenschutz" || portal["Barrierefreiheit"] != "/barrierefreiheit" {
		t.Errorf("portal footer = %v", portal)
	}
}

func TestAccessibilityStatementStructure(t *testing.T) {
	h := newHarness(t)
	st := &tenant.Statement{
		Conformance: tenant.PartiallyConformant,
		Problems: []tenant.Problem{
			{Content: "Die Antragsquittung (PDF) ist kein getaggtes PDF.", Reason: "unverhältnismäßige Belastung", Alternative: "Die Angaben stehen auf der Bestätigungsseite."},
			{Content: "Zwei Hilfetexte sind nur als Bild vorhanden."},
		},
		Prepared: tenant.Preparation{Date: "2026-11-30", Reviewed: "2026-12-02", Method: tenant.ThirdPartyTesting, Evaluator: "Prüfstelle Beispiel"},
		Feedback: tenant.Feedback{Email: "barrierefrei@musterstadt.example.org", Phone: "+49 361 1234-567", FormURL: "https://www.musterstadt.example.org/kontakt", ResponseWeeks: 6},
		Enforcement: tenant.Enforcement{Name: "Schlichtungsstelle Barrierefreiheit (Beispiel)", Address: []string{"Beispielstraße 1", "99084 Musterstadt"},
			URL: "https://schlichtung.example.org", Email: "schlichtung@example.org"},
	}
	h.setPages("musterstadt", tenant.Pages{Barrierefreiheit: &tenant.Page{Statement: st}}, nil)
	d := h.doc("/musterstadt/barrierefreiheit")

	if got := textsOf(d, "main h1"); !slices.Equal(got, []string{"Erklärung zur Barrierefreiheit"}) {
		t.Errorf("h1 = %q", got)
	}
	// The model's parts, in its order, each a section with a heading.
	wantSections := []string{"stand", "nicht-barrierefreie-inhalte", "erstellung", "feedback", "schlichtung"}
	var ids []string
	d.Find("main section").Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("id", ""))
		if s.Find("h2.kern-heading-medium").Length() != 1 {
			t.Errorf("section %s has no heading", s.AttrOr("id", ""))
		}
	})
	if !slices.Equal(ids, wantSections) {
		t.Errorf("sections = %q, want %q", ids, wantSections)
	}
	if got := textsOf(d, "#stand-titel"); !slices.Equal(got, []string{"Stand der Vereinbarkeit mit den Anforderungen"}) {
		t.Errorf("heading of #stand = %q", got)
	}
	check := func(selector, want string) {
		t.Helper()
		if got := textsOf(d, selector); !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %q, want %q", selector, got, want)
		}
	}
	check("#stand .app-conformance", "teilweise vereinbar")
	if got := textsOf(d, "#nicht-barrierefreie-inhalte li .app-problem"); !slices.Equal(got, []string{st.Problems[0].Content, st.Problems[1].Content}) {
		t.Errorf("problems = %q", got)
	}
	check("#nicht-barrierefreie-inhalte li .app-problem__reason", "Begründung: unverhältnismäßige Belastung")
	check("#nicht-barrierefreie-inhalte li .app-problem__alternative", "Barrierefreie Alternative: Die Angaben stehen auf der Bestätigungsseite.")
	check("#erstellung time.app-prepared[datetime='2026-11-30']", "30.11.2026")
	check("#erstellung .app-reviewed", "02.12.2026")
	check("#erstellung .app-method", "einer Prüfung durch Dritte")
	check("#feedback a[href='mailto:barrierefrei@musterstadt.example.org']", "barrierefrei@musterstadt.example.org")
	check("#feedback a[href='tel:+493611234567']", "+49 361 1234-567")
	check("#feedback a[href='https://www.musterstadt.example.org/kontakt']", "https://www.musterstadt.example.org/kontakt")
	check("#feedback .app-response", "sechs Wochen")
	check("#schlichtung address .app-enforcement__name", "Schlichtungsstelle Barrierefreiheit (Beispiel)")
	check("#schlichtung a[href='https://schlichtung.example.org']", "https://schlichtung.example.org")
	check("#schlichtung a[href='mailto:schlichtung@example.org']", "schlichtung@example.org")
	check("#geltungsbereich a[href='http://antrag.test/musterstadt/']", "http://antrag.test/musterstadt/")
	if got := d.Find("main p.kern-body").First().Text(); !strings.Contains(got, "„Stadt Musterstadt“") {
		t.Errorf("the statement does not name the public body: %q", got)
	}

	// Full conformance: no list of problems; an authority's statement
	// names the authority.
	full := *st
	full.Conformance, full.Problems = tenant.FullyConformant, nil
	_, named := h.setPages("musterstadt", tenant.Pages{}, map[string]tenant.Pages{"Bürgeramt Musterstadt": {Barrierefreiheit: &tenant.Page{Statement: &full}}})
	d = h.doc("/musterstadt/behoerden/" + named["Bürgeramt Musterstadt"].ID + "/barrierefreiheit")
	check("#stand .app-conformance", "vollständig vereinbar")
	if n := d.Find("#nicht-barrierefreie-inhalte").Length(); n != 0 {
		t.Errorf("a fully conformant statement lists problems")
	}
	if got := d.Find("main p.kern-body").First().Text(); !strings.Contains(got, "„Bürgeramt Musterstadt“") {
		t.Errorf("the authority's statement does not name it: %q", got)
	}
}

// TestBrowserOperatorPages checks the demo's operator pages in Chromium
// with axe-core (WCAG 2.1 AA), as the journey's pages are: the
// Erklärung zur Barrierefreiheit, a Datenschutzerklärung with sections,
// and an authority's page.
func TestBrowserOperatorPages(t *testing.T) {
	bin := chromiumBinary(t)
	h := newHarness(t)
	kv, err := h.db.ListAuthorities(context.Background(), h.service("beispielkreis", "heimarbeit").tenant.ID)
	if err != nil || len(kv) == 0 {
		t.Fatalf("authorities of beispielkreis: %v", err)
	}
	b := newBrowser(t, bin, h.srv.URL)
	b.navigate("/musterstadt/barrierefreiheit", 200)
	b.page("Erklärung zur Barrierefreiheit", "Erklärung zur Barrierefreiheit")
	b.navigate("/musterstadt/datenschutz", 200)
	b.page("Datenschutzerklärung", "Datenschutzerklärung")
	b.navigate("/beispielkreis/behoerden/"+kv[0].ID+"/datenschutz", 200)
	b.page("Datenschutzerklärung der Behörde", "Datenschutzerklärung")
}
