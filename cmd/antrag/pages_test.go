package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	for _, want := range []string{"„Stadt Musterstadt“", "https://www.musterstadt.example/impressum", "Erklärung (teilweise vereinbar, 2026-11-30)", "Bürgeramt Musterstadt", "Text (2 Absätze)", "Text (1 Absatz)"} {
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
		{"misspelt field", strings.Replace(pagesConfig, `"paragraphs": ["Verantwortlich ist das`, `"paragraph": ["Verantwortlich ist das`, 1), `Zeile 18: unbekanntes Feld „paragraph“`},
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

// writePagesFile writes content to a new file and returns its path.
func writePagesFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// englishFragments are parts of Go's own error messages that must not
// reach an operator.
var englishFragments = []string{"json:", "invalid character", "unexpected", "no such file", "is a directory", "cannot unmarshal", "unknown field", "flag provided", "looking for"}

// TestPagesFileFaultsRefusedInGerman: a pages file that is not UTF-8,
// holds a control character, dates a statement in the future, is not
// JSON of the right shape or cannot be read is refused before anything is
// saved, with a German message that names the file and the place; none of
// Go's English messages reaches the operator, and nothing is saved.
func TestPagesFileFaultsRefusedInGerman(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	show := func() string {
		t.Helper()
		out, stderr, err := runUserOut(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "musterstadt")
		if err != nil {
			t.Fatalf("tenant pages (show): %v %s", err, stderr)
		}
		return out
	}
	before := show()
	latin1 := strings.Replace(pagesConfig, "Bürgeramt.", "B\xfcrgeramt.", 1) // ü in ISO-8859-1
	for _, tc := range []struct {
		name    string
		content string
		want    []string // all in the error
	}{
		{"invalid UTF-8", latin1, []string{"Zeile 18, Spalte 63 (Byte 790)", "kein gültiges UTF-8 (Byte 0xFC)"}},
		{"lone surrogate escape", strings.Replace(pagesConfig, "Bürgeramt.", `B\ud800rgeramt.`, 1), []string{`Zeile 18, Spalte 63: \ud800 ist eine halbe UTF-16-Ersatzkodierung`}},
		{"control character in a paragraph", strings.Replace(pagesConfig, "Bürgeramt.", `Bürgeramt.\u0007`, 1), []string{"Behörde „Bürgeramt Musterstadt“: datenschutz: paragraphs[0]: Zeichen 34 ist das Steuerzeichen U+0007"}},
		{"control character in a date", strings.Replace(pagesConfig, `"2026-11-30"`, `"2026-11-30\u0000"`, 1), []string{"Mandant: barrierefreiheit: Erklärung zur Barrierefreiheit: prepared.date: Zeichen 11 ist das Steuerzeichen U+0000"}},
		{"control character in an authority's name", strings.Replace(pagesConfig, `"Bürgeramt Musterstadt"`, `"Bürgeramt\u001b[2J"`, 1), []string{`authorities: der Name "Bürgeramt\x1b[2J" enthält an Zeichen 10 ein Steuerzeichen`}},
		{"statement dated in the future", strings.Replace(pagesConfig, `"2026-11-30"`, `"2099-01-01"`, 1), []string{"Datum (prepared.date) 2099-01-01 liegt in der Zukunft"}},
		{"statement reviewed in the future", strings.Replace(pagesConfig, `"2026-11-30"`, `"2026-11-30", "reviewed": "2099-01-01"`, 1), []string{"(prepared.reviewed) 2099-01-01 liegt in der Zukunft"}},
		{"no such day", strings.Replace(pagesConfig, `"2026-11-30"`, `"2026-02-30"`, 1), []string{`(prepared.date) "2026-02-30" ist kein Datum der Form JJJJ-MM-TT`}},
		{"truncated", pagesConfig[:200], []string{"Zeile 5: die Datei endet, bevor das JSON-Objekt geschlossen ist"}},
		{"missing comma", strings.Replace(pagesConfig, `"method": "selbstbewertung"},`, `"method": "selbstbewertung"}`, 1), []string{"Zeile 12, Spalte 7: kein gültiges JSON: unerwartetes Zeichen '\"': nach einem Feld fehlt ein Komma oder die schließende }"}},
		{"wrong type", strings.Replace(pagesConfig, `"response_weeks": 6`, `"response_weeks": "6"`, 1), []string{"Zeile 12: barrierefreiheit.statement.feedback.response_weeks: eine ganze Zahl erwartet, nicht ein Text"}},
		{"unknown field", strings.Replace(pagesConfig, `"impressum": {"url"`, `"impressum": {"foo": 1, "url"`, 1), []string{"Zeile 2: unbekanntes Feld „foo“"}},
		{"empty", "", []string{"die Datei ist leer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writePagesFile(t, "seiten.json", []byte(tc.content))
			_, stderr, err := runUserOut(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "musterstadt", file)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			bare := strings.ReplaceAll(msg, file, "") // "seiten.json: " is no English
			for _, w := range append(tc.want, file+": ") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			for _, en := range englishFragments {
				if strings.Contains(bare, en) || strings.Contains(stderr, en) {
					t.Errorf("error %q (stderr %q) contains Go's English %q", msg, stderr, en)
				}
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "fehlt.json")
	for _, tc := range []struct{ file, want string }{
		{missing, "die Datei " + missing + " gibt es nicht"},
		{t.TempDir(), " ist ein Verzeichnis, keine Datei"},
	} {
		err := runUserCmd(t, nil, "", "tenant", "pages", "--data", dir, "--tenant", "musterstadt", tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: error %v, want %q", tc.file, err, tc.want)
		}
	}
	if after := show(); after != before {
		t.Errorf("a refused file changed the configuration:\n%s\nwant:\n%s", after, before)
	}
}

// TestReadPagesFileDateAgainstCallersClock: the latest date of a statement
// is the caller's today in Europe/Berlin, not the machine's clock or UTC.
func TestReadPagesFileDateAgainstCallersClock(t *testing.T) {
	file := writePagesFile(t, "seiten.json", []byte(strings.Replace(pagesConfig, `"2026-11-30"`, `"2030-06-02"`, 1)))
	// 2030-06-01 22:30 UTC is 2030-06-02 00:30 in Berlin (summer time).
	if _, err := readPagesFile(file, time.Date(2030, 6, 1, 22, 30, 0, 0, time.UTC)); err != nil {
		t.Errorf("dated today in Berlin: %v", err)
	}
	_, err := readPagesFile(file, time.Date(2030, 6, 1, 21, 30, 0, 0, time.UTC))
	if err == nil || !strings.Contains(err.Error(), "2030-06-02 liegt in der Zukunft (heute ist der 2030-06-01)") {
		t.Errorf("dated tomorrow in Berlin: %v", err)
	}
}

// TestUnknownFlagInGerman: an unknown option is reported in German with
// the way to the command's options, for every subcommand through
// parseFlags, without Go's English message on stderr; the flags are still
// listed there.
func TestUnknownFlagInGerman(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tenant", "pages", "--foo"}, "unbekannte Option -foo; antrag tenant pages --help zeigt die Optionen"},
		{[]string{"tenant", "list", "-x"}, "unbekannte Option -x; antrag tenant list --help zeigt die Optionen"},
		{[]string{"tenant", "pages", "--tenant"}, "Option -tenant ohne Wert"},
		{[]string{"tenant", "pages", "--ersetzen=vielleicht"}, `Option -ersetzen: "vielleicht" ist kein Wahrheitswert`},
	} {
		stdout, stderr, err := runCmd(t, nil, tc.args...)
		var ue usageError
		if !errors.As(err, &ue) || ue.msg != tc.want && !strings.HasPrefix(ue.msg, tc.want) {
			t.Errorf("antrag %s: %v, want usage error %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if stdout != "" || !strings.Contains(stderr, "Optionen von antrag tenant") {
			t.Errorf("antrag %s: stdout %q, stderr %q; want the options on stderr", strings.Join(tc.args, " "), stdout, stderr)
		}
		for _, en := range []string{"flag provided", "flag needs", "invalid boolean"} {
			if strings.Contains(stderr, en) {
				t.Errorf("antrag %s: stderr has Go's English %q:\n%s", strings.Join(tc.args, " "), en, stderr)
			}
		}
	}
}

// TestPagesFileLeavingOutAuthorityNeedsErsetzen: a file that does not name
// an authority which has pages of its own would take them away; it is
// refused, naming the authority, unless --ersetzen confirms it, and then
// the summary says whose pages were removed.
func TestPagesFileLeavingOutAuthorityNeedsErsetzen(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	pages := func(args ...string) (string, error) {
		out, _, err := runUserOut(t, nil, "", append([]string{"tenant", "pages", "--data", dir, "--tenant", "musterstadt"}, args...)...)
		return out, err
	}
	if _, err := pages(writePagesFile(t, "alle.json", []byte(pagesConfig))); err != nil {
		t.Fatal(err)
	}
	before, _ := pages()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(pagesConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	delete(cfg, "authorities")
	b, _ := json.Marshal(cfg)
	without := writePagesFile(t, "ohne-behoerden.json", b)

	_, err := pages(without)
	if err == nil || !strings.Contains(err.Error(), "nicht gespeichert: die Behörde „Bürgeramt Musterstadt“ ist in der Datei unter \"authorities\" nicht genannt") || !strings.Contains(err.Error(), "--ersetzen") {
		t.Fatalf("file without the authority: %v", err)
	}
	if after, _ := pages(); after != before {
		t.Errorf("the refused file changed the configuration:\n%s\nwant:\n%s", after, before)
	}

	out, err := pages("--ersetzen", without)
	if err != nil {
		t.Fatalf("--ersetzen: %v", err)
	}
	if !strings.Contains(out, "Eigene Seiten entfernt (--ersetzen): „Bürgeramt Musterstadt“") {
		t.Errorf("summary does not name the authority that lost its pages:\n%s", out)
	}
	if after, _ := pages(); strings.Contains(after, "authorities") {
		t.Errorf("the authority still has pages after --ersetzen:\n%s", after)
	}
	// Nothing is lost any more: the same file saves without --ersetzen.
	if out, err := pages(without); err != nil || strings.Contains(out, "entfernt") {
		t.Errorf("file naming all authorities with pages: %v\n%s", err, out)
	}
}

// FuzzReadPagesFile: any file is either refused with an error or read
// into pages that print as a file which is read back the same; it never
// panics.
func FuzzReadPagesFile(f *testing.F) {
	f.Add([]byte(pagesConfig))
	f.Add([]byte(strings.Replace(pagesConfig, "Bürgeramt.", `B\ud800rgeramt.`, 1)))
	f.Add([]byte(strings.Replace(pagesConfig, "Bürgeramt.", `B\ud83d\ude00rgeramt.`, 1)))
	f.Add([]byte(strings.Replace(pagesConfig, "Bürgeramt.", "B\xfcrgeramt.", 1)))
	f.Add([]byte(pagesConfig[:200]))
	f.Add([]byte("\uFEFF{}"))
	today := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		file := filepath.Join(dir, "seiten.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := readPagesFile(file, today)
		if err != nil {
			return
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, out, 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := readPagesFile(file, today)
		if err != nil {
			t.Fatalf("printed file refused: %v\n%s", err, out)
		}
		if g, w := mustJSON(t, again), mustJSON(t, cfg); g != w {
			t.Fatalf("read back:\n%s\nwant:\n%s", g, w)
		}
	})
}
