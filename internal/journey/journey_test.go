package journey

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/rules"
)

var testCtx = rules.Context{Today: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Bundesland: "TH"}

func loadForm(tb testing.TB, name string) *Form {
	tb.Helper()
	b, err := samples.FS.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), name, fim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return NewForm(s)
}

func TestExamplesPassRules(t *testing.T) {
	for _, name := range samples.Files() {
		f := loadForm(t, name)
		for _, land := range []string{"TH", "NW", ""} {
			ctx := testCtx
			ctx.Bundesland = land
			ex := f.Example(ctx)
			if ps, _ := f.Rules.Validate(ex, ctx); len(ps) > 0 {
				t.Errorf("%s (%s): example fails: %v", name, land, ps)
			}
		}
	}
}

func TestSteps(t *testing.T) {
	for _, name := range samples.Files() {
		f := loadForm(t, name)
		if len(f.Steps) == 0 {
			t.Fatalf("%s: no steps", name)
		}
		// Every data-carrying top-level element is on exactly one step, and
		// no step is without data.
		seen := map[string]int{}
		for _, st := range f.Steps {
			if st.Choice != nil {
				// A choice step asks about the groups of the steps that
				// follow it.
				next := f.Steps[st.Index+1]
				if next.Optional != st.Choice || next.Parent[0].Key != st.Choice.Options[0].Key {
					t.Errorf("%s: choice step %d %q is not followed by its group", name, st.Index, st.Title)
				}
				continue
			}
			if c := st.ParentChild; c != nil && c.Anzahl.Min == 0 && st.Optional == nil {
				t.Errorf("%s: step %d %q of an optional group has no choice", name, st.Index, st.Title)
			}
			data := false
			for _, c := range st.Children {
				if c.Element.CarriesData() {
					data = true
				}
				seen[st.Parent.Key(c.Element.ID).String()]++
			}
			if !data {
				t.Errorf("%s: step %d %q has no data fields", name, st.Index, st.Title)
			}
			if n := 0; true {
				for _, c := range st.Children {
					n += countFields(c.Element)
				}
				if n > 4*MaxStepFields {
					t.Errorf("%s: step %d %q has %d fields", name, st.Index, st.Title, n)
				}
			}
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s on %d steps", name, k, n)
			}
		}
		t.Logf("%s: %d steps", name, len(f.Steps))
	}
}

// TestParseInvertsFormValues posts every step of every sample's example as
// a browser would and requires the parsed data to be the example: what the
// citizen enters is what is stored.
func TestParseInvertsFormValues(t *testing.T) {
	for _, name := range samples.Files() {
		f := loadForm(t, name)
		ex := f.Example(testCtx)
		doc := map[string]any{}
		// A citizen may fill the steps in any order; rules that depend on
		// later steps decide once those are filled. So: every step once with
		// "aktualisieren", then through the visible ones with "weiter".
		for _, st := range f.Steps {
			vals, files := f.FormValues(st, ex)
			post := f.ParseStep(st, doc, vals, ParseAction("aktualisieren"), files, nil, testCtx)
			if len(post.Problems) > 0 {
				t.Errorf("%s step %d: %v", name, st.Index+1, post.Problems)
			}
			doc = post.Data
		}
		state, _ := f.Rules.Evaluate(doc, testCtx)
		for i := 0; i >= 0; i = f.Next(i, doc, state) {
			st := f.Steps[i]
			if !f.StepVisible(st, doc, state) {
				continue
			}
			vals, _ := f.FormValues(st, ex)
			post := f.ParseStep(st, doc, vals, ParseAction("weiter"), nil, nil, testCtx)
			if len(post.Problems) > 0 {
				t.Errorf("%s step %d: %v", name, st.Index+1, post.Problems)
			}
			doc, state = post.Data, post.State
		}
		got, _ := json.Marshal(doc)
		want, _ := json.Marshal(ex)
		if string(got) != string(want) {
			t.Errorf("%s: parsed data differs from the example\n got %.600s\nwant %.600s", name, got, want)
		}
	}
}
