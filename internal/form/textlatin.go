package form

import (
	"strings"
	"unicode/utf8"
)

// latinRanges approximates the character repertoire of the XDatenfelder
// datentyp text_latin, which refers to "String.Latin+" (DIN SPEC 91379,
// datatype C). It admits the Unicode blocks that standard draws its Latin
// letters and non-letters from: Basic Latin and Latin-1 printable characters,
// Latin Extended-A and -B, combining diacritical marks, Latin Extended
// Additional, and the typographic quotes, dashes, ellipsis and euro sign.
// It is wider than the normative list: it never rejects a name that DIN SPEC
// 91379 admits, but may accept a few characters it does not.
var latinRanges = [][2]rune{
	{'\t', '\t'}, {'\n', '\n'}, {'\r', '\r'},
	{0x20, 0x7E},
	{0xA0, 0x24F},
	{0x300, 0x36F},
	{0x1E00, 0x1EFF},
	{0x2013, 0x2014},
	{0x2018, 0x201E},
	{0x2026, 0x2026},
	{0x20AC, 0x20AC},
}

func isLatin(r rune) bool {
	for _, rg := range latinRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// firstNonLatin returns the first character of s outside text_latin.
func firstNonLatin(s string) (rune, bool) {
	for _, r := range s {
		if r == utf8.RuneError || !isLatin(r) {
			return r, true
		}
	}
	return 0, false
}

// latinPattern is latinRanges as a regular expression that both Go (RE2)
// and ECMA-262 accept: the characters are written literally, not escaped.
func latinPattern() string {
	var b strings.Builder
	b.WriteString("^[")
	for _, rg := range latinRanges {
		b.WriteRune(rg[0])
		if rg[1] != rg[0] {
			b.WriteByte('-')
			b.WriteRune(rg[1])
		}
	}
	b.WriteString("]*$")
	return b.String()
}
