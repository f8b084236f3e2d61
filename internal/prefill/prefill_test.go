package prefill_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/prefill"
)

func erika() *identity.Identity {
	return &identity.Identity{Attributes: map[string]string{
		identity.AttrGivenName: "Erika", identity.AttrSurname: "Mustermann", identity.AttrBirthName: "Gabler",
		identity.AttrBirthdate: "1964-08-12", identity.AttrStreet: "Heidestraße 17", identity.AttrPostalCode: "99 084",
		identity.AttrLocality: "Erfurt", identity.AttrCountry: "d", identity.AttrEmail: " erika.mustermann@example.org ",
	}}
}

func sample(t *testing.T, file string) *form.Schema {
	t.Helper()
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	b, err := samples.FS.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), file, fim.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func plan(s *form.Schema, id *identity.Identity) map[string]any {
	m := map[string]any{}
	for _, tg := range prefill.Plan(s, id) {
		m[tg.Path.String()] = tg.Value
	}
	return m
}

func TestPlanXDF3(t *testing.T) {
	got := plan(sample(t, "xdf3/S00000000362_xdf3.xml"), erika())
	p := "G00000002161.G00000002159."
	want := map[string]any{
		p + "F60000000228": "Erika", p + "F60000000227": "Mustermann", p + "F60000000230": "Gabler",
		p + "G60000000083.F60000000231": json.Number("12"), p + "G60000000083.F60000000232": json.Number("8"),
		p + "G60000000083.F60000000233": json.Number("1964"),
		p + "G60000000086.F60000000243": "Heidestraße", p + "G60000000086.F60000000244": "17",
		p + "G60000000086.F60000000246": "99084", p + "G60000000086.F60000000247": "Erfurt",
		p + "G60000000183.F60000000242": "erika.mustermann@example.org",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan\n got %v\nwant %v", got, want)
	}
	// Nothing of the applicant goes to the legal representative's group.
	for k := range got {
		if bytes.Contains([]byte(k), []byte("G60000000220")) {
			t.Errorf("filled the representative: %s", k)
		}
	}
}

func TestPlanXDF2(t *testing.T) {
	got := plan(sample(t, "xdf2/S00000121_BlaueKarteEU_xdf2.xml"), erika())
	for path, v := range map[string]string{"G00000630.F00000045": "Erika", "G00000630.F00000013": "Mustermann", "G00000630.F00000014": "Gabler"} {
		if got[path] != v {
			t.Errorf("%s = %v, want %s (plan %v)", path, got[path], v, got)
		}
	}
	// XDF2 ids in an address, a date field by its label.
	got = plan(sample(t, "xdf2/S05000058_Bewohnerparkausweis_xdf2.xml"), erika())
	for path, v := range map[string]string{
		"G05000496.G05000428.F00000053": "Heidestraße", "G05000496.G05000428.F00000016": "17",
		"G05000496.G00000113.F00000054": "99084", "G05000496.G00000113.F00000035": "Erfurt",
		"G05000496.F05000351": "1964-08-12",
	} {
		if got[path] != v {
			t.Errorf("%s = %v, want %s (plan %v)", path, got[path], v, got)
		}
	}
}

func intp(n int) *int { return &n }

func field(id, name string, dt form.Datentyp) *form.Element {
	return &form.Element{Kind: form.KindField, ID: id, Name: name, Feldart: form.FeldartInput, Datentyp: dt}
}

func TestNormalize(t *testing.T) {
	date := field("F1", "Tag der Geburt", form.DatentypDate)
	for _, in := range []string{"1964-08-12", "12.08.1964", "19640812", " 12.8.1964 "} {
		if v, ok := prefill.Normalize(date, nil, identity.AttrBirthdate, in); !ok || v != "1964-08-12" {
			t.Errorf("date %q → %v %v", in, v, ok)
		}
	}
	if _, ok := prefill.Normalize(date, nil, identity.AttrBirthdate, "12/08/1964"); ok {
		t.Error("an unknown date format was taken")
	}
	plz := field("F60000000246", "Postleitzahl", form.DatentypText)
	plz.Praezisierung.MinLength, plz.Praezisierung.MaxLength = intp(5), intp(5)
	addr := &form.Element{Kind: form.KindGroup, ID: "G60000000086", Name: "Anschrift Inland Straßenanschrift"}
	if v, ok := prefill.Normalize(plz, addr, identity.AttrPostalCode, "99 084"); !ok || v != "99084" {
		t.Errorf("postcode → %v %v", v, ok)
	}
	// Without the schema's postcode marks, the attribute still is one.
	free := field("F9", "PLZ des Wohnorts", form.DatentypText)
	if v, ok := prefill.Normalize(free, nil, identity.AttrPostalCode, " 99 084 "); !ok || v != "99084" {
		t.Errorf("postcode in a free field → %v %v", v, ok)
	}
	country := field("F60000000261", "Staat", form.DatentypText)
	country.Feldart = form.FeldartSelect
	country.Werte = []form.Wert{{Code: "DE", Name: "Deutschland"}, {Code: "AT", Name: "Österreich"}}
	if v, ok := prefill.Normalize(country, addr, identity.AttrCountry, "de"); !ok || v != "DE" {
		t.Errorf("country code case → %v %v", v, ok)
	}
	if _, ok := prefill.Normalize(country, addr, identity.AttrCountry, "XX"); ok {
		t.Error("a code not in the list was taken")
	}
	name := field("F60000000228", "Vornamen", form.DatentypText)
	name.Praezisierung.MaxLength = intp(10)
	if v, ok := prefill.Normalize(name, nil, identity.AttrGivenName, "  Max \t Ludwig "); !ok || v != "Max Ludwig" {
		t.Errorf("white space → %q %v", v, ok)
	}
	if _, ok := prefill.Normalize(name, nil, identity.AttrGivenName, "Maximilian Ludwig"); ok {
		t.Error("a value longer than maxLength was taken")
	}
	num := field("F60000000233", "Jahr", form.DatentypNumInt)
	if v, ok := prefill.Normalize(num, nil, "", "1964"); !ok || v != json.Number("1964") {
		t.Errorf("number → %v %v", v, ok)
	}
}

func TestSplitStreet(t *testing.T) {
	for in, want := range map[string][2]string{
		"Heidestraße 17": {"Heidestraße", "17"}, "Am Anger 3a": {"Am Anger", "3a"},
		"Straße des 17. Juni 12-14": {"Straße des 17. Juni", "12-14"},
	} {
		n, h, ok := prefill.SplitStreet(in)
		if !ok || n != want[0] || h != want[1] {
			t.Errorf("%q → %q %q %v", in, n, h, ok)
		}
	}
	if _, _, ok := prefill.SplitStreet("Marktplatz"); ok {
		t.Error("split a street without number")
	}
}

func schema(children ...form.Child) *form.Schema {
	return &form.Schema{ID: "S1", Struktur: children}
}

func one(e *form.Element) form.Child {
	return form.Child{Anzahl: form.Anzahl{Min: 1, Max: 1}, Element: e}
}

func TestLabelFallbackOnlyWhenUnambiguous(t *testing.T) {
	given := field("F05000001", "Vorname", form.DatentypText)
	s := schema(one(given), one(field("F05000002", "Straße", form.DatentypText)))
	got := plan(s, erika())
	if got["F05000001"] != "Erika" || got["F05000002"] != "Heidestraße 17" {
		t.Errorf("label fallback: %v (a form without house number field gets street and number in one)", got)
	}
	// Two fields labelled "Vorname": whose is which is unknown.
	s = schema(one(given), one(field("F05000003", "Vorname", form.DatentypText)))
	if got := plan(s, erika()); len(got) != 0 {
		t.Errorf("ambiguous labels filled: %v", got)
	}
	// By id, the first occurrence is the applicant's.
	s = schema(one(field("F60000000228", "Vornamen", form.DatentypText)),
		one(&form.Element{Kind: form.KindGroup, ID: "G2", Name: "Kind", Struktur: []form.Child{one(field("F60000000228", "Vornamen", form.DatentypText))}}))
	if got := plan(s, erika()); !reflect.DeepEqual(got, map[string]any{"F60000000228": "Erika"}) {
		t.Errorf("by id: %v", got)
	}
}

func TestFillKeepsTypedAndLocks(t *testing.T) {
	given := field("F60000000228", "Vornamen", form.DatentypText)
	surname := field("F60000000227", "Familienname", form.DatentypText)
	surname.Vorbefuellung = "verpflichtend"
	s := schema(one(&form.Element{Kind: form.KindGroup, ID: "G1", Name: "Antragsteller", Struktur: []form.Child{one(given), one(surname)}}))
	targets := prefill.Plan(s, erika())
	doc := map[string]any{"G1": map[string]any{"F60000000228": "Eri"}}
	set := prefill.Fill(doc, targets)
	if !reflect.DeepEqual(set, []string{"G1.F60000000227"}) {
		t.Errorf("filled %v", set)
	}
	if g := doc["G1"].(map[string]any); g["F60000000228"] != "Eri" || g["F60000000227"] != "Mustermann" {
		t.Errorf("doc %v", doc)
	}
	if p := prefill.Proved(doc, targets); !reflect.DeepEqual(p, []string{"G1.F60000000227"}) {
		t.Errorf("proved %v", p)
	}
	if l := prefill.Locked(doc, targets); len(l) != 1 || l["G1.F60000000227"] != "Mustermann" {
		t.Errorf("locked %v", l)
	}
	// The citizen types the identity's value: it is proved too.
	doc["G1"].(map[string]any)["F60000000228"] = "Erika"
	if p := prefill.Proved(doc, targets); len(p) != 2 {
		t.Errorf("proved after typing the same: %v", p)
	}
	if prefill.Plan(s, nil) != nil {
		t.Error("a plan without identity")
	}
}

// TestNormalizeGermany: accounts send Germany as "D" (BundID), "DE",
// "DEU" or "Deutschland"; a country or nationality field takes the code
// of its list's entry for Germany.
func TestNormalizeGermany(t *testing.T) {
	f, err := os.Open("../fim/codelists/C60000016_genericode.xml") // Destatis Staat, used by the Staat Baukasten field
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	staat, err := fim.ReadGenericode(f)
	if err != nil {
		t.Fatal(err)
	}
	addr := &form.Element{Kind: form.KindGroup, ID: "G60000000086", Name: "Anschrift Inland Straßenanschrift"}
	country := field("F60000000261", "Staat", form.DatentypText)
	country.Feldart = form.FeldartSelect
	country.Codeliste = staat
	for _, in := range []string{"D", "d", "DE", "DEU", "Deutschland", " deutschland "} {
		if v, ok := prefill.Normalize(country, addr, identity.AttrCountry, in); !ok || v != "000" {
			t.Errorf("country %q → %v %v, want 000", in, v, ok)
		}
	}
	nat := field("F60000000236", "Staatsangehörigkeit", form.DatentypText)
	nat.Feldart = form.FeldartSelect
	nat.Codeliste = staat
	if v, ok := prefill.Normalize(nat, nil, identity.AttrNationality, "D"); !ok || v != "000" {
		t.Errorf("nationality D → %v %v, want 000", v, ok)
	}
	// Other countries are not guessed; other attributes are not mapped.
	if v, ok := prefill.Normalize(country, addr, identity.AttrCountry, "AT"); ok {
		t.Errorf("AT → %v", v)
	}
	if v, ok := prefill.Normalize(country, addr, "", "D"); ok {
		t.Errorf("D without the country attribute → %v", v)
	}
	// An ISO-coded list: "D" becomes "DE".
	iso := field("F1", "Staat", form.DatentypText)
	iso.Feldart = form.FeldartSelect
	iso.Werte = []form.Wert{{Code: "AT", Name: "Österreich"}, {Code: "DE", Name: "Deutschland"}}
	if v, ok := prefill.Normalize(iso, addr, identity.AttrCountry, "D"); !ok || v != "DE" {
		t.Errorf("ISO list: D → %v %v", v, ok)
	}
	// A list without Germany takes none of its spellings.
	iso.Werte = []form.Wert{{Code: "AT", Name: "Österreich"}}
	if v, ok := prefill.Normalize(iso, addr, identity.AttrCountry, "DE"); ok {
		t.Errorf("list without Germany: DE → %v", v)
	}
}
