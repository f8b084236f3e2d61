package form

import (
	"regexp"
	"regexp/syntax"
	"unicode"
)

// MatchingString returns a string that the regular expression (Go RE2
// syntax) matches and that accept admits. It builds candidates from the
// parsed expression, taking the first alternative and a growing number of
// repetitions (0 to 64 beyond each minimum), and returns the first that the
// compiled expression matches and accept admits.
func MatchingString(expr string, accept func(string) bool) (string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	full, err := regexp.Compile(expr)
	if err != nil {
		return "", false
	}
	for extra := 0; extra <= 64; extra++ {
		var g gen
		g.extra = extra
		g.walk(re)
		if g.failed {
			return "", false
		}
		s := string(g.out)
		if full.MatchString(s) && accept(s) {
			return s, true
		}
	}
	return "", false
}

type gen struct {
	out    []rune
	extra  int
	failed bool
}

func (g *gen) walk(re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpNoMatch:
		g.failed = true
	case syntax.OpLiteral:
		g.out = append(g.out, re.Rune...)
	case syntax.OpCharClass:
		g.out = append(g.out, pickRune(re.Rune))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		g.out = append(g.out, 'x')
	case syntax.OpCapture:
		g.walk(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			g.walk(s)
		}
	case syntax.OpAlternate:
		g.walk(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		min, max := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			min, max = 0, -1
		case syntax.OpPlus:
			min, max = 1, -1
		case syntax.OpQuest:
			min, max = 0, 1
		}
		n := min + g.extra
		if max >= 0 && n > max {
			n = max
		}
		for range n {
			g.walk(re.Sub[0])
		}
	}
	// Anchors, word boundaries and empty matches add nothing.
}

// pickRune chooses a readable character from a class given as rune pairs:
// a lower-case letter, else a digit, else an upper-case letter, else the
// first character that is not a control character.
func pickRune(ranges []rune) rune {
	for _, want := range []rune{'a', '1', '0', 'A'} {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r-ranges[i] < 256; r++ {
			if !unicode.IsControl(r) && !unicode.IsSpace(r) {
				return r
			}
		}
	}
	if len(ranges) > 0 {
		return ranges[0]
	}
	return 'x'
}
