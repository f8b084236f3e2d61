package form

import (
	"encoding/json"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Problem is one field-level validation error.
type Problem struct {
	Path    string `json:"path"`    // Path.String() of the value, e.g. "G1[0].F2"
	Code    string `json:"code"`    // one of the Code* constants
	Message string `json:"message"` // plain German, names the field by its label
}

// Problems is the result of a validation, in document order. It implements
// error so that a caller can return it; an empty Problems is no error.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Path)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// Merge returns ps followed by those of more whose path has no problem in
// ps: one problem per value, the first found.
func (ps Problems) Merge(more Problems) Problems {
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		seen[p.Path] = true
	}
	for _, p := range more {
		if !seen[p.Path] {
			seen[p.Path] = true
			ps = append(ps, p)
		}
	}
	return ps
}

// Problem codes.
const (
	CodeRequired  = "required"  // a required value is missing or empty
	CodeEmpty     = "empty"     // an optional value is present but empty
	CodeType      = "type"      // wrong JSON type
	CodeMinLength = "minLength" // text too short
	CodeMaxLength = "maxLength" // text too long
	CodePattern   = "pattern"   // text does not match the Praezisierung pattern
	CodeCharset   = "charset"   // text_latin value has a character outside String.Latin+
	CodeFormat    = "format"    // not a valid date, time or date-time
	CodeMinimum   = "minimum"   // number or date below minValue
	CodeMaximum   = "maximum"   // number or date above maxValue
	CodeDecimals  = "decimals"  // currency with more than two decimal places
	CodeMinItems  = "minItems"  // fewer repetitions than Anzahl allows
	CodeMaxItems  = "maxItems"  // more repetitions than Anzahl allows
	CodeCode      = "code"      // value is not a code of the field's list
	CodeUnknown   = "unknown"   // key that the schema does not define
	CodeFile      = "file"      // malformed file reference
	CodeMediaType = "mediaType" // file type not allowed
	CodeMaxSize   = "maxSize"   // file larger than maxSize
	CodeEncoding  = "encoding"  // text is not valid UTF-8 (or a JSON string holds a lone surrogate)
	CodeControl   = "control"   // text holds a control character XML 1.0 cannot carry
	CodeEmail     = "email"     // not a plain e-mail address
	CodeYear      = "year"      // a date's year outside the operator's YearRange
	// CodeDigits: a number with more digits than MaxDigits written out.
	CodeDigits = "digits"
	// CodeAlternative: of a set of alternative groups (see Alternatives),
	// none or more than one is given.
	CodeAlternative = "alternative"
)

// ProblemCodes lists every code a Problem of this package can have.
var ProblemCodes = []string{
	CodeRequired, CodeEmpty, CodeType, CodeMinLength, CodeMaxLength, CodePattern, CodeCharset, CodeFormat,
	CodeMinimum, CodeMaximum, CodeDecimals, CodeMinItems, CodeMaxItems, CodeCode, CodeUnknown, CodeFile,
	CodeMediaType, CodeMaxSize, CodeEncoding, CodeControl, CodeEmail, CodeYear, CodeDigits, CodeAlternative,
}

// Validate checks a data document (see data.go for its shape) against the
// schema, reporting at most one problem per value: JSON types, cardinality, text length, pattern, character set,
// number range and decimals, dates, code-list membership and file
// references. Every check that the generated JSON Schema can express gives
// the same verdict there.
//
// Validate does not apply Regeln; hidden elements must be removed before.
func (s *Schema) Validate(doc map[string]any) Problems {
	return s.ValidateWith(doc, nil)
}

// Conditions change what Validate demands of one document, as the
// schema's Regeln decide (see package rules). Paths are key paths: the
// element's key in its parent object, with indexes of the repetitions
// above it.
type Conditions interface {
	// Hidden reports that the element is not part of the form for this
	// document: it is neither validated nor required, and a value for it
	// is reported as unknown.
	Hidden(p Path) bool
	// Required reports that the element must have a value even where its
	// Anzahl allows none.
	Required(p Path) bool
}

// YearLimiter is implemented by Conditions that carry the operator's
// YearRange; without it, dates are checked against DefaultYearRange.
type YearLimiter interface {
	YearRange() YearRange
}

// ValidateWith is Validate under conditions; nil conditions change nothing.
func (s *Schema) ValidateWith(doc map[string]any, c Conditions) Problems {
	return ValidateStruktur(nil, s.Struktur, doc, c)
}

// ValidateStruktur checks obj against one level of struktur entries, at the
// path p, under conditions c (may be nil). It serves callers that validate a
// part of a document, such as one step of a form.
func ValidateStruktur(p Path, children []Child, obj map[string]any, c Conditions) Problems {
	v := validator{cond: c}
	v.object(p, children, obj)
	return v.problems
}

// ValidatePart checks the entries children of obj like ValidateStruktur,
// but ignores keys of obj that are not among children: the other parts of
// an object shown on several steps.
func ValidatePart(p Path, children []Child, obj map[string]any, c Conditions) Problems {
	v := validator{cond: c}
	v.fields(p, children, obj, true)
	return v.problems
}

type validator struct {
	problems Problems
	cond     Conditions
}

func (v *validator) years() YearRange {
	if yl, ok := v.cond.(YearLimiter); ok {
		return yl.YearRange().OrDefault()
	}
	return DefaultYearRange
}

func (v *validator) hidden(p Path) bool   { return v.cond != nil && v.cond.Hidden(p) }
func (v *validator) required(p Path) bool { return v.cond != nil && v.cond.Required(p) }

func (v *validator) add(p Path, code, msg string) {
	v.problems = append(v.problems, Problem{Path: p.String(), Code: code, Message: msg})
}

func (v *validator) object(p Path, children []Child, obj map[string]any) {
	v.fields(p, children, obj, false)
}

// fields checks obj's entries; partial leaves keys that are not among
// children alone.
func (v *validator) fields(p Path, children []Child, obj map[string]any, partial bool) {
	known := make(map[string]bool, len(children))
	for i := range children {
		c := &children[i]
		e := c.Element
		if !e.CarriesData() {
			continue
		}
		cp := p.Key(e.ID)
		if v.hidden(cp) {
			continue
		}
		known[e.ID] = true
		required := c.Required() || v.required(cp)
		val, present := obj[e.ID]
		if !present {
			if required {
				v.add(cp, CodeRequired, msgRequired(e))
			}
			continue
		}
		if !c.Anzahl.Repeats() {
			v.value(cp, c, val, required)
			continue
		}
		arr, ok := val.([]any)
		if !ok {
			v.add(cp, CodeType, msgNotList(e))
			continue
		}
		switch {
		case len(arr) == 0 && required:
			v.add(cp, CodeRequired, msgRequired(e))
		case len(arr) < c.Anzahl.Min:
			v.add(cp, CodeMinItems, msgMinItems(e, c.Anzahl.Min))
		case c.Anzahl.Max != Unbounded && len(arr) > c.Anzahl.Max:
			v.add(cp, CodeMaxItems, msgMaxItems(e, c.Anzahl.Max))
		}
		for j, item := range arr {
			v.value(cp.Index(j), c, item, true)
		}
	}
	v.dateParts(p, children, obj)
	v.alternatives(p, children, obj)
	if partial {
		return
	}
	var unknown []string
	for k := range obj {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		v.add(p.Key(k), CodeUnknown, msgUnknown(k))
	}
}

// ValidateAlternatives checks only what Validate checks of the top-level
// alternatives of doc (code CodeAlternative), under conditions c (may be
// nil): for a page that asks for the choice and nothing else.
func (s *Schema) ValidateAlternatives(doc map[string]any, c Conditions) Problems {
	v := validator{cond: c}
	v.alternatives(nil, s.Struktur, doc)
	return v.problems
}

// alternatives checks that exactly one group of each top-level set of
// alternatives is given. A set is not checked where the rules require
// one of its groups (they decide then), and only its groups the rules do
// not hide take part.
func (v *validator) alternatives(p Path, children []Child, obj map[string]any) {
	if len(p) > 0 {
		// Below the top, same-label groups are told apart (DistinctLabels)
		// but not taken for a choice of one: the evidence is weaker there,
		// and a wrong demand would force answers the law does not ask.
		return
	}
	for _, alt := range Alternatives(children) {
		var shown, given []int
		ruled := false
		for _, i := range alt {
			kp := p.Key(children[i].Element.ID)
			if v.hidden(kp) {
				continue
			}
			ruled = ruled || v.required(kp)
			shown = append(shown, i)
			if _, ok := obj[children[i].Element.ID]; ok {
				given = append(given, i)
			}
		}
		if ruled || len(shown) < 2 {
			continue
		}
		// A field may say which alternative applies.
		if sel := cachedSelector(children, alt); sel != nil {
			if k := sel.Chosen(obj); k >= 0 {
				for _, i := range given {
					if i != k {
						v.add(p.Key(children[i].Element.ID), CodeAlternative, msgAlternativeContradicts(children, alt, i, k, sel.Field))
					}
				}
				if len(given) == 0 {
					v.add(p.Key(children[k].Element.ID), CodeAlternative, msgAlternativeChosenMissing(children, alt, k, sel.Field))
				}
				continue
			}
		}
		switch {
		case len(given) == 0:
			v.add(p.Key(children[shown[0]].Element.ID), CodeAlternative, msgAlternativeMissing(children, shown))
		case len(given) > 1:
			v.add(p.Key(children[given[1]].Element.ID), CodeAlternative, msgAlternativeTwice(children, given))
		}
	}
}

func (v *validator) value(p Path, c *Child, val any, required bool) {
	e := c.Element
	if e.Kind == KindGroup {
		obj, ok := val.(map[string]any)
		if !ok {
			v.add(p, CodeType, msgNotGroup(e))
			return
		}
		v.object(p, e.Struktur, obj)
		return
	}
	v.field(p, e, val, required)
}

func (v *validator) field(p Path, e *Element, val any, required bool) {
	if e.HasCodes() {
		s, ok := v.str(p, e, val, required)
		if !ok {
			return
		}
		for _, w := range e.Codes() {
			if w.Code == s {
				return
			}
		}
		v.add(p, CodeCode, msgCode(e, s))
		return
	}
	pr := &e.Praezisierung
	switch e.Datentyp {
	case DatentypBool:
		if _, ok := val.(bool); !ok {
			v.add(p, CodeType, msgType(e, "ja oder nein (true oder false)"))
		}
	case DatentypNum, DatentypNumInt, DatentypNumCurrency:
		v.number(p, e, val)
	case DatentypDate:
		s, ok := v.str(p, e, val, required)
		if !ok {
			return
		}
		d, ok := ParseDate(s)
		if !ok {
			v.add(p, CodeFormat, msgDate(e))
			return
		}
		if yr := v.years(); !yr.Contains(d.Year()) {
			v.add(p, CodeYear, msgYear(e, d.Year(), yr))
			return
		}
		if lo, ok := ParseDate(pr.MinValue); ok && d.Before(lo) {
			v.add(p, CodeMinimum, msgMinDate(e, lo))
		}
		if hi, ok := ParseDate(pr.MaxValue); ok && d.After(hi) {
			v.add(p, CodeMaximum, msgMaxDate(e, hi))
		}
	case DatentypTime:
		if s, ok := v.str(p, e, val, required); ok && !timeRE.MatchString(s) {
			v.add(p, CodeFormat, msgTime(e))
		}
	case DatentypDateTime:
		s, ok := v.str(p, e, val, required)
		if !ok {
			return
		}
		if !ValidDateTime(s) {
			v.add(p, CodeFormat, msgDateTime(e))
			return
		}
		if y, _ := strconv.Atoi(s[:4]); !v.years().Contains(y) {
			v.add(p, CodeYear, msgYear(e, y, v.years()))
		}
	case DatentypFile, DatentypObj:
		v.file(p, e, val)
	default: // text, text_latin
		s, ok := v.str(p, e, val, required)
		if !ok {
			return
		}
		n := utf8.RuneCountInString(s)
		var r rune
		notLatin := false
		if e.Datentyp == DatentypTextLatin {
			r, notLatin = firstNonLatin(s)
		}
		ctl, hasCtl := controlChar(s, e.Multiline())
		// A value that has not the pattern's format is told so, not that
		// it is too long ("D-99084" for a five-digit postcode).
		badPattern := pr.Regexp() != nil && !pr.Regexp().MatchString(s)
		switch {
		case !utf8.ValidString(s):
			v.add(p, CodeEncoding, msgEncoding(e))
		case hasCtl:
			v.add(p, CodeControl, msgControl(e, ctl))
		case badPattern && e.GermanPostcode(nil):
			v.add(p, CodePattern, msgPostcode(e))
		case badPattern && (pr.MinLength == nil || n >= *pr.MinLength):
			v.add(p, CodePattern, msgPattern(e))
		case pr.MinLength != nil && n < *pr.MinLength:
			v.add(p, CodeMinLength, msgMinLength(e, *pr.MinLength, n))
		case pr.MaxLength != nil && n > *pr.MaxLength:
			v.add(p, CodeMaxLength, msgMaxLength(e, *pr.MaxLength, n))
		case notLatin:
			v.add(p, CodeCharset, msgCharset(e, r))
		case e.EmailAddress() && !ValidEmail(s):
			v.add(p, CodeEmail, msgEmail(e))
		}
	}
}

// str checks that val is a non-empty string.
func (v *validator) str(p Path, e *Element, val any, required bool) (string, bool) {
	s, ok := val.(string)
	if !ok {
		v.add(p, CodeType, msgType(e, "ein Text"))
		return "", false
	}
	if s == "" {
		if required {
			v.add(p, CodeRequired, msgRequired(e))
		} else {
			v.add(p, CodeEmpty, msgEmpty(e))
		}
		return "", false
	}
	return s, true
}

func (v *validator) number(p Path, e *Element, val any) {
	r, ok := number(val)
	if !ok {
		v.add(p, CodeType, msgType(e, "eine Zahl"))
		return
	}
	if c, ok := canonicalRat(r); !ok || digits(c) > MaxDigits {
		v.add(p, CodeDigits, msgDigits(e))
		return
	}
	switch e.Datentyp {
	case DatentypNumInt:
		if !r.IsInt() {
			v.add(p, CodeType, msgType(e, "eine ganze Zahl"))
			return
		}
	case DatentypNumCurrency:
		if !new(big.Rat).Mul(r, big.NewRat(100, 1)).IsInt() {
			v.add(p, CodeDecimals, msgDecimals(e))
			return
		}
	}
	pr := &e.Praezisierung
	if lo, ok := new(big.Rat).SetString(pr.MinValue); ok && pr.MinValue != "" && r.Cmp(lo) < 0 {
		v.add(p, CodeMinimum, msgMinimum(e, pr.MinValue))
	}
	if hi, ok := new(big.Rat).SetString(pr.MaxValue); ok && pr.MaxValue != "" && r.Cmp(hi) > 0 {
		v.add(p, CodeMaximum, msgMaximum(e, pr.MaxValue))
	}
}

func (v *validator) file(p Path, e *Element, val any) {
	obj, ok := val.(map[string]any)
	if !ok {
		v.add(p, CodeType, msgType(e, "eine hochgeladene Datei"))
		return
	}
	bad := func() { v.add(p, CodeFile, msgFileRef(e)) }
	for k := range obj {
		if !slices.Contains(fileRefKeys, k) {
			bad()
			return
		}
	}
	id, _ := obj["attachmentId"].(string)
	name, _ := obj["filename"].(string)
	mt, _ := obj["mimeType"].(string)
	size, sizeOK := number(obj["size"])
	hash, _ := obj["hash"].(map[string]any)
	if !uuidRE.MatchString(id) || name == "" || utf8.RuneCountInString(name) > MaxFilenameLength ||
		mt == "" || !sizeOK || !size.IsInt() || size.Sign() < 0 || hash == nil || len(hash) != 2 {
		bad()
		return
	}
	if t, _ := hash["type"].(string); t != "sha512" {
		bad()
		return
	}
	if c, _ := hash["content"].(string); !sha512RE.MatchString(c) {
		bad()
		return
	}
	pr := &e.Praezisierung
	if len(pr.MediaTypes) > 0 && !slices.Contains(pr.MediaTypes, mt) {
		v.add(p, CodeMediaType, msgMediaType(e, name, pr.MediaTypes))
	} else if pr.MaxSize > 0 && size.Cmp(new(big.Rat).SetInt64(pr.MaxSize)) > 0 {
		v.add(p, CodeMaxSize, msgMaxSize(e, pr.MaxSize))
	}
}

// MaxFilenameLength is the longest file name, in characters, a FileRef may
// carry.
const MaxFilenameLength = 255

var (
	fileRefKeys = []string{"attachmentId", "filename", "mimeType", "size", "hash"}

	datePattern     = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	timePattern     = `^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$`
	dateTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})$`
	uuidPattern     = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	sha512Pattern   = `^[0-9a-f]{128}$`

	dateRE     = regexp.MustCompile(datePattern)
	timeRE     = regexp.MustCompile(timePattern)
	dateTimeRE = regexp.MustCompile(dateTimePattern)
	uuidRE     = regexp.MustCompile(uuidPattern)
	sha512RE   = regexp.MustCompile(sha512Pattern)
)

// ParseDate parses a date-only value "YYYY-MM-DD" as midnight UTC and
// reports whether it is a real calendar date.
func ParseDate(s string) (time.Time, bool) {
	if !dateRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// ValidDateTime reports whether s is an RFC 3339 date-time with an offset.
func ValidDateTime(s string) bool {
	if !dateTimeRE.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// jsonNumber returns a decimal string from a Praezisierung as a JSON number,
// or false if it is not one.
func jsonNumber(s string) (json.Number, bool) {
	if s == "" {
		return "", false
	}
	if _, ok := new(big.Rat).SetString(s); !ok {
		return "", false
	}
	var n json.Number
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		return "", false
	}
	return n, true
}
