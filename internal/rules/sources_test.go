package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

// sourcesSchema builds a small XDatenfelder 3 schema for the tests of
// translations and corrections:
//
//	S1 1.0.0, carrying R0 (about G10002)
//	  G10001 1.0.0 (1:1), carrying R1 (F10001 → F10002) and R2 (F10003 → F10005)
//	    F10001  select 001 "Ja", 002 "Nein", 999 "Sonstiges" (0:1)
//	    F10002  text (0:1)
//	    F10003  bool (0:1)
//	    F10004  num_int (0:1)
//	    F10005  text (0:1)
//	    F10006  text (0:1)
//	    F10007  select 01, 02 (0:3)
//	    G10002  1.0.0 (0:1) with F10008 text (1:1)
//	  G10003 1.0.0 (0:*), carrying R3 (F10010 → F10011)
//	    F10010  bool (0:1)
//	    F10011, F10012, F10013  text (0:1)
func sourcesSchema(t testing.TB) *form.Schema {
	t.Helper()
	field := func(id, feldart, datentyp, anzahl, extra string) string {
		return `<xdf:struktur><xdf:anzahl>` + anzahl + `</xdf:anzahl><xdf:enthaelt><xdf:datenfeld><xdf:identifikation><xdf:id>` + id +
			`</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Name ` + id + `</xdf:name><xdf:feldart><code>` + feldart +
			`</code></xdf:feldart><xdf:datentyp><code>` + datentyp + `</code></xdf:datentyp>` + extra + `</xdf:datenfeld></xdf:enthaelt></xdf:struktur>`
	}
	group := func(id, anzahl, inner, regeln string) string {
		return `<xdf:struktur><xdf:anzahl>` + anzahl + `</xdf:anzahl><xdf:enthaelt><xdf:datenfeldgruppe><xdf:identifikation><xdf:id>` + id +
			`</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Gruppe ` + id + `</xdf:name>` + regeln + inner +
			`</xdf:datenfeldgruppe></xdf:enthaelt></xdf:struktur>`
	}
	werte := func(pairs ...string) string {
		s := "<xdf:werte>"
		for i := 0; i < len(pairs); i += 2 {
			s += "<xdf:wert><xdf:code>" + pairs[i] + "</xdf:code><xdf:name>" + pairs[i+1] + "</xdf:name></xdf:wert>"
		}
		return s + "</xdf:werte>"
	}
	regel := func(id, text string) string {
		return `<xdf:regel><xdf:identifikation><xdf:id>` + id + `</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Regel ` + id +
			`</xdf:name><xdf:freitextRegel>` + xmlEscape(text) + `</xdf:freitextRegel></xdf:regel>`
	}
	g1 := field("F10001", "select", "text", "0:1", werte("001", "Ja", "002", "Nein", "999", "Sonstiges")) +
		field("F10002", "input", "text", "0:1", "") +
		field("F10003", "input", "bool", "0:1", "") +
		field("F10004", "input", "num_int", "0:1", "") +
		field("F10005", "input", "text", "0:1", "") +
		field("F10006", "input", "text", "0:1", "") +
		field("F10007", "select", "text", "0:3", werte("01", "Eins", "02", "Zwei")) +
		group("G10002", "0:1", field("F10008", "input", "text", "1:1", ""), "")
	g3 := field("F10010", "input", "bool", "0:1", "") +
		field("F10011", "input", "text", "0:1", "") +
		field("F10012", "input", "text", "0:1", "") +
		field("F10013", "input", "text", "0:1", "")
	doc := `<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0"><xdf:stammdatenschema>
<xdf:identifikation><xdf:id>S1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Test</xdf:name>` +
		regel("R0", `WENN F10001 "Name F10001" = 001 "Ja", DANN aktiviere G10002 "Gruppe G10002".`) +
		group("G10001", "1:1", g1,
			regel("R1", `WENN F10001 "Name F10001" = 999 "Sonstiges", DANN aktiviere F10002 "Name F10002" UND mache es zu einer Pflichtangabe.`)+
				regel("R2", `WENN F10003 "Name F10003" = wahr, DANN deaktiviere F10005 "Name F10005".`)) +
		group("G10003", "0:*", g3, regel("R3", `WENN F10010 "Name F10010" = wahr, DANN aktiviere F10011 "Name F10011".`)) +
		`</xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>`
	// The document holds only what the rules read; the XSD requires more.
	s, _, err := fim.Import(strings.NewReader(doc), "sources.xml", fim.Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// syntheticTranslations loads testdata/translated/synthetic.
func syntheticTranslations(t testing.TB) map[string][]Translated {
	t.Helper()
	tr, err := LoadTranslations(filepath.Join("testdata", "translated", "synthetic"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func ruleOf(t testing.TB, p *Program, id string) *Rule {
	t.Helper()
	for _, r := range p.Rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("rule %s not found", id)
	return nil
}

// docOf decodes a JSON data document.
func docOf(t testing.TB, js string) map[string]any {
	t.Helper()
	d, err := form.DecodeData(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// problemPaths lists the paths of the problems of p on doc, with their
// codes: "G10001.F10002:required".
func problemPaths(t testing.TB, p *Program, js string) []string {
	t.Helper()
	ps, _ := p.Validate(docOf(t, js), Context{Today: testToday})
	var out []string
	for _, pr := range ps {
		out = append(out, pr.Path+":"+pr.Code)
	}
	slices.Sort(out)
	return out
}

func TestCompileWithNilIsCompile(t *testing.T) {
	s := sourcesSchema(t)
	a, b := Compile(s), CompileWith(s, nil)
	ja, _ := json.Marshal(a.Rules)
	jb, _ := json.Marshal(b.Rules)
	if string(ja) != string(jb) {
		t.Fatalf("Compile and CompileWith(nil) differ:\n%s\n%s", ja, jb)
	}
	c := CompileWith(s, &Sources{})
	jc, _ := json.Marshal(c.Rules)
	if string(ja) != string(jc) {
		t.Fatalf("Compile and CompileWith(empty) differ:\n%s\n%s", ja, jc)
	}
	for _, r := range a.Rules {
		if r.Origin != FromText {
			t.Errorf("%s: origin %q, want %q", r.ID, r.Origin, FromText)
		}
		if r.Status != Compiled {
			t.Errorf("%s: free text not compiled: %s", r.ID, r.Reason)
		}
	}
}

func TestLoadTranslationsLayouts(t *testing.T) {
	tr := syntheticTranslations(t)
	var keys []string
	for k := range tr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// G10001_1.0.0.json, G10003/1.0.0.json and an object keyed "S1/1.0.0";
	// README.md is skipped.
	if want := []string{"G10001@1.0.0", "G10003@1.0.0", "S1@1.0.0"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if len(tr["G10001@1.0.0"]) != 5 || len(tr["G10003@1.0.0"]) != 2 || len(tr["S1@1.0.0"]) != 1 {
		t.Fatalf("entries: %d %d %d", len(tr["G10001@1.0.0"]), len(tr["G10003@1.0.0"]), len(tr["S1@1.0.0"]))
	}
	// A single file.
	one, err := LoadTranslations(filepath.Join("testdata", "translated", "synthetic", "G10003", "1.0.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || len(one["G10003@1.0.0"]) != 2 {
		t.Fatalf("single file: %v", one)
	}
	if got := tr["G10001@1.0.0"][1]; got.Effect != "forbid" || got.Target != "self.F10005" || !strings.Contains(got.Message, "bejaht") {
		t.Fatalf("entry: %+v", got)
	}
}

func TestLoadTranslationsErrors(t *testing.T) {
	write := func(t *testing.T, dir, name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	entry := `[{"effect": "require", "target": "self.F1"}]`
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"name without element", map[string]string{"rules.json": entry}, "Dateiname nennt das Element nicht"},
		{"twice", map[string]string{"G1_1.0.json": entry, "G1/1.0.json": entry}, "G1@1.0 steht in"},
		{"twice in object", map[string]string{"all.json": `{"G1@1.0": ` + entry + `, "G1/1.0": ` + entry + `}`}, "doppelt"},
		{"bad key", map[string]string{"all.json": `{"G1": ` + entry + `}`}, "hat nicht die Form <id>@<version>"},
		{"not json", map[string]string{"G1_1.0.json": `[{"effect": "require",`}, "keine Liste übersetzter Regeln"},
		{"object entry is not a list", map[string]string{"all.json": `{"G1@1.0": {"effect": "require"}}`}, "keine Liste"},
		{"missing target", map[string]string{"G1_1.0.json": `[{"effect": "require"}]`}, "„target“ fehlt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			_, err := LoadTranslations(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := LoadTranslations(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "nicht lesbar") {
		t.Fatalf("missing path: %v", err)
	}
	// Hidden files and files not ending in .json are skipped.
	dir := t.TempDir()
	write(t, dir, ".cache/G9_1.json", "kaputt")
	write(t, dir, "notes.txt", "kaputt")
	write(t, dir, "G1_1.0.json", entry)
	got, err := LoadTranslations(dir)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
}

func TestParseTranslatedMalformed(t *testing.T) {
	for _, in := range []string{
		``, `null`, `{}`, `"x"`, `[1]`, `[{"effect": 1, "target": "self.F1"}]`, `[{"effect": "require", "target": ""}]`,
		`[{"effect": "", "target": "self.F1"}]`, `[] []`, `[{"effect": "require", "target": "self.F1", "condition": {]`,
	} {
		if _, err := ParseTranslated([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	got, err := ParseTranslated([]byte(`[{"effect": "require", "target": "self.F1", "condition": null, "id": 7}]`))
	if err != nil || len(got) != 1 || got[0].Condition != nil {
		t.Fatalf("%+v %v", got, err)
	}
	if got, err := ParseTranslated([]byte(`[]`)); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty list: %v %v", got, err)
	}
}

// TestTranslatedFixture uses a translation of S00000000371's
// G00000002193, written after its free-text regeln.
func TestTranslatedFixture(t *testing.T) {
	s := importSample(t, "xdf3/S00000000371_xdf3.xml")
	tr, err := LoadTranslations(filepath.Join("testdata", "translated", "S00000000371"))
	if err != nil {
		t.Fatal(err)
	}
	src := &Sources{Translations: tr}
	if err := src.Check(s); err != nil {
		t.Fatalf("Check: %v", err)
	}
	p := CompileWith(s, src)
	for _, r := range p.Rules {
		want := FromText
		if r.Scope == "G00000002193" {
			want = FromTranslation
		}
		if r.Origin != want {
			t.Errorf("%s at %s: origin %s, want %s", r.ID, r.Scope, r.Origin, want)
		}
	}
	// The effects go to the regel whose text names their elements.
	edges := func(r *Rule) []string {
		var out []string
		for _, e := range r.Edges() {
			out = append(out, e.Source+">"+e.Target+":"+string(e.Effect))
		}
		slices.Sort(out)
		return out
	}
	r65, r66 := ruleOf(t, p, "R00000002565"), ruleOf(t, p, "R00000002566")
	if r65.Status != Compiled || r66.Status != Compiled {
		t.Fatalf("status %s %s", r65.Status, r66.Status)
	}
	if got, want := edges(r65), []string{"F00000003391>F17000009298:hide", "F00000003391>F17000009298:require"}; !slices.Equal(got, want) {
		t.Errorf("R00000002565 edges %v, want %v", got, want)
	}
	if got := edges(r66); len(got) != 4 || !slices.Contains(got, "F17000009294>F17000009296:require") {
		t.Errorf("R00000002566 edges %v", got)
	}

	const g = "G00000002193"
	ctx := Context{Today: testToday}
	eval := func(vals map[string]any) (*State, map[string]any) {
		doc := docOf(t, `{}`)
		grp := map[string]any{}
		for k, v := range vals {
			grp[k] = v
		}
		doc[g] = grp
		return p.Evaluate(doc, ctx)
	}
	path := func(id string) form.Path { return form.Path{{Key: g}, {Key: id}} }

	// Condition holds: 999 makes the description required.
	st, _ := eval(map[string]any{"F00000003391": "999"})
	if !st.Required(path("F17000009298")) || st.Hidden(path("F17000009298")) {
		t.Errorf("999: F17000009298 required %v hidden %v", st.Required(path("F17000009298")), st.Hidden(path("F17000009298")))
	}
	// Condition does not hold: another code forbids it; its value is removed.
	st, clean := eval(map[string]any{"F00000003391": "001", "F17000009298": "Freitext"})
	if st.Required(path("F17000009298")) || !st.Hidden(path("F17000009298")) {
		t.Errorf("001: F17000009298 required %v hidden %v", st.Required(path("F17000009298")), st.Hidden(path("F17000009298")))
	}
	if _, ok := clean[g].(map[string]any)["F17000009298"]; ok {
		t.Error("001: the forbidden value stayed in the data")
	}
	// Schwanger: the expected date required, the actual one forbidden.
	st, _ = eval(map[string]any{"F17000009294": "001"})
	if !st.Required(path("F17000009295")) || !st.Hidden(path("F17000009296")) || st.Hidden(path("F17000009295")) {
		t.Errorf("001: %v", st.HiddenPaths())
	}
	// Stillend: the other way round.
	st, _ = eval(map[string]any{"F17000009294": "002"})
	if !st.Required(path("F17000009296")) || !st.Hidden(path("F17000009295")) || st.Required(path("F17000009295")) {
		t.Errorf("002: %v", st.HiddenPaths())
	}
}

// TestTranslatedEffectsAndOperators runs the synthetic translations (every
// effect and operator) on data where each condition holds and where it
// does not.
func TestTranslatedEffectsAndOperators(t *testing.T) {
	s := sourcesSchema(t)
	src := &Sources{Translations: syntheticTranslations(t)}
	if err := src.Check(s); err != nil {
		t.Fatalf("Check: %v", err)
	}
	p := CompileWith(s, src)
	for _, r := range p.Rules {
		if r.Origin != FromTranslation || r.Status != Compiled {
			t.Fatalf("%s: %s %s %s", r.ID, r.Origin, r.Status, r.Reason)
		}
	}
	// Attachment: R1 names F10001 and F10002 and takes the require of
	// F10002 and the entries that name no regel's element; R2 names F10003
	// and F10005 and takes the forbid of F10005 and the require whose
	// condition reads F10003.
	targets := func(r *Rule) []string {
		var out []string
		for _, e := range r.Effects {
			out = append(out, string(e.Kind)+" "+e.Target)
		}
		return out
	}
	if got, want := targets(ruleOf(t, p, "R1")), []string{"require G10001/F10002", "validate G10001/F10004", "validate G10001/F10006"}; !slices.Equal(got, want) {
		t.Errorf("R1: %v, want %v", got, want)
	}
	if got, want := targets(ruleOf(t, p, "R2")), []string{"hide G10001/F10005", "require G10001/F10006"}; !slices.Equal(got, want) {
		t.Errorf("R2: %v, want %v", got, want)
	}

	// base satisfies every rule: exactly one of F10006 and F10008.
	const base = `"F10006": "x"`
	tests := []struct {
		name string
		g1   string // members of G10001 besides base
		want []string
	}{
		{"nothing holds", ``, nil},
		{"equal: 999 requires F10002", `"F10001": "999"`, []string{"G10001.F10002:required"}},
		{"equal: 001 does not", `"F10001": "001"`, nil},
		{"equal: 999 with F10002 filled", `"F10001": "999", "F10002": "y"`, nil},
		{"valid with or/not/is_empty: 0 fails", `"F10004": 0`, []string{"G10001.F10004:rule"}},
		{"valid: 3 passes", `"F10004": 3`, nil},
		{"valid: xor, both filled", `"F10001": "001", "G10002": {"F10008": "z"}`, []string{"G10001.F10006:rule"}},
		{"and: true and 02 require F10006", `"F10003": true, "F10007": ["01", "02"]`, nil},
		{"and: false does not", `"F10003": false, "F10007": ["02"]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g1 := base
			if tt.g1 != "" {
				g1 += ", " + tt.g1
			}
			got := problemPaths(t, p, `{"G10001": {`+g1+`}}`)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems %v, want %v", got, tt.want)
			}
		})
	}
	// xor: neither of F10006 and F10008 filled.
	if got := problemPaths(t, p, `{"G10001": {}}`); !slices.Equal(got, []string{"G10001.F10006:rule"}) {
		t.Errorf("xor, none filled: %v", got)
	}
	// and: both hold, so F10006 is required; without it the xor fails too.
	if got := problemPaths(t, p, `{"G10001": {"F10003": true, "F10007": ["02"], "G10002": {"F10008": "z"}}}`); !slices.Contains(got, "G10001.F10006:required") {
		t.Errorf("and holds: %v", got)
	}

	// Bare identifier: F10003 true forbids F10005 (hidden, value removed);
	// false leaves it.
	path := form.Path{{Key: "G10001"}, {Key: "F10005"}}
	st, clean := p.Evaluate(docOf(t, `{"G10001": {`+base+`, "F10003": true, "F10005": "weg"}}`), Context{Today: testToday})
	if !st.Hidden(path) {
		t.Error("F10003 true: F10005 not hidden")
	}
	if _, ok := clean["G10001"].(map[string]any)["F10005"]; ok {
		t.Error("F10003 true: F10005's value kept")
	}
	st, _ = p.Evaluate(docOf(t, `{"G10001": {`+base+`, "F10003": false, "F10005": "da"}}`), Context{Today: testToday})
	if st.Hidden(path) {
		t.Error("F10003 false: F10005 hidden")
	}

	// The schema's own translation ("S1/1.0.0"): paths below self.
	g2 := form.Path{{Key: "G10001"}, {Key: "G10002"}}
	st, _ = p.Evaluate(docOf(t, `{"G10001": {"F10001": "002", "G10002": {"F10008": "z"}}}`), Context{Today: testToday})
	if !st.Hidden(g2) {
		t.Error("F10001 002: G10002 not hidden")
	}
	st, _ = p.Evaluate(docOf(t, `{"G10001": {"F10001": "001", "G10002": {"F10008": "z"}}}`), Context{Today: testToday})
	if st.Hidden(g2) {
		t.Error("F10001 001: G10002 hidden")
	}

	// The repeated group G10003: each entry on its own.
	got := problemPaths(t, p, `{"G10001": {`+base+`}, "G10003": [
		{"F10010": true, "F10012": "a"},
		{"F10010": false, "F10011": "b"},
		{"F10011": "c", "F10012": "d"},
		{"F10013": "e"}]}`)
	want := []string{"G10003[0].F10011:required", "G10003[2].F10012:rule"}
	if !slices.Equal(got, want) {
		t.Errorf("G10003: %v, want %v", got, want)
	}
}

func TestTranslatedConditions(t *testing.T) {
	s := sourcesSchema(t)
	// Each condition forbids F10002; data are G10001's members.
	tests := []struct {
		cond        string
		holds, not_ []string
	}{
		{`{"equal": [{"identifier": "self.F10001"}, "002"]}`, []string{`"F10001": "002"`}, []string{`"F10001": "001"`, ``}},
		{`{"equal": [{"identifier": "self.F10004"}, "12"]}`, []string{`"F10004": 12`}, []string{`"F10004": 13`, ``}},
		{`{"equal": [{"identifier": "self.F10004"}, 12]}`, []string{`"F10004": 12`}, []string{`"F10004": 1`}},
		{`{"equal": [{"identifier": "self.F10003"}, false]}`, []string{`"F10003": false`}, []string{`"F10003": true`, ``}},
		{`{"equal": [{"identifier": "self.F10003"}, "true"]}`, []string{`"F10003": true`}, []string{`"F10003": false`}},
		{`{"equal": [{"identifier": "self.F10005"}, {"identifier": "self.F10006"}]}`, []string{`"F10005": "a", "F10006": "a"`}, []string{`"F10005": "a", "F10006": "b"`}},
		{`{"equal": [{"identifier": "self.F10007"}, "01"]}`, []string{`"F10007": ["02", "01"]`}, []string{`"F10007": ["02"]`, ``}},
		{`{"not": [{"identifier": "self.F10003"}]}`, []string{`"F10003": false`, ``}, []string{`"F10003": true`}},
		{`{"is_empty": [{"identifier": "self.F10005"}]}`, []string{``, `"F10005": ""`}, []string{`"F10005": "a"`}},
		{`{"is_empty": {"identifier": "self.G10002"}}`, []string{``, `"F10001": "002", "G10002": {"F10008": "a"}`}, []string{`"F10001": "001", "G10002": {"F10008": "a"}`}},
		{`{"and": [{"identifier": "self.F10003"}, {"is_empty": {"identifier": "self.F10005"}}]}`, []string{`"F10003": true`}, []string{`"F10003": true, "F10005": "a"`, `"F10003": false`}},
		{`{"or": [{"identifier": "self.F10003"}, {"equal": [{"identifier": "self.F10001"}, "999"]}]}`, []string{`"F10003": true`, `"F10001": "999"`}, []string{`"F10001": "001"`, ``}},
		{`{"xor": [{"identifier": "self.F10003"}, {"equal": [{"identifier": "self.F10001"}, "999"]}]}`, []string{`"F10003": true`, `"F10001": "999"`}, []string{`"F10003": true, "F10001": "999"`, ``}},
		{`{"xor": [{"identifier": "self.F10003"}, {"is_empty": {"identifier": "self.F10005"}}, {"equal": [{"identifier": "self.F10001"}, "999"]}]}`,
			[]string{`"F10005": "a", "F10001": "999"`, `"F10003": true, "F10005": "a"`}, []string{`"F10003": true`, `"F10005": "a"`, `"F10003": true, "F10001": "999"`}},
		{`{"equal": [{"equal": [{"identifier": "self.F10001"}, "999"]}, false]}`, []string{`"F10001": "001"`, ``}, []string{`"F10001": "999"`}},
		{`{"equal": [{"identifier": "F10001"}, "002"]}`, []string{`"F10001": "002"`}, []string{`"F10001": "001"`}},
	}
	path := form.Path{{Key: "G10001"}, {Key: "F10002"}}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			src := &Sources{Translations: map[string][]Translated{"G10001@1.0.0": {{Effect: "forbid", Target: "self.F10002", Condition: json.RawMessage(tt.cond)}}}}
			if err := src.Check(s); err != nil {
				t.Fatalf("Check: %v", err)
			}
			p := CompileWith(s, src)
			if r := ruleOf(t, p, "R1"); r.Origin != FromTranslation || r.Status != Compiled {
				t.Fatalf("R1: %s %s %s", r.Origin, r.Status, r.Reason)
			}
			for _, g1 := range tt.holds {
				st, _ := p.Evaluate(docOf(t, `{"G10001": {`+g1+`}}`), Context{Today: testToday})
				if !st.Hidden(path) {
					t.Errorf("{%s}: condition should hold", g1)
				}
			}
			for _, g1 := range tt.not_ {
				st, _ := p.Evaluate(docOf(t, `{"G10001": {`+g1+`}}`), Context{Today: testToday})
				if st.Hidden(path) {
					t.Errorf("{%s}: condition should not hold", g1)
				}
			}
		})
	}
}

// TestTranslatedFallback: a translation that cannot be used leaves its
// element's regeln to the free text, with the reason; Check reports it.
func TestTranslatedFallback(t *testing.T) {
	s := sourcesSchema(t)
	tests := []struct {
		name  string
		entry string
		want  string
	}{
		{"unknown operator", `{"effect": "require", "target": "self.F10002", "condition": {"greater": [{"identifier": "self.F10004"}, "1"]}}`, "unbekannter Operator „greater“"},
		{"unknown effect", `{"effect": "hide", "target": "self.F10002"}`, "unbekannte Wirkung „hide“"},
		{"unknown element", `{"effect": "require", "target": "self.F99999"}`, "F99999 kommt im Schema nicht vor"},
		{"code not in list", `{"effect": "require", "target": "self.F10002", "condition": {"equal": [{"identifier": "self.F10001"}, "123"]}}`, "kein Code der Codeliste von F10001"},
		{"not a truth value", `{"effect": "require", "target": "self.F10002", "condition": {"equal": [{"identifier": "self.F10003"}, "ja bitte"]}}`, "kein Wahrheitswert"},
		{"not a number", `{"effect": "require", "target": "self.F10002", "condition": {"equal": [{"identifier": "self.F10004"}, "viele"]}}`, "keine Zahl"},
		{"bare identifier of a text field", `{"effect": "require", "target": "self.F10002", "condition": {"identifier": "self.F10005"}}`, "Ja/Nein-Feld"},
		{"valid without condition", `{"effect": "valid", "target": "self.F10002"}`, "ohne Bedingung"},
		{"equal with three operands", `{"effect": "require", "target": "self.F10002", "condition": {"equal": [{"identifier": "self.F10005"}, "a", "b"]}}`, "zwei Operanden"},
		{"condition not an object", `{"effect": "require", "target": "self.F10002", "condition": "F10001 = 999"}`, "keine Bedingung"},
		{"not an identifier", `{"effect": "require", "target": "self.F10002 und F10005"}`, "kein Bezeichner"},
		{"contradiction", `{"effect": "require", "target": "self.F10002", "condition": {"identifier": "self.F10003"}}, {"effect": "forbid", "target": "self.F10002", "condition": {"identifier": "self.F10003"}}`, "widersprüchlich"},
		{"repeated outside scope", `{"effect": "require", "target": "self.F10002", "condition": {"identifier": "G10003.F10010"}}`, "mehrfach vorkommenden Element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := ParseTranslated([]byte(`[{"effect": "require", "target": "self.F10005"}, ` + tt.entry + `]`))
			if err != nil {
				t.Fatal(err)
			}
			src := &Sources{Translations: map[string][]Translated{"G10001@1.0.0": list}}
			p := CompileWith(s, src)
			for _, id := range []string{"R1", "R2"} {
				r := ruleOf(t, p, id)
				if r.Origin != FromText || r.Status != Compiled {
					t.Errorf("%s: %s %s, want the free text", id, r.Origin, r.Status)
				}
				if !strings.Contains(r.Reason, tt.want) || !strings.Contains(r.Reason, "G10001@1.0.0") {
					t.Errorf("%s: reason %q, want %q", id, r.Reason, tt.want)
				}
			}
			// The free text's behaviour, not the translation's.
			if got := problemPaths(t, p, `{"G10001": {"F10001": "999"}}`); !slices.Equal(got, []string{"G10001.F10002:required"}) {
				t.Errorf("free text R1: %v", got)
			}
			err = src.Check(s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check: %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSourcesPrecedence: a correction wins over the translation, which
// wins over the free text.
func TestSourcesPrecedence(t *testing.T) {
	s := sourcesSchema(t)
	tr := syntheticTranslations(t)
	cor := Correction{Rule: "R1", Version: "1.0.0", Note: "Sonstiges verlangt F10005, nicht F10002.",
		Effects: []Effect{{Kind: Require, Target: "F10005", When: map[string]any{"==": []any{map[string]any{"var": "F10001"}, "999"}}}}}
	src := &Sources{Translations: tr, Corrections: []Correction{cor}}
	if err := src.Check(s); err != nil {
		t.Fatalf("Check: %v", err)
	}
	p := CompileWith(s, src)
	want := map[string]Origin{"R0": FromTranslation, "R1": FromCorrection, "R2": FromTranslation, "R3": FromTranslation}
	for id, o := range want {
		if r := ruleOf(t, p, id); r.Origin != o || r.Status != Compiled {
			t.Errorf("%s: %s %s %s, want %s", id, r.Origin, r.Status, r.Reason, o)
		}
	}
	if r := ruleOf(t, p, "R1"); !strings.Contains(r.Reason, cor.Note) {
		t.Errorf("R1 reason %q", r.Reason)
	}
	// The correction's effect, not the translation's (require F10002) nor
	// the free text's (show and require F10002).
	if got := problemPaths(t, p, `{"G10001": {"F10001": "999", "F10006": "x"}}`); !slices.Equal(got, []string{"G10001.F10005:required"}) {
		t.Errorf("999: %v", got)
	}

	// Without the translation, the correction still wins over the free
	// text, and the other regeln are free text.
	p = CompileWith(s, &Sources{Corrections: []Correction{cor}})
	if r := ruleOf(t, p, "R1"); r.Origin != FromCorrection {
		t.Errorf("R1 %s", r.Origin)
	}
	if r := ruleOf(t, p, "R2"); r.Origin != FromText {
		t.Errorf("R2 %s", r.Origin)
	}
	// A translation of another version of the element does not apply.
	p = CompileWith(s, &Sources{Translations: map[string][]Translated{"G10001@2.0.0": tr["G10001@1.0.0"]}})
	if r := ruleOf(t, p, "R1"); r.Origin != FromText {
		t.Errorf("other version: R1 %s", r.Origin)
	}
}

func TestCorrectionEffects(t *testing.T) {
	s := sourcesSchema(t)
	// Relative and absolute paths, a validate, and a translated effect.
	cor := Correction{Rule: "R3", Version: "1.0.0",
		Effects: []Effect{
			{Kind: Validate, Target: "F10011", When: map[string]any{"filled": []any{map[string]any{"var": "F10011"}}},
				Check: map[string]any{"!=": []any{map[string]any{"var": "F10011"}, "verboten"}}, Message: "Dieser Wert ist nicht erlaubt."},
			{Kind: Hide, Target: "G10003/F10013", When: map[string]any{"==": []any{map[string]any{"var": "G10001/F10001"}, "002"}}},
		},
		Translated: []Translated{{Effect: "require", Target: "self.F10012", Condition: json.RawMessage(`{"identifier": "self.F10010"}`)}},
	}
	src := &Sources{Corrections: []Correction{cor}}
	if err := src.Check(s); err != nil {
		t.Fatalf("Check: %v", err)
	}
	p := CompileWith(s, src)
	r := ruleOf(t, p, "R3")
	if r.Origin != FromCorrection || r.Status != Compiled {
		t.Fatalf("R3: %s %s %s", r.Origin, r.Status, r.Reason)
	}
	got := problemPaths(t, p, `{"G10001": {"F10001": "001", "F10006": "x"}, "G10003": [{"F10011": "verboten"}, {"F10011": "gut", "F10010": true}, {"F10011": "gut"}]}`)
	if want := []string{"G10003[0].F10011:rule", "G10003[1].F10012:required"}; !slices.Equal(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}
	st, _ := p.Evaluate(docOf(t, `{"G10001": {"F10001": "002"}, "G10003": [{"F10013": "a"}]}`), Context{Today: testToday})
	if !st.Hidden(form.Path{{Key: "G10003"}, {Index: 0}, {Key: "F10013"}}) {
		t.Errorf("002: F10013 not hidden: %v", st.HiddenPaths())
	}

	// A correction without effects: no behaviour.
	p = CompileWith(s, &Sources{Corrections: []Correction{{Rule: "R3", Version: "1.0.0", Note: "Nur ein Hinweis."}}})
	if r := ruleOf(t, p, "R3"); r.Origin != FromCorrection || r.Status != Informational || !strings.Contains(r.Reason, "Nur ein Hinweis.") {
		t.Errorf("R3: %s %s %q", r.Origin, r.Status, r.Reason)
	}
	// A set, checked against the target's list.
	set := Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Set, Target: "F10001", Value: "999"}}}
	if err := (&Sources{Corrections: []Correction{set}}).Check(s); err != nil {
		t.Fatal(err)
	}
	_, clean := CompileWith(s, &Sources{Corrections: []Correction{set}}).Evaluate(docOf(t, `{"G10001": {"F10001": "001"}}`), Context{Today: testToday})
	if got := clean["G10001"].(map[string]any)["F10001"]; got != "999" {
		t.Errorf("set: %v", got)
	}
}

// TestCorrectionInvalid: an invalid correction makes its regel
// unsupported with the reason, and Check names the problem.
func TestCorrectionInvalid(t *testing.T) {
	s := sourcesSchema(t)
	v := func(p string) map[string]any { return map[string]any{"var": p} }
	tests := []struct {
		name string
		cor  Correction
		want string
	}{
		{"unknown kind", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: "disable", Target: "F10002"}}}, "unbekannte Wirkung „disable“"},
		{"unknown target", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F99999"}}}, "„F99999“ ist kein Pfad im Schema"},
		{"unknown variable", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"filled": []any{v("G10001/F99999")}}}}}, "„G10001/F99999“ ist kein Pfad"},
		{"unknown operator", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"regex_match": []any{v("F10002"), "a"}}}}}, "unbekannter JSON-Logic-Operator „regex_match“"},
		{"code not in list", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"==": []any{v("F10001"), "998"}}}}}, "kein Code der Codeliste von F10001"},
		{"number for a bool field", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"==": []any{v("F10003"), 1.0}}}}}, "kein Wahrheitswert"},
		{"text for a number field", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{">": []any{v("F10004"), "5"}}}}}, "keine Zahl"},
		{"in with a wrong code", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"in": []any{v("F10001"), []any{"001", "x"}}}}}}, "kein Code"},
		{"comparison with one argument", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"==": []any{v("F10001")}}}}}, "verlangt 2 Argumente, nicht 1"},
		{"comparison with null", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"==": nil}}}}, "verlangt 2 Argumente, nicht 0"},
		{"validate without check", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Validate, Target: "F10002"}}}, "ohne „check“"},
		{"set with a wrong value", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Set, Target: "F10003", Value: "ja"}}}, "kein Wahrheitswert"},
		{"two operators in one object", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002", When: map[string]any{"filled": []any{v("F10002")}, "!": []any{true}}}}}, "genau einem Operator"},
		{"bad translated effect", Correction{Rule: "R1", Version: "1.0.0", Translated: []Translated{{Effect: "require", Target: "self.F10002", Condition: json.RawMessage(`{"greater": []}`)}}}, "unbekannter Operator"},
		{"contradiction", Correction{Rule: "R1", Version: "1.0.0", Effects: []Effect{{Kind: Require, Target: "F10002"}, {Kind: Hide, Target: "F10002"}}}, "widersprüchlich"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &Sources{Corrections: []Correction{tt.cor}}
			p := CompileWith(s, src)
			r := ruleOf(t, p, tt.cor.Rule)
			if r.Origin != FromCorrection || r.Status != Unsupported || !strings.Contains(r.Reason, tt.want) {
				t.Errorf("%s: %s %s %q, want unsupported with %q", r.ID, r.Origin, r.Status, r.Reason, tt.want)
			}
			if len(r.Effects) != 0 {
				t.Errorf("effects kept: %+v", r.Effects)
			}
			err := src.Check(s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check: %v, want %q", err, tt.want)
			}
		})
	}
	// Two corrections of one regel.
	two := &Sources{Corrections: []Correction{{Rule: "R2", Version: "1.0.0"}, {Rule: "R2", Version: "1.0.0"}}}
	if r := ruleOf(t, CompileWith(s, two), "R2"); r.Status != Unsupported || !strings.Contains(r.Reason, "2 Korrekturen") {
		t.Errorf("two corrections: %s %q", r.Status, r.Reason)
	}
	if err := two.Check(s); err == nil || !strings.Contains(err.Error(), "2 Korrekturen") {
		t.Errorf("Check two: %v", err)
	}
}

func TestSourcesCheck(t *testing.T) {
	s := sourcesSchema(t)
	if err := (*Sources)(nil).Check(s); err != nil {
		t.Fatal(err)
	}
	entry := []Translated{{Effect: "require", Target: "self.F10002"}}
	src := &Sources{
		Translations: map[string][]Translated{
			"G10001@1.0.0": entry,                                               // fine
			"G10002@1.0.0": entry,                                               // carries no regel
			"G10001@9.9.9": entry,                                               // other version
			"G77777@1.0.0": entry,                                               // not in the schema
			"G10001":       entry,                                               // no version
			"G10003/1.0.0": {{Effect: "valid", Target: "self.F10011"}},          // invalid
			"F10002@1.0.0": {{Effect: "require", Target: "self", Message: "x"}}, // carries no regel
		},
		Corrections: []Correction{
			{Rule: "R1", Version: "1.0.0"},
			{Rule: "R1", Version: "2.0.0"},
			{Rule: "R42", Version: "1.0.0"},
			{Rule: "", Version: "1.0.0"},
		},
	}
	err := src.Check(s)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"G10002@1.0.0: G10002 trägt keine Regel",
		"G10001@9.9.9: G10001 kommt im Schema nur in Version 1.0.0 vor",
		"G77777@1.0.0: G77777 kommt im Schema nicht vor",
		"„G10001“: der Schlüssel hat nicht die Form",
		"G10003@1.0.0 (an G10003): Eintrag 1 (valid self.F10011): „valid“ ohne Bedingung",
		"F10002@1.0.0: F10002 trägt keine Regel",
		"Korrektur 2 (R1@2.0.0): das Schema enthält die Regel R1 nur in Version 1.0.0",
		"Korrektur 3 (R42@1.0.0): das Schema enthält keine Regel R42",
		"Korrektur 4 (@1.0.0): die Regel-ID („rule“) fehlt",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Korrektur 1") || strings.Contains(msg, "„G10001@1.0.0“") {
		t.Errorf("reports a fine entry:\n%s", msg)
	}
	var n int
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		n = len(j.Unwrap())
	}
	if n != 9 {
		t.Errorf("%d problems, want 9:\n%s", n, msg)
	}
	if !errors.Is(err, err) {
		t.Fatal("unreachable")
	}
}

func TestSourcesForSchema(t *testing.T) {
	s := sourcesSchema(t)
	entry := []Translated{{Effect: "require", Target: "self.F10002"}}
	src := &Sources{
		Translations: map[string][]Translated{"G10001@1.0.0": entry, "G10001@2.0.0": entry, "G77777@1.0.0": entry, "S1@1.0.0": entry},
		Corrections:  []Correction{{Rule: "R1", Version: "9"}, {Rule: "R42", Version: "1.0.0"}},
	}
	got := src.ForSchema(s)
	var keys []string
	for k := range got.Translations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"G10001@1.0.0", "G10001@2.0.0", "S1@1.0.0"}; !slices.Equal(keys, want) {
		t.Errorf("translations %v, want %v", keys, want)
	}
	if len(got.Corrections) != 1 || got.Corrections[0].Rule != "R1" {
		t.Errorf("corrections %+v", got.Corrections)
	}
}

func TestLoadCorrections(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, fmt.Sprintf("c%d.json", len(content)))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write(`[{"rule": "R1", "version": "1.0.0", "note": "n",
		"effects": [{"effect": "require", "target": "F10005", "when": {"==": [{"var": "F10001"}, "999"]}}],
		"translated": [{"effect": "forbid", "target": "self.F10006", "condition": {"identifier": "self.F10003"}}]}]`)
	cs, err := LoadCorrections(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || len(cs[0].Effects) != 1 || len(cs[0].Translated) != 1 || cs[0].Effects[0].Kind != Require {
		t.Fatalf("%+v", cs)
	}
	s := sourcesSchema(t)
	src := &Sources{Corrections: cs}
	if err := src.Check(s); err != nil {
		t.Fatal(err)
	}
	if r := ruleOf(t, CompileWith(s, src), "R1"); r.Status != Compiled || r.Origin != FromCorrection {
		t.Fatalf("%s %s %s", r.Origin, r.Status, r.Reason)
	}
	for _, bad := range []string{`{}`, `[{"rule": "R1", "efects": []}]`, `[{"version": "1"}]`, `[`, `[] x`} {
		if _, err := LoadCorrections(write(bad)); err == nil || !strings.Contains(err.Error(), "Korrekturen") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// FuzzParseTranslated reads arbitrary bytes as a FIM portal answer and,
// where they parse, compiles them for every carrier of the synthetic
// schema and checks them: nothing may panic, and a translation is either
// used or the regeln fall back to the free text with a reason.
func FuzzParseTranslated(f *testing.F) {
	for _, p := range []string{
		"testdata/translated/synthetic/G10001_1.0.0.json",
		"testdata/translated/synthetic/G10003/1.0.0.json",
		"testdata/translated/S00000000371/G00000002193_1.0.0.json",
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"effect": "valid", "target": "self", "condition": {"xor": [{"not": {"identifier": "self.F10003"}}]}}]`))
	f.Add([]byte(`[{"effect": "forbid", "target": "self.G10002.F10008", "condition": {"equal": [{"equal": [1, 2]}, {"is_empty": []}]}}]`))
	s := sourcesSchema(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := ParseTranslated(b)
		if err != nil {
			return
		}
		for _, key := range []string{"S1@1.0.0", "G10001@1.0.0", "G10003@1.0.0"} {
			src := &Sources{Translations: map[string][]Translated{key: list}, Corrections: []Correction{{Rule: "R1", Version: "1.0.0", Translated: list}}}
			_ = src.Check(s)
			p := CompileWith(s, src)
			for _, r := range p.Rules {
				if r.Origin == FromText && len(list) > 0 && r.Reason == "" && r.ID != "R1" && keyOfScope(r.Scope, key) {
					t.Fatalf("%s fell back without a reason", r.ID)
				}
			}
			p.Validate(docOf(t, `{"G10001": {"F10001": "999", "F10003": true, "F10007": ["01"]}, "G10003": [{"F10010": true}, {}]}`), Context{Today: testToday})
		}
	})
}

// keyOfScope reports whether a rule at scope is carried by the element of
// key in sourcesSchema.
func keyOfScope(scope, key string) bool {
	id, _, _ := strings.Cut(key, "@")
	if id == "S1" {
		return scope == ""
	}
	return lastID(scope) == id
}

// TestTranslatedRulesAcceptance runs the compiler's acceptance check (see
// TestCompiledRulesOfEverySample) on the translated rules: for every
// effect, data under which it happens and data under which it does not.
func TestTranslatedRulesAcceptance(t *testing.T) {
	s371 := importSample(t, "xdf3/S00000000371_xdf3.xml")
	tr371, err := LoadTranslations(filepath.Join("testdata", "translated", "S00000000371"))
	if err != nil {
		t.Fatal(err)
	}
	ss := sourcesSchema(t)
	for _, c := range []struct {
		s   *form.Schema
		src *Sources
	}{
		{s371, &Sources{Translations: tr371}},
		{ss, &Sources{Translations: syntheticTranslations(t)}},
	} {
		prog := CompileWith(c.s, c.src)
		base := formtest.Decode(t, c.s.Example())
		n := 0
		for _, r := range prog.Rules {
			if r.Origin != FromTranslation {
				continue
			}
			single := &Program{Schema: c.s, Rules: []*Rule{r}, index: prog.index}
			single.prepare()
			for i := range r.Effects {
				n++
				t.Run(fmt.Sprintf("%s/%s@%s/%d-%s", c.s.ID, r.ID, r.Scope, i, r.Effects[i].Kind), func(t *testing.T) {
					checkEffect(t, single, r, i, base)
				})
			}
		}
		if n == 0 {
			t.Errorf("%s: no translated effect", c.s.ID)
		}
	}
}
