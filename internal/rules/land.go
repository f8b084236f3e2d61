package rules

import (
	"slices"
	"strings"
)

// Länderregeln: Land sections and headings, Land sentences and conditions
// on the Land of the responsible authority (VarBundesland).

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

// Länder: codes as in the FIM rules, and their names.
var landCodes = map[string]string{
	"BW": "BW", "BY": "BY", "BE": "BE", "BB": "BB", "HB": "HB", "HH": "HH", "HE": "HE", "MV": "MV",
	"NI": "NI", "NW": "NW", "RP": "RP", "SL": "SL", "SN": "SN", "ST": "ST", "SH": "SH", "TH": "TH",
	// Other abbreviations in use.
	"NRW": "NW", "RLP": "RP", "LSA": "ST",
}

// LandCodes returns the two-letter codes of the 16 Länder as the rules
// name them and expect them in Context.Bundesland (BW, BY, BE, …, TH),
// sorted.
func LandCodes() []string {
	var codes []string
	for _, c := range landCodes {
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	return codes
}

var landNames = map[string]string{
	"baden-württemberg": "BW", "bayern": "BY", "berlin": "BE", "brandenburg": "BB", "bremen": "HB", "hamburg": "HH",
	"hessen": "HE", "mecklenburg-vorpommern": "MV", "niedersachsen": "NI", "nordrhein-westfalen": "NW",
	"rheinland-pfalz": "RP", "saarland": "SL", "sachsen": "SN", "sachsen-anhalt": "ST", "schleswig-holstein": "SH",
	"thüringen": "TH",
}

// appliesTo reads a statement that says for which Länder what comes before
// it holds: "[Dies|Das|Diese Regel] gilt nur / nicht / ausschließlich
// (für|in) Bayern [und Hessen]". It returns the condition on the Land and
// whether the statement was one.
func (p *ruleParser) appliesTo() (any, bool, error) {
	k := 0
	for p.peek(k).is("dies", "das", "diese", "regel") {
		k++
	}
	if !p.peek(k).is("gilt") {
		return nil, false, nil
	}
	k++
	neg := false
	switch {
	case p.peek(k).is("nicht"):
		neg = true
		k++
	case p.peek(k).is("nur", "ausschließlich"):
		k++
	default:
		return nil, false, nil
	}
	if !p.peek(k).is("für", "in", "im") {
		return nil, false, nil
	}
	k++
	var codes []string
	for ; p.pos+k < len(p.toks); k++ {
		t := p.peek(k)
		switch {
		case isLand(t):
			if c := landCodes[t.text]; c != "" {
				codes = append(codes, c)
			} else {
				codes = append(codes, landNames[t.lower])
			}
		case t.is("das", "die", "den", "dem", "land", "länder", "freistaat", "freie", "hansestadt", "und", "oder") || t.punct(","):
		case t.punct(":"):
			return nil, false, nil // "Gilt nur für Hessen: …", a heading
		default:
			return nil, true, p.fail("„gilt … für“ mit mehr als Ländern: „%s“", p.rest())
		}
	}
	if len(codes) == 0 {
		return nil, true, p.fail("„gilt … für“ ohne Land")
	}
	x := any(op("in", vr(VarBundesland), toAny(codes)))
	if neg {
		x = not(x)
	}
	return x, true, nil
}

// trailingAppliesTo finds "( gilt nicht / nur für … )" closing the
// statement and returns the index of its "(", or -1.
func (p *ruleParser) trailingAppliesTo() int {
	n := len(p.toks)
	if n < 5 || !p.toks[n-1].punct(")") {
		return -1
	}
	for i := n - 2; i >= 0 && i >= n-12; i-- {
		if p.toks[i].punct("(") {
			if p.toks[i+1].is("gilt") {
				return i
			}
			return -1
		}
	}
	return -1
}

// landHeader reads the heading of a Land section at the start of a
// statement and makes it the guard of what follows, up to the next
// heading:
//
//	Für das Land NW gilt[:]
//	Für die Länder NW, SL und SN gilt[:]
//	Für Sachsen gilt[:]
//	Für alle anderen Länder gilt[:]   (the Länder no earlier heading named)
//
// The statement may go on after the heading ("Für das Land NW gilt: Das
// Datenfeld … muss befüllt werden."); the tokens left are that rest.
func (p *ruleParser) landHeader() error {
	k := 0
	neg := false
	for k < 3 && p.peek(k).is("nur", "gilt", "nicht") {
		// "Nur für NW:", "Gilt für NW, SL und SN:", "Gilt nur für NW:",
		// "Gilt nicht für BE:"
		neg = neg || p.peek(k).is("nicht")
		k++
	}
	switch {
	case p.peek(k).is("für", "in", "im"):
		k++
	case k == 0 && p.peek(0).is("land", "länder", "alle"):
		// "Land Berlin:", "Alle anderen Länder:": the heading without "für"
	default:
		return nil
	}
	var codes []string
	others := false
	for ; ; k++ {
		t := p.peek(k)
		switch {
		case t.is("außer", "ausser") && len(codes) == 0 && !neg:
			neg = true // "Für alle Länder außer ST gilt:"
			continue
		case t.is("gilt"):
		case t.punct(":") && (len(codes) > 0 || others):
			k-- // "Für NW:": the colon is taken below
		case t.kind == tokWord && landCodes[t.text] != "":
			codes = append(codes, landCodes[t.text])
			continue
		case t.kind == tokWord && landNames[t.lower] != "":
			codes = append(codes, landNames[t.lower])
			continue
		case t.is("anderen"):
			others = true
			continue
		case t.is("das", "die", "den", "dem", "alle", "land", "länder", "und", "oder", "freistaat", "freie", "hansestadt") || t.punct(","):
			continue
		default:
			return nil // not a heading: "Für die Länder RP und ST muss …"
		}
		break
	}
	all := false
	for j := 0; j < k; j++ {
		all = all || p.peek(j).is("alle")
	}
	switch {
	case neg && (others || len(codes) == 0):
		return p.fail("Länderabschnitt nicht verstanden: „%s“", p.rest())
	case neg:
		// Not added to the Länder named: "alle anderen" after it would
		// be those it names.
		p.section = not(op("in", vr(VarBundesland), toAny(codes)))
	case all && !others && len(codes) == 0:
		p.section = nil // "Für alle Länder gilt:"
	case others && len(codes) == 0:
		if len(p.named) == 0 {
			return p.fail("„alle anderen Länder“ ohne zuvor genannte Länder")
		}
		p.section = not(op("in", vr(VarBundesland), toAny(p.named)))
	case len(codes) > 0 && !others:
		p.named = append(p.named, codes...)
		p.section = op("in", vr(VarBundesland), toAny(codes))
	default:
		return p.fail("Länderabschnitt ohne Land: „%s“", p.rest())
	}
	p.pos += k + 1
	for p.accept("zusätzlich", "außerdem", "ferner", "folgendes", "folgende", "regel", "abweichend", "hierbei", "dabei") {
	}
	p.acceptPunct(":")
	p.toks, p.pos = p.toks[p.pos:], 0
	return nil
}

func (p *ruleParser) landMentioned() bool {
	for _, t := range p.toks {
		if t.kind == tokWord && (landCodes[t.text] != "" || landNames[t.lower] != "" || t.is("länder", "bundesländer", "bundesland")) {
			return true
		}
	}
	return false
}

// land compiles sentences that make an element depend on the Land of the
// responsible authority. A sentence may hold several clauses ("…, für die
// anderen Länder muss es angezeigt werden").
func (p *ruleParser) land() error {
	if p.has("wenn") {
		save, n := p.toks, len(p.effects)
		err := p.landGuarded()
		if err == nil {
			return nil
		}
		p.toks, p.pos, p.effects = save, 0, p.effects[:n]
	}
	var clauses [][]token
	var cur []token
	for i, t := range p.toks {
		if t.punct(",") && i+1 < len(p.toks) && p.toks[i+1].is("für", "in") && len(cur) > 0 {
			clauses = append(clauses, cur)
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	clauses = append(clauses, cur)
	if len(clauses) == 1 && !p.has("wenn") {
		// One statement with one verb: the Land phrase may take any
		// place and the statement any form ("In den Ländern HB und HH ist
		// G auszufüllen", "Im Freistaat Thüringen ist F auszublenden").
		save, n := p.toks, len(p.effects)
		err := p.landClause(clauses[0])
		if err == nil || !p.landUnread || finiteVerbs(save) != 1 {
			return err
		}
		p.toks, p.pos, p.effects = save, 0, p.effects[:n]
		if p.landGuarded() == nil {
			return nil
		}
		p.toks, p.pos, p.effects = save, 0, p.effects[:n]
		return err
	}
	for _, cl := range clauses {
		if err := p.landClause(cl); err != nil {
			return err
		}
	}
	return nil
}

// finiteVerbs counts the finite verbs of effects in toks.
func finiteVerbs(toks []token) int {
	n := 0
	for _, t := range toks {
		if t.is("muss", "darf", "kann", "wird", "ist", "sind") {
			n++
		}
	}
	return n
}

// landGuarded compiles a statement that names its Länder in one phrase
// within it ("In Bayern muss F befüllt werden, wenn G = wahr", "F ist für
// die Länder BY und HE nur dann zu befüllen, wenn …"): the statement
// without that phrase, its effects guarded by the Land. The phrase is
// in/für, articles and Land words, then Länder joined by commas, UND or
// ODER; "außer" before them names the Länder it does not hold for.
func (p *ruleParser) landGuarded() error {
	span := func(i int) (int, []string, bool) {
		var codes []string
		except := false
		j := i + 1
		for ; j < len(p.toks); j++ {
			t := p.toks[j]
			switch {
			case t.kind == tokWord && landCodes[t.text] != "":
				codes = append(codes, landCodes[t.text])
			case t.kind == tokWord && landNames[t.lower] != "":
				codes = append(codes, landNames[t.lower])
			case t.is("außer", "ausser"):
				except = true
			case t.is("das", "die", "den", "dem", "alle", "allen", "land", "länder", "freistaat", "freie", "hansestadt"):
			case (t.is("und", "oder") || t.punct(",")) && len(codes) > 0 && j+1 < len(p.toks) &&
				(landCodes[p.toks[j+1].text] != "" || landNames[p.toks[j+1].lower] != "" || p.toks[j+1].is("das", "den", "dem")):
			default:
				return j, codes, except
			}
		}
		return j, codes, except
	}
	start, end := -1, -1
	var codes []string
	except := false
	for i, t := range p.toks {
		if !t.is("in", "für", "im") {
			continue
		}
		j, cs, ex := span(i)
		if len(cs) == 0 {
			continue
		}
		if start >= 0 {
			return p.fail("Länderregel mit mehreren Länderangaben nicht verstanden")
		}
		start, end, codes, except = i, j, cs, ex
		if i > 0 && p.toks[i-1].is("außer", "ausser") {
			start, except = i-1, true // "Außer in Bayern ist F auszublenden"
		}
	}
	if start < 0 {
		return p.fail("Länderregel ohne Land")
	}
	rest := append(slices.Clone(p.toks[:start]), p.toks[end:]...)
	p.toks, p.pos = rest, 0
	if p.landMentioned() {
		return p.fail("Länderregel nicht verstanden: „%s“", tokensText(rest))
	}
	n := len(p.effects)
	if t := p.peek(0); t.is("muss", "darf", "kann", "ist", "sind", "wird") && p.refAheadAt(1) {
		// "[In Bayern] muss F befüllt werden, wenn …": the verb first.
		p.pos++
		if err := p.verbPhrase(t.lower, nil, nil); err != nil {
			return err
		}
		p.acceptPunct(",")
		if p.accept("wenn") {
			cond, err := p.condition()
			if err != nil {
				return err
			}
			for i := n; i < len(p.effects); i++ {
				p.effects[i].When = and(cond, p.effects[i].When)
			}
		}
		if !p.atEnd() {
			return p.fail("Rest nicht verstanden: „%s“", p.rest())
		}
	} else if err := p.statement(); err != nil {
		return err
	}
	cond := any(op("in", vr(VarBundesland), toAny(codes)))
	if except {
		cond = not(cond)
	}
	guardLand(p.effects[n:], cond)
	return nil
}

// guardLand limits effects to the Länder where land holds. A rule for some
// Länder says nothing about the others: a hide, require or check acts only
// there, and a show, which hides its target wherever it does not hold,
// holds everywhere else.
func guardLand(effects []Effect, land any) {
	for i := range effects {
		if effects[i].Kind == Show {
			if effects[i].When != nil { // nil: shown everywhere already
				effects[i].When = or(not(land), effects[i].When)
			}
			continue
		}
		effects[i].When = and(land, effects[i].When)
	}
}

func (p *ruleParser) landClause(toks []token) error {
	var codes []string
	var targets []*node
	others, except, neg := false, false, false
	verb := ""
	object := ""
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		// The clause is read word by word: only one statement about
		// elements and Länder. A condition or a second statement would be
		// lost or merged, so such a clause is not compiled.
		switch {
		case t.is("wenn", "dann", "sonst") || t.kind == tokOp && t.text != "-":
			return p.fail("Länderregel mit Bedingung nicht verstanden: „%s“", tokensText(toks))
		case t.is("muss", "darf", "kann", "wird", "ist", "sind") && verb != "":
			return p.fail("Länderregel mit mehreren Aussagen nicht verstanden: „%s“", tokensText(toks))
		}
		switch {
		case t.kind == tokRef:
			n, err := p.resolve(t.text)
			if err != nil {
				return err
			}
			targets = append(targets, n)
		case t.kind == tokWord && landCodes[t.text] != "":
			codes = append(codes, landCodes[t.text])
		case t.kind == tokWord && landNames[t.lower] != "":
			codes = append(codes, landNames[t.lower])
		case t.is("anderen"):
			others = true
		case t.is("außer", "ausser"):
			except = true
		case t.is("muss", "darf", "kann", "wird", "ist", "sind"):
			verb = t.lower
		case t.is("nicht"):
			neg = true
		case t.is("befüllt", "ausgefüllt", "angezeigt"):
			object = t.lower
		}
	}
	if len(targets) == 0 {
		targets = p.lastTargets
	}
	if len(targets) == 0 {
		return p.fail("Länderregel ohne Element")
	}
	p.lastTargets = targets
	var set []string
	negated := false
	switch {
	case others:
		if p.landSet == nil {
			return p.fail("„die anderen Länder“ ohne zuvor genannte Länder")
		}
		set, negated = p.landSet, !p.landNegated
	case len(codes) > 0:
		set, negated = codes, except
		p.landSet, p.landNegated = codes, except
	default:
		return p.fail("Länderregel ohne Land")
	}
	cond := any(op("in", vr(VarBundesland), toAny(set)))
	if negated {
		cond = not(cond)
	}
	switch {
	case verb == "muss" && !neg && object == "befüllt", verb == "muss" && !neg && object == "ausgefüllt":
		p.add(Require, targets, cond)
	case verb == "muss" && !neg && object == "angezeigt":
		// Shown there: the default, nothing to do.
		p.restated = true
	case verb == "darf" && neg && (object == "angezeigt" || object == "befüllt"):
		p.add(Hide, targets, cond)
	default:
		p.landUnread = true
		return p.fail("Länderregel nicht verstanden: „%s“", tokensText(toks))
	}
	return nil
}

// exceptLands guards effects so that they do not act for the Länder in
// bad ("" standing for no Land).
func exceptLands(effects []Effect, bad []string) []Effect {
	var codes []string
	none := false
	for _, l := range bad {
		if l == "" {
			none = true
		} else {
			codes = append(codes, l)
		}
	}
	var guard []any
	if none {
		guard = append(guard, filled(vr(VarBundesland)))
	}
	if len(codes) > 0 {
		guard = append(guard, not(op("in", vr(VarBundesland), toAny(codes))))
	}
	out := make([]Effect, len(effects))
	for i, e := range effects {
		e.When = and(append(slices.Clone(guard), e.When)...)
		out[i] = e
	}
	return out
}

func landList(ls []string) string {
	var out []string
	for _, l := range ls {
		if l == "" {
			l = "ohne Land"
		}
		out = append(out, l)
	}
	return strings.Join(out, ", ")
}
