package fim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/maphash"
	"strings"
)

// checker validates an XDatenfelder 2.0 or 3.0.0 document against the
// content models of xsd.go while the tree is read: one call per start tag,
// end tag and text, in the same pass as the decoding.
//
// It checks element order and cardinality (sequence, choice, minOccurs,
// maxOccurs), required elements, allowed and required attributes, fixed
// attribute values (listURI, listVersionID), the codes the schema allows
// for the standard's code lists, the patterns of the simple types
// (AnzahlString, VersionString, dates), text in element-only content,
// unique codes within werte, and that a Datenfeld, Datenfeldgruppe or Regel
// that occurs more than once with the same id and version has the same
// content each time.
//
// A violation is an error (*lineError with line and column of the element
// concerned), unless it only concerns life-cycle metadata (lenient.go) or
// Options.Lenient is set: then it is a warning with code WarnStructure,
// aggregated per rule and element.
type checker struct {
	g        *grammar
	ns       string
	lenient  bool // Options.Lenient: every violation is a warning
	frames   []cframe
	defs     map[string]defSeen // kind, id, version → first definition
	warnings map[string]*Warning
	order    []string
	// curMeta: the element being checked is life-cycle metadata or inside
	// it; violations there are lenient.
	curMeta bool
}

// cframe is the state of one open element.
type cframe struct {
	name      string
	t         *ctype
	line, col int
	pos       int    // index of the current particle in t.content
	count     int    // occurrences of the current particle so far
	hash      uint64 // of the element's name, attributes, text and children
	attrHash  uint64
	id, ver   string
	codes     map[string]int // werte: code → line of its first wert
	textNoted bool
	meta      bool // inside life-cycle metadata (see lenient)
}

type defSeen struct {
	hash uint64
	line int
}

// violation is one broken rule. rule names it for the aggregation of
// warnings and for lenient.
type violation struct {
	rule      string
	line, col int
	msg       string
	meta      bool // concerns life-cycle metadata only
}

// Rules, as named in warnings.
const (
	ruleUnexpected = "unerwartetes Element"
	ruleOrder      = "Reihenfolge"
	ruleTooMany    = "Anzahl"
	ruleMissing    = "Pflichtelement"
	ruleAttribute  = "Attribut"
	ruleFixed      = "fester Attributwert"
	ruleCode       = "Code"
	ruleValue      = "Wert"
	ruleText       = "Text"
	ruleDupValue   = "doppelter Wert"
	ruleDupDef     = "doppelte Definition"
)

// newChecker returns the checker for a document with the root element, nil
// for XDatenfelder 1 and for messages antrag does not read (the mapper
// reports those).
func newChecker(space, name string, lenient bool) *checker {
	var g *grammar
	switch space {
	case NamespaceXDF2:
		g = grammarXDF2
	case NamespaceXDF3:
		g = grammarXDF3
	default:
		return nil
	}
	if g.roots[name] == nil {
		return nil
	}
	return &checker{g: g, ns: space, lenient: lenient, defs: map[string]defSeen{}, warnings: map[string]*Warning{}}
}

// display names an element as the standard writes it.
func (c *checker) display(space, name string) string {
	switch space {
	case c.ns:
		return "„xdf:" + name + "“"
	case "":
		return "„" + name + "“"
	}
	return "„" + name + "“ (Namensraum " + space + ")"
}

func (c *checker) displayParticle(p *particle) string {
	var names []string
	for _, n := range p.names {
		if p.unqualified {
			names = append(names, n)
		} else {
			names = append(names, "xdf:"+n)
		}
	}
	return strings.Join(names, " | ")
}

// where describes the enclosing element for messages, with its id once
// known.
func (c *checker) where(f *cframe) string {
	s := c.display(c.ns, f.name)
	if f.id != "" {
		s += " " + f.id
		if f.ver != "" {
			s += " Version " + f.ver
		}
	}
	return s
}

// expected lists what may come next in f.
func (c *checker) expected(f *cframe) string {
	var out []string
	for i := f.pos; i < len(f.t.content); i++ {
		p := &f.t.content[i]
		n := 0
		if i == f.pos {
			n = f.count
		}
		if p.max == unbounded || n < p.max {
			out = append(out, c.displayParticle(p))
		}
		if n < p.min {
			return strings.Join(out, ", ")
		}
	}
	out = append(out, "Ende von "+c.display(c.ns, f.name))
	return strings.Join(out, ", ")
}

// violate reports a violation of rule at line:col.
func (c *checker) violate(rule string, line, col int, format string, args ...any) error {
	return c.report(violation{rule: rule, line: line, col: col, msg: fmt.Sprintf(format, args...)})
}

// report handles a violation: an error unless lenient.
func (c *checker) report(v violation) error {
	v.meta = v.meta || c.curMeta
	if !c.lenient && !lenient(v) {
		return &lineError{line: v.line, col: v.col, err: fmt.Errorf("%s", v.msg)}
	}
	key := v.rule + "\x00" + warningKey(v.msg)
	if w, ok := c.warnings[key]; ok {
		w.Count++
		return nil
	}
	rule := v.rule
	if v.meta && rule != ruleOrderMetadata {
		rule += ", Metadaten"
	}
	c.warnings[key] = &Warning{Code: WarnStructure, Line: v.line, Column: v.col, Count: 1, Message: "XSD-Regel „" + rule + "“: " + v.msg}
	c.order = append(c.order, key)
	return nil
}

// warningKey drops what differs between places of the same violation (ids,
// versions, codes, lines) so that warnings aggregate per rule and element.
func warningKey(msg string) string {
	var b strings.Builder
	inQuote := false
	for _, r := range msg {
		switch {
		case r == '„':
			inQuote = true
			b.WriteRune(r)
		case r == '“':
			inQuote = false
			b.WriteRune(r)
		case inQuote:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// result returns the aggregated warnings, in the order first seen.
func (c *checker) result() []Warning {
	out := make([]Warning, 0, len(c.order))
	for _, k := range c.order {
		w := *c.warnings[k]
		if w.Count > 1 {
			w.Message += fmt.Sprintf(" (%d×)", w.Count)
		}
		out = append(out, w)
	}
	return out
}

// fnvPrime is the FNV-1a 64-bit prime, for folding hashes into one.
const fnvPrime = 1099511628211

// textSeed seeds the hashes of names and texts; hashes are compared within
// one process only.
var textSeed = maphash.MakeSeed()

// hashToken hashes s with every run of whitespace as one space, as
// xs:token sees it: the same element indented differently hashes the same.
func hashToken(s string) uint64 {
	if strings.ContainsAny(s, "\n\t\r") || strings.Contains(s, "  ") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return maphash.String(textSeed, s)
}

func fnvUint(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

// start handles a start tag at line:col.
func (c *checker) start(name xml.Name, attrs []xml.Attr, line, col int) error {
	t, err := c.place(name, line, col)
	if err != nil {
		return err
	}
	f := cframe{name: name.Local, t: t, line: line, col: col, hash: maphash.String(textSeed, name.Local), meta: c.curMeta}
	if name.Space != c.ns {
		f.hash = fnvUint(f.hash, maphash.String(textSeed, name.Space))
	}
	for _, a := range attrs {
		// Attributes hash independently of their order.
		f.attrHash += fnvUint(maphash.String(textSeed, a.Name.Space+" "+a.Name.Local), maphash.String(textSeed, a.Value))
		if t.any {
			continue
		}
		if a.Name.Space != "" || !t.allowsAttr(a.Name.Local) {
			allowed := "keine"
			if len(t.attrs) > 0 {
				allowed = strings.Join(t.attrs, ", ")
			}
			if err := c.violate(ruleAttribute, line, col, "Attribut „%s“ ist an %s nicht erlaubt (erlaubt: %s)", a.Name.Local, c.display(name.Space, name.Local), allowed); err != nil {
				return err
			}
			continue
		}
		if want, ok := t.fixed[a.Name.Local]; ok && strings.TrimSpace(a.Value) != want {
			if err := c.violate(ruleFixed, line, col, "Attribut „%s“ an %s ist „%s“; das XSD legt „%s“ fest", a.Name.Local, c.display(name.Space, name.Local), strings.TrimSpace(a.Value), want); err != nil {
				return err
			}
		}
	}
	for _, req := range t.reqAttrs {
		found := false
		for _, a := range attrs {
			found = found || (a.Name.Space == "" && a.Name.Local == req)
		}
		if !found {
			if err := c.violate(ruleAttribute, line, col, "An %s fehlt das Pflichtattribut „%s“", c.display(name.Space, name.Local), req); err != nil {
				return err
			}
		}
	}
	c.frames = append(c.frames, f)
	return nil
}

// place finds the content model of a new element in its parent's sequence
// and advances the parent.
func (c *checker) place(name xml.Name, line, col int) (*ctype, error) {
	c.curMeta = false
	if len(c.frames) == 0 {
		return c.g.roots[name.Local], nil
	}
	f := &c.frames[len(c.frames)-1]
	c.curMeta = f.meta
	if f.t.any {
		return anyType, nil
	}
	if !f.t.complex() {
		return anyType, c.violate(ruleUnexpected, line, col, "Element %s ist hier nicht erlaubt: %s enthält nur Text", c.display(name.Space, name.Local), c.where(f))
	}
	matches := func(p *particle) int {
		if p.unqualified != (name.Space == "") || (!p.unqualified && name.Space != c.ns) {
			return -1
		}
		return p.index(name.Local)
	}
	content := f.t.content
	for i := f.pos; i < len(content); i++ {
		p := &content[i]
		k := matches(p)
		if k < 0 {
			continue
		}
		c.curMeta = f.meta || p.metadata
		if i == f.pos && f.count > 0 {
			if p.max != unbounded && f.count >= p.max {
				// Too many: the element stays where it is.
				f.count++
				return p.types[k], c.violate(ruleTooMany, line, col, "Element %s kommt in %s zu oft vor (höchstens %d-mal erlaubt)", c.display(name.Space, name.Local), c.where(f), p.max)
			}
			f.count++
			return p.types[k], nil
		}
		// Skipping particles: each must already have its minimum.
		var err error
		for j := f.pos; j < i; j++ {
			n := 0
			if j == f.pos {
				n = f.count
			}
			if n < content[j].min {
				err = c.violate(ruleMissing, line, col, "In %s fehlt %s vor %s", c.where(f), c.displayParticle(&content[j]), c.display(name.Space, name.Local))
				break
			}
		}
		if err != nil {
			return p.types[k], err
		}
		f.pos, f.count = i, 1
		return p.types[k], nil
	}
	for i := 0; i < f.pos && i < len(content); i++ {
		p := &content[i]
		if k := matches(p); k >= 0 {
			c.curMeta = f.meta || p.metadata
			rule := ruleOrder
			if p.metadata {
				rule = ruleOrderMetadata
			}
			return p.types[k], c.violate(rule, line, col, "Element %s steht in %s an falscher Stelle (erwartet: %s)", c.display(name.Space, name.Local), c.where(f), c.expected(f))
		}
	}
	return anyType, c.violate(ruleUnexpected, line, col, "Element %s ist in %s nicht erlaubt (erwartet: %s)", c.display(name.Space, name.Local), c.where(f), c.expected(f))
}

// text handles character data inside the innermost open element.
func (c *checker) text(b []byte, line, col int) error {
	if len(c.frames) == 0 {
		return nil
	}
	f := &c.frames[len(c.frames)-1]
	c.curMeta = f.meta
	if !f.t.complex() || f.t.any || f.textNoted || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	f.textNoted = true
	return c.violate(ruleText, line, col, "%s darf keinen Text enthalten", c.where(f))
}

// end handles the end tag of the innermost element; text is the element's
// text if it has no children.
func (c *checker) end(text string) error {
	f := &c.frames[len(c.frames)-1]
	defer func() { c.frames = c.frames[:len(c.frames)-1] }()
	c.curMeta = f.meta
	t := f.t
	value := strings.TrimSpace(text)
	h := fnvUint(fnvUint(f.hash, hashToken(value)), f.attrHash)
	var parent, grand *cframe
	if n := len(c.frames); n >= 2 {
		parent = &c.frames[n-2]
		parent.hash = fnvUint(parent.hash, h)
	}
	if n := len(c.frames); n >= 3 {
		grand = &c.frames[n-3]
	}
	if t.any {
		return nil
	}
	// Required elements that never came.
	for j := f.pos; j < len(t.content); j++ {
		n := 0
		if j == f.pos {
			n = f.count
		}
		if n < t.content[j].min {
			if err := c.violate(ruleMissing, f.line, f.col, "In %s fehlt %s", c.where(f), c.displayParticle(&t.content[j])); err != nil {
				return err
			}
		}
	}
	if t.pattern != nil && !t.pattern.MatchString(value) {
		if err := c.violate(ruleValue, f.line, f.col, "„%s“ ist in %s kein gültiger Wert (Typ %s)", value, c.display(c.ns, f.name), t.name); err != nil {
			return err
		}
	}
	if t.list != nil && !t.complex() && !t.list.allows(value) {
		return c.violate(ruleCode, f.line, f.col, "Ungültiger Code „%s“ in %s (erlaubt: %s)", value, c.display(c.ns, f.name), strings.Join(t.list.codes, ", "))
	}
	switch {
	case t.identPart != "" && parent != nil && parent.name == "identifikation" && grand != nil:
		if t.identPart == "id" {
			grand.id = value
		} else {
			grand.ver = value
		}
	case f.name == "code" && parent != nil && parent.t.list != nil && parent.t.complex():
		if !parent.t.list.allows(value) {
			return c.violate(ruleCode, f.line, f.col, "Ungültiger Code „%s“ in %s (erlaubt: %s; Codeliste %s)", value, c.display(c.ns, parent.name), strings.Join(parent.t.list.codes, ", "), parent.t.list.uri)
		}
	case t.wertCode && grand != nil:
		if grand.codes == nil {
			grand.codes = map[string]int{}
		}
		if first, dup := grand.codes[value]; dup {
			return c.violate(ruleDupValue, f.line, f.col, "Code „%s“ kommt in „xdf:werte“ zweimal vor (zuerst Zeile %d); die Auswahl wäre nicht eindeutig", value, first)
		}
		grand.codes[value] = f.line
	case t.def != "" && f.id != "":
		key := t.def + "\x00" + f.id + "\x00" + f.ver
		if first, ok := c.defs[key]; !ok {
			c.defs[key] = defSeen{hash: h, line: f.line}
		} else if first.hash != h {
			return c.violate(ruleDupDef, f.line, f.col, "%s %s Version %s ist zweimal mit unterschiedlichem Inhalt definiert (zuerst Zeile %d)", t.def, f.id, f.ver, first.line)
		}
	}
	return nil
}
