package rules

import (
	"regexp"
	"strings"
)

// stripLabels removes the element names that rule texts write after an
// element reference ('F60000000231 "Tag (ohne Monat und Jahr)"', or without
// quotes, or with a quote missing), so that the parser sees the reference
// and what is said about it. Names are matched against the schema's own
// name, bezeichnungEingabe and bezeichnungAusgabe of the element; a quoted
// text that is not the element's name (a value such as "02 Das Fahrzeug …")
// stays.
func (ix *index) stripLabels(text string) string {
	text = quoteReplacer.Replace(text)
	var b strings.Builder
	for {
		loc := refInTextRE.FindStringIndex(text)
		if loc == nil {
			b.WriteString(text)
			return b.String()
		}
		ref := text[loc[0]:loc[1]]
		b.WriteString(text[:loc[1]])
		rest := text[loc[1]:]
		ids := strings.Split(ref, ".")
		rest = ix.stripLabelAfter(ids[len(ids)-1], rest)
		text = rest
	}
}

var refInTextRE = regexp.MustCompile(`\b[FG][0-9]{5,}(?:\.[FG][0-9]{5,})*\b`)

// stripLabelAfter removes a leading label of element id from rest.
func (ix *index) stripLabelAfter(id, rest string) string {
	best := 0
	for _, l := range ix.labelsOf(id) {
		if n := matchLabel(rest, l); n > best {
			best = n
		}
	}
	if best > 0 {
		return " " + rest[best:]
	}
	// A quoted text right after the reference that resembles one of the
	// names is a label the schema spells differently.
	if m := quotedRE.FindStringSubmatchIndex(rest); m != nil {
		q := rest[m[2]:m[3]]
		for _, l := range ix.labelsOf(id) {
			if similar(q, l) {
				return " " + rest[m[1]:]
			}
		}
	}
	return rest
}

var quotedRE = regexp.MustCompile(`^\s*"([^"]{1,200})"`)

// matchLabel returns the length of the prefix of s that spells label: white
// space, an optional opening and closing quote, and the label's words in
// order with any punctuation between them. It returns 0 if s does not start
// with the label.
func matchLabel(s, label string) int {
	lw := words(label)
	if len(lw) == 0 {
		return 0
	}
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	skipSpace()
	quoted := false
	if i < len(s) && s[i] == '"' {
		quoted = true
		i++
	}
	matched := 0
	for _, w := range lw {
		// Skip punctuation and space between words.
		for i < len(s) {
			r := rune(s[i])
			if r >= 0x80 || isWordRune(r) {
				break
			}
			if r == '"' {
				break
			}
			i++
		}
		if !strings.HasPrefix(strings.ToLower(s[i:]), w) {
			break
		}
		end := i + len(w)
		// The word must end here.
		if end < len(s) {
			if r := firstRune(s[end:]); isWordRune(r) {
				break
			}
		}
		i = end
		matched++
	}
	if matched < len(lw) && (matched < 2 || quoted) {
		return 0
	}
	// Trailing punctuation of the label and a closing quote.
	j := i
	for j < len(s) && strings.ContainsRune(").:", rune(s[j])) {
		j++
	}
	k := j
	for k < len(s) && s[k] == ' ' {
		k++
	}
	if k < len(s) && s[k] == '"' {
		return k + 1
	}
	if quoted {
		return 0
	}
	return j
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}

// similar reports whether two names are the same words for the most part.
func similar(a, b string) bool {
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	set := map[string]bool{}
	for _, w := range wb {
		set[w] = true
	}
	common := 0
	for _, w := range wa {
		if set[w] {
			common++
		}
	}
	return common*2 >= len(wa) && common*2 >= len(wb)
}
