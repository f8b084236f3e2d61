package web

import (
	"strings"
	"testing"
	"time"
)

func TestCleanFilename(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Nachweis.pdf", "Nachweis.pdf"},
		{"Rechnung\u202Efdp.exe", "Rechnungfdp.exe"},   // right-to-left override
		{"a\u2066b\u2069\u200Bc\u200E.pdf", "abc.pdf"}, // isolates, zero width space, LRM
		{"Mu\u0308ller.pdf", "M\u00fcller.pdf"},        // NFD to NFC
		{"../../etc/passwd", "passwd"},                 // directories
		{`C:\Users\x\Lohn.pdf`, "Lohn.pdf"},            // Windows paths
		{"  Lohn\x00\x1b.pdf  ", "Lohn.pdf"},           // controls, spaces
		{"\u202E", "Datei"},                            // nothing left
		{"..", "Datei"},
		{"\xff\xfe.pdf", "\ufffd\ufffd.pdf"}, // invalid UTF-8 shows as replacement
		{"Bürgergeld – Nachweis „2026“.pdf", "Bürgergeld – Nachweis „2026“.pdf"},
	} {
		if got := cleanFilename(tc.in); got != tc.want {
			t.Errorf("cleanFilename(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := cleanFilename(strings.Repeat("ä", 300) + ".pdf"); len([]rune(got)) != 255 {
		t.Errorf("long name has %d characters, want 255", len([]rune(got)))
	}
}

func TestGermanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour: "30 Tage", 24 * time.Hour: "1 Tag", 36 * time.Hour: "1 Tag", 12 * time.Hour: "12 Stunden",
		time.Hour: "1 Stunde", 45 * time.Minute: "45 Minuten", time.Second: "1 Minute",
	} {
		if got := germanDuration(d); got != want {
			t.Errorf("germanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
