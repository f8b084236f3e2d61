package area_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

func parseFile(t *testing.T, name string) []area.Area {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	areas, err := area.ParseGenericode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return areas
}

func byARS(areas []area.Area) map[string]area.Area {
	m := map[string]area.Area{}
	for _, a := range areas {
		m[a.ARS] = a
	}
	return m
}

func TestParseGenericodeKreise(t *testing.T) {
	areas := parseFile(t, "destatis.kreis_2026-01-31.xml")
	// 518 rows, of which the 117 Stadtteile of Hamburg and Bezirke of
	// Berlin (marked in Hinweis) are no Kreise.
	if len(areas) != 401 {
		t.Errorf("%d Kreise, want 401", len(areas))
	}
	m := byARS(areas)
	for ars, want := range map[string]area.Area{
		"01001": {ARS: "01001", Name: "Flensburg, Stadt", Level: area.Kreis, Parent: "01"},
		"16051": {ARS: "16051", Name: "Erfurt, Stadt", Level: area.Kreis, Parent: "16"},
		"02000": {ARS: "02000", Name: "Hamburg, Freie und Hansestadt", Level: area.Kreis, Parent: "02"},
		"11000": {ARS: "11000", Name: "Berlin, Stadt", Level: area.Kreis, Parent: "11"},
		"16077": {ARS: "16077", Name: "Altenburger Land", Level: area.Kreis, Parent: "16"},
	} {
		if got := m[ars]; got != want {
			t.Errorf("%s: %+v, want %+v", ars, got, want)
		}
	}
	for _, gone := range []string{"02101", "11001"} {
		if _, ok := m[gone]; ok {
			t.Errorf("Stadtteil %s imported as a Kreis", gone)
		}
	}
	for _, a := range areas {
		if a.Level != area.Kreis {
			t.Errorf("%+v is not a Kreis", a)
		}
	}
	if areas[0].ARS != "01001" {
		t.Errorf("first area %+v: the list's order is lost", areas[0])
	}
}

func TestParseGenericodeLaender(t *testing.T) {
	areas := parseFile(t, "bundesland_2010-04-01.xml")
	if len(areas) != 16 {
		t.Fatalf("%d Länder", len(areas))
	}
	if a := byARS(areas)["16"]; a.Name != "Thüringen" || a.Level != area.Land || a.Parent != "" {
		t.Errorf("16: %+v", a)
	}
}

// TestParseGenericodeGemeinden: the Regionalschlüssel list's layout, with
// its columns in another order, found by name.
func TestParseGenericodeGemeinden(t *testing.T) {
	areas := parseFile(t, "regionalschluessel_excerpt.xml")
	want := []area.Area{
		{ARS: "010010000000", Name: "Flensburg, Stadt", Level: area.Gemeinde, Parent: "01001"},
		{ARS: "010510011011", Name: "Brunsbüttel, Stadt", Level: area.Gemeinde, Parent: "01051"},
		{ARS: "010515163003", Name: "Averlak", Level: area.Gemeinde, Parent: "010515163"},
		{ARS: "020000000000", Name: "Hamburg, Freie und Hansestadt", Level: area.Gemeinde, Parent: "02000"},
		{ARS: "160510000000", Name: "Erfurt, Stadt", Level: area.Gemeinde, Parent: "16051"},
	}
	if len(areas) != len(want) {
		t.Fatalf("got %+v", areas)
	}
	for i := range want {
		if areas[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, areas[i], want[i])
		}
	}
}

const gcHead = `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">` +
	`<Identification><CanonicalUri>urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:test</CanonicalUri></Identification>`

func TestParseGenericodeColumnsByShortName(t *testing.T) {
	doc := gcHead + `<ColumnSet>
		<Column Id="c1"><ShortName>name</ShortName></Column>
		<Column Id="c2"><ShortName>code</ShortName></Column>
	</ColumnSet><SimpleCodeList>
		<Row><Value ColumnRef="c1"><SimpleValue>Thüringen</SimpleValue></Value><Value ColumnRef="c2"><SimpleValue>16</SimpleValue></Value></Row>
	</SimpleCodeList></gc:CodeList>`
	areas, err := area.ParseGenericode(strings.NewReader(doc))
	if err != nil || len(areas) != 1 || areas[0].ARS != "16" || areas[0].Name != "Thüringen" {
		t.Errorf("%+v, %v", areas, err)
	}
}

func TestParseGenericodeErrors(t *testing.T) {
	cols := `<ColumnSet><Column Id="SCHLUESSEL"/><Column Id="Bezeichnung"/></ColumnSet>`
	row := func(k, n string) string {
		return `<Row><Value ColumnRef="SCHLUESSEL"><SimpleValue>` + k + `</SimpleValue></Value><Value ColumnRef="Bezeichnung"><SimpleValue>` + n + `</SimpleValue></Value></Row>`
	}
	list := func(rows ...string) string {
		return gcHead + cols + `<SimpleCodeList>` + strings.Join(rows, "") + `</SimpleCodeList></gc:CodeList>`
	}
	for name, c := range map[string]struct{ doc, msg string }{
		"syntax":         {"<gc:CodeList xmlns:gc=\"http://docs.oasis-open.org/codelist/ns/genericode/1.0/\">\n<ColumnSet>\n<oops</gc:CodeList>", "Zeile 3"},
		"empty":          {"", "genericode"},
		"not genericode": {`<CodeList xmlns="urn:other"/>`, "Namensraum"},
		// A FIM code list of yes/no answers is no list of areas.
		"not Destatis": {strings.Replace(list(row("01", "Ich stimme zu.")), "destatis:bevoelkerungsstatistik:schluessel:test", "fim:codeliste:zustimmung", 1), "keine Schlüsselliste von Destatis"},
		"no rows":      {list(), "ohne Gebiete"},
		"no key":       {list(row("", "X")), "ohne Schlüssel"},
		"no name":      {list(row("16", "")), "ohne Namen"},
		"bad key":      {list(row("1605", "X")), "1605"},
		"AGS":          {list(row("16051000", "Erfurt")), "Gemeindeschlüssel"},
		"twice":        {list(row("16", "A"), row("16", "B")), "mehrfach"},
	} {
		_, err := area.ParseGenericode(strings.NewReader(c.doc))
		if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want apperr.Invalid with %q", name, err, c.msg)
		}
	}
}

func TestParseGenericodeTooLarge(t *testing.T) {
	big := strings.NewReader(gcHead + "<!--" + strings.Repeat("x", area.MaxGenericodeBytes) + "-->")
	if _, err := area.ParseGenericode(big); !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "größer") {
		t.Errorf("too large: %v", err)
	}
}
