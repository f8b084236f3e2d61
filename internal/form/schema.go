// Package form is antrag's version-independent form model: a FIM
// Stammdatenschema with its Datenfeldgruppen, Datenfelder, Regeln and
// Codelisten, as imported from XDatenfelder 1, 2 or 3.0.0 by package fim.
//
// The package also defines the canonical submission data shape (see
// data.go), turns input from the HTML forms and the API into it
// (normalize.go), validates data documents against a schema (validate.go),
// and generates a JSON Schema (draft 2020-12) and an example document from
// it.
//
// Terms follow the XDatenfelder specification (FIM Baustein Datenfelder,
// XDatenfelder 2.0 and 3.0.0, section "Datenmodell"): Stammdatenschema,
// Datenfeldgruppe, Datenfeld, Struktur with Anzahl, Feldart, Datentyp,
// Praezisierung, Regel, Codeliste.
package form

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Kind says whether an Element is a Datenfeldgruppe or a Datenfeld.
type Kind string

// Element kinds.
const (
	KindGroup Kind = "datenfeldgruppe"
	KindField Kind = "datenfeld"
)

// Feldart is the XDatenfelder code list xdatenfelder.feldart: how a
// Datenfeld is presented. Values from XDatenfelder 3.0.0 (FIM Portal API
// v0.24.0, enum Feldart).
type Feldart string

// Feldarten.
const (
	FeldartInput  Feldart = "input"  // the citizen enters a value
	FeldartSelect Feldart = "select" // the citizen picks a code from Werte or a Codeliste
	FeldartLabel  Feldart = "label"  // static text, carries no data
	FeldartHidden Feldart = "hidden" // not shown; value from Inhalt or prefill
	FeldartLocked Feldart = "locked" // shown, not editable; value from Inhalt or prefill
)

// Feldarten lists every Feldart antrag accepts.
var Feldarten = []Feldart{FeldartInput, FeldartSelect, FeldartLabel, FeldartHidden, FeldartLocked}

// Datentyp is the XDatenfelder code list xdatenfelder.datentyp. Values from
// XDatenfelder 3.0.0 (FIM Portal API v0.24.0, enum Datentyp).
type Datentyp string

// Datentypen.
const (
	DatentypText        Datentyp = "text"
	DatentypTextLatin   Datentyp = "text_latin" // String.Latin+ (DIN SPEC 91379)
	DatentypDate        Datentyp = "date"
	DatentypTime        Datentyp = "time"
	DatentypDateTime    Datentyp = "datetime"
	DatentypBool        Datentyp = "bool"
	DatentypNum         Datentyp = "num"
	DatentypNumInt      Datentyp = "num_int"
	DatentypNumCurrency Datentyp = "num_currency"
	DatentypFile        Datentyp = "file"
	DatentypObj         Datentyp = "obj" // binary object; carried like a file
)

// Datentypen lists every Datentyp antrag accepts.
var Datentypen = []Datentyp{
	DatentypText, DatentypTextLatin, DatentypDate, DatentypTime, DatentypDateTime,
	DatentypBool, DatentypNum, DatentypNumInt, DatentypNumCurrency, DatentypFile, DatentypObj,
}

// Numeric reports whether values of d are JSON numbers.
func (d Datentyp) Numeric() bool {
	return d == DatentypNum || d == DatentypNumInt || d == DatentypNumCurrency
}

// Attachment reports whether values of d are file reference objects.
func (d Datentyp) Attachment() bool { return d == DatentypFile || d == DatentypObj }

// Status is a release status (freigabestatus in XDatenfelder 3, status in
// 1 and 2) with its code and, where known, its German label.
type Status struct {
	Code  string `json:"code"`
	Label string `json:"label,omitempty"`
}

// Bezug is a legal or technical reference (bezug), with an optional link
// (XDatenfelder 3 attribute link).
type Bezug struct {
	Text string `json:"text"`
	Link string `json:"link,omitempty"`
}

// Metadaten is the life-cycle and editorial metadata of a schema, element or
// rule (XDatenfelder 2 and 3). It does not change how a form behaves; it is
// kept for the catalogue and the admin view.
type Metadaten struct {
	FachlicherErsteller     string      `json:"fachlicherErsteller,omitempty"`
	Versionshinweis         string      `json:"versionshinweis,omitempty"`
	StatusGesetztAm         string      `json:"statusGesetztAm,omitempty"`
	StatusGesetztDurch      string      `json:"statusGesetztDurch,omitempty"`
	Freigabedatum           string      `json:"freigabedatum,omitempty"`
	Veroeffentlichungsdatum string      `json:"veroeffentlichungsdatum,omitempty"`
	GueltigAb               string      `json:"gueltigAb,omitempty"`
	GueltigBis              string      `json:"gueltigBis,omitempty"`
	LetzteAenderung         string      `json:"letzteAenderung,omitempty"`
	Stichworte              []Stichwort `json:"stichworte,omitempty"`
	Relationen              []Relation  `json:"relationen,omitempty"`
}

// Stichwort is a keyword (stichwort) with its optional uri attribute.
type Stichwort struct {
	Text string `json:"text"`
	URI  string `json:"uri,omitempty"`
}

// Relation links an element to another one (XDatenfelder 3 relation):
// Praedikat is a code of urn:xoev-de:fim-datenfelder:codeliste:relation,
// e.g. ABL (abgeleitet von) or ERS (ersetzt).
type Relation struct {
	Praedikat     string `json:"praedikat"`
	ObjektID      string `json:"objektId"`
	ObjektVersion string `json:"objektVersion,omitempty"`
}

// Regel is a FIM rule as published. The form model keeps it with the element
// that carries it; package rules compiles it into behaviour.
type Regel struct {
	ID            string    `json:"id"`
	Version       string    `json:"version,omitempty"`
	Name          string    `json:"name,omitempty"`
	Beschreibung  string    `json:"beschreibung,omitempty"`
	FreitextRegel string    `json:"freitextRegel,omitempty"` // XDF3 freitextRegel; XDF2 definition
	Skript        string    `json:"skript,omitempty"`        // XDF3 skript; XDF2 script
	Typ           string    `json:"typ,omitempty"`           // XDF3 regeltyp code, e.g. K, V
	Bezug         []Bezug   `json:"bezug,omitempty"`
	Status        *Status   `json:"status,omitempty"`
	Meta          Metadaten `json:"meta"`
	Line          int       `json:"line,omitempty"` // line in the source document
}

// Wert is one entry of an inline value list (werte/wert) or of a Codeliste.
type Wert struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Hilfe string `json:"hilfe,omitempty"`
}

// CodelisteRef points at a Codeliste by its genericode identification.
// XDatenfelder 2 nests it in genericodeIdentification, 3 has it flat, and 1
// names it by kennung and version.
type CodelisteRef struct {
	ID                  string `json:"id,omitempty"` // FIM id, e.g. C00000001 (XDF1/2)
	CanonicalURI        string `json:"canonicalUri"`
	Version             string `json:"version,omitempty"`
	CanonicalVersionURI string `json:"canonicalVersionUri"`
}

// Codeliste is a resolved code list (OASIS genericode 1.0).
type Codeliste struct {
	CanonicalURI        string `json:"canonicalUri"`
	Version             string `json:"version"`
	CanonicalVersionURI string `json:"canonicalVersionUri"`
	Name                string `json:"name,omitempty"`
	Codes               []Wert `json:"codes"`
}

// Praezisierung restricts a Datenfeld's values. Lengths count Unicode code
// points; MinValue and MaxValue are decimal strings (or dates for
// DatentypDate) as written in the schema.
type Praezisierung struct {
	MinLength  *int     `json:"minLength,omitempty"`
	MaxLength  *int     `json:"maxLength,omitempty"`
	MinValue   string   `json:"minValue,omitempty"`
	MaxValue   string   `json:"maxValue,omitempty"`
	Pattern    string   `json:"pattern,omitempty"`    // as written; anchored at both ends
	MediaTypes []string `json:"mediaTypes,omitempty"` // allowed MIME types of a file
	MaxSize    int64    `json:"maxSize,omitempty"`    // bytes of a file; 0 is no limit

	re *regexp.Regexp
}

// SetPattern sets and compiles the pattern. FIM patterns are XML Schema
// regular expressions (XSD 1.0 Part 2, Appendix F), which match the whole
// value; authors often add ^ and $ anyway, so a leading ^ and a trailing
// unescaped $ are taken as anchors. A pattern that Go's RE2 syntax cannot
// express is an error and leaves the Praezisierung unchanged.
func (p *Praezisierung) SetPattern(pattern string) error {
	re, err := regexp.Compile(AnchoredPattern(pattern))
	if err != nil {
		return fmt.Errorf("pattern %q: %w", pattern, err)
	}
	p.Pattern, p.re = pattern, re
	return nil
}

// Regexp returns the compiled, anchored pattern, or nil if there is none.
func (p *Praezisierung) Regexp() *regexp.Regexp { return p.re }

// UnmarshalJSON decodes a Praezisierung and compiles its pattern.
func (p *Praezisierung) UnmarshalJSON(b []byte) error {
	type plain Praezisierung
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Praezisierung(v)
	if p.Pattern != "" {
		return p.SetPattern(p.Pattern)
	}
	return nil
}

// AnchoredPattern turns a FIM pattern into a regular expression that must
// match the whole value: ^(?:pattern)$, without the author's own anchors.
func AnchoredPattern(pattern string) string {
	p := pattern
	if len(p) > 0 && p[0] == '^' {
		p = p[1:]
	}
	if n := len(p); n > 0 && p[n-1] == '$' && (n < 2 || p[n-2] != '\\') {
		p = p[:n-1]
	}
	return "^(?:" + p + ")$"
}

// Element is a Datenfeldgruppe or a Datenfeld.
type Element struct {
	Kind               Kind      `json:"kind"`
	ID                 string    `json:"id"`
	Version            string    `json:"version,omitempty"`
	Name               string    `json:"name"`
	BezeichnungEingabe string    `json:"bezeichnungEingabe,omitempty"`
	BezeichnungAusgabe string    `json:"bezeichnungAusgabe,omitempty"`
	HilfetextEingabe   string    `json:"hilfetextEingabe,omitempty"`
	HilfetextAusgabe   string    `json:"hilfetextAusgabe,omitempty"`
	Beschreibung       string    `json:"beschreibung,omitempty"`
	Definition         string    `json:"definition,omitempty"`
	Bezug              []Bezug   `json:"bezug,omitempty"`
	Schemaelementart   string    `json:"schemaelementart,omitempty"` // ABS, HAR, RNG
	Status             *Status   `json:"status,omitempty"`
	Regeln             []Regel   `json:"regeln,omitempty"`
	Meta               Metadaten `json:"meta"`
	Line               int       `json:"line,omitempty"` // line in the source document

	// Datenfeldgruppe only.
	Struktur []Child `json:"struktur,omitempty"`

	// Datenfeld only.
	Feldart       Feldart       `json:"feldart,omitempty"`
	Datentyp      Datentyp      `json:"datentyp,omitempty"`
	Praezisierung Praezisierung `json:"praezisierung"`
	Inhalt        string        `json:"inhalt,omitempty"`        // default value
	Vorbefuellung string        `json:"vorbefuellung,omitempty"` // keine, optional, verpflichtend
	Werte         []Wert        `json:"werte,omitempty"`
	CodelisteRef  *CodelisteRef `json:"codelisteReferenz,omitempty"`
	Codeliste     *Codeliste    `json:"codeliste,omitempty"` // resolved CodelisteRef
}

// Label is the text shown to the citizen: bezeichnungEingabe, else name.
func (e *Element) Label() string {
	if e.BezeichnungEingabe != "" {
		return e.BezeichnungEingabe
	}
	return e.Name
}

// Codes returns the allowed codes of a select field: the inline Werte, else
// the resolved Codeliste. It is nil when a select field's list could not be
// resolved; the field then takes free text.
func (e *Element) Codes() []Wert {
	if len(e.Werte) > 0 {
		return e.Werte
	}
	if e.Codeliste != nil {
		return e.Codeliste.Codes
	}
	return nil
}

// HasCodes reports whether the element's value must be one of Codes.
func (e *Element) HasCodes() bool { return e.Kind == KindField && len(e.Codes()) > 0 }

// CarriesData reports whether the element has a place in the data document:
// a Datenfeld that is not a label, or a group with such a descendant.
func (e *Element) CarriesData() bool {
	if e.Kind == KindField {
		return e.Feldart != FeldartLabel
	}
	for _, c := range e.Struktur {
		if c.Element.CarriesData() {
			return true
		}
	}
	return false
}

// Child is one struktur entry: an element with its cardinality.
type Child struct {
	Anzahl  Anzahl   `json:"anzahl"`
	Bezug   []Bezug  `json:"bezug,omitempty"`
	Element *Element `json:"element"`
}

// Required reports whether the entry must have a value: its Anzahl
// minimum is above 0, unless it is a Datenfeld nobody can fill: locked or
// hidden (the citizen cannot edit it), without an Inhalt, and not to be
// prefilled from a user account (vorbefuellung keine). Such a field carries
// a value only when the platform sets one.
func (c *Child) Required() bool {
	return c.Anzahl.Required() && !c.Element.Unfillable()
}

// Unfillable reports whether a Datenfeld is locked or hidden without an
// Inhalt and without prefill: no one can enter its value.
func (e *Element) Unfillable() bool {
	return e.Kind == KindField && (e.Feldart == FeldartLocked || e.Feldart == FeldartHidden) &&
		e.Inhalt == "" && (e.Vorbefuellung == "" || e.Vorbefuellung == "keine")
}

// Schema is a Stammdatenschema, or a single Datenfeldgruppe published on its
// own (XDatenfelder 3 message xdatenfelder.datenfeldgruppe.0103), which the
// model treats as a schema with that group as its only child.
type Schema struct {
	ID                  string   `json:"id"`
	Version             string   `json:"version,omitempty"`
	XDFVersion          string   `json:"xdfVersion"` // "1", "2.0" or "3.0.0"
	Root                Kind     `json:"root"`       // KindGroup for a .0103 message
	Name                string   `json:"name"`
	Bezeichnung         string   `json:"bezeichnung,omitempty"`
	Beschreibung        string   `json:"beschreibung,omitempty"`
	Definition          string   `json:"definition,omitempty"`
	Hilfetext           string   `json:"hilfetext,omitempty"`
	Bezug               []Bezug  `json:"bezug,omitempty"`
	Freigabestatus      *Status  `json:"freigabestatus,omitempty"`
	Leistungsschluessel []string `json:"leistungsschluessel,omitempty"` // LeiKa keys named in the schema
	Dokumentsteckbrief  string   `json:"dokumentsteckbrief,omitempty"`
	// Ableitungsmodifikationen say what a derived schema may change
	// (codes of xdatenfelder.ableitungsmodifikationenStruktur and
	// …Repraesentation).
	AbleitungsmodifikationenStruktur        string    `json:"ableitungsmodifikationenStruktur,omitempty"`
	AbleitungsmodifikationenRepraesentation string    `json:"ableitungsmodifikationenRepraesentation,omitempty"`
	Regeln                                  []Regel   `json:"regeln,omitempty"`
	Meta                                    Metadaten `json:"meta"`
	Struktur                                []Child   `json:"struktur"`
}

// Title is the schema's display name: bezeichnung, else name.
func (s *Schema) Title() string {
	if s.Bezeichnung != "" {
		return s.Bezeichnung
	}
	return s.Name
}

// Walk calls fn for every struktur entry in document order, depth first,
// with the path of the entry's data key (see Path). It does not descend into
// a group for which fn returns false.
func (s *Schema) Walk(fn func(p Path, c *Child) bool) {
	var walk func(p Path, cs []Child)
	walk = func(p Path, cs []Child) {
		for i := range cs {
			c := &cs[i]
			cp := p.Key(c.Element.ID)
			if fn(cp, c) && c.Element.Kind == KindGroup {
				walk(cp, c.Element.Struktur)
			}
		}
	}
	walk(nil, s.Struktur)
}
