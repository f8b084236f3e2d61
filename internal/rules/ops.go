package rules

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/diegoholiveira/jsonlogic/v3"
)

// Custom JSON Logic operations. Each takes its arguments as an array and
// never fails: malformed input gives null (or false for predicates). The
// browser implementation in internal/web/static/rules.js mirrors them.
//
//	filled(x)            x is not null, "", [] or {} (an object counts when any member is filled)
//	date(y, m, d)        "YYYY-MM-DD" from numbers; a missing month or day counts as 1; null if invalid
//	days_between(a, b)   whole days from date a to date b (negative if b is earlier); null if either is missing
//	years_between(a, b)  whole years from date a to date b, as for an age; null if either is missing
//	valid_date(y, m, d)  y, m and d form a real calendar date
//	distinct(list)       no filled value occurs twice in the list
func init() {
	jsonlogic.AddOperator("filled", func(values, _ any) any { return isFilled(arg(values, 0)) })
	jsonlogic.AddOperator("date", func(values, _ any) any {
		y, m, d := num(arg(values, 0)), num(arg(values, 1)), num(arg(values, 2))
		if math.IsNaN(y) {
			return nil
		}
		if math.IsNaN(m) {
			m = 1
		}
		if math.IsNaN(d) {
			d = 1
		}
		t, ok := makeDate(y, m, d)
		if !ok {
			return nil
		}
		return t.Format(time.DateOnly)
	})
	jsonlogic.AddOperator("days_between", func(values, _ any) any {
		a, ok1 := parseDay(arg(values, 0))
		b, ok2 := parseDay(arg(values, 1))
		if !ok1 || !ok2 {
			return nil
		}
		return math.Round(b.Sub(a).Hours() / 24)
	})
	jsonlogic.AddOperator("years_between", func(values, _ any) any {
		a, ok1 := parseDay(arg(values, 0))
		b, ok2 := parseDay(arg(values, 1))
		if !ok1 || !ok2 {
			return nil
		}
		return float64(yearsBetween(a, b))
	})
	jsonlogic.AddOperator("valid_date", func(values, _ any) any {
		_, ok := makeDate(num(arg(values, 0)), num(arg(values, 1)), num(arg(values, 2)))
		return ok
	})
	jsonlogic.AddOperator("distinct", func(values, _ any) any {
		list, _ := arg(values, 0).([]any)
		seen := map[string]bool{}
		for _, v := range list {
			if !isFilled(v) {
				continue
			}
			k := fmt.Sprint(v)
			if seen[k] {
				return false
			}
			seen[k] = true
		}
		return true
	})
}

func arg(values any, i int) any {
	if list, ok := values.([]any); ok {
		if i < len(list) {
			return list[i]
		}
		return nil
	}
	if i == 0 {
		return values
	}
	return nil
}

func isFilled(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		for _, e := range x {
			if isFilled(e) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, e := range x {
			if isFilled(e) {
				return true
			}
		}
		return false
	}
	return true
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return math.NaN()
		}
		return f
	}
	return math.NaN()
}

func makeDate(y, m, d float64) (time.Time, bool) {
	if math.IsNaN(y) || math.IsNaN(m) || math.IsNaN(d) || y != math.Trunc(y) || m != math.Trunc(m) || d != math.Trunc(d) ||
		y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
	if t.Day() != int(d) || int(t.Month()) != int(m) {
		return time.Time{}, false
	}
	return t, true
}

func parseDay(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) != 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// yearsBetween counts full years from a to b, as an age is counted.
func yearsBetween(a, b time.Time) int {
	if b.Before(a) {
		return -yearsBetween(b, a)
	}
	y := b.Year() - a.Year()
	if b.Month() < a.Month() || (b.Month() == a.Month() && b.Day() < a.Day()) {
		y--
	}
	return y
}
