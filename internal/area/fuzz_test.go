package area_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/antrag/antrag/internal/area"
)

func FuzzParseGenericode(f *testing.F) {
	for _, name := range []string{"bundesland_2010-04-01.xml", "regionalschluessel_excerpt.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(gcHead + `<ColumnSet><Column Id="a"/></ColumnSet><SimpleCodeList><Row><Value ColumnRef="a"><SimpleValue>16</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		areas, err := area.ParseGenericode(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(areas) == 0 {
			t.Fatal("no error and no areas")
		}
		seen := map[string]bool{}
		for _, a := range areas {
			if err := a.Validate(); err != nil {
				t.Fatalf("parsed an invalid area %+v: %v", a, err)
			}
			if seen[a.ARS] {
				t.Fatalf("%s twice", a.ARS)
			}
			seen[a.ARS] = true
		}
	})
}

func FuzzParsePostcodes(f *testing.F) {
	b, err := os.ReadFile("testdata/openplz_streets_excerpt.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("postcode,street,ars,name\n55270,Hauptstraße,073395001002,Beispieldorf\n99084,,16051000,Musterstadt\n"))
	f.Add([]byte("postcode;ars;name\n55218;07339001;Beispielstadt\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := area.ParsePostcodes(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, e := range entries {
			if len(e.Postcode) != 5 || e.Name == "" || e.ARS == "" && e.AGS == "" {
				t.Fatalf("parsed a malformed entry %+v", e)
			}
			if e.ARS != "" {
				if l, err := area.LevelOf(e.ARS); err != nil || l != area.Gemeinde {
					t.Fatalf("entry %+v: ARS is no Gemeinde", e)
				}
			}
			for _, a := range area.Lookup(entries, e.Postcode, e.Street) {
				if a.Level != area.Gemeinde {
					t.Fatalf("Lookup gave %+v", a)
				}
			}
		}
	})
}
