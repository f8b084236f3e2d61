package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
	"github.com/antrag/antrag/internal/rules"
)

const sample = "../../internal/fim/samples/xdf3/S07000000201_xdf3.xml"

func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestFimInspectJSON(t *testing.T) {
	out, stderr, err := runCmd(t, nil, "fim", "inspect", "--json", sample, "../../internal/fim/samples/xdf1/S00000036_WaBeKa_xdf1.xml")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var reps []fim.Report
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[0].ID != "S07000000201" || reps[0].XDFVersion != "3.0.0" || reps[1].XDFVersion != "1" {
		t.Fatalf("reports: %+v", reps)
	}
	if reps[0].File != sample || reps[0].Fields == 0 || reps[0].Groups == 0 || reps[0].Rules != 5 {
		t.Errorf("report: %+v", reps[0])
	}
}

func TestFimInspectText(t *testing.T) {
	out, _, err := runCmd(t, nil, "fim", "inspect", sample)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"S07000000201 1.2.0 (XDatenfelder 3.0.0, stammdatenschema)", "Regeln: 5", "fehlt: urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat_2023-02-24"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestFimInspectFailsNamingFileAndLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "kaputt.xml")
	if err := os.WriteFile(bad, []byte("<a>\n<b>\n</a>"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, nil, "fim", "inspect", sample, bad)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if !strings.Contains(stderr, bad+":3: XML nicht lesbar") {
		t.Errorf("stderr does not name file and line: %q", stderr)
	}
	if !strings.Contains(out, "S07000000201") {
		t.Errorf("the good file is still reported: %q", out)
	}
}

func TestFimInspectStructure(t *testing.T) {
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	// A Datenfeld with a vorbefuellung the XSD does not allow.
	i := strings.Index(string(b), "<code>keine</code></xdf3:vorbefuellung>")
	if i < 0 {
		t.Fatal("sample changed")
	}
	bad := filepath.Join(t.TempDir(), "falsch.xml")
	if err := os.WriteFile(bad, []byte(string(b[:i])+"<code>immer</code></xdf3:vorbefuellung>"+string(b[i+len("<code>keine</code></xdf3:vorbefuellung>"):])), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(string(b[:i]), "\n") + 1
	col := i - strings.LastIndex(string(b[:i]), "\n")
	_, stderr, err := runCmd(t, nil, "fim", "inspect", bad)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if want := fmt.Sprintf("%s:%d:%d: Ungültiger Code „immer“ in „xdf:vorbefuellung“", bad, line, col); !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	out, _, err := runCmd(t, nil, "fim", "inspect", "--lenient", bad)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("Zeile %d, Spalte %d [structure] XSD-Regel „Code“: Ungültiger Code „immer“ in „xdf:vorbefuellung“", line, col); !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

func TestFimSchemaAndExample(t *testing.T) {
	out, _, err := runCmd(t, nil, "fim", "schema", "--uri", "https://example.org/s.json", sample)
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	if js["$id"] != "https://example.org/s.json" || js["type"] != "object" {
		t.Errorf("schema head: %v %v", js["$id"], js["type"])
	}
	out, _, err = runCmd(t, nil, "fim", "example", sample)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := form.DecodeData(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := fim.ImportFile(sample, fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ps := s.Validate(doc); len(ps) > 0 {
		t.Fatalf("printed example is invalid: %v", ps)
	}
	if err := formtest.Validate(t, formtest.JSONSchema(t, s), doc); err != nil {
		t.Fatal(err)
	}
}

func TestCodelistsFromEnvironment(t *testing.T) {
	_, _, err := runCmd(t, map[string]string{"ANTRAG_CODELISTS": "/does/not/exist"}, "fim", "inspect", sample)
	if err == nil || !strings.Contains(err.Error(), "Codelisten-Verzeichnis") {
		t.Fatalf("got %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"nix"}, {"fim"}, {"fim", "nix"}, {"fim", "inspect"}, {"fim", "schema"}, {"fim", "example", "a", "b"}, {"fim", "inspect", "--bogus", "x"}} {
		_, _, err := runCmd(t, nil, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: want usage error, got %v", args, err)
		}
		if code := exitCode(err, &bytes.Buffer{}); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestFimRules(t *testing.T) {
	out, _, err := runCmd(t, nil, "fim", "rules", "--json", "../../internal/fim/samples/xdf3/S00000000371_xdf3.xml")
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Schema  string `json:"schema"`
		Version string `json:"version"`
		Rules   []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Edges  []struct {
				Source, Target, Effect string
			} `json:"edges"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Schema != "S00000000371" || got[0].Version != "1.0.0" || len(got[0].Rules) != 5 {
		t.Fatalf("%+v", got)
	}
	var edges []string
	for _, r := range got[0].Rules {
		if r.ID == "R00000002566" {
			for _, e := range r.Edges {
				edges = append(edges, e.Source+">"+e.Target+":"+e.Effect)
			}
		}
	}
	// "WENN F17000009294 = 001, DANN aktiviere F17000009295 UND mache es zu
	// einer Pflichtangabe UND deaktiviere F17000009296 …"
	for _, want := range []string{"F17000009294>F17000009295:show", "F17000009294>F17000009295:require", "F17000009294>F17000009296:hide"} {
		if !strings.Contains(strings.Join(edges, " "), want) {
			t.Errorf("edge %s missing in %v", want, edges)
		}
	}

	out, _, err = runCmd(t, nil, "fim", "rules", "--summary", "../../internal/fim/samples/xdf3/S05000001162_xdf3.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "26 Regeln: 23 compiled (88.5 %), 0 informational, 3 unsupported") {
		t.Errorf("summary: %s", out)
	}
}

// TestFimExampleSatisfiesTheRules: for every sample, `fim example` prints
// data that passes the schema and the compiled rules (as the server checks
// a submission).
func TestFimExampleSatisfiesTheRules(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "internal", "fim", "samples", "xdf*", "*.xml"))
	if len(files) < 16 {
		t.Fatalf("%d samples", len(files))
	}
	for _, file := range files {
		out, _, err := runCmd(t, nil, "fim", "example", file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		doc, err := form.DecodeData(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := fim.ImportFile(file, fim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ps, _ := rules.Compile(s).Validate(doc, rules.Context{Today: time.Now()}); len(ps) > 0 {
			t.Errorf("%s: the example fails the rules: %v", filepath.Base(file), ps)
		}
		// And the JSON Schema that `fim schema` prints.
		js, _, err := runCmd(t, nil, "fim", "schema", file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var schema map[string]any
		if err := json.Unmarshal([]byte(js), &schema); err != nil {
			t.Fatal(err)
		}
		var data any
		if err := json.Unmarshal([]byte(out), &data); err != nil {
			t.Fatal(err)
		}
		if err := formtest.Validate(t, formtest.Compile(t, s.ID, schema), data); err != nil {
			t.Errorf("%s: the example fails the JSON Schema of fim schema: %v", filepath.Base(file), err)
		}
	}
}

// TestFimExampleNamesContradictoryRules: where rules admit no valid
// example, `fim example` still prints one and names the rules on stderr.
func TestFimExampleNamesContradictoryRules(t *testing.T) {
	// A valid XDatenfelder 3.0.0 document: the lifecycle data the XSD
	// requires of every element.
	const status = `<xdf:freigabestatus listURI="urn:xoev-de:xprozess:codeliste:status" listVersionID="2022-07-12"><code>6</code></xdf:freigabestatus><xdf:letzteAenderung>2026-01-01T00:00:00Z</xdf:letzteAenderung>`
	const art = `<xdf:schemaelementart listURI="urn:xoev-de:fim:codeliste:xdatenfelder.schemaelementart" listVersionID="1.0"><code>HAR</code></xdf:schemaelementart>`
	field := func(id, name string) string {
		return `<xdf:struktur><xdf:anzahl>1:1</xdf:anzahl><xdf:enthaelt><xdf:datenfeld><xdf:identifikation><xdf:id>` + id +
			`</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>` + name + `</xdf:name>` + status +
			`<xdf:bezeichnungEingabe>` + name + `</xdf:bezeichnungEingabe>` + art +
			`<xdf:feldart listURI="urn:xoev-de:fim:codeliste:xdatenfelder.feldart" listVersionID="2.0"><code>input</code></xdf:feldart>` +
			`<xdf:datentyp listURI="urn:xoev-de:fim:codeliste:xdatenfelder.datentyp" listVersionID="2.0"><code>date</code></xdf:datentyp>` +
			`<xdf:vorbefuellung listURI="urn:xoev-de:fim:codeliste:xdatenfelder.vorbefuellung" listVersionID="1.0"><code>keine</code></xdf:vorbefuellung>` +
			`</xdf:datenfeld></xdf:enthaelt></xdf:struktur>`
	}
	regel := func(id, text string) string {
		return `<xdf:regel><xdf:identifikation><xdf:id>` + id + `</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Zeitraum</xdf:name><xdf:freitextRegel>` +
			text + `</xdf:freitextRegel><xdf:letzteAenderung>2026-01-01T00:00:00Z</xdf:letzteAenderung>` +
			`<xdf:typ listURI="urn:xoev-de:fim:codeliste:xdatenfelder.regeltyp" listVersionID="1.0"><code>K</code></xdf:typ></xdf:regel>`
	}
	doc := `<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0">` +
		`<xdf:header><xdf:nachrichtID>test</xdf:nachrichtID><xdf:erstellungszeitpunkt>2026-01-01T00:00:00Z</xdf:erstellungszeitpunkt></xdf:header><xdf:stammdatenschema>
<xdf:identifikation><xdf:id>S1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Test</xdf:name>` + status +
		`<xdf:bezeichnung>Test</xdf:bezeichnung>` +
		`<xdf:ableitungsmodifikationenStruktur listURI="urn:xoev-de:fim:codeliste:xdatenfelder.ableitungsmodifikationenStruktur" listVersionID="1.0"><code>3</code></xdf:ableitungsmodifikationenStruktur>` +
		`<xdf:ableitungsmodifikationenRepraesentation listURI="urn:xoev-de:fim:codeliste:xdatenfelder.ableitungsmodifikationenRepraesentation" listVersionID="1.0"><code>0</code></xdf:ableitungsmodifikationenRepraesentation>` +
		`<xdf:dokumentsteckbrief><xdf:id>D99000000001</xdf:id></xdf:dokumentsteckbrief>` +
		`<xdf:struktur><xdf:anzahl>1:1</xdf:anzahl><xdf:enthaelt><xdf:datenfeldgruppe><xdf:identifikation><xdf:id>G10001</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Zeitraum</xdf:name>` +
		status + `<xdf:bezeichnungEingabe>Zeitraum</xdf:bezeichnungEingabe>` + art +
		regel("R10001", `Das Datum im Feld F10001 "Beginn" muss zeitlich vor dem Datum in Feld F10002 "Ende" liegen.`) +
		regel("R10002", `Das Datum im Feld F10002 "Ende" muss zeitlich vor dem Datum in Feld F10001 "Beginn" liegen.`) +
		field("F10001", "Beginn") + field("F10002", "Ende") +
		`</xdf:datenfeldgruppe></xdf:enthaelt></xdf:struktur></xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>`
	file := filepath.Join(t.TempDir(), "widerspruch.xml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, nil, "fim", "example", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := form.DecodeData(strings.NewReader(out)); err != nil {
		t.Errorf("no example printed: %v\n%s", err, out)
	}
	if !strings.Contains(stderr, "Hinweis: ") || !strings.Contains(stderr, "R10001 1.0.0") || !strings.Contains(stderr, "R10002 1.0.0") {
		t.Errorf("stderr does not name both rules: %q", stderr)
	}
}
