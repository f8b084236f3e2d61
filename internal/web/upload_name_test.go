package web

import (
	"mime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/form"
)

// TestLongFileNamesKeepTheirExtension: a name over the limit was cut at
// the end, losing ".pdf".
func TestLongFileNamesKeepTheirExtension(t *testing.T) {
	long := strings.Repeat("ä", 300)
	tests := []struct{ in, want string }{
		{"kurz.pdf", "kurz.pdf"},
		{long + ".pdf", strings.Repeat("ä", form.MaxFilenameLength-4) + ".pdf"},
		{long, strings.Repeat("ä", form.MaxFilenameLength)},
		{long + "." + strings.Repeat("x", 40), strings.Repeat("ä", form.MaxFilenameLength)}, // no real extension
		{`C:\Users\a\` + long + ".jpeg", strings.Repeat("ä", form.MaxFilenameLength-5) + ".jpeg"},
		{"Bericht %22final%22.pdf", `Bericht "final".pdf`},
	}
	for _, tt := range tests {
		if got := uploadName(tt.in); got != tt.want {
			t.Errorf("uploadName(%.40q…) = %.60q…, want %.60q…", tt.in, got, tt.want)
		}
	}
}

// TestDownloadNamesSurviveContentDisposition: the caseworker's download
// gives back the exact name, quotes and umlauts included.
func TestDownloadNamesSurviveContentDisposition(t *testing.T) {
	for _, name := range []string{"a.pdf", `Erklärung "Mieter".pdf`, `back\slash "q".pdf`, "日本語.png", "semi;colon=.pdf", "Datei"} {
		v := attachmentDisposition(name)
		disp, params, err := mime.ParseMediaType(v)
		if err != nil || disp != "attachment" || params["filename"] != name {
			t.Errorf("%q: %q parses to %q %q (%v)", name, v, disp, params["filename"], err)
		}
		if !strings.Contains(v, `filename="`) {
			t.Errorf("%q: %q lacks the ASCII fallback", name, v)
		}
	}
}

func FuzzUploadName(f *testing.F) {
	for _, s := range []string{"a.pdf", "%22.pdf", strings.Repeat("x", 400) + ".pdf", "../../etc/passwd", "\u202Efdp.exe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name := uploadName(raw)
		if name == "" || utf8.RuneCountInString(name) > form.MaxFilenameLength || strings.ContainsAny(name, "/\\\r\n") {
			t.Fatalf("uploadName(%q) = %q", raw, name)
		}
		if _, params, err := mime.ParseMediaType(attachmentDisposition(name)); err != nil || params["filename"] != name {
			t.Fatalf("%q does not survive Content-Disposition: %v", name, err)
		}
	})
}
