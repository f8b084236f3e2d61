package tenant

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

// The operator pages every public body's website must offer: the
// Impressum (§ 5 DDG), the Datenschutzerklärung (Art. 13 DSGVO) and the
// Erklärung zur Barrierefreiheit (§ 12b BGG and § 7 BITV 2.0, with the
// model statement in the Annex of Durchführungsbeschluss (EU) 2018/1523,
// or the Land's equivalent). A tenant and each of its authorities may set each page,
// either as a link to the page on their own website or as text kept in
// antrag; an authority's setting wins over its tenant's, the tenant's over
// the installation's own pages.

// PageKind names one of the operator pages. Its value is the page's path
// segment (/impressum, /{tenant}/impressum).
type PageKind string

// Page kinds.
const (
	Impressum        PageKind = "impressum"
	Datenschutz      PageKind = "datenschutz"
	Barrierefreiheit PageKind = "barrierefreiheit"
)

// PageKinds lists the page kinds in the order of the footer.
var PageKinds = []PageKind{Datenschutz, Barrierefreiheit, Impressum}

// Title returns the page's German heading, e.g. "Erklärung zur
// Barrierefreiheit".
func (k PageKind) Title() string {
	switch k {
	case Impressum:
		return "Impressum"
	case Datenschutz:
		return "Datenschutzerklärung"
	case Barrierefreiheit:
		return "Erklärung zur Barrierefreiheit"
	}
	return string(k)
}

// Pages are the operator pages one tenant or authority sets. A nil page is
// not set there: the next level's applies (authority, tenant,
// installation).
type Pages struct {
	Impressum        *Page `json:"impressum,omitempty"`
	Datenschutz      *Page `json:"datenschutz,omitempty"`
	Barrierefreiheit *Page `json:"barrierefreiheit,omitempty"`
}

// Get returns the page of kind k, nil if not set (or p is nil).
func (p *Pages) Get(k PageKind) *Page {
	if p == nil {
		return nil
	}
	switch k {
	case Impressum:
		return p.Impressum
	case Datenschutz:
		return p.Datenschutz
	case Barrierefreiheit:
		return p.Barrierefreiheit
	}
	return nil
}

// Empty reports whether no page is set.
func (p *Pages) Empty() bool {
	return p == nil || p.Impressum == nil && p.Datenschutz == nil && p.Barrierefreiheit == nil
}

// Validate checks every page that is set (see Page.Validate). Errors name
// the page and wrap apperr.Invalid.
func (p *Pages) Validate() error {
	if p == nil {
		return nil
	}
	for _, k := range []PageKind{Impressum, Datenschutz, Barrierefreiheit} {
		if pg := p.Get(k); pg != nil {
			if err := pg.Validate(k); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

// Page is one operator page: either URL, the page on the body's own
// website, or text kept in antrag. Text is plain: paragraphs, optionally
// in sections with a heading; it is always shown escaped, never as HTML.
// The Erklärung zur Barrierefreiheit is kept as a Statement instead of
// text.
type Page struct {
	// URL is an absolute https URL, e.g.
	// "https://www.musterstadt.de/impressum".
	URL        string    `json:"url,omitempty"`
	Paragraphs []string  `json:"paragraphs,omitempty"`
	Sections   []Section `json:"sections,omitempty"`
	// Statement is the Erklärung zur Barrierefreiheit (only for the page
	// kind Barrierefreiheit).
	Statement *Statement `json:"statement,omitempty"`
}

// Section is a part of a page's text with a heading.
type Section struct {
	Heading    string   `json:"heading"`
	Paragraphs []string `json:"paragraphs"`
}

// Validate checks a page of kind k: it has either a URL (absolute https)
// or its content, not both; the content of Impressum and Datenschutz is
// text (non-empty paragraphs, sections with a heading and paragraphs), of
// Barrierefreiheit a complete Statement. Errors are German, say what is
// missing, and wrap apperr.Invalid.
func (p *Page) Validate(k PageKind) error {
	hasText := len(p.Paragraphs) > 0 || len(p.Sections) > 0
	hasContent := hasText || p.Statement != nil
	switch {
	case p.URL != "" && hasContent:
		return invalid("entweder eine Adresse (url) oder Inhalt angeben, nicht beides")
	case p.URL != "":
		return checkURL("url", p.URL)
	case k == Barrierefreiheit && hasText:
		return invalid("die Erklärung zur Barrierefreiheit wird als Erklärung (statement) angegeben, nicht als Text (paragraphs, sections)")
	case k == Barrierefreiheit && p.Statement == nil:
		return invalid("weder Adresse (url) noch Erklärung (statement) angegeben")
	case k == Barrierefreiheit:
		if err := p.Statement.Validate(); err != nil {
			return fmt.Errorf("Erklärung zur Barrierefreiheit: %w", err)
		}
		return nil
	case p.Statement != nil:
		return invalid("eine Erklärung (statement) gibt es nur für die Seite barrierefreiheit")
	case !hasText:
		return invalid("weder Adresse (url) noch Text (paragraphs, sections) angegeben")
	}
	if err := checkParagraphs("paragraphs", p.Paragraphs); err != nil {
		return err
	}
	for i, s := range p.Sections {
		if strings.TrimSpace(s.Heading) == "" {
			return invalid("Abschnitt %d: Überschrift (heading) fehlt", i+1)
		}
		if len(s.Paragraphs) == 0 {
			return invalid("Abschnitt %d (%s): kein Absatz (paragraphs)", i+1, s.Heading)
		}
		if err := checkParagraphs(fmt.Sprintf("Abschnitt %d (%s)", i+1, s.Heading), s.Paragraphs); err != nil {
			return err
		}
	}
	return nil
}

// Conformance is the Stand der Vereinbarkeit mit den Anforderungen
// (Durchführungsbeschluss (EU) 2018/1523, Annex, section 1).
type Conformance string

// Conformance values.
const (
	FullyConformant     Conformance = "vollstaendig"
	PartiallyConformant Conformance = "teilweise"
	NotConformant       Conformance = "nicht"
)

// Text returns the German wording: "vollständig vereinbar", "teilweise
// vereinbar" or "nicht vereinbar".
func (c Conformance) Text() string {
	switch c {
	case FullyConformant:
		return "vollständig vereinbar"
	case PartiallyConformant:
		return "teilweise vereinbar"
	case NotConformant:
		return "nicht vereinbar"
	}
	return string(c)
}

// Method is how the statement's content was evaluated.
type Method string

// Evaluation methods.
const (
	SelfAssessment    Method = "selbstbewertung"
	ThirdPartyTesting Method = "pruefung-durch-dritte"
)

// Statement is an Erklärung zur Barrierefreiheit after the model
// statement of Durchführungsbeschluss (EU) 2018/1523 (Annex), which § 7
// BITV 2.0 prescribes for the content of § 12b BGG: the
// Stand der Vereinbarkeit, the nicht barrierefreien Inhalte, the
// Erstellung der Erklärung, the Feedback-Mechanismus and the
// Schlichtungsverfahren. The name of the public body and the address of
// the online services it covers are those of the tenant or authority that
// sets it.
type Statement struct {
	Conformance Conformance `json:"conformance"`
	// Problems are the nicht barrierefreien Inhalte: at least one unless
	// Conformance is FullyConformant, none if it is.
	Problems    []Problem   `json:"problems,omitempty"`
	Prepared    Preparation `json:"prepared"`
	Feedback    Feedback    `json:"feedback"`
	Enforcement Enforcement `json:"enforcement"`
}

// Problem is one content that is not accessible.
type Problem struct {
	// Content says which content and what the barrier is, e.g. "Die
	// Antragsquittung (PDF) ist kein getaggtes PDF."
	Content string `json:"content"`
	// Reason says why it is not accessible (e.g. "unverhältnismäßige
	// Belastung"), if given.
	Reason string `json:"reason,omitempty"`
	// Alternative names an accessible alternative, if there is one.
	Alternative string `json:"alternative,omitempty"`
}

// Preparation is the Erstellung der Erklärung.
type Preparation struct {
	// Date is when the statement was made, YYYY-MM-DD.
	Date string `json:"date"`
	// Reviewed is when it was last reviewed, YYYY-MM-DD, if it was; not
	// before Date.
	Reviewed string `json:"reviewed,omitempty"`
	Method   Method `json:"method"`
	// Evaluator names who evaluated, e.g. a test centre, if given.
	Evaluator string `json:"evaluator,omitempty"`
}

// Feedback is the Feedback-Mechanismus: how to report barriers, and in
// how many weeks the body answers. It must allow electronic contact
// (§ 12b Abs. 2 Nr. 2 BGG): at least one of Email and FormURL is set;
// Phone is an addition.
type Feedback struct {
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	FormURL string `json:"form_url,omitempty"` // absolute https URL of a contact form
	// ResponseWeeks is the longest time to an answer, 1 to 26 weeks.
	ResponseWeeks int `json:"response_weeks"`
}

// Enforcement is the Schlichtungsverfahren: the Schlichtungsstelle nach
// § 16 BGG for bodies of the Bund, or the Land's equivalent. Name and
// one of Address and URL are required.
type Enforcement struct {
	Name    string   `json:"name"`
	Address []string `json:"address,omitempty"` // postal address lines
	URL     string   `json:"url,omitempty"`     // absolute https URL
	Email   string   `json:"email,omitempty"`
	Phone   string   `json:"phone,omitempty"`
}

// Validate checks that every required part of the statement is there and
// well-formed: a known conformance with problems listed exactly when it
// is not full, the date (YYYY-MM-DD) and method of the evaluation, an
// electronic feedback contact and response period, and the Schlichtungsstelle's name
// with an address or link. Errors are German, name the part, and wrap
// apperr.Invalid.
func (s *Statement) Validate() error {
	switch s.Conformance {
	case FullyConformant:
		if len(s.Problems) > 0 {
			return invalid("Stand der Vereinbarkeit: vollständig vereinbar, aber nicht barrierefreie Inhalte (problems) aufgeführt; conformance \"teilweise\" angeben")
		}
	case PartiallyConformant, NotConformant:
		if len(s.Problems) == 0 {
			return invalid("nicht barrierefreie Inhalte (problems) fehlen: bei conformance %q mindestens einen aufführen", s.Conformance)
		}
	case "":
		return invalid("Stand der Vereinbarkeit (conformance) fehlt: vollstaendig, teilweise oder nicht")
	default:
		return invalid("Stand der Vereinbarkeit (conformance) %q: vollstaendig, teilweise oder nicht", s.Conformance)
	}
	for i, p := range s.Problems {
		if strings.TrimSpace(p.Content) == "" {
			return invalid("nicht barrierefreier Inhalt %d: Beschreibung (content) fehlt", i+1)
		}
	}
	if err := s.Prepared.validate(); err != nil {
		return err
	}
	if err := s.Feedback.validate(); err != nil {
		return err
	}
	return s.Enforcement.validate()
}

// DateLayout is the layout of the statement's dates (YYYY-MM-DD).
const DateLayout = time.DateOnly

func (p *Preparation) validate() error {
	if p.Date == "" {
		return invalid("Erstellung der Erklärung: Datum (prepared.date) fehlt, z. B. 2026-11-30")
	}
	made, err := time.Parse(DateLayout, p.Date)
	if err != nil {
		return invalid("Erstellung der Erklärung: Datum (prepared.date) %q ist kein Datum der Form JJJJ-MM-TT", p.Date)
	}
	if p.Reviewed != "" {
		rev, err := time.Parse(DateLayout, p.Reviewed)
		if err != nil {
			return invalid("Erstellung der Erklärung: Datum der Überprüfung (prepared.reviewed) %q ist kein Datum der Form JJJJ-MM-TT", p.Reviewed)
		}
		if rev.Before(made) {
			return invalid("Erstellung der Erklärung: überprüft (%s) vor der Erstellung (%s)", p.Reviewed, p.Date)
		}
	}
	switch p.Method {
	case SelfAssessment, ThirdPartyTesting:
	case "":
		return invalid("Erstellung der Erklärung: Methode der Bewertung (prepared.method) fehlt: selbstbewertung oder pruefung-durch-dritte")
	default:
		return invalid("Erstellung der Erklärung: Methode der Bewertung (prepared.method) %q: selbstbewertung oder pruefung-durch-dritte", p.Method)
	}
	return nil
}

func (f *Feedback) validate() error {
	if f.Email == "" && f.FormURL == "" {
		return invalid("Feedback-Mechanismus: kein elektronischer Kontakt angegeben (feedback.email oder feedback.form_url; feedback.phone nur zusätzlich)")
	}
	if f.Email != "" {
		if err := checkEmail("feedback.email", f.Email); err != nil {
			return err
		}
	}
	if f.Phone != "" {
		if err := checkPhone("feedback.phone", f.Phone); err != nil {
			return err
		}
	}
	if f.FormURL != "" {
		if err := checkURL("feedback.form_url", f.FormURL); err != nil {
			return err
		}
	}
	if f.ResponseWeeks < 1 || f.ResponseWeeks > 26 {
		return invalid("Feedback-Mechanismus: Antwortfrist in Wochen (feedback.response_weeks) fehlt oder ist nicht 1 bis 26")
	}
	return nil
}

func (e *Enforcement) validate() error {
	if strings.TrimSpace(e.Name) == "" {
		return invalid("Schlichtungsverfahren: Name der Schlichtungsstelle (enforcement.name) fehlt")
	}
	if len(e.Address) == 0 && e.URL == "" {
		return invalid("Schlichtungsverfahren: Anschrift (enforcement.address) oder Internetadresse (enforcement.url) der Schlichtungsstelle fehlt")
	}
	if err := checkParagraphs("enforcement.address", e.Address); err != nil {
		return err
	}
	if e.URL != "" {
		if err := checkURL("enforcement.url", e.URL); err != nil {
			return err
		}
	}
	if e.Email != "" {
		if err := checkEmail("enforcement.email", e.Email); err != nil {
			return err
		}
	}
	if e.Phone != "" {
		return checkPhone("enforcement.phone", e.Phone)
	}
	return nil
}

// PageFor returns the page of kind k that applies on pages of tenant t
// shown for authority a (nil: none): a's own if set, else t's; nil if
// neither sets it (the installation's page applies). byAuthority reports
// whether a's page was taken.
func PageFor(k PageKind, t *Tenant, a *Authority) (p *Page, byAuthority bool) {
	if a != nil && (t == nil || a.TenantID == t.ID) {
		if p := a.Pages.Get(k); p != nil {
			return p, true
		}
	}
	if t != nil {
		return t.Pages.Get(k), false
	}
	return nil, false
}

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ()/-]{3,30}[0-9]$`)

func checkPhone(field, v string) error {
	if !phoneRE.MatchString(v) {
		return invalid("%s %q ist keine Telefonnummer (Ziffern, Leerzeichen, + ( ) / -)", field, v)
	}
	return nil
}

func checkEmail(field, v string) error {
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return invalid("%s %q ist keine E-Mail-Adresse", field, v)
	}
	return nil
}

// checkURL accepts an absolute https URL with a host and no user
// information.
func checkURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(v, " \t\r\n") {
		return invalid("%s %q ist keine Adresse der Form https://…", field, v)
	}
	return nil
}

func checkParagraphs(field string, ps []string) error {
	for i, p := range ps {
		if strings.TrimSpace(p) == "" {
			return invalid("%s: Absatz %d ist leer", field, i+1)
		}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), apperr.Invalid)
}
