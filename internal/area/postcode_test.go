package area_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

func TestReadPostcodesAntrag(t *testing.T) {
	in := "\ufeffPostcode;Street;ARS;Name\n" +
		"55270;Hauptstraße;073395001002;Beispieldorf\n" +
		"55270; Lindenweg ;073395001003;Musterhausen\n" +
		"55270;Hauptstr.;073395001002;Beispieldorf\n" + // the same street, written short
		"99084;;16051000;Musterstadt\n" + // AGS of a kreisfreie Stadt
		"55218;;07339001;Beispielstadt\n" // AGS of a kreisangehörige Gemeinde
	format, entries, err := area.ReadPostcodes(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []area.PostcodeEntry{
		{Postcode: "55270", Street: "Hauptstraße", ARS: "073395001002", Name: "Beispieldorf"},
		{Postcode: "55270", Street: "Lindenweg", ARS: "073395001003", Name: "Musterhausen"},
		{Postcode: "99084", ARS: "160510000000", AGS: "16051000", Name: "Musterstadt"},
		{Postcode: "55218", AGS: "07339001", Name: "Beispielstadt"},
	}
	if format != area.FormatAntrag || !slices.Equal(entries, want) {
		t.Errorf("%s %+v\nwant %+v", format, entries, want)
	}
	// Without a street column.
	entries, err = area.ParsePostcodes(strings.NewReader("postcode,ars,name\n99085,160510000000,Musterstadt\n"))
	if err != nil || len(entries) != 1 || entries[0].Street != "" || entries[0].ARS != "160510000000" {
		t.Errorf("%+v, %v", entries, err)
	}
}

func TestReadPostcodesOpenPLZ(t *testing.T) {
	f, err := os.Open("testdata/openplz_streets_excerpt.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	format, entries, err := area.ReadPostcodes(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []area.PostcodeEntry{
		{Postcode: "27580", Street: "Alfred-Wegener-Str.", ARS: "040110000000", AGS: "04011000", Name: "Bremen"},
		{Postcode: "55270", Street: "72 Stunden Park", AGS: "07339032", Name: "Klein-Winternheim"},
		{Postcode: "55411", Street: "Am Kreuzbach", AGS: "07339063", Name: "Weiler bei Bingen"},
		{Postcode: "03149", Street: `Lehrpfad Freilichtmuseum "Zeitsprung"`, AGS: "12071414", Name: "Wiesengrund"},
		{Postcode: "01454", Street: "Am Sportplatz", ARS: "146120000000", AGS: "14612000", Name: "Dresden"},
	}
	if format != area.FormatOpenPLZ || !slices.Equal(entries, want) {
		t.Errorf("%s %+v\nwant %+v", format, entries, want)
	}
	// The localities table: the place in Name, no street.
	entries, err = area.ParsePostcodes(strings.NewReader("PostalCode,Name,RegionalKey\n99084,Erfurt,16051000\n"))
	if err != nil || len(entries) != 1 || entries[0].Name != "Erfurt" || entries[0].Street != "" || entries[0].ARS != "160510000000" {
		t.Errorf("localities: %+v, %v", entries, err)
	}
}

func TestReadPostcodesErrors(t *testing.T) {
	for name, c := range map[string]struct{ in, msg string }{
		"empty":            {"", "leer"},
		"unknown header":   {"plz,ort\n99084,Erfurt\n", "Kopfzeile"},
		"postcode":         {"postcode,street,ars,name\n9908,,160510000000,Erfurt\n", "Zeile 2: Postleitzahl"},
		"postcode letters": {"postcode,street,ars,name\n9908a,,160510000000,Erfurt\n", "Postleitzahl"},
		"key":              {"postcode,street,ars,name\n99084,,16051,Erfurt\n", "Gemeindeschlüssel"},
		"key no Land":      {"postcode,street,ars,name\n99084,,99051000,Erfurt\n", "Gemeindeschlüssel"},
		"ARS no Land":      {"postcode,street,ars,name\n99084,,990510000000,Erfurt\n", "Land"},
		"no name":          {"postcode,street,ars,name\n99084,,160510000000,\n", "Ortsnamen"},
		"long name":        {"postcode,street,ars,name\n99084," + strings.Repeat("x", 301) + ",160510000000,Erfurt\n", "300"},
		"not UTF-8":        {"postcode,street,ars,name\n99084,\xff,160510000000,Erfurt\n", "UTF-8"},
		"field count":      {"postcode,street,ars,name\n99084,160510000000,Erfurt\n", "Zeile 2: andere Zahl"},
		"quote":            {"postcode,street,ars,name\n99084,\"Haupt,160510000000,Erfurt\n", "CSV"},
	} {
		_, err := area.ParsePostcodes(strings.NewReader(c.in))
		if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want apperr.Invalid with %q", name, err, c.msg)
		}
	}
}

func TestResolveAGS(t *testing.T) {
	gemeinden := []area.Area{
		mustArea(t, "073395001001", "Beispielstadt"),
		mustArea(t, "07339", "Landkreis Beispielkreis"), // not a Gemeinde: ignored
	}
	entries := []area.PostcodeEntry{
		{Postcode: "55218", AGS: "07339001", Name: "Beispielstadt"},
		{Postcode: "55270", AGS: "07339032", Name: "Klein-Winternheim"},
		{Postcode: "55271", AGS: "07339032", Name: "Klein-Winternheim"},
		{Postcode: "99084", ARS: "160510000000", AGS: "16051000", Name: "Musterstadt"},
	}
	unresolved := area.ResolveAGS(entries, gemeinden)
	if !slices.Equal(unresolved, []string{"07339032"}) {
		t.Errorf("unresolved %v", unresolved)
	}
	if entries[0].ARS != "073395001001" || entries[1].ARS != "" || entries[3].ARS != "160510000000" {
		t.Errorf("%+v", entries)
	}
}

func TestNormalizeStreet(t *testing.T) {
	same := [][]string{
		{"Hauptstraße", "Hauptstrasse", "Hauptstr.", "hauptstr", " HAUPTSTRASSE ", "Haupt\u0073tra\u00dfe"},
		{"Straße des 17. Juni", "Str. des 17. Juni", "strasse  des 17.  juni"},
		{"Große Gasse", "Grosse Gasse", "GROSSE GASSE"},
		{"Lindenweg", "lindenweg."},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if a, b := area.NormalizeStreet(group[0]), area.NormalizeStreet(s); a != b {
				t.Errorf("%q → %q, %q → %q", group[0], a, s, b)
			}
		}
	}
	if area.NormalizeStreet("Hauptstraße") == area.NormalizeStreet("Hauptweg") {
		t.Error("different streets are equal")
	}
	// Decomposed umlaut (NFD) equals the composed one.
	if area.NormalizeStreet("Mu\u0308hlenweg") != area.NormalizeStreet("Mühlenweg") {
		t.Error("NFD and NFC differ")
	}
}

func TestLookup(t *testing.T) {
	_, entries := area.Demo()
	names := func(as []area.Area) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Name+" "+a.ARS)
		}
		return out
	}
	for _, c := range []struct {
		postcode, street string
		want             []string
	}{
		{"99084", "", []string{"Musterstadt 160510000000"}},
		{"99084", "Irgendeine Straße", []string{"Musterstadt 160510000000"}},
		{"55218", "", []string{"Beispielstadt 073395001001"}},
		// A postcode in two Gemeinden: both, sorted by name; a street
		// decides.
		{"55270", "", []string{"Beispieldorf 073395001002", "Musterhausen 073395001003"}},
		{"55270", "Hauptstraße", []string{"Beispieldorf 073395001002"}},
		{"55270", "hauptstr.", []string{"Beispieldorf 073395001002"}},
		{"55270", " Lindenweg ", []string{"Musterhausen 073395001003"}},
		{"55270", "Unbekannter Weg", []string{"Beispieldorf 073395001002", "Musterhausen 073395001003"}},
		{"12345", "", nil},
	} {
		got := area.Lookup(entries, c.postcode, c.street)
		if g := names(got); !slices.Equal(g, c.want) {
			t.Errorf("Lookup(%s, %q) = %v, want %v", c.postcode, c.street, g, c.want)
		}
		for _, a := range got {
			if a.Level != area.Gemeinde {
				t.Errorf("%+v is no Gemeinde", a)
			}
		}
	}
}

func TestLookupSortsGerman(t *testing.T) {
	entries := []area.PostcodeEntry{
		{Postcode: "01234", ARS: "160510000003", Name: "Zell"},
		{Postcode: "01234", ARS: "160510000002", Name: "Öhringen"},
		{Postcode: "01234", ARS: "160510000001", Name: "Ohrdruf"},
		{Postcode: "01234", ARS: "160510000002", Name: "Öhringen-Ost"}, // same Gemeinde: once
		{Postcode: "01234", AGS: "16051004", Name: "Aach"},             // unresolved: skipped
	}
	var got []string
	for _, a := range area.Lookup(entries, "01234", "") {
		got = append(got, a.Name)
	}
	if want := []string{"Ohrdruf", "Öhringen", "Zell"}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

func TestDemo(t *testing.T) {
	areas, entries := area.Demo()
	m := byARS(areas)
	if len(m) != 12 || len(areas) != 12 {
		t.Errorf("%d areas", len(areas))
	}
	for ars, lvl := range map[string]area.Level{
		"16": area.Land, "16051": area.Kreis, "160510000000": area.Gemeinde, "07": area.Land, "07339": area.Kreis,
		"073395001": area.Gemeindeverband, "073395001001": area.Gemeinde, "073395001002": area.Gemeinde, "073395001003": area.Gemeinde,
		"09": area.Land, "09189": area.Kreis, "091895001001": area.Gemeinde,
	} {
		if a, ok := m[ars]; !ok || a.Level != lvl || a.Validate() != nil {
			t.Errorf("%s: %+v", ars, a)
		}
	}
	if m["073395001002"].Parent != "073395001" || m["160510000000"].Parent != "16051" {
		t.Errorf("parents: %+v", areas)
	}
	if len(entries) != 6 {
		t.Errorf("%d postcode entries", len(entries))
	}
	for _, e := range entries {
		if _, ok := m[e.ARS]; !ok {
			t.Errorf("entry %+v names an area the demo lacks", e)
		}
	}
}

func mustArea(t *testing.T, ars, name string) area.Area {
	t.Helper()
	a, err := area.New(ars, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
