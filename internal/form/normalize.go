package form

import (
	"encoding/json"
	"math/big"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalisation turns what a citizen typed, or an integrator sent, into the
// canonical value antrag stores and delivers. Both channels (the HTML
// journey and the JSON API) call it before validating, so that they accept
// exactly the same data:
//
//   - text must be valid UTF-8 (invalid bytes are refused, never replaced);
//   - surrounding white space is removed; in a single-line field every run
//     of spaces, tabs, line breaks and no-break spaces inside becomes one
//     space; a multi-line field (see Element.Multiline) keeps its line
//     breaks, written as "\n";
//   - a German postcode (see Element.GermanPostcode) loses inner spaces and
//     a leading country mark: "99 084" and "D-99084" become "99084";
//   - a code of a list whose codes differ in more than upper and lower case
//     is taken in any case and stored as the list writes it ("de" → "DE");
//   - a text that is empty after this is no value: an optional field
//     without it is absent, as an empty input in the HTML form.
//
// Control characters that XML 1.0 cannot carry are not removed: Validate
// refuses them (CodeControl), naming the field.

// MultilineFrom is the maxLength above which a text Datenfeld is
// multi-line (a textarea in the HTML journey).
const MultilineFrom = 200

// Multiline reports whether the text field e takes several lines: its
// maxLength is above MultilineFrom.
func (e *Element) Multiline() bool {
	ml := e.Praezisierung.MaxLength
	return ml != nil && *ml > MultilineFrom && !e.HasCodes()
}

// InputError says why a typed value has no canonical form: Code is one of
// the Code* constants, Message German and names the field.
type InputError struct {
	Code    string
	Message string
}

// NormalizeString returns the canonical form of the text s entered for the
// Datenfeld e (text, a code, a postcode, an e-mail address, …) in the
// Datenfeldgruppe parent (nil at the top level), or an InputError when s is
// not valid UTF-8. The result may be "": no value.
func NormalizeString(e, parent *Element, s string) (string, *InputError) {
	if !utf8.ValidString(s) {
		return "", &InputError{Code: CodeEncoding, Message: msgEncoding(e)}
	}
	if e.Multiline() {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
		s = strings.TrimFunc(s, isBlank)
	} else {
		s = collapseBlanks(s)
	}
	if s == "" {
		return "", nil
	}
	switch {
	case e.HasCodes():
		s = canonicalCode(e.Codes(), s)
	case e.GermanPostcode(parent):
		s = canonicalPostcode(s)
	}
	return s, nil
}

// isBlank reports the white space that normalisation removes or collapses:
// Unicode white space except vertical tab and form feed, which XML 1.0
// cannot carry and Validate refuses.
func isBlank(r rune) bool { return unicode.IsSpace(r) && r != '\v' && r != '\f' }

// collapseBlanks trims s and writes each inner run of blanks as one space.
func collapseBlanks(s string) string {
	if !needsCollapse(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if isBlank(r) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needsCollapse reports whether s has a blank at either end, a blank
// other than a space, or two blanks in a row.
func needsCollapse(s string) bool {
	prevBlank := true // a blank at the start
	for _, r := range s {
		if !isBlank(r) {
			prevBlank = false
			continue
		}
		if r != ' ' || prevBlank {
			return true
		}
		prevBlank = true
	}
	return prevBlank && s != "" // a blank at the end
}

// canonicalCode returns the list's spelling of s: s itself when it is a
// code, else the one code equal to s ignoring case, when the list's codes
// are distinct ignoring case; otherwise s unchanged (Validate refuses it).
func canonicalCode(codes []Wert, s string) string {
	var match string
	folded := make(map[string]bool, len(codes))
	for _, w := range codes {
		if w.Code == s {
			return s
		}
		k := strings.ToLower(w.Code)
		if folded[k] {
			return s // the list tells codes apart by case alone
		}
		folded[k] = true
		if strings.EqualFold(w.Code, s) {
			match = w.Code
		}
	}
	if match != "" {
		return match
	}
	return s
}

// canonicalPostcode writes a German postcode as its five digits when s is
// one with inner spaces or a leading "D-", "D " or "DE-"; anything else is
// returned unchanged (Validate judges it).
func canonicalPostcode(s string) string {
	t := s
	upper := strings.ToUpper(t)
	for _, prefix := range []string{"DE-", "DE ", "D-", "D "} {
		if strings.HasPrefix(upper, prefix) {
			t = t[len(prefix):]
			break
		}
	}
	t = strings.ReplaceAll(t, " ", "")
	if len(t) != 5 {
		return s
	}
	for i := range len(t) {
		if t[i] < '0' || t[i] > '9' {
			return s
		}
	}
	return t
}

// GermanPostcode reports whether the text field e holds a German postcode
// (Postleitzahl of an address in Germany), judged from the schema as FIM
// Baukasten fields are built: the field's name or label begins with
// "Postleitzahl" or is "PLZ", nothing in its name, label or Datenfeldgruppe
// speaks of a foreign address ("Ausland", "ausländisch"), and the field
// demands five characters: a pattern that takes "99084" and not "9908",
// minLength and maxLength 5, or, without either, a Datenfeldgruppe for an
// address in Germany (name with "Inland"). parent is the Datenfeldgruppe
// holding e, nil at the top level.
func (e *Element) GermanPostcode(parent *Element) bool {
	if e.Kind != KindField || e.HasCodes() || (e.Datentyp != DatentypText && e.Datentyp != DatentypTextLatin) {
		return false
	}
	named := func(s string) bool {
		s = strings.TrimSpace(s)
		return hasPrefixFold(s, "postleitzahl") || hasPrefixFold(s, "plz ") || (len(s) == 3 && hasPrefixFold(s, "plz"))
	}
	if !named(e.Name) && !named(e.Label()) {
		return false
	}
	foreign := func(s string) bool {
		l := strings.ToLower(s)
		return strings.Contains(l, "ausland") || strings.Contains(l, "ausländ")
	}
	parentName := ""
	if parent != nil {
		parentName = parent.Name + " " + parent.Label()
	}
	if foreign(e.Name) || foreign(e.Label()) || foreign(parentName) {
		return false
	}
	pr := &e.Praezisierung
	if re := pr.Regexp(); re != nil {
		return re.MatchString("99084") && !re.MatchString("9908") && !re.MatchString("990841")
	}
	if pr.MinLength != nil && pr.MaxLength != nil {
		return *pr.MinLength == 5 && *pr.MaxLength == 5
	}
	return strings.Contains(strings.ToLower(parentName), "inland")
}

// EmailAddress reports whether the text field e holds an e-mail address
// and has no pattern of its own: its name or label, without hyphens,
// spaces and a remark in parentheses, is "email", "mail" or
// "emailadresse" in any case ("E-Mail", "E-Mail-Adresse (privat)").
func (e *Element) EmailAddress() bool {
	if e.Kind != KindField || e.HasCodes() || e.Praezisierung.Regexp() != nil ||
		(e.Datentyp != DatentypText && e.Datentyp != DatentypTextLatin) {
		return false
	}
	is := func(s string) bool {
		s, _, _ = strings.Cut(s, "(") // "E-Mail (geschäftlich)"
		return squeezedIs(s, "email") || squeezedIs(s, "mail") || squeezedIs(s, "emailadresse")
	}
	return is(e.Name) || is(e.Label())
}

// hasPrefixFold reports whether s begins with the lower-case ASCII word
// prefix, in any case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// squeezedIs reports whether s, in lower case and without what separates
// the words of a name ("E-Mail", "E Mail", "e_mail": "-", " ", "_"), is
// the lower-case ASCII word w.
func squeezedIs(s, w string) bool {
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ' ' || c == '_' {
			continue
		}
		if j == len(w) || lowerASCII(c) != w[j] {
			return false
		}
		j++
	}
	return j == len(w)
}

// lowerASCII is c in lower case if it is an ASCII letter, else c.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ValidEmail reports whether s is a plain e-mail address "local@domain"
// (RFC 5322 addr-spec, parsed by net/mail) with a domain of at least two
// labels: no display name ("Max <a@b.de>"), no angle brackets, no comments.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[") &&
		!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// Normalize rewrites the data document doc in place into its canonical
// form: every string value of a Datenfeld the schema knows is replaced by
// NormalizeString's result, and a value that becomes "" is removed (from a
// repeated field's list, the entry). It returns the problems of values it
// could not read (invalid UTF-8), at their paths; those values are left
// unchanged. Keys the schema does not know are left for Validate.
func (s *Schema) Normalize(doc map[string]any) Problems {
	var ps Problems
	normalizeObject(nil, nil, s.Struktur, doc, &ps)
	return ps
}

func normalizeObject(p Path, parent *Element, children []Child, obj map[string]any, ps *Problems) {
	for i := range children {
		c := &children[i]
		e := c.Element
		val, ok := obj[e.ID]
		if !ok || !e.CarriesData() {
			continue
		}
		cp := p.Key(e.ID)
		if !c.Anzahl.Repeats() {
			v, keep := normalizeValue(cp, parent, e, val, ps)
			// An optional group without any value is absent, as a group
			// left empty in the forms is.
			if keep && e.Kind == KindGroup && !c.Anzahl.Required() && emptyValue(v) {
				keep = false
			}
			if keep {
				obj[e.ID] = v
			} else {
				delete(obj, e.ID)
			}
			continue
		}
		arr, ok := val.([]any)
		if !ok {
			continue
		}
		out := arr[:0]
		for j, item := range arr {
			if v, keep := normalizeValue(cp.Index(j), parent, e, item, ps); keep {
				out = append(out, v)
			}
		}
		if len(out) == 0 && len(arr) > 0 {
			delete(obj, e.ID)
			continue
		}
		obj[e.ID] = out
	}
}

// normalizeValue returns the canonical form of one value and whether it
// stays in the document.
func normalizeValue(p Path, parent, e *Element, val any, ps *Problems) (any, bool) {
	if e.Kind == KindGroup {
		if m, ok := val.(map[string]any); ok {
			normalizeObject(p, e, e.Struktur, m, ps)
		}
		return val, true
	}
	if n, isNum := val.(json.Number); isNum && e.Datentyp.Numeric() && !e.HasCodes() {
		if c, ok := CanonicalNumber(n); ok {
			return c, true
		}
		return val, true // Validate reports it
	}
	s, ok := val.(string)
	if !ok {
		return val, true
	}
	switch {
	case e.HasCodes(), e.Datentyp == DatentypText, e.Datentyp == DatentypTextLatin:
	default:
		// Dates, times and numbers have one spelling in JSON; only the
		// encoding is checked, and surrounding blanks dropped.
		if !utf8.ValidString(s) {
			*ps = append(*ps, Problem{Path: p.String(), Code: CodeEncoding, Message: msgEncoding(e)})
			return val, true
		}
		s = strings.TrimFunc(s, isBlank)
		return s, s != ""
	}
	n, ierr := NormalizeString(e, parent, s)
	if ierr != nil {
		*ps = append(*ps, Problem{Path: p.String(), Code: ierr.Code, Message: ierr.Message})
		return val, true
	}
	return n, n != ""
}

// emptyValue reports whether v holds no value at all: an object or list
// whose members are all empty objects or lists.
func emptyValue(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, m := range x {
			if !emptyValue(m) {
				return false
			}
		}
		return true
	case []any:
		for _, m := range x {
			if !emptyValue(m) {
				return false
			}
		}
		return true
	}
	return false
}

// MaxDigits is the most digits a number may have (integer and fraction
// part together, without leading zeros): what an IEEE 754 double, as
// JavaScript and most JSON readers hold numbers, carries exactly (15
// significant decimal digits, IEEE 754-2019 section 3.6, DBL_DIG).
const MaxDigits = 15

// CanonicalNumber returns the one spelling antrag stores for the JSON
// number n: a plain decimal without exponent, without a plus sign,
// leading or trailing zeros ("1E2" → 100, "1.50" → 1.5, "-0" → 0). It
// reports false for a number that is not a finite decimal or has more
// than 400 digits written out.
func CanonicalNumber(n json.Number) (json.Number, bool) {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return n, false
	}
	return canonicalRat(r)
}

func canonicalRat(r *big.Rat) (json.Number, bool) {
	if r.IsInt() {
		if r.Num().BitLen() > 1400 { // more than ~420 digits
			return "", false
		}
		return json.Number(r.Num().String()), true
	}
	// A decimal read from JSON has a denominator of 2^a·5^b: find the
	// fraction digits that write it exactly.
	ten := big.NewInt(10)
	scaled := new(big.Rat).Set(r)
	for d := 1; d <= 400; d++ {
		scaled.Mul(scaled, new(big.Rat).SetInt(ten))
		if scaled.IsInt() {
			return json.Number(r.FloatString(d)), true
		}
	}
	return "", false
}

// digits counts the digits of a canonical number as written out: the
// integer part without leading zeros, and the fraction part (0.0012 has
// 4, 1200 has 4).
func digits(n json.Number) int {
	i, f, _ := strings.Cut(strings.TrimPrefix(string(n), "-"), ".")
	return len(strings.TrimLeft(i, "0")) + len(f)
}

// controlChar returns the first character of s that XML 1.0 (section 2.2,
// production Char) cannot carry, or that a single-line field must not
// hold: U+0000–U+001F except tab, line feed (multi-line fields only) and
// U+FFFE, U+FFFF. Carriage returns are never canonical (normalised to
// line feeds). Surrogates cannot occur in valid UTF-8; invalid UTF-8 is
// checked before.
func controlChar(s string, multiline bool) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n':
			if !multiline {
				return r, true
			}
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return r, true
		}
	}
	return 0, false
}

// ParentOf returns the Datenfeldgruppe that holds the element at the key
// path p (indexes are ignored), or nil at the top level or for a path the
// schema does not know.
func (s *Schema) ParentOf(p Path) *Element {
	var parent *Element
	cs := s.Struktur
	var keys []string
	for _, seg := range p {
		if seg.Key != "" {
			keys = append(keys, seg.Key)
		}
	}
	for i, k := range keys {
		var next *Element
		for j := range cs {
			if cs[j].Element.ID == k {
				next = cs[j].Element
				break
			}
		}
		if next == nil {
			return nil
		}
		if i == len(keys)-1 {
			return parent
		}
		parent, cs = next, next.Struktur
	}
	return nil
}
