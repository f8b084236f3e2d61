package payment

import (
	"fmt"
	"strconv"
	"strings"
)

// Decimal formats c as euros with two decimals and a point, as
// XBezahldienste 1.0.0 amounts are written in JSON: 1250 → "12.50",
// -5 → "-0.05".
func (c Cents) Decimal() string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign = "-"
		u = uint64(-(c + 1)) + 1 // also for the smallest int64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// maxDecimalEuros bounds ParseDecimal's results (ten billion euros), far
// above any fee and far below an overflow of Cents.
const maxDecimalEuros = 10_000_000_000

// ParseDecimal reads euros written as a decimal number with at most two
// decimals ("12.5", "12.50", "12", "-3.10") into Cents, exactly (no
// floating point). It refuses exponents, more than two decimals, signs
// other than a leading "-", and amounts of ten billion euros or more.
func ParseDecimal(s string) (Cents, error) {
	in := s
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasPoint && (frac == "" || len(frac) > 2 || !digits(frac))) {
		return 0, fmt.Errorf("amount %q: not euros with at most two decimals", in)
	}
	if len(whole) > 11 {
		return 0, fmt.Errorf("amount %q: too large", in)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w >= maxDecimalEuros {
		return 0, fmt.Errorf("amount %q: too large", in)
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	c := Cents(w*100 + f)
	if neg {
		c = -c
	}
	return c, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
