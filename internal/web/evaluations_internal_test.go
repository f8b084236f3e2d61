package web

import (
	"reflect"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/submission"
)

// TestPostEvaluationIsTheSavedOnes checks what postStep relies on when it
// remembers a post's evaluation for the revision it saved: evaluating the
// post's (clean) data again gives the same state and the same data, for
// every step of every sample schema posted with its example values and
// with nothing.
func TestPostEvaluationIsTheSavedOnes(t *testing.T) {
	ctx := rules.Context{Today: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Bundesland: "TH"}
	for name, f := range sampleForms(t) {
		ex := f.Example(ctx)
		for _, st := range f.Steps {
			vals, _ := f.FormValues(st, ex)
			vals.Set("aktion", "weiter")
			for _, doc := range []map[string]any{ex, {}} {
				post := f.ParseStep(st, doc, vals, journey.ParseAction("weiter"), nil, nil, ctx)
				state, clean := f.Rules.Evaluate(post.Data, ctx)
				if !reflect.DeepEqual(state, post.State) || !reflect.DeepEqual(clean, post.Data) {
					t.Errorf("%s step %q: evaluating the post's data again differs from the post's evaluation", name, st.Title)
				}
			}
		}
	}
}

// TestEvaluationsKeyed checks that a remembered evaluation is used only
// for the same draft revision, form version, day and Land.
func TestEvaluationsKeyed(t *testing.T) {
	f := sampleForms(t)[samples.Files()[0]]
	ctx := rules.Context{Today: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Bundesland: "TH"}
	d := &submission.Draft{ID: "d1", FormVersionID: "v1", Revision: 3, Data: f.Example(ctx)}
	var e evaluations
	marker := &rules.State{}
	e.remember(d, ctx, marker, map[string]any{})
	if st, _ := e.evaluate(f.Rules, d, ctx); st != marker {
		t.Fatal("the remembered evaluation of the same revision was not used")
	}
	later := ctx
	later.Today = later.Today.Add(2 * time.Hour) // same day in Berlin
	if st, _ := e.evaluate(f.Rules, d, later); st != marker {
		t.Error("a later time of the same day evaluated again")
	}
	for what, change := range map[string]func(d *submission.Draft, c *rules.Context){
		"revision": func(d *submission.Draft, c *rules.Context) { d.Revision++ },
		"version":  func(d *submission.Draft, c *rules.Context) { d.FormVersionID = "v2" },
		"day":      func(d *submission.Draft, c *rules.Context) { c.Today = c.Today.AddDate(0, 0, 1) },
		"Land":     func(d *submission.Draft, c *rules.Context) { c.Bundesland = "NW" },
	} {
		d2, c2 := *d, ctx
		e.remember(d, ctx, marker, map[string]any{})
		change(&d2, &c2)
		if st, _ := e.evaluate(f.Rules, &d2, c2); st == marker {
			t.Errorf("another %s used the remembered evaluation", what)
		}
	}
}
