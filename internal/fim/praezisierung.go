package fim

import (
	"encoding/json"
	"math/big"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// praezisierung reads the restrictions of a Datenfeld: in XDatenfelder 3
// the attributes of praezisierung plus the elements maxSize and mediaType;
// in 1 and 2 a JSON string in praezisierung.
func (m *mapper) praezisierung(n *node, e *form.Element) error {
	p := n.child("praezisierung")
	raw := map[string]string{}
	if p != nil {
		for _, k := range []string{"minLength", "maxLength", "minValue", "maxValue", "pattern"} {
			if v := p.attr(k); v != "" {
				raw[k] = v
			}
		}
		if t := p.value(); t != "" {
			m.praezisierungText(p, e, t, raw)
		}
	}
	pr := &e.Praezisierung
	line := n.line
	if p != nil {
		line = p.line
	}
	length := func(k string) *int {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			m.report.warn(WarnPraezisierung, line, "%s: %s %q ist keine Länge; ignoriert", e.ID, k, v)
			return nil
		}
		return &i
	}
	pr.MinLength, pr.MaxLength = length("minLength"), length("maxLength")
	if pr.MinLength != nil && pr.MaxLength != nil && *pr.MinLength > *pr.MaxLength {
		return errAt(p, "Datenfeld %s: minLength %d ist größer als maxLength %d; kein Wert könnte gültig sein", e.ID, *pr.MinLength, *pr.MaxLength)
	}
	for _, k := range []string{"minValue", "maxValue"} {
		v, ok := raw[k]
		if !ok {
			continue
		}
		if !valueFits(e.Datentyp, v) {
			m.report.warn(WarnPraezisierung, line, "%s: %s %q passt nicht zum datentyp %s; ignoriert", e.ID, k, v, e.Datentyp)
			continue
		}
		if k == "minValue" {
			pr.MinValue = v
		} else {
			pr.MaxValue = v
		}
	}
	if lo, hi := pr.MinValue, pr.MaxValue; lo != "" && hi != "" && compareValues(e.Datentyp, lo, hi) > 0 {
		return errAt(p, "Datenfeld %s: minValue %s ist größer als maxValue %s; kein Wert könnte gültig sein", e.ID, lo, hi)
	}
	if pat, ok := raw["pattern"]; ok {
		m.pattern(line, e, pat)
	}
	if s := n.child("maxSize"); s != nil {
		v := s.value()
		size, err := strconv.ParseInt(v, 10, 64)
		if err != nil || size <= 0 {
			m.report.warn(WarnPraezisierung, s.line, "%s: maxSize %q ist keine Dateigröße in Bytes; ignoriert", e.ID, v)
		} else {
			pr.MaxSize = size
		}
	}
	for _, mt := range n.children("mediaType") {
		if v := mt.value(); v != "" {
			pr.MediaTypes = append(pr.MediaTypes, strings.ToLower(v))
		}
	}
	if (pr.MaxSize > 0 || len(pr.MediaTypes) > 0) && !e.Datentyp.Attachment() {
		m.report.warn(WarnPraezisierung, line, "%s: maxSize oder mediaType bei datentyp %s gelten nur für Dateien; ignoriert", e.ID, e.Datentyp)
		pr.MaxSize, pr.MediaTypes = 0, nil
	}
	return nil
}

// rangeRE matches the range notation "1..31" seen in XDatenfelder 2 exports.
var rangeRE = regexp.MustCompile(`^(-?[0-9]+)\s*\.\.\s*(-?[0-9]+)$`)

// praezisierungText reads the text form of praezisierung (XDatenfelder 1
// and 2): a JSON object with the keys minLength, maxLength, minValue,
// maxValue, pattern (and, for files, mediaType and maxSize), values as
// strings or numbers. Two other forms occur in real exports and are read by
// a documented rule, with a warning: "a..b" on a number field is minValue a
// and maxValue b. Anything else is reported and ignored.
func (m *mapper) praezisierungText(p *node, e *form.Element, t string, raw map[string]string) {
	if strings.HasPrefix(t, "{") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(t), &obj); err != nil {
			m.report.warn(WarnPraezisierung, p.line, "%s: praezisierung %q ist kein gültiges JSON; ignoriert", e.ID, t)
			return
		}
		for k, v := range obj {
			var s string
			switch v := v.(type) {
			case string:
				s = strings.TrimSpace(v)
			case float64:
				s = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				m.report.warn(WarnPraezisierung, p.line, "%s: praezisierung %s=%v ist kein Text und keine Zahl; ignoriert", e.ID, k, v)
				continue
			}
			switch k {
			case "minLength", "maxLength", "minValue", "maxValue", "pattern":
				raw[k] = s
			default:
				m.report.warn(WarnPraezisierung, p.line, "%s: praezisierung %s=%q ist unbekannt; ignoriert", e.ID, k, s)
			}
		}
		return
	}
	if sm := rangeRE.FindStringSubmatch(t); sm != nil && e.Datentyp.Numeric() {
		raw["minValue"], raw["maxValue"] = sm[1], sm[2]
		m.report.warn(WarnPraezisierung, p.line, "%s: praezisierung %q als Wertebereich %s bis %s gelesen", e.ID, t, sm[1], sm[2])
		return
	}
	m.report.warn(WarnPraezisierung, p.line, "%s: praezisierung %q ist keine Präzisierung im Format von XDatenfelder; ignoriert", e.ID, t)
}

// pattern sets the field's pattern unless it cannot serve as one: a pattern
// that is plain text (editors have written "Mehrfachauswahl" or "Codeliste
// Regionalschlüssel" into it) would make every other value invalid, and one
// that Go's RE2 cannot compile cannot be checked.
func (m *mapper) pattern(line int, e *form.Element, pat string) {
	if re, err := syntax.Parse(pat, syntax.Perl); err == nil && re.Simplify().Op == syntax.OpLiteral && strings.ContainsFunc(pat, isLetterOrSpace) {
		m.report.warn(WarnPattern, line, "%s: pattern %q ist Text, kein regulärer Ausdruck; nicht als Prüfung verwendet", e.ID, pat)
		return
	}
	if err := e.Praezisierung.SetPattern(pat); err != nil {
		m.report.warn(WarnPattern, line, "%s: pattern %q ist als regulärer Ausdruck nicht verwendbar (%v); nicht als Prüfung verwendet", e.ID, pat, err)
	}
}

func isLetterOrSpace(r rune) bool {
	return r == ' ' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r > 0x7F
}

// valueFits reports whether a minValue or maxValue can be read for the
// datentyp: a decimal number for number types, a date for date.
func valueFits(d form.Datentyp, v string) bool {
	if d == form.DatentypDate {
		_, ok := form.ParseDate(v)
		return ok
	}
	if !d.Numeric() {
		return false
	}
	_, ok := new(big.Rat).SetString(v)
	return ok && !strings.Contains(v, "/")
}

func compareValues(d form.Datentyp, a, b string) int {
	if d == form.DatentypDate {
		return strings.Compare(a, b)
	}
	x, _ := new(big.Rat).SetString(a)
	y, _ := new(big.Rat).SetString(b)
	return x.Cmp(y)
}
