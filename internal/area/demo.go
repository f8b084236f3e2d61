package area

import (
	"bytes"
	_ "embed"
	"fmt"
)

// demoPostcodes is the demo's postcode table, in FormatAntrag.
//
//go:embed demo/postcodes.csv
var demoPostcodes []byte

// demoAreas are the demo's fictitious areas, with well-formed keys.
var demoAreas = [][2]string{
	{"16", "Thüringen"},
	{"16051", "Musterstadt"}, // a kreisfreie Stadt: Kreis and Gemeinde
	{"160510000000", "Musterstadt"},
	{"07", "Rheinland-Pfalz"},
	{"07339", "Landkreis Beispielkreis"},
	{"073395001", "Verbandsgemeinde Beispielland"},
	{"073395001001", "Beispielstadt"},
	{"073395001002", "Beispieldorf"},
	{"073395001003", "Musterhausen"},
	{"09", "Bayern"},
	{"09189", "Landkreis Beispielhausen"},
	{"091895001001", "Beispielhausen"},
}

// Demo returns the demo installation's areas and postcode table: the
// kreisfreie Stadt Musterstadt (Thüringen; postcodes 99084 and 99085) and
// the Verbandsgemeinde Beispielland in the Landkreis Beispielkreis
// (Rheinland-Pfalz) with Beispielstadt (55218), Beispieldorf and
// Musterhausen, which share the postcode 55270: Hauptstraße lies in
// Beispieldorf, Lindenweg in Musterhausen; and Beispielhausen (Bayern,
// 83000), whose authority the demo reaches through the FIT-Connect
// Routing API only. The names are fictitious.
func Demo() ([]Area, []PostcodeEntry) {
	areas := make([]Area, 0, len(demoAreas))
	for _, d := range demoAreas {
		a, err := New(d[0], d[1])
		if err != nil {
			panic(fmt.Sprintf("area: demo area %s: %v", d[0], err)) // a programming error, caught by the tests
		}
		areas = append(areas, a)
	}
	entries, err := ParsePostcodes(bytes.NewReader(demoPostcodes))
	if err != nil {
		panic(fmt.Sprintf("area: demo postcodes: %v", err)) // a programming error, caught by the tests
	}
	return areas, entries
}
