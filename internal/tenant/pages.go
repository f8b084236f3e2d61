package tenant

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/localtime"
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
// the page and wrap apperr.Invalid. It does not compare dates with the
// clock; ValidateOn does.
func (p *Pages) Validate() error {
	return p.validate("")
}

// ValidateOn checks p as Validate does and, in addition, that no date of
// an Erklärung zur Barrierefreiheit (prepared.date, prepared.reviewed) is
// after today's calendar day in Europe/Berlin (localtime.Berlin). Errors
// name the page and the field and wrap apperr.Invalid.
func (p *Pages) ValidateOn(today time.Time) error {
	return p.validate(today.In(localtime.Berlin).Format(DateLayout))
}

// validate checks p; today (YYYY-MM-DD) is the latest date allowed, ""
// for no limit.
func (p *Pages) validate(today string) error {
	if p == nil {
		return nil
	}
	for _, k := range []PageKind{Impressum, Datenschutz, Barrierefreiheit} {
		if pg := p.Get(k); pg != nil {
			if err := pg.validate(k, today); err != nil {
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
// Barrierefreiheit a complete Statement. No text field holds a control
// character (see checkChars). Errors are German, say what is missing or
// name the field by its JSON path (e.g. sections[0].heading), and wrap
// apperr.Invalid.
func (p *Page) Validate(k PageKind) error {
	return p.validate(k, "")
}

func (p *Page) validate(k PageKind, today string) error {
	if err := p.checkChars(); err != nil {
		return err
	}
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
		if err := p.Statement.validate(today); err != nil {
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

// checkChars checks the page's own text fields (the statement checks its
// own): paragraphs may hold tabs and line breaks, URL and headings are
// one line.
func (p *Page) checkChars() error {
	if err := checkChars("url", p.URL, false); err != nil {
		return err
	}
	if err := checkAllChars("paragraphs", p.Paragraphs, true); err != nil {
		return err
	}
	for i, s := range p.Sections {
		if err := checkChars(fmt.Sprintf("sections[%d].heading", i), s.Heading, false); err != nil {
			return err
		}
		if err := checkAllChars(fmt.Sprintf("sections[%d].paragraphs", i), s.Paragraphs, true); err != nil {
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
// with an address or link; no field holds a control character. Errors are
// German, name the part, and wrap apperr.Invalid.
func (s *Statement) Validate() error {
	return s.validate("")
}

// validate checks s; today (YYYY-MM-DD) is the latest date allowed, ""
// for no limit.
func (s *Statement) validate(today string) error {
	if err := s.checkChars(); err != nil {
		return err
	}
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
	if err := s.Prepared.validate(today); err != nil {
		return err
	}
	if err := s.Feedback.validate(); err != nil {
		return err
	}
	return s.Enforcement.validate()
}

// checkChars checks every text field of the statement: the descriptions
// of problems may hold tabs and line breaks, all other fields are one
// line.
func (s *Statement) checkChars() error {
	one := []struct{ path, v string }{
		{"conformance", string(s.Conformance)},
		{"prepared.date", s.Prepared.Date},
		{"prepared.reviewed", s.Prepared.Reviewed},
		{"prepared.method", string(s.Prepared.Method)},
		{"prepared.evaluator", s.Prepared.Evaluator},
		{"feedback.email", s.Feedback.Email},
		{"feedback.phone", s.Feedback.Phone},
		{"feedback.form_url", s.Feedback.FormURL},
		{"enforcement.name", s.Enforcement.Name},
		{"enforcement.url", s.Enforcement.URL},
		{"enforcement.email", s.Enforcement.Email},
		{"enforcement.phone", s.Enforcement.Phone},
	}
	for i, p := range s.Problems {
		for _, f := range []struct{ name, v string }{{"content", p.Content}, {"reason", p.Reason}, {"alternative", p.Alternative}} {
			if err := checkChars(fmt.Sprintf("problems[%d].%s", i, f.name), f.v, true); err != nil {
				return err
			}
		}
	}
	for _, f := range one {
		if err := checkChars(f.path, f.v, false); err != nil {
			return err
		}
	}
	return checkAllChars("enforcement.address", s.Enforcement.Address, false)
}

// DateLayout is the layout of the statement's dates (YYYY-MM-DD).
const DateLayout = time.DateOnly

// validate checks the preparation; today (YYYY-MM-DD) is the latest date
// allowed, "" for no limit.
func (p *Preparation) validate(today string) error {
	if p.Date == "" {
		return invalid("Erstellung der Erklärung: Datum (prepared.date) fehlt, z. B. 2026-11-30")
	}
	made, err := parseDate("Erstellung der Erklärung: Datum (prepared.date)", p.Date, today)
	if err != nil {
		return err
	}
	if p.Reviewed != "" {
		rev, err := parseDate("Erstellung der Erklärung: Datum der Überprüfung (prepared.reviewed)", p.Reviewed, today)
		if err != nil {
			return err
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

// dateRE is the exact shape of a date; time.Parse then checks that it is
// a day of the calendar (no 2026-02-30).
var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// parseDate parses v, a date of the form YYYY-MM-DD that is a day of the
// calendar and, if today (YYYY-MM-DD) is not empty, not after today. what
// names the field in errors.
func parseDate(what, v, today string) (time.Time, error) {
	d, err := time.Parse(DateLayout, v)
	if err != nil || !dateRE.MatchString(v) {
		return time.Time{}, invalid("%s %q ist kein Datum der Form JJJJ-MM-TT", what, v)
	}
	if today != "" && v > today { // same layout: the strings order as the dates
		return time.Time{}, invalid("%s %s liegt in der Zukunft (heute ist der %s)", what, v, today)
	}
	return d, nil
}

// checkChars refuses a control character in the text field at path (its
// JSON path, e.g. "problems[0].content"): U+0000 to U+001F, U+007F to
// U+009F and the noncharacters U+FFFE and U+FFFF (and their like at the
// end of every plane). Where multiline, tab and line feed are allowed.
// The position counts characters from 1.
func checkChars(path, v string, multiline bool) error {
	pos := 0
	for _, r := range v {
		pos++
		switch {
		case multiline && (r == '\t' || r == '\n'):
		case r == '\n' || r == '\t':
			return invalid("%s: Zeichen %d ist ein Zeilenumbruch oder Tabulator (U+%04X); hier ist nur eine Zeile erlaubt", path, pos, r)
		case r <= 0x1F || 0x7F <= r && r <= 0x9F:
			return invalid("%s: Zeichen %d ist das Steuerzeichen U+%04X; Steuerzeichen sind nicht erlaubt", path, pos, r)
		case r&0xFFFE == 0xFFFE:
			return invalid("%s: Zeichen %d ist das Nichtzeichen U+%04X; es ist nicht erlaubt", path, pos, r)
		}
	}
	return nil
}

// checkAllChars checks each of vs as checkChars does; path names the list,
// the element's index is added (path[i]).
func checkAllChars(path string, vs []string, multiline bool) error {
	for i, v := range vs {
		if err := checkChars(fmt.Sprintf("%s[%d]", path, i), v, multiline); err != nil {
			return err
		}
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
