package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAreasCommands imports the Destatis lists and postcode tables into an
// installation, as an operator does, and looks places up.
func TestAreasCommands(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	testdata := filepath.Join("..", "..", "internal", "area", "testdata")
	cmd := func(args ...string) (string, string, error) {
		full := append([]string{"areas", args[0], "--data", dir}, args[1:]...)
		return runUserOut(t, nil, "", full...)
	}

	out, stderr, err := cmd("import", filepath.Join(testdata, "regionalschluessel_excerpt.xml"))
	if err != nil || !strings.Contains(out, "5 Gebiete importiert (Gemeinde: 5)") {
		t.Fatalf("import Gemeinden: %v\n%s%s", err, out, stderr)
	}
	out, _, err = cmd("import", filepath.Join(testdata, "destatis.kreis_2026-01-31.xml"))
	if err != nil || !strings.Contains(out, "401 Gebiete importiert (Kreis: 401)") {
		t.Fatalf("import Kreise: %v\n%s", err, out)
	}
	// The Kreis list kept the Gemeinden. (The demo's own table, 6
	// entries, is still there; its Gemeinden were replaced by the
	// Gemeinde list, its Verbandsgemeinde kept.)
	out, _, err = cmd("list", "--prefix", "16051")
	if err != nil || !regexp.MustCompile(`(?m)^16051 +Kreis +Erfurt, Stadt$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^160510000000 +Gemeinde +Erfurt, Stadt$`).MatchString(out) || !strings.Contains(out, "2 Gebiete; Postleitzahlen-Tabelle: 6 Einträge") {
		t.Errorf("list --prefix 16051: %v\n%s", err, out)
	}
	out, _, err = cmd("list", "--level", "gemeinde")
	if err != nil || !strings.Contains(out, "5 Gebiete") || strings.Contains(out, "Kreis ") {
		t.Errorf("list --level gemeinde: %v\n%s", err, out)
	}

	// OpenPLZ: AGS of kreisfreie Städte resolve by themselves, the others
	// only by known Gemeinden; the attribution is named.
	out, _, err = cmd("import-postcodes", filepath.Join(testdata, "openplz_streets_excerpt.csv"))
	if err != nil || !strings.Contains(out, "2 Einträge importiert (2 Postleitzahlen, 2 Gemeinden)") ||
		!strings.Contains(out, "3 Einträge übersprungen") || !strings.Contains(out, "07339032, 07339063, 12071414") ||
		!strings.Contains(out, "© OpenPLZ API / OpenStreetMap contributors, ODbL") {
		t.Fatalf("import-postcodes OpenPLZ: %v\n%s", err, out)
	}
	out, _, err = cmd("lookup", "--postcode", "01454", "--street", "Am Sportplatz")
	if err != nil || !regexp.MustCompile(`(?m)^146120000000 +Dresden +14612$`).MatchString(out) {
		t.Errorf("lookup 01454: %v\n%s", err, out)
	}

	// antrag's own format replaces the table.
	table := filepath.Join(t.TempDir(), "plz.csv")
	if err := os.WriteFile(table, []byte("postcode,street,ars,name\n"+
		"99084,,160510000000,Erfurt\n"+
		"55270,Hauptstraße,073395001002,Beispieldorf\n"+
		"55270,Lindenweg,073395001003,Musterhausen\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = cmd("import-postcodes", table)
	if err != nil || !strings.Contains(out, "3 Einträge importiert (2 Postleitzahlen, 3 Gemeinden)") || strings.Contains(out, "OpenPLZ") {
		t.Fatalf("import-postcodes antrag: %v\n%s", err, out)
	}
	out, _, err = cmd("list", "--prefix", "073395")
	if err != nil || !strings.Contains(out, "1 Gebiete; Postleitzahlen-Tabelle: 3 Einträge") || !strings.Contains(out, "Verbandsgemeinde Beispielland") {
		t.Errorf("list --prefix 073395: %v\n%s", err, out)
	}
	out, _, err = cmd("lookup", "--postcode", "55270")
	if err != nil || !regexp.MustCompile(`(?s)073395001002 +Beispieldorf.*073395001003 +Musterhausen`).MatchString(out) {
		t.Errorf("lookup 55270: %v\n%s", err, out)
	}
	out, _, err = cmd("lookup", "--postcode", "55270", "--street", "Lindenweg")
	if err != nil || !strings.Contains(out, "Musterhausen") || strings.Contains(out, "Beispieldorf") {
		t.Errorf("lookup 55270 Lindenweg: %v\n%s", err, out)
	}
	// Names come from the areas where known.
	out, _, err = cmd("lookup", "--postcode", "99084")
	if err != nil || !strings.Contains(out, "Erfurt, Stadt") {
		t.Errorf("lookup 99084: %v\n%s", err, out)
	}
	if _, _, err := cmd("lookup", "--postcode", "01454"); err == nil || !strings.Contains(err.Error(), "nicht bekannt") {
		t.Errorf("replaced postcode: %v", err)
	}

	// Mistakes.
	broken := filepath.Join(t.TempDir(), "kaputt.xml")
	if err := os.WriteFile(broken, []byte("<gc:CodeList xmlns:gc=\"http://docs.oasis-open.org/codelist/ns/genericode/1.0/\">\n<oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cmd("import", broken); err == nil || !strings.Contains(err.Error(), "nichts importiert") || !strings.Contains(err.Error(), "Zeile") {
		t.Errorf("broken list: %v", err)
	}
	headerOnly := filepath.Join(t.TempDir(), "leer.csv")
	if err := os.WriteFile(headerOnly, []byte("postcode,street,ars,name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cmd("import-postcodes", headerOnly); err == nil || !strings.Contains(err.Error(), "keine Einträge") {
		t.Errorf("empty table: %v", err)
	}
	if out, _, _ := cmd("lookup", "--postcode", "55270"); !strings.Contains(out, "Beispieldorf") {
		t.Errorf("a refused import changed the table:\n%s", out)
	}
	for _, bad := range [][]string{
		{"lookup"},
		{"lookup", "--postcode", "5527"},
		{"list", "--level", "bezirk"},
		{"list", "--prefix", "16%"},
		{"import"},
	} {
		if _, _, err := cmd(bad...); err == nil {
			t.Errorf("areas %q succeeded", bad)
		} else if _, ok := err.(usageError); !ok {
			t.Errorf("areas %q: %v is no usage error", bad, err)
		}
	}
	if _, _, err := runUserOut(t, nil, "", "areas", "nothing"); err == nil {
		t.Error("unknown subcommand succeeded")
	}
}
