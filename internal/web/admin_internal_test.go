package web

import (
	"maps"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/tenant"
)

// FuzzParseEfA: the EfA parameters an admin types never panic the parser,
// and what it accepts is written back (formatEfA) so that it reads the
// same again.
func FuzzParseEfA(f *testing.F) {
	for _, s := range []string{"", "zustellkanal = fitconnect\ngebuehr.betrag=30.00", "a = b = c", "x\n", " = leer", "ä = 1", "a = 1\na = 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, problem := parseEfA(text)
		if problem != "" {
			if m != nil {
				t.Errorf("problem %q with parameters %v", problem, m)
			}
			return
		}
		again, problem := parseEfA(formatEfA(m))
		if problem != "" || !maps.Equal(m, again) {
			t.Errorf("%q: %v reads back as %v (%s)", text, m, again, problem)
		}
	})
}

func TestParseEfA(t *testing.T) {
	m, problem := parseEfA("zustellkanal = fitconnect\r\n\n  gebuehr.betrag=30.00 \nformel = a = b")
	if problem != "" || len(m) != 3 || m["gebuehr.betrag"] != "30.00" || m["formel"] != "a = b" {
		t.Errorf("parseEfA = %v, %q", m, problem)
	}
	for text, want := range map[string]string{
		"a = 1\nohne":                      "Zeile 2",
		"a b = 1":                          "Der Name „a b“",
		"a = 1\n\na = 2":                   "Zeile 3: „a“ steht schon",
		"a = " + strings.Repeat("x", 2001): "länger als 2000",
	} {
		if _, problem := parseEfA(text); !strings.Contains(problem, want) {
			t.Errorf("parseEfA(%.20q): %q, want %q", text, problem, want)
		}
	}
}

// TestAllowLogo: an https logo's origin joins img-src; anything but a host
// name and port never reaches the policy.
func TestAllowLogo(t *testing.T) {
	for logo, want := range map[string]string{
		"https://www.musterstadt.example/logo.svg":    "img-src 'self' data: https://www.musterstadt.example;",
		"https://cdn.example:8443/a.png":              "img-src 'self' data: https://cdn.example:8443;",
		"https://evil.example;script-src/x.svg":       "img-src 'self' data:;",
		"https://evil.example%3Bscript-src%20*/x.svg": "img-src 'self' data:;",
		"/static/app/favicon.ico":                     "img-src 'self' data:;",
	} {
		w := httptest.NewRecorder()
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		allowLogo(w, &tenant.Tenant{LogoURL: logo})
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, want) || strings.Count(csp, "script-src") != 1 {
			t.Errorf("%s: CSP %q, want %q", logo, csp, want)
		}
	}
}
