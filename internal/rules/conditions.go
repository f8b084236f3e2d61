package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// Productions of conditions: subjects, predicates, comparisons with values
// and lists of values, and the JSON Logic they build.

// subject is what a comparison is about.
type subject struct {
	kind   string // elem, datediff, any, all, only
	nodes  []*node
	single *node // only: the one field that may be set
	// group is set when the nodes are a group's fields ("mindestens ein
	// Feld der Feldgruppe"): fields that cannot hold the compared value
	// (a text field when the value is "wahr") are left out.
	group bool
}

func (p *ruleParser) subject() (*subject, error) {
	p.accept("bei")
	t := p.peek(0)
	switch {
	case t.kind == tokOp || t.is("gleich", "ungleich", "größer", "kleiner"):
		// "… <> 001 und <> 002", "ungleich A und ungleich B": the element
		// of the comparison before.
		if p.lastSubject == nil {
			return nil, p.fail("Vergleich ohne Element: „%s“", p.rest())
		}
		return p.lastSubject, nil
	case t.punct("("):
		if !p.peek(1).is("aktuelles") {
			return nil, p.fail("Klammer nicht verstanden: „%s“", p.rest())
		}
		p.pos += 2
		if !p.accept("datum") || !(p.next().text == "-") {
			return nil, p.fail("erwartet „aktuelles Datum - …“")
		}
		n, err := p.expectRef()
		if err != nil {
			return nil, err
		}
		if !p.acceptPunct(")") {
			return nil, p.fail("erwartet „)“ nach %s", n.el.ID)
		}
		return &subject{kind: "datediff", nodes: []*node{n}}, nil
	case t.is("mindestens"):
		// mindestens ein Feld der Feldgruppe G
		p.pos++
		p.accept("ein", "eines", "einer")
		p.accept("feld")
		p.accept("der", "aus")
		g, err := p.expectRef()
		if err != nil {
			return nil, err
		}
		return &subject{kind: "any", nodes: dataFields(g), group: true}, nil
	case t.is("eines", "einer"):
		// eines der (folgenden) Felder A, B, C
		p.pos++
		p.accept("der")
		p.accept("folgenden")
		p.accept("felder")
		ns, err := p.refList()
		if err != nil {
			return nil, err
		}
		return &subject{kind: "any", nodes: ns}, nil
	case t.is("alle"):
		p.pos++
		if _, ok := numberWords[p.peek(0).lower]; ok {
			p.pos++
		}
		p.accept("felder")
		ns, err := p.refList()
		if err != nil {
			return nil, err
		}
		return &subject{kind: "all", nodes: ns}, nil
	case t.is("die") && p.peek(1).is("ersten"):
		// die ersten vier Felder der Feldgruppe G
		p.pos += 2
		k, ok := numberWords[p.next().lower]
		if !ok {
			return nil, p.fail("Anzahl der ersten Felder nicht verstanden")
		}
		p.accept("felder")
		p.accept("der")
		g, err := p.expectRef()
		if err != nil {
			return nil, err
		}
		fs := dataFields(g)
		if len(fs) < k {
			return nil, p.fail("%s hat keine %d Felder", g.el.ID, k)
		}
		return &subject{kind: "all", nodes: fs[:k], group: true}, nil
	case t.is("aus"):
		// aus der Feldgruppe G als einziges Feld das Feld F
		// aus der Feldgruppe G mindestens ein weiteres Feld als das Feld F
		p.pos++
		g, err := p.expectRef()
		if err != nil {
			return nil, err
		}
		switch {
		case p.accept("als"):
			if !p.accept("einziges") {
				return nil, p.fail("„als …“ nicht verstanden")
			}
			p.accept("feld")
			f, err := p.expectRef()
			if err != nil {
				return nil, err
			}
			return &subject{kind: "only", nodes: dataFields(g), single: f, group: true}, nil
		case p.accept("mindestens"):
			p.accept("ein")
			p.accept("weiteres")
			p.accept("feld")
			p.accept("als")
			f, err := p.expectRef()
			if err != nil {
				return nil, err
			}
			var others []*node
			for _, n := range dataFields(g) {
				if n != f {
					others = append(others, n)
				}
			}
			return &subject{kind: "any", nodes: others, group: true}, nil
		}
		return nil, p.fail("„aus der Feldgruppe …“ nicht verstanden: „%s“", p.rest())
	}
	n, err := p.expectRef()
	if err != nil {
		return nil, err
	}
	// "F1, F2 oder F3 befüllt ist": several elements, one predicate.
	if nx := p.peek(0); (nx.is("oder", "und") || nx.punct(",")) && p.refAheadAt(1) {
		kind := "any"
		ns := []*node{n}
		for {
			save := p.pos
			p.acceptPunct(",")
			j := p.peek(0)
			if !j.is("oder", "und") && p.pos == save {
				break
			}
			p.accept("oder", "und")
			if !p.refAhead() {
				p.pos = save
				break
			}
			if j.is("und") {
				kind = "all"
			}
			m, err := p.expectRef()
			if err != nil {
				return nil, err
			}
			ns = append(ns, m)
		}
		// Only a predicate that fits every element takes the list: an
		// operator or a statement of being filled.
		if t := p.peek(0); t.is("befüllt", "leer", "nicht", "ist", "sind", "bejaht", "ausgewählt") || t.kind == tokOp {
			return &subject{kind: kind, nodes: ns}, nil
		}
		return nil, p.fail("Aufzählung von Elementen ohne gemeinsame Aussage: „%s“", p.rest())
	}
	return &subject{kind: "elem", nodes: []*node{n}}, nil
}

// condition reads a condition up to "dann", a verb, "sonst" or the end:
// comparisons joined by UND (binding closer) and ODER.
func (p *ruleParser) condition() (any, error) {
	return p.orExpr()
}

func (p *ruleParser) orExpr() (any, error) {
	left, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	xs := []any{left}
	for {
		save := p.pos
		p.acceptPunct(",")
		if !p.accept("oder") {
			p.pos = save
			break
		}
		right, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		xs = append(xs, right)
	}
	return or(xs...), nil
}

func (p *ruleParser) andExpr() (any, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	xs := []any{left}
	for {
		save := p.pos
		p.acceptPunct(",")
		if !p.accept("und") || isVerb(p.peek(0)) {
			p.pos = save
			break
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		xs = append(xs, right)
	}
	return and(xs...), nil
}

func (p *ruleParser) unary() (any, error) {
	if p.landConditionAhead() {
		return p.landCondition()
	}
	if p.peek(0).is("auswahl") || (p.peek(0).is("bei") && p.peek(1).is("auswahl")) {
		return p.selection()
	}
	if p.peek(0).is("nicht") && p.refAheadAt(1) {
		// "Wenn nicht F = wahr": the negated comparison.
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return not(x), nil
	}
	if p.peek(0).punct("(") && !p.peek(1).is("aktuelles") {
		p.pos++
		x, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if !p.acceptPunct(")") {
			return nil, p.fail("erwartet „)“ bei „%s“", p.rest())
		}
		return x, nil
	}
	s, err := p.subject()
	if err != nil {
		return nil, err
	}
	p.lastSubject = s
	return p.predicate(s)
}

// selection reads a value chosen in an element, the value first: "(bei)
// Auswahl von "Sonstiges" in F", "Auswahl des Wertes 999 im Feld F".
func (p *ruleParser) selection() (any, error) {
	p.accept("bei")
	p.accept("auswahl")
	p.accept("von", "des", "der")
	p.accept("wert", "wertes", "werts")
	vt := p.next()
	if vt.kind != tokNumber && vt.kind != tokString && vt.kind != tokWord {
		return nil, p.fail("Auswahl ohne Wert: „%s“", p.rest())
	}
	// The name after a code, up to the element.
	for k := 0; k < 12 && !p.refAhead() && !p.atEnd(); k++ {
		p.pos++
	}
	n, err := p.expectRef()
	if err != nil {
		return nil, err
	}
	s := &subject{kind: "elem", nodes: []*node{n}}
	p.lastSubject = s
	return p.each(s, func(n *node) (any, error) {
		v, err := p.literal(n, vt)
		if err != nil {
			return nil, err
		}
		return p.eqLit(n, v), nil
	})
}

// predicate reads what is said about a subject and builds the condition.
func (p *ruleParser) predicate(s *subject) (any, error) {
	p.accept("ist", "sind", "wird", "wurde")
	t := p.peek(0)
	switch {
	case t.kind == tokOp:
		p.pos++
		o := t.text
		if (o == "=" || o == "==") && p.peek(0).kind == tokOp && (p.peek(0).text == "<" || p.peek(0).text == ">") {
			o = p.next().text // "= < 18 Jahre"
		}
		x, err := p.compare(s, o)
		if err != nil {
			return nil, err
		}
		p.accept("ausgewählt", "angegeben") // "= 999 (Sonstiges) gewählt wurde"
		p.aux()
		return x, nil
	case t.is("in") && p.peek(1).punct("(") && s.kind == "elem":
		// "F IN (121000, 340000)"
		p.pos += 2
		vt := p.next()
		x, err := p.valueList(s, "=", vt)
		if err != nil {
			return nil, err
		}
		if !p.acceptPunct(")") {
			return nil, p.fail("erwartet „)“ bei „%s“", p.rest())
		}
		p.aux()
		return x, nil
	case t.is("ein", "einen", "eine") && p.peek(1).is("anderen") && p.peek(2).is("wert") && p.peek(3).is("als") && s.kind == "elem":
		// "in F ein anderer Wert als 002 gewählt wurde": a value, not 002
		p.pos += 4
		x, err := p.compare(s, "<>")
		if err != nil {
			return nil, err
		}
		p.accept("hat", "besitzt", "enthält", "aufweist", "ausgewählt", "angegeben")
		p.aux()
		return and(filled(vr(s.nodes[0].path)), x), nil
	case t.is("einen", "eine") && p.peek(1).is("anderen") && s.kind == "elem":
		// "F einen anderen Wert hat": the complement of the values named
		x, err := p.compare(s, "=")
		if err != nil {
			return nil, err
		}
		p.accept("hat", "besitzt", "enthält", "aufweist", "ausgewählt", "angegeben")
		p.aux()
		return x, nil
	case t.is("einen", "keinen") && p.peek(1).is("wert", "eintrag"):
		// "F einen Wert enthält", "F keinen Eintrag hat"
		p.pos += 2
		p.accept("hat", "enthält", "besitzt", "aufweist")
		p.aux()
		return p.each(s, func(n *node) (any, error) {
			if t.is("keinen") {
				return not(filled(vr(n.path))), nil
			}
			return filled(vr(n.path)), nil
		})
	case t.is("gleich", "ungleich") || (t.is("größer", "kleiner") && (p.peek(1).is("als", "gleich") || p.peek(1).kind == tokNumber ||
		(p.peek(1).is("oder") && p.peek(2).is("gleich")))):
		// "X gleich 001", "X ungleich 001", "X größer als 5", "X kleiner
		// gleich 5", "X kleiner oder gleich 5"
		o := map[string]string{"gleich": "=", "ungleich": "<>", "größer": ">", "kleiner": "<"}[t.lower]
		p.pos++
		if o == ">" || o == "<" {
			if p.peek(0).is("oder") && p.peek(1).is("gleich") {
				p.pos++
			}
			if p.accept("gleich") {
				o += "="
			} else {
				p.accept("als")
			}
		}
		x, err := p.compare(s, o)
		if err != nil {
			return nil, err
		}
		p.aux()
		return x, nil
	case t.is("der", "den", "dem") && p.peek(1).is("wert", "eintrag"):
		// "den Wert 001 hat", "der Wert "Ja" ausgewählt wurde", "mit dem Wert V befüllt ist"
		p.pos += 2
		x, err := p.compare(s, "=")
		if err != nil {
			return nil, err
		}
		p.accept("hat", "besitzt", "enthält", "ausgewählt", "angegeben", "befüllt")
		p.aux()
		return x, nil
	case t.is("wahr", "falsch", "ja", "nein") && s.kind == "elem" && s.nodes[0].el.Kind == form.KindField &&
		(s.nodes[0].el.Datentyp == form.DatentypBool || s.nodes[0].el.HasCodes()):
		// "X ist wahr", "X ist Nein"
		return p.compare(s, "=")
	case t.is("ein", "eine", "einen", "kein", "keine", "keinen") && s.kind == "elem" && strings.Contains(p.peek(1).lower, "staat"):
		return p.setMembership(s.nodes[0])
	case t.is("zwischen") && p.peek(1).kind == tokNumber && p.peek(2).is("und") && p.peek(3).kind == tokNumber:
		// "F zwischen 1 und 5 liegt": both bounds included.
		lo, _ := strconv.ParseFloat(p.peek(1).text, 64)
		hi, _ := strconv.ParseFloat(p.peek(3).text, 64)
		p.pos += 4
		p.accept("liegt", "liegen")
		p.aux()
		return p.each(s, func(n *node) (any, error) {
			if n.el.Kind != form.KindField || !n.el.Datentyp.Numeric() || n.repeats() {
				return nil, p.fail("„zwischen“ für %s, das kein Zahlenfeld ist", n.el.ID)
			}
			return and(filled(vr(n.path)), op("<=", lo, vr(n.path), hi)), nil
		})
	case t.is("weder") && s.kind == "elem" && p.isValue(s, p.peek(1)):
		// "F weder 121000 noch 340000 ist": none of the values.
		p.pos++
		x, err := p.valueList(s, "<>", p.next())
		if err != nil {
			return nil, err
		}
		p.accept("ausgewählt", "angegeben") // "weder „GbR“ noch „GmbH i.G.“ ausgewählt wurde"
		p.aux()
		return x, nil
	case t.is("leer"):
		p.pos++
		p.aux()
		return p.each(s, func(n *node) (any, error) { return not(filled(vr(n.path))), nil })
	case t.is("nicht"):
		p.pos++
		switch {
		case p.accept("leer"):
			p.aux()
			return p.each(s, func(n *node) (any, error) { return filled(vr(n.path)), nil })
		case p.accept("befüllt", "ausgefüllt", "angegeben"):
			p.aux()
			return p.each(s, func(n *node) (any, error) { return not(filled(vr(n.path))), nil })
		case p.peek(0).is("ausgewählt", "bejaht") && s.kind == "elem":
			// "nicht angekreuzt", "nicht bejaht": anything but yes.
			p.pos++
			p.accept("ist", "wurde", "wird")
			return p.each(s, func(n *node) (any, error) {
				if n.el.Datentyp != form.DatentypBool && !n.el.HasCodes() {
					return not(filled(vr(n.path))), nil
				}
				v, err := p.literal(n, token{kind: tokWord, text: "ja", lower: "ja"})
				if err != nil {
					return nil, err
				}
				return p.neqLit(n, v), nil
			})
		case s.kind == "elem" && (p.isValue(s, p.peek(0)) || p.peek(0).is("wahr", "falsch") && s.nodes[0].el.Datentyp == form.DatentypBool):
			// 'nicht "Ja" ist', "nicht wahr ist": different from the value.
			x, err := p.compare(s, "<>")
			if err != nil {
				return nil, err
			}
			p.aux()
			return x, nil
		case p.peek(0).is("mit") && s.kind == "elem":
			// 'nicht mit "Ja" beantwortet wurde': the negated 'mit "Ja"'.
			x, err := p.predicate(s)
			if err != nil {
				return nil, err
			}
			return not(x), nil
		case p.peek(0).kind == tokOp || p.peek(0).is("gleich", "größer", "kleiner"):
			// "nicht = 001", "nicht größer als 5": the negated comparison.
			x, err := p.predicate(s)
			if err != nil {
				return nil, err
			}
			return not(x), nil
		}
		return nil, p.fail("„nicht …“ nicht verstanden: „%s“", p.rest())
	case t.is("befüllt", "ausgefüllt"):
		p.pos++
		p.aux()
		return p.each(s, func(n *node) (any, error) { return filled(vr(n.path)), nil })
	case t.is("ausgewählt", "verneint") && s.kind == "elem":
		// "F angekreuzt ist", "F verneint wurde": a yes/no field.
		p.pos++
		p.accept("wurde", "ist", "wird")
		return p.each(s, func(n *node) (any, error) {
			word := "ja"
			if t.is("verneint") {
				word = "nein"
			}
			if t.is("ausgewählt") && n.el.Datentyp != form.DatentypBool {
				return filled(vr(n.path)), nil
			}
			v, err := p.literal(n, token{kind: tokWord, text: word, lower: word})
			if err != nil {
				return nil, err
			}
			return p.eqLit(n, v), nil
		})
	case t.is("bejaht"):
		p.pos++
		p.accept("wurde", "ist")
		return p.each(s, func(n *node) (any, error) {
			v, err := p.literal(n, token{kind: tokWord, text: "ja", lower: "ja"})
			if err != nil {
				return nil, err
			}
			return p.eqLit(n, v), nil
		})
	case t.is("mit"):
		// mit "Ja" belegt ist
		p.pos++
		vt := p.next()
		p.accept("befüllt") // "belegt", "beantwortet"
		p.aux()
		return p.each(s, func(n *node) (any, error) {
			v, err := p.literal(n, vt)
			if err != nil {
				return nil, err
			}
			return p.eqLit(n, v), nil
		})
	case (t.kind == tokString || t.kind == tokNumber || t.kind == tokWord) && s.kind == "elem" && p.isCode(s.nodes[0], t) &&
		!p.peek(1).is("angegeben", "ausgewählt") && !(p.peek(1).kind == tokString && p.peek(2).is("angegeben", "ausgewählt")):
		// "Wenn F 01 Natürliche Person, dann …": a code without operator;
		// 'wenn in F "A" oder "B" ausgewählt wurde': several.
		x, err := p.compare(s, "=")
		if err != nil {
			return nil, err
		}
		if p.accept("ausgewählt", "angegeben") {
			p.accept("wurde", "wird", "ist")
		}
		return x, nil
	case t.kind == tokString || t.kind == tokNumber:
		// bei F "02 …" angegeben wird
		vt := p.next()
		if vt.kind == tokNumber && p.peek(0).kind == tokString {
			p.pos++
		}
		if !p.accept("angegeben", "ausgewählt", "gewählt") {
			return nil, p.fail("Wert ohne Vergleich: „%s“", p.rest())
		}
		p.accept("wird", "ist")
		return p.each(s, func(n *node) (any, error) {
			v, err := p.literal(n, vt)
			if err != nil {
				return nil, err
			}
			return p.eqLit(n, v), nil
		})
	}
	return nil, p.fail("Vergleich nicht verstanden: „%s“", p.rest())
}

// setMembership reads membership in a named set of states (sets.txt):
//
//	[in F] ein Staat gewählt wird, der [nicht] zur EU, zum EWR oder zur Schweiz gehört
//	[in F] ein Staat außerhalb der EU oder des EWR gewählt wird
//	[F ist] ein (Mitglied)staat der EU, ein EU-Staat, ein Nicht-EU-Staat
//
// The sets named are joined. For an element that repeats (several
// nationalities), the positive form holds when one of the entries belongs
// to the sets, and the negated form is its complement: none belongs.
// "Drittstaat" is refused: whether it excludes only the EU or also the EWR
// and Switzerland depends on the law the form serves.
func (p *ruleParser) setMembership(n *node) (any, error) {
	// "ein", or "kein": the negated form ("kein EU-Staat gewählt wurde")
	neg := p.next().is("kein", "keine", "keinen")
	noun := p.next()
	low := noun.lower
	if strings.HasPrefix(low, "nicht-") {
		neg, low = !neg, strings.TrimPrefix(low, "nicht-")
	}
	if strings.HasPrefix(low, "dritt") {
		return nil, p.fail("„%s“ ist nicht eindeutig (außerhalb der EU, oder auch des EWR und der Schweiz?); die Regel braucht eine Korrektur", noun.text)
	}
	var sets []string
	if i := strings.LastIndex(low, "-"); i > 0 {
		// "EU-Staat", "EWR-Mitgliedstaat"
		set, k := namedSets.match([]token{{kind: tokWord, text: low[:i]}})
		if k == 0 {
			return nil, p.fail("Menge von Staaten „%s“ nicht bekannt", noun.text)
		}
		sets = append(sets, set)
	}
	switch {
	case p.accept("außerhalb"):
		neg = !neg
		sets = append(sets, p.setList()...)
	case p.peek(0).is("der", "des"):
		sets = append(sets, p.setList()...)
	}
	p.accept("ausgewählt", "angegeben")
	p.accept("wird", "ist", "wurde")
	if len(sets) == 0 {
		p.acceptPunct(",")
		p.accept("der", "die", "das", "welcher", "welche")
		if p.accept("nicht", "weder") {
			neg = !neg // "der nicht zur EU gehört", "der weder zur EU noch zum EWR gehört"
		}
		sets = p.setList()
		if len(sets) == 0 {
			return nil, p.fail("Menge von Staaten nicht verstanden: „%s“", p.rest())
		}
		if !p.accept("gehört") {
			return nil, p.fail("erwartet „gehört“ bei „%s“", p.rest())
		}
	}
	codes, err := namedSets.codes(n, sets)
	if err != nil {
		return nil, p.fail("%v", err)
	}
	var in any
	if n.repeats() {
		var xs []any
		for _, c := range codes {
			xs = append(xs, op("in", c, vr(n.path)))
		}
		in = or(xs...)
	} else {
		in = op("in", vr(n.path), codes)
	}
	if neg {
		return and(filled(vr(n.path)), not(in)), nil
	}
	return in, nil
}

// setList reads names of sets of states joined by commas, ODER and UND,
// each after an optional article ("zur EU, zum EWR oder zur Schweiz", "der
// Europäischen Union oder des EWR").
func (p *ruleParser) setList() []string {
	var sets []string
	articles := []string{"zur", "zum", "zu", "der", "den", "dem", "des"}
	for {
		save := p.pos
		p.accept(articles...)
		set, k := namedSets.match(p.toks[min(p.pos, len(p.toks)):])
		if k == 0 {
			p.pos = save
			return sets
		}
		sets = append(sets, set)
		p.pos += k
		save = p.pos
		p.acceptPunct(",")
		p.accept("oder", "und", "noch")
		p.accept(articles...)
		if s, k := namedSets.match(p.toks[min(p.pos, len(p.toks)):]); s == "" || k == 0 {
			p.pos = save
			return sets
		}
		p.pos = save
		p.acceptPunct(",")
		p.accept("oder", "und", "noch")
	}
}

// aux skips the auxiliary verb that ends a condition ("… befüllt ist",
// "… ausgewählt wurde"), but not one that begins an effect ("Bei X = 1
// ist Y zu befüllen"): only before a comma, DANN, UND, ODER, a closing
// parenthesis or the end.
func (p *ruleParser) aux() {
	if !p.peek(0).is("ist", "sind", "wurde", "wird", "wurden", "werden") {
		return
	}
	nx := p.peek(1)
	if p.pos+1 >= len(p.toks) || nx.punct(",") || nx.punct(")") || nx.is("dann", "und", "oder") {
		p.pos++
	}
}

// each applies build to every node of the subject and combines: any for
// "mindestens eines", all for "alle"; an element subject has one node.
func (p *ruleParser) each(s *subject, build func(*node) (any, error)) (any, error) {
	var xs []any
	for _, n := range s.nodes {
		x, err := build(n)
		if err != nil {
			if s.group {
				continue
			}
			return nil, err
		}
		xs = append(xs, x)
	}
	if len(xs) == 0 {
		return nil, p.fail("kein Feld der Gruppe passt zum Vergleich")
	}
	switch s.kind {
	case "any":
		return or(xs...), nil
	case "elem", "all", "datediff":
		return and(xs...), nil
	}
	return nil, p.fail("Vergleich nicht verstanden")
}

// compare reads the value after an operator and builds the comparison.
func (p *ruleParser) compare(s *subject, o string) (any, error) {
	switch o {
	case "===", "==":
		o = "="
	case "!=":
		o = "<>"
	}
	// Time spans: "(aktuelles Datum - F) > 6 Jahre", "G (Geburtsdatum) < 18 Jahre".
	if p.peek(0).kind == tokNumber && p.peek(1).is("jahre", "jahr", "jahren", "tage", "tag", "tagen") {
		nt, unit := p.next(), p.next()
		n, _ := strconv.Atoi(nt.text)
		return p.span(s, o, float64(n), strings.HasPrefix(unit.lower, "jahr"))
	}
	// "= leer", "<> leer"
	if p.peek(0).is("leer") && (o == "=" || o == "<>") {
		p.pos++
		return p.each(s, func(n *node) (any, error) {
			if o == "=" {
				return not(filled(vr(n.path))), nil
			}
			return filled(vr(n.path)), nil
		})
	}
	// "= alle anderen (möglichen) Ausprägungen (der Codeliste)", "= einen
	// anderen Wert"
	if p.peek(0).is("alle", "einen", "eine", "ein") && p.peek(1).is("anderen") {
		p.pos += 2
		for p.accept("möglichen", "wert", "der", "codeliste") {
		}
		if o != "=" || s.kind != "elem" {
			return nil, p.fail("„alle anderen Ausprägungen“ nur mit „=“ verstanden")
		}
		n := s.nodes[0]
		x := logic{}
		p.others = append(p.others, othersRef{expr: x, v: n.path})
		return x, nil
	}
	vt := p.next()
	if s.kind != "only" && s.kind != "datediff" {
		return p.valueList(s, o, vt)
	}
	if vt.kind == tokNumber && p.peek(0).kind == tokString {
		p.pos++ // 001 "in Deutschland": the code with its name
	}
	if s.kind == "only" {
		if o != "=" {
			return nil, p.fail("„als einziges Feld“ nur mit „=“ verstanden")
		}
		v, err := p.literal(s.single, vt)
		if err != nil {
			return nil, err
		}
		xs := []any{p.eqLit(s.single, v)}
		for _, n := range s.nodes {
			if n == s.single {
				continue
			}
			if w, err := p.literal(n, vt); err == nil && w == v {
				xs = append(xs, p.neqLit(n, v))
			}
		}
		return and(xs...), nil
	}
	return p.compareValue(s, o, vt)
}

// compareValue compares every element of the subject with one value, as
// written in vt, by operator o (=, <>, <, >, <=, >=).
func (p *ruleParser) compareValue(s *subject, o string, vt token) (any, error) {
	return p.each(s, func(n *node) (any, error) {
		v, err := p.literal(n, vt)
		if err != nil {
			return nil, err
		}
		switch o {
		case "=":
			return p.eqLit(n, v), nil
		case "<>":
			return p.neqLit(n, v), nil
		case "<", ">", "<=", ">=":
			if _, isNum := v.(float64); !isNum || n.repeats() {
				return nil, p.fail("„%s“ mit einem Wert, der keine Zahl ist", o)
			}
			return and(filled(vr(n.path)), op(o, vr(n.path), v)), nil
		}
		return nil, p.fail("Operator %s nicht verstanden", o)
	})
}

// valueList reads the values compared with a subject, the first (vt)
// already taken: each value may carry its name ("003 - Änderung der
// Anschrift", 001 "liegt vor", "S Eintragung im Stiftungsverzeichnis"),
// and further values follow after ODER, UND or a comma ("= 121000 GbR UND
// 340000 GmbH i.G. UND …"). "=" with a list means one of the values;
// "<>" none of them. For an element that repeats, "= A UND B" means both
// are among its entries.
func (p *ruleParser) valueList(s *subject, o string, vt token) (any, error) {
	vals := []token{vt}
	joins := []string{}
	p.skipValueName(s, vt)
	for {
		save := p.pos
		p.acceptPunct(",")
		j := p.peek(0)
		if p.pos > save && p.isValue(s, j) && !(p.peek(1).kind == tokOp && p.peek(1).text != "-") {
			// "= 001, 002 oder 003": a comma alone separates too.
			j = token{kind: tokWord, text: ",", lower: "oder"}
			p.pos--
		}
		if (j.is("oder", "und") || j.is("noch") && o == "<>") && p.isValue(s, p.peek(1)) && !(p.peek(2).kind == tokOp && p.peek(2).text != "-") {
			p.pos++
			v := p.next()
			vals = append(vals, v)
			joins = append(joins, j.lower)
			p.skipValueName(s, v)
			continue
		}
		p.pos = save
		break
	}
	var xs []any
	for _, v := range vals {
		x, err := p.compareValue(s, o, v)
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	if len(xs) == 1 {
		return xs[0], nil
	}
	if o != "=" && o != "<>" {
		return nil, p.fail("„%s“ mit mehreren Werten", o)
	}
	all := o == "<>"
	if o == "=" && s.kind == "elem" && s.nodes[0].repeats() && !slices.Contains(joins, "oder") {
		all = true
	}
	if all {
		return and(xs...), nil
	}
	return or(xs...), nil
}

// isCode reports whether t spells one of the codes of element n.
func (p *ruleParser) isCode(n *node, t token) bool {
	if n == nil || n.el == nil || n.el.Kind != form.KindField || !n.el.HasCodes() {
		return false
	}
	if t.kind != tokNumber && t.kind != tokString && t.kind != tokWord {
		return false
	}
	_, err := p.literal(n, t)
	return err == nil
}

// isValue reports whether t can start another value for subject s: a
// number, a quoted string, or a word that is one of the element's codes.
func (p *ruleParser) isValue(s *subject, t token) bool {
	switch t.kind {
	case tokNumber, tokString:
		return true
	case tokWord:
		return len(s.nodes) > 0 && p.isCode(s.nodes[0], t)
	}
	return false
}

// skipValueName skips the name written after a code: '001 "liegt vor"',
// "003 - Änderung der Anschrift", "340000 GmbH i.G.". It stops before
// what cannot belong to a name: an operator, an element, a comma, a verb,
// DANN, WENN, or ODER/UND followed by another value, an element or an
// operator.
func (p *ruleParser) skipValueName(s *subject, vt token) {
	defer p.skipParenthesised()
	if p.peek(0).punct("(") {
		return
	}
	if vt.kind == tokString && !(p.peek(0).kind == tokOp && p.peek(0).text == "-") {
		return // the value is the quoted text itself
	}
	if vt.kind == tokNumber && p.peek(0).kind == tokString {
		p.pos++
		return
	}
	if vt.kind == tokWord && !(len(s.nodes) > 0 && s.nodes[0].el != nil && s.nodes[0].el.HasCodes()) {
		return // "wahr", "ja": no code, no name
	}
	if p.peek(0).kind == tokOp && p.peek(0).text == "-" {
		p.pos++
	}
	for k := 0; k < 16; k++ {
		t := p.peek(0)
		switch {
		case p.atEnd(), t.kind == tokOp, t.kind == tokRef, t.punct(","), t.punct(")"), t.punct(";"),
			t.is("dann", "wenn", "sonst", "wobei", "dabei", "ist", "sind", "zulässig", "ausgewählt", "angegeben"), isVerb(t),
			isComparison(t), t.is("in", "im", "für") && isLand(p.peek(1)):
			return
		case t.is("oder", "und"):
			nx := p.peek(1)
			if p.isValue(s, nx) || nx.kind == tokOp || nx.kind == tokRef || p.refAheadAt(1) || isComparison(nx) {
				return
			}
		}
		p.pos++
	}
}

// isComparison reports whether t compares or negates ("ungleich",
// "größer", "nicht", "kein"): never part of the name of a value, since
// skipping it would change what the condition says.
func isComparison(t token) bool {
	return t.is("gleich", "ungleich", "größer", "kleiner", "nicht", "kein", "keine", "keinen", "weder", "noch", "außer")
}

// skipParenthesised skips a name in parentheses after a value: = "001"
// (Antragsteller). A parenthesis that holds an element or an operator is
// part of the condition and stays.
func (p *ruleParser) skipParenthesised() {
	if !p.peek(0).punct("(") {
		return
	}
	for k := 1; k < 16; k++ {
		t := p.peek(k)
		switch {
		case t.kind == tokRef || t.kind == tokOp || p.pos+k >= len(p.toks):
			return
		case t.punct(")"):
			p.pos += k + 1
			return
		}
	}
}

// eqLit compares element n with a value: equal, or for an element that
// repeats (its variable is the list of entries), one of the entries equal.
func (p *ruleParser) eqLit(n *node, v any) logic {
	p.literals[n.path] = append(p.literals[n.path], v)
	if n.repeats() {
		return op("in", v, vr(n.path))
	}
	return eq(vr(n.path), v)
}

// neqLit is the negation of eqLit: different, or no entry equal.
func (p *ruleParser) neqLit(n *node, v any) logic {
	if n.repeats() {
		return not(op("in", v, vr(n.path)))
	}
	return neq(vr(n.path), v)
}

// span builds a comparison of a time span: between a date field and today
// ("(aktuelles Datum - F) > 6 Jahre"), or the age of a day/month/year group
// ("G60000000083 Geburtsdatum (teilbekannt) < 18 Jahre").
func (p *ruleParser) span(s *subject, o string, n float64, years bool) (any, error) {
	if s.kind != "datediff" && s.kind != "elem" {
		return nil, p.fail("Zeitspanne nicht verstanden")
	}
	if o == "<>" {
		o = "!="
	} else if o == "=" {
		o = "=="
	}
	f := s.nodes[0]
	var date any
	var present any
	switch {
	case f.el.Kind == form.KindField && f.el.Datentyp == form.DatentypDate:
		date, present = vr(f.path), filled(vr(f.path))
	case f.el.Kind == form.KindGroup:
		d, m, y := partialDate(f)
		if y == nil {
			return nil, p.fail("%s ist weder ein Datum noch eine Gruppe aus Tag, Monat und Jahr", f.el.ID)
		}
		parts := []any{vr(y.path), nil, nil}
		if m != nil {
			parts[1] = vr(m.path)
		}
		if d != nil {
			parts[2] = vr(d.path)
		}
		date, present = op("date", parts...), filled(vr(y.path))
	default:
		return nil, p.fail("%s ist kein Datum", f.el.ID)
	}
	fn := "days_between"
	if years {
		fn = "years_between"
	}
	return and(present, op(o, op(fn, date, vr(VarToday)), n)), nil
}

// partialDate finds the day, month and year fields of a group such as
// G60000000083 "Geburtsdatum (teilbekannt)", by their names.
func partialDate(g *node) (day, month, year *node) {
	for _, f := range dataFields(g) {
		name := strings.ToLower(f.el.Name)
		switch {
		case strings.HasPrefix(name, "tag"):
			day = f
		case strings.HasPrefix(name, "monat"):
			month = f
		case strings.HasPrefix(name, "jahr"):
			year = f
		}
	}
	return
}

// literal turns a value as written into the typed value the data holds for
// element n: a code string for a field with codes, a boolean for bool, a
// number for number types, text otherwise.
func (p *ruleParser) literal(n *node, t token) (any, error) {
	raw := t.text
	e := n.el
	if e.Kind != form.KindField {
		return nil, p.fail("Vergleich einer Gruppe (%s) mit einem Wert", e.ID)
	}
	low := strings.ToLower(strings.TrimSpace(raw))
	yes := low == "ja" || low == "wahr" || low == "true"
	no := low == "nein" || low == "falsch" || low == "false"
	if e.HasCodes() {
		codes := e.Codes()
		for _, w := range codes {
			if w.Code == raw {
				return w.Code, nil
			}
		}
		// "001 Auskunft wurde bereits beantragt": the code and its name.
		if f := strings.Fields(raw); len(f) > 0 {
			for _, w := range codes {
				if w.Code == f[0] {
					return w.Code, nil
				}
			}
		}
		for _, w := range codes {
			if strings.EqualFold(strings.TrimSpace(w.Name), strings.TrimSpace(raw)) || strings.EqualFold(strings.Trim(w.Name, " ."), strings.Trim(raw, " .")) {
				return w.Code, nil
			}
		}
		if t.kind == tokNumber {
			want, _ := strconv.Atoi(raw)
			for _, w := range codes {
				if c, err := strconv.Atoi(w.Code); err == nil && c == want {
					return w.Code, nil
				}
			}
		}
		if yes || no {
			for _, w := range codes {
				if (yes && strings.EqualFold(w.Name, "ja")) || (no && strings.EqualFold(w.Name, "nein")) ||
					(yes && w.Code == "true") || (no && w.Code == "false") {
					return w.Code, nil
				}
			}
		}
		return nil, p.fail("„%s“ ist kein Wert von %s", raw, e.ID)
	}
	switch {
	case e.Datentyp == form.DatentypBool:
		if yes {
			return true, nil
		}
		if no {
			return false, nil
		}
		return nil, p.fail("„%s“ ist kein Wahrheitswert für %s", raw, e.ID)
	case e.Datentyp.Numeric():
		f, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", "."), 64)
		if err != nil {
			return nil, p.fail("„%s“ ist keine Zahl für %s", raw, e.ID)
		}
		return f, nil
	}
	if t.kind == tokNumber {
		return raw, nil
	}
	if yes || no {
		return nil, p.fail("Wahrheitswert „%s“ für das Textfeld %s", raw, e.ID)
	}
	// A select field whose code list is missing takes free text; compare
	// with the code as written.
	if e.Feldart == form.FeldartSelect {
		if f := strings.Fields(raw); len(f) > 1 && isDigits(f[0]) {
			return f[0], nil
		}
	}
	return raw, nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// fillOthers completes "alle anderen Ausprägungen": filled, and none of the
// values the rule compares the element with elsewhere.
func (p *ruleParser) fillOthers() error {
	for _, o := range p.others {
		vals := p.literals[o.v]
		if len(vals) == 0 {
			return p.fail("„alle anderen Ausprägungen“ ohne genannte Ausprägung")
		}
		vals = slices.Clone(vals)
		x := and(filled(vr(o.v)), not(op("in", vr(o.v), vals)))
		for k, v := range x.(logic) {
			o.expr[k] = v
		}
	}
	return nil
}
