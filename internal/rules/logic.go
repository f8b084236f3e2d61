package rules

import (
	"slices"
)

// Builders for JSON Logic expressions, as Go values ready for encoding/json
// and for the evaluator.

type logic = map[string]any

func vr(key string) logic               { return logic{"var": key} }
func op(name string, args ...any) logic { return logic{name: args} }
func eq(a, b any) logic                 { return op("==", a, b) }
func neq(a, b any) logic                { return op("!=", a, b) }
func not(a any) logic                   { return logic{"!": []any{a}} }
func filled(a any) logic                { return op("filled", a) }

func and(xs ...any) any {
	xs = slices.DeleteFunc(xs, func(x any) bool { return x == nil })
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return op("and", xs...)
}

func or(xs ...any) any {
	switch len(xs) {
	case 0:
		return false
	case 1:
		return xs[0]
	}
	return op("or", xs...)
}

// varsOf lists the variables an expression reads, in order, without
// duplicates.
func varsOf(x any) []string {
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch v := x.(type) {
		case map[string]any:
			for k, a := range v {
				if k == "var" {
					if s, ok := a.(string); ok && !slices.Contains(out, s) {
						out = append(out, s)
					}
					continue
				}
				walk(a)
			}
		case []any:
			for _, a := range v {
				walk(a)
			}
		}
	}
	walk(x)
	return out
}
