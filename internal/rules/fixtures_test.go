package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

var testToday = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func importSample(tb testing.TB, name string) *form.Schema {
	tb.Helper()
	b, err := samples.FS.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), name, fim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestCompiledRulesOfEverySample is the acceptance test of the compiler:
// for every compiled rule of every sample, and every effect it has, it finds
// concrete data under which the effect's condition holds and data under
// which it does not, evaluates the rule on a full document (the sample's
// example with those values), and checks that the effect happens in the
// first case and not in the second.
func TestCompiledRulesOfEverySample(t *testing.T) {
	var total, compiled, effects int
	for _, name := range samples.Files() {
		s := importSample(t, name)
		prog := Compile(s)
		base := formtest.Decode(t, s.Example())
		for _, r := range prog.Rules {
			total++
			if r.Status != Compiled {
				if r.Reason == "" {
					t.Errorf("%s %s: %s without reason", name, r.ID, r.Status)
				}
				continue
			}
			compiled++
			single := &Program{Schema: s, Rules: []*Rule{r}, index: prog.index}
			single.prepare()
			for i := range r.Effects {
				effects++
				t.Run(fmt.Sprintf("%s/%s@%s/%d-%s", name, r.ID, r.Scope, i, r.Effects[i].Kind), func(t *testing.T) {
					checkEffect(t, single, r, i, base)
				})
			}
		}
	}
	t.Logf("%d rule places, %d compiled, %d effects checked", total, compiled, effects)
	if compiled*100 < total*95 {
		t.Errorf("only %d of %d rule places compiled", compiled, total)
	}
}

// checkEffect finds data for both outcomes of effect i and checks them.
func checkEffect(t *testing.T, p *Program, r *Rule, i int, base map[string]any) {
	e := r.Effects[i]
	if e.Kind == Set {
		st, clean := p.Evaluate(base, Context{Today: testToday})
		target := firstTarget(t, p, r, i, clean)
		if got := valueAt(clean, target); !reflectEqual(got, dataValue(e.Value)) {
			t.Fatalf("set: %s holds %v, want %v", target, got, e.Value)
		}
		if _, ok := st.Fixed(target); !ok {
			t.Fatalf("set: %s not reported as fixed", target)
		}
		return
	}
	// outcome reports whether the effect is observed on a document.
	outcome := func(doc map[string]any, ctx Context) (bool, string) {
		st, clean := p.Evaluate(doc, ctx)
		target := firstTarget(t, p, r, i, doc)
		switch e.Kind {
		case Show:
			return !st.Hidden(target), "shown"
		case Hide:
			return st.Hidden(target), "hidden"
		case Require:
			return st.Required(target), "required"
		case Validate:
			for _, pr := range st.Problems() {
				if pr.Path == target.String() && pr.Message == e.Message {
					return true, "reported"
				}
			}
			_ = clean
			return false, "reported"
		}
		t.Fatalf("unknown effect %s", e.Kind)
		return false, ""
	}
	on, off := search(p.index, r, func(vals map[string]any) bool { return wants(r, i, vals, true) },
		func(vals map[string]any) bool { return wants(r, i, vals, false) })
	if on == nil || off == nil {
		t.Fatalf("no data found for both outcomes (holds: %v, fails: %v); condition %s", on != nil, off != nil, js(e.When))
	}
	for _, c := range []struct {
		vals map[string]any
		want bool
	}{{on, true}, {off, false}} {
		doc, ctx := apply2(t, p, r, base, c.vals)
		got, what := outcome(doc, ctx)
		if got != c.want {
			t.Errorf("%s %s: %s=%v, want %v with %s\ncondition %s", e.Kind, lastID(e.Target), what, got, c.want, describeVals(c.vals), js(e.When))
		}
	}
}

// wants reports whether the variable values are a case in which effect i
// of r shows (on) or does not show (!on), judged from the rule's own
// conditions: the target is hidden when a hide holds or when it has show
// effects and none holds; it is required when a require holds and it is not
// hidden; a validation fails when its condition holds and its check does
// not.
func wants(r *Rule, i int, vals map[string]any, on bool) bool {
	data := map[string]any{}
	for k, v := range vals {
		if v != nil {
			data[k] = v
		}
	}
	e := r.Effects[i]
	cond := func(x Effect) bool { return x.When == nil || truthy(apply(x.When, data)) }
	own := cond(e)
	anyHide, anyShow, hasShow, anyRequire := false, false, false, false
	for _, x := range r.Effects {
		if x.Target != e.Target {
			continue
		}
		switch x.Kind {
		case Hide:
			anyHide = anyHide || cond(x)
		case Show:
			hasShow = true
			anyShow = anyShow || cond(x)
		case Require:
			anyRequire = anyRequire || cond(x)
		}
	}
	hidden := anyHide || (hasShow && !anyShow)
	switch e.Kind {
	case Show:
		if on {
			return own && !hidden
		}
		return !own && hidden
	case Hide:
		if on {
			return own && hidden
		}
		return !own && !hidden
	case Require:
		if on {
			return own && !hidden
		}
		return !own && !anyRequire
	case Validate:
		fails := own && !truthy(apply(e.Check, data))
		return fails == on
	}
	return false
}

// search looks for variable values for which isOn holds and others for
// which isOff holds: every combination of candidate values when there
// are few, else 50 000 random ones (fixed seed).
func search(ix *index, r *Rule, isOn, isOff func(map[string]any) bool) (on, off map[string]any) {
	cands := make([][]any, len(r.Vars))
	total := 1
	for i, v := range r.Vars {
		cands[i] = candidates(ix, r, v)
		if total < 1<<20 {
			total *= len(cands[i])
		}
	}
	try := func(vals map[string]any) bool {
		if on == nil && isOn(vals) {
			on = maps(vals)
		}
		if off == nil && isOff(vals) {
			off = maps(vals)
		}
		return on != nil && off != nil
	}
	vals := map[string]any{}
	if total <= 50000 {
		idx := make([]int, len(r.Vars))
		for {
			for i, v := range r.Vars {
				vals[v] = cands[i][idx[i]]
			}
			if try(vals) {
				return
			}
			k := 0
			for ; k < len(idx); k++ {
				idx[k]++
				if idx[k] < len(cands[k]) {
					break
				}
				idx[k] = 0
			}
			if k == len(idx) {
				return
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		for i, v := range r.Vars {
			vals[v] = cands[i][rng.IntN(len(cands[i]))]
		}
		if try(vals) {
			return
		}
	}
	return
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// apply2 writes variable values into a copy of base at the rule's first
// place and returns it with the context.
func apply2(t *testing.T, p *Program, r *Rule, base map[string]any, vals map[string]any) (map[string]any, Context) {
	doc := form.CopyData(base)
	ctx := Context{Today: testToday}
	for k, v := range vals {
		switch k {
		case VarToday:
			continue
		case VarBundesland:
			if v != nil {
				ctx.Bundesland = v.(string)
			}
			continue
		}
		n := p.index.byPath[k]
		path := firstPlace(doc, n)
		if n.el.Kind == form.KindGroup && v != nil {
			continue // the example's own, filled value of the group
		}
		setValue(doc, path, toData(v))
	}
	return doc, ctx
}

func toData(v any) any {
	if f, ok := v.(float64); ok {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return v
}

// firstPlace is the key path of n with index 0 in every repetition.
func firstPlace(doc map[string]any, n *node) form.Path {
	var p form.Path
	for _, s := range chain(n) {
		p = p.Key(s.el.ID)
		if s != n && s.repeats() {
			p = p.Index(0)
		}
	}
	return p
}

func firstTarget(t *testing.T, p *Program, r *Rule, i int, doc map[string]any) form.Path {
	t.Helper()
	return firstPlace(doc, p.index.byPath[r.Effects[i].Target])
}

// setValue sets (v != nil) or deletes the value at a key path.
func setValue(doc map[string]any, p form.Path, v any) {
	var cur any = doc
	for i, st := range p {
		last := i == len(p)-1
		if st.Key == "" {
			arr := cur.([]any)
			cur = arr[st.Index]
			continue
		}
		obj := cur.(map[string]any)
		if last {
			if v == nil {
				delete(obj, st.Key)
			} else {
				obj[st.Key] = v
			}
			return
		}
		next, ok := obj[st.Key]
		if !ok || next == nil {
			if i+1 < len(p) && p[i+1].Key == "" {
				next = []any{map[string]any{}}
			} else {
				next = map[string]any{}
			}
			obj[st.Key] = next
		}
		cur = next
	}
}

func valueAt(doc map[string]any, p form.Path) any {
	var cur any = doc
	for _, st := range p {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[st.Key]
		case []any:
			if st.Index >= len(c) {
				return nil
			}
			cur = c[st.Index]
		default:
			return nil
		}
	}
	return cur
}

func reflectEqual(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func describeVals(vals map[string]any) string {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", lastID(k), vals[k]))
	}
	return strings.Join(parts, " ")
}
