// Package prefill fills a form's known FIM elements from what a citizen's
// login proved (identity.Identity), so that nobody types what the state
// already knows.
//
// A Datenfeld is matched to an identity attribute
//
//   - by its FIM id: the Baukasten elements of XDatenfelder 3 (12 digits,
//     e.g. F60000000228 Vornamen, F60000000227 Familienname, the address
//     group G60000000086 with Straße, Hausnummer, Postleitzahl, Ort and
//     Staat, the date of birth group G60000000083) and their XDatenfelder 2
//     predecessors (8 digits, e.g. F00000045 Vorname, F00000013
//     Familienname, F00000054 Postleitzahl);
//   - else by its name or label ("Vorname", "Familienname", "Geburtsdatum",
//     "Postleitzahl", …), but only where that is unambiguous: exactly one
//     field of the form has that label.
//
// Only the applicant's own data is filled: the first occurrence of each
// attribute, outside repeated elements, optional groups and groups about
// another person or a foreign or business address. Values are normalised
// to the field's format (Normalize) and a value the field would not accept
// is left out. Fill fills only empty fields; it never overwrites what the
// citizen entered.
//
// The element's vorbefuellung says how a filled value is shown: a field
// with "verpflichtend" is locked (Locked), any other stays editable.
package prefill

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
)

// Pseudo-attributes: parts of identity.AttrStreet ("Heidestraße 17") for
// forms that ask for street and house number apart.
const (
	attrStreetName  = "street:name"
	attrHouseNumber = "street:number"
)

// ByID maps FIM element ids (without version) to identity attribute keys.
// Datenfeldgruppen in it (the date of birth as day, month and year) are
// filled part by part.
var ByID = map[string]string{
	// XDatenfelder 3 Baukasten (FIM Baustein Datenfelder, 2023 ff.).
	"F60000000228": identity.AttrGivenName,    // Vornamen
	"F60000000227": identity.AttrSurname,      // Familienname
	"F60000000230": identity.AttrBirthName,    // Geburtsname
	"F60000000229": identity.AttrTitle,        // Doktorgrade
	"G60000000083": identity.AttrBirthdate,    // Geburtsdatum (teilbekannt): Tag, Monat, Jahr
	"F60000000234": identity.AttrPlaceOfBirth, // Geburtsort
	"F60000000236": identity.AttrNationality,  // Staatsangehörigkeit
	"F60000000332": identity.AttrGender,       // Geschlecht
	"F60000000240": identity.AttrPhone,        // Telefon
	"F60000000242": identity.AttrEmail,        // E-Mail
	"F60000000243": attrStreetName,            // Straße (in G60000000086 Anschrift Inland Straßenanschrift)
	"F60000000244": attrHouseNumber,           // Hausnummer
	"F60000000246": identity.AttrPostalCode,   // Postleitzahl
	"F60000000247": identity.AttrLocality,     // Ort
	"F60000000261": identity.AttrCountry,      // Staat
	"F60000000319": identity.AttrOrganisation, // Eingetragener Name / Organisationsname
	// XDatenfelder 2 Baukasten.
	"F00000045": identity.AttrGivenName,    // Vorname
	"F00000154": identity.AttrGivenName,    // Vornamen
	"F00000013": identity.AttrSurname,      // Familienname
	"F00000014": identity.AttrBirthName,    // Geburtsname
	"G00000234": identity.AttrBirthdate,    // Geburtsdatum (teilbekannt)
	"F00000067": identity.AttrPlaceOfBirth, // Geburtsort
	"F00000039": identity.AttrNationality,  // Staatsangehörigkeit
	"F00000065": identity.AttrGender,       // Geschlecht
	"F00000069": identity.AttrPhone,        // Telefon
	"F00000071": identity.AttrEmail,        // E-Mail
	"F00000053": attrStreetName,            // Straße
	"F00000016": attrHouseNumber,           // Hausnummer
	"F00000054": identity.AttrPostalCode,   // Postleitzahl
	"F00000035": identity.AttrLocality,     // Ort
	"F00000038": identity.AttrCountry,      // Staat
}

// byLabel maps lower-case names and labels to attributes, for fields with
// ids not in ByID (Länder and authority elements).
var byLabel = map[string]string{
	"vorname": identity.AttrGivenName, "vornamen": identity.AttrGivenName,
	"familienname": identity.AttrSurname, "nachname": identity.AttrSurname,
	"geburtsname":  identity.AttrBirthName,
	"geburtsdatum": identity.AttrBirthdate,
	"geburtsort":   identity.AttrPlaceOfBirth,
	"doktorgrad":   identity.AttrTitle, "doktorgrade": identity.AttrTitle,
	"e-mail": identity.AttrEmail, "e-mail-adresse": identity.AttrEmail, "email": identity.AttrEmail,
	"telefon": identity.AttrPhone, "telefonnummer": identity.AttrPhone,
	"straße": attrStreetName, "strasse": attrStreetName,
	"hausnummer":   attrHouseNumber,
	"postleitzahl": identity.AttrPostalCode, "plz": identity.AttrPostalCode,
	"ort": identity.AttrLocality, "wohnort": identity.AttrLocality,
}

// otherContext are words in a Datenfeldgruppe's name or label that show
// it is not about the applicant's own person and home address.
var otherContext = []string{
	"ausland", "ausländ", "postfach", "vertreter", "bevollmächtig", "vollmacht", "kind", "ehegatt", "ehepartner",
	"lebenspartner", "ansprechpartner", "arbeitsstätte", "betrieb", "firma", "unternehmen", "juristisch",
	"gesellschaft", "verein", "empfänger", "zustell", "abweichend", "frühere", "vorherige", "bisherige",
	"eigentümer", "halter", "verstorben", "mitglied",
}

// Target is one value the identity gives a form: the data path, the
// canonical value and whether the field is locked.
type Target struct {
	Path   form.Path
	Value  any // string, or json.Number for a number field
	Locked bool
}

// Plan returns the values id gives the form s, in document order. It is
// nil for a nil identity.
func Plan(s *form.Schema, id *identity.Identity) []Target {
	if id == nil || len(id.Attributes) == 0 {
		return nil
	}
	attrs := attributes(id)
	type cand struct {
		path   form.Path
		c      *form.Child
		parent *form.Element
		attr   string
		byID   bool
	}
	var cands []cand
	labelCount := map[string]int{}
	var walk func(p form.Path, parent *form.Element, cs []form.Child)
	walk = func(p form.Path, parent *form.Element, cs []form.Child) {
		for i := range cs {
			c := &cs[i]
			e := c.Element
			if c.Anzahl.Repeats() {
				continue
			}
			cp := p.Key(e.ID)
			if e.Kind == form.KindGroup {
				if a, ok := ByID[e.ID]; ok && a == identity.AttrBirthdate {
					cands = append(cands, cand{cp, c, parent, a, true})
					continue
				}
				if !c.Anzahl.Required() || other(e) {
					continue
				}
				walk(cp, e, e.Struktur)
				continue
			}
			if e.Feldart == form.FeldartLabel || e.Datentyp.Attachment() || e.Datentyp == form.DatentypBool {
				continue
			}
			if a, ok := ByID[e.ID]; ok {
				cands = append(cands, cand{cp, c, parent, a, true})
				continue
			}
			if a := labelAttr(e); a != "" {
				labelCount[a]++
				cands = append(cands, cand{cp, c, parent, a, false})
			}
		}
	}
	walk(nil, nil, s.Struktur)
	// A form that asks for the house number apart gets the street
	// without it; one that does not gets street and number in one.
	split := map[*form.Element]bool{}
	for _, c := range cands {
		if c.attr == attrHouseNumber {
			split[c.parent] = true
		}
	}
	var out []Target
	done := map[string]bool{}
	for _, c := range cands {
		if done[c.attr] || (!c.byID && labelCount[c.attr] > 1) {
			continue
		}
		raw := attrs[c.attr]
		if c.attr == attrStreetName && !split[c.parent] {
			raw = id.Attr(identity.AttrStreet)
		}
		if raw == "" {
			continue
		}
		locked := c.c.Element.Vorbefuellung == "verpflichtend"
		if c.c.Element.Kind == form.KindGroup {
			parts := dateParts(c.path, c.c.Element, raw)
			if parts == nil {
				continue
			}
			for i := range parts {
				parts[i].Locked = locked
			}
			out = append(out, parts...)
			done[c.attr] = true
			continue
		}
		if !fits(c.attr, c.c.Element, c.parent) {
			continue
		}
		v, ok := Normalize(c.c.Element, c.parent, c.attr, raw)
		if !ok {
			continue
		}
		out = append(out, Target{Path: c.path, Value: v, Locked: locked})
		done[c.attr] = true
	}
	return out
}

// germanySpellings are the ways accounts name Germany as a country or
// nationality: BundID sends "D" (the vehicle and passport code), others
// ISO 3166 codes or the name.
var germanySpellings = map[string]bool{"D": true, "DE": true, "DEU": true, "DEUTSCHLAND": true,
	"BUNDESREPUBLIK DEUTSCHLAND": true, "DEUTSCH": true}

// germanyLabels are the labels (or codes) of Germany's entry in the code
// lists of country and nationality fields: the Destatis Staat list has
// code "000" with the name "Deutschland", ISO-based lists have "DE" or
// "DEU".
var germanyLabels = []string{"Deutschland", "deutsch", "Bundesrepublik Deutschland", "DE", "DEU"}

// germany returns the code of Germany's entry in codes when s is a
// spelling of Germany; false otherwise, or when no entry is Germany's.
func germany(codes []form.Wert, s string) (any, bool) {
	if !germanySpellings[strings.ToUpper(strings.TrimSpace(s))] {
		return nil, false
	}
	for _, l := range germanyLabels {
		for _, w := range codes {
			if strings.EqualFold(strings.TrimSpace(w.Name), l) || strings.EqualFold(w.Code, l) {
				return w.Code, true
			}
		}
	}
	return nil, false
}

// attributes returns id's attributes with the street split into name and
// house number.
func attributes(id *identity.Identity) map[string]string {
	m := make(map[string]string, len(id.Attributes)+2)
	for k, v := range id.Attributes {
		m[k] = v
	}
	if name, number, ok := SplitStreet(id.Attr(identity.AttrStreet)); ok {
		m[attrStreetName], m[attrHouseNumber] = name, number
	}
	return m
}

// parenthesised text in a group's name qualifies it ("Antragsteller
// (ohne Ausland)") and is not read for its context.
var parenthesised = regexp.MustCompile(`\([^)]*\)`)

var streetRE = regexp.MustCompile(`^(.*\S)\s+(\d+\s?[a-zA-Z]?(?:\s?[-/]\s?\d+\s?[a-zA-Z]?)?)$`)

// SplitStreet splits "Heidestraße 17" into "Heidestraße" and "17" and
// "Am Anger 3a" into "Am Anger" and "3a"; ok is false when s ends in no
// house number.
func SplitStreet(s string) (name, number string, ok bool) {
	m := streetRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func other(e *form.Element) bool {
	s := parenthesised.ReplaceAllString(strings.ToLower(e.Name+" "+e.Label()), "")
	if strings.Contains(s, "antragsteller") {
		return false // the applicant's own, as "Antragsteller oder Vertreter"
	}
	for _, w := range otherContext {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// fits reports whether attribute attr may go into e in parent: a
// country or nationality only into a code list field (a code typed into
// free text helps nobody), a country only in an address.
func fits(attr string, e, parent *form.Element) bool {
	switch attr {
	case identity.AttrCountry:
		if parent == nil {
			return false
		}
		n := strings.ToLower(parent.Name + " " + parent.Label())
		return e.HasCodes() && (strings.Contains(n, "anschrift") || strings.Contains(n, "adresse"))
	case identity.AttrNationality, identity.AttrGender:
		return e.HasCodes()
	}
	return true
}

func labelAttr(e *form.Element) string {
	for _, s := range []string{e.Label(), e.Name} {
		if a, ok := byLabel[strings.ToLower(strings.TrimSpace(s))]; ok {
			if a == identity.AttrBirthdate && e.Datentyp != form.DatentypDate {
				return ""
			}
			return a
		}
	}
	return ""
}

// dateParts fills a day, month and year group from a date.
func dateParts(p form.Path, g *form.Element, raw string) []Target {
	day, month, year, ok := form.DateParts(g.Struktur)
	if !ok {
		return nil
	}
	d, ok := ParseDate(raw)
	if !ok {
		return nil
	}
	var out []Target
	for _, x := range []struct {
		c *form.Child
		n int
	}{{day, d.Day()}, {month, int(d.Month())}, {year, d.Year()}} {
		v, ok := Normalize(x.c.Element, g, "", strconv.Itoa(x.n))
		if !ok {
			return nil
		}
		out = append(out, Target{Path: p.Key(x.c.Element.ID), Value: v})
	}
	return out
}

// dateLayouts are the date formats identity providers use: ISO 8601
// (BundID, OIDC birthdate), the German DD.MM.YYYY and the compact
// YYYYMMDD.
var dateLayouts = []string{"2006-01-02", "02.01.2006", "2.1.2006", "20060102"}

// ParseDate reads a date in one of the identity providers' formats.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Normalize returns the canonical value of the identity attribute attr
// (one of the identity.Attr* keys, "" for none in particular) with the raw
// value raw for the Datenfeld e in the group parent (nil at the top), and
// whether the field takes it:
//
//   - white space is trimmed and collapsed as for typed input;
//   - a date (YYYY-MM-DD, DD.MM.YYYY or YYYYMMDD) becomes YYYY-MM-DD;
//   - a number field gets a json.Number;
//   - a code must be one of the field's codes, in any case; it is stored
//     as the list writes it ("de" → "DE");
//   - a country or nationality spelt "D", "DE", "DEU" or "Deutschland"
//     becomes the code of the list's entry for Germany, found by its
//     label ("Deutschland", "deutsch") or code ("DE", "DEU"): "000" in
//     the Destatis Staat list;
//   - a German postcode loses inner spaces ("99 084" → "99084");
//   - a text longer than the field's maxLength, shorter than its
//     minLength or not matching its pattern is not taken.
func Normalize(e, parent *form.Element, attr, raw string) (any, bool) {
	s, ierr := form.NormalizeString(e, parent, raw)
	if ierr != nil || s == "" {
		return nil, false
	}
	switch {
	case e.Datentyp == form.DatentypDate:
		d, ok := ParseDate(s)
		if !ok {
			return nil, false
		}
		return d.Format("2006-01-02"), true
	case e.Datentyp.Numeric():
		n, ok := form.CanonicalNumber(json.Number(s))
		if !ok {
			return nil, false
		}
		return n, true
	case e.Datentyp != form.DatentypText && e.Datentyp != form.DatentypTextLatin && !e.HasCodes():
		return nil, false
	case e.HasCodes():
		for _, w := range e.Codes() {
			if w.Code == s {
				return s, true
			}
		}
		if attr == identity.AttrCountry || attr == identity.AttrNationality {
			return germany(e.Codes(), s)
		}
		return nil, false
	}
	if attr == identity.AttrPostalCode {
		if t := strings.ReplaceAll(s, " ", ""); len(t) == 5 && digits(t) {
			s = t
		}
	}
	pr := &e.Praezisierung
	n := utf8.RuneCountInString(s)
	if (pr.MaxLength != nil && n > *pr.MaxLength) || (pr.MinLength != nil && n < *pr.MinLength) {
		return nil, false
	}
	if re := pr.Regexp(); re != nil && !re.MatchString(s) {
		return nil, false
	}
	return s, true
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Fill sets the targets whose place in doc is empty and returns the paths
// it set, as strings (form.Path.String). doc is changed in place.
func Fill(doc map[string]any, targets []Target) []string {
	var set []string
	for _, t := range targets {
		obj, key := locate(doc, t.Path, false)
		if obj != nil {
			if v, ok := obj[key]; ok && v != nil && v != "" {
				continue
			}
		}
		obj, key = locate(doc, t.Path, true)
		if obj == nil {
			continue
		}
		obj[key] = t.Value
		set = append(set, t.Path.String())
	}
	return set
}

// Proved returns the paths (form.Path.String) of the targets whose value
// doc holds unchanged, sorted.
func Proved(doc map[string]any, targets []Target) []string {
	var out []string
	for _, t := range targets {
		if Same(form.ValueAt(doc, t.Path), t.Value) {
			out = append(out, t.Path.String())
		}
	}
	sort.Strings(out)
	return out
}

// Locked returns the paths of the proved targets that are locked
// (vorbefuellung verpflichtend), as a set.
func Locked(doc map[string]any, targets []Target) map[string]any {
	out := map[string]any{}
	for _, t := range targets {
		if t.Locked && Same(form.ValueAt(doc, t.Path), t.Value) {
			out[t.Path.String()] = t.Value
		}
	}
	return out
}

// Same reports whether a and b are the same string or number value
// (json.Number in any spelling of the same number, or float64).
func Same(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	as, aok := scalarString(a)
	bs, bok := scalarString(b)
	return aok && bok && as == bs
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		if c, ok := form.CanonicalNumber(x); ok {
			return string(c), true
		}
		return string(x), true
	case float64:
		n, _ := json.Marshal(x)
		return scalarString(json.Number(n))
	}
	return "", false
}

// locate returns the object holding the last key of p and that key.
func locate(doc map[string]any, p form.Path, create bool) (map[string]any, string) {
	if len(p) == 0 || p[len(p)-1].Key == "" {
		return nil, ""
	}
	var cur any = doc
	for _, s := range p[:len(p)-1] {
		if s.Key == "" {
			arr, ok := cur.([]any)
			if !ok || s.Index >= len(arr) {
				return nil, ""
			}
			cur = arr[s.Index]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, ""
		}
		next, ok := obj[s.Key]
		if !ok || next == nil {
			if !create {
				return nil, ""
			}
			next = map[string]any{}
			obj[s.Key] = next
		}
		cur = next
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		return nil, ""
	}
	return obj, p[len(p)-1].Key
}
