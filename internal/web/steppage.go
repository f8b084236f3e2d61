package web

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web/static"
)

// A step page, the page a citizen sees most, is written by writeStepPage
// rather than by executing the templates "layout" and "step": html/template
// calls its escapers by reflection for every action, which made the two
// templates the largest part of a step's cost. The markup is the
// templates' (layout.html, step.html and "errorsummary" in partials.html),
// which stay the reference: a test renders pages through both and compares
// them byte for byte. Text is escaped by escapeHTML as html/template
// escapes it in text and double-quoted attributes. Values that html/template
// would treat as URLs are written here only when they consist of characters
// that its URL filter, normaliser and attribute escaper all leave as they
// are; a page with any other (a logo, an unusual link) is rendered by the
// templates.

// stepPage is what a step page shows: the data renderStep gives the "step"
// template, with what render adds for a citizen page.
type stepPage struct {
	Title    string
	Tenant   *tenant.Tenant
	Service  *tenant.Service
	View     *journey.View
	Problems []errLink
	Number   int
	Total    int
	Last     bool
	Action   string
	Scripts  bool
	Notes    []string
	Saved    string
	// Files is whether the step has a file input: only then is the form
	// sent as multipart/form-data, which the upload bounds count as an
	// upload (uploads in upload_guard.go).
	Files     bool
	Citizen   *identity.Identity
	PageLinks pageLinks
}

// plainURL matches a URL that html/template writes into an attribute
// unchanged: a path, a fragment or an http(s) address of letters, digits
// and "-._~/:#[]" only.
var plainURL = regexp.MustCompile(`^(https?://|/|#)[A-Za-z0-9._~/:#\[\]-]*$`)

// plainColour matches a tenant's colour as tenant.Validate allows it.
var plainColour = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// writable reports whether writeStepPage writes p exactly as the templates
// would; if not, the caller renders the templates.
func (p *stepPage) writable() bool {
	t := p.Tenant
	if t == nil || p.Service == nil || p.View == nil || p.View.Step == nil || t.LogoURL != "" ||
		!plainURL.MatchString("/"+t.Slug+"/") || (t.Colour != "" && !plainColour.MatchString(t.Colour)) ||
		!plainURL.MatchString(p.Action) {
		return false
	}
	for _, l := range p.PageLinks.List() {
		if !plainURL.MatchString(l.Href) {
			return false
		}
	}
	for _, e := range p.Problems {
		if !plainURL.MatchString(e.Href) {
			return false
		}
	}
	return true
}

// staticPaths are the asset paths the layout links to (static.Path).
var staticPaths = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{"vendor/kern/fonts/fira-sans.css", "vendor/kern/kern.min.css", "app/app.css",
		"vendor/json-logic-js/logic.js", "app/rules.js", "app/journey.js"} {
		p, ok := static.Path(name)
		if !ok {
			panic("static asset " + name + " missing") // embedded at build time
		}
		m[name] = p
	}
	return m
}()

// writeStepPage writes p as the templates "layout" and "step" would; p
// must be writable.
func writeStepPage(b *bytes.Buffer, p *stepPage) {
	w := itemWriter{b: b}
	t := p.Tenant
	w.s("<!doctype html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n",
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	w.e(p.Title)
	if p.Number != 0 {
		w.s(" (Schritt ", strconv.Itoa(p.Number), " von ", strconv.Itoa(p.Total), ")")
	}
	w.s(" – ")
	w.e(t.Name)
	w.s("</title>\n",
		`<link rel="stylesheet" href="`, staticPaths["vendor/kern/fonts/fira-sans.css"], "\">\n",
		`<link rel="stylesheet" href="`, staticPaths["vendor/kern/kern.min.css"], "\">\n",
		`<link rel="stylesheet" href="`, staticPaths["app/app.css"], "\">\n")
	if t.Colour != "" {
		w.s(`<link rel="stylesheet" href="/`, t.Slug, `/farben.css?v=`, t.Colour[1:], `">`)
	}
	w.s("\n</head>\n<body>\n",
		"<a class=\"app-skip\" href=\"#inhalt\">Zum Inhalt springen</a>\n",
		"<header class=\"app-header\">\n  <div class=\"kern-container\">\n    <p class=\"app-header__brand\">\n      ",
		`<a class="kern-link app-header__home" href="/`, t.Slug, `/">`)
	w.e(t.Name)
	w.s("</a>\n      <span class=\"app-header__sub\">Online-Dienste</span>\n    </p>\n    \n    ")
	if c := p.Citizen; c != nil {
		w.s(`<div class="app-header__user" id="angemeldet"><span class="kern-body">Angemeldet als `)
		if org := c.Attr("organisation"); org != "" {
			w.e(org)
		} else {
			w.e(c.Attr("givenName"))
			w.s(" ")
			w.e(c.Attr("surname"))
		}
		w.s(" (Vertrauensniveau ")
		w.e(c.Level.String())
		w.s(")</span>\n      ",
			`<a class="kern-link" href="/`, t.Slug, "/mein-konto\">Mein Konto</a>\n      ",
			`<form method="post" action="/`, t.Slug, `/abmelden" class="app-inline"><button class="kern-btn kern-btn--tertiary kern-btn--x-small" type="submit"><span class="kern-label">Abmelden</span></button></form></div>`)
	}
	w.s("\n    \n  </div>\n</header>\n",
		"<main id=\"inhalt\" class=\"kern-container app-main\" tabindex=\"-1\">\n",
		"<div class=\"kern-row\"><div class=\"kern-col-12 kern-col-lg-8\">\n")
	writeStepContent(&w, p)
	w.s("\n</div></div>\n</main>\n",
		"<footer class=\"app-footer\">\n  <div class=\"kern-container\">\n    <ul class=\"app-footer__links\">\n      ")
	for _, l := range p.PageLinks.List() {
		w.s(`<li><a class="kern-link" href="`, l.Href, `">`)
		w.e(l.Label)
		w.s("</a></li>\n      ")
	}
	w.s("\n    </ul>\n  </div>\n</footer>\n")
	if p.Scripts {
		w.s(`<script src="`, staticPaths["vendor/json-logic-js/logic.js"], "\" defer></script>\n",
			`<script src="`, staticPaths["app/rules.js"], "\" defer></script>\n",
			`<script src="`, staticPaths["app/journey.js"], `" defer></script>`)
	}
	w.s("\n\n</body>\n</html>")
}

// writeStepContent writes the block "content" of step.html.
func writeStepContent(w *itemWriter, p *stepPage) {
	n, total := strconv.Itoa(p.Number), strconv.Itoa(p.Total)
	v := p.View
	w.s("\n<div class=\"kern-progress app-progress\">\n",
		"  <label class=\"kern-label\" for=\"fortschritt\">Schritt ", n, " von ", total, "</label>\n",
		"  <progress id=\"fortschritt\" value=\"", n, "\" max=\"", total, "\">Schritt ", n, " von ", total, "</progress>\n",
		"</div>\n<p class=\"kern-preline\">")
	w.e(p.Service.Name)
	if v.Step.Subtitle != "" {
		w.s(" – ")
		w.e(v.Step.Title)
	}
	w.s("</p>\n<h1 class=\"kern-heading-large\">")
	w.e(v.Step.Heading())
	w.s("</h1>\n")
	if len(p.Problems) > 0 {
		w.s("\n<div class=\"kern-alert kern-alert--danger app-errorsummary\" id=\"fehler\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"fehler-titel\" autofocus>\n",
			"  <div class=\"kern-alert__header\">\n",
			"    <span class=\"kern-icon kern-icon--danger\" aria-hidden=\"true\"></span>\n",
			"    <h2 class=\"kern-title\" id=\"fehler-titel\">")
		if len(p.Problems) == 1 {
			w.s("Bitte korrigieren Sie 1 Angabe")
		} else {
			w.s("Bitte korrigieren Sie ", strconv.Itoa(len(p.Problems)), " Angaben")
		}
		w.s("</h2>\n  </div>\n  <div class=\"kern-alert__body\">\n    <ul class=\"kern-list\">\n      ")
		for _, e := range p.Problems {
			w.s(`<li><a class="kern-link" href="`, e.Href, `">`)
			w.e(e.Message)
			w.s("</a></li>\n      ")
		}
		w.s("\n    </ul>\n  </div>\n</div>")
	}
	w.s("\n")
	if p.Saved != "" {
		w.s(`<div class="kern-alert kern-alert--success" role="status"><div class="kern-alert__body"><p class="kern-body">`)
		w.e(p.Saved)
		w.s(`</p></div></div>`)
	}
	w.s("\n<p class=\"kern-body kern-body--small\">Pflichtangaben haben keinen Zusatz; freiwillige Angaben sind mit „Optional“ gekennzeichnet.</p>\n")
	for _, note := range p.Notes {
		w.s(`<p class="kern-body">`)
		w.e(note)
		w.s(`</p>`)
	}
	w.s("\n", `<form method="post" action="`, p.Action, `"`)
	if p.Files {
		w.s(` enctype="multipart/form-data"`)
	}
	w.s(" novalidate class=\"app-stepform\">\n")
	for _, it := range v.Items {
		w.item(it)
	}
	w.s("\n")
	if v.RulesJSON != "" {
		w.s(`<script type="application/json" id="antrag-regeln">`, v.RulesJSON, `</script>`)
	}
	w.s("\n<div class=\"kern-btn-wrapper app-actions\">\n",
		"  <button type=\"submit\" name=\"aktion\" value=\"weiter\" class=\"kern-btn kern-btn--primary\"><span class=\"kern-label\">")
	if p.Last {
		w.s("Weiter zur Übersicht")
	} else {
		w.s("Weiter")
	}
	w.s("</span></button>\n",
		"  <button type=\"submit\" name=\"aktion\" value=\"zurueck\" class=\"kern-btn kern-btn--secondary\"><span class=\"kern-label\">Zurück</span></button>\n  ")
	if v.RulesJSON != "" {
		w.s(`<button type="submit" name="aktion" value="aktualisieren" class="kern-btn kern-btn--tertiary app-refresh"><span class="kern-label">Aktualisieren</span></button>`)
	}
	w.s("\n  <button type=\"submit\" name=\"aktion\" value=\"speichern\" class=\"kern-btn kern-btn--tertiary\"><span class=\"kern-label\">Speichern und später fortsetzen</span></button>\n",
		"</div>\n</form>\n")
}

// renderStepPage answers with p: written by writeStepPage when it can,
// else by the templates.
func (s *Server) renderStepPage(w http.ResponseWriter, r *http.Request, status int, p *stepPage) {
	if !p.writable() {
		s.render(w, r, status, "step", p.data())
		return
	}
	allowLogo(w, p.Tenant)
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	writeStepPage(buf, p)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// data is p as the data of the template "step".
func (p *stepPage) data() map[string]any {
	return map[string]any{
		"Title": p.Title, "Tenant": p.Tenant, "Service": p.Service, "View": p.View, "Problems": p.Problems,
		"Number": p.Number, "Total": p.Total, "Last": p.Last, "Action": p.Action, "Scripts": p.Scripts,
		"Notes": p.Notes, "Saved": p.Saved, "Citizen": p.Citizen, "PageLinks": p.PageLinks, "Files": p.Files,
	}
}

// hasFileInput reports whether items, or any item within them, is a file
// input (hidden ones too: the browser's rules may show them).
func hasFileInput(items []*journey.Item) bool {
	for _, it := range items {
		if it.Widget == journey.WFile || hasFileInput(it.Children) {
			return true
		}
	}
	return false
}
