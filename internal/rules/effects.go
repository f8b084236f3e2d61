package rules

// Productions of effects: the verb phrases that show, hide, require or
// check elements (see Compile for the list).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// isVerb reports whether t starts an effect phrase.
func isVerb(t token) bool {
	return t.is("aktiviere", "deaktiviere", "zeige", "blende", "mache", "muss", "darf", "kann", "wird", "erscheint")
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
