package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

func newArea(t *testing.T, ars, name string) area.Area {
	t.Helper()
	a, err := area.New(ars, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func areaKeys(as []area.Area) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ARS)
	}
	return out
}

// testAreas: the demo's areas and postcodes stored, read by key, prefix
// and level, and looked up by postcode and street.
func testAreas(t *testing.T, db Stores) {
	ctx := context.Background()
	areas, entries := area.Demo()
	if err := db.ReplaceAreas(ctx, areas); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplacePostcodes(ctx, entries); err != nil {
		t.Fatal(err)
	}

	got, err := db.Area(ctx, "073395001002")
	if want := newArea(t, "073395001002", "Beispieldorf"); err != nil || got != want {
		t.Errorf("Area: %+v, %v; want %+v", got, err, want)
	}
	if _, err := db.Area(ctx, "073395001009"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("unknown area: %v", err)
	}

	all, err := db.Areas(ctx, "", "")
	if err != nil || len(all) != len(areas) {
		t.Errorf("all areas: %v, %v", areaKeys(all), err)
	}
	for _, c := range []struct {
		prefix string
		level  area.Level
		want   []string
	}{
		{"07", area.Gemeinde, []string{"073395001001", "073395001002", "073395001003"}},
		{"07339", "", []string{"07339", "073395001", "073395001001", "073395001002", "073395001003"}},
		{"16", "", []string{"16", "16051", "160510000000"}},
		{"", area.Land, []string{"07", "09", "16"}},
		{"1", area.Kreis, []string{"16051"}},
		{"09", "", []string{"09", "09189", "091895001001"}},
		{"08", "", nil},
	} {
		got, err := db.Areas(ctx, c.prefix, c.level)
		if err != nil || !slices.Equal(areaKeys(got), c.want) {
			t.Errorf("Areas(%q, %q) = %v, %v; want %v", c.prefix, c.level, areaKeys(got), err, c.want)
		}
	}
	if _, err := db.Areas(ctx, "16%", ""); !errors.Is(err, apperr.Invalid) {
		t.Errorf("prefix with a wildcard: %v", err)
	}

	for _, c := range []struct {
		postcode, street string
		want             []string
	}{
		{"99084", "", []string{"Musterstadt"}},
		{"99085", "Domplatz", []string{"Musterstadt"}},
		{"55218", "", []string{"Beispielstadt"}},
		{"55270", "", []string{"Beispieldorf", "Musterhausen"}},
		{"55270", "Hauptstr.", []string{"Beispieldorf"}},
		{"55270", "LINDENWEG", []string{"Musterhausen"}},
		{"55270", "Bahnhofstraße", []string{"Beispieldorf", "Musterhausen"}},
	} {
		got, err := db.Municipalities(ctx, c.postcode, c.street)
		var names []string
		for _, a := range got {
			names = append(names, a.Name)
			if a.Level != area.Gemeinde {
				t.Errorf("%+v is no Gemeinde", a)
			}
		}
		if err != nil || !slices.Equal(names, c.want) {
			t.Errorf("Municipalities(%s, %q) = %v, %v; want %v", c.postcode, c.street, names, err, c.want)
		}
	}
	if _, err := db.Municipalities(ctx, "12345", ""); !errors.Is(err, apperr.NotFound) {
		t.Errorf("unknown postcode: %v", err)
	}
	if _, err := db.Municipalities(ctx, "1234", ""); !errors.Is(err, apperr.Invalid) {
		t.Errorf("malformed postcode: %v", err)
	}
}

// testReplaceAreasByLevel: an import replaces the levels it covers and
// keeps the others.
func testReplaceAreasByLevel(t *testing.T, db Stores) {
	ctx := context.Background()
	gemeinden := []area.Area{newArea(t, "160510000000", "Erfurt, Stadt"), newArea(t, "160520000000", "Gera, Stadt"),
		newArea(t, "160560000000", "Eisenach, Stadt")}
	if err := db.ReplaceAreas(ctx, gemeinden); err != nil {
		t.Fatal(err)
	}
	kreise := []area.Area{newArea(t, "16051", "Erfurt, Stadt"), newArea(t, "16052", "Gera, Stadt")}
	if err := db.ReplaceAreas(ctx, kreise); err != nil {
		t.Fatal(err)
	}
	all, err := db.Areas(ctx, "", "")
	if want := []string{"16051", "160510000000", "16052", "160520000000", "160560000000"}; err != nil || !slices.Equal(areaKeys(all), want) {
		t.Fatalf("after the Kreis list: %v, %v; want %v", areaKeys(all), err, want)
	}
	// A newer Gemeinde list: Eisenach merged away, a name changed.
	if err := db.ReplaceAreas(ctx, []area.Area{newArea(t, "160510000000", "Erfurt, Landeshauptstadt"), newArea(t, "160520000000", "Gera, Stadt")}); err != nil {
		t.Fatal(err)
	}
	all, err = db.Areas(ctx, "", "")
	if want := []string{"16051", "160510000000", "16052", "160520000000"}; err != nil || !slices.Equal(areaKeys(all), want) {
		t.Fatalf("after the new Gemeinde list: %v, %v; want %v", areaKeys(all), err, want)
	}
	if a, err := db.Area(ctx, "160510000000"); err != nil || a.Name != "Erfurt, Landeshauptstadt" {
		t.Errorf("renamed: %+v, %v", a, err)
	}

	// Invalid input changes nothing.
	bad := newArea(t, "16053", "Jena")
	bad.Parent = "160"
	for name, in := range map[string][]area.Area{
		"invalid": {newArea(t, "16054", "Suhl"), bad},
		"twice":   {newArea(t, "16054", "Suhl"), newArea(t, "16054", "Suhl")},
	} {
		if err := db.ReplaceAreas(ctx, in); !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := db.ReplaceAreas(ctx, nil); err != nil {
		t.Errorf("empty: %v", err)
	}
	if got, _ := db.Areas(ctx, "", area.Kreis); !slices.Equal(areaKeys(got), []string{"16051", "16052"}) {
		t.Errorf("Kreise after refused imports: %v", areaKeys(got))
	}
}

func testReplacePostcodes(t *testing.T, db Stores) {
	ctx := context.Background()
	first := []area.PostcodeEntry{
		{Postcode: "99084", ARS: "160510000000", Name: "Erfurt"},
		{Postcode: "99084", ARS: "160510000000", AGS: "16051000", Name: "Erfurt"}, // the same, once
	}
	if err := db.ReplacePostcodes(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Without areas the postcode table's name is used.
	if got, err := db.Municipalities(ctx, "99084", ""); err != nil || len(got) != 1 || got[0].Name != "Erfurt" || got[0].Parent != "16051" {
		t.Errorf("%+v, %v", got, err)
	}
	for name, e := range map[string]area.PostcodeEntry{
		"AGS only": {Postcode: "55218", AGS: "07339001", Name: "Beispielstadt"},
		"Kreis":    {Postcode: "55218", ARS: "07339", Name: "Beispielstadt"},
		"postcode": {Postcode: "5521", ARS: "073395001001", Name: "Beispielstadt"},
		"no name":  {Postcode: "55218", ARS: "073395001001"},
	} {
		if err := db.ReplacePostcodes(ctx, []area.PostcodeEntry{{Postcode: "55270", ARS: "073395001002", Name: "X"}, e}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The refused imports left the table as it was.
	if _, err := db.Municipalities(ctx, "99084", ""); err != nil {
		t.Errorf("after refused imports: %v", err)
	}
	// A replacement removes what it lacks.
	if err := db.ReplacePostcodes(ctx, []area.PostcodeEntry{{Postcode: "55218", ARS: "073395001001", Name: "Beispielstadt"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Municipalities(ctx, "99084", ""); !errors.Is(err, apperr.NotFound) {
		t.Errorf("replaced postcode: %v", err)
	}
}
