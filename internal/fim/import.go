// Package fim imports FIM data schemas: XDatenfelder 1, 2 and 3.0.0
// documents (Stammdatenschema, and the 3.0.0 Datenfeldgruppe message) into
// the version-independent model of package form, and OASIS genericode 1.0
// code lists into a catalogue that resolves their references.
//
// Sources: XDatenfelder 2.0 and 3.0.0 specifications (FIM Baustein
// Datenfelder; XRepository urn:xoev-de:fim:standard:xdatenfelder_2 and
// _3.0.0) and their XML Schemas (xdatenfelder.xsd and
// xdatenfelder-baukasten.xsd, versions 2.0 and 3.0.0; restated in xsd.go
// and checked on import), checked against real exports of the FIM portal;
// see shared/docs/standards.md §2 for the differences between the versions.
package fim

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// XDatenfelder namespaces.
const (
	NamespaceXDF1 = "urn:xoev-de:fim:standard:xdatenfelder_1"
	NamespaceXDF2 = "urn:xoev-de:fim:standard:xdatenfelder_2"
	NamespaceXDF3 = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"
)

// Root elements of the messages antrag reads.
const (
	rootSchemaXDF1 = "xdatenfelder.stammdatenschema.0102001"
	rootSchema     = "xdatenfelder.stammdatenschema.0102"
	rootGroup      = "xdatenfelder.datenfeldgruppe.0103"
)

// Options configure an import.
type Options struct {
	// Catalog resolves codelisteReferenz elements; nil means the catalogue
	// shipped inside the binary (DefaultCatalog).
	Catalog *Catalog
	Limits  Limits
	// Lenient imports an XDatenfelder 2 or 3.0.0 document that breaks the
	// standard's XML Schema with a warning per broken rule instead of
	// refusing it; for looking into documents the strict import refuses.
	Lenient bool
}

// Error is an import failure at a line of a file. Err says what is wrong in
// plain German. Column is the column in bytes (1-based) where the element
// that breaks a structural rule starts, 0 for other errors.
type Error struct {
	File   string
	Line   int
	Column int
	Err    error
}

func (e *Error) Error() string {
	if e.Line > 0 && e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnknownFormat is wrapped by the Error for a document that is not an
// XDatenfelder 1, 2 or 3.0.0 message that antrag reads.
var ErrUnknownFormat = errors.New("kein unterstütztes XDatenfelder-Dokument")

// ImportFile imports the XDatenfelder document at path. Errors are *Error.
func ImportFile(path string, opts Options) (*form.Schema, *Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &Error{File: path, Err: err}
	}
	defer f.Close()
	return Import(f, path, opts)
}

// Import reads one XDatenfelder document from r; file names it in the report
// and in errors. It returns the schema with every Codeliste reference that
// the catalogue knows resolved, and a report of what it found. Errors are
// *Error, with the line where the document is wrong: malformed XML, an
// unknown namespace or root element, a missing id, an unknown feldart or
// datentyp, a malformed anzahl, a Datenfeldgruppe that contains itself, two
// siblings with the same id, a nesting deeper than Limits.MaxDepth, or a
// document larger than Limits.MaxBytes.
//
// An XDatenfelder 2 or 3.0.0 document must also satisfy the standard's XML
// Schema (content models in xsd.go, checked in the same pass as the XML is
// read): element order and cardinality, required elements, attributes, the
// codes of the standard's code lists, unique codes within werte, and one
// content per id and version of a Datenfeld, Datenfeldgruppe or Regel. A
// violation is an *Error with line and column (Error.Column), except for
// violations that only concern life-cycle metadata (lenient.go), which
// yield a warning with code WarnStructure, as every violation does with
// Options.Lenient. XDatenfelder 1 documents are read without this check.
func Import(r io.Reader, file string, opts Options) (*form.Schema, *Report, error) {
	fail := func(err error) (*form.Schema, *Report, error) {
		var le *lineError
		if errors.As(err, &le) {
			return nil, nil, &Error{File: file, Line: le.line, Column: le.col, Err: le.err}
		}
		return nil, nil, &Error{File: file, Err: err}
	}
	cat := opts.Catalog
	if cat == nil {
		var err error
		if cat, err = DefaultCatalog(); err != nil {
			return fail(err)
		}
	}
	tr := &treeReader{limits: opts.Limits, lenient: opts.Lenient}
	root, err := tr.read(r)
	if err != nil {
		return fail(err)
	}
	report := &Report{File: filepath.Base(file)}
	if tr.check != nil {
		report.Warnings = tr.check.result()
	}
	m := &mapper{
		catalog: cat,
		report:  report,
		seen:    map[string]bool{},
		lists:   map[string]*form.Codeliste{},
		missing: map[string]int{},
	}
	s, err := m.document(root)
	if err != nil {
		return fail(err)
	}
	m.reportUnused(root)
	rep := m.report
	rep.ID, rep.Version, rep.XDFVersion, rep.Root, rep.Name = s.ID, s.Version, s.XDFVersion, string(s.Root), s.Name
	rep.Leistungsschluessel = nonNil(s.Leistungsschluessel)
	rep.CodelistsResolved = sortedKeys(m.lists, func(c *form.Codeliste) bool { return c != nil })
	rep.CodelistsMissing = sortedKeys(m.lists, func(c *form.Codeliste) bool { return c == nil })
	rep.sortWarnings()
	if rep.Warnings == nil {
		rep.Warnings = []Warning{}
	}
	return s, rep, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortedKeys(m map[string]*form.Codeliste, keep func(*form.Codeliste) bool) []string {
	out := []string{}
	for k, v := range m {
		if keep(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// mapper turns the node tree into the form model.
type mapper struct {
	version string // "1", "2.0" or "3.0.0"
	ns      string
	catalog *Catalog
	report  *Report

	ancestors []string                   // ids of the enclosing Datenfeldgruppen
	seen      map[string]bool            // kind:id@version, for the distinct counts
	lists     map[string]*form.Codeliste // canonical version URI → list, nil if missing
	missing   map[string]int             // canonical version URI → index of its warning
}

func errAt(n *node, format string, args ...any) error {
	return &lineError{line: n.line, err: fmt.Errorf(format, args...)}
}

func (m *mapper) document(root *node) (*form.Schema, error) {
	root.used = true
	switch root.space {
	case NamespaceXDF1:
		m.version = "1"
	case NamespaceXDF2:
		m.version = "2.0"
	case NamespaceXDF3:
		m.version = "3.0.0"
	default:
		return nil, errAt(root, "%w: unbekannter Namensraum %q des Wurzelelements %s (erwartet XDatenfelder 1, 2 oder 3.0.0)", ErrUnknownFormat, root.space, root.name)
	}
	m.ns = root.space
	switch {
	case m.version == "1" && root.name == rootSchemaXDF1,
		m.version != "1" && root.name == rootSchema:
		header := root.child("header")
		n := root.child("stammdatenschema")
		if n == nil {
			return nil, errAt(root, "%s enthält kein Element stammdatenschema", root.name)
		}
		return m.schema(n, header)
	case m.version == "3.0.0" && root.name == rootGroup:
		m.header(root.child("header"))
		n := root.child("datenfeldgruppe")
		if n == nil {
			return nil, errAt(root, "%s enthält kein Element datenfeldgruppe", root.name)
		}
		g, err := m.element(n, form.KindGroup)
		if err != nil {
			return nil, err
		}
		return &form.Schema{
			ID: g.ID, Version: g.Version, XDFVersion: m.version, Root: form.KindGroup,
			Name: g.Name, Bezeichnung: g.BezeichnungEingabe, Beschreibung: g.Beschreibung,
			Definition: g.Definition, Bezug: g.Bezug, Freigabestatus: g.Status,
			Struktur: []form.Child{{Anzahl: form.Anzahl{Min: 1, Max: 1}, Element: g}},
		}, nil
	}
	return nil, errAt(root, "%w: Wurzelelement %s ist in XDatenfelder %s keine unterstützte Nachricht", ErrUnknownFormat, root.name, m.version)
}

func (m *mapper) schema(n *node, header *node) (*form.Schema, error) {
	s := &form.Schema{XDFVersion: m.version, Root: "stammdatenschema"}
	s.ID, s.Version = m.identification(n)
	m.header(header)
	if m.version == "1" && header != nil {
		header.childText("fimId")
		s.Version = header.childText("version")
	}
	if s.ID == "" {
		return nil, errAt(n, "stammdatenschema ohne id")
	}
	if s.Version == "" {
		m.report.warn(WarnSchema, n.line, "stammdatenschema %s ohne version; die URI des JSON Schemas enthält dann keine Version", s.ID)
	}
	s.Name = n.childText("name")
	s.Bezeichnung = n.childText("bezeichnung")
	if s.Bezeichnung == "" {
		s.Bezeichnung = n.childText("bezeichnungEingabe")
	}
	s.Beschreibung = n.childText("beschreibung")
	s.Definition = n.childText("definition")
	s.Hilfetext = n.childText("hilfetext")
	s.Bezug = m.bezuege(n)
	s.Freigabestatus = m.status(n)
	if d := n.child("dokumentsteckbrief"); d != nil {
		s.Dokumentsteckbrief = d.childText("id")
	}
	s.Meta = m.meta(n)
	if a := n.child("ableitungsmodifikationenStruktur"); a != nil {
		s.AbleitungsmodifikationenStruktur = a.code()
	}
	if a := n.child("ableitungsmodifikationenRepraesentation"); a != nil {
		s.AbleitungsmodifikationenRepraesentation = a.code()
	}
	s.Leistungsschluessel = leistungsschluessel(s)
	regeln, err := m.regeln(n)
	if err != nil {
		return nil, err
	}
	s.Regeln = regeln
	if s.Struktur, err = m.struktur(n); err != nil {
		return nil, err
	}
	return s, nil
}

// header reads the message metadata into the report: which export of the
// FIM portal (or editorial system) the document is.
func (m *mapper) header(h *node) {
	if h == nil {
		return
	}
	m.report.MessageID = h.childText("nachrichtID")
	m.report.Created = h.childText("erstellungszeitpunkt")
	if d := h.childText("datum"); d != "" { // XDatenfelder 1
		m.report.Created = d
	}
}

// leikaRE finds a Leistungsschlüssel: 14 digits starting with 99 (LeiKa).
var leikaRE = regexp.MustCompile(`\b99[0-9]{12}\b`)

// leistungsschluessel collects the LeiKa keys that the schema's own texts
// name (FIM exports write them into beschreibung, e.g. "Leistungsschlüssel:
// 99006053006000"). XDatenfelder has no element for them; nothing is guessed.
func leistungsschluessel(s *form.Schema) []string {
	texts := []string{s.Beschreibung, s.Definition}
	for _, b := range s.Bezug {
		texts = append(texts, b.Text)
	}
	var keys []string
	for _, t := range texts {
		for _, k := range leikaRE.FindAllString(t, -1) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// identification returns id and version: identifikation/{id,version} in
// XDatenfelder 2 and 3, a plain id in 1.
func (m *mapper) identification(n *node) (id, version string) {
	if ident := n.child("identifikation"); ident != nil {
		return ident.childText("id"), ident.childText("version")
	}
	return n.childText("id"), ""
}

func (m *mapper) bezuege(n *node) []form.Bezug {
	var out []form.Bezug
	for _, b := range n.children("bezug") {
		link := b.attr("link")
		if t := b.value(); t != "" || link != "" {
			out = append(out, form.Bezug{Text: t, Link: link})
		}
	}
	return out
}

// meta reads the life-cycle metadata that schemas, elements and rules share.
func (m *mapper) meta(n *node) form.Metadaten {
	md := form.Metadaten{
		FachlicherErsteller:     n.childText("fachlicherErsteller"),
		Versionshinweis:         n.childText("versionshinweis"),
		StatusGesetztAm:         n.childText("statusGesetztAm"),
		StatusGesetztDurch:      n.childText("statusGesetztDurch"),
		Freigabedatum:           n.childText("freigabedatum"),
		Veroeffentlichungsdatum: n.childText("veroeffentlichungsdatum"),
		GueltigAb:               n.childText("gueltigAb"),
		GueltigBis:              n.childText("gueltigBis"),
		LetzteAenderung:         n.childText("letzteAenderung"),
	}
	for _, s := range n.children("stichwort") {
		md.Stichworte = append(md.Stichworte, form.Stichwort{URI: s.attr("uri"), Text: s.value()})
	}
	for _, r := range n.children("relation") {
		rel := form.Relation{}
		if p := r.child("praedikat"); p != nil {
			rel.Praedikat = p.code()
		}
		if o := r.child("objekt"); o != nil {
			rel.ObjektID, rel.ObjektVersion = o.childText("id"), o.childText("version")
		}
		md.Relationen = append(md.Relationen, rel)
	}
	return md
}

// statusLabels are the labels of urn:xoev-de:xprozess:codeliste:status,
// version 2022-07-12, which XDatenfelder 3 uses for freigabestatus.
var statusLabels = map[string]string{
	"1": "in Planung",
	"2": "in Bearbeitung",
	"3": "Entwurf",
	"4": "methodisch freigegeben",
	"5": "fachlich freigegeben (silber)",
	"6": "fachlich freigegeben (gold)",
	"7": "inaktiv",
	"8": "vorgesehen zum Löschen",
}

func (m *mapper) status(n *node) *form.Status {
	if s := n.child("freigabestatus"); s != nil {
		c := s.code()
		return &form.Status{Code: c, Label: statusLabels[c]}
	}
	if s := n.child("status"); s != nil {
		c := s.code()
		return &form.Status{Code: c, Label: c}
	}
	return nil
}

func (m *mapper) regeln(n *node) ([]form.Regel, error) {
	var out []form.Regel
	for _, r := range n.children("regel") {
		var g form.Regel
		g.ID, g.Version = m.identification(r)
		if g.ID == "" {
			return nil, errAt(r, "regel ohne id")
		}
		g.Name = r.childText("name")
		g.Beschreibung = r.childText("beschreibung")
		g.FreitextRegel = r.childText("freitextRegel")
		if g.FreitextRegel == "" {
			g.FreitextRegel = r.childText("definition")
		}
		g.Skript = r.childText("skript")
		if g.Skript == "" {
			g.Skript = r.childText("script")
		}
		if t := r.child("typ"); t != nil {
			g.Typ = t.code()
		}
		g.Bezug = m.bezuege(r)
		g.Status = m.status(r)
		g.Meta = m.meta(r)
		g.Line = r.line
		m.count("R", g.ID, g.Version)
		out = append(out, g)
	}
	return out, nil
}

func (m *mapper) count(kind, id, version string) {
	k := kind + ":" + id + "@" + version
	if m.seen[k] {
		return
	}
	m.seen[k] = true
	switch kind {
	case "G":
		m.report.Groups++
	case "F":
		m.report.Fields++
	case "R":
		m.report.Rules++
	}
}

func (m *mapper) struktur(n *node) ([]form.Child, error) {
	var out []form.Child
	ids := map[string]int{}
	for _, s := range n.children("struktur") {
		a := s.child("anzahl")
		if a == nil {
			return nil, errAt(s, "struktur ohne anzahl")
		}
		anz, err := form.ParseAnzahl(a.value())
		if err != nil {
			return nil, errAt(a, "%v", err)
		}
		c := form.Child{Anzahl: anz, Bezug: m.bezuege(s)}
		en := s.child("enthaelt")
		if en == nil {
			return nil, errAt(s, "struktur ohne enthaelt")
		}
		en.used = true
		g, f := en.children("datenfeldgruppe"), en.children("datenfeld")
		switch {
		case len(g) == 1 && len(f) == 0:
			c.Element, err = m.element(g[0], form.KindGroup)
		case len(f) == 1 && len(g) == 0:
			c.Element, err = m.element(f[0], form.KindField)
		default:
			return nil, errAt(en, "enthaelt muss genau eine datenfeldgruppe oder ein datenfeld enthalten")
		}
		if err != nil {
			return nil, err
		}
		if line, dup := ids[c.Element.ID]; dup {
			return nil, errAt(s, "%s kommt in derselben Gruppe zweimal vor (auch Zeile %d); die Daten wären nicht eindeutig zuzuordnen", c.Element.ID, line)
		}
		ids[c.Element.ID] = c.Element.Line
		out = append(out, c)
	}
	return out, nil
}

func (m *mapper) element(n *node, kind form.Kind) (*form.Element, error) {
	n.used = true
	e := &form.Element{Kind: kind, Line: n.line}
	e.ID, e.Version = m.identification(n)
	if e.ID == "" {
		return nil, errAt(n, "%s ohne id", kind)
	}
	e.Name = n.childText("name")
	e.BezeichnungEingabe = n.childText("bezeichnungEingabe")
	e.BezeichnungAusgabe = n.childText("bezeichnungAusgabe")
	e.HilfetextEingabe = n.childText("hilfetextEingabe")
	e.HilfetextAusgabe = n.childText("hilfetextAusgabe")
	e.Beschreibung = n.childText("beschreibung")
	e.Definition = n.childText("definition")
	e.Bezug = m.bezuege(n)
	e.Status = m.status(n)
	e.Meta = m.meta(n)
	if s := n.child("schemaelementart"); s != nil {
		e.Schemaelementart = s.code()
	}
	var err error
	if e.Regeln, err = m.regeln(n); err != nil {
		return nil, err
	}
	if kind == form.KindGroup {
		if slices.Contains(m.ancestors, e.ID) {
			return nil, errAt(n, "Referenzzyklus: Datenfeldgruppe %s enthält sich selbst (%s)", e.ID, strings.Join(append(slices.Clone(m.ancestors), e.ID), " → "))
		}
		m.ancestors = append(m.ancestors, e.ID)
		e.Struktur, err = m.struktur(n)
		m.ancestors = m.ancestors[:len(m.ancestors)-1]
		if err != nil {
			return nil, err
		}
		m.count("G", e.ID, e.Version)
		return e, nil
	}
	if err := m.field(n, e); err != nil {
		return nil, err
	}
	m.count("F", e.ID, e.Version)
	return e, nil
}

func (m *mapper) field(n *node, e *form.Element) error {
	fa := n.child("feldart")
	if fa == nil {
		return errAt(n, "Datenfeld %s ohne feldart", e.ID)
	}
	e.Feldart = form.Feldart(fa.code())
	if !slices.Contains(form.Feldarten, e.Feldart) {
		return errAt(fa, "Datenfeld %s: unbekannte feldart %q (erlaubt: input, select, label, hidden, locked)", e.ID, e.Feldart)
	}
	dt := n.child("datentyp")
	if dt == nil {
		return errAt(n, "Datenfeld %s ohne datentyp", e.ID)
	}
	e.Datentyp = form.Datentyp(dt.code())
	if !slices.Contains(form.Datentypen, e.Datentyp) {
		return errAt(dt, "Datenfeld %s: unbekannter datentyp %q (erlaubt: text, text_latin, date, time, datetime, bool, num, num_int, num_currency, file, obj)", e.ID, e.Datentyp)
	}
	e.Inhalt = n.childText("inhalt")
	if v := n.child("vorbefuellung"); v != nil {
		e.Vorbefuellung = v.code()
	}
	if err := m.praezisierung(n, e); err != nil {
		return err
	}
	if w := n.child("werte"); w != nil {
		for _, wert := range w.children("wert") {
			e.Werte = append(e.Werte, form.Wert{
				Code:  wert.childText("code"),
				Name:  wert.childText("name"),
				Hilfe: wert.childText("hilfe"),
			})
		}
	}
	m.codelist(n, e)
	if e.Feldart == form.FeldartSelect && len(e.Werte) == 0 && e.CodelisteRef == nil {
		m.report.warn(WarnSelect, n.line, "Auswahlfeld %s „%s“ hat weder Werte noch eine Codeliste; es nimmt Freitext an", e.ID, e.Name)
	}
	return nil
}

// codelist reads codelisteReferenz (XDatenfelder 2 and 3) or codeliste (1)
// and resolves it against the catalogue.
func (m *mapper) codelist(n *node, e *form.Element) {
	var ref form.CodelisteRef
	var at *node
	if r := n.child("codelisteReferenz"); r != nil {
		at = r
		if ident := r.child("identifikation"); ident != nil {
			ref.ID = ident.childText("id")
		}
		g := r
		if gi := r.child("genericodeIdentification"); gi != nil {
			g = gi
		}
		ref.CanonicalURI = g.childText("canonicalIdentification")
		ref.Version = g.childText("version")
		ref.CanonicalVersionURI = g.childText("canonicalVersionUri")
	} else if c := n.child("codeliste"); c != nil {
		at = c
		c.used = true
		ref.ID = c.childText("id")
		ref.CanonicalURI = c.childText("kennung")
		ref.Version = c.childText("version")
		// The list's own description in XDatenfelder 1; the catalogue's
		// genericode copy is authoritative.
		for _, k := range []string{"name", "bezeichnungEingabe", "beschreibung", "definition", "bezug", "langname"} {
			c.childText(k)
		}
		if s := c.child("status"); s != nil {
			s.code()
		}
	} else {
		return
	}
	if ref.CanonicalVersionURI == "" && ref.CanonicalURI != "" && ref.Version != "" {
		ref.CanonicalVersionURI = ref.CanonicalURI + "_" + ref.Version
	}
	if ref.CanonicalVersionURI == "" {
		ref.CanonicalVersionURI = ref.CanonicalURI
	}
	e.CodelisteRef = &ref
	key := ref.CanonicalVersionURI
	if cl, known := m.lists[key]; known {
		e.Codeliste = cl
		if cl == nil {
			m.report.Warnings[m.missing[key]].Count++
		}
		return
	}
	cl, ok := m.catalog.Resolve(ref)
	if ok {
		m.lists[key] = cl
		e.Codeliste = cl
		return
	}
	m.lists[key] = nil
	msg := fmt.Sprintf("Codeliste %q nicht im Katalog; betroffene Auswahlfelder (zuerst %s „%s“) nehmen Freitext an", key, e.ID, e.Name)
	if other := m.catalog.Versions(ref.CanonicalURI); len(other) > 0 {
		msg += fmt.Sprintf(" (im Katalog vorhanden: %s)", strings.Join(other, ", "))
	}
	m.report.warn(WarnCodelist, at.line, "%s", msg)
	m.missing[key] = len(m.report.Warnings) - 1
}

// reportUnused adds one warning per kind of element or attribute that the
// mapping left, with the number of places and the first line. Empty
// elements carry nothing and are not reported.
func (m *mapper) reportUnused(root *node) {
	type agg struct {
		line, count int
	}
	found := map[string]*agg{}
	var order []string
	note := func(key string, line int) {
		a, ok := found[key]
		if !ok {
			a = &agg{line: line}
			found[key] = a
			order = append(order, key)
		}
		a.count++
	}
	var walk func(n *node)
	walk = func(n *node) {
		for i, a := range n.attrs {
			if !n.attrUsed[i] {
				note(n.name+"@"+a.Name.Local, n.line)
			}
		}
		for _, k := range n.kids {
			if !k.used {
				if !k.empty() {
					note(n.name+"/"+k.name, k.line)
				}
				continue
			}
			walk(k)
		}
	}
	walk(root)
	for _, key := range order {
		a := found[key]
		m.report.Warnings = append(m.report.Warnings, Warning{
			Code: WarnUnused, Line: a.line, Count: a.count,
			Message: fmt.Sprintf("%s nicht übernommen (%d×)", key, a.count),
		})
	}
}

// empty reports whether a node carries nothing: no text, attributes or
// children.
func (n *node) empty() bool {
	return len(n.kids) == 0 && len(n.attrs) == 0 && strings.TrimSpace(n.text) == ""
}
