package area_test

import (
	"errors"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

func TestLevelAndParent(t *testing.T) {
	for _, c := range []struct {
		ars    string
		level  area.Level
		parent string
	}{
		{"16", area.Land, ""},
		{"073", area.Regierungsbezirk, "07"},
		{"16051", area.Kreis, "16"},  // Regierungsbezirk digit 0: the Land
		{"07339", area.Kreis, "073"}, // Regierungsbezirk 3
		{"02000", area.Kreis, "02"},  // Hamburg
		{"073395001", area.Gemeindeverband, "07339"},
		{"073395001001", area.Gemeinde, "073395001"},
		{"160510000000", area.Gemeinde, "16051"}, // kreisfreie Stadt: Gemeindeverband 0000
		{"110000000000", area.Gemeinde, "11000"}, // Berlin
		{"010510011011", area.Gemeinde, "01051"}, // verbandsfreie Gemeinde: 0 + Gemeinde
		{"010515163011", area.Gemeinde, "010515163"},
	} {
		l, err := area.LevelOf(c.ars)
		if err != nil || l != c.level {
			t.Errorf("LevelOf(%s) = %q, %v; want %q", c.ars, l, err, c.level)
		}
		if p := area.Parent(c.ars); p != c.parent {
			t.Errorf("Parent(%s) = %q, want %q", c.ars, p, c.parent)
		}
		a, err := area.New(c.ars, " Name ")
		if err != nil || a.Level != c.level || a.Parent != c.parent || a.Name != "Name" {
			t.Errorf("New(%s) = %+v, %v", c.ars, a, err)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", a, err)
		}
	}
}

func TestLevelOfRejects(t *testing.T) {
	for _, bad := range []string{"", "1", "1605", "160510", "16051000", "1605100000", "1605100000000", "16051x000000",
		"00", "17", "990510000000", "160", " 16", "١٦"} {
		if l, err := area.LevelOf(bad); !errors.Is(err, apperr.Invalid) {
			t.Errorf("LevelOf(%q) = %q, %v; want apperr.Invalid", bad, l, err)
		}
		if p := area.Parent(bad); p != "" {
			t.Errorf("Parent(%q) = %q", bad, p)
		}
	}
	if _, err := area.New("16", "  "); !errors.Is(err, apperr.Invalid) {
		t.Errorf("New without a name: %v", err)
	}
	a, _ := area.New("16051", "Erfurt")
	a.Level = area.Gemeinde
	if err := a.Validate(); !errors.Is(err, apperr.Invalid) {
		t.Errorf("Validate with a wrong level: %v", err)
	}
	a, _ = area.New("16051", "Erfurt")
	a.Parent = "160"
	if err := a.Validate(); !errors.Is(err, apperr.Invalid) {
		t.Errorf("Validate with a wrong parent: %v", err)
	}
}

func TestAGS(t *testing.T) {
	for ags, want := range map[string]string{
		"16051000": "160510000000",
		"02000000": "020000000000",
		"11000000": "110000000000",
		"07339032": "", // a kreisangehörige Gemeinde: the Gemeindeverband is unknown
		"99051000": "", // no Land
		"1605100":  "",
		"1605100x": "",
	} {
		got, ok := area.FromAGS(ags)
		if got != want || ok != (want != "") {
			t.Errorf("FromAGS(%s) = %q, %v; want %q", ags, got, ok, want)
		}
	}
	if got := area.AGSOf("073395001002"); got != "07339002" {
		t.Errorf("AGSOf = %q", got)
	}
	if got := area.AGSOf("07339"); got != "" {
		t.Errorf("AGSOf(Kreis) = %q", got)
	}
}

func TestParseLevel(t *testing.T) {
	for _, l := range area.Levels {
		if got, err := area.ParseLevel(string(l)); err != nil || got != l {
			t.Errorf("ParseLevel(%s) = %q, %v", l, got, err)
		}
		if l.Label() == "" || l.Label() == string(l) {
			t.Errorf("%s has no German label", l)
		}
	}
	if _, err := area.ParseLevel("bezirk"); !errors.Is(err, apperr.Invalid) {
		t.Errorf("ParseLevel(bezirk): %v", err)
	}
}
