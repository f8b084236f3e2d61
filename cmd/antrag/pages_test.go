package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pagesConfig = `{
  "impressum": {"url": "https://www.musterstadt.example/impressum"},
  "datenschutz": {
    "paragraphs": ["Verantwortlich ist die Stadt Musterstadt."],
    "sections": [{"heading": "Ihre Rechte", "paragraphs": ["Auskunft nach Art. 15 DSGVO."]}]
  },
  "barrierefreiheit": {
    "statement": {
      "conformance": "teilweise",
      "problems": [{"content": "Die Quittung (PDF) ist nicht getaggt."}],
      "prepared": {"date": "2026-11-30", "method": "selbstbewertung"},
      "feedback": {"email": "barrierefreiheit@musterstadt.example", "response_weeks": 6},
      "enforcement": {"name": "Schlichtungsstelle (Beispiel)", "url": "https://schlichtung.example"}
    }
  },
  "authorities": {
    "Bürgeramt Musterstadt": {
      "datenschutz": {"paragraphs": ["Verantwortlich ist das Bürgeramt."]}
    }
  }
}
`

// TestTenantPagesCommand: an operator sets a tenant's and an authority's
// pages from a file, reads them back in the same format, and a file with
// an incomplete Erklärung zur Barrierefreiheit, an unknown authority or a
// misspelt field is refused with an error that says why, changing
// nothing.
func TestTenantPagesCommand(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	cfgDir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(cfgDir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	show := func() map[string]any {
		t.Helper()
		out, stderr, err := runUserOut(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "musterstadt")
		if err != nil {
			t.Fatalf("tenant pages (show): %v %s", err, stderr)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("tenant pages prints no JSON: %v\n%s", err, out)
		}
		return v
	}

	good := write("musterstadt.json", pagesConfig)
	out, stderr, err := runUserOut(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "musterstadt", good)
	if err != nil {
		t.Fatalf("tenant pages: %v %s", err, stderr)
	}
	for _, want := range []string{"„Stadt Musterstadt“", "https://www.musterstadt.example/impressum", "Erklärung (teilweise vereinbar, 2026-11-30)", "Bürgeramt Musterstadt"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(pagesConfig), &want); err != nil {
		t.Fatal(err)
	}
	stored := show()
	if g, w := mustJSON(t, stored), mustJSON(t, want); g != w {
		t.Errorf("stored configuration:\n%s\nwant:\n%s", g, w)
	}

	for _, tc := range []struct {
		name, content, want string
	}{
		{"statement without date", strings.Replace(pagesConfig, `"date": "2026-11-30", `, "", 1), "Datum (prepared.date) fehlt"},
		{"statement without contact", strings.Replace(pagesConfig, `"email": "barrierefreiheit@musterstadt.example", `, "", 1), "kein elektronischer Kontakt"},
		{"unknown authority", strings.Replace(pagesConfig, "Bürgeramt Musterstadt", "Ordnungsamt", 1), "Behörde „Ordnungsamt“ gibt es im Mandanten „Stadt Musterstadt“ nicht"},
		{"misspelt field", strings.Replace(pagesConfig, `"paragraphs": ["Verantwortlich ist das`, `"paragraph": ["Verantwortlich ist das`, 1), `unknown field "paragraph"`},
		{"not JSON", "{\n\"impressum\": \n}", "Zeile 3"},
		{"authority's page empty", strings.Replace(pagesConfig, `{"paragraphs": ["Verantwortlich ist das Bürgeramt."]}`, `{}`, 1), "Behörde „Bürgeramt Musterstadt“: datenschutz: weder Adresse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := write(strings.ReplaceAll(tc.name, " ", "-")+".json", tc.content)
			_, _, err := runUserOut(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "musterstadt", bad)
			if err == nil {
				t.Fatalf("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), bad) {
				t.Errorf("error %q does not name the file and say %q", err, tc.want)
			}
		})
	}
	if g, w := mustJSON(t, show()), mustJSON(t, stored); g != w {
		t.Errorf("a refused file changed the configuration:\n%s\nwant:\n%s", g, w)
	}
	if err := runUserCmd(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "nirgendwo", good); err == nil || !strings.Contains(err.Error(), `Mandant "nirgendwo" gibt es nicht`) {
		t.Errorf("unknown tenant: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
