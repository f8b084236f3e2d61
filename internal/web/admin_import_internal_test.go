package web

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzSafeFileName: whatever name a browser sends, the name shown is
// valid UTF-8 of at most 100 bytes, without a path, control or format
// characters, and never empty.
func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"schema.xml", "../../etc/passwd", `C:\Users\x\S0001.xml`, "a\x00b.xml", "b\u202eöse.xml", "\xff\xfe", "", strings.Repeat("ä", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeFileName(in)
		if out == "" || len(out) > 100 || !utf8.ValidString(out) || strings.ContainsAny(out, "/\\") {
			t.Fatalf("safeFileName(%q) = %q", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("safeFileName(%q) = %q keeps %U", in, out, r)
			}
		}
	})
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"S00000186.xml":            "S00000186.xml",
		"../../etc/b\u202eöse.xml": "böse.xml",
		`C:\Temp\schema.xml`:       "schema.xml",
		"":                         "schema.xml",
		"..":                       "schema.xml",
	} {
		if got := safeFileName(in); got != want {
			t.Errorf("safeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
