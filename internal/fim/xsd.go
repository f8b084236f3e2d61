package fim

import "regexp"

// Content models of the XDatenfelder 2.0 and 3.0.0 messages, checked on
// import (see check.go). They restate, as Go tables, the element sequences,
// choices, cardinalities, attributes, simple-type patterns and code lists
// of the standard's XML Schema, version by version:
//
//   - XDatenfelder 2.0: xdatenfelder.xsd, xdatenfelder-baukasten.xsd,
//     xdatenfelder-datentypen.xsd and xoev-code.xsd with version="2.0",
//     targetNamespace urn:xoev-de:fim:standard:xdatenfelder_2.
//   - XDatenfelder 3.0.0: the same four files with version="3.0.0",
//     targetNamespace urn:xoev-de:fim:standard:xdatenfelder_3.0.0.
//
// (Read from the copies in github.com/escalon/glykon @ 784489c,
// xdatenfelder/2.0 and xdatenfelder/3.0.0; no schema file is part of
// antrag.)
//
// The messages antrag reads are xdatenfelder.stammdatenschema.0102 (2.0 and
// 3.0.0) and xdatenfelder.datenfeldgruppe.0103 (3.0.0). Types that only
// other messages use (Dokumentsteckbrief, Codeliste, Übersetzung) are not
// in the tables.
//
// XDatenfelder 1 has no table: its documents are read as before, without
// the structural check.

// unbounded is maxOccurs="unbounded".
const unbounded = -1

// ctype is the content model of an element.
type ctype struct {
	name string // the schema's type name, for messages
	// content is the sequence of particles of a complex type; nil means
	// simple content (text), an empty slice an element without content.
	content  []particle
	attrs    []string          // allowed attributes, unqualified
	reqAttrs []string          // attributes with use="required"
	fixed    map[string]string // attributes with a fixed value
	list     *codeList         // code types: the codes allowed in code
	pattern  *regexp.Regexp    // simple types: the pattern of the text

	def       string // "Datenfeld", "Datenfeldgruppe", "Regel": one content per id and version
	identPart string // "id" or "version" inside an identifikation
	wertCode  bool   // the code of an inline wert: unique within its werte
	any       bool   // content not checked (below an element that is not allowed)
}

func (t *ctype) complex() bool { return t.content != nil }

func (t *ctype) allowsAttr(name string) bool {
	for _, a := range t.attrs {
		if a == name {
			return true
		}
	}
	return false
}

// particle is one step of a sequence: one element, or a choice between
// elements, that occurs min to max times.
type particle struct {
	names []string // one name, or the alternatives of a choice
	types []*ctype // the content model of each alternative
	min   int
	max   int // unbounded for no limit
	// unqualified: the element has no namespace (code in the XÖV code
	// types); otherwise it is in the document's namespace.
	unqualified bool
	// metadata marks elements that only describe the life cycle of an
	// element; see lenient.
	metadata bool
}

func (p *particle) index(name string) int {
	for i, n := range p.names {
		if n == name {
			return i
		}
	}
	return -1
}

// codeList is the code list of a code type: the listURI the schema fixes
// and the codes it allows (nil: any code, the list is versioned outside
// the schema).
type codeList struct {
	uri   string
	codes []string
}

func (l *codeList) allows(code string) bool {
	if l.codes == nil {
		return true
	}
	for _, c := range l.codes {
		if c == code {
			return true
		}
	}
	return false
}

// Builders for the tables.

func el(name string, t *ctype) particle {
	return particle{names: []string{name}, types: []*ctype{t}, min: 1, max: 1}
}

func opt(p particle) particle  { p.min = 0; return p }
func many(p particle) particle { p.min, p.max = 0, unbounded; return p }
func some(p particle) particle { p.max = unbounded; return p }
func meta(p particle) particle { p.metadata = true; return p }

func choice(min, max int, ps ...particle) particle {
	c := particle{min: min, max: max}
	for _, p := range ps {
		c.names = append(c.names, p.names...)
		c.types = append(c.types, p.types...)
	}
	return c
}

func seq(parts ...[]particle) []particle {
	out := []particle{}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// textType is text without attributes (xs:string, xs:token,
// String.Latin).
var textType = &ctype{name: "Text"}

// anyType accepts anything below an element that was itself not allowed.
var anyType = &ctype{name: "beliebig", content: []particle{}, any: true}

// codeType is a restriction of the XÖV code type (xoev-code:Code 1.0) to
// its element code, without namespace (the optional name of the base type
// is not part of the restriction), and the attributes listURI, fixed to the
// list's URI, and listVersionID, fixed to version or, where the schema
// leaves the version open (version ""), required.
func codeType(name string, list *codeList, version string) *ctype {
	code := el("code", textType)
	code.unqualified = true
	t := &ctype{name: name, content: []particle{code}, attrs: []string{"listURI", "listVersionID"}, list: list,
		fixed: map[string]string{"listURI": list.uri}}
	if version == "" {
		t.reqAttrs = []string{"listVersionID"}
	} else {
		t.fixed["listVersionID"] = version
	}
	return t
}

// identType is ElementIdentifikation: id and an optional version.
func identType(version *ctype) *ctype {
	return &ctype{name: "ElementIdentifikation", content: []particle{
		el("id", &ctype{name: "xs:token", identPart: "id"}),
		opt(el("version", version)),
	}}
}

// patternType is a simple type with a pattern. XSD patterns match the
// whole value; the ones used here mean the same in Go's syntax.
func patternType(name, pattern string) *ctype {
	return &ctype{name: name, pattern: regexp.MustCompile(`^(?:` + pattern + `)$`)}
}

// versionType is the VersionString of an identifikation with its pattern,
// which differs between the versions of the standard.
func versionType(pattern string) *ctype {
	t := patternType("VersionString", pattern)
	t.identPart = "version"
	return t
}

// Simple types of the schema (xdatenfelder-datentypen.xsd) and of XML
// Schema that the tables check.
var (
	anzahlType   = patternType("AnzahlString", `\d+:(\*|\d+)`)
	mediaType    = patternType("PatternString", `\w+/[-+.\w]+`)
	dateType     = patternType("xs:date", `-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?`)
	dateTimeType = patternType("xs:dateTime", `-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?`)
	positiveInt  = patternType("xs:positiveInteger", `\+?0*[1-9]\d*`)
)

// Code lists the schema fixes: their URIs and, where the schema enumerates
// them, the codes.
var (
	listAbleitungStruktur = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.ableitungsmodifikationenStruktur", codes: []string{"0", "1", "2", "3"}}
	listAbleitungRepr     = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.ableitungsmodifikationenRepraesentation", codes: []string{"0", "1"}}
	listSchemaelementart  = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.schemaelementart", codes: []string{"ABS", "HAR", "RNG"}}

	// XDatenfelder 2.0.
	listStatus2   = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.status", codes: []string{"aktiv", "inaktiv", "inVorbereitung"}}
	listFeldart2  = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.feldart", codes: []string{"input", "label", "select"}}
	listDatentyp2 = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.datentyp", codes: []string{"bool", "date", "file", "num", "num_currency", "num_int", "obj", "text"}}

	// XDatenfelder 3.0.0. Code.Freigabestatus leaves the codes to the list
	// urn:xoev-de:xprozess:codeliste:status; its version 2022-07-12, the
	// one the FIM portal names, has the codes 1 to 8.
	listFreigabestatus = &codeList{uri: "urn:xoev-de:xprozess:codeliste:status", codes: []string{"1", "2", "3", "4", "5", "6", "7", "8"}}
	listFeldart3       = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.feldart", codes: []string{"hidden", "input", "label", "locked", "select"}}
	listDatentyp3      = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.datentyp", codes: []string{"bool", "date", "datetime", "file", "num", "num_currency", "num_int", "obj", "text", "text_latin", "time"}}
	listVorbefuellung  = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.vorbefuellung", codes: []string{"keine", "optional", "verpflichtend"}}
	listRegeltyp       = &codeList{uri: "urn:xoev-de:fim:codeliste:xdatenfelder.regeltyp", codes: []string{"B", "K", "M", "V"}}
	listGruppenart     = &codeList{uri: "urn:xoev-de:fim:codeliste:datenfelder.gruppenart", codes: []string{"X"}}
	listDatenqualitaet = &codeList{uri: "urn:xoev-de:fim:codeliste:datenfelder.datenqualitaet", codes: []string{"PROD", "TEST"}}
	// Code.Relation leaves the codes to the list, whose version the
	// document names.
	listRelation = &codeList{uri: "urn:xoev-de:fim-datenfelder:codeliste:relation"}
)

// grammar is the content model of one version of the standard: the message
// types by root element.
type grammar struct {
	version string
	roots   map[string]*ctype
}

var grammarXDF2, grammarXDF3 = buildXDF2(), buildXDF3()

// buildXDF2 follows xdatenfelder-baukasten.xsd and xdatenfelder.xsd 2.0.
func buildXDF2() *grammar {
	header := &ctype{name: "Header", content: []particle{
		el("nachrichtID", textType),
		el("erstellungszeitpunkt", dateTimeType),
		opt(el("referenzID", textType)),
	}}
	ident := identType(versionType(`\d+\.\d+`))
	// AllgemeineAngaben.
	allgemein := []particle{
		el("identifikation", ident),
		el("name", textType),
		el("bezeichnungEingabe", textType),
		opt(el("bezeichnungAusgabe", textType)),
		el("beschreibung", textType),
		el("definition", textType),
		el("bezug", textType),
		el("status", codeType("Code.Status", listStatus2, "1.0")),
		meta(opt(el("gueltigAb", dateType))),
		meta(opt(el("gueltigBis", dateType))),
		meta(opt(el("fachlicherErsteller", textType))),
		meta(opt(el("versionshinweis", textType))),
		meta(opt(el("freigabedatum", dateType))),
		meta(opt(el("veroeffentlichungsdatum", dateType))),
	}
	// Schemaelementangaben.
	schemaelement := []particle{
		el("schemaelementart", codeType("Code.Schemaelementart", listSchemaelementart, "1.0")),
		el("hilfetextEingabe", textType),
		el("hilfetextAusgabe", textType),
	}
	regel := &ctype{name: "Regel", def: "Regel"}
	regel.content = seq(allgemein, []particle{el("script", textType)})
	gi := &ctype{name: "GenericodeIdentification", content: []particle{
		el("canonicalIdentification", textType),
		el("version", textType),
		el("canonicalVersionUri", textType),
	}}
	clRef := &ctype{name: "CodelisteReferenz", content: []particle{
		el("identifikation", ident),
		el("genericodeIdentification", gi),
	}}
	feld := &ctype{name: "Datenfeld", def: "Datenfeld"}
	feld.content = seq(allgemein, schemaelement, []particle{
		el("feldart", codeType("Code.Feldart", listFeldart2, "1.0")),
		el("datentyp", codeType("Code.Datentyp", listDatentyp2, "1.0")),
		el("praezisierung", textType), // a JSON object as text
		el("inhalt", textType),
		opt(el("codelisteReferenz", clRef)),
		many(el("regel", regel)),
	})
	gruppe := &ctype{name: "Datenfeldgruppe", def: "Datenfeldgruppe"}
	enthaelt := &ctype{name: "Enthaelt", content: []particle{
		choice(1, 1, el("datenfeld", feld), el("datenfeldgruppe", gruppe)),
	}}
	struktur := &ctype{name: "Struktur", content: []particle{
		el("anzahl", anzahlType),
		el("bezug", textType),
		el("enthaelt", enthaelt),
	}}
	gruppe.content = seq(allgemein, schemaelement, []particle{
		many(el("regel", regel)),
		many(el("struktur", struktur)),
	})
	schema := &ctype{name: "Stammdatenschema"}
	schema.content = seq(allgemein, []particle{
		opt(el("hilfetext", textType)),
		el("ableitungsmodifikationenStruktur", codeType("Code.AbleitungsmodifikationenStruktur", listAbleitungStruktur, "1.0")),
		el("ableitungsmodifikationenRepraesentation", codeType("Code.AbleitungsmodifikationenRepraesentation", listAbleitungRepr, "1.0")),
		many(el("regel", regel)),
		many(el("struktur", struktur)),
	})
	return &grammar{version: "2.0", roots: map[string]*ctype{
		rootSchema: {name: rootSchema, content: []particle{el("header", header), el("stammdatenschema", schema)}},
	}}
}

// buildXDF3 follows xdatenfelder-baukasten.xsd and xdatenfelder.xsd 3.0.0.
func buildXDF3() *grammar {
	header := &ctype{name: "Header", content: []particle{
		el("nachrichtID", textType),
		el("erstellungszeitpunkt", dateTimeType),
		opt(el("referenzID", textType)),
		opt(el("produktbezeichnung", textType)),
		opt(el("produkthersteller", textType)),
		opt(el("produktversion", textType)),
		opt(el("datenqualitaet", codeType("Code.Datenqualitaet", listDatenqualitaet, "1.0"))),
	}}
	ident := identType(versionType(`\d+\.\d+\.\d+`))
	bezug := &ctype{name: "Rechtsbezug", attrs: []string{"link"}}
	stichwort := &ctype{name: "Stichwort", attrs: []string{"uri"}, reqAttrs: []string{"uri"}}
	relation := &ctype{name: "Relation", content: []particle{
		el("praedikat", codeType("Code.Relation", listRelation, "")),
		el("objekt", identType(versionType(`\d+\.\d+\.\d+`))),
	}}
	// AllgemeineAngaben.
	allgemein := []particle{
		el("identifikation", ident),
		el("name", textType),
		opt(el("beschreibung", textType)),
		opt(el("definition", textType)),
		many(el("bezug", bezug)),
		el("freigabestatus", codeType("Code.Freigabestatus", listFreigabestatus, "")),
		meta(opt(el("statusGesetztAm", dateType))),
		meta(opt(el("statusGesetztDurch", textType))),
		meta(opt(el("gueltigAb", dateType))),
		meta(opt(el("gueltigBis", dateType))),
		meta(opt(el("versionshinweis", textType))),
		meta(opt(el("veroeffentlichungsdatum", dateType))),
		el("letzteAenderung", dateTimeType),
		meta(many(el("relation", relation))),
		meta(many(el("stichwort", stichwort))),
	}
	// Schemaelementangaben.
	schemaelement := []particle{
		el("bezeichnungEingabe", textType),
		opt(el("bezeichnungAusgabe", textType)),
		el("schemaelementart", codeType("Code.Schemaelementart", listSchemaelementart, "1.0")),
		opt(el("hilfetextEingabe", textType)),
		opt(el("hilfetextAusgabe", textType)),
	}
	paramTyp := &ctype{name: "RegelParamTyp", list: &codeList{codes: []string{"anzahl", "objekt", "selektor", "wert"}}}
	param := &ctype{name: "RegelParameter", attrs: []string{"element", "name"}, reqAttrs: []string{"element", "name"},
		content: []particle{el("typ", paramTyp)}}
	ziel := &ctype{name: "RegelZiel", content: []particle{}, attrs: []string{"element", "name"}, reqAttrs: []string{"element", "name"}}
	fehler := &ctype{name: "Fehlermeldung", attrs: []string{"code"}, reqAttrs: []string{"code"}}
	regel := &ctype{name: "Regel", def: "Regel", content: []particle{
		el("identifikation", ident),
		el("name", textType),
		opt(el("beschreibung", textType)),
		opt(el("freitextRegel", textType)),
		many(el("bezug", bezug)),
		meta(many(el("stichwort", stichwort))),
		meta(opt(el("fachlicherErsteller", textType))),
		el("letzteAenderung", dateTimeType),
		el("typ", codeType("Code.Regeltyp", listRegeltyp, "1.0")),
		many(el("param", param)),
		many(el("ziel", ziel)),
		opt(el("skript", textType)),
		many(el("fehler", fehler)),
	}}
	wert := &ctype{name: "Wert", content: []particle{
		el("code", &ctype{name: "xs:token", wertCode: true}),
		el("name", textType),
		opt(el("hilfe", textType)),
	}}
	werte := &ctype{name: "Werteliste", content: []particle{some(el("wert", wert))}}
	clRef := &ctype{name: "GenericodeIdentification", content: []particle{
		opt(el("canonicalIdentification", textType)),
		opt(el("version", textType)),
		opt(el("canonicalVersionUri", textType)),
	}}
	praezisierung := &ctype{name: "Praezisierung", attrs: []string{"minLength", "maxLength", "minValue", "maxValue", "pattern"}}
	feld := &ctype{name: "Datenfeld", def: "Datenfeld"}
	feld.content = seq(allgemein, schemaelement, []particle{
		el("feldart", codeType("Code.Feldart", listFeldart3, "2.0")),
		el("datentyp", codeType("Code.Datentyp", listDatentyp3, "2.0")),
		opt(el("praezisierung", praezisierung)),
		opt(el("inhalt", textType)),
		el("vorbefuellung", codeType("Code.Vorbefuellung", listVorbefuellung, "1.0")),
		opt(el("werte", werte)),
		opt(el("codelisteReferenz", clRef)),
		opt(el("codeKey", textType)),
		opt(el("nameKey", textType)),
		opt(el("helpKey", textType)),
		many(el("regel", regel)),
		opt(el("maxSize", positiveInt)),
		many(el("mediaType", mediaType)),
	})
	gruppe := &ctype{name: "Datenfeldgruppe", def: "Datenfeldgruppe"}
	enthaelt := &ctype{name: "Enthaelt", content: []particle{
		choice(1, 1, el("datenfeld", feld), el("datenfeldgruppe", gruppe)),
	}}
	struktur := &ctype{name: "Struktur", content: []particle{
		el("anzahl", anzahlType),
		many(el("bezug", bezug)),
		el("enthaelt", enthaelt),
	}}
	gruppe.content = seq(allgemein, schemaelement, []particle{
		opt(el("art", codeType("Code.Gruppenart", listGruppenart, "1.0"))),
		many(el("regel", regel)),
		some(el("struktur", struktur)),
	})
	schema := &ctype{name: "Stammdatenschema"}
	schema.content = seq(allgemein, []particle{
		el("bezeichnung", textType),
		opt(el("hilfetext", textType)),
		el("ableitungsmodifikationenStruktur", codeType("Code.AbleitungsmodifikationenStruktur", listAbleitungStruktur, "1.0")),
		el("ableitungsmodifikationenRepraesentation", codeType("Code.AbleitungsmodifikationenRepraesentation", listAbleitungRepr, "1.0")),
		el("dokumentsteckbrief", identType(versionType(`\d+\.\d+\.\d+`))),
		many(el("regel", regel)),
		some(el("struktur", struktur)),
	})
	return &grammar{version: "3.0.0", roots: map[string]*ctype{
		rootSchema: {name: rootSchema, content: []particle{el("header", header), el("stammdatenschema", schema)}},
		rootGroup:  {name: rootGroup, content: []particle{el("header", header), el("datenfeldgruppe", gruppe)}},
	}}
}
