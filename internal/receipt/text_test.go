package receipt

import (
	"testing"
)

func TestClean(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in  string
		multiline bool
		want      string
	}{
		{"German text unchanged", "Zoë Müller-Lüdenscheidt „Straße“ 12 € – ok", true, "Zoë Müller-Lüdenscheidt „Straße“ 12 € – ok"},
		{"quotes and dashes", "‚a‘ “b” — c … d", true, "‚a‘ “b” — c … d"},
		{"emoji", "Danke 👍!", true, "Danke [U+1F44D]!"},
		{"emoji with skin tone and joiner", "👍🏽\u200d", true, "[U+1F44D][U+1F3FD][U+200D]"},
		{"CJK has no glyph", "中", true, "[U+4E2D]"},
		{"controls", "a\x00b\x07c\x1bd\x7fe\u0080", true, "a[U+0000]b[U+0007]c[U+001B]d[U+007F]e[U+0080]"},
		{"format characters", "a\u200bb\u202ec\ufeffd", true, "a[U+200B]b[U+202E]c[U+FEFF]d"},
		{"soft hyphen removed", "Be\u00adar\u00adbei\u00adtung", true, "Bearbeitung"},
		{"line ends", "a\r\nb\rc\nd\u2028e\u2029f\u0085g", true, "a\nb\nc\nd\ne\nf\ng"},
		{"line ends on one line", "a\r\nb\nc", false, "a b c"},
		{"tab", "a\tb", true, "a    b"},
		{"tab on one line", "a\tb", false, "a b"},
		{"NFC", "Mu\u0308ller", true, "Müller"},
		{"invalid UTF-8", "a\xffb\xc3", true, "a\uFFFDb\uFFFD"},
		{"empty", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.clean(tt.in, tt.multiline); got != tt.want {
				t.Errorf("clean(%q, %v) = %q, want %q", tt.in, tt.multiline, got, tt.want)
			}
		})
	}
}

func TestCoverageFromFont(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "aZ09 äöüÄÖÜß€„“‚‘–—…·\uFFFD" {
		if !a.canDraw(r) {
			t.Errorf("canDraw(%q) = false, DejaVu Sans has it", r)
		}
	}
	for _, r := range []rune{'中', 0x1F44D, 0x1F600, 0x10FFFF, -1, 0xD800} {
		if a.canDraw(r) {
			t.Errorf("canDraw(%U) = true", r)
		}
	}
}
