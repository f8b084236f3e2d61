package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/tenant"
)

// The operator pages: Impressum, Datenschutzerklärung and Erklärung zur
// Barrierefreiheit. The installation has its own at /impressum etc. (for
// the portal, and wherever a tenant sets none); a tenant's are at
// /{tenant}/impressum, an authority's at
// /{tenant}/behoerden/{authority}/impressum. A page set as a link to the
// body's own website is linked there directly; its path here redirects to
// it. Every page's footer links to the pages that apply to it.

// infoPage serves one of the installation's own pages.
func (s *Server) infoPage(k tenant.PageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s.renderInstallationPage(w, r, k, map[string]any{})
		return nil
	}
}

// renderInstallationPage renders the installation's page of kind k with
// data (which may name a tenant and authority for the header and footer).
func (s *Server) renderInstallationPage(w http.ResponseWriter, r *http.Request, k tenant.PageKind, data map[string]any) {
	data["Title"] = k.Title()
	data["Paragraphs"] = infoPages[k]
	s.render(w, r, http.StatusOK, "page", data)
}

// operatorPage serves the page of kind k of the tenant in the path, or of
// its authority if the path names one (an authority of another tenant is
// not found): the authority's own, else the tenant's, else the
// installation's.
func (s *Server) operatorPage(k tenant.PageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := s.tenantOf(r)
		if err != nil {
			return err
		}
		data := map[string]any{"Tenant": t}
		var a *tenant.Authority
		if id := r.PathValue("authority"); id != "" {
			if a, err = s.deps.Store.Authority(r.Context(), t.ID, id); err != nil {
				return err
			}
			data["Authority"] = a
		}
		p, byAuthority := tenant.PageFor(k, t, a)
		switch {
		case p == nil:
			s.renderInstallationPage(w, r, k, data)
			return nil
		case p.URL != "":
			http.Redirect(w, r, p.URL, http.StatusSeeOther)
			return nil
		}
		data["Title"] = k.Title()
		data["Paragraphs"] = p.Paragraphs
		data["Sections"] = p.Sections
		if p.Statement != nil {
			body := t.Name
			if byAuthority {
				body = a.Name
			}
			data["Statement"] = newStatementView(p.Statement, body, strings.TrimRight(s.cfg.BaseURL, "/")+"/"+t.Slug+"/")
		}
		s.render(w, r, http.StatusOK, "page", data)
		return nil
	}
}

// pageLink is a footer link to an operator page.
type pageLink struct {
	Label, Href string
	External    bool // on the body's own website
}

// pageLinks are the operator pages a page links to.
type pageLinks struct{ Datenschutz, Barrierefreiheit, Impressum pageLink }

// List returns the links in the footer's order.
func (p pageLinks) List() []pageLink {
	return []pageLink{p.Datenschutz, p.Barrierefreiheit, p.Impressum}
}

// pageLinksFor returns the operator pages for a page rendered with data:
// those of its authority (data's "Authority", else the one that receives
// its "Service"), of its "Tenant", else the installation's.
func (s *Server) pageLinksFor(r *http.Request, data map[string]any) pageLinks {
	t, _ := data["Tenant"].(*tenant.Tenant)
	a, _ := data["Authority"].(*tenant.Authority)
	if svc, ok := data["Service"].(*tenant.Service); ok && svc != nil && a == nil && t != nil {
		found, err := s.authorityFor(r, t, svc)
		if err != nil {
			s.deps.Logger.Warn("operator pages: authority of service", "tenant", t.Slug, "service", svc.Slug, "error", err.Error())
		} else {
			a = found
		}
	}
	link := func(k tenant.PageKind, label string) pageLink {
		if t == nil {
			return pageLink{Label: label, Href: "/" + string(k)}
		}
		p, byAuthority := tenant.PageFor(k, t, a)
		switch {
		case p != nil && p.URL != "":
			return pageLink{Label: label, Href: p.URL, External: true}
		case byAuthority:
			return pageLink{Label: label, Href: "/" + t.Slug + "/behoerden/" + a.ID + "/" + string(k)}
		}
		return pageLink{Label: label, Href: "/" + t.Slug + "/" + string(k)}
	}
	return pageLinks{
		Datenschutz:      link(tenant.Datenschutz, "Datenschutz"),
		Barrierefreiheit: link(tenant.Barrierefreiheit, "Barrierefreiheit"),
		Impressum:        link(tenant.Impressum, "Impressum"),
	}
}

// statementView is an Erklärung zur Barrierefreiheit as page.html shows
// it.
type statementView struct {
	Body        string // the public body that makes it
	Scope       string // URL of the online services it covers
	Conformance string // "teilweise vereinbar"
	Problems    []tenant.Problem
	Prepared    string // "30.11.2026"
	PreparedISO string // "2026-11-30"
	Reviewed    string // "" if never
	Method      string // "einer Selbstbewertung"
	Evaluator   string
	Feedback    tenant.Feedback
	FeedbackTel template.URL // tel: URI
	Response    string       // "sechs Wochen"
	Enforcement tenant.Enforcement
	EnforceTel  template.URL // tel: URI
}

func newStatementView(st *tenant.Statement, body, scope string) *statementView {
	v := &statementView{
		Body: body, Scope: scope, Conformance: st.Conformance.Text(), Problems: st.Problems,
		Prepared: germanDate(st.Prepared.Date), PreparedISO: st.Prepared.Date, Reviewed: germanDate(st.Prepared.Reviewed),
		Method: "einer Selbstbewertung", Evaluator: st.Prepared.Evaluator,
		Feedback: st.Feedback, FeedbackTel: telURI(st.Feedback.Phone), Response: weeks(st.Feedback.ResponseWeeks),
		Enforcement: st.Enforcement, EnforceTel: telURI(st.Enforcement.Phone),
	}
	if st.Prepared.Method == tenant.ThirdPartyTesting {
		v.Method = "einer Prüfung durch Dritte"
	}
	return v
}

// germanDate turns "2026-11-30" into "30.11.2026" ("" stays "").
func germanDate(d string) string {
	t, err := time.Parse(tenant.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("02.01.2006")
}

// telURI turns a phone number as written ("+49 30 1234-56") into a tel:
// URI without separators (RFC 3966): "tel:+493012345". html/template
// would refuse the tel: scheme; the URI is safe as it holds only digits
// and a leading "+".
func telURI(phone string) template.URL {
	if phone == "" {
		return ""
	}
	var b strings.Builder
	for i, r := range phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return template.URL("tel:" + b.String())
}

// weeks writes a period of n weeks in a German sentence after
// "innerhalb von": "einer Woche", "sechs Wochen", "14 Wochen".
func weeks(n int) string {
	words := []string{"", "einer Woche", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"}
	switch {
	case n == 1:
		return words[1]
	case n > 1 && n < len(words):
		return words[n] + " Wochen"
	}
	return strconv.Itoa(n) + " Wochen"
}

// infoPages are the installation's own pages, by kind.
var infoPages = map[tenant.PageKind][]string{
	tenant.Datenschutz: {
		"Verantwortlich für die Verarbeitung Ihrer Angaben ist die Behörde, an die Sie Ihren Antrag richten. Sie ist auf der Startseite jedes Online-Dienstes genannt.",
		"Wir verarbeiten nur die Angaben, die für den jeweiligen Antrag nötig sind (Art. 6 Abs. 1 lit. c und e DSGVO in Verbindung mit dem jeweiligen Fachrecht). Ihre Angaben werden verschlüsselt gespeichert und nicht in Protokolldateien geschrieben.",
		"Nicht abgesendete Entwürfe werden nach Ablauf der angegebenen Frist gelöscht. Abgesendete Anträge werden nach Abschluss des Verfahrens gemäß den Aufbewahrungsfristen gelöscht.",
		"Diese Website setzt keine Cookies für Bürgerinnen und Bürger und bindet keine Inhalte Dritter ein. Ihre Rechte auf Auskunft, Berichtigung, Löschung und Beschwerde bei der Datenschutzaufsicht richten sich nach Art. 15 bis 21 und 77 DSGVO.",
	},
	tenant.Barrierefreiheit: {
		"Diese Online-Dienste sollen die Anforderungen der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) und der WCAG 2.1 auf Stufe AA erfüllen. Sie nutzen das Design-System KERN UX und funktionieren ohne JavaScript.",
		"Jede Seite wird automatisch mit axe-core geprüft. Wenn Sie dennoch auf Barrieren stoßen, wenden Sie sich bitte an die auf dem Online-Dienst genannte Behörde; sie antwortet Ihnen innerhalb von sechs Wochen. Bleibt Ihre Meldung ohne Erfolg, können Sie sich an die Schlichtungsstelle nach dem Behindertengleichstellungsrecht Ihres Landes wenden.",
	},
	tenant.Impressum: {
		"Anbieter dieser Online-Dienste ist die Stelle, die diese Installation betreibt. Die für einen Antrag zuständige Behörde ist auf dessen Startseite genannt.",
	},
}
