package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// contradiction looks for inputs under which the rule would both show (or
// require) and hide the same element. It tries every combination of
// telling values of the variables the rule reads: the values the rule
// itself names, empty, and one other value. The message names an input
// that shows the contradiction; "" means none was found.
func contradiction(ix *index, r *Rule) string { return contradictionIn(ix, r, nil) }

// contradictionIn is contradiction with the Land of the responsible
// authority fixed: land is a Land code, "" for none, or nil for any.
func contradictionIn(ix *index, r *Rule, land *string) string {
	type pair struct{ on, off []any }
	byTarget := map[string]*pair{}
	var targets []string
	for _, e := range r.Effects {
		if e.Kind == Validate {
			continue
		}
		pr := byTarget[e.Target]
		if pr == nil {
			pr = &pair{}
			byTarget[e.Target] = pr
			targets = append(targets, e.Target)
		}
		when := e.When
		if when == nil {
			when = true
		}
		if e.Kind == Hide {
			pr.off = append(pr.off, when)
		} else {
			pr.on = append(pr.on, when)
		}
	}
	vars := r.Vars
	cands := make([][]any, len(vars))
	total := 1
	for i, v := range vars {
		cands[i] = candidates(ix, r, v)
		if v == VarBundesland && land != nil {
			cands[i] = []any{nil}
			if *land != "" {
				cands[i] = []any{*land}
			}
		}
		total *= len(cands[i])
		if total > 20000 {
			return "" // too many combinations to try; no verdict
		}
	}
	data := map[string]any{}
	idx := make([]int, len(vars))
	for {
		for i, v := range vars {
			if c := cands[i][idx[i]]; c != nil {
				data[v] = c
			} else {
				delete(data, v)
			}
		}
		for _, t := range targets {
			pr := byTarget[t]
			if len(pr.on) == 0 || len(pr.off) == 0 {
				continue
			}
			if anyHolds(pr.on, data) && anyHolds(pr.off, data) {
				return fmt.Sprintf("Die Regel ist widersprüchlich: %s würde zugleich angezeigt oder verlangt und ausgeblendet, zum Beispiel bei %s.", lastID(t), describe(vars, data))
			}
		}
		// Next combination.
		i := 0
		for ; i < len(idx); i++ {
			idx[i]++
			if idx[i] < len(cands[i]) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return ""
		}
	}
}

func anyHolds(conds []any, data map[string]any) bool {
	for _, c := range conds {
		if truthy(apply(c, data)) {
			return true
		}
	}
	return false
}

func describe(vars []string, data map[string]any) string {
	var parts []string
	for _, v := range vars {
		val, ok := data[v]
		if !ok {
			parts = append(parts, lastID(v)+" leer")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s = %v", lastID(v), val))
	}
	return strings.Join(parts, ", ")
}

// candidates lists telling values of one variable: nil (empty), the values
// the rule compares it with (in conditions and checks), and one more of the
// right type.
func candidates(ix *index, r *Rule, v string) []any {
	out := []any{nil}
	add := func(x any) {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	switch v {
	case VarToday:
		return []any{"2026-01-15"}
	case VarBundesland:
		for _, e := range r.Effects {
			for _, c := range constsOf(e.When, v) {
				if list, ok := c.([]any); ok {
					for _, x := range list {
						add(x)
					}
				}
			}
		}
		add("XX")
		return out
	}
	n := ix.byPath[v]
	for _, e := range r.Effects {
		for _, c := range append(constsOf(e.When, v), constsOf(e.Check, v)...) {
			if list, ok := c.([]any); ok {
				for _, x := range list {
					add(x)
				}
				continue
			}
			add(c)
		}
	}
	switch {
	case n == nil:
	case n.repeats():
		// The variable is the list of entries: lists of the named values
		// and of others.
		x, y := any("a"), any("b")
		if n.el.HasCodes() && len(n.el.Codes()) > 1 {
			x, y = n.el.Codes()[0].Code, n.el.Codes()[1].Code
		}
		lists := []any{nil, []any{}, []any{x}, []any{x, y}, []any{x, x}}
		for _, c := range out[1:] {
			lists = append(lists, []any{c}, []any{x, c})
		}
		return lists
	case n.el.Kind == form.KindGroup:
		add(map[string]any{"x": "y"})
	case n.el.Datentyp == form.DatentypBool:
		add(true)
		add(false)
	case n.el.Datentyp == form.DatentypDate:
		for _, d := range []string{"1950-06-01", "2008-06-01", "2020-01-15", "2026-01-10", "2026-01-15", "2026-01-20", "2026-03-01"} {
			add(d)
		}
	case n.el.Datentyp.Numeric():
		add(1.0)
		add(2010.0)
	default:
		add("\x00anders")
	}
	return out
}

// constsOf returns the constants an expression compares variable v with.
func constsOf(x any, v string) []any {
	var out []any
	var walk func(any)
	walk = func(x any) {
		m, ok := x.(map[string]any)
		if !ok {
			if list, ok := x.([]any); ok {
				for _, e := range list {
					walk(e)
				}
			}
			return
		}
		for _, args := range m {
			list, ok := args.([]any)
			if !ok {
				walk(args)
				continue
			}
			if len(list) == 2 {
				for _, ab := range [][2]int{{0, 1}, {1, 0}} {
					if vv, ok := list[ab[0]].(map[string]any); ok && vv["var"] == v {
						if _, isExpr := list[ab[1]].(map[string]any); !isExpr {
							out = append(out, list[ab[1]])
						}
					}
				}
			}
			for _, e := range list {
				walk(e)
			}
		}
	}
	walk(x)
	return out
}

// contradictoryLands judges a contradictory rule that reads the Land per
// Land: it returns the Länder (and, as "", no Land) for which it is
// contradictory, and whether it is free of contradiction for at least one.
func contradictoryLands(ix *index, r *Rule) (bad []string, someFine bool) {
	for _, l := range append(LandCodes(), "") {
		if contradictionIn(ix, r, &l) != "" {
			bad = append(bad, l)
		} else {
			someFine = true
		}
	}
	return bad, someFine
}
