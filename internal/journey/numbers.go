package journey

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
)

// ParseNumber reads a number as a citizen types it in a German form and
// returns it as a decimal string for a JSON number. The rule:
//
//   - spaces (also narrow and non-breaking ones) are ignored, so are a
//     leading "+" and a trailing "€" or "EUR";
//   - with a comma, the comma is the decimal separator and dots may only
//     group thousands in threes: "1.234,56" is 1234.56, "1234,5" is 1234.5;
//   - without a comma, a single dot followed by one or two digits is a
//     decimal point ("1234.56", as written by software and on foreign
//     keyboards); dots that group thousands in threes are thousands
//     separators only when there are several ("1.234.567");
//   - anything else is rejected with ErrAmbiguousNumber or ErrNotANumber,
//     in particular "1.234" (one thousand two hundred thirty-four, or one
//     point two three four?), never guessed.
func ParseNumber(s string) (string, error) {
	t := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\u2009', '\t':
			return -1
		}
		return r
	}, s)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "€"), "EUR")
	t = strings.TrimPrefix(t, "+")
	if t == "" {
		return "", ErrNotANumber
	}
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "−") {
		neg = true
		t = strings.TrimPrefix(strings.TrimPrefix(t, "-"), "−")
	}
	var intPart, frac string
	switch {
	case strings.Contains(t, ","):
		if strings.Count(t, ",") > 1 {
			return "", ErrNotANumber
		}
		intPart, frac, _ = strings.Cut(t, ",")
		if strings.Contains(intPart, ".") {
			if !groupedRE.MatchString(intPart) {
				return "", ErrNotANumber
			}
			intPart = strings.ReplaceAll(intPart, ".", "")
		}
	case strings.Count(t, ".") == 1:
		i := strings.IndexByte(t, '.')
		switch n := len(t) - i - 1; {
		case n == 1 || n == 2:
			intPart, frac = t[:i], t[i+1:]
		case n == 3 && groupedRE.MatchString(t):
			return "", ErrAmbiguousNumber
		default:
			intPart, frac = t[:i], t[i+1:]
			if n == 0 {
				return "", ErrNotANumber
			}
		}
	case strings.Count(t, ".") > 1:
		if !groupedRE.MatchString(t) {
			return "", ErrNotANumber
		}
		intPart = strings.ReplaceAll(t, ".", "")
	default:
		intPart = t
	}
	if !digitsRE.MatchString(intPart) && !(intPart == "" && frac != "") {
		return "", ErrNotANumber
	}
	if frac != "" && !digitsRE.MatchString(frac) {
		return "", ErrNotANumber
	}
	if intPart == "" {
		intPart = "0"
	}
	num := intPart
	if frac != "" {
		num += "." + frac
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return "", ErrNotANumber
	}
	if neg {
		r.Neg(r)
	}
	// Canonical decimal: no superfluous zeros.
	out := r.FloatString(len(frac))
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	if out == "-0" {
		out = "0"
	}
	return out, nil
}

var (
	groupedRE = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+$`)
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
)

// Errors of ParseNumber.
var (
	ErrNotANumber      = errors.New("keine Zahl")
	ErrAmbiguousNumber = errors.New("mehrdeutige Zahl")
)

// FormatNumber writes a JSON number the German way: decimal comma
// ("1234,5"). Currency amounts get two decimals and thousands grouped with
// dots ("1.234,56"); other numbers are not grouped, since they are as often
// years or numbers of a register as quantities ("1850", not "1.850").
func FormatNumber(n string, currency bool) string {
	r, ok := new(big.Rat).SetString(n)
	if !ok {
		return n
	}
	s := n
	if currency {
		// Cents always; more digits only if the value has them (an
		// invalid amount is shown as typed, never rounded).
		s = r.FloatString(exactDecimals(r, 2))
	} else if r.IsInt() {
		s = r.Num().String()
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if currency && i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "," + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// exactDecimals returns the number of decimal places that write r exactly,
// at least min and at most 30.
func exactDecimals(r *big.Rat, min int) int {
	scaled := new(big.Rat).Set(r)
	ten := big.NewRat(10, 1)
	for range min {
		scaled.Mul(scaled, ten)
	}
	d := min
	for !scaled.IsInt() && d < 30 {
		scaled.Mul(scaled, ten)
		d++
	}
	return d
}
