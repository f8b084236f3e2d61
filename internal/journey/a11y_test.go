package journey

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
)

// fixtureDir holds further real FIM schemas (read only); tests that use it
// skip when it is absent.
const fixtureDir = "/work/shared/fixtures/fim"

// loadSchemaFile reads a schema from the samples ("xdf3/…") or, with an
// absolute path, from anywhere.
func loadSchemaFile(tb testing.TB, name string) *Form {
	tb.Helper()
	if !filepath.IsAbs(name) {
		return loadForm(tb, name)
	}
	b, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		tb.Skipf("%s not present", name)
	}
	if err != nil {
		tb.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), filepath.Base(name), fim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return NewForm(s)
}

// fieldsOf walks the views of every step (no data) and calls fn for each
// field item with the labels of its enclosing groups.
func fieldsOf(f *Form, fn func(groups []string, it *Item)) {
	for _, st := range f.Steps {
		v := f.BuildView(st, map[string]any{}, nil, nil, nil)
		top := []string{st.Title}
		var walk func(its []*Item, groups []string)
		walk = func(its []*Item, groups []string) {
			for _, it := range its {
				switch it.Kind {
				case "field":
					fn(groups, it)
				case "entry":
					walk(it.Children, groups)
				default:
					walk(it.Children, append(append([]string(nil), groups...), it.Label))
				}
			}
		}
		walk(v.Items, top)
	}
}

// TestAutocompleteOnlyForTheApplicant checks the autofill tokens (WCAG 2.1
// SC 1.3.5) on real schemas: the applicant's own name, date of birth,
// address, country, phone and e-mail get them; representatives, businesses,
// former owners, relatives and contact persons get none.
func TestAutocompleteOnlyForTheApplicant(t *testing.T) {
	type want struct {
		groups string // " > "-joined group labels, step title first; a suffix suffices
		field  string // Datenfeld name
		token  string
	}
	tests := []struct {
		schema string
		wants  []want
	}{
		{"xdf3/S05000001162_xdf3.xml", []want{
			{"Person > Angaben zur antragstellenden Person", "Vornamen", "given-name"},
			{"Person > Angaben zur antragstellenden Person", "Familienname", "family-name"},
			{"Person > Angaben zur antragstellenden Person", "Geburtsdatum", "bday"},
			{"Angaben zur antragstellenden Person > Anschrift Hauptwohnsitz", "Straße", "address-line1"},
			{"Angaben zur antragstellenden Person > Anschrift Hauptwohnsitz", "Mobilfunknummer", "tel"},
			{"Angaben zur antragstellenden Person > Anschrift Hauptwohnsitz", "E-Mail", "email"}, // a textarea
			{"Person > Angaben zum Unternehmen", "Straße", ""},
			{"Angaben zum Unternehmen > Kontaktperson für Rückfragen", "Vornamen", ""},
			{"Gesetzliche Vertretung", "Vornamen", ""},
		}},
		{"xdf2/S00000009_GewerbeAnmeldung_xdf2.xml", []want{
			{"Angaben zum Betrieb > Früherer Gewerbetreibender", "Vornamen", ""},
			{"Angaben zur Betriebsstätte > Anschrift > Straßenangaben (ohne Hausnummerzusatz)", "Straße", ""},
			{"Angaben zur Hauptniederlassung > Anschrift > Straßenangaben (ohne Hausnummerzusatz)", "Straße", ""},
			{"Angaben zur Vertretungsberechtigten Person / zum Betriebsleiter", "Vornamen", ""},
		}},
		{"xdf2/S05000058_Bewohnerparkausweis_xdf2.xml", []want{
			{"Angaben zur antragstellenden Person", "Geburtsdatum", "bday"},
			{"Angaben zur antragstellenden Person", "Land", "country-name"}, // a select
		}},
		{filepath.Join(fixtureDir, "xdf3/S00000000362_xdf3.xml"), []want{
			{"Angaben zum Antragsteller", "Vornamen", "given-name"},
			{"Angaben zum Antragsteller > Erreichbarkeit", "E-Mail", "email"},
			{"Gesetzlich vertretende Person", "Vornamen", ""},
			{"Gesetzlich vertretende Person > Anschrift > Anschrift in Deutschland > Straßenanschrift", "Straße", ""},
			{"Gesetzlich vertretende juristische Person > Ansprechperson", "Vornamen", ""},
		}},
		{filepath.Join(fixtureDir, "xdf3/S07000000248_xdf3.xml"), []want{
			{"Antragstellende Person", "Vornamen", "given-name"},
			{"Antragstellende Person > Wohnsitz > Auslandsanschrift", "Staat", "country-name"},
		}},
		{filepath.Join(fixtureDir, "xdf3/S05000001381_xdf3.xml"), []want{
			{"Anschrift > Anschrift Ausland > Staat", "Staat Bezeichnung", "country-name"}, // "(strukturiert, XUnternehmen)" is no business
			{"Anschrift > Anschrift Ausland > Staat", "Staat Code", ""},
		}},
		{filepath.Join(fixtureDir, "xdf3/S05000001216_xdf3.xml"), []want{
			{"Person > Auftraggebende Person", "Straße", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.schema), func(t *testing.T) {
			f := loadSchemaFile(t, tt.schema)
			for _, w := range tt.wants {
				found := false
				fieldsOf(f, func(groups []string, it *Item) {
					if it.Element.Name != w.field || !strings.HasSuffix(strings.Join(groups, " > "), w.groups) {
						return
					}
					found = true
					if it.Autocomplete != w.token {
						t.Errorf("%s > %s: autocomplete %q, want %q", strings.Join(groups, " > "), w.field, it.Autocomplete, w.token)
					}
				})
				if !found {
					t.Errorf("no field %q under %q", w.field, w.groups)
				}
			}
		})
	}
}

// TestSubjectOfBaukastenNames classifies group names of the FIM Baukasten.
func TestSubjectOfBaukastenNames(t *testing.T) {
	tests := []struct {
		name string
		top  bool
		want Subject
	}{
		{"Antragstellende Person", false, SubjectApplicant},
		{"Antragsteller(in)", false, SubjectApplicant},
		{"Angaben zur Person", true, SubjectApplicant},
		{"Angaben zur Person", false, SubjectUnknown},
		{"Person", true, SubjectApplicant},
		{"Person (juristische Person)", true, SubjectOther},
		{"Anschrift Inland", false, SubjectUnknown},
		{"Anschrift Ausland (strukturiert, XUnternehmen)", false, SubjectUnknown},
		{"Kommunikation", false, SubjectUnknown},
		{"Gesetzlicher Vertreter", false, SubjectOther},
		{"Bevollmächtigte Person", false, SubjectOther},
		{"Angaben zur Fahrzeughalterin, zum Fahrzeughalter", false, SubjectOther},
		{"Ehemaliger Inhaber", false, SubjectOther},
		{"Betrieb", false, SubjectOther},
		{"Postfachanschrift", false, SubjectOther},
		{"Angaben zum Unternehmen", false, SubjectOther},
		{"Firma", false, SubjectOther},
		{"Niederlassung", false, SubjectOther},
		{"Arbeitgeber / Arbeitgeberin", false, SubjectOther},
		{"Persönliche Angaben zum Kind des Antragstellers", false, SubjectOther},
		{"Ehegatte / Ehegattin", false, SubjectOther},
		{"Angaben Antragsteller oder Gesetzlicher Vertreter", false, SubjectOther},
		{"Früherer Wohnsitz", false, SubjectOther},
	}
	for _, tt := range tests {
		if got := SubjectOf(&form.Element{Name: tt.name}, tt.top); got != tt.want {
			t.Errorf("SubjectOf(%q, top %v) = %d, want %d", tt.name, tt.top, got, tt.want)
		}
	}
	if got := SubjectApplicant.Within(SubjectUnknown); got != SubjectApplicant {
		t.Errorf("an address inside the applicant's group: %d", got)
	}
	if got := SubjectApplicant.Within(SubjectOther); got != SubjectOther {
		t.Errorf("a representative inside the applicant's group: %d", got)
	}
}

// TestErrorSummaryAnchorsOfSelectsExist: the error summary of a select
// (a code list with more than MaxRadios values) linked to "#f-…-0", the id
// of its first option, which a <select> does not render. The anchor must
// be the select's own id; for radios the first radio; for dates the day.
func TestErrorSummaryAnchorsOfSelectsExist(t *testing.T) {
	f := loadForm(t, "xdf2/S05000058_Bewohnerparkausweis_xdf2.xml")
	seen := map[Widget]bool{}
	for _, st := range f.Steps {
		var problems form.Problems
		v0 := f.BuildView(st, map[string]any{}, nil, nil, nil)
		var collect func(its []*Item)
		collect = func(its []*Item) {
			for _, it := range its {
				if it.Kind == "field" {
					problems = append(problems, form.Problem{Path: it.Name, Code: form.CodeRequired, Message: "Fehlt: " + it.Label})
				}
				collect(it.Children)
			}
		}
		collect(v0.Items)
		v := f.BuildView(st, map[string]any{}, nil, nil, problems)
		var check func(its []*Item)
		check = func(its []*Item) {
			for _, it := range its {
				check(it.Children)
				if it.Kind != "field" {
					continue
				}
				seen[it.Widget] = true
				want := it.ID
				switch {
				case it.Widget == WRadios || it.Widget == WYesNo || it.Consent:
					want = it.Options[0].ID
				case it.Widget == WDate || it.Widget == WDateTime:
					want = it.ID + "-tag"
				case len(it.Inputs) > 0 && it.Widget != WCheckbox:
					want = it.Inputs[0].ID
				case it.Widget == WLabel || it.Widget == WReadonly:
					want = it.Box
				}
				if it.Anchor != want {
					t.Errorf("step %d, %s (%s): anchor %q, want %q", st.Index+1, it.Label, it.Widget, it.Anchor, want)
				}
				found := false
				for _, p := range v.Problems {
					found = found || p.Path == it.Anchor
				}
				if !found && it.Widget != WLabel && it.Widget != WReadonly {
					t.Errorf("step %d, %s: the error summary does not link to %q", st.Index+1, it.Label, it.Anchor)
				}
			}
		}
		check(v.Items)
	}
	if !seen[WSelect] {
		t.Fatalf("the schema has no select field any more; choose another")
	}
}

// TestErrorSummaryAnchorOfAFullFileField: once no more files may be added
// the file input is gone; the error summary then links to the list of
// uploaded files.
func TestErrorSummaryAnchorOfAFullFileField(t *testing.T) {
	f := loadForm(t, "xdf2/S05000058_Bewohnerparkausweis_xdf2.xml")
	n := 0
	for _, st := range f.Steps {
		for i := range st.Children {
			c := &st.Children[i]
			if c.Element.Kind != form.KindField || WidgetOf(c.Element, c.Anzahl) != WFile || c.Anzahl.Repeats() {
				continue
			}
			n++
			p := st.Parent.Key(c.Element.ID)
			ref := map[string]any{"attachmentId": "3f1c2a9e-1b2c-4d5e-8f90-123456789abc", "filename": "a.pdf", "mimeType": "application/pdf",
				"size": json.Number("1234"), "hash": map[string]any{"type": "sha512", "content": strings.Repeat("a", 128)}}
			doc := map[string]any{}
			st.Object(doc, true)[c.Element.ID] = ref
			v := f.BuildView(st, doc, nil, nil, form.Problems{{Path: p.String(), Code: form.CodeFile, Message: "Datei fehlerhaft"}})
			var it *Item
			for _, x := range v.Items {
				if x.Name == p.String() {
					it = x
				}
			}
			if it == nil {
				t.Fatalf("no item %s", p)
			}
			if it.CanAdd || len(it.Files) != 1 {
				t.Fatalf("%s: CanAdd %v, %d files", p, it.CanAdd, len(it.Files))
			}
			if it.Anchor != FilesID(p) || len(v.Problems) != 1 || v.Problems[0].Path != FilesID(p) {
				t.Errorf("%s: anchor %q, problems %v, want the file list %q", p, it.Anchor, v.Problems, FilesID(p))
			}
			if it.Files[0].Size != "1,2 kB" {
				t.Errorf("size %q, want 1,2 kB", it.Files[0].Size)
			}
		}
	}
	if n == 0 {
		t.Fatal("no single file field on a step's top level")
	}
}

// TestFileHintWithoutContradictingLimit: a hint that states its own size
// limit ("max. 2 MB") next to the one the server enforces.
func TestFileHintWithoutContradictingLimit(t *testing.T) {
	for in, want := range map[string]string{
		"Laden Sie eine Nutzungsüberlassungserklärung hoch (Dateigröße max. 2 MB).": "Laden Sie eine Nutzungsüberlassungserklärung hoch.",
		"Bitte als PDF, maximal 5 MB":      "Bitte als PDF,",
		"Scan des Ausweises":               "Scan des Ausweises",
		"Höchstens 500 KB pro Seite.":      "pro Seite.",
		"Dateien bis zu 1,5 MB hochladen.": "Dateien hochladen.",
	} {
		if got := withoutSizeLimit(in); got != want {
			t.Errorf("withoutSizeLimit(%q) = %q, want %q", in, got, want)
		}
	}
	f := loadForm(t, "xdf2/S05000058_Bewohnerparkausweis_xdf2.xml")
	n := 0
	fieldsOf(f, func(_ []string, it *Item) {
		if it.Widget == WFile {
			n++
			if strings.Contains(it.Hint, "MB") {
				t.Errorf("%s: hint %q states a size limit of its own", it.Label, it.Hint)
			}
		}
	})
	if n == 0 {
		t.Fatal("no file field")
	}
}

// TestConsentIsOneCheckbox: a code list with one value ("Ich stimme zu.")
// was a single radio button that could not be unchecked.
func TestConsentIsOneCheckbox(t *testing.T) {
	f := loadForm(t, "xdf2/S05000058_Bewohnerparkausweis_xdf2.xml")
	n := 0
	for _, st := range f.Steps {
		v := f.BuildView(st, map[string]any{}, nil, nil, nil)
		var walk func(its []*Item)
		walk = func(its []*Item) {
			for _, it := range its {
				walk(it.Children)
				if it.Kind != "field" || !it.Element.HasCodes() || len(it.Element.Codes()) != 1 {
					continue
				}
				n++
				if it.Widget != WCheckbox || !it.Consent || len(it.Options) != 1 || it.Options[0].Value != it.Element.Codes()[0].Code {
					t.Errorf("%s: widget %s, consent %v, options %+v", it.Label, it.Widget, it.Consent, it.Options)
				}
				// The post of the checked box stores the code, as the radio did.
				vals, _ := f.FormValues(st, map[string]any{})
				vals.Set(it.Name, it.Options[0].Value)
				post := f.ParseStep(st, map[string]any{}, vals, ParseAction("aktualisieren"), nil, nil, testCtx)
				if got := form.ValueAt(post.Data, it.Path); got != it.Options[0].Value {
					t.Errorf("%s: checked stores %v, want %q", it.Label, got, it.Options[0].Value)
				}
				// Unchecked: nothing posted, nothing stored.
				vals.Del(it.Name)
				post = f.ParseStep(st, map[string]any{}, vals, ParseAction("aktualisieren"), nil, nil, testCtx)
				if got := form.ValueAt(post.Data, it.Path); got != nil {
					t.Errorf("%s: unchecked stores %v", it.Label, got)
				}
			}
		}
		walk(v.Items)
	}
	if n < 2 {
		t.Fatalf("%d consents, want the schema's 2", n)
	}
}

// TestStepTitlesNameTheirOwnPart: every part of a split group has a
// subtitle, which is the step's heading.
func TestStepTitlesNameTheirOwnPart(t *testing.T) {
	f := loadForm(t, "xdf3/S05000001162_xdf3.xml")
	split := 0
	for _, st := range f.Steps {
		if st.ParentChild == nil || countFields(st.ParentChild.Element) <= MaxStepFields {
			continue
		}
		split++
		if st.Subtitle == "" || st.Heading() != st.Subtitle {
			t.Errorf("step %d of split group %q: subtitle %q, heading %q", st.Index+1, st.Title, st.Subtitle, st.Heading())
		}
	}
	if split < 10 {
		t.Fatalf("only %d steps of split groups", split)
	}
}

// TestAnswersKeepTheSchemaOrder: a group's plain fields were listed before
// its subgroups (in the summary, the receipt and the caseworker's view),
// whatever the schema's order.
func TestAnswersKeepTheSchemaOrder(t *testing.T) {
	answerAfterGroup := 0
	for _, name := range samples.Files() {
		f := loadForm(t, name)
		secs := f.Answers(f.Example(testCtx), nil, false)
		// walk checks that the items of s follow the order of children
		// (below parent).
		var walk func(s *Section, parent form.Path, children []form.Child)
		walk = func(s *Section, parent form.Path, children []form.Child) {
			last, sawGroup := -1, false
			for _, it := range s.Items {
				idx := -1
				for i, c := range children {
					id := HTMLID(parent.Key(c.Element.ID))
					if it.Anchor == id || strings.HasPrefix(it.Anchor, id+"-") && strings.Trim(it.Anchor[len(id)+1:], "0123456789") == "" {
						idx = i
					}
				}
				if idx < 0 {
					t.Fatalf("%s: item %q (%s) is no child of %q", name, it.Label, it.Anchor, s.Title)
				}
				if idx < last {
					t.Errorf("%s, %q: %q comes after an element that follows it in the schema", name, s.Title, it.Label)
				}
				last = idx
				if it.Section == nil {
					if sawGroup {
						answerAfterGroup++
					}
					continue
				}
				sawGroup = true
				c := children[idx]
				p := parent.Key(c.Element.ID)
				if c.Anzahl.Repeats() {
					n, _ := strconv.Atoi(it.Anchor[len(HTMLID(p))+1:])
					p = p.Index(n)
				}
				walk(it.Section, p, c.Element.Struktur)
			}
		}
		for i := range secs {
			st := f.Steps[secs[i].Step]
			if st.Choice != nil {
				continue // the answer to a choice step, not schema elements
			}
			walk(&secs[i], st.Parent, st.Children)
		}
	}
	if answerAfterGroup == 0 {
		t.Errorf("no answer follows a subgroup in any sample: the test proves nothing")
	}
}
