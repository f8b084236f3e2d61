package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
)

const (
	sample371       = "../../internal/fim/samples/xdf3/S00000000371_xdf3.xml"
	translated371   = "../../internal/rules/testdata/translated/S00000000371"
	correctionsJSON = `[
  {"rule": "R00000002565", "version": "1.0.0", "note": "Sonstiges ist vorbelegt.",
   "effects": [{"effect": "set", "target": "F00000003391", "value": "999"}]},
  {"rule": "R00000002566", "version": "1.0.0",
   "effects": [{"effect": "require", "target": "F99999999999"}]},
  {"rule": "R77777777777", "version": "1.0.0"}
]`
)

func writeCorrections(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "korrekturen.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type fimRuleJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Origin string `json:"origin"`
	Reason string `json:"reason"`
}

func fimRulesJSON(t *testing.T, env map[string]string, args ...string) (map[string]fimRuleJSON, string) {
	t.Helper()
	out, stderr, err := runCmd(t, env, append([]string{"fim", "rules", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var got []struct {
		Rules []fimRuleJSON `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d files", len(got))
	}
	byID := map[string]fimRuleJSON{}
	for _, r := range got[0].Rules {
		byID[r.ID] = r
	}
	return byID, stderr
}

func TestFimRulesSourcesOrigin(t *testing.T) {
	// Free text only.
	rs, stderr := fimRulesJSON(t, nil, sample371)
	if stderr != "" {
		t.Errorf("stderr: %s", stderr)
	}
	for id, r := range rs {
		if r.Origin != "freitext" {
			t.Errorf("%s: origin %q", id, r.Origin)
		}
	}

	// Translations from the flag, and the same from the environment.
	for _, env := range []map[string]string{nil, {"ANTRAG_TRANSLATED_RULES": translated371}} {
		args := []string{sample371}
		if env == nil {
			args = []string{"--translated-rules", translated371, sample371}
		}
		rs, stderr = fimRulesJSON(t, env, args...)
		if stderr != "" {
			t.Errorf("stderr: %s", stderr)
		}
		for _, id := range []string{"R00000002565", "R00000002566"} {
			if rs[id].Origin != "translation" || rs[id].Status != "compiled" {
				t.Errorf("%s: %+v", id, rs[id])
			}
		}
		if rs["R00000002568"].Origin != "freitext" {
			t.Errorf("R00000002568: %+v", rs["R00000002568"])
		}
	}

	// Corrections win; an invalid one is unsupported and reported, one for
	// a regel of no file is reported.
	rs, stderr = fimRulesJSON(t, nil, "--translated-rules", translated371, "--corrections", writeCorrections(t, correctionsJSON), sample371)
	if r := rs["R00000002565"]; r.Origin != "correction" || r.Status != "compiled" || !strings.Contains(r.Reason, "vorbelegt") {
		t.Errorf("R00000002565: %+v", r)
	}
	if r := rs["R00000002566"]; r.Origin != "correction" || r.Status != "unsupported" || !strings.Contains(r.Reason, "F99999999999") {
		t.Errorf("R00000002566: %+v", r)
	}
	for _, want := range []string{
		sample371 + ": Korrektur 2 (R00000002566@1.0.0): an G00000002193: Die Korrektur ist nicht verwendbar",
		"Korrektur R77777777777@1.0.0: keine der Dateien enthält die Regel",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// The text output names the origin.
	out, _, err := runCmd(t, nil, "fim", "rules", "--translated-rules", translated371, sample371)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "R00000002565 1.0.0  compiled  translation  ") || !strings.Contains(out, "R00000002568 1.0.0  compiled  freitext  ") {
		t.Errorf("text output:\n%s", out)
	}
}

func TestFimSourcesErrors(t *testing.T) {
	for _, args := range [][]string{
		{"fim", "rules", "--translated-rules", "/does/not/exist", sample371},
		{"fim", "inspect", "--corrections", writeCorrections(t, `{"rule": 1}`), sample371},
		{"fim", "example", "--corrections", writeCorrections(t, `[{"rule": "R1", "effekte": []}]`), sample371},
		{"fim", "schema", "--translated-rules", writeCorrections(t, `[]`), sample371},
	} {
		_, _, err := runCmd(t, nil, args...)
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestFimInspectExampleSchemaSources(t *testing.T) {
	corr := writeCorrections(t, correctionsJSON)

	out, stderr, err := runCmd(t, nil, "fim", "inspect", "--json", "--translated-rules", translated371, "--corrections", corr, sample371)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var reps []fim.Report
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || reps[0].RuleStatus == nil || reps[0].RuleStatus.Unsupported != 1 {
		t.Fatalf("%+v", reps)
	}
	var notes []string
	for _, w := range reps[0].Warnings {
		notes = append(notes, w.Message)
	}
	joined := strings.Join(notes, "\n")
	if !strings.Contains(joined, "R00000002566 1.0.0 nicht umgesetzt: Die Korrektur ist nicht verwendbar") ||
		!strings.Contains(joined, "R00000002565 1.0.0 (correction): Korrigiert: Sonstiges ist vorbelegt.") {
		t.Errorf("warnings:\n%s", joined)
	}

	// The example follows the correction's set.
	out, stderr, err = runCmd(t, nil, "fim", "example", "--corrections", corr, sample371)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	g, _ := doc["G00000002193"].(map[string]any)
	if g["F00000003391"] != "999" {
		t.Errorf("example: F00000003391 = %v", g["F00000003391"])
	}
	if !strings.Contains(stderr, "R00000002566") {
		t.Errorf("example stderr: %s", stderr)
	}

	// schema accepts the flags and checks the sources.
	out, stderr, err = runCmd(t, nil, "fim", "schema", "--translated-rules", translated371, "--corrections", corr, sample371)
	if err != nil || !strings.HasPrefix(out, "{") {
		t.Fatalf("%v: %s", err, stderr)
	}
	if !strings.Contains(stderr, "R00000002566") {
		t.Errorf("schema stderr: %s", stderr)
	}
}
