package journey

import (
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzParseStep posts one step of the Gewerbeanmeldung (XDatenfelder 2:
// postcodes, e-mail, dates, a Tag/Monat/Jahr group) with the example's
// values and one input replaced by arbitrary text, with "weiter". Never a
// panic; the data stays valid UTF-8 JSON; at most one problem per value.
func FuzzParseStep(f *testing.F) {
	form := loadForm(f, "xdf2/S00000009_GewerbeAnmeldung_xdf2.xml")
	ex := form.Example(testCtx)
	for _, s := range []string{" 99 084 ", "D-99084", "31", "0000", "90", "\xff", "a\x00b", "Max <a@b.de>", "1.234,56", "\ud7ff"} {
		f.Add(uint16(2), uint16(0), s)
	}
	f.Fuzz(func(t *testing.T, step, input uint16, value string) {
		st := form.Steps[int(step)%len(form.Steps)]
		vals, _ := form.FormValues(st, ex)
		var names []string
		for k := range vals {
			names = append(names, k)
		}
		if len(names) == 0 {
			return
		}
		slices.Sort(names)
		vals.Set(names[int(input)%len(names)], value)
		post := form.ParseStep(st, ex, vals, ParseAction("weiter"), nil, nil, testCtx)
		b, err := json.Marshal(post.Data)
		if err != nil || !utf8.Valid(b) {
			t.Fatalf("data: %v", err)
		}
		seen := map[string]bool{}
		for _, p := range post.Problems {
			if seen[p.Path] {
				t.Fatalf("two problems at %s: %v", p.Path, post.Problems)
			}
			seen[p.Path] = true
		}
	})
}
