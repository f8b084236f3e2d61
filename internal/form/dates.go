package form

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// YearRange is the span of years, both ends included, that a date (or
// date-time) value may fall in, whatever its schema says: it keeps out
// year 0000 and typing slips such as 19990 or 1099. The schema's own
// minValue and maxValue apply as well.
type YearRange struct {
	Min, Max int
}

// DefaultYearRange is the YearRange without configuration: 1800 to 2200.
var DefaultYearRange = YearRange{Min: 1800, Max: 2200}

// OrDefault returns r, or DefaultYearRange for the zero value.
func (r YearRange) OrDefault() YearRange {
	if r == (YearRange{}) {
		return DefaultYearRange
	}
	return r
}

// Contains reports whether year y is within r (DefaultYearRange when r is
// zero).
func (r YearRange) Contains(y int) bool {
	r = r.OrDefault()
	return y >= r.Min && y <= r.Max
}

// String writes r as "1800-2200".
func (r YearRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// ParseYearRange reads "MIN-MAX", two years from 1 to 9999 with MIN not
// above MAX, e.g. "1800-2200".
func ParseYearRange(s string) (YearRange, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || a < 1 || b > 9999 || a > b {
		return YearRange{}, fmt.Errorf("year range %q: want MIN-MAX, years 1 to 9999, e.g. 1800-2200", s)
	}
	return YearRange{Min: a, Max: b}, nil
}

// DateParts returns the day, month and year Datenfelder of a struktur that
// assembles a calendar date from three separate fields (FIM Baukasten
// "Geburtsdatum (teilbekannt)": Tag, Monat, Jahr), or ok false. A field
// counts by its name or label beginning with "Tag", "Monat" or "Jahr"; each
// must occur exactly once, as a number or text Datenfeld that does not
// repeat.
func DateParts(children []Child) (day, month, year *Child, ok bool) {
	for i := range children {
		c := &children[i]
		e := c.Element
		if e.Kind != KindField || c.Anzahl.Repeats() || e.HasCodes() ||
			!(e.Datentyp.Numeric() || e.Datentyp == DatentypText || e.Datentyp == DatentypTextLatin) {
			continue
		}
		var slot **Child
		switch w := firstWord(e.Name); {
		case w == "tag":
			slot = &day
		case w == "monat":
			slot = &month
		case w == "jahr":
			slot = &year
		default:
			continue
		}
		if *slot != nil {
			return nil, nil, nil, false
		}
		*slot = c
	}
	return day, month, year, day != nil && month != nil && year != nil
}

// firstWord is the first word of s in lower case; words are separated by
// space, "(", ",", "-" and "/".
func firstWord(s string) string {
	isSep := func(c byte) bool { return c == ' ' || c == '(' || c == ',' || c == '-' || c == '/' }
	i := 0
	for i < len(s) && isSep(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSep(s[j]) {
		j++
	}
	return strings.ToLower(s[i:j])
}

// dateParts checks that a day, month and year given in separate fields of
// obj make a calendar date (no 31 February). Values that are no whole
// numbers are left to the fields' own checks.
func (v *validator) dateParts(p Path, children []Child, obj map[string]any) {
	d, m, y, ok := DateParts(children)
	if !ok {
		return
	}
	for _, c := range []*Child{d, m, y} {
		if v.hidden(p.Key(c.Element.ID)) {
			return
		}
	}
	day, ok1 := wholeNumber(obj[d.Element.ID])
	month, ok2 := wholeNumber(obj[m.Element.ID])
	year, ok3 := wholeNumber(obj[y.Element.ID])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > 31 {
		return
	}
	dp := p.Key(d.Element.ID).String()
	for _, pr := range v.problems {
		if pr.Path == dp {
			return // one problem per value
		}
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		v.problems = append(v.problems, Problem{Path: dp, Code: CodeFormat, Message: msgDateParts(d.Element, m.Element, y.Element)})
	}
}

// wholeNumber reads a JSON number or a string of digits as an int.
func wholeNumber(val any) (int, bool) {
	if s, ok := val.(string); ok {
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	r, ok := number(val)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	n := r.Num().Int64()
	if n > 1<<31 || n < -(1<<31) {
		return 0, false
	}
	return int(n), true
}
