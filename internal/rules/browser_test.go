package rules

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/antrag/antrag/internal/fim/samples"
)

// TestBrowserEvaluatorAgrees runs every compiled condition of every sample
// on the same data in Go (jsonlogic with ops.go) and in Node.js
// (json-logic-js with internal/web/static/app/rules.js, the files the
// browser gets) and requires identical results. Skipped without node.
func TestBrowserEvaluatorAgrees(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	type tcase struct {
		Rule any            `json:"rule"`
		Data map[string]any `json:"data"`
		Want any            `json:"want"`
	}
	var cases []tcase
	add := func(rule any, data map[string]any) {
		cases = append(cases, tcase{Rule: rule, Data: data, Want: apply(rule, data)})
	}
	// The operations on edge inputs.
	for _, c := range []struct {
		rule string
		data string
	}{
		{`{"filled":[{"var":"x"}]}`, `{"x":""}`}, {`{"filled":[{"var":"x"}]}`, `{"x":{}}`}, {`{"filled":[{"var":"x"}]}`, `{"x":{"a":[""]}}`},
		{`{"filled":[{"var":"x"}]}`, `{"x":{"a":[0]}}`}, {`{"filled":[{"var":"x"}]}`, `{"x":false}`}, {`{"filled":[{"var":"x"}]}`, `{}`},
		{`{"date":[2024,2,29]}`, `{}`}, {`{"date":[2023,2,29]}`, `{}`}, {`{"date":["2023",null,null]}`, `{}`}, {`{"date":["",1,1]}`, `{}`}, {`{"date":[2023.5,1,1]}`, `{}`},
		{`{"valid_date":["2024","02","29"]}`, `{}`}, {`{"valid_date":[2019,2,30]}`, `{}`}, {`{"valid_date":[1968,11,31]}`, `{}`}, {`{"valid_date":[null,1,1]}`, `{}`},
		{`{"days_between":["2026-01-08","2026-01-15"]}`, `{}`}, {`{"days_between":["2026-03-29","2026-03-30"]}`, `{}`}, {`{"days_between":["x","2026-01-15"]}`, `{}`},
		{`{"years_between":["2008-01-15","2026-01-15"]}`, `{}`}, {`{"years_between":["2008-01-16","2026-01-15"]}`, `{}`}, {`{"years_between":["2000-02-29","2026-02-28"]}`, `{}`},
		{`{"years_between":["2030-01-01","2026-01-15"]}`, `{}`},
		{`{"distinct":[["01","02"]]}`, `{}`}, {`{"distinct":[["01","01"]]}`, `{}`}, {`{"distinct":[["","",null]]}`, `{}`}, {`{"distinct":[[1,"1"]]}`, `{}`}, {`{"distinct":[null]}`, `{}`},
		{`{"in":["04",{"var":"x"}]}`, `{"x":["01","04"]}`}, {`{"in":["04",{"var":"x"}]}`, `{}`}, {`{"==":[{"var":"x"},true]}`, `{}`}, {`{"!=":[{"var":"x"},"001"]}`, `{}`},
		{`{"<":[{"years_between":[{"date":[{"var":"y"},null,null]},{"var":"$heute"}]},18]}`, `{"y":2010,"$heute":"2026-01-15"}`},
	} {
		var r any
		var d map[string]any
		if err := json.Unmarshal([]byte(c.rule), &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.data), &d); err != nil {
			t.Fatal(err)
		}
		add(r, d)
	}
	// Every compiled condition of every sample, and of the translated
	// rules of the tests, on telling data.
	rng := rand.New(rand.NewPCG(3, 4))
	progs := []*Program{CompileWith(sourcesSchema(t), &Sources{Translations: syntheticTranslations(t)})}
	for _, name := range samples.Files() {
		progs = append(progs, Compile(importSample(t, name)))
	}
	for _, p := range progs {
		for _, r := range p.Rules {
			if r.Status != Compiled {
				continue
			}
			cands := make([][]any, len(r.Vars))
			for i, v := range r.Vars {
				cands[i] = candidates(p.index, r, v)
			}
			for range 12 {
				data := map[string]any{}
				for i, v := range r.Vars {
					if c := cands[i][rng.IntN(len(cands[i]))]; c != nil {
						data[v] = c
					}
				}
				for _, e := range r.Effects {
					if e.When != nil {
						add(e.When, data)
					}
					if e.Check != nil {
						add(e.Check, data)
					}
				}
			}
		}
	}
	dir := t.TempDir()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	logic, _ := filepath.Abs("../web/static/vendor/json-logic-js/logic.js")
	ops, _ := filepath.Abs("../web/static/app/rules.js")
	script := `
const jsonLogic = require(` + js(logic) + `);
require(` + js(ops) + `).register(jsonLogic);
const cases = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(cases.map(c => { const r = jsonLogic.apply(c.rule, c.data); return r === undefined ? null : r; })));
`
	if err := os.WriteFile(filepath.Join(dir, "run.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join(dir, "run.js"), filepath.Join(dir, "cases.json")).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got []any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output: %v: %.200s", err, out)
	}
	if len(got) != len(cases) {
		t.Fatalf("%d results for %d cases", len(got), len(cases))
	}
	bad := 0
	for i, c := range cases {
		if js(c.Want) != js(got[i]) {
			bad++
			if bad <= 10 {
				t.Errorf("rule %s on %s: Go %s, browser %s", js(c.Rule), js(c.Data), js(c.Want), js(got[i]))
			}
		}
	}
	t.Logf("%d conditions compared", len(cases))
	if bad > 0 {
		t.Errorf("%d of %d disagree", bad, len(cases))
	}
}
