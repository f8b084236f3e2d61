package form

import (
	"fmt"
	"strconv"
	"strings"
)

// Unbounded is the Max of an Anzahl written with "*".
const Unbounded = -1

// Anzahl is the cardinality of a struktur entry, written "min:max" in
// XDatenfelder (1, 2 and 3), with "*" for an unbounded maximum.
type Anzahl struct {
	Min int // at least 0
	Max int // at least max(Min, 1), or Unbounded
}

// MaxAnzahl is the largest finite bound ParseAnzahl accepts. Real schemas
// use single digits; a larger number is almost certainly a typing error and
// would make a form with that many repetitions.
const MaxAnzahl = 10000

// ParseAnzahl parses "min:max". Errors name the offending text: a missing
// colon, a bound that is not a number, a negative bound, min above max, a
// maximum of 0 or a bound above MaxAnzahl.
func ParseAnzahl(s string) (Anzahl, error) {
	t := strings.TrimSpace(s)
	lo, hi, ok := strings.Cut(t, ":")
	if !ok {
		return Anzahl{}, fmt.Errorf("anzahl %q: erwartet \"min:max\"", s)
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	min, err := strconv.Atoi(lo)
	if err != nil || min < 0 || min > MaxAnzahl {
		return Anzahl{}, fmt.Errorf("anzahl %q: Minimum %q ist keine Zahl zwischen 0 und %d", s, lo, MaxAnzahl)
	}
	if hi == "*" {
		return Anzahl{Min: min, Max: Unbounded}, nil
	}
	max, err := strconv.Atoi(hi)
	if err != nil || max < 1 || max > MaxAnzahl {
		return Anzahl{}, fmt.Errorf("anzahl %q: Maximum %q ist weder \"*\" noch eine Zahl zwischen 1 und %d", s, hi, MaxAnzahl)
	}
	if min > max {
		return Anzahl{}, fmt.Errorf("anzahl %q: Minimum %d ist größer als Maximum %d", s, min, max)
	}
	return Anzahl{Min: min, Max: max}, nil
}

// String formats the Anzahl as "min:max".
func (a Anzahl) String() string {
	if a.Max == Unbounded {
		return strconv.Itoa(a.Min) + ":*"
	}
	return strconv.Itoa(a.Min) + ":" + strconv.Itoa(a.Max)
}

// Repeats reports whether the element may occur more than once; its data is
// then a JSON array.
func (a Anzahl) Repeats() bool { return a.Max == Unbounded || a.Max > 1 }

// Required reports whether the element must occur at least once.
func (a Anzahl) Required() bool { return a.Min > 0 }

// Allows reports whether n occurrences are within the Anzahl.
func (a Anzahl) Allows(n int) bool {
	return n >= a.Min && (a.Max == Unbounded || n <= a.Max)
}

// MarshalText writes "min:max".
func (a Anzahl) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads "min:max".
func (a *Anzahl) UnmarshalText(b []byte) error {
	v, err := ParseAnzahl(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
