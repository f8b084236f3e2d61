package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// ruleParser reads the statements of one rule text. It understands the
// phrasing families of FIM rules (see compile.go for the list) and fails
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

// isVerb reports whether t starts an effect phrase.
func isVerb(t token) bool {
	return t.is("aktiviere", "deaktiviere", "zeige", "blende", "mache", "muss", "darf", "kann", "wird", "erscheint")
}

func (p *ruleParser) setTargets(out []*node, or bool) {
	p.lastTargets = out
	p.orTargets = nil
	if or {
		p.orTargets = out
	}
}

// add adds an effect on each target. A requirement of targets joined by
// ODER ("muss A oder B befüllt werden") is one requirement: at least one
// of them filled.
func (p *ruleParser) add(kind Kind, targets []*node, when any) {
	if kind == Require && len(targets) > 1 && slices.Equal(targets, p.orTargets) {
		var xs []any
		for _, n := range targets {
			xs = append(xs, filled(vr(n.path)))
		}
		p.effects = append(p.effects, Effect{Kind: Validate, Target: targets[0].path, When: when, Check: or(xs...),
			Message: fmt.Sprintf("Bitte füllen Sie mindestens eines der Felder %s aus.", labelList(targets))})
		return
	}
	for _, n := range targets {
		p.effects = append(p.effects, Effect{Kind: kind, Target: n.path, When: when})
	}
}

// effects reads effect phrases joined by "und" or commas, applying when.
// It stops before ", wenn", ", bei", "sonst" and at the end of the
// statement, and reports what it added.
func (p *ruleParser) effectPhrases(when any) ([]Effect, error) {
	start := len(p.effects)
	for {
		p.accept("dann")
		t := p.peek(0)
		var err error
		switch {
		case t.is("aktiviere"):
			p.pos++
			var ts []*node
			if ts, err = p.targets(); err == nil {
				p.add(Show, ts, when)
			}
		case t.is("deaktiviere"):
			p.pos++
			var ts []*node
			if ts, err = p.targets(); err == nil {
				p.add(Hide, ts, when)
			}
		case t.is("mache"):
			// "mache es/sie zu einer Pflichtangabe"
			p.pos++
			p.accept("es", "sie")
			p.accept("zu", "zur")
			p.accept("einer")
			if !p.accept("pflichtangabe", "pflichtfeld") {
				return nil, p.fail("„mache …“ ohne Pflichtangabe: „%s“", p.rest())
			}
			if len(p.lastTargets) == 0 {
				return nil, p.fail("„mache es zu einer Pflichtangabe“ ohne Bezug")
			}
			p.add(Require, p.lastTargets, when)
		case t.is("zeige"):
			p.pos++
			required := false
			if p.accept("als") {
				if !p.accept("pflicht", "pflichtfeld", "pflichtangabe") {
					return nil, p.fail("„zeige als …“ nicht verstanden: „%s“", p.rest())
				}
				required = true
			}
			var ts []*node
			if ts, err = p.targets(); err != nil {
				break
			}
			if p.peek(0).is("als") && p.peek(1).is("pflichtangabe") {
				p.pos += 2 // "zeige X als Pflicht an"
				required = true
			}
			if p.accept("nicht") {
				p.accept("an")
				p.add(Hide, ts, when)
				break
			}
			p.accept("an")
			p.add(Show, ts, when)
			if required {
				p.add(Require, ts, when)
			}
		case t.is("blende"):
			p.pos++
			var ts []*node
			if ts, err = p.targets(); err != nil {
				break
			}
			switch {
			case p.accept("aus"):
				p.add(Hide, ts, when)
			case p.accept("ein"):
				p.add(Show, ts, when)
			default:
				return nil, p.fail("„blende …“ ohne aus/ein: „%s“", p.rest())
			}
		case t.is("muss", "darf", "kann", "wird", "ist", "sind", "erscheint"):
			p.pos++
			err = p.verbPhrase(t.lower, nil, when)
		case t.is("entfällt"):
			// "dann entfällt X": X is not asked.
			p.pos++
			var ts []*node
			if ts, err = p.targets(); err == nil {
				p.add(Hide, ts, when)
			}
		case t.is("als") && p.peek(1).is("pflichtangabe") && len(p.lastTargets) > 0:
			// "… und als Pflicht markieren / kennzeichnen"
			p.pos += 2
			p.accept("markieren", "kennzeichnen", "festlegen", "definieren", "setzen")
			p.add(Require, p.lastTargets, when)
		case t.kind == tokRef:
			// "DANN G1 "…", G2 "…" UND deaktiviere …": a list without verb
			// activates; "DANN X einblenden / ausblenden / als Pflicht
			// anzeigen"; "DANN X ist zu befüllen".
			var ts []*node
			if ts, err = p.targets(); err != nil {
				break
			}
			if p.peek(0).kind == tokOp && p.peek(0).text == "=" && p.peek(1).is("pflichtangabe", "ausgeblendet", "ausblenden") {
				p.pos++ // "DANN F = PFLICHT", "SONST F = AUSGEBLENDET"
			}
			required := p.accept("als") && p.accept("pflichtangabe")
			if !required && p.accept("pflichtangabe") {
				p.add(Require, ts, when) // "DANN F PFLICHT"
				break
			}
			switch nx := p.peek(0); {
			case nx.is("muss", "darf", "kann", "wird", "ist", "sind", "erscheint"):
				p.pos++
				err = p.verbPhrase(nx.lower, ts, when)
			case p.accept("ausblenden", "ausgeblendet"):
				p.add(Hide, ts, when)
			case p.peek(0).is("nicht") && p.peek(1).is("anzeigen") && !required:
				p.pos += 2 // "DANN X nicht anzeigen / einblenden"
				p.add(Hide, ts, when)
			case p.peek(0).is("auszublenden", "anzuzeigen", "auszufüllen") || (p.peek(0).is("zu") && p.peek(1).is("befüllen")):
				// "ist X auszufüllen und Y auszublenden": the verb of the
				// first phrase serves the second.
				err = p.verbPhrase("ist", ts, when)
			default:
				p.accept("anzeigen")
				if p.peek(0).is("und") && p.peek(1).is("befüllen") {
					p.pos += 2 // "DANN F einblenden und befüllen"
					required = true
				}
				p.add(Show, ts, when)
				if required {
					p.add(Require, ts, when)
				}
			}
		default:
			if len(p.effects) == start {
				return nil, p.fail("keine Wirkung erkannt bei „%s“", p.rest())
			}
			return p.effects[start:], nil
		}
		if err != nil {
			return nil, err
		}
		// ", wobei nur die Codes A … ODER B … zulässig sind"
		if p.peek(0).is("wobei", "dabei") || (p.peek(0).punct(",") && p.peek(1).is("wobei", "dabei")) {
			p.acceptPunct(",")
			p.pos++
			p.accept("sind", "ist")
			if err := p.restriction(when); err != nil {
				return nil, err
			}
		}
		// ", aber nicht verpflichtend", ", jedoch keine Pflichtangabe":
		// says that the shown element stays optional.
		if k := p.notRequiredAhead(); k > 0 && len(p.effects) > start && p.effects[len(p.effects)-1].Kind == Show {
			p.pos += k
		}
		// Another phrase? "UND deaktiviere …", ", zeige …"
		save := p.pos
		p.acceptPunct(",")
		if p.accept("und") || isVerb(p.peek(0)) || p.peek(0).kind == tokRef {
			if isVerb(p.peek(0)) || p.peek(0).kind == tokRef {
				continue
			}
			if p.peek(0).is("ist", "sind") && p.pos > save && p.toks[p.pos-1].is("und") {
				continue // "… und ist ein Pflichtfeld"
			}
			if p.peek(0).is("als") && p.peek(1).is("pflichtangabe") && p.toks[p.pos-1].is("und") {
				continue // "… und als Pflicht markieren"
			}
		}
		p.pos = save
		return p.effects[start:], nil
	}
}

// describedEntryAhead returns the length of "eine <Beschreibung>
// anzugeben" / "… zu befüllen" ahead: up to four words that are no
// element, verb, negation or Pflicht, then the gerund; or 0.
func (p *ruleParser) describedEntryAhead() int {
	for k := 1; k <= 5; k++ {
		t := p.peek(k)
		switch {
		case t.is("auszufüllen"):
			return k + 1
		case t.is("zu") && p.peek(k+1).is("befüllen"):
			return k + 2
		case t.kind != tokWord || isVerb(t) || isComparison(t) || t.is("pflichtangabe", "und", "oder", "ist", "sind", "wenn", "dann", "sonst"):
			return 0
		}
	}
	return 0
}

// notRequiredAhead returns the length of ", aber nicht verpflichtend" /
// ", jedoch keine Pflichtangabe" / ", aber optional" ahead, or 0.
func (p *ruleParser) notRequiredAhead() int {
	k := 0
	if p.peek(k).punct(",") {
		k++
	}
	if !p.peek(k).is("aber", "jedoch", "allerdings") {
		return 0
	}
	k++
	switch {
	case p.peek(k).is("nicht", "kein", "keine") && p.peek(k+1).is("pflichtangabe"):
		return k + 2
	case p.peek(k).is("optional"):
		return k + 1
	}
	return 0
}

// verbPhrase reads what follows a finite verb of an effect (muss, darf,
// kann, wird, ist/sind, erscheint), with the element(s) it acts on either
// written after the verb or given as ts (the subject of a statement such as
// "Das Datenfeld X muss befüllt werden"); without either, the last targets
// (es, sie, or an elided subject as in "erscheint X und muss befüllt
// werden"):
//
//	muss X befüllt sein/werden                    require
//	muss X als <Beschreibung> angegeben werden    require
//	muss X nicht befüllt sein                     (no effect: optional)
//	muss/kann X angezeigt werden                  show
//	muss mindestens eines der Felder A, B oder C befüllt sein   validate
//	darf X nicht befüllt sein / angezeigt werden  hide
//	darf X nicht leer sein                        require
//	muss X leer bleiben                           hide
//	kann X befüllt werden                         show
//	wird X zur/eine Pflichtangabe                 require
//	wird X angezeigt / ausgeblendet / nicht angezeigt   show / hide
//	ist X zu befüllen / ein Pflichtfeld            require
//	ist X kein Pflichtfeld / nicht erforderlich    (no effect: optional)
//	ist X optional / freiwillig                    (no effect)
//	ist X anzuzeigen / nur dann zu befüllen        show
//	ist X auszublenden / nicht zu befüllen / nicht anzuzeigen   hide
//	erscheint X                                   show
func (p *ruleParser) verbPhrase(verb string, ts []*node, when any) error {
	if (verb == "muss" || verb == "ist") && ts == nil && p.peek(0).is("mindestens") {
		return p.atLeastOneIn(when)
	}
	if ts == nil {
		var err error
		if ts, err = p.phraseTargets(); err != nil {
			return err
		}
	}
	if verb == "erscheint" {
		p.add(Show, ts, when)
		return nil
	}
	neg := p.accept("nicht")
	if neg && p.peek(0).is("mehr") && !p.peek(1).is("als") {
		p.pos++ // "ist nicht mehr anzuzeigen"
	}
	if p.accept("zwingend", "unbedingt") && neg {
		// "ist X nicht zwingend auszufüllen", "muss X nicht unbedingt
		// befüllt werden": optional, nothing to do.
		p.accept("zu")
		if !p.accept("befüllen", "auszufüllen", "befüllt", "angegeben") {
			return p.fail("„%s … nicht zwingend …“ nicht verstanden: „%s“", verb, p.rest())
		}
		p.accept("werden", "sein")
		return p.restate(ts)
	}
	if verb == "muss" && !neg && p.peek(0).is("nur") {
		// "muss nur (dann) befüllt werden, wenn …": required then, optional
		// otherwise.
		p.pos++
		p.accept("dann")
	}
	if p.accept("nur") {
		// "ist nur dann zu befüllen / anzuzeigen", "wird nur angezeigt":
		// shown only then; "ist nur erforderlich": required only then.
		p.accept("dann")
		if neg {
			return p.fail("„%s nicht … nur“ nicht verstanden: „%s“", verb, p.rest())
		}
		p.accept("zu")
		switch {
		case p.accept("befüllen", "anzuzeigen", "angezeigt", "auszufüllen"),
			(verb == "darf" || verb == "kann") && p.accept("befüllt"):
			// "darf nur befüllt werden, wenn …": shown only then.
			p.accept("werden", "sein")
			p.add(Show, ts, when)
		case p.accept("pflichtangabe"):
			p.add(Require, ts, when)
		default:
			return p.fail("„nur dann …“ nicht verstanden: „%s“", p.rest())
		}
		return nil
	}
	if p.accept("als") {
		// "muss Feldgruppe G als Anschrift im Inland angegeben werden":
		// the description says how, the verb says that.
		for k := 0; k < 8 && !p.atEnd() && !p.peek(0).is("befüllt", "angegeben", "angezeigt"); k++ {
			if p.peek(0).is("pflichtangabe") {
				verb = "wird"
			}
			p.pos++
		}
		if verb == "wird" && !p.peek(0).is("befüllt", "angegeben", "angezeigt") {
			p.accept("werden")
			p.add(Require, ts, when)
			return nil
		}
	}
	gerund := verb == "ist" || verb == "sind"
	if verb == "muss" || verb == "darf" {
		if ok, err := p.valueCheck(verb, neg, ts, when); ok || err != nil {
			return err
		}
	}
	switch {
	case gerund && p.accept("zu"):
		if !p.accept("befüllen", "angeben") {
			return p.fail("„%s … zu …“ nicht verstanden: „%s“", verb, p.rest())
		}
		if neg {
			p.add(Hide, ts, when)
		} else {
			p.add(Require, ts, when)
		}
	case gerund && p.accept("anzuzeigen"):
		if neg {
			p.add(Hide, ts, when)
		} else {
			p.add(Show, ts, when)
		}
	case gerund && p.accept("auszublenden"):
		if neg {
			// "ist X nicht auszublenden": shown there, nothing said
			// elsewhere; never a hide.
			return p.fail("„%s … nicht auszublenden“ nicht verstanden", verb)
		}
		p.add(Hide, ts, when)
	case gerund && !neg && p.accept("optional"):
		// "ist X optional / freiwillig": nothing to do.
		if err := p.restate(ts); err != nil {
			return err
		}
	case (gerund || verb == "wird") && (neg || p.peek(0).is("kein", "keine")) && p.peek(0).is("kein", "keine", "pflichtangabe"):
		// "ist X kein Pflichtfeld", "ist X nicht erforderlich", "wird X
		// keine Pflichtangabe": optional, nothing to do.
		if p.accept("kein", "keine") && neg {
			return p.fail("„%s nicht … kein …“ nicht verstanden", verb)
		}
		if !p.accept("pflichtangabe") {
			return p.fail("„%s … kein …“ nicht verstanden: „%s“", verb, p.rest())
		}
		if err := p.restate(ts); err != nil {
			return err
		}
	case gerund && !neg && p.peek(0).is("ein", "eine", "einen") && p.describedEntryAhead() > 0:
		// "ist in X eine Erläuterung anzugeben / zu befüllen": an entry is
		// demanded; the words name what it says.
		p.pos += p.describedEntryAhead()
		p.add(Require, ts, when)
	case gerund && (p.accept("ein", "eine") || p.peek(0).is("pflichtangabe")):
		if !p.accept("pflichtangabe") || neg {
			return p.fail("„%s … ein …“ nicht verstanden: „%s“", verb, p.rest())
		}
		if p.accept("zu") {
			p.accept("befüllen") // "ist X verpflichtend zu befüllen"
		} else {
			p.accept("auszufüllen")
		}
		p.add(Require, ts, when)
	case gerund && p.accept("auszufüllen"):
		if neg {
			p.add(Hide, ts, when)
		} else {
			p.add(Require, ts, when)
		}
	case p.accept("befüllt", "angegeben"):
		p.accept("sein", "werden")
		switch {
		case verb == "muss" && !neg, verb == "ist" && !neg, verb == "sind" && !neg:
			p.add(Require, ts, when)
		case verb == "muss" && neg:
			// "muss nicht befüllt sein": optional, nothing to do.
			if err := p.restate(ts); err != nil {
				return err
			}
		case verb == "darf" && neg:
			p.add(Hide, ts, when)
		case verb == "kann" && !neg:
			p.add(Show, ts, when)
		default:
			return p.fail("„%s … befüllt“ nicht verstanden", verb)
		}
	case p.accept("angezeigt"):
		p.accept("werden", "sein")
		switch {
		case verb == "darf" && neg, verb == "wird" && neg, gerund && neg:
			p.add(Hide, ts, when)
		case !neg && (verb == "muss" || verb == "kann" || verb == "wird" || gerund):
			p.add(Show, ts, when)
		default:
			return p.fail("„%s … angezeigt“ nicht verstanden", verb)
		}
	case verb == "wird" && !neg && p.peek(0).is("aktiviert", "deaktiviert"):
		if p.next().is("aktiviert") {
			p.add(Show, ts, when)
		} else {
			p.add(Hide, ts, when)
		}
	case p.accept("ausgeblendet"):
		p.accept("werden", "sein")
		if neg || verb == "kann" || verb == "darf" {
			return p.fail("„%s … ausgeblendet“ nicht verstanden", verb)
		}
		p.add(Hide, ts, when)
	case p.accept("leer"):
		p.accept("sein", "bleiben")
		switch {
		case verb == "darf" && neg:
			p.add(Require, ts, when)
		case verb == "muss" && !neg:
			// "muss X leer bleiben": as "darf X nicht befüllt sein".
			p.add(Hide, ts, when)
		default:
			return p.fail("„%s … leer“ nicht verstanden", verb)
		}
	case verb == "wird" && !neg:
		p.accept("zur", "zum", "zu", "eine")
		p.accept("einer")
		if !p.accept("pflichtangabe") {
			return p.fail("„wird …“ ohne Pflichtangabe: „%s“", p.rest())
		}
		p.add(Require, ts, when)
	default:
		return p.fail("„%s …“ nicht verstanden: „%s“", verb, p.rest())
	}
	if gerund && p.peek(0).is("und") && p.peek(1).is("auszufüllen", "anzuzeigen", "auszublenden", "zu", "pflichtangabe") {
		// "ist G anzuzeigen und auszufüllen"
		p.pos++
		return p.verbPhrase(verb, ts, when)
	}
	return nil
}

// restriction reads "wobei nur die Codes A … ODER B … zulässig sind" after
// an effect: of the last target's codes only those named may be chosen
// while the condition holds.
func (p *ruleParser) restriction(when any) error {
	if len(p.lastTargets) != 1 {
		return p.fail("„wobei nur …“ ohne genau ein Element")
	}
	n := p.lastTargets[0]
	if n.el.Kind != form.KindField || !n.el.HasCodes() || n.repeats() {
		return p.fail("„wobei nur … zulässig“ für %s, das kein einfaches Auswahlfeld ist", n.el.ID)
	}
	if p.accept("für") {
		if _, err := p.targets(); err != nil {
			return err
		}
	}
	p.accept("sind", "ist")
	only := p.accept("nur")
	p.accept("die", "der", "den")
	p.accept("wert")
	s := &subject{kind: "elem", nodes: []*node{n}}
	var codes []any
	var names []string
	for p.isValue(s, p.peek(0)) {
		vt := p.next()
		v, err := p.literal(n, vt)
		if err != nil {
			return err
		}
		codes = append(codes, v)
		for _, w := range n.el.Codes() {
			if w.Code == v {
				names = append(names, "„"+w.Name+"“")
			}
		}
		p.skipValueName(s, vt)
		p.acceptPunct(",")
		p.accept("oder", "und")
	}
	if len(codes) == 0 {
		return p.fail("„wobei nur …“ ohne Werte: „%s“", p.rest())
	}
	if !only {
		// "wobei die Codes A und B nicht zulässig sind"
		if !p.accept("nicht") || !p.accept("zulässig") {
			return p.fail("„wobei …“ nicht verstanden: „%s“", p.rest())
		}
		p.accept("sind", "ist", "sein")
		p.effects = append(p.effects, Effect{Kind: Validate, Target: n.path, When: and(when, filled(vr(n.path))),
			Check:   not(op("in", vr(n.path), codes)),
			Message: fmt.Sprintf("Bei „%s“ ist hier %s nicht zulässig.", n.el.Label(), strings.Join(names, " oder "))})
		return nil
	}
	switch {
	case p.accept("zulässig"):
		p.accept("sind", "ist", "sein")
	case p.accept("ausgewählt", "angegeben"):
		// "… ausgewählt werden dürfen / können"
		p.accept("werden")
		if !p.accept("darf", "kann") {
			return p.fail("erwartet „dürfen“ bei „%s“", p.rest())
		}
	default:
		return p.fail("erwartet „zulässig“ bei „%s“", p.rest())
	}
	p.effects = append(p.effects, Effect{Kind: Validate, Target: n.path, When: and(when, filled(vr(n.path))),
		Check:   op("in", vr(n.path), codes),
		Message: fmt.Sprintf("Bei „%s“ ist hier nur %s zulässig.", n.el.Label(), strings.Join(names, " oder "))})
	return nil
}

// valueCheck reads what a value must be, as a validation:
//
//	muss / darf nicht in der Zukunft / Vergangenheit liegen   (a date)
//	muss größer / kleiner als N sein, darf nicht größer als N sein   (a number)
//
// It reports whether it read one.
func (p *ruleParser) valueCheck(verb string, neg bool, ts []*node, when any) (bool, error) {
	save := p.pos
	var check func(n *node) (any, string, error)
	switch {
	case p.peek(0).is("in") && p.peek(1).is("der") && p.peek(2).is("zukunft", "vergangenheit"):
		future := p.peek(2).is("zukunft")
		p.pos += 3
		if !p.accept("liegen") {
			p.pos = save
			return false, nil
		}
		// Must lie in the future: after today. Must not: today or before.
		after := future != (verb == "darf" && neg)
		if verb == "muss" && neg {
			return false, p.fail("„muss nicht in der …“ nicht verstanden")
		}
		check = func(n *node) (any, string, error) {
			if n.el.Kind != form.KindField || n.el.Datentyp != form.DatentypDate {
				return nil, "", p.fail("%s ist kein Datumsfeld", n.el.ID)
			}
			d := op("days_between", vr(VarToday), vr(n.path))
			if after && future {
				return op(">", d, 0), "„%s“ muss in der Zukunft liegen.", nil
			}
			if after {
				return op(">=", d, 0), "„%s“ darf nicht in der Vergangenheit liegen.", nil
			}
			if future {
				return op("<=", d, 0), "„%s“ darf nicht in der Zukunft liegen.", nil
			}
			return op("<", d, 0), "„%s“ muss in der Vergangenheit liegen.", nil
		}
	case p.peek(0).is("zwischen") && p.peek(1).kind == tokNumber && p.peek(2).is("und") && p.peek(3).kind == tokNumber &&
		p.peek(4).is("liegen") && verb == "muss" && !neg:
		// "muss zwischen 1 und 10 liegen": both bounds included.
		lo, hi := p.peek(1).text, p.peek(3).text
		l, _ := strconv.ParseFloat(lo, 64)
		h, _ := strconv.ParseFloat(hi, 64)
		p.pos += 5
		check = func(n *node) (any, string, error) {
			if n.el.Kind != form.KindField || !n.el.Datentyp.Numeric() {
				return nil, "", p.fail("%s ist kein Zahlenfeld", n.el.ID)
			}
			return op("<=", l, vr(n.path), h), "„%s“ muss zwischen " + lo + " und " + hi + " liegen.", nil
		}
	case p.peek(0).is("größer", "kleiner") || p.peek(0).is("mehr", "weniger") && p.peek(1).is("als") ||
		p.peek(0).is("höchstens", "mindestens") && p.peek(1).kind == tokNumber:
		// "muss größer als 0 sein", "darf nicht mehr als 10 betragen",
		// "darf höchstens 99 betragen", "muss mindestens 18 sein"
		w := p.next().lower
		o := map[string]string{"größer": ">", "kleiner": "<", "mehr": ">", "weniger": "<", "höchstens": "<=", "mindestens": ">="}[w]
		if p.peek(0).is("oder") && p.peek(1).is("gleich") {
			p.pos++ // "größer oder gleich"
		}
		if len(o) == 1 && p.accept("gleich") {
			o += "="
		} else {
			p.accept("als")
		}
		nt := p.next()
		if nt.kind != tokNumber {
			p.pos = save
			return false, nil
		}
		p.accept("sein", "betragen")
		bound := w == "höchstens" || w == "mindestens"
		if verb == "darf" && neg {
			o = map[string]string{">": "<=", "<": ">=", ">=": "<", "<=": ">"}[o]
		} else if (verb != "muss" && !(verb == "darf" && bound)) || neg {
			return false, p.fail("„%s … %s“ nicht verstanden", verb, nt.text)
		}
		v, _ := strconv.ParseFloat(nt.text, 64)
		check = func(n *node) (any, string, error) {
			if n.el.Kind != form.KindField || !n.el.Datentyp.Numeric() {
				return nil, "", p.fail("%s ist kein Zahlenfeld", n.el.ID)
			}
			return op(o, vr(n.path), v), "„%s“ muss " + map[string]string{">": "größer als ", "<": "kleiner als ", ">=": "mindestens ", "<=": "höchstens "}[o] + nt.text + " sein.", nil
		}
	default:
		return false, nil
	}
	for _, n := range ts {
		c, msg, err := check(n)
		if err != nil {
			return true, err
		}
		p.effects = append(p.effects, Effect{Kind: Validate, Target: n.path, When: and(when, filled(vr(n.path))), Check: c,
			Message: fmt.Sprintf(msg, n.el.Label())})
	}
	return true, nil
}

// restate notes a phrase that says an element is optional. That is what
// holds without a rule when the element's Anzahl allows none; an element
// its Anzahl requires would need an effect that lifts the requirement,
// which rules do not have, so the rule is then not compiled.
func (p *ruleParser) restate(ts []*node) error {
	for _, n := range ts {
		if n.el != nil && n.anzahl.Min >= 1 {
			return p.fail("%s ist nach seiner Anzahl (%d:…) Pflicht; dass die Regel es freiwillig macht, setzt antrag nicht um", n.el.ID, n.anzahl.Min)
		}
	}
	p.restated = true
	return nil
}

// phraseTargets reads the elements an effect verb acts on: written out,
// a pronoun (es, sie), or, with neither, the last targets.
func (p *ruleParser) phraseTargets() ([]*node, error) {
	if p.refAhead() || p.peek(0).is("es", "sie") {
		return p.targets()
	}
	if len(p.lastTargets) > 0 {
		return p.lastTargets, nil
	}
	return p.targets()
}

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

// landConditionAhead reports a condition on the Land of the responsible
// authority: "das Bundesland = NW", "die zuständige Behörde in Bayern
// liegt", "der Antrag in NRW gestellt wird".
func (p *ruleParser) landConditionAhead() bool {
	k := 0
	for p.peek(k).is("das", "die", "der", "den", "dem", "bei") {
		k++
	}
	t := p.peek(k)
	if t.is("land") {
		return true
	}
	if t.is("zuständige", "zuständigen") || (t.is("antrag") && p.peek(k+1).is("in", "im")) {
		for j := k + 1; j < k+10; j++ {
			u := p.peek(j)
			if u.kind == tokRef || u.punct(",") || u.is("dann") {
				return false
			}
			if isLand(u) {
				return true
			}
		}
	}
	return false
}

// isLand reports a token naming a Land by code or name.
func isLand(t token) bool {
	return t.kind == tokWord && (landCodes[t.text] != "" || landNames[t.lower] != "")
}

// landCondition reads a condition on the Land (see landConditionAhead):
// the Länder it names, negated by "nicht", "<>" or "!=", up to the end of
// the condition.
func (p *ruleParser) landCondition() (any, error) {
	var codes []string
	neg := false
	for !p.atEnd() {
		t := p.peek(0)
		if t.is("wird", "wurde") && (p.peek(1).punct(",") || p.peek(1).is("dann")) {
			p.pos++ // "der Antrag in Bayern gestellt wird, …"
			continue
		}
		if t.punct(",") || t.is("dann") || isVerb(t) {
			break
		}
		if t.is("und", "oder") && len(codes) > 0 && !isLand(p.peek(1)) && !(p.peek(1).is("in", "im", "das", "dem") && isLand(p.peek(2))) {
			break
		}
		switch {
		case isLand(t):
			if c := landCodes[t.text]; c != "" {
				codes = append(codes, c)
			} else {
				codes = append(codes, landNames[t.lower])
			}
		case t.is("nicht", "ungleich") || (t.kind == tokOp && (t.text == "<>" || t.text == "!=")):
			neg = true
		}
		p.pos++
	}
	if len(codes) == 0 {
		return nil, p.fail("Bedingung auf das Land ohne Land: „%s“", p.rest())
	}
	x := any(op("in", vr(VarBundesland), toAny(codes)))
	if neg {
		x = not(x)
	}
	return x, nil
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
	build := func(vt token) (any, error) {
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
	var xs []any
	for _, v := range vals {
		x, err := build(v)
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

// refAheadAt reports whether an element reference follows, after filler
// words, k tokens ahead.
func (p *ruleParser) refAheadAt(k int) bool {
	save := p.pos
	p.pos += k
	ok := p.refAhead()
	p.pos = save
	return ok
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
