package journey

import (
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
)

// Example returns a data document that passes the schema and the rules for
// the context (see ExampleConflicts): the schema's example
// (form.Schema.Example), changed until the rules hold and every element
// the schema requires is there unless a rule hides it. It serves demos and
// tests that fill a service end to end.
func (f *Form) Example(ctx rules.Context) map[string]any {
	doc, _ := f.ExampleConflicts(ctx)
	return doc
}

// ExampleConflict is a problem that the example of ExampleConflicts could
// not avoid, with the compiled rules that act on its element (or on a
// group enclosing it or an element inside it) or read it: a rule that
// contradicts the schema or another rule, or one whose condition no value
// tried satisfies.
type ExampleConflict struct {
	Problem form.Problem
	Rules   []*rules.Rule
}

// exampleRounds bounds the changes ExampleConflicts makes to one example,
// exampleFlatRounds those in a row that leave as many problems.
const (
	exampleRounds     = 100
	exampleFlatRounds = 10
)

// ExampleConflicts returns a data document for the context, in the generic
// form form.DecodeData returns and without the values rules hide, and the
// problems it still has (none, unless the rules contradict the schema or
// each other). The document is valid when:
//   - the rules validator (rules.Program.Validate) finds no problem;
//   - the schema alone (form.Schema.Validate) finds none, except elements
//     the schema requires that a rule hides (Form.JSONSchema, the JSON
//     Schema antrag publishes, leaves those to the rules).
//
// It starts from the schema's example and changes it step by step: it
// fills what a rule requires, removes or moves what breaks a rule's check,
// and tries other values for the fields a rule's condition reads (the
// constants the rules compare them with, each code of a short list, true
// and false, absent) and other alternative groups, keeping a change when
// fewer problems remain. Of two valid documents it prefers the one where
// fewer required elements are hidden: an example shows as much of the form
// as the rules allow (choosing "An einer anderen Betriebsstätte" when only
// that answer shows the address the schema requires, say). The result is
// deterministic.
func (f *Form) ExampleConflicts(ctx rules.Context) (map[string]any, []ExampleConflict) {
	x := &exampler{Form: f, ctx: ctx, cond: f.Rules.Conditional(), req: f.Rules.Requirable()}
	cur := x.assess(f.Schema.Example())
	flat := 0 // rounds in a row without fewer problems
	for range exampleRounds {
		if cur.score() == 0 {
			break
		}
		next := x.repaired(cur)
		if next != nil && next.score() < cur.score() {
			cur, flat = next, 0
			continue
		}
		if better := x.bestMove(cur); better != nil {
			cur, flat = better, 0
			continue
		}
		// A repair that leaves as many problems may still lead on (a
		// date moved a day further), for a few rounds.
		if next == nil || next.score() > cur.score() || flat == exampleFlatRounds {
			break
		}
		cur = next
		flat++
	}
	return cur.clean, x.conflicts(cur)
}

// exampler builds the example of a form for one context.
type exampler struct {
	*Form
	ctx  rules.Context
	cond map[string]bool // rules.Program.Conditional
	req  map[string]bool // rules.Program.Requirable
}

// exampleState is one candidate example and what the validators say of it.
type exampleState struct {
	work  map[string]any // the document with the values rules hide
	clean map[string]any // as stored: without them
	bad   form.Problems  // problems of the rules validator and of the schema
	thin  int            // required elements a rule hides
}

// score orders candidates: any problem weighs more than all hidden
// elements together.
func (s *exampleState) score() int { return len(s.bad)*1_000_000 + s.thin }

func (x *exampler) assess(work map[string]any) *exampleState {
	ps, clean := x.Rules.Validate(work, x.ctx)
	st := &exampleState{work: work, clean: clean, bad: ps}
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Path] = true
	}
	for _, p := range x.Schema.Validate(clean) {
		switch {
		case seen[p.Path]:
		case x.lifted(p, clean):
			st.thin++
		default:
			seen[p.Path] = true
			st.bad = append(st.bad, p)
		}
	}
	return st
}

// lifted reports whether p is a demand of the schema alone that the
// published JSON Schema leaves to the rules (form.JSONSchemaOptions): an
// element they show or hide is missing; of a set of alternatives with such
// a group, none is given or the selector names another; or a set has a
// group they may require.
func (x *exampler) lifted(p form.Problem, clean map[string]any) bool {
	switch p.Code {
	case form.CodeRequired:
		return x.cond[schemaPath(p.Path)]
	case form.CodeAlternative:
		for _, alt := range form.Alternatives(x.Schema.Struktur) {
			ruled, required, given, here := false, false, 0, false
			for _, i := range alt {
				id := x.Schema.Struktur[i].Element.ID
				ruled = ruled || x.cond[id]
				required = required || x.req[id]
				here = here || p.Path == id
				if _, ok := clean[id]; ok {
					given++
				}
			}
			if here {
				return required || ruled && given <= 1
			}
		}
	}
	return false
}

// problems lists what makes s less than complete: its problems, then the
// required elements rules hide.
func (x *exampler) problems(s *exampleState) form.Problems {
	if s.thin == 0 {
		return s.bad
	}
	ps := slices.Clone(s.bad)
	for _, p := range x.Schema.Validate(s.clean) {
		if x.lifted(p, s.clean) {
			ps = append(ps, p)
		}
	}
	return ps
}

// repaired applies the direct repairs of all problems of s to a copy and
// returns its state, or nil if none applied.
func (x *exampler) repaired(s *exampleState) *exampleState {
	work := form.CopyData(s.work)
	changed := false
	for _, p := range s.bad {
		if x.repair(work, p) {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return x.assess(work)
}

// repair changes doc so that problem p goes away; it reports whether it
// changed anything.
func (f *Form) repair(doc map[string]any, p form.Problem) bool {
	path := form.ParsePath(p.Path)
	c := f.childAt(path)
	if c == nil {
		return false
	}
	parent, key := locate(doc, keyPath(path), true)
	if parent == nil {
		return false
	}
	switch p.Code {
	case form.CodeRequired:
		if _, present := parent[key]; present && path[len(path)-1].Key != "" {
			return false
		}
		parent[key] = form.ExampleValue(keyPath(path), c)
		return true
	case "rule":
		if !c.Required() {
			if _, present := parent[key]; present {
				delete(parent, key)
				return true
			}
		}
		if s, ok := parent[key].(string); ok && c.Element.Datentyp == form.DatentypDate {
			if t, ok := form.ParseDate(s); ok {
				parent[key] = t.Add(24 * time.Hour).Format(time.DateOnly)
				return true
			}
		}
	}
	return false
}

// bestMove tries the moves for the problems of s and returns the state of
// the best one that leaves fewer problems, or nil.
func (x *exampler) bestMove(s *exampleState) *exampleState {
	var best *exampleState
	for _, m := range x.moves(s) {
		work := form.CopyData(s.work)
		if !m(work) {
			continue
		}
		if next := x.assess(work); next.score() < s.score() && (best == nil || next.score() < best.score()) {
			best = next
			if best.score() == 0 {
				break
			}
		}
	}
	return best
}

// keyPath drops a trailing index: the path of the element's key.
func keyPath(p form.Path) form.Path {
	if len(p) > 0 && p[len(p)-1].Key == "" {
		return p[:len(p)-1]
	}
	return p
}

// childAt finds the struktur entry of the element at a path.
func (f *Form) childAt(p form.Path) *form.Child {
	children := f.Schema.Struktur
	var found *form.Child
	for _, s := range p {
		if s.Key == "" {
			continue
		}
		found = nil
		for i := range children {
			if children[i].Element.ID == s.Key {
				found = &children[i]
				break
			}
		}
		if found == nil {
			return nil
		}
		children = found.Element.Struktur
	}
	return found
}

// schemaPath turns a data path ("G1[0].F2") into the schema path rules use
// ("G1/F2").
func schemaPath(dataPath string) string {
	var ids []string
	for _, s := range form.ParsePath(dataPath) {
		if s.Key != "" {
			ids = append(ids, s.Key)
		}
	}
	return strings.Join(ids, "/")
}

// schemaKeyPath turns a schema path ("G1/F2") into a key path without
// indexes.
func schemaKeyPath(sp string) form.Path {
	var p form.Path
	for _, id := range strings.Split(sp, "/") {
		p = p.Key(id)
	}
	return p
}

// JSONSchema returns the JSON Schema antrag publishes for the form's data
// (form.Schema.JSONSchemaWith, $id uri or the default): the schema's, with
// the elements whose presence the compiled rules decide left to them.
func (f *Form) JSONSchema(uri string) map[string]any {
	return f.Schema.JSONSchemaWith(uri, form.JSONSchemaOptions{Conditional: f.Rules.Conditional(), Requirable: f.Rules.Requirable()})
}
