package form

import (
	"strings"
	"testing"
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
		if got := CleanFilename(tc.in); got != tc.want {
			t.Errorf("CleanFilename(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := CleanFilename(strings.Repeat("ä", 300) + ".pdf"); len([]rune(got)) != 255 {
		t.Errorf("long name has %d characters, want 255", len([]rune(got)))
	}
}

func TestSniffMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"%PDF-1.7\n":           "application/pdf",
		"\x89PNG\r\n\x1a\n":    "image/png",
		"MZ this is not a pdf": "text/plain",
		"\x00\x01\x02":         "application/octet-stream",
	} {
		if got := SniffMediaType([]byte(in)); got != want {
			t.Errorf("SniffMediaType(%q) = %q, want %q", in, got, want)
		}
	}
}
