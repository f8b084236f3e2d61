package journey

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
	"github.com/antrag/antrag/internal/rules"
)

// loadTestdata imports a schema from testdata (see testdata/SOURCES.md).
func loadTestdata(t *testing.T, name string) *Form {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), name, fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return NewForm(s)
}

func group(t *testing.T, doc map[string]any, ids ...string) map[string]any {
	t.Helper()
	cur := doc
	for _, id := range ids {
		next, ok := cur[id].(map[string]any)
		if !ok {
			t.Fatalf("%s: no group %s in %v", strings.Join(ids, "."), id, cur)
		}
		cur = next
	}
	return cur
}

func conflictText(cs []ExampleConflict) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Problem.Path + ": " + c.Problem.Message)
		for _, r := range c.Rules {
			b.WriteString(" [" + r.ID + "]")
		}
		b.WriteString("; ")
	}
	return b.String()
}

// S00000000395: rule R00000002568 hides the address G60000000086, which the
// schema requires (1:1), when F00000003390 is 001 "Am angegebenen
// Unternehmensstandort", the first code, and shows and requires it for 002.
// The example answers 002, so that the address is there: it passes even the
// JSON Schema of the schema alone, which demands the address.
func TestExampleShowsGroupTheSchemaRequires(t *testing.T) {
	f := loadTestdata(t, "S00000000395_xdf3.xml")
	for _, land := range []string{"", "TH", "HB"} {
		ctx := testCtx
		ctx.Bundesland = land
		ex, conflicts := f.ExampleConflicts(ctx)
		if len(conflicts) > 0 {
			t.Fatalf("Land %q: conflicts: %s", land, conflictText(conflicts))
		}
		ort := group(t, ex, "G00000002200", "G00000002194")
		if got := ort["F00000003390"]; got != "002" {
			t.Errorf("Land %q: F00000003390 = %v, want 002 (only that answer shows the required address)", land, got)
		}
		addr := group(t, ort, "G60000000086")
		if _, ok := addr["F60000000243"].(string); !ok {
			t.Errorf("Land %q: the address has no Straße: %v", land, addr)
		}
		if err := formtest.Validate(t, formtest.JSONSchema(t, f.Schema), ex); err != nil {
			t.Errorf("Land %q: JSON Schema of the schema alone: %v", land, err)
		}
		if err := formtest.Validate(t, formtest.Compile(t, f.Schema.ID, f.JSONSchema("")), ex); err != nil {
			t.Errorf("Land %q: published JSON Schema: %v", land, err)
		}
		if ps, _ := f.Rules.Validate(formtest.Decode(t, ex), ctx); len(ps) > 0 {
			t.Errorf("Land %q: rules: %v", land, ps)
		}
	}
}

// S05000001323: rules R05000013450 and R05000013451 show one of two
// required groups by Land (G05000012325 for RP and ST, G05000012320 for the
// others) and hide the other. No document has both, so the published JSON
// Schema leaves both to the rules; the schema's own demands would refuse
// every valid application.
func TestExampleLandHidesGroupTheSchemaRequires(t *testing.T) {
	f := loadForm(t, "xdf3/S05000001323_xdf3.xml")
	published := formtest.Compile(t, f.Schema.ID, f.JSONSchema(""))
	alone := formtest.JSONSchema(t, f.Schema)
	for _, tt := range []struct{ land, shown, hidden string }{
		{"RP", "G05000012322/G05000012325", "G05000012313/G05000012320"},
		{"TH", "G05000012313/G05000012320", "G05000012322/G05000012325"},
	} {
		ctx := testCtx
		ctx.Bundesland = tt.land
		ex, conflicts := f.ExampleConflicts(ctx)
		if len(conflicts) > 0 {
			t.Fatalf("%s: conflicts: %s", tt.land, conflictText(conflicts))
		}
		if form.ValueAt(ex, schemaKeyPath(tt.shown)) == nil {
			t.Errorf("%s: %s, which the rules show and require, is missing", tt.land, tt.shown)
		}
		if form.ValueAt(ex, schemaKeyPath(tt.hidden)) != nil {
			t.Errorf("%s: %s, which the rules hide, is there", tt.land, tt.hidden)
		}
		if err := formtest.Validate(t, published, ex); err != nil {
			t.Errorf("%s: published JSON Schema: %v", tt.land, err)
		}
		if err := formtest.Validate(t, alone, ex); err == nil {
			t.Errorf("%s: the JSON Schema of the schema alone takes an example without %s", tt.land, tt.hidden)
		}
		if ps, _ := f.Rules.Validate(formtest.Decode(t, ex), ctx); len(ps) > 0 {
			t.Errorf("%s: rules: %v", tt.land, ps)
		}
	}
}

// ruledForm builds a form of one required group G10001 with the fields given
// and the rules (Regeln) R1, R2, … of G10001, and fails unless each compiles.
func ruledForm(t *testing.T, fields []form.Child, texts ...string) *Form {
	t.Helper()
	g := tgroup("G10001", "Angaben", fields...)
	for i, text := range texts {
		g.Regeln = append(g.Regeln, form.Regel{ID: fmt.Sprintf("R%d", i+1), Version: "1.0.0", Name: fmt.Sprintf("Regel %d", i+1), FreitextRegel: text})
	}
	f := NewForm(&form.Schema{ID: "S1", Version: "1.0.0", Name: "Test", Struktur: []form.Child{n(1, 1, g)}})
	for _, r := range f.Rules.Rules {
		if r.Status != rules.Compiled {
			t.Fatalf("%s: %s %s", r.ID, r.Status, r.Reason)
		}
	}
	return f
}

func selectField(id, name string, codes ...string) *form.Element {
	e := tfield(id, name, form.DatentypText)
	e.Feldart = form.FeldartSelect
	for _, c := range codes {
		e.Werte = append(e.Werte, form.Wert{Code: c, Name: "Wert " + c})
	}
	return e
}

// A required group shown only through a chain of rules: G10002 needs F10003 ticked,
// and F10003 is shown only for code 017 of a long list F10001. The example finds
// the code among the rules' constants and ticks F10003.
func TestExampleFollowsRulesBack(t *testing.T) {
	var codes []string
	for i := 1; i <= 20; i++ {
		codes = append(codes, fmt.Sprintf("%03d", i))
	}
	f := ruledForm(t, []form.Child{
		n(1, 1, selectField("F10001", "Art", codes...)),
		n(0, 1, tfield("F10003", "Bestätigung", form.DatentypBool)),
		n(1, 1, tgroup("G10002", "Nachweis", n(1, 1, tfield("F10004", "Aktenzeichen", form.DatentypText)))),
	},
		`WENN F10001 "Art" = 017, DANN aktiviere F10003 "Bestätigung".`,
		`G10002 "Nachweis" ist nur dann zu befüllen, wenn F10003 "Bestätigung" bejaht wurde.`,
	)
	ex, conflicts := f.ExampleConflicts(testCtx)
	if len(conflicts) > 0 {
		t.Fatalf("conflicts: %s", conflictText(conflicts))
	}
	g1 := group(t, ex, "G10001")
	if g1["F10001"] != "017" || g1["F10003"] != true {
		t.Errorf("F10001 = %v, F10003 = %v; want 017 and true", g1["F10001"], g1["F10003"])
	}
	group(t, g1, "G10002")
	if err := formtest.Validate(t, formtest.JSONSchema(t, f.Schema), ex); err != nil {
		t.Errorf("JSON Schema of the schema alone: %v", err)
	}
}

// Two rules that no document satisfies: each date before the other. The
// example says which rules stand in the way, and does not hide the
// problem.
func TestExampleNamesContradictoryRules(t *testing.T) {
	f := ruledForm(t, []form.Child{
		n(1, 1, tfield("F10001", "Beginn", form.DatentypDate)),
		n(1, 1, tfield("F10002", "Ende", form.DatentypDate)),
	},
		`Das Datum im Feld F10001 "Beginn" muss zeitlich vor dem Datum in Feld F10002 "Ende" liegen.`,
		`Das Datum im Feld F10002 "Ende" muss zeitlich vor dem Datum in Feld F10001 "Beginn" liegen.`,
	)
	ex, conflicts := f.ExampleConflicts(testCtx)
	if len(conflicts) == 0 {
		t.Fatalf("no conflict reported for %v", ex)
	}
	named := map[string]bool{}
	for _, c := range conflicts {
		for _, r := range c.Rules {
			named[r.ID] = true
		}
	}
	if !named["R1"] || !named["R2"] {
		t.Errorf("conflicts do not name both rules: %s", conflictText(conflicts))
	}
	if ps, _ := f.Rules.Validate(formtest.Decode(t, ex), testCtx); len(ps) == 0 {
		t.Errorf("the example passes although the rules contradict each other: %v", ex)
	}
}

// A list of at least two codes in which no code may occur twice: the
// example's entries differ.
func TestExampleDistinctEntries(t *testing.T) {
	f := ruledForm(t, []form.Child{
		n(2, 3, selectField("F10001", "Sprache", "01", "02", "03")),
	},
		`Das Feld F10001 "Sprache" kann bis zu dreimal ausgefüllt werden, dabei darf aber jeder Eintrag nur maximal einmal ausgewählt werden.`,
	)
	ex, conflicts := f.ExampleConflicts(testCtx)
	if len(conflicts) > 0 {
		t.Fatalf("conflicts: %s", conflictText(conflicts))
	}
	got, _ := group(t, ex, "G10001")["F10001"].([]any)
	if len(got) < 2 || got[0] == got[1] {
		t.Errorf("F10001 = %v, want at least two different codes", got)
	}
	if err := formtest.Validate(t, formtest.JSONSchema(t, f.Schema), ex); err != nil {
		t.Errorf("JSON Schema: %v", err)
	}
}

// A required field shown only while a date lies less than 7 days back: the
// example moves the date near today, so that the field is there.
func TestExampleMovesADateToShowAField(t *testing.T) {
	f := ruledForm(t, []form.Child{
		n(1, 1, tfield("F10004", "Ereignis", form.DatentypDate)),
		n(1, 1, tfield("F10002", "Begründung", form.DatentypText)),
	},
		`Wenn (aktuelles Datum - F10004 "Ereignis") < 7 Tage muss das Feld F10002 befüllt sein. Wenn (aktuelles Datum - F10004 "Ereignis") > 7 Tage oder = 7 Tage darf das Feld F10002 nicht befüllt sein.`,
	)
	ex, conflicts := f.ExampleConflicts(testCtx)
	if len(conflicts) > 0 {
		t.Fatalf("conflicts: %s", conflictText(conflicts))
	}
	g := group(t, ex, "G10001")
	if _, ok := g["F10002"]; !ok {
		t.Errorf("F10002 missing: F10004 = %v", g["F10004"])
	}
	if err := formtest.Validate(t, formtest.JSONSchema(t, f.Schema), ex); err != nil {
		t.Errorf("JSON Schema of the schema alone: %v", err)
	}
}

// Alternatives that rules show by Land: outside RP and ST both are
// hidden, so none is given; in RP and ST the rules require both, and the
// rules decide (form.Schema.Validate checks no choice then). The example
// passes the published JSON Schema and the rules in either case.
func TestExampleAlternativesTheRulesDecide(t *testing.T) {
	s := &form.Schema{ID: "S1", Version: "1.0.0", Name: "Test", Struktur: []form.Child{
		n(1, 1, tfield("F10001", "Anlass", form.DatentypText)),
		n(0, 1, tgroup("G10002", "Person", n(1, 1, tfield("F10002", "Familienname", form.DatentypText)))),
		n(0, 1, tgroup("G10003", "Person", n(1, 1, tfield("F10003", "Firma", form.DatentypText)))),
	}}
	for _, id := range []string{"G10002", "G10003"} {
		s.Regeln = append(s.Regeln, form.Regel{ID: "R" + id, Version: "1.0.0",
			FreitextRegel: `Die Gruppe ` + id + ` "Person" muss für die Länder RP und ST befüllt werden. Für die anderen Bundesländer darf die Gruppe nicht angezeigt werden.`})
	}
	f := NewForm(s)
	if alts := form.Alternatives(s.Struktur); len(alts) != 1 {
		t.Fatalf("alternatives %v", alts)
	}
	for _, r := range f.Rules.Rules {
		if r.Status != rules.Compiled {
			t.Fatalf("%s: %s %s", r.ID, r.Status, r.Reason)
		}
	}
	sch := formtest.Compile(t, s.ID, f.JSONSchema(""))
	for _, tt := range []struct {
		land  string
		given int
	}{{"TH", 0}, {"RP", 2}} {
		if msg := checkExample(t, f, sch, tt.land); msg != "" {
			t.Errorf("%s:%s", tt.land, msg)
		}
		ctx := testCtx
		ctx.Bundesland = tt.land
		ex := f.Example(ctx)
		given := 0
		for _, id := range []string{"G10002", "G10003"} {
			if _, ok := ex[id]; ok {
				given++
			}
		}
		if given != tt.given {
			t.Errorf("%s: %d groups given, want %d: %v", tt.land, given, tt.given, ex)
		}
	}
}
