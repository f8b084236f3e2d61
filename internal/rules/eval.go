package rules

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/diegoholiveira/jsonlogic/v3"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/localtime"
)

// Context is what conditions may read besides the data.
type Context struct {
	// Today is the date rules compare with ("aktuelles Datum"); only its
	// date in Europe/Berlin counts. The zero value means now.
	Today time.Time
	// Bundesland is the two-letter code of the Land of the responsible
	// authority (e.g. "TH"), for rules that differ by Land; "" if unknown.
	Bundesland string
	// Years is the span a date's year must fall in (the operator's
	// setting); the zero value is form.DefaultYearRange.
	Years form.YearRange
}

func (c Context) today() string {
	t := c.Today
	if t.IsZero() {
		t = time.Now()
	}
	return t.In(localtime.Berlin).Format(time.DateOnly)
}

// State is the outcome of the rules for one data document: which elements
// are hidden, which are required beyond their Anzahl, and the problems of
// the cross-field validations. It implements form.Conditions.
type State struct {
	hidden     map[string]bool
	required   map[string]bool
	fixed      map[string]any
	problems   form.Problems
	paths      map[string]form.Path // key of hidden → its path, for pruning
	today      string
	bundesland string
	years      form.YearRange
}

// YearRange is the span a date's year must fall in (form.YearLimiter).
func (s *State) YearRange() form.YearRange { return s.years.OrDefault() }

// Today is the date the rules were evaluated for ("YYYY-MM-DD").
func (s *State) Today() string { return s.today }

// Bundesland is the Land the rules were evaluated for, "" if unknown.
func (s *State) Bundesland() string { return s.bundesland }

// Fixed reports whether a rule sets the element at p to a fixed value that
// the citizen does not see (effect set), and the value.
func (s *State) Fixed(p form.Path) (any, bool) {
	if len(s.fixed) == 0 {
		return nil, false
	}
	v, ok := s.fixed[p.String()]
	return v, ok
}

// Hidden reports whether the element at p (a key path as form.Path, with
// indexes into repetitions) is hidden by a rule.
func (s *State) Hidden(p form.Path) bool {
	if len(s.hidden) == 0 {
		return false
	}
	return s.hidden[p.String()]
}

// Required reports whether a rule makes the element at p required.
func (s *State) Required(p form.Path) bool {
	if len(s.required) == 0 {
		return false
	}
	k := p.String()
	return !s.hidden[k] && s.required[k]
}

// Problems returns the failed cross-field validations, in rule order.
func (s *State) Problems() form.Problems { return s.problems }

// HiddenPaths returns the paths of all hidden elements (for tests and
// diagnostics).
func (s *State) HiddenPaths() []string {
	var out []string
	for k, v := range s.hidden {
		if v {
			out = append(out, k)
		}
	}
	return out
}

// prepared holds a compiled rule's schema nodes for evaluation.
type prepared struct {
	rule    *Rule
	scope   *node
	vars    []*node // nil for context variables
	targets []*node // per effect
}

func (p *Program) prepare() {
	for _, r := range p.Rules {
		if r.Status != Compiled {
			continue
		}
		pr := &prepared{rule: r, scope: p.index.byPath[r.Scope]}
		for _, v := range r.Vars {
			pr.vars = append(pr.vars, p.index.byPath[v])
		}
		for _, e := range r.Effects {
			pr.targets = append(pr.targets, p.index.byPath[e.Target])
		}
		p.prep = append(p.prep, pr)
	}
}

// Evaluate applies the compiled rules to a data document (the canonical
// shape of package form, as DecodeData returns it). It returns the state
// and a copy of doc from which the values of hidden elements are removed:
// a hidden element never counts as filled in another rule. Doc itself is
// not changed.
func (p *Program) Evaluate(doc map[string]any, ctx Context) (*State, map[string]any) {
	cur := form.CopyData(doc)
	today := ctx.today()
	fixed := p.set(cur)
	var st *State
	for range 64 {
		st = p.visibility(cur, ctx, today)
		if prune(cur, st) == 0 {
			break
		}
	}
	st.fixed = fixed
	p.validations(st, cur, ctx, today)
	st.today, st.bundesland, st.years = today, ctx.Bundesland, ctx.Years
	return st, cur
}

// Validate checks doc against the schema and the rules: hidden elements are
// removed first and never checked, rule-required elements must be filled,
// and the cross-field validations must hold. It returns the problems and
// the data as it would be stored (without hidden values).
func (p *Program) Validate(doc map[string]any, ctx Context) (form.Problems, map[string]any) {
	st, clean := p.Evaluate(doc, ctx)
	ps := p.Schema.ValidateWith(clean, st)
	return ps.Merge(st.problems), clean
}

// set writes the values of set effects into doc, whatever it held, and
// returns them by path. A value is written where the target's parent object
// exists (the document root always does); a group the citizen has not
// filled is not created for it, so as not to make its other fields due.
func (p *Program) set(doc map[string]any) map[string]any {
	fixed := map[string]any{}
	for _, pr := range p.prep {
		for i, e := range pr.rule.Effects {
			if e.Kind != Set {
				continue
			}
			t := pr.targets[i]
			for _, in := range enumerate(doc, pr.scope, nil, false) {
				parents := []inst{{val: doc}}
				if t.parent.el != nil {
					parents = enumerate(doc, t.parent, in.idx, false)
				}
				for _, par := range parents {
					if obj, ok := par.val.(map[string]any); ok {
						obj[t.el.ID] = dataValue(e.Value)
						fixed[par.path.Key(t.el.ID).String()] = e.Value
					}
				}
			}
		}
	}
	return fixed
}

// dataValue turns a rule constant into the value a data document holds:
// numbers as json.Number.
func dataValue(v any) any {
	if f, ok := v.(float64); ok {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return v
}

// visibility evaluates show, hide and require effects.
func (p *Program) visibility(doc map[string]any, ctx Context, today string) *State {
	st := &State{hidden: map[string]bool{}, required: map[string]bool{}, paths: map[string]form.Path{}}
	shown := map[string]bool{}
	showTarget := map[string]bool{}
	for _, pr := range p.prep {
		for _, in := range enumerate(doc, pr.scope, nil, false) {
			data := pr.data(doc, in.idx, ctx, today)
			for i, e := range pr.rule.Effects {
				if e.Kind == Validate || e.Kind == Set {
					continue
				}
				holds := e.When == nil || truthy(apply(e.When, data))
				for _, t := range enumerate(doc, pr.targets[i], in.idx, true) {
					k := t.path.String()
					st.paths[k] = t.path
					switch e.Kind {
					case Show:
						showTarget[k] = true
						shown[k] = shown[k] || holds
					case Hide:
						st.hidden[k] = st.hidden[k] || holds
					case Require:
						st.required[k] = st.required[k] || holds
					}
				}
			}
		}
	}
	for k := range showTarget {
		if !shown[k] {
			st.hidden[k] = true
		}
	}
	return st
}

// validations evaluates the validate effects on the final document, where
// their carrier is present (a group the citizen left out entirely is not
// checked) and their target is not hidden.
func (p *Program) validations(st *State, doc map[string]any, ctx Context, today string) {
	for _, pr := range p.prep {
		for _, in := range enumerate(doc, pr.scope, nil, false) {
			if pr.scope.el != nil && in.val == nil {
				continue
			}
			var data map[string]any
			for i, e := range pr.rule.Effects {
				if e.Kind != Validate {
					continue
				}
				if data == nil {
					data = pr.data(doc, in.idx, ctx, today)
				}
				if e.When != nil && !truthy(apply(e.When, data)) {
					continue
				}
				if truthy(apply(e.Check, data)) {
					continue
				}
				ts := enumerate(doc, pr.targets[i], in.idx, true)
				if len(ts) == 0 || st.hidden[ts[0].path.String()] {
					continue
				}
				st.problems = append(st.problems, form.Problem{Path: ts[0].path.String(), Code: "rule", Message: e.Message})
			}
		}
	}
}

// data builds the variables of one place of a rule.
func (pr *prepared) data(doc map[string]any, idx map[string]int, ctx Context, today string) map[string]any {
	data := make(map[string]any, len(pr.vars))
	for i, n := range pr.vars {
		v := pr.rule.Vars[i]
		switch v {
		case VarToday:
			data[v] = today
			continue
		case VarBundesland:
			if ctx.Bundesland != "" {
				data[v] = ctx.Bundesland
			}
			continue
		}
		if n == nil {
			continue
		}
		if ins := enumerate(doc, n, idx, true); len(ins) > 0 {
			data[v] = plain(ins[0].val)
		}
	}
	return data
}

// inst is one concrete place of a schema node in a document.
type inst struct {
	path form.Path
	val  any
	idx  map[string]int // schema path of a repeated element → entry index
}

// enumerate lists the places of node n in doc. Entries of repeated elements
// whose index fixed gives are taken as given; others are expanded. With
// keyOnly the last step stays at the element's key (a repeated element is
// then its list); otherwise each entry of a repeated last element is a
// place. A non-repeated element that is absent still has its place.
func enumerate(doc map[string]any, n *node, fixed map[string]int, keyOnly bool) []inst {
	segs := chain(n)
	cur := []inst{{val: doc, idx: fixed}}
	for i, s := range segs {
		last := i == len(segs)-1
		var next []inst
		for _, c := range cur {
			obj, _ := c.val.(map[string]any)
			v := obj[s.el.ID]
			p := c.path.Key(s.el.ID)
			if (last && keyOnly) || !s.repeats() {
				next = append(next, inst{path: p, val: v, idx: c.idx})
				continue
			}
			arr, _ := v.([]any)
			if j, ok := c.idx[s.path]; ok {
				if j < len(arr) {
					next = append(next, inst{path: p.Index(j), val: arr[j], idx: c.idx})
				}
				continue
			}
			for j, item := range arr {
				idx := make(map[string]int, len(c.idx)+1)
				for k, x := range c.idx {
					idx[k] = x
				}
				idx[s.path] = j
				next = append(next, inst{path: p.Index(j), val: item, idx: idx})
			}
		}
		cur = next
	}
	return cur
}

// chain returns the nodes from the root's first child down to n.
func chain(n *node) []*node {
	var out []*node
	for ; n != nil && n.el != nil; n = n.parent {
		out = append(out, n)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// prune removes the values of hidden elements from doc and reports how many
// it removed.
func prune(doc map[string]any, st *State) int {
	n := 0
	for k, hidden := range st.hidden {
		p := st.paths[k]
		if !hidden || len(p) == 0 {
			continue
		}
		var cur any = doc
		for _, step := range p[:len(p)-1] {
			switch c := cur.(type) {
			case map[string]any:
				cur = c[step.Key]
			case []any:
				if step.Key != "" || step.Index >= len(c) {
					cur = nil
				} else {
					cur = c[step.Index]
				}
			default:
				cur = nil
			}
		}
		if obj, ok := cur.(map[string]any); ok {
			if _, present := obj[p[len(p)-1].Key]; present {
				delete(obj, p[len(p)-1].Key)
				n++
			}
		}
	}
	return n
}

func apply(rule any, data map[string]any) any {
	out, err := jsonlogic.ApplyInterface(rule, data)
	if err != nil {
		return nil
	}
	return out
}

// truthy follows JSON Logic: false, null, 0, "" and [] are false.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	}
	return true
}

// plain converts json.Number values to float64, as JSON Logic expects.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// Binding is one place of a show or hide effect in a document: the target's
// key path, the condition, and the key path of each variable the condition
// reads there. The browser evaluates bindings to show and hide parts of a
// page while the citizen types (see internal/web/static/app/journey.js).
type Binding struct {
	Kind   Kind
	Target form.Path
	When   any
	Vars   map[string]form.Path // variable → key path; context variables are absent
}

// Bindings lists the show and hide effects of all compiled rules at every
// place they have in doc.
func (p *Program) Bindings(doc map[string]any) []Binding {
	var out []Binding
	for _, pr := range p.prep {
		for _, in := range enumerate(doc, pr.scope, nil, false) {
			var vars map[string]form.Path
			for i, e := range pr.rule.Effects {
				if e.Kind != Show && e.Kind != Hide && e.Kind != Require {
					continue
				}
				if vars == nil {
					vars = map[string]form.Path{}
					for j, n := range pr.vars {
						if n == nil {
							continue
						}
						if ins := enumerate(doc, n, in.idx, true); len(ins) > 0 {
							vars[pr.rule.Vars[j]] = ins[0].path
						}
					}
				}
				for _, t := range enumerate(doc, pr.targets[i], in.idx, true) {
					out = append(out, Binding{Kind: e.Kind, Target: t.path, When: e.When, Vars: vars})
				}
			}
		}
	}
	return out
}
