package rules

import (
	"fmt"
	"strings"
)

// ruleParser reads the statements of one rule text. It understands the
// phrasing families of FIM rules (see Compile for the list) and fails
// with a readable reason on anything else.
type ruleParser struct {
	ix    *index
	scope *node
	toks  []token
	pos   int

	effects     []Effect
	lastSubject *subject
	// orTargets is the last list of targets joined by ODER ("A oder B"):
	// required, it means one of them.
	orTargets   []*node
	conds       []any // the conditions of the conditional statements so far
	lastTargets []*node
	// literals holds, per variable, the values the rule compares it with
	// by "=", for "alle anderen Ausprägungen".
	literals map[string][]any
	others   []othersRef
	// Bundesland family: the set of Länder the previous sentence named.
	landSet     []string
	landNegated bool
	landUnread  bool // the last Land clause had no reading (not a condition or a second statement)
	// Land sections ("Für das Land NW gilt: …"): the guard of the current
	// section, nil outside one, and the Länder named by headings so far.
	section any
	named   []string
	// self is the element that carries the rule, nil for the schema's own
	// rules.
	self *node
	// restated is set when a phrase only restates what holds without any
	// rule: an element optional, or shown.
	restated bool
	// skipped is the first sentence read as an explanation.
	skipped string
	// current is the element whose reference was read last, for telling
	// its code values from the rest of its name.
	current *node
}

type othersRef struct {
	expr logic // the placeholder to fill in
	v    string
}

func (p *ruleParser) fail(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

func (p *ruleParser) peek(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return token{kind: tokPunct, text: "", lower: ""}
}

func (p *ruleParser) atEnd() bool { return p.pos >= len(p.toks) }

func (p *ruleParser) next() token {
	t := p.peek(0)
	p.pos++
	return t
}

// accept consumes the next token if it is one of the words.
func (p *ruleParser) accept(ws ...string) bool {
	if p.peek(0).is(ws...) {
		p.pos++
		return true
	}
	return false
}

func (p *ruleParser) acceptPunct(s string) bool {
	if p.peek(0).punct(s) {
		p.pos++
		return true
	}
	return false
}

// rest renders the remaining tokens, for error messages.
func (p *ruleParser) rest() string {
	var parts []string
	for _, t := range p.toks[min(p.pos, len(p.toks)):] {
		parts = append(parts, t.text)
		if len(parts) == 8 {
			parts = append(parts, "…")
			break
		}
	}
	return strings.Join(parts, " ")
}

// fillers are the words that introduce an element reference.
var fillers = []string{"die", "das", "der", "den", "dem", "feld", "felder", "feldes", "feldgruppe", "feldgruppen",
	"datenfeld", "datenfelder", "datenfeldgruppe", "datenfeldgruppen", "gruppe", "im", "in",
	// "die Angabe in F", "die Frage F", "das Häkchen bei F", "auch F"
	"angabe", "angaben", "frage", "checkbox", "häkchen", "kontrollkästchen", "option", "auch", "ebenfalls", "jeweils", "bei", "datum"}

func (p *ruleParser) skipFillers() {
	for p.accept(fillers...) {
	}
}

func (p *ruleParser) resolve(ref string) (*node, error) {
	n, err := p.ix.resolve(p.scope, ref)
	if err != nil {
		return nil, p.fail("Bezug %s: %v", ref, err)
	}
	return n, nil
}

// refAhead reports whether a reference follows after filler words.
func (p *ruleParser) refAhead() bool {
	for k := 0; ; k++ {
		t := p.peek(k)
		if t.kind == tokRef {
			return true
		}
		if !t.is(fillers...) {
			return false
		}
	}
}

// targets reads a list of element references: "G1, G2 und G3", "die
// Feldgruppe G1", or a pronoun (es, sie, die Gruppe) for the last targets.
func (p *ruleParser) targets() ([]*node, error) {
	var out []*node
	or := false
	for {
		p.skipFillers()
		t := p.peek(0)
		switch {
		case t.kind == tokRef:
			p.pos++
			n, err := p.resolve(t.text)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
			p.skipLabel(targetStop)
		case len(out) == 0 && t.is("es", "sie") && len(p.lastTargets) > 0:
			p.pos++
			return p.lastTargets, nil
		case len(out) == 0 && p.pos > 0 && p.toks[p.pos-1].is("gruppe", "feld", "feldgruppe", "datenfeldgruppe") && len(p.lastTargets) > 0:
			return p.lastTargets, nil
		default:
			if len(out) == 0 {
				return nil, p.fail("erwartet ein Element, gefunden „%s“", p.rest())
			}
			p.setTargets(out, or)
			return out, nil
		}
		// Continue with ", G2", "und G2", "oder G2" or "G2".
		save := p.pos
		p.acceptPunct(",")
		j := p.peek(0)
		p.accept("und", "oder", "sowie")
		if p.refAhead() {
			or = or || j.is("oder")
			continue
		}
		p.pos = save
		p.setTargets(out, or)
		return out, nil
	}
}

func (p *ruleParser) setTargets(out []*node, or bool) {
	p.lastTargets = out
	p.orTargets = nil
	if or {
		p.orTargets = out
	}
}

func (p *ruleParser) expectRef() (*node, error) {
	p.skipFillers()
	t := p.next()
	if t.kind != tokRef {
		return nil, p.fail("erwartet ein Element, gefunden „%s“", t.text)
	}
	n, err := p.resolve(t.text)
	if err != nil {
		return nil, err
	}
	p.current = n
	p.skipLabel(subjectStop)
	return n, nil
}

// skipLabel skips what remains of an element's name after its reference
// when the rule spells the name differently from the schema ("F05000016245
// Anschrift abweichende Hauptwohnsitze der letzten 5 Jahre === …"): tokens
// up to the first one stop accepts, if that comes within 16 tokens.
func (p *ruleParser) skipLabel(stop func(p *ruleParser, k int) bool) {
	for k := 0; k < 16; k++ {
		if p.pos+k >= len(p.toks) || stop(p, k) {
			p.pos += k
			return
		}
	}
}

// subjectStop ends a name before what a condition says about the element.
func subjectStop(p *ruleParser, k int) bool {
	t := p.peek(k)
	switch {
	case t.punct(")"):
		// The closing parenthesis of "(aktuelles Datum - F …)", not one of
		// the name's own "(Natürliche Person)".
		depth := 0
		for j := 0; j < k; j++ {
			if p.peek(j).punct("(") {
				depth++
			} else if p.peek(j).punct(")") {
				depth--
			}
		}
		return depth == 0
	case t.kind == tokOp && t.text != "-", t.kind == tokRef, t.punct(","):
		return true
	case isVerb(t) || t.is("entfällt"):
		// "Bei Auswahl von „Nein“ in F entfällt G": an effect is never
		// part of a name; skipping it would lose or turn the effect.
		return true
	case t.kind == tokString || t.kind == tokNumber:
		// A value given without operator: 'bei F "02 …" angegeben wird',
		// "Wenn F 01 Natürliche Person, dann …".
		return p.peek(k+1).is("angegeben", "ausgewählt") || (t.kind == tokNumber && p.peek(k+1).kind == tokString && p.peek(k+2).is("angegeben", "ausgewählt")) ||
			p.isCode(p.current, t)
	}
	if t.is("ein", "eine", "einen", "kein", "keine", "keinen") && (p.peek(k+2).is("ausgewählt", "angegeben") || strings.Contains(p.peek(k+1).lower, "staat")) {
		return true // "F ein Staat gewählt wird, der …", "F ein EU-Staat ist", "F kein EU-Staat gewählt wurde"
	}
	if t.is("kein", "keine", "keinen", "keiner", "weder", "außer") {
		return true // a negation is never part of a name: skipping it would reverse the rule
	}
	if t.is("in") && p.peek(k+1).punct("(") {
		return true // "F IN (001, 002)"
	}
	if t.is("ein", "einen", "eine") && p.peek(k+1).is("anderen") {
		return true // "F einen anderen Wert hat"
	}
	if t.is("der", "den", "dem", "einen", "keinen") && p.peek(k+1).is("wert", "eintrag") {
		return true // "F den Wert 001 hat", "F einen Wert enthält"
	}
	if t.is("gleich", "ungleich") || (t.is("größer", "kleiner") && (p.peek(k+1).is("als", "gleich") || p.peek(k+1).is("oder") && p.peek(k+2).is("gleich"))) {
		return true
	}
	return t.is("ist", "sind", "leer", "nicht", "befüllt", "ausgefüllt", "bejaht", "verneint", "ausgewählt", "mit", "wird", "wurde", "zwischen",
		"dann", "und", "oder", "als", "mindestens", "muss", "darf")
}

// targetStop ends a name in a list of targets.
func targetStop(p *ruleParser, k int) bool {
	t := p.peek(k)
	if (t.kind == tokOp && t.text != "-") || t.kind == tokRef || t.punct(",") || t.punct(".") || isVerb(t) {
		return true
	}
	if t.is("kein", "keine", "keinen", "keiner", "weder") {
		return true // a negation is never part of a name: skipping it would reverse the rule
	}
	return t.is("und", "oder", "sowie", "an", "aus", "ein", "nicht", "befüllt", "ausgefüllt", "angegeben", "angezeigt",
		"leer", "zur", "zum", "zu", "eine", "sein", "pflichtangabe", "werden", "ist", "sind", "wenn", "sonst", "dann", "bei", "für",
		"auszublenden", "anzuzeigen", "ausgeblendet", "wobei", "anzeigen", "ausblenden", "aktiviert", "deaktiviert", "auszufüllen", "optional",
		"größer", "kleiner", "nur", "entfällt") ||
		(t.is("in") && p.peek(k+1).is("der") && p.peek(k+2).is("zukunft", "vergangenheit")) ||
		(t.is("als") && p.peek(k+1).is("pflichtangabe"))
}

// refList reads "A, B, C oder D" / "A, B und C".
func (p *ruleParser) refList() ([]*node, error) {
	var out []*node
	for {
		n, err := p.expectRef()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		save := p.pos
		p.acceptPunct(",")
		p.accept("und", "oder")
		if !p.refAhead() {
			p.pos = save
			return out, nil
		}
	}
}

var numberWords = map[string]int{"ein": 1, "eine": 1, "eines": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8}

// refAheadAt reports whether an element reference follows, after filler
// words, k tokens ahead.
func (p *ruleParser) refAheadAt(k int) bool {
	save := p.pos
	p.pos += k
	ok := p.refAhead()
	p.pos = save
	return ok
}
