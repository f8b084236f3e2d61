package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// Compile compiles every regel of the schema, at every place that carries
// one. It never fails: a rule it cannot compile is Unsupported, with the
// reason.
//
// The free text (freitextRegel in XDatenfelder 3, definition in 2) is read
// by a grammar over a lexicon. The lexicon (lexicon.txt) maps the written
// forms of the rule language to lemmas: synonyms ("falls" for "wenn",
// "ausgefüllt", "eingetragen" for "befüllt", "Datengruppe" for
// "Feldgruppe"), inflections and misspellings ("Ländern"), and lists the
// abbreviations whose full stop ends no sentence ("GmbH i.G.", "bzw.").
// The productions are written in lemmas only (statements.go, conditions.go, effects.go, land.go):
//
//   - rule: statement { "." statement }, with Land sections
//     "Für das Land XX gilt[:]", "Für die Länder XX, YY gilt", "Nur für
//     NRW:", "Für alle anderen Länder gilt:" guarding the statements that
//     follow with the Land of the responsible authority (VarBundesland);
//     a contradiction that occurs only for some Länder is judged per Land;
//   - conditional: WENN|BEI condition [,] [DANN] effects {, wenn condition
//     [dann] effects} [, SONST effects | , ansonsten nicht];
//   - declarative: elements verb-phrase [, wenn condition] ("Das Datenfeld
//     X muss befüllt werden", "X ist nur dann zu befüllen, wenn …", "X
//     ausblenden");
//   - validations: "mindestens eines der Felder A, B oder C" (also of a
//     Feldgruppe, and under a condition), "entweder A oder B", a valid
//     calendar date from day, month and year, "Datum A vor/nach Datum B",
//     "jeder Eintrag nur einmal", "…, wobei nur die Codes A ODER B zulässig
//     sind";
//   - condition: comparisons joined by UND (binding closer) and ODER, with
//     parentheses. A comparison has a subject (an element or a path
//     G….G….F…; several elements with one predicate; "mindestens ein Feld
//     der Feldgruppe"; "(aktuelles Datum - F)"; the Land) and a predicate:
//     an operator (=, ==, ===, <>, !=, <, >, <=, >=, gleich, ungleich,
//     größer als) with one value or a list of values joined by ODER, UND or
//     commas, each code optionally followed by its name ("003 - Änderung
//     der Anschrift", 001 "liegt vor", "S Eintragung im
//     Stiftungsverzeichnis"); a code without operator; "alle anderen
//     möglichen Ausprägungen der Codeliste"; "= leer"; "ist leer", "nicht
//     leer", "befüllt", "bejaht", "verneint", "angekreuzt", "mit … belegt",
//     "den Wert … hat"; a time span in days or years; membership in a
//     named set of states ("ein Staat, der nicht zur EU, zum EWR oder zur
//     Schweiz gehört", resolved through the element's Codeliste and the
//     documented table sets.txt, never guessed); negation with "nicht";
//   - effects: aktiviere, deaktiviere, zeige [als Pflicht] … [nicht] an,
//     blende … aus/ein, mache es zu einer Pflichtangabe, muss … befüllt
//     sein / angezeigt werden / als … angegeben werden, darf … nicht
//     befüllt sein / angezeigt werden / leer sein, kann … befüllt werden,
//     wird … zur Pflichtangabe / angezeigt / ausgeblendet / aktiviert, ist
//     … zu befüllen / anzugeben / auszublenden / anzuzeigen / ein
//     Pflichtfeld, erscheint … [und muss befüllt werden], … einblenden /
//     ausblenden / als Pflichtfeld anzeigen, and the hidden prefill "ist
//     mit 001 vorzubefüllen und auszublenden".
//
// Sentences that name no element, Land, effect or pronoun explain the rule
// and are skipped.
func Compile(s *form.Schema) *Program {
	return CompileWith(s, nil)
}

func compileRule(ix *index, scope *node, r form.Regel) *Rule {
	out := &Rule{ID: r.ID, Version: r.Version, Name: r.Name, Scope: scope.path, Text: strings.TrimSpace(r.FreitextRegel)}
	effects, err := parseRule(ix, scope, out.Text, r.Skript)
	switch {
	case err == errInformational:
		out.Status, out.Reason = Informational, "Die Regel hat weder Text noch Skript und beschreibt damit kein Verhalten."
		return out
	case err == errRestates:
		out.Status, out.Reason = Informational, "Die Regel sagt nur, was ohne Regel gilt (das Element ist freiwillig oder wird angezeigt); sie ändert nichts."
		return out
	case err != nil:
		out.Status, out.Reason = Unsupported, err.Error()
		return out
	}
	out.Effects = effects
	for _, e := range effects {
		for _, v := range append(varsOf(e.When), varsOf(e.Check)...) {
			if !slices.Contains(out.Vars, v) {
				out.Vars = append(out.Vars, v)
			}
		}
	}
	if err := checkVars(ix, scope, out); err != nil {
		out.Status, out.Reason, out.Effects = Unsupported, err.Error(), nil
		return out
	}
	if msg := contradiction(ix, out); msg != "" {
		if bad, someFine := contradictoryLands(ix, out); slices.Contains(out.Vars, VarBundesland) && someFine {
			// Judged per Land: where it contradicts itself the rule does
			// not act, elsewhere it does.
			out.Effects = exceptLands(out.Effects, bad)
			out.Reason = fmt.Sprintf("Für %s widersprüchlich, dort wirkt die Regel nicht. %s", landList(bad), msg)
			out.Status = Compiled
			return out
		}
		out.Status, out.Reason, out.Effects = Unsupported, msg, nil
		return out
	}
	out.Status = Compiled
	return out
}

// inlineRefRE finds a reference quoted together with its name:
// "F00001028 Krankenversicherungsträger".
var inlineRefRE = regexp.MustCompile(`"([FG][0-9]{5,}(?:\.[FG][0-9]{5,})*[^"]*)"`)

func parseRule(ix *index, scope *node, text, skript string) ([]Effect, error) {
	if text == "" {
		if s := strings.TrimSpace(skript); s != "" && !emptyScript(s) {
			return nil, fmt.Errorf("Die Regel hat nur ein Skript und keinen Text; Skripte werden nicht ausgeführt.")
		}
		return nil, errInformational
	}
	text = inlineRefRE.ReplaceAllString(quoteReplacer.Replace(text), "$1")
	text = ix.stripLabels(text)
	p := &ruleParser{ix: ix, scope: scope, literals: map[string][]any{}}
	if scope.el != nil {
		// A rule on an element may speak of it without naming it:
		// "Pflichtfeld, wenn …", "Nur anzeigen, wenn …".
		p.self = scope
	}
	low := strings.ToLower(text)
	if strings.Contains(low, "validität") && strings.Contains(low, "datum") {
		// The whole rule is the calendar-date check; its second sentence
		// ("D.h. es muss z.B. 30.02.2019 … verhindert werden") explains it.
		p.toks = lex(text)
		if err := p.validDate(); err != nil {
			return nil, err
		}
		return p.effects, nil
	}
	prev := 0 // where the effects of the previous statement begin
	for _, st := range statements(lex(text)) {
		p.toks, p.pos = st, 0
		if land, ok, err := p.appliesTo(); ok || err != nil {
			// "Dies gilt nur für Bayern.": the previous statement's Land.
			if err != nil {
				return nil, err
			}
			if prev == len(p.effects) {
				return nil, p.fail("„gilt … für“ ohne vorherige Aussage")
			}
			guardLand(p.effects[prev:], land)
			continue
		}
		// "… (gilt nicht für BY)": the same at the end of the statement.
		var trailing any
		if i := p.trailingAppliesTo(); i >= 0 {
			toks := p.toks
			p.toks, p.pos = toks[i+1:len(toks)-1], 0
			land, _, err := p.appliesTo()
			if err != nil {
				return nil, err
			}
			trailing = land
			p.toks, p.pos = toks[:i], 0
		}
		if err := p.landHeader(); err != nil {
			return nil, err
		}
		if p.atEnd() {
			continue
		}
		start := len(p.effects)
		if err := p.statement(); err != nil {
			return nil, err
		}
		if p.section != nil {
			guardLand(p.effects[start:], p.section)
		}
		if trailing != nil {
			guardLand(p.effects[start:], trailing)
		}
		prev = start
	}
	if err := p.fillOthers(); err != nil {
		return nil, err
	}
	if len(p.effects) == 0 {
		if p.restated && p.skipped == "" {
			return nil, errRestates
		}
		if p.skipped != "" {
			return nil, fmt.Errorf("Satz nicht verstanden: „%s“ (nennt weder Element noch Wirkung)", p.skipped)
		}
		return nil, fmt.Errorf("Keine Wirkung erkannt.")
	}
	return p.effects, nil
}

// emptyScript reports whether a skript is an empty template such as
// "function script() {}" that XDatenfelder 2 editors export by default.
func emptyScript(s string) bool {
	s = strings.Join(strings.Fields(s), "")
	return s == "functionscript(){}"
}

// checkVars makes sure every variable can be read for one place of the
// rule: a path may pass through a repeated element only where the rule's
// own carrier lies inside that element (then the entry is the carrier's),
// or at its very end (then the variable is the list).
func checkVars(ix *index, scope *node, r *Rule) error {
	for _, v := range r.Vars {
		if strings.HasPrefix(v, "$") {
			continue
		}
		n := ix.byPath[v]
		for a := n.parent; a != nil && a.el != nil; a = a.parent {
			if a.repeats() && !isAncestorOrSelf(a, scope) {
				return fmt.Errorf("Die Regel liest %s in einem mehrfach vorkommenden Element (%s) außerhalb ihres Geltungsbereichs; welcher Eintrag gemeint ist, bleibt offen.", n.el.ID, a.el.ID)
			}
		}
	}
	return nil
}

func isAncestorOrSelf(a, n *node) bool {
	for ; n != nil; n = n.parent {
		if n == a {
			return true
		}
	}
	return false
}
