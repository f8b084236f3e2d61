package web

import (
	"bytes"
	"html/template"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
)

// itemsReference parses the step template as it was before items.go wrote
// the inputs (testdata/step_items_reference.html): its "item" template is
// the markup stepItems must produce.
func itemsReference(t *testing.T) *template.Template {
	t.Helper()
	b, err := os.ReadFile("testdata/step_items_reference.html")
	if err != nil {
		t.Fatal(err)
	}
	return template.Must(template.New("ref").Funcs(funcs).Parse(string(b)))
}

var (
	spaceRun   = regexp.MustCompile(`\s+`)
	spaceAtTag = regexp.MustCompile(`>\s+<|>\s+|\s+<`)
)

// normalHTML collapses white space, which the template and the Go code
// place differently between tags.
func normalHTML(s string) string {
	s = spaceRun.ReplaceAllString(s, " ")
	return spaceAtTag.ReplaceAllStringFunc(s, func(m string) string { return strings.ReplaceAll(m, " ", "") })
}

// sampleForms returns the form of every sample schema, by file name.
func sampleForms(t *testing.T) map[string]*journey.Form {
	t.Helper()
	forms := map[string]*journey.Form{}
	for _, name := range samples.Files() {
		b, err := samples.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := fim.Import(bytes.NewReader(b), name, fim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		forms[name] = journey.NewForm(s)
	}
	return forms
}

func checkItems(t *testing.T, ref *template.Template, what string, items []*journey.Item) {
	t.Helper()
	var want bytes.Buffer
	for _, it := range items {
		if err := ref.ExecuteTemplate(&want, "item", it); err != nil {
			t.Fatal(err)
		}
	}
	got := normalHTML(string(stepItems(items)))
	if w := normalHTML(want.String()); got != w {
		i := 0
		for i < len(got) && i < len(w) && got[i] == w[i] {
			i++
		}
		t.Errorf("%s: differs at byte %d:\n got …%s\nwant …%s", what, i, excerpt(got, i), excerpt(w, i))
	}
}

func excerpt(s string, i int) string {
	return s[max(0, i-80):min(len(s), i+120)]
}

// TestStepItemsMatchTemplate renders every step of every sample schema,
// with its example data and with every field in error, through stepItems
// and through the template it replaced, and a set of made-up items with
// hostile values and every widget's options.
func TestStepItemsMatchTemplate(t *testing.T) {
	ref := itemsReference(t)
	ctx := rules.Context{Today: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Bundesland: "TH"}
	for name, f := range sampleForms(t) {
		ex := f.Example(ctx)
		state, clean := f.Rules.Evaluate(ex, ctx)
		empty, emptyClean := f.Rules.Evaluate(map[string]any{}, ctx)
		problems := f.Schema.Normalize(map[string]any{})
		for _, st := range f.Steps {
			// The server shows a step only while the answers do not hide it.
			if f.StepVisible(st, clean, state) {
				checkItems(t, ref, name+" step "+st.Title, f.BuildView(st, clean, state, nil, nil).Items)
			}
			if f.StepVisible(st, emptyClean, empty) {
				checkItems(t, ref, name+" step "+st.Title+" with errors", f.BuildView(st, emptyClean, empty, nil, problems).Items)
			}
		}
	}

	hostile := `"><script>alert(1)</script>&'`
	opts := []journey.Option{{Value: hostile, Label: hostile, ID: "o1"}, {Value: "b", Label: "B", ID: "o2", Selected: true}}
	var items []*journey.Item
	for _, w := range []journey.Widget{journey.WText, journey.WTextarea, journey.WNumber, journey.WDate, journey.WTime, journey.WDateTime,
		journey.WRadios, journey.WYesNo, journey.WSelect, journey.WCheckbox, journey.WFile, journey.WLabel, journey.WReadonly, journey.WHidden} {
		for _, variant := range []func(it *journey.Item){
			func(it *journey.Item) {},
			func(it *journey.Item) {
				it.Error, it.Hint, it.Proved, it.Locked, it.Hidden, it.Required = hostile, hostile, true, true, true, true
				it.Autocomplete, it.ReadOnly, it.Value, it.Day, it.Month, it.Year, it.Time = "bday", hostile, hostile, hostile, hostile, hostile, hostile
				it.Files = []journey.File{{AttachmentID: hostile, Filename: hostile, Size: "1 MB"}}
			},
			func(it *journey.Item) {
				it.Required, it.RuleRequired, it.CanAdd, it.Consent, it.Checked = true, true, true, true, true
				it.Autocomplete = "email"
				it.Inputs = []journey.Input{{Name: hostile, ID: "i1", Value: hostile, Invalid: true, Autocomplete: "given-name"}, {Name: "n2", ID: "i2"}}
			},
		} {
			it := &journey.Item{Kind: "field", Widget: w, Name: "G1.F1" + hostile, ID: "f-1" + hostile, Box: "box-1" + hostile,
				Label: "Frage " + hostile, Options: opts, Accept: "application/pdf,image/jpeg", MaxSize: 10 << 20}
			variant(it)
			items = append(items, it)
		}
	}
	group := &journey.Item{Kind: "group", Box: "g" + hostile, ID: "g", Label: hostile, Hint: "h", Error: "e", Children: items[:4]}
	entry := &journey.Item{Kind: "entry", Box: "en", Name: "R.0", EntryLabel: "Kind 1", CanRemove: true, Children: items[4:6]}
	repeat := &journey.Item{Kind: "repeat", Box: "r", ID: "r", Name: "R", Label: "Kind", CanAdd: true, Children: []*journey.Item{entry}}
	emptyRepeat := &journey.Item{Kind: "repeat", Box: "r2", ID: "r2", Name: "R2", Label: "Kind", Proved: true}
	checkItems(t, ref, "made-up items", append(items, group, repeat, emptyRepeat))
}
