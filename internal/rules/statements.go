package rules

// Productions of statements: the kinds of sentence a rule is made of.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

var (
	errInformational = fmt.Errorf("informational")
	// errRestates: every statement was understood, and each only restates
	// the default (an element optional, or shown).
	errRestates = fmt.Errorf("restates the default")
)

// statements splits tokens into sentences at full stops.
func statements(toks []token) [][]token {
	var out [][]token
	var cur []token
	for _, t := range toks {
		if t.punct(".") || t.punct(";") {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (p *ruleParser) has(ws ...string) bool {
	for _, t := range p.toks {
		if t.is(ws...) {
			return true
		}
	}
	return false
}

// dateRefs counts the references of the statement to date fields.
func (p *ruleParser) dateRefs() int {
	n := 0
	for _, r := range p.refsQuiet() {
		if r.el.Kind == form.KindField && r.el.Datentyp == form.DatentypDate {
			n++
		}
	}
	return n
}

// refsQuiet returns the references of the statement that resolve.
func (p *ruleParser) refsQuiet() []*node {
	var out []*node
	for _, t := range p.toks {
		if t.kind == tokRef {
			if n, err := p.ix.resolve(p.scope, t.text); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func (p *ruleParser) refs() ([]*node, error) {
	var out []*node
	for _, t := range p.toks {
		if t.kind == tokRef {
			n, err := p.resolve(t.text)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// statement compiles one sentence.
func (p *ruleParser) statement() error {
	first := p.peek(0)
	switch {
	case p.has("vorzubefüllen", "vorbefüllen"):
		return p.prefill()
	case p.has("entweder") && p.conditionFree():
		return p.eitherOr()
	case p.countAhead() && len(p.refsQuiet()) > 1 && p.conditionFree():
		return p.count()
	case p.has("mindestens") && (p.has("felder") || p.has("feld") || len(p.refsQuiet()) > 1) && p.conditionFree():
		return p.atLeastOne()
	case (p.has("entweder", "mindestens") || p.has("liegen") && p.has("vor", "nach")) && !first.is("wenn", "bei", "ist", "sind", "wird") &&
		p.trailingWenn() > 0:
		// "Mindestens eines der Felder A oder B muss befüllt sein, wenn …",
		// "Das Datum A muss nach dem Datum B liegen, wenn …"
		return p.guardedByTrailingCondition()
	case p.has("jeder") && p.has("eintrag"):
		return p.distinct()
	case p.timesOnly():
		// "Das Feld X kann bis zu dreimal ausgefüllt werden": restates the
		// Anzahl; the next sentence says what to check.
		ns, err := p.refs()
		if err != nil {
			return err
		}
		p.lastTargets = ns
		return nil
	case p.has("liegen") && p.has("vor", "nach") && (p.has("datum") || p.dateRefs() == 2) && !first.is("wenn"):
		return p.dateOrder()
	case p.explanatory():
		if p.skipped == "" {
			p.skipped = p.rest()
		}
		return nil
	case first.is("ist", "sind") && p.refAheadAt(1) && p.has("dann"):
		// "Ist F = wahr, so ist G zu befüllen."
		p.pos++
		return p.conditional()
	case first.is("ist", "sind", "wird", "wurde") && p.refAheadAt(1) && p.effectAfterComma():
		// A condition with its verb first, the effect after the comma:
		// "Wird F mit „Nein“ beantwortet, ist G auszufüllen.", "Ist im
		// Datenfeld F der Wert 001 ausgewählt, muss G befüllt werden."
		p.pos++
		return p.conditional()
	case first.is("ist", "liegt") && p.effectAfterComma() && func() bool { p.pos++; defer func() { p.pos-- }(); return p.landConditionAhead() }():
		// "Ist die zuständige Stelle in Bayern, muss F befüllt werden"
		p.pos++
		return p.conditional()
	case first.is("bei", "für", "in") && p.peek(1).is("allen", "alle") && p.peek(2).is("anderen"):
		return p.otherwise()
	case first.is("dann") && len(p.conds) > 0:
		// "G wird nur eingeblendet, wenn F = 002; dann ist G auch
		// auszufüllen.": the condition of the sentence before.
		if _, err := p.effectPhrases(p.conds[len(p.conds)-1]); err != nil {
			return err
		}
		if !p.atEnd() {
			return p.fail("Rest nicht verstanden: „%s“", p.rest())
		}
		return nil
	case (first.is("sonst") || first.is("im") && p.peek(1).is("anderen")) && len(p.conds) > 0:
		// "Wenn …, dann … . Ansonsten ist X auszublenden.": the sentence
		// before does not hold.
		p.acceptOtherwise()
		p.acceptPunct(",")
		if _, err := p.effectPhrases(not(p.conds[len(p.conds)-1])); err != nil {
			return err
		}
		if !p.atEnd() {
			return p.fail("Rest nicht verstanden: „%s“", p.rest())
		}
		return nil
	case p.self != nil && (first.is("pflichtangabe", "nur", "anzeigen", "ausblenden", "ist", "wird", "muss", "darf", "kann", "erscheint")):
		return p.selfStatement()
	case first.is("wenn", "bei"):
		// A condition may name the Land ("Wenn das Bundesland = NW, …");
		// otherwise a sentence naming Länder is a Land sentence.
		save, n := p.pos, len(p.effects)
		err := p.conditional()
		if err != nil && p.landMentioned() {
			p.pos, p.effects = save, p.effects[:n]
			return p.land()
		}
		return err
	case (first.kind == tokRef || first.is("land")) && p.peek(1).kind == tokOp && p.peek(1).text != "-" && (p.has("dann") || p.colonBeforeRef()) && !p.has("wenn"):
		// Terse rules without "wenn": "F1 = 'Ja' -> F2 Pflicht",
		// "F1 = 001 DANN F2 ausblenden".
		return p.conditional()
	case p.landMentioned():
		return p.land()
	case p.refAhead():
		return p.declarative()
	}
	return p.fail("Satz nicht verstanden: „%s“", p.rest())
}

// effectAfterComma reports whether a comma in the statement is followed by
// the finite verb of an effect ("…, ist G auszufüllen", "…, muss G …").
func (p *ruleParser) effectAfterComma() bool {
	for k := p.pos; k+1 < len(p.toks); k++ {
		if p.toks[k].punct(",") && (isVerb(p.toks[k+1]) || p.toks[k+1].is("ist", "sind")) {
			return true
		}
	}
	return false
}

// conditional: WENN cond [,] [DANN] effects {, wenn|bei cond … } [, SONST effects | , ansonsten nicht]
func (p *ruleParser) conditional() error {
	p.accept("wenn") // or "Bei F = 001 ist G zu befüllen": subject() takes the "bei"
	for {
		cond, err := p.condition()
		if err != nil {
			return err
		}
		p.conds = append(p.conds, cond)
		if !p.acceptPunct(",") {
			p.acceptPunct(":") // "F1 = wahr: F2 Pflicht"
		}
		p.accept("dann")
		n := len(p.effects)
		clause, err := p.effectPhrases(cond)
		if err != nil {
			return err
		}
		if err := p.exception(n); err != nil {
			return err
		}
		save := p.pos
		p.acceptPunct(",")
		switch {
		case p.accept("wenn"):
			continue
		case p.peek(0).is("bei"):
			continue
		case p.acceptOtherwise():
			if p.peek(0).is("nicht") && !p.peek(1).is("auszublenden", "anzuzeigen", "auszufüllen") && p.accept("nicht") {
				var shown []*node
				required := true
				for _, e := range clause {
					if e.Kind == Show {
						shown = append(shown, p.ix.byPath[e.Target])
					}
					required = required && e.Kind == Require
				}
				if len(shown) == 0 && !required {
					return p.fail("„ansonsten nicht“ ohne vorheriges Anzeigen")
				}
				// "…, muss G angegeben werden, im Übrigen nicht": not
				// required otherwise, which holds without a rule.
				p.add(Hide, shown, not(cond))
			} else if err := p.otherwiseEffects(not(cond)); err != nil {
				return err
			}
		default:
			p.pos = save
		}
		break
	}
	p.acceptPunct(",")
	if !p.atEnd() {
		return p.fail("Rest nicht verstanden: „%s“", p.rest())
	}
	return nil
}

// otherwiseEffects reads the effects after "sonst"; without an element
// they are on the last one named ("…, ansonsten [nicht] anzuzeigen").
func (p *ruleParser) otherwiseEffects(when any) error {
	k := 0
	if p.peek(0).is("nicht") {
		k = 1
	}
	if p.peek(k).is("auszublenden", "anzuzeigen", "auszufüllen") && len(p.lastTargets) > 0 {
		return p.verbPhrase("ist", p.lastTargets, when)
	}
	_, err := p.effectPhrases(when)
	return err
}

// colonBeforeRef reports a colon followed by an element: the effect of a
// terse rule ("F1 = wahr: F2 Pflicht").
func (p *ruleParser) colonBeforeRef() bool {
	for k := p.pos; k+1 < len(p.toks); k++ {
		if p.toks[k].punct(":") && p.toks[k+1].kind == tokRef {
			return true
		}
	}
	return false
}

// acceptOtherwise accepts "sonst" (ansonsten, andernfalls …), "im Übrigen"
// or "im anderen Fall".
func (p *ruleParser) acceptOtherwise() bool {
	if p.accept("sonst") {
		return true
	}
	if p.peek(0).is("im") && p.peek(1).is("anderen") {
		p.pos += 2
		p.accept("fall", "falle", "fällen")
		return true
	}
	return false
}

// conditionFree reports a statement without condition: these statements
// read every element they name as one of the alternatives, so a condition
// would be taken for one.
func (p *ruleParser) conditionFree() bool {
	if p.peek(0).is("bei", "ist", "sind", "wird") {
		return false
	}
	for _, t := range p.toks[p.pos:] {
		if t.is("wenn", "dann", "sonst") || t.kind == tokOp && t.text != "-" {
			return false
		}
	}
	return true
}

// trailingWenn returns the position of "wenn" after a comma that
// ends the statement with its condition, or 0.
func (p *ruleParser) trailingWenn() int {
	for k := p.pos + 1; k+1 < len(p.toks); k++ {
		if p.toks[k].punct(",") && p.toks[k+1].is("wenn") {
			return k
		}
	}
	return 0
}

// guardedByTrailingCondition compiles the statement before ", wenn cond"
// and guards its effects by cond.
func (p *ruleParser) guardedByTrailingCondition() error {
	k := p.trailingWenn()
	all := p.toks
	p.toks = all[:k]
	if !p.conditionFree() {
		return p.fail("Satz nicht verstanden: „%s“", tokensText(all))
	}
	n := len(p.effects)
	if err := p.statement(); err != nil {
		return err
	}
	p.toks, p.pos = all, k+2
	cond, err := p.condition()
	if err != nil {
		return err
	}
	for i := n; i < len(p.effects); i++ {
		p.effects[i].When = and(cond, p.effects[i].When)
	}
	if !p.atEnd() {
		return p.fail("Rest nicht verstanden: „%s“", p.rest())
	}
	return nil
}

// exception reads ", es sei denn cond" / ", außer wenn cond" after
// effects: the effects from start on hold only where cond does not.
func (p *ruleParser) exception(start int) error {
	save := p.pos
	p.acceptPunct(",")
	switch {
	case p.peek(0).is("es") && p.peek(1).is("sei") && p.peek(2).is("denn"):
		p.pos += 3
		p.accept("wenn", "dass")
	case p.peek(0).is("außer", "ausser", "ausgenommen") && p.peek(1).is("wenn"):
		p.pos += 2
	default:
		p.pos = save
		return nil
	}
	c, err := p.condition()
	if err != nil {
		return err
	}
	for i := start; i < len(p.effects); i++ {
		p.effects[i].When = and(p.effects[i].When, not(c))
	}
	return nil
}

// otherwise reads a statement about the cases a previous sentence left
// out:
//
//	Bei allen anderen Ausprägungen [von F] ist …   F filled with a value
//	                                               not compared before
//	In allen anderen Fällen ist …                  none of the conditions
//	                                               before holds
//
// Without F, the element is the subject of the last comparison; a value of
// it must have been named, or the rule is not compiled.
func (p *ruleParser) otherwise() error {
	p.pos += 3 // "bei allen anderen"
	var cond any
	switch {
	case p.accept("fällen", "fall"):
		if len(p.conds) == 0 {
			return p.fail("„in allen anderen Fällen“ ohne vorherige Bedingung")
		}
		cond = not(or(p.conds...))
		p.conds = nil
	case p.accept("wert"):
		p.accept("möglichen")
		var n *node
		if p.accept("von", "des", "der", "im", "in") || p.refAhead() {
			var err error
			if n, err = p.expectRef(); err != nil {
				return err
			}
		} else {
			// Without the element named, the values named before must all
			// be of one element.
			if p.lastSubject == nil || p.lastSubject.kind != "elem" || len(p.literals) != 1 {
				return p.fail("„alle anderen Ausprägungen“ ohne eindeutiges Element")
			}
			n = p.lastSubject.nodes[0]
		}
		x := logic{}
		p.others = append(p.others, othersRef{expr: x, v: n.path})
		cond = x
	default:
		return p.fail("„alle anderen …“ nicht verstanden: „%s“", p.rest())
	}
	p.acceptPunct(",")
	p.accept("gilt")
	p.acceptPunct(":")
	if _, err := p.effectPhrases(cond); err != nil {
		return err
	}
	p.acceptPunct(",")
	if !p.atEnd() {
		return p.fail("Rest nicht verstanden: „%s“", p.rest())
	}
	return nil
}

// selfStatement: a statement about the element that carries the rule,
// without naming it: "Pflichtfeld, wenn …", "Nur anzeigen, wenn …", "Ist
// nur dann zu befüllen, wenn …", "Darf nicht in der Zukunft liegen."
func (p *ruleParser) selfStatement() error {
	ts := []*node{p.self}
	start := len(p.effects)
	t := p.next()
	switch {
	case t.is("pflichtangabe"):
		p.add(Require, ts, nil)
	case t.is("nur") && p.peek(0).is("anzeigen"):
		p.pos++
		p.add(Show, ts, nil)
	case t.is("anzeigen"):
		p.add(Show, ts, nil)
	case t.is("ausblenden"):
		p.add(Hide, ts, nil)
	default:
		if err := p.verbPhrase(t.lower, ts, nil); err != nil {
			return err
		}
	}
	return p.trailingCondition(start)
}

// trailingCondition reads an optional ", wenn condition" that ends a
// statement and makes it the condition of the effects added since start;
// nothing may follow.
func (p *ruleParser) trailingCondition(start int) error {
	comma := p.acceptPunct(",")
	if p.accept("wenn") {
		cond, err := p.condition()
		if err != nil {
			return err
		}
		for i := start; i < len(p.effects); i++ {
			p.effects[i].When = and(cond, p.effects[i].When)
		}
		p.conds = append(p.conds, cond)
		// "…, wenn cond, andernfalls [ist X] auszublenden"
		save := p.pos
		p.acceptPunct(",")
		if p.acceptOtherwise() {
			if err := p.otherwiseEffects(not(cond)); err != nil {
				return err
			}
		} else {
			p.pos = save
		}
	} else if comma && p.refAhead() && !p.has("wenn") {
		// "F ist Pflicht, G ist auszublenden.": a second statement.
		return p.declarative()
	}
	if err := p.exception(start); err != nil {
		return err
	}
	if !p.atEnd() {
		return p.fail("Rest nicht verstanden: „%s“", p.rest())
	}
	return nil
}

// declarative: a statement whose subject is the element, with an optional
// condition after it:
//
//	Das Datenfeld X muss befüllt werden.
//	Die Datenfeldgruppe X darf nicht angezeigt werden.
//	X [, Y und Z] ist/sind nur dann zu befüllen, wenn cond
//	[Das Feld] X ist ein Pflichtfeld, wenn cond
//
// (see verbPhrase for the verbs).
func (p *ruleParser) declarative() error {
	ts, err := p.targets()
	if err != nil {
		return err
	}
	start := len(p.effects)
	required := p.accept("als") && p.accept("pflichtangabe")
	verb := p.next()
	switch {
	case verb.is("anzeigen"):
		// "X [als Pflichtfeld] anzeigen"
		p.add(Show, ts, nil)
		if required {
			p.add(Require, ts, nil)
		}
	case verb.is("ausblenden"), verb.is("entfällt") && !required:
		p.add(Hide, ts, nil)
	case verb.is("pflichtangabe") && !required:
		// "F2 Pflicht, wenn F1 = 'Sonstiges'"
		p.add(Require, ts, nil)
	case verb.is("muss", "darf", "kann", "wird", "ist", "sind", "erscheint") && !required:
		if err := p.verbPhrase(verb.lower, ts, nil); err != nil {
			return err
		}
	default:
		return p.fail("Satz nicht verstanden: „%s %s“", verb.text, p.rest())
	}
	return p.trailingCondition(start)
}

func labelList(ns []*node) string {
	var ls []string
	for _, n := range ns {
		ls = append(ls, "„"+n.el.Label()+"“")
	}
	switch len(ls) {
	case 0:
		return ""
	case 1:
		return ls[0]
	}
	return strings.Join(ls[:len(ls)-1], ", ") + " oder " + ls[len(ls)-1]
}

// eitherOr: "Es muss entweder [die Feldgruppe] A oder [die Feldgruppe] B
// befüllt werden" — exactly one of them.
func (p *ruleParser) eitherOr() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	if len(ns) < 2 {
		return p.fail("„entweder … oder“ mit weniger als zwei Elementen")
	}
	var count []any
	var any []any
	for _, n := range ns {
		count = append(count, op("if", filled(vr(n.path)), 1, 0))
		any = append(any, filled(vr(n.path)))
	}
	p.effects = append(p.effects,
		Effect{Kind: Validate, Target: ns[0].path, Check: or(any...),
			Message: fmt.Sprintf("Bitte machen Sie entweder die Angaben zu %s.", labelList(ns))},
		Effect{Kind: Validate, Target: ns[0].path, Check: op("<=", op("+", count...), 1),
			Message: fmt.Sprintf("Bitte machen Sie nur eine der Angaben %s, nicht mehrere.", labelList(ns))})
	return nil
}

// atLeastOne: "Es muss mindestens eines der Felder A, B oder C befüllt
// sein" and "Mindestens eines der Felder A … muss den Wert "wahr" haben".
func (p *ruleParser) atLeastOne() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	fromGroup := len(ns) == 1 && ns[0].el.Kind == form.KindGroup
	if fromGroup {
		// "Es muss mindestens ein Feld der Feldgruppe G befüllt werden."
		ns = dataFields(ns[0])
	}
	if len(ns) < 2 && !(fromGroup && len(ns) == 1) {
		return p.fail("„mindestens eines der Felder“ mit weniger als zwei Feldern")
	}
	var value *token
	for i, t := range p.toks {
		if t.is("wert") && i+1 < len(p.toks) {
			v := p.toks[i+1]
			value = &v
		}
	}
	if n := p.leastCount(); n > 1 {
		// "Mindestens zwei der Felder A, B und C müssen befüllt sein."
		if value != nil || n > len(ns) {
			return p.fail("„mindestens %d der Felder“ nicht verstanden: „%s“", n, p.rest())
		}
		p.effects = append(p.effects, p.leastEffect(ns, n, nil))
		return nil
	}
	var xs []any
	msg := fmt.Sprintf("Bitte füllen Sie mindestens eines der Felder %s aus.", labelList(ns))
	for _, n := range ns {
		if value == nil {
			xs = append(xs, filled(vr(n.path)))
			continue
		}
		v, err := p.literal(n, *value)
		if err != nil {
			return err
		}
		xs = append(xs, eq(vr(n.path), v))
		msg = fmt.Sprintf("Bitte wählen Sie mindestens eine der Möglichkeiten %s.", labelList(ns))
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: ns[0].path, Check: or(xs...), Message: msg})
	return nil
}

// countAhead reports a statement on how many of several elements are
// filled: "genau eines der …", "höchstens eines der …", "nur eines der …",
// "… nicht gleichzeitig …".
func (p *ruleParser) countAhead() bool {
	for k := p.pos; k+1 < len(p.toks); k++ {
		if p.toks[k].is("genau", "höchstens", "nur") && p.toks[k+1].is("ein", "eine", "eines", "einer") ||
			p.toks[k].is("nicht") && p.toks[k+1].is("gleichzeitig") {
			return true
		}
	}
	return false
}

// count: "Genau eines der Felder A oder B muss befüllt werden" (one of
// them, not more), "Höchstens eines der Felder A und B darf befüllt sein",
// "Es darf nur eines der Felder A oder B ausgefüllt werden", "A und B
// dürfen nicht gleichzeitig befüllt sein" (not all of them).
func (p *ruleParser) count() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	if !p.has("befüllt", "angegeben", "befüllen", "auszufüllen") {
		return p.fail("Anzahl befüllter Felder nicht verstanden: „%s“", p.rest())
	}
	var counts, any []any
	for _, n := range ns {
		counts = append(counts, op("if", filled(vr(n.path)), 1, 0))
		any = append(any, filled(vr(n.path)))
	}
	sum := op("+", counts...)
	switch {
	case p.has("genau") && p.has("darf"):
		// "Genau eines … darf befüllt sein": at most one or exactly one?
		return p.fail("„genau eines … darf“ nicht eindeutig: „%s“", p.rest())
	case p.has("genau"):
		p.effects = append(p.effects,
			Effect{Kind: Validate, Target: ns[0].path, Check: or(any...),
				Message: fmt.Sprintf("Bitte machen Sie eine der Angaben %s.", labelList(ns))},
			Effect{Kind: Validate, Target: ns[0].path, Check: op("<=", sum, 1),
				Message: fmt.Sprintf("Bitte machen Sie nur eine der Angaben %s, nicht mehrere.", labelList(ns))})
	case p.has("gleichzeitig") && p.has("darf"):
		p.effects = append(p.effects, Effect{Kind: Validate, Target: ns[0].path, Check: op("<", sum, len(ns)),
			Message: fmt.Sprintf("Die Angaben %s dürfen nicht alle gleichzeitig gemacht werden.", labelList(ns))})
	case p.has("höchstens") || p.has("darf"):
		p.effects = append(p.effects, Effect{Kind: Validate, Target: ns[0].path, Check: op("<=", sum, 1),
			Message: fmt.Sprintf("Bitte machen Sie nur eine der Angaben %s, nicht mehrere.", labelList(ns))})
	default:
		return p.fail("Anzahl befüllter Felder nicht verstanden: „%s“", p.rest())
	}
	return nil
}

// leastCount returns n of "mindestens n der …" (a numeral or a number
// word), 1 for "mindestens eines", 0 without "mindestens".
func (p *ruleParser) leastCount() int {
	for k, t := range p.toks {
		if !t.is("mindestens") || k+1 >= len(p.toks) {
			continue
		}
		nx := p.toks[k+1]
		if nx.kind == tokNumber {
			n, _ := strconv.Atoi(nx.text)
			return n
		}
		if n, ok := numberWords[nx.lower]; ok {
			return n
		}
		return 1
	}
	return 0
}

// leastEffect checks that at least n of ns are filled.
func (p *ruleParser) leastEffect(ns []*node, n int, when any) Effect {
	var counts []any
	for _, x := range ns {
		counts = append(counts, op("if", filled(vr(x.path)), 1, 0))
	}
	return Effect{Kind: Validate, Target: ns[0].path, When: when, Check: op(">=", op("+", counts...), n),
		Message: fmt.Sprintf("Bitte machen Sie mindestens %d der Angaben %s.", n, labelList(ns))}
}

// atLeastOneIn: "… dann muss mindestens eines der Felder A, B oder C
// befüllt sein/werden", a validation under a condition.
func (p *ruleParser) atLeastOneIn(when any) error {
	least := p.leastCount()
	p.accept("mindestens")
	if least > 1 {
		p.pos++ // "mindestens zwei der Felder"
	}
	p.accept("ein", "eine", "eines", "einer")
	p.accept("der")
	p.accept("folgenden")
	p.accept("felder", "feldgruppe", "angaben")
	// "ist mindestens eines der folgenden Felder auszufüllen: A, B"
	listAfter := p.accept("auszufüllen") || p.peek(0).is("zu") && p.peek(1).is("befüllen") && p.accept("zu") && p.accept("befüllen")
	if listAfter && !p.acceptPunct(":") {
		return p.fail("„mindestens eines der Felder …“ nicht verstanden: „%s“", p.rest())
	}
	ns, err := p.refList()
	if err != nil {
		return err
	}
	if len(ns) < 2 {
		return p.fail("„mindestens eines der Felder“ mit weniger als zwei Feldern")
	}
	if !listAfter {
		if !p.accept("befüllt", "angegeben") {
			return p.fail("„mindestens eines der Felder …“ nicht verstanden: „%s“", p.rest())
		}
		p.accept("sein", "werden")
	}
	if least > 1 {
		if least > len(ns) {
			return p.fail("„mindestens %d der Felder“ mit weniger Feldern", least)
		}
		p.effects = append(p.effects, p.leastEffect(ns, least, when))
		return nil
	}
	var xs []any
	for _, n := range ns {
		xs = append(xs, filled(vr(n.path)))
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: ns[0].path, When: when, Check: or(xs...),
		Message: fmt.Sprintf("Bitte füllen Sie mindestens eines der Felder %s aus.", labelList(ns))})
	return nil
}

// prefill: "Das Feld X ist mit 001 "privat" vorzubefüllen und in der
// Antragsstrecke auszublenden." A prefilled field that stays visible and
// editable is a default value, which a rule cannot impose on data that the
// citizen has already changed; only the hidden form is compiled.
func (p *ruleParser) prefill() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	if len(ns) != 1 {
		return p.fail("Vorbefüllung mit %d Elementen", len(ns))
	}
	if !p.has("auszublenden", "ausblenden") {
		return p.fail("Vorbefüllung ohne Ausblenden: ein änderbarer Vorgabewert ist Konfiguration des Online-Dienstes, keine Regel.")
	}
	for i, t := range p.toks {
		if !t.is("mit") || i+1 >= len(p.toks) {
			continue
		}
		v, err := p.literal(ns[0], p.toks[i+1])
		if err != nil {
			return err
		}
		p.effects = append(p.effects, Effect{Kind: Set, Target: ns[0].path, Value: v})
		return nil
	}
	return p.fail("Vorbefüllung ohne Wert")
}

// timesOnly reports a sentence that only says how often a field may be
// filled ("kann bis zu dreimal ausgefüllt werden").
func (p *ruleParser) timesOnly() bool {
	if !p.has("kann") || !p.has("ausgefüllt", "befüllt", "angegeben") || !p.has("bis", "bist") {
		return false
	}
	for _, t := range p.toks {
		if t.kind == tokWord && strings.HasSuffix(t.lower, "mal") && t.lower != "mal" {
			return true
		}
	}
	return false
}

// distinct: "Das Feld X kann bis zu dreimal ausgefüllt werden, dabei darf
// aber jeder Eintrag nur maximal einmal ausgewählt werden" (the element
// may also stand in the sentence before).
func (p *ruleParser) distinct() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	if len(ns) == 0 {
		ns = p.lastTargets
	}
	if len(ns) != 1 {
		return p.fail("„jeder Eintrag nur einmal“ mit %d Elementen", len(ns))
	}
	n := ns[0]
	if !n.repeats() {
		return p.fail("%s kommt nur einmal vor; „jeder Eintrag nur einmal“ prüft nichts", n.el.ID)
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: n.path, Check: op("distinct", vr(n.path)),
		Message: fmt.Sprintf("Bei „%s“ darf jeder Eintrag nur einmal ausgewählt werden.", n.el.Label())})
	return nil
}

// dateOrder: "Das Datum im Feld A muss zeitlich vor dem Datum in Feld B
// liegen" (or nach).
func (p *ruleParser) dateOrder() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	if len(ns) == 1 && p.has("heutigen", "heute", "aktuellen") {
		// "Das Datum F muss vor dem heutigen Datum liegen."
		return p.dateAgainstToday(ns[0])
	}
	if len(ns) != 2 {
		return p.fail("Datumsvergleich mit %d Elementen", len(ns))
	}
	a, b := ns[0], ns[1]
	for _, n := range ns {
		if n.el.Kind != form.KindField || n.el.Datentyp != form.DatentypDate {
			return p.fail("%s ist kein Datumsfeld", n.el.ID)
		}
	}
	// days_between(a, b) > 0: a lies before b.
	cmp, word := ">", "vor"
	if p.has("nach") {
		cmp, word = "<", "nach"
	}
	if p.has("nicht") {
		// "darf nicht vor … liegen": on the same day or after.
		cmp = map[string]string{">": "<=", "<": ">="}[cmp]
		word = map[string]string{"vor": "am selben Tag wie oder nach", "nach": "am selben Tag wie oder vor"}[word]
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: b.path,
		When:    and(filled(vr(a.path)), filled(vr(b.path))),
		Check:   op(cmp, op("days_between", vr(a.path), vr(b.path)), 0),
		Message: fmt.Sprintf("„%s“ muss %s „%s“ liegen.", a.el.Label(), word, b.el.Label())})
	return nil
}

// dateAgainstToday: "Das Datum F muss vor/nach dem heutigen Datum liegen"
// and "darf nicht vor/nach dem heutigen Datum liegen".
func (p *ruleParser) dateAgainstToday(f *node) error {
	if f.el.Kind != form.KindField || f.el.Datentyp != form.DatentypDate {
		return p.fail("%s ist kein Datumsfeld", f.el.ID)
	}
	// days_between(F, heute) > 0: F lies before today.
	d := op("days_between", vr(f.path), vr(VarToday))
	before := p.has("vor")
	var check any
	var msg string
	switch neg := p.has("nicht"); {
	case before && !neg:
		check, msg = op(">", d, 0), "„%s“ muss vor dem heutigen Datum liegen."
	case before && neg:
		check, msg = op("<=", d, 0), "„%s“ darf nicht vor dem heutigen Datum liegen."
	case !before && !neg:
		check, msg = op("<", d, 0), "„%s“ muss nach dem heutigen Datum liegen."
	default:
		check, msg = op(">=", d, 0), "„%s“ darf nicht nach dem heutigen Datum liegen."
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: f.path, When: filled(vr(f.path)), Check: check,
		Message: fmt.Sprintf(msg, f.el.Label())})
	return nil
}

// validDate: "Wenn alle drei Felder Tag, Monat und Jahr befüllt sind, muss
// die Validität des sich ergebenden Kalenderdatums sichergestellt werden."
func (p *ruleParser) validDate() error {
	ns, err := p.refs()
	if err != nil {
		return err
	}
	if len(ns) != 3 {
		return p.fail("Kalenderdatum aus %d statt 3 Feldern", len(ns))
	}
	var d, m, y *node
	for _, n := range ns {
		name := strings.ToLower(n.el.Name)
		switch {
		case strings.HasPrefix(name, "tag"):
			d = n
		case strings.HasPrefix(name, "monat"):
			m = n
		case strings.HasPrefix(name, "jahr"):
			y = n
		}
	}
	if d == nil || m == nil || y == nil {
		return p.fail("Tag, Monat und Jahr nicht erkannt")
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: d.path,
		When:    and(filled(vr(d.path)), filled(vr(m.path)), filled(vr(y.path))),
		Check:   op("valid_date", vr(y.path), vr(m.path), vr(d.path)),
		Message: "Tag, Monat und Jahr ergeben kein gültiges Kalenderdatum."})
	return nil
}

// explanatory reports a sentence that explains rather than rules: it
// names no element, no Land, uses no effect verb and no pronoun for an
// earlier element ("Die Mitgliedstaaten der EU … sind: 124 Belgien, …").
func (p *ruleParser) explanatory() bool {
	for _, t := range p.toks {
		if t.kind == tokRef || isVerb(t) || t.is("es", "sie", "wenn", "auszublenden", "anzuzeigen", "auszufüllen", "befüllen", "befüllt",
			"pflichtangabe", "anzeigen", "ausblenden", "angezeigt", "ausgeblendet") {
			return false
		}
	}
	return !p.landMentioned()
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func tokensText(toks []token) string {
	var parts []string
	for _, t := range toks {
		parts = append(parts, t.text)
	}
	return strings.Join(parts, " ")
}
