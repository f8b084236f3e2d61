package journey

import (
	"net/url"
	"testing"

	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
)

func tfield(id, name string, dt form.Datentyp) *form.Element {
	return &form.Element{Kind: form.KindField, ID: id, Name: name, Feldart: form.FeldartInput, Datentyp: dt}
}

func tgroup(id, name string, cs ...form.Child) *form.Element {
	return &form.Element{Kind: form.KindGroup, ID: id, Name: name, Struktur: cs}
}

func n(min, max int, e *form.Element) form.Child {
	return form.Child{Anzahl: form.Anzahl{Min: min, Max: max}, Element: e}
}

// TestOptionalGroupLeftEmptyIsAbsent: an optional group inside a step
// that the citizen leaves empty is absent, although it holds a required
// subgroup (parsed as an empty object) and an optional checkbox (posted
// unticked); its required fields are not demanded. Once something is
// filled in, they are.
func TestOptionalGroupLeftEmptyIsAbsent(t *testing.T) {
	ort := tgroup("G3", "Ort", n(1, 1, tfield("F3", "Postleitzahl", form.DatentypText)), n(1, 1, tfield("F4", "Ort", form.DatentypText)))
	halter := tgroup("G2", "Halter",
		n(1, 1, tfield("F2", "Familienname", form.DatentypText)),
		n(1, 1, ort),
		n(0, 1, tfield("F5", "Zweitwagen", form.DatentypBool)))
	s := &form.Schema{ID: "S1", Name: "Test", Struktur: []form.Child{
		n(1, 1, tgroup("G1", "Fahrzeug", n(1, 1, tfield("F1", "Kennzeichen", form.DatentypText)), n(0, 1, halter))),
	}}
	f := NewForm(s)
	st := f.Steps[0]
	vals := url.Values{"G1.F1": {"EF-AB 123"}, "G1.G2.F2": {" "}, "G1.G2.G3.F3": {""}, "G1.G2.F5#da": {"1"}}
	post := f.ParseStep(st, map[string]any{}, vals, ParseAction("weiter"), nil, nil, testCtx)
	if len(post.Problems) > 0 {
		t.Fatalf("problems for an optional group left empty: %v", post.Problems)
	}
	if g1, _ := post.Data["G1"].(map[string]any); g1 == nil || g1["G2"] != nil {
		t.Fatalf("data = %v, want G1 without G2", post.Data)
	}
	vals.Set("G1.G2.F2", "Muster")
	post = f.ParseStep(st, map[string]any{}, vals, ParseAction("weiter"), nil, nil, testCtx)
	got := map[string]bool{}
	for _, p := range post.Problems {
		got[p.Path] = true
	}
	if !got["G1.G2.G3.F3"] || !got["G1.G2.G3.F4"] || len(post.Problems) != 2 {
		t.Errorf("a started optional group: problems %v, want its required Ort fields", post.Problems)
	}
}

// TestOptionalTopLevelGroupHasChoice: an optional top-level group is
// preceded by a choice step; "nein" removes it with its answers, "ja"
// gives it (empty), and its step is visible only then.
func TestOptionalTopLevelGroupHasChoice(t *testing.T) {
	s := &form.Schema{ID: "S1", Name: "Test", Struktur: []form.Child{
		n(1, 1, tgroup("G1", "Antrag", n(1, 1, tfield("F1", "Kennzeichen", form.DatentypText)))),
		n(0, 1, tgroup("G2", "Vertretung", n(1, 1, tfield("F2", "Name", form.DatentypText)))),
	}}
	f := NewForm(s)
	if len(f.Steps) != 3 || f.Steps[1].Choice == nil || f.Steps[2].Optional != f.Steps[1].Choice {
		t.Fatalf("steps: %+v", f.Steps)
	}
	doc := map[string]any{"G1": map[string]any{"F1": "x"}}
	state, _ := f.Rules.Evaluate(doc, testCtx)
	if f.StepVisible(f.Steps[2], doc, state) {
		t.Error("group step visible before the choice")
	}
	post := f.ParseStep(f.Steps[1], doc, url.Values{"G2": {"ja"}}, ParseAction("weiter"), nil, nil, testCtx)
	if _, ok := post.Data["G2"]; !ok || len(post.Problems) > 0 {
		t.Fatalf("ja: %v %v", post.Data, post.Problems)
	}
	if f.Next(1, post.Data, post.State) != 2 {
		t.Error("after ja, the group step does not follow")
	}
	withName := map[string]any{"G1": doc["G1"], "G2": map[string]any{"F2": "Muster"}}
	post = f.ParseStep(f.Steps[1], withName, url.Values{"G2": {"nein"}}, ParseAction("weiter"), nil, nil, testCtx)
	if _, ok := post.Data["G2"]; ok || f.Next(1, post.Data, post.State) != -1 {
		t.Errorf("nein: %v", post.Data)
	}
	post = f.ParseStep(f.Steps[1], doc, url.Values{}, ParseAction("weiter"), nil, nil, testCtx)
	if len(post.Problems) != 1 || post.Problems[0].Path != "G2" {
		t.Errorf("no choice: %v", post.Problems)
	}
}

// TestSiblingGroupLegendsDistinct: no step of any sample shows two
// sibling groups under the same legend, and no two steps of alternative
// groups have the same title.
func TestSiblingGroupLegendsDistinct(t *testing.T) {
	same := 0
	for _, name := range samples.Files() {
		f := loadForm(t, name)
		ex := f.Example(testCtx)
		state, clean := f.Rules.Evaluate(ex, testCtx)
		titles := map[string]int{}
		for _, st := range f.Steps {
			title := st.Title + " – " + st.Subtitle
			if prev, dup := titles[title]; dup && st.Choice == nil {
				t.Errorf("%s: steps %d and %d are both titled %q", name, prev+1, st.Index+1, title)
			}
			if st.Choice == nil {
				titles[title] = st.Index
			}
			v := f.BuildView(st, clean, state, nil, nil)
			var check func(its []*Item)
			check = func(its []*Item) {
				seen := map[string]bool{}
				for _, it := range its {
					if it.Kind == "group" || it.Kind == "repeat" {
						if seen[it.Label] {
							t.Errorf("%s step %d: two groups labelled %q", name, st.Index+1, it.Label)
						}
						seen[it.Label] = true
					}
					check(it.Children)
				}
			}
			check(v.Items)
		}
		f.Schema.Walk(func(_ form.Path, c *form.Child) bool {
			same += len(form.SameLabelGroups(c.Element.Struktur))
			return true
		})
		same += len(form.SameLabelGroups(f.Schema.Struktur))
	}
	if same == 0 {
		t.Fatal("no sample has sibling groups with the same label: the test checks nothing")
	}
	t.Logf("%d groups share their label with a sibling", same)
}

// TestSchemaQuestionChoosesBranch: where the schema asks itself which
// alternative applies (Immobiliardarlehensvermittler: "natürliche oder
// juristische Person?"), its answer gives that branch and removes the
// other, and the platform's own choice step is not asked.
func TestSchemaQuestionChoosesBranch(t *testing.T) {
	f := loadForm(t, "xdf3/S05000001162_xdf3.xml")
	ex := f.Example(testCtx)
	alts := form.Alternatives(f.Schema.Struktur)
	nat, jur := f.Schema.Struktur[alts[0][0]].Element.ID, f.Schema.Struktur[alts[0][1]].Element.ID
	if _, ok := ex[nat]; !ok {
		t.Fatal("example without the natural person")
	}
	st := f.Steps[0]
	vals, _ := f.FormValues(st, ex)
	vals.Set("G05000010320.F05000016480", "02")
	post := f.ParseStep(st, ex, vals, ParseAction("weiter"), nil, nil, testCtx)
	if _, ok := post.Data[nat]; ok {
		t.Error("the natural person's branch stays after answering „Juristische Person“")
	}
	if _, ok := post.Data[jur]; !ok {
		t.Error("the legal person's branch is not given")
	}
	for _, s := range f.Steps {
		if s.Choice != nil && f.StepVisible(s, post.Data, post.State) {
			t.Errorf("choice step %d is asked although the schema's question is answered", s.Index+1)
		}
	}
}
