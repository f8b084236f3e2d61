package form_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

func group(id, name, label string, cs ...form.Child) *form.Element {
	return &form.Element{Kind: form.KindGroup, ID: id, Name: name, BezeichnungEingabe: label, Struktur: cs}
}

// altSchema has two optional top-level groups with the same label, a
// natural and a legal person, told apart only by qualifiers in their own
// and their descendants' names.
func altSchema() *form.Schema {
	nat := group("G1", "Person", "Person",
		one(group("G11", "Angaben zur Person (Natürliche Person)", "Angaben zur Person",
			one(field("F1", "Familienname", form.DatentypText, form.Praezisierung{})))),
		one(group("G12", "Anschrift (Natürliche Person)", "Anschrift",
			one(field("F2", "Ort", form.DatentypText, form.Praezisierung{})))))
	jur := group("G2", "Person (juristische Person)", "Person",
		one(group("G21", "Angaben zum Unternehmen (Juristische Person)", "Angaben zum Unternehmen",
			one(field("F3", "Name des Unternehmens", form.DatentypText, form.Praezisierung{})))))
	return &form.Schema{ID: "S1", Name: "Test", Struktur: []form.Child{
		one(field("F0", "Antragsart", form.DatentypText, form.Praezisierung{})),
		opt(nat), opt(jur),
	}}
}

func TestAlternativeGroupsExactlyOne(t *testing.T) {
	s := altSchema()
	alts := form.Alternatives(s.Struktur)
	if len(alts) != 1 || len(alts[0]) != 2 || alts[0][0] != 1 || alts[0][1] != 2 {
		t.Fatalf("Alternatives = %v, want [[1 2]]", alts)
	}
	sch := formtest.JSONSchema(t, s)
	nat := map[string]any{"G11": map[string]any{"F1": "Muster"}, "G12": map[string]any{"F2": "Erfurt"}}
	jur := map[string]any{"G21": map[string]any{"F3": "Muster GmbH"}}
	for _, tc := range []struct {
		name string
		doc  map[string]any
		want string // problem code, "" for none
	}{
		{"neither", map[string]any{"F0": "x"}, form.CodeAlternative},
		{"natural", map[string]any{"F0": "x", "G1": nat}, ""},
		{"legal", map[string]any{"F0": "x", "G2": jur}, ""},
		{"both", map[string]any{"F0": "x", "G1": nat, "G2": jur}, form.CodeAlternative},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := formtest.Decode(t, tc.doc)
			ps := s.Validate(doc)
			got := ""
			if len(ps) > 0 {
				got = ps[0].Code
			}
			if got != tc.want || len(ps) > 1 {
				t.Fatalf("Validate = %v, want code %q", ps, tc.want)
			}
			if err := formtest.Validate(t, sch, doc); (err == nil) != (tc.want == "") {
				t.Errorf("JSON Schema verdict %v disagrees with Validate %v", err, ps)
			}
		})
	}
	if ps := s.Validate(formtest.Decode(t, s.Example())); len(ps) > 0 {
		t.Errorf("example fails: %v", ps)
	}
}

func TestAlternativeNotWhereLabelsDiffer(t *testing.T) {
	s := altSchema()
	s.Struktur[2].Element.BezeichnungEingabe = "Unternehmen"
	if alts := form.Alternatives(s.Struktur); len(alts) != 0 {
		t.Fatalf("Alternatives = %v for groups with different labels", alts)
	}
	// A required group between two same-label groups breaks the run.
	s = altSchema()
	s.Struktur = append(s.Struktur[:2], one(field("F9", "Zwischenfrage", form.DatentypText, form.Praezisierung{})), s.Struktur[2])
	if alts := form.Alternatives(s.Struktur); len(alts) != 0 {
		t.Fatalf("Alternatives = %v across a field", alts)
	}
}

func TestSameLabelGroupsToldApart(t *testing.T) {
	s := altSchema()
	got := form.DistinctLabels(s.Struktur, []int{1, 2})
	if got[0] != "Natürliche Person" || got[1] != "Juristische Person" {
		t.Errorf("DistinctLabels = %q, want Natürliche Person, Juristische Person", got)
	}
	// Without qualifiers: the names.
	a := group("G1", "Anschrift Inland", "Anschrift", one(field("F1", "Ort", form.DatentypText, form.Praezisierung{})))
	b := group("G2", "Anschrift Ausland", "Anschrift", one(field("F2", "Ort", form.DatentypText, form.Praezisierung{})))
	cs := []form.Child{opt(a), opt(b)}
	if got := form.DistinctLabels(cs, []int{0, 1}); got[0] != "Anschrift Inland" || got[1] != "Anschrift Ausland" {
		t.Errorf("DistinctLabels by name = %q", got)
	}
	// Same names: a descendant the other lacks.
	b.Name = "Anschrift Inland"
	b.Struktur = []form.Child{one(field("F3", "Staat", form.DatentypText, form.Praezisierung{}))}
	if got := form.DistinctLabels(cs, []int{0, 1}); got[0] != "Anschrift – Ort" || got[1] != "Anschrift – Staat" {
		t.Errorf("DistinctLabels by descendant = %q", got)
	}
	// Nothing to tell them apart: numbers.
	b.Struktur = a.Struktur
	if got := form.DistinctLabels(cs, []int{0, 1}); got[0] != "Anschrift 1" || got[1] != "Anschrift 2" {
		t.Errorf("DistinctLabels by number = %q", got)
	}
}

// TestImmobiliardarlehensvermittlerBranches: the real schema offers a
// natural and a legal person as two optional top-level groups "Person".
func TestImmobiliardarlehensvermittlerBranches(t *testing.T) {
	const file = "../fim/samples/xdf3/S05000001162_xdf3.xml"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), file, fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alts := form.Alternatives(s.Struktur)
	if len(alts) != 1 {
		t.Fatalf("Alternatives = %v, want one set", alts)
	}
	got := form.DistinctLabels(s.Struktur, alts[0])
	if got[0] != "Natürliche Person" || got[1] != "Juristische Person" {
		t.Errorf("DistinctLabels = %q", got)
	}
	sel := s.SelectorOf(alts[0])
	if sel == nil || sel.Path.String() != "G05000010320.F05000016480" {
		t.Fatalf("selector = %+v, want the field „natürliche oder juristische Person?“", sel)
	}
	doc := s.Example()
	if ps := s.Validate(doc); len(ps) > 0 {
		t.Fatalf("example: %v", ps)
	}
	if got := sel.Chosen(doc); got != alts[0][0] {
		t.Errorf("example's selector names group %d, want %d", got, alts[0][0])
	}
	// The other answer contradicts the branch given.
	doc["G05000010320"].(map[string]any)["F05000016480"] = "02"
	if ps := s.Validate(doc); len(ps) != 1 || ps[0].Code != form.CodeAlternative || ps[0].Path != s.Struktur[alts[0][0]].Element.ID {
		t.Errorf("contradicting answer: %v", ps)
	}
	sch := formtest.JSONSchema(t, s)
	if err := formtest.Validate(t, sch, doc); err == nil {
		t.Errorf("JSON Schema accepts a branch that contradicts the selector")
	}
	doc["G05000010320"].(map[string]any)["F05000016480"] = "01"
	delete(doc, s.Struktur[alts[0][0]].Element.ID)
	ps := s.Validate(doc)
	if len(ps) != 1 || ps[0].Code != form.CodeAlternative {
		t.Fatalf("without either branch: %v, want one %q problem", ps, form.CodeAlternative)
	}
}

// TestNestedSameLabelGroupsNotForced: below the top level, optional
// sibling groups with the same label (the Belegarten of a
// Bundeszentralregisterauszug, which rules choose per Land) are told apart
// but none of them is demanded.
func TestNestedSameLabelGroupsNotForced(t *testing.T) {
	a := group("G11", "Auszug Belegart OE", "Auszug", one(field("F1", "Datei", form.DatentypText, form.Praezisierung{})))
	b := group("G12", "Auszug Belegart NB", "Auszug", one(field("F2", "Datei", form.DatentypText, form.Praezisierung{})))
	s := &form.Schema{ID: "S1", Struktur: []form.Child{one(group("G1", "Nachweise", "Nachweise",
		one(field("F0", "Hinweis", form.DatentypText, form.Praezisierung{})), opt(a), opt(b)))}}
	doc := map[string]any{"G1": map[string]any{"F0": "x"}}
	if ps := s.Validate(doc); len(ps) > 0 {
		t.Errorf("nested same-label groups demanded: %v", ps)
	}
	if err := formtest.Validate(t, formtest.JSONSchema(t, s), doc); err != nil {
		t.Errorf("JSON Schema demands one of them: %v", err)
	}
	if got := form.SameLabelGroups(s.Struktur[0].Element.Struktur); got[1] != "Auszug Belegart OE" || got[2] != "Auszug Belegart NB" {
		t.Errorf("labels %v", got)
	}
}
