package journey

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/rules"
)

// A move changes a working example; it reports whether it changed it.
type move func(doc map[string]any) bool

// sourceDepth is how far moves follow rules back: the fields a condition
// reads, the fields that show or hide those, and so on.
const sourceDepth = 4

// moves returns the changes worth trying for the problems of s, in a fixed
// order: other values for the elements with problems and for the fields
// the conditions of the rules acting on them read, then other choices of
// the top-level alternatives.
func (x *exampler) moves(s *exampleState) []move {
	ps := x.problems(s)
	var out []move
	for _, sp := range x.sources(ps) {
		c := x.childAt(schemaKeyPath(sp))
		if c == nil || !c.Element.CarriesData() || c.Element.Unfillable() {
			continue
		}
		for _, v := range x.candidates(sp, c) {
			out = append(out, setMove(sp, c, v))
		}
		if c.Element.Kind == form.KindField && c.Anzahl.Repeats() {
			out = append(out, varyMove(sp, c))
		}
	}
	for _, alt := range form.Alternatives(x.Schema.Struktur) {
		for _, k := range alt {
			out = append(out, x.alternativeMove(alt, k))
		}
	}
	return out
}

// sources returns the schema paths of the elements of the problems, then
// those of the variables of the rules acting on them, transitively up to
// sourceDepth, each once.
func (f *Form) sources(ps form.Problems) []string {
	var out []string
	seen := map[string]bool{}
	var frontier []string
	for _, p := range ps {
		sp := schemaPath(p.Path)
		if sp != "" && !seen[sp] {
			seen[sp] = true
			out = append(out, sp)
			frontier = append(frontier, sp)
		}
	}
	for range sourceDepth {
		var next []string
		for _, r := range f.actingOn(frontier) {
			for _, v := range r.Vars {
				if strings.HasPrefix(v, "$") || seen[v] {
					continue
				}
				seen[v] = true
				out = append(out, v)
				next = append(next, v)
			}
		}
		if len(next) == 0 {
			break
		}
		frontier = next
	}
	return out
}

// actingOn returns the compiled rules with an effect on one of the
// elements at the schema paths sps, on a group enclosing one, or on an
// element inside one.
func (f *Form) actingOn(sps []string) []*rules.Rule {
	var out []*rules.Rule
	for _, r := range f.Rules.Rules {
		if r.Status != rules.Compiled {
			continue
		}
		if slices.ContainsFunc(r.Effects, func(e rules.Effect) bool {
			return slices.ContainsFunc(sps, func(sp string) bool { return related(e.Target, sp) })
		}) {
			out = append(out, r)
		}
	}
	return out
}

// related reports whether schema paths a and b are the same element or one
// encloses the other.
func related(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// candidate is a value to try for an element; absent means leaving it out.
type candidate struct {
	value  any
	absent bool
	sample bool // the element's example value
}

// candidates returns the values to try for the element at schema path sp:
// the constants the rules compare it with, and near them; each code of a
// short list; true and false; dates around today; the example value; and
// absent.
func (x *exampler) candidates(sp string, c *form.Child) []candidate {
	var out []candidate
	seen := map[string]bool{}
	add := func(v any) {
		k := fmt.Sprintf("%T:%v", v, v)
		if !seen[k] {
			seen[k] = true
			out = append(out, candidate{value: v})
		}
	}
	e := c.Element
	lits := x.literals(sp)
	if e.Kind == form.KindField {
		switch {
		case e.HasCodes():
			codes := e.Codes()
			for _, l := range lits {
				if s, ok := l.(string); ok && slices.ContainsFunc(codes, func(w form.Wert) bool { return w.Code == s }) {
					add(s)
				}
			}
			for i, w := range codes {
				if i < 3 || len(codes) <= 12 {
					add(w.Code)
				}
			}
		case e.Datentyp == form.DatentypBool:
			add(true)
			add(false)
		case e.Datentyp == form.DatentypNum || e.Datentyp == form.DatentypNumInt || e.Datentyp == form.DatentypNumCurrency:
			for _, n := range numberCandidates(e, lits) {
				add(n)
			}
		case e.Datentyp == form.DatentypDate:
			for _, d := range dateCandidates(lits, x.ctx) {
				add(d)
			}
		default:
			for _, l := range lits {
				if s, ok := l.(string); ok && s != "" {
					add(s)
				}
			}
		}
	}
	return append(out, candidate{sample: true}, candidate{absent: true})
}

// literals returns the constants in the conditions and checks of the
// compiled rules that read the element at sp, in rule order, each once;
// the entries of a list ("in") count one by one.
func (f *Form) literals(sp string) []any {
	var out []any
	seen := map[string]bool{}
	var walk func(x any)
	walk = func(x any) {
		switch v := x.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if k != "var" {
					walk(v[k])
				}
			}
		case []any:
			for _, a := range v {
				walk(a)
			}
		case string, float64, int, json.Number, bool:
			k := fmt.Sprintf("%T:%v", v, v)
			if !seen[k] {
				seen[k] = true
				out = append(out, v)
			}
		}
	}
	for _, r := range f.Rules.Rules {
		if r.Status != rules.Compiled || !slices.Contains(r.Vars, sp) {
			continue
		}
		for _, e := range r.Effects {
			walk(e.When)
			walk(e.Check)
		}
	}
	return out
}

// numberCandidates returns the numbers to try for a number field: each
// constant and its neighbours one above and below (a hundredth for an
// amount), and the field's bounds, as json.Number.
func numberCandidates(e *form.Element, lits []any) []json.Number {
	var rats []*big.Rat
	step := big.NewRat(1, 1)
	if e.Datentyp == form.DatentypNumCurrency {
		step = big.NewRat(1, 100)
	}
	for _, l := range lits {
		r, ok := ratOf(l)
		if !ok {
			continue
		}
		rats = append(rats, r, new(big.Rat).Add(r, step), new(big.Rat).Sub(r, step))
	}
	for _, b := range []string{e.Praezisierung.MinValue, e.Praezisierung.MaxValue} {
		if r, ok := new(big.Rat).SetString(b); ok && b != "" {
			rats = append(rats, r)
		}
	}
	var out []json.Number
	for _, r := range rats {
		switch {
		case e.Datentyp == form.DatentypNumInt && !r.IsInt():
			continue
		case r.IsInt():
			out = append(out, json.Number(r.Num().String()))
		default:
			out = append(out, json.Number(strings.TrimRight(r.FloatString(10), "0")))
		}
	}
	return out
}

func ratOf(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(x) == nil {
			return nil, false
		}
		return r, true
	case int:
		return big.NewRat(int64(x), 1), true
	case json.Number:
		return new(big.Rat).SetString(string(x))
	case string:
		if x == "" {
			return nil, false
		}
		return new(big.Rat).SetString(x)
	}
	return nil, false
}

// dateCandidates returns the dates to try for a date field: the date
// constants and the day before and after each; today and a day, a year
// before and after; and, for each whole number n the rules compare with
// (an age, a number of years or days), n years before today and a day
// either side, and n+1 days before and after today.
func dateCandidates(lits []any, ctx rules.Context) []string {
	today := ctx.Today
	if today.IsZero() {
		today = time.Now()
	}
	y, m, d := today.In(localtime.Berlin).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	days := []time.Time{t, t.AddDate(0, 0, -1), t.AddDate(0, 0, 1), t.AddDate(-1, 0, 0), t.AddDate(1, 0, 0)}
	for _, l := range lits {
		if s, ok := l.(string); ok {
			if dt, ok := form.ParseDate(s); ok {
				days = append(days, dt, dt.AddDate(0, 0, -1), dt.AddDate(0, 0, 1))
			}
			continue
		}
		if r, ok := ratOf(l); ok && r.IsInt() && r.Sign() > 0 && r.Num().IsInt64() && r.Num().Int64() <= 400 {
			n := int(r.Num().Int64())
			back := t.AddDate(-n, 0, 0)
			days = append(days, back, back.AddDate(0, 0, -1), back.AddDate(0, 0, 1),
				t.AddDate(0, 0, -n-1), t.AddDate(0, 0, n+1))
		}
	}
	out := make([]string, len(days))
	for i, dt := range days {
		out[i] = dt.Format(time.DateOnly)
	}
	return out
}

// setMove gives the element at schema path sp the candidate value wherever
// its parent object exists in the document (in every entry of a repeated
// group); it creates no enclosing group.
func setMove(sp string, c *form.Child, cand candidate) move {
	ids := strings.Split(sp, "/")
	return func(doc map[string]any) bool {
		changed := false
		var walk func(obj map[string]any, p form.Path, depth int)
		walk = func(obj map[string]any, p form.Path, depth int) {
			id := ids[depth]
			kp := p.Key(id)
			if depth < len(ids)-1 {
				switch next := obj[id].(type) {
				case map[string]any:
					walk(next, kp, depth+1)
				case []any:
					for i, x := range next {
						if m, ok := x.(map[string]any); ok {
							walk(m, kp.Index(i), depth+1)
						}
					}
				}
				return
			}
			old, present := obj[id]
			switch {
			case cand.absent:
				if present {
					delete(obj, id)
					changed = true
				}
				return
			case cand.sample:
				v := form.ExampleValue(kp, c)
				if !present || !reflect.DeepEqual(old, v) {
					obj[id] = v
					changed = true
				}
				return
			}
			v := cand.value
			if c.Anzahl.Repeats() {
				arr := make([]any, max(c.Anzahl.Min, 1))
				for i := range arr {
					arr[i] = v
				}
				v = arr
			}
			if !present || !reflect.DeepEqual(old, v) {
				obj[id] = v
				changed = true
			}
		}
		walk(doc, nil, 0)
		return changed
	}
}

// varyMove makes the entries of the repeated field at schema path sp
// differ, for a rule that admits no entry twice: the codes of the list in
// turn, numbers one apart, dates a day apart. Other values stay as they
// are.
func varyMove(sp string, c *form.Child) move {
	ids := strings.Split(sp, "/")
	e := c.Element
	return func(doc map[string]any) bool {
		changed := false
		var walk func(obj map[string]any, depth int)
		walk = func(obj map[string]any, depth int) {
			id := ids[depth]
			if depth < len(ids)-1 {
				switch next := obj[id].(type) {
				case map[string]any:
					walk(next, depth+1)
				case []any:
					for _, x := range next {
						if m, ok := x.(map[string]any); ok {
							walk(m, depth+1)
						}
					}
				}
				return
			}
			list, _ := obj[id].([]any)
			for j := range list {
				if v, ok := nth(e, list[0], j); ok && !reflect.DeepEqual(list[j], v) {
					list[j] = v
					changed = true
				}
			}
		}
		walk(doc, 0)
		return changed
	}
}

// nth returns the j-th of a run of different values of field e that
// starts at first.
func nth(e *form.Element, first any, j int) (any, bool) {
	switch {
	case e.HasCodes():
		codes := e.Codes()
		return codes[j%len(codes)].Code, true
	case e.Datentyp == form.DatentypDate:
		s, _ := first.(string)
		d, ok := form.ParseDate(s)
		if !ok {
			return nil, false
		}
		return d.AddDate(0, 0, j).Format(time.DateOnly), true
	}
	if n, ok := first.(json.Number); ok {
		if r, ok := new(big.Rat).SetString(string(n)); ok {
			r.Add(r, big.NewRat(int64(j), 1))
			if r.IsInt() {
				return json.Number(r.Num().String()), true
			}
			return json.Number(strings.TrimRight(r.FloatString(10), "0")), true
		}
	}
	return nil, false
}

// alternativeMove gives the k-th entry of the root struktur, one of the
// alternatives alt, instead of the others, and sets their selector.
func (f *Form) alternativeMove(alt form.Alternative, k int) move {
	return func(doc map[string]any) bool {
		changed := false
		for _, i := range alt {
			id := f.Schema.Struktur[i].Element.ID
			_, present := doc[id]
			switch {
			case i == k && !present:
				doc[id] = form.ExampleValue(form.Path{}.Key(id), &f.Schema.Struktur[i])
				changed = true
			case i != k && present:
				delete(doc, id)
				changed = true
			}
		}
		sel := f.Schema.SelectorOf(alt)
		if sel == nil || len(sel.Path) == 0 {
			return changed
		}
		codes := make([]string, 0, len(sel.Group))
		for code, i := range sel.Group {
			if i == k {
				codes = append(codes, code)
			}
		}
		if len(codes) == 0 {
			return changed
		}
		sort.Strings(codes)
		parent, key := locate(doc, sel.Path, false)
		if parent != nil && parent[key] != codes[0] {
			parent[key] = codes[0]
			changed = true
		}
		return changed
	}
}

// conflicts names, for each problem s still has, the compiled rules acting
// on its element or reading it.
func (x *exampler) conflicts(s *exampleState) []ExampleConflict {
	var out []ExampleConflict
	for _, p := range s.bad {
		sp := schemaPath(p.Path)
		acting := x.actingOn([]string{sp})
		for _, r := range x.Rules.Rules {
			if r.Status == rules.Compiled && !slices.Contains(acting, r) && slices.ContainsFunc(r.Vars, func(v string) bool { return related(v, sp) }) {
				acting = append(acting, r)
			}
		}
		out = append(out, ExampleConflict{Problem: p, Rules: acting})
	}
	return out
}
