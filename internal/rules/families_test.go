package rules

import (
	"strings"
	"testing"
)

// familyFields adds to the synthetic schema:
//
//	F10010  select (0:1), codes with names of several words:
//	        121000 "GbR", 340000 "GmbH i.G.", S "Eintragung im Stiftungsverzeichnis",
//	        002 "Änderung der Anschrift", 003 "Änderung des Namens und der Anschrift"
//	F10011  select (0:*), Codeliste Destatis Staatsangehörigkeit (not resolved)
//	F10012  select (0:1), inline werte: every state of sets.txt by alpha-2 code, and TR
//	F10013  select (0:1), inline werte: DE, TR only
//	F10014  num (0:1)
func familyFields(field func(id, feldart, datentyp, anzahl, extra string) string, werte func(pairs ...string) string) string {
	var states []string
	for a2, st := range namedSets.states {
		states = append(states, a2, st.name)
	}
	states = append(states, "TR", "Türkei")
	return field("F10010", "select", "text", "0:1", werte("121000", "GbR", "340000", "GmbH i.G.", "S", "Eintragung im Stiftungsverzeichnis",
		"002", "Änderung der Anschrift", "003", "Änderung des Namens und der Anschrift")) +
		field("F10011", "select", "text", "0:*", `<xdf:codelisteReferenz><xdf:canonicalIdentification>urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit</xdf:canonicalIdentification><xdf:version>2023-02-24</xdf:version></xdf:codelisteReferenz>`) +
		field("F10012", "select", "text", "0:1", werte(states...)) +
		field("F10013", "select", "text", "0:1", werte("DE", "Deutschland", "TR", "Türkei")) +
		field("F10014", "input", "num", "0:1", "")
}

// familyOutcome evaluates a program built with familyFields and describes
// the state of F10002, F10006, G10002 and G10003 as outcome does.
func familyOutcome(t *testing.T, p *Program, g1 map[string]any, land string) string {
	t.Helper()
	return stateOf(t, p, g1, land, true, "F10002", "F10006", "F10010", "G10002", "G10003")
}

// TestFamilies compiles one rule of each phrasing family the compiler
// knows beyond single sentences, and checks the behaviour both where the
// condition holds and where it does not.
func TestFamilies(t *testing.T) {
	type check struct {
		g1   map[string]any
		land string
		want string
	}
	tests := []struct {
		name   string
		rule   string
		checks []check
	}{
		// Länderregeln.
		{"Land sections with alle anderen Länder",
			"Für die Länder NW, SL, SN gilt:\nWENN das Datenfeld F10003 \"Name F10003\" = wahr, DANN muss die Datenfeldgruppe G10002 befüllt werden.\n" +
				"WENN das Datenfeld F10003 <> wahr, DANN darf die Datenfeldgruppe G10002 nicht angezeigt werden.\n\n" +
				"Für das Land RP gilt:\nDie Datenfeldgruppe G10002 muss befüllt werden.\n\nFür alle anderen Ländern gilt:\nDie Datenfeldgruppe G10002 darf nicht angezeigt werden.",
			[]check{{map[string]any{"F10003": true}, "NW", "G10002:required"}, {map[string]any{"F10003": false}, "SN", "G10002:hidden"},
				{nil, "RP", "G10002:required"}, {map[string]any{"F10003": true}, "TH", "G10002:hidden"}, {nil, "BY", "G10002:hidden"}}},
		{"Gilt für … :, Freistaat, gelten folgende Regeln",
			"Gilt für den Freistaat Sachsen: Das Datenfeld F10002 muss befüllt werden. Für alle anderen Länder gelten folgende Regeln: Das Datenfeld F10002 darf nicht angezeigt werden.",
			[]check{{nil, "SN", "F10002:required"}, {nil, "HB", "F10002:hidden"}}},
		{"Land section heading ending with a full stop, names of Länder",
			"Für Sachsen und das Saarland gilt. Das Datenfeld F10002 muss befüllt werden. Für alle übrigen Bundesländer gilt: Das Datenfeld F10002 darf nicht angezeigt werden.",
			[]check{{nil, "SN", "F10002:required"}, {nil, "SL", "F10002:required"}, {nil, "HE", "F10002:hidden"}}},
		{"Für alle Länder gilt, gilt zusätzlich",
			"Für alle Länder gilt: Das Datenfeld F10002 muss befüllt werden. Für Brandenburg gilt zusätzlich: Das Datenfeld F10006 muss befüllt werden.",
			[]check{{nil, "BB", "F10002:required F10006:required"}, {nil, "BE", "F10002:required"}}},
		{"contradiction judged per Land",
			"Für das Land NW gilt: WENN F10003 = wahr, DANN muss F10002 befüllt werden. WENN F10003 = wahr, DANN darf F10002 nicht angezeigt werden. " +
				"Für alle anderen Länder gilt: Das Datenfeld F10002 darf nicht angezeigt werden.",
			[]check{{map[string]any{"F10003": true}, "NW", ""}, {map[string]any{"F10003": true}, "TH", "F10002:hidden"}}},

		{"ist optional, misspelt gillt and andren",
			"Für das Land NRW gillt: Die Datenfeldgruppe G10002 muss befüllt werden.\nFür alle andren Länder gilt: Die Datenfeldgruppe G10002 ist optional.",
			[]check{{nil, "NW", "G10002:required"}, {nil, "BY", ""}}},

		{"two Land clauses in one sentence, the second after \", in\"",
			`In Bayern muss F10002 befüllt werden, in Hessen darf F10002 nicht angezeigt werden.`,
			[]check{{nil, "BY", "F10002:required"}, {nil, "HE", "F10002:hidden"}, {nil, "NW", ""}}},

		{"a Land phrase within a statement with a condition",
			`In Bayern muss F10002 befüllt werden, wenn F10003 = wahr. F10006 ist für die Länder Hessen und Sachsen nur dann zu befüllen, wenn F10001 = 001. ` +
				`Im Land Berlin darf G10002 nicht angezeigt werden, sofern F10001 = 002.`,
			[]check{{map[string]any{"F10003": true}, "BY", "F10002:required"}, {map[string]any{"F10003": false}, "BY", ""}, {map[string]any{"F10003": true}, "HE", "F10006:hidden"},
				{map[string]any{"F10001": "001"}, "SN", ""}, {map[string]any{"F10001": "002"}, "SN", "F10006:hidden"}, {map[string]any{"F10001": "002"}, "BE", "G10002:hidden"},
				{map[string]any{"F10001": "001"}, "BE", ""}}},

		{"a show under a Land heading leaves the other Länder alone",
			"Für das Land NW gilt: Wenn F10003 = wahr, dann ist G10002 anzuzeigen.",
			[]check{{map[string]any{"F10003": true}, "NW", ""}, {map[string]any{"F10003": false}, "NW", "G10002:hidden"}, {map[string]any{"F10003": false}, "BY", ""}}},

		{"a Land after the value of a condition, Ansonsten as a sentence",
			`Wenn F10001 = 001 in Bayern, dann ist F10002 zu befüllen. Wenn F10003 = wahr, dann ist F10006 zu befüllen. Ansonsten ist F10006 auszublenden.`,
			[]check{{map[string]any{"F10001": "001", "F10003": true}, "BY", "F10002:required F10006:required"}, {map[string]any{"F10001": "001"}, "HE", "F10006:hidden"}}},

		// Code lists written with labels.
		{"codes with names joined by ODER",
			`WENN F10010 Name F10010 = 002 - Änderung der Anschrift ODER 003 - Änderung des Namens und der Anschrift, DANN zeige als Pflicht G10002 an, SONST zeige G10002 nicht an.`,
			[]check{{map[string]any{"F10010": "003"}, "", "G10002:required"}, {map[string]any{"F10010": "002"}, "", "G10002:required"},
				{map[string]any{"F10010": "S"}, "", "G10002:hidden"}, {nil, "", "G10002:hidden"}}},
		{"names of codes in quotes joined by oder, then ausgewählt wurde",
			`Wenn im Feld F10010 "Änderung der Anschrift" oder "Änderung des Namens und der Anschrift" ausgewählt wurde, dann muss G10002 befüllt werden.`,
			[]check{{map[string]any{"F10010": "002"}, "", "G10002:required"}, {map[string]any{"F10010": "003"}, "", "G10002:required"}, {map[string]any{"F10010": "121000"}, "", ""}}},
		{"codes with names joined by UND, an abbreviation with full stops",
			`Wenn F10010 = 121000 GbR UND 340000 GmbH i.G. UND S Eintragung im Stiftungsverzeichnis, dann muss F10002 befüllt werden.`,
			[]check{{map[string]any{"F10010": "340000"}, "", "F10002:required"}, {map[string]any{"F10010": "S"}, "", "F10002:required"}, {map[string]any{"F10010": "002"}, "", ""}}},
		{"a word code with its name after <>",
			`Wenn F10010 <> S Eintragung im Stiftungsverzeichnis, dann darf F10002 nicht angezeigt werden.`,
			[]check{{map[string]any{"F10010": "S"}, "", ""}, {map[string]any{"F10010": "121000"}, "", "F10002:hidden"}}},
		{"alle anderen möglichen Ausprägungen der Codeliste",
			`WENN F10010 = 002 "Änderung der Anschrift", DANN muss F10002 befüllt werden. WENN F10010 = alle anderen möglichen Ausprägungen der Codeliste, DANN darf F10002 nicht angezeigt werden.`,
			[]check{{map[string]any{"F10010": "002"}, "", "F10002:required"}, {map[string]any{"F10010": "121000"}, "", "F10002:hidden"}, {nil, "", ""}}},
		{"Bei allen anderen Ausprägungen, a sentence of its own",
			`Wenn F10001 = 001 "Ja", dann ist F10002 Pflicht. Bei allen anderen Ausprägungen ist F10002 auszublenden. ` +
				`Wenn F10010 = S, dann ist G10003 anzuzeigen. Bei allen anderen Werten von F10010 ist G10003 auszublenden.`,
			[]check{{map[string]any{"F10001": "001", "F10010": "S"}, "", "F10002:required"}, {map[string]any{"F10001": "999", "F10010": "002"}, "", "F10002:hidden G10003:hidden"},
				{nil, "", "G10003:hidden"}}},
		{"In allen anderen Fällen: none of the conditions before",
			`Wenn F10003 = wahr, dann ist F10002 zu befüllen. Wenn F10001 = 999, dann ist F10002 zu befüllen. In allen anderen Fällen ist F10002 auszublenden.`,
			[]check{{map[string]any{"F10003": true}, "", "F10002:required"}, {map[string]any{"F10001": "999"}, "", "F10002:required"},
				{map[string]any{"F10001": "001", "F10003": false}, "", "F10002:hidden"}, {nil, "", "F10002:hidden"}}},
		{"a quoted code with its name after a dash, einen anderen Wert",
			`Wenn F10010 = "002" - Änderung der Anschrift, dann muss F10002 befüllt werden. Wenn F10010 einen anderen Wert hat, dann darf F10002 nicht angezeigt werden.`,
			[]check{{map[string]any{"F10010": "002"}, "", "F10002:required"}, {map[string]any{"F10010": "S"}, "", "F10002:hidden"}, {nil, "", ""}}},
		{"a code without operator",
			`Wenn F10010 Name F10010 121000 GbR, dann zeige G10002, wenn F10010 340000 GmbH i.G., dann zeige G10003.`,
			[]check{{map[string]any{"F10010": "121000"}, "", "G10003:hidden"}, {map[string]any{"F10010": "340000"}, "", "G10002:hidden"}}},

		// Membership in a named set.
		{"a state outside EU, EWR and Switzerland, Destatis Codeliste, repeated",
			`WENN in Datenfeld F10011 "Staatsangehörigkeit" ein Staat gewählt wird, der nicht zur EU, zum EWR oder zur Schweiz gehört, DANN ist die Datenfeldgruppe G10002 zu befüllen. ` +
				`WENN in Datenfeld F10011 ein Staat gewählt wird, der zur EU, zum EWR oder zur Schweiz gehört, DANN ist die Datenfeldgruppe G10002 auszublenden. ` +
				`Die Mitgliedstaaten der EU, EWR und Schweiz sind alphabetisch sortiert: 124 Belgien, 125 Bulgarien.`,
			[]check{{map[string]any{"F10011": []any{"163"}}, "", "G10002:required"}, {map[string]any{"F10011": []any{"000"}}, "", "G10002:hidden"},
				{map[string]any{"F10011": []any{"163", "158"}}, "", "G10002:hidden"}, {map[string]any{"F10011": []any{"149"}}, "", "G10002:hidden"}, {nil, "", ""}}},
		{"a state of the EU, inline werte by ISO code",
			`Wenn in F10012 ein Staat ausgewählt ist, der zur Europäischen Union gehört, dann muss F10002 befüllt werden.`,
			[]check{{map[string]any{"F10012": "AT"}, "", "F10002:required"}, {map[string]any{"F10012": "NO"}, "", ""}, {map[string]any{"F10012": "TR"}, "", ""}}},

		{"a state outside the EU, an EU-Staat, a Nicht-EU-Staat",
			`Wenn in F10012 ein Staat außerhalb der EU und des EWR gewählt wird, dann muss F10002 befüllt werden. ` +
				`Wenn F10012 ein EU-Staat ist, dann muss F10006 befüllt werden. Wenn F10012 ein Nicht-EWR-Staat ist, dann ist G10002 auszublenden.`,
			[]check{{map[string]any{"F10012": "TR"}, "", "F10002:required G10002:hidden"}, {map[string]any{"F10012": "NO"}, "", ""},
				{map[string]any{"F10012": "FR"}, "", "F10006:required"}}},

		{"kein EU-Staat: the negation is not read as part of a name",
			`Wenn in F10012 kein EU-Staat gewählt wurde, dann ist G10002 auszufüllen. Wenn F10012 kein Staat ist, der nicht zur EU gehört, dann muss F10002 befüllt werden.`,
			[]check{{map[string]any{"F10012": "TR"}, "", "G10002:required"}, {map[string]any{"F10012": "FR"}, "", "F10002:required"}, {nil, "", ""}}},

		{"weder … noch: values and sets",
			`Wenn F10010 weder 121000 noch 340000 ist, dann darf F10002 nicht befüllt werden. ` +
				`Wenn in F10012 ein Staat gewählt wird, der weder zur EU noch zum EWR gehört, dann ist G10002 auszufüllen.`,
			[]check{{map[string]any{"F10010": "S", "F10012": "TR"}, "", "F10002:hidden G10002:required"}, {map[string]any{"F10010": "340000", "F10012": "NO"}, "", ""},
				{map[string]any{"F10010": "121000", "F10012": "FR"}, "", ""}}},

		// Effects phrased as requirements or appearance.
		{"ist das Datenfeld zu befüllen / auszublenden",
			`WENN das Datenfeld F10001 = 001 "Ja", DANN ist das Datenfeld F10002 "Name F10002" zu befüllen. WENN das Datenfeld F10001 <> 001 "Ja", DANN ist das Datenfeld F10002 auszublenden.`,
			[]check{{map[string]any{"F10001": "001"}, "", "F10002:required"}, {map[string]any{"F10001": "002"}, "", "F10002:hidden"}}},
		{"erscheint und muss ausgefüllt werden",
			`Wenn F10003 = wahr, dann erscheint F10002 und muss ausgefüllt werden. Wenn F10003 <> wahr, dann darf F10002 nicht angezeigt werden.`,
			[]check{{map[string]any{"F10003": true}, "", "F10002:required"}, {map[string]any{"F10003": false}, "", "F10002:hidden"}}},
		{"muss Feldgruppe als … angegeben werden",
			`Wenn F10001 = 001, dann muss Feldgruppe G10002 als Anschrift im Inland angegeben werden.`,
			[]check{{map[string]any{"F10001": "001"}, "", "G10002:required"}, {map[string]any{"F10001": "002"}, "", ""}}},

		{"one verb for two phrases: ist … auszufüllen und … auszublenden, sobald",
			`Sobald F10001 = 001, ist F10002 auszufüllen und F10006 auszublenden.`,
			[]check{{map[string]any{"F10001": "001"}, "", "F10002:required F10006:hidden"}, {map[string]any{"F10001": "002"}, "", ""}}},

		{"a condition with its verb first: Wird … beantwortet, ist …; Ist im Datenfeld … ausgewählt, muss …",
			`Wird F10001 mit "Nein" beantwortet, ist G10002 auszufüllen. Ist im Datenfeld F10001 der Wert '001' ausgewählt, muss das Datenfeld F10002 befüllt werden.`,
			[]check{{map[string]any{"F10001": "002"}, "", "G10002:required"}, {map[string]any{"F10001": "001"}, "", "F10002:required"}, {map[string]any{"F10001": "999"}, "", ""}}},
		{"nicht mit … beantwortet, darf nur befüllt werden, wenn, muss leer bleiben",
			`Wenn F10001 nicht mit "Ja" beantwortet wurde, dann ist G10002 nicht anzuzeigen. F10002 darf nur befüllt werden, wenn F10003 = wahr. Wenn F10003 = falsch, dann muss F10006 leer bleiben.`,
			[]check{{map[string]any{"F10001": "002", "F10003": false}, "", "F10002:hidden F10006:hidden G10002:hidden"}, {map[string]any{"F10001": "001", "F10003": true}, "", ""}}},

		{"es sei denn, außer wenn: the effect holds where the exception does not",
			`Wenn F10003 = wahr, dann muss F10002 befüllt werden, es sei denn F10001 = 002. F10006 muss befüllt werden, außer wenn F10001 = 999.`,
			[]check{{map[string]any{"F10003": true, "F10001": "001"}, "", "F10002:required F10006:required"}, {map[string]any{"F10003": true, "F10001": "002"}, "", "F10006:required"},
				{map[string]any{"F10003": true, "F10001": "999"}, "", "F10002:required"}}},
		{"anzuzeigen, aber nicht verpflichtend; Gilt nur für",
			`Gilt nur für Hessen: Wenn F10003 = wahr, dann ist F10002 anzuzeigen, aber nicht verpflichtend.`,
			[]check{{map[string]any{"F10003": true}, "HE", ""}, {map[string]any{"F10003": false}, "HE", "F10002:hidden"}, {map[string]any{"F10003": false}, "BY", ""}}},

		{"ist im Feld … eine Erläuterung anzugeben",
			`Falls F10001 = 999 "Sonstiges" gewählt wird, ist im Feld F10002 eine kurze Erläuterung anzugeben. Wenn F10003 = wahr, ist in F10006 eine Begründung zu befüllen.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required"}, {map[string]any{"F10003": true}, "", "F10006:required"}, {map[string]any{"F10001": "001"}, "", ""}}},

		{"entfällt",
			`Wenn F10003 = wahr, dann entfällt F10002. F10006 entfällt, wenn F10001 = 002.`,
			[]check{{map[string]any{"F10003": true, "F10001": "002"}, "", "F10002:hidden F10006:hidden"}, {map[string]any{"F10003": false, "F10001": "001"}, "", ""}}},

		// At least one of several.
		{"Mindestens eines der Datenfelder",
			`Mindestens eines der Datenfelder F10002, F10006 oder F10009 muss befüllt sein.`,
			[]check{{map[string]any{"F10006": "x"}, "", ""}, {map[string]any{}, "", "!F10002"}}},
		{"dann muss mindestens eines der Felder",
			`Wenn F10003 = wahr, dann muss mindestens eines der Datenfelder F10002 oder F10006 befüllt werden.`,
			[]check{{map[string]any{"F10003": true}, "", "!F10002"}, {map[string]any{"F10003": true, "F10002": "x"}, "", ""}, {map[string]any{"F10003": false}, "", ""}}},

		{"muss A oder B befüllt werden: one of them, not both",
			`Wenn F10001 = 001, dann muss F10002 oder F10006 befüllt werden. Wenn F10001 = 002, dann müssen F10002 und F10006 befüllt werden.`,
			[]check{{map[string]any{"F10001": "001"}, "", "!F10002"}, {map[string]any{"F10001": "001", "F10006": "x"}, "", ""},
				{map[string]any{"F10001": "002", "F10006": "x"}, "", "F10002:required F10006:required"}}},

		{"mindestens eines / entweder with a condition: the condition's element is no alternative",
			`Bei F10001 = 001 muss mindestens eines der Felder F10002 oder F10006 befüllt sein. Entweder F10002 oder F10006 muss befüllt sein, wenn F10003 = wahr.`,
			[]check{{map[string]any{"F10001": "001"}, "", "!F10002"}, {map[string]any{"F10001": "002"}, "", ""}, {map[string]any{"F10003": true}, "", "!F10002"},
				{map[string]any{"F10003": true, "F10002": "x", "F10006": "y"}, "", "!F10002"}, {map[string]any{"F10003": true, "F10006": "y"}, "", ""}}},

		{"a date order with a trailing condition",
			`Das Datum F10005 muss nach dem Datum F10004 liegen, wenn F10003 = wahr.`,
			[]check{{map[string]any{"F10003": true, "F10004": "2024-01-02", "F10005": "2024-01-01"}, "", "!F10004"},
				{map[string]any{"F10003": false, "F10004": "2024-01-02", "F10005": "2024-01-01"}, "", ""},
				{map[string]any{"F10003": true, "F10004": "2024-01-01", "F10005": "2024-01-02"}, "", ""}}},

		// Restricted codes.
		{"wobei nur die Codes … zulässig sind",
			`Wenn F10003 = wahr, dann muss F10010 befüllt werden, wobei nur die Codes 121000 GbR ODER 340000 GmbH i.G. zulässig sind.`,
			[]check{{map[string]any{"F10003": true, "F10010": "121000"}, "", "F10010:required"}, {map[string]any{"F10003": true, "F10010": "S"}, "", "F10010:required !F10010"},
				{map[string]any{"F10003": false, "F10010": "S"}, "", ""}}},

		{"dabei sind nur die Werte … , ausgewählt werden dürfen",
			`Wenn F10003 = wahr, dann muss F10010 befüllt werden, dabei sind nur die Werte 121000 und 340000 zulässig. Wenn F10003 = falsch, dann ist F10010 anzugeben, wobei nur S ausgewählt werden darf.`,
			[]check{{map[string]any{"F10003": true, "F10010": "S"}, "", "F10010:required !F10010"}, {map[string]any{"F10003": false, "F10010": "S"}, "", "F10010:required"},
				{map[string]any{"F10003": false, "F10010": "002"}, "", "F10010:required !F10010"}}},

		{"Dies gilt nur für …, (gilt nicht für …)",
			`F10002 muss befüllt werden. Dies gilt nur für Bayern. Wenn F10003 = wahr, dann ist F10006 zu befüllen (gilt nicht für HE).`,
			[]check{{map[string]any{"F10003": true}, "BY", "F10002:required F10006:required"}, {map[string]any{"F10003": true}, "HE", ""}, {nil, "NW", ""}}},
		{"wobei … nicht zulässig",
			`Wenn F10003 = wahr, dann muss F10010 befüllt werden, wobei die Codes S und 002 nicht zulässig sind.`,
			[]check{{map[string]any{"F10003": true, "F10010": "S"}, "", "F10010:required !F10010"}, {map[string]any{"F10003": true, "F10010": "121000"}, "", "F10010:required"}}},
		{"a date against today",
			`Das Datum F10004 muss vor dem heutigen Datum liegen. Das Datum F10005 darf nicht vor dem heutigen Datum liegen.`,
			[]check{{map[string]any{"F10004": "2026-01-14", "F10005": "2026-01-15"}, "", ""}, {map[string]any{"F10004": "2026-01-15", "F10005": "2026-01-14"}, "", "!F10004 !F10005"}}},

		// Paths and negations.
		{"elements addressed by path, nicht an",
			`WENN G10001.F10001 = 002 "Nein", DANN zeige G10001.G10002 nicht an.`,
			[]check{{map[string]any{"F10001": "002"}, "", "G10002:hidden"}, {map[string]any{"F10001": "001"}, "", ""}}},
		{"nicht angekreuzt, negated comparison",
			`Wenn F10003 nicht angekreuzt ist, dann darf F10002 nicht befüllt sein. Wenn F10001 nicht = 001, dann darf F10006 nicht befüllt sein.`,
			[]check{{map[string]any{"F10003": true, "F10001": "001"}, "", ""}, {map[string]any{"F10001": "002"}, "", "F10002:hidden F10006:hidden"}}},
		{"gleich, ungleich, größer als",
			`Wenn F10001 gleich 001, dann muss F10002 befüllt werden. Wenn F10001 ungleich 001, dann darf F10006 nicht befüllt werden.`,
			[]check{{map[string]any{"F10001": "001"}, "", "F10002:required"}, {map[string]any{"F10001": "002"}, "", "F10006:hidden"}}},
		{"den Wert … hat, der Wert … ausgewählt wurde",
			`Wenn das Feld F10001 den Wert 999 "Sonstiges" hat, dann ist F10002 anzugeben. Wenn im Feld F10010 der Wert S ausgewählt wurde, dann ist F10006 auszufüllen.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required"}, {map[string]any{"F10010": "S"}, "", "F10006:required"}, {map[string]any{"F10001": "001"}, "", ""}}},
		{"ist wahr without operator, = leer",
			`Wenn F10003 ist wahr, dann muss F10002 befüllt werden. Wenn F10002 = leer, dann darf F10006 nicht befüllt sein.`,
			[]check{{map[string]any{"F10003": true, "F10002": "x"}, "", "F10002:required"}, {map[string]any{"F10003": false}, "", "F10006:hidden"}}},
		{"nicht wahr ist, kleiner oder gleich",
			`Wenn F10003 nicht wahr ist, dann darf F10002 nicht angezeigt werden. Wenn F10014 kleiner oder gleich 5 ist, dann ist G10002 auszublenden.`,
			[]check{{map[string]any{"F10003": false, "F10014": 5}, "", "F10002:hidden G10002:hidden"}, {map[string]any{"F10003": true, "F10014": 6}, "", ""}}},
		{"ungleich A und ungleich B: the name of a value never takes a comparison",
			`Wenn F10010 ungleich 121000 und ungleich 340000 ist, dann ist F10002 auszublenden. Wenn nicht F10003 = wahr, dann ist G10002 auszublenden.`,
			[]check{{map[string]any{"F10010": "S", "F10003": true}, "", "F10002:hidden"}, {map[string]any{"F10010": "340000", "F10003": false}, "", "G10002:hidden"},
				{map[string]any{"F10010": "121000", "F10003": true}, "", ""}}},
		{"nicht größer als, nicht mehr anzuzeigen",
			`Wenn F10014 nicht größer als 5 ist, dann ist F10002 nicht mehr anzuzeigen.`,
			[]check{{map[string]any{"F10014": 5}, "", "F10002:hidden"}, {map[string]any{"F10014": 6}, "", ""}}},
		{"höchstens, mindestens, nicht mehr als … betragen",
			`F10014 darf höchstens 99 betragen. F10014 muss mindestens 18 sein. Wenn F10003 = wahr, dann darf F10014 nicht mehr als 50 betragen.`,
			[]check{{map[string]any{"F10014": 100}, "", "!F10014"}, {map[string]any{"F10014": 17}, "", "!F10014"}, {map[string]any{"F10014": 99}, "", ""},
				{map[string]any{"F10014": 51, "F10003": true}, "", "!F10014"}, {map[string]any{"F10014": 50, "F10003": true}, "", ""}}},
		{"zwischen … und …, bounds included",
			`Wenn F10014 zwischen 1 und 5 liegt, dann ist F10002 zu befüllen. F10014 muss zwischen 0 und 10 liegen.`,
			[]check{{map[string]any{"F10014": 5}, "", "F10002:required"}, {map[string]any{"F10014": 1}, "", "F10002:required"}, {map[string]any{"F10014": 6}, "", ""},
				{map[string]any{"F10014": 11}, "", "!F10014"}, {map[string]any{"F10014": 0}, "", ""}}},
		{"Bei … ist … zu befüllen",
			`Bei F10001 = 999 ist F10002 zu befüllen.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required"}, {map[string]any{"F10001": "001"}, "", ""}}},
		{"several elements, one predicate",
			`Wenn F10002 oder F10006 befüllt ist, dann muss G10002 befüllt werden. Wenn F10002 und F10006 leer sind, dann darf G10002 nicht angezeigt werden.`,
			[]check{{map[string]any{"F10006": "x"}, "", "G10002:required"}, {map[string]any{}, "", "G10002:hidden"}}},
		{"a condition on the Land of the responsible authority",
			`Wenn die zuständige Behörde in Nordrhein-Westfalen liegt, dann muss F10002 befüllt werden. Wenn das Bundesland <> NRW, dann darf F10002 nicht angezeigt werden.`,
			[]check{{nil, "NW", "F10002:required"}, {nil, "BY", "F10002:hidden"}}},
		{"Nur für heading with a colon, Land aliases",
			`Nur für NRW und RLP: Das Feld F10002 ist ein Pflichtfeld. Für alle anderen Länder gilt: F10002 ausblenden.`,
			[]check{{nil, "RP", "F10002:required"}, {nil, "NW", "F10002:required"}, {nil, "SH", "F10002:hidden"}}},
		{"mindestens ein Feld der Feldgruppe",
			`Es muss mindestens ein Feld der Feldgruppe G10002 befüllt werden.`,
			[]check{{map[string]any{"G10002": map[string]any{"F10008": "x"}}, "", ""}, {map[string]any{}, "", "!G10002.F10008"}}},
		{"infinitive effects: einblenden, als Pflicht anzeigen",
			`Wenn F10003 = wahr, dann F10002 als Pflichtfeld anzeigen, sonst F10002 ausblenden.`,
			[]check{{map[string]any{"F10003": true}, "", "F10002:required"}, {map[string]any{"F10003": false}, "", "F10002:hidden"}}},
		{"wird angezeigt und ist ein Pflichtfeld, wird deaktiviert",
			`Wenn F10001 = 001, dann wird F10002 angezeigt und ist ein Pflichtfeld. Wenn F10001 = 002, dann wird F10002 deaktiviert.`,
			[]check{{map[string]any{"F10001": "001"}, "", "F10002:required"}, {map[string]any{"F10001": "002"}, "", "F10002:hidden"}}},
		{"muss nur dann befüllt werden, wenn",
			`Das Feld F10002 muss nur dann befüllt werden, wenn F10003 = wahr.`,
			[]check{{map[string]any{"F10003": true}, "", "F10002:required"}, {map[string]any{"F10003": false}, "", ""}}},
		{"a code with its name in parentheses, filler words",
			`Wenn F10001 = "999" (Sonstiges), dann muss F10002 befüllt werden. Wenn das Häkchen bei F10003 gesetzt ist, dann muss auch F10006 befüllt sein.`,
			[]check{{map[string]any{"F10001": "999", "F10003": true}, "", "F10002:required F10006:required"}, {map[string]any{"F10001": "001", "F10003": false}, "", ""}}},
		{"einen Wert enthält, keinen Wert hat",
			`Wenn F10002 einen Wert enthält, dann muss F10006 befüllt werden. Wenn F10002 keinen Wert hat, dann ist G10002 auszublenden.`,
			[]check{{map[string]any{"F10002": "x"}, "", "F10006:required"}, {map[string]any{}, "", "G10002:hidden"}}},
		{"a date that must not lie in the future",
			`Das Datum F10004 darf nicht in der Zukunft liegen. F10005 muss in der Zukunft liegen.`,
			[]check{{map[string]any{"F10004": "2026-01-10"}, "", ""}, {map[string]any{"F10004": "2026-02-01"}, "", "!F10004"},
				{map[string]any{"F10005": "2026-01-15"}, "", "!F10005"}, {map[string]any{"F10005": "2026-01-16"}, "", ""}}},
		{"a number that must be greater than a bound, under a condition",
			`Wenn F10003 = wahr, dann muss F10014 größer als 0 sein. F10014 darf nicht größer als 100 sein.`,
			[]check{{map[string]any{"F10003": true, "F10014": 0}, "", "!F10014"}, {map[string]any{"F10003": false, "F10014": 0}, "", ""}, {map[string]any{"F10014": 101}, "", "!F10014"}}},
		{"the carrier without its name: Pflichtfeld, wenn",
			`Pflichtfeld, wenn F10003 = wahr.`,
			[]check{{map[string]any{"F10003": true}, "", "G10001:required"}, {map[string]any{"F10003": false}, "", ""}}},
		{"wird nur angezeigt, wenn … mit Ja beantwortet wurde",
			`Das Feld F10002 wird nur angezeigt, wenn F10003 mit "Ja" beantwortet wurde.`,
			[]check{{map[string]any{"F10003": true}, "", ""}, {map[string]any{"F10003": false}, "", "F10002:hidden"}}},
		{"ist anzuzeigen und auszufüllen",
			`Sofern F10003 = true, ist die Feldgruppe G10002 anzuzeigen und auszufüllen.`,
			[]check{{map[string]any{"F10003": true}, "", "G10002:required"}, {map[string]any{"F10003": false}, "", "G10002:hidden"}}},
		{"Ist …, so ist …",
			`Ist F10003 = wahr, so ist F10002 zu befüllen.`,
			[]check{{map[string]any{"F10003": true}, "", "F10002:required"}, {map[string]any{"F10003": false}, "", ""}}},
		{"einblenden und als Pflicht markieren",
			`Wenn F10001 = 001 oder F10001 = 002, dann G10002 einblenden und als Pflicht markieren.`,
			[]check{{map[string]any{"F10001": "002"}, "", "G10002:required"}, {map[string]any{"F10001": "999"}, "", "G10002:hidden"}}},
		{"IN ( … ), PFLICHT",
			`WENN F10010 IN (121000, 340000) DANN F10002 PFLICHT`,
			[]check{{map[string]any{"F10010": "340000"}, "", "F10002:required"}, {map[string]any{"F10010": "S"}, "", ""}}},
		{"Bei Auswahl von … in …",
			`Bei Auswahl von "Sonstiges" in F10001 ist F10002 zu befüllen.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required"}, {map[string]any{"F10001": "001"}, "", ""}}},
		{"nicht \"Ja\" ist, ist nur erforderlich, wird zum Pflichtfeld",
			`Wenn F10001 nicht "Ja" ist, dann darf G10002 nicht befüllt werden. Die Angabe in F10002 ist nur erforderlich, wenn F10003 = wahr. Wenn F10001 den Wert 999 hat, wird F10006 zum Pflichtfeld.`,
			[]check{{map[string]any{"F10001": "001", "F10003": true}, "", "F10002:required"}, {map[string]any{"F10001": "999"}, "", "F10006:required G10002:hidden"}}},
		{"a date that must not lie before another",
			`Das Datum in F10005 darf nicht vor dem Datum in F10004 liegen.`,
			[]check{{map[string]any{"F10004": "2024-01-02", "F10005": "2024-01-01"}, "", "!F10004"}, {map[string]any{"F10004": "2024-01-02", "F10005": "2024-01-02"}, "", ""}}},
		{"≠ is a comparison, not a value without operator",
			`Wenn F10001 ≠ 001, dann ist F10002 nicht anzuzeigen. Wenn F10014 ≥ 5, dann ist F10006 zu befüllen.`,
			[]check{{map[string]any{"F10001": "002", "F10014": 5}, "", "F10002:hidden F10006:required"}, {map[string]any{"F10001": "001", "F10014": 4}, "", ""}}},
		{"terse rules: arrow, colon, = PFLICHT, lower case",
			`F10001 = 'Ja' -> F10002 Pflicht. F10003 = wahr: F10006 Pflicht. wenn f10010 = 002 dann g10002 = pflicht, sonst g10002 = ausgeblendet`,
			[]check{{map[string]any{"F10001": "001", "F10003": true, "F10010": "002"}, "", "F10002:required F10006:required G10002:required"},
				{map[string]any{"F10001": "002", "F10003": false, "F10010": "S"}, "", "G10002:hidden"}}},
		{"im Übrigen, andernfalls after a trailing condition, dann of the sentence before",
			`Wenn F10003 = wahr, ist G10002 einzublenden, im Übrigen ist G10002 auszublenden. F10002 ist auszufüllen, falls F10001 = 001; andernfalls ist F10002 auszublenden. ` +
				`F10006 wird nur eingeblendet, wenn F10010 = S; dann ist F10006 auch auszufüllen.`,
			[]check{{map[string]any{"F10003": true, "F10001": "001", "F10010": "S"}, "", "F10002:required F10006:required"},
				{map[string]any{"F10003": false, "F10001": "002", "F10010": "002"}, "", "F10002:hidden F10006:hidden G10002:hidden"}}},
		{"a Land sentence in any form: In den Ländern …, Im Freistaat …, Außer in …",
			`In den Ländern Bremen, Hamburg und Berlin ist G10002 auszufüllen. Im Freistaat Thüringen ist F10002 auszublenden. Außer in Bayern ist G10003 auszublenden.`,
			[]check{{nil, "HB", "G10002:required G10003:hidden"}, {nil, "TH", "F10002:hidden G10003:hidden"}, {nil, "BY", ""}}},
		{"Land headings: Gilt nicht für, alle Länder außer, without für",
			"Gilt nicht für Berlin: F10002 muss befüllt werden. Für alle Länder außer Sachsen-Anhalt gilt: G10003 ist verpflichtend.\nLand Hessen:\nF10006 muss ausgefüllt werden.\nAlle anderen Länder:\nF10006 wird nicht angezeigt.",
			[]check{{nil, "BE", "F10006:hidden G10003:required"}, {nil, "ST", "F10002:required F10006:hidden"}, {nil, "HE", "F10002:required F10006:required G10003:required"}}},
		{"Land conditions: Ist die zuständige Stelle in …, der Antrag in … oder im … gestellt wird",
			`Ist die zuständige Stelle in Bayern, muss F10006 befüllt werden, sonst ist F10006 auszublenden. Wenn der Antrag in Rheinland-Pfalz oder im Saarland gestellt wird, dann ist F10002 auszufüllen.`,
			[]check{{nil, "BY", "F10006:required"}, {nil, "SL", "F10002:required F10006:hidden"}}},
		{"genau, höchstens, nicht gleichzeitig",
			`Genau eines der Felder F10002 oder F10006 muss befüllt werden. Höchstens eines der Datenfeldgruppen G10002 und G10003 darf befüllt sein.`,
			[]check{{map[string]any{"F10006": "x"}, "", ""}, {map[string]any{}, "", "!F10002"}, {map[string]any{"F10002": "a", "F10006": "x"}, "", "!F10002"},
				{map[string]any{"F10002": "a", "G10002": map[string]any{"F10008": "x"}, "G10003": map[string]any{"F10009": "y"}}, "", "!G10002"}}},
		{"A und B dürfen nicht gleichzeitig, mindestens eines der folgenden Felder … :",
			`F10002 und F10006 dürfen nicht gleichzeitig befüllt sein. Sofern F10003 = wahr ist, ist mindestens eines der folgenden Felder auszufüllen: F10002, F10006.`,
			[]check{{map[string]any{"F10002": "a", "F10006": "x"}, "", "!F10002"}, {map[string]any{"F10003": true}, "", "!F10002"}, {map[string]any{"F10003": true, "F10006": "x"}, "", ""}}},
		{"two declaratives after one another, Pflicht before wenn",
			`F10002 ist Pflicht, G10002 ist auszublenden. F10006 Pflicht, wenn F10001 = 'Sonstiges'.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required F10006:required G10002:hidden"}, {map[string]any{"F10001": "001"}, "", "F10002:required G10002:hidden"}}},
		{"=> and =< compare, => before an element is the arrow",
			`Wenn F10014 => 5, dann ist F10002 zu befüllen. Wenn F10014 =< 1, dann ist F10006 zu befüllen. F10003 == true => G10002 Pflichtfeld.`,
			[]check{{map[string]any{"F10014": 5}, "", "F10002:required"}, {map[string]any{"F10014": 4}, "", ""},
				{map[string]any{"F10014": 1, "F10003": true}, "", "F10006:required G10002:required"}, {map[string]any{"F10014": 2}, "", ""}}},
		{"an effect verb after the condition's element is no part of its name",
			`Bei Auswahl von 'Nein' in F10001 entfällt G10002. Wenn F10003 = wahr, dann erscheint G10003.`,
			[]check{{map[string]any{"F10001": "002", "F10003": true}, "", "G10002:hidden"}, {map[string]any{"F10001": "001", "F10003": false}, "", "G10003:hidden"}}},
		{"Bundesland ungleich",
			`Wenn Bundesland ungleich BY, dann F10002 ausblenden`,
			[]check{{nil, "BY", ""}, {nil, "NW", "F10002:hidden"}}},
		{"mindestens zwei der Felder",
			`Mindestens zwei der Felder F10002, F10006 und F10010 müssen befüllt sein. Wenn F10003 = wahr, dann müssen mindestens 2 der Felder F10002, G10002, G10003 befüllt werden.`,
			[]check{{map[string]any{"F10002": "x"}, "", "!F10002"}, {map[string]any{"F10002": "x", "F10006": "y"}, "", ""},
				{map[string]any{"F10002": "x", "F10006": "y", "F10003": true}, "", "!F10002"},
				{map[string]any{"F10002": "x", "F10006": "y", "F10003": true, "G10003": map[string]any{"F10009": "z"}}, "", ""}}},
		{"In allen Ländern außer …, F ist außer in … auszublenden",
			`In allen Ländern außer Bayern ist F10002 auszublenden. F10006 ist außer in Hessen auszublenden.`,
			[]check{{nil, "BY", "F10006:hidden"}, {nil, "HE", "F10002:hidden"}, {nil, "NW", "F10002:hidden F10006:hidden"}}},
		{"DANN X nicht anzeigen",
			`Wenn F10003 = wahr, dann G10002 nicht einblenden, sonst G10002 als Pflicht anzeigen.`,
			[]check{{map[string]any{"F10003": true}, "", "G10002:hidden"}, {map[string]any{"F10003": false}, "", "G10002:required"}}},
		{"synonyms from the lexicon: falls, andernfalls, eingeblendet",
			`Falls F10003 = wahr, dann wird F10002 eingeblendet, andernfalls wird F10002 ausgeblendet.`,
			[]check{{map[string]any{"F10003": true}, "", ""}, {map[string]any{"F10003": false}, "", "F10002:hidden"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := syntheticWith(t, tt.rule, familyFields)
			r := p.Rules[0]
			if r.Status != Compiled {
				t.Fatalf("%s: %s", r.Status, r.Reason)
			}
			for _, c := range tt.checks {
				if got := familyOutcome(t, p, c.g1, c.land); got != c.want {
					t.Errorf("with %v %s: got %q, want %q\n%s", c.g1, c.land, got, c.want, js(r.Effects))
				}
			}
		})
	}
}

// TestFamiliesNotGuessed: what the grammar cannot resolve stays
// unsupported with the reason, never a guess.
func TestFamiliesNotGuessed(t *testing.T) {
	tests := []struct{ name, rule, reason string }{
		{"a set member missing from the Codeliste",
			`Wenn in F10013 ein Staat gewählt wird, der zur EU gehört, dann muss F10002 befüllt werden.`, "steht nicht in der Codeliste von F10013"},
		{"Drittstaat is not resolved",
			`Wenn in F10012 ein Drittstaat gewählt wird, dann muss F10002 befüllt werden.`, "nicht eindeutig"},
		{"a set on a field without a Codeliste of states",
			`Wenn in F10002 ein Staat gewählt wird, der zur EU gehört, dann muss F10006 befüllt werden.`, "keine Codeliste"},
		{"alle anderen Länder without a Land named before",
			`Für alle anderen Länder gilt: Das Datenfeld F10002 darf nicht angezeigt werden.`, "ohne zuvor genannte Länder"},
		{"a code that is not in the list, among others",
			`Wenn F10010 = 121000 GbR ODER 555 Unbekannt, dann muss F10002 befüllt werden.`, "kein Wert von F10010"},
		{"keine before a value the grammar does not read",
			`Wenn F10010 keine GbR ist, dann muss F10002 befüllt werden.`, "nicht verstanden"},
		{"alle anderen Ausprägungen of an element without a value named",
			`Wenn F10001 = 001, dann ist F10002 Pflicht. Bei allen anderen Ausprägungen von F10010 ist F10002 auszublenden.`, "ohne genannte Ausprägung"},
		{"alle anderen Ausprägungen after values of two elements",
			`Wenn F10001 = 001 und F10010 = S, dann ist F10002 Pflicht. Bei allen anderen Ausprägungen ist F10002 auszublenden.`, "ohne eindeutiges Element"},
		{"In allen anderen Fällen without a condition before",
			`F10002 ist zu befüllen. In allen anderen Fällen ist F10002 auszublenden.`, "ohne vorherige Bedingung"},
		{"a Land sentence with a condition is not read word by word",
			`In Bayern muss F10002 befüllt werden, wenn F10003 gelb leuchtet.`, "Länderregel mit Bedingung"},
		{"a Land sentence with two statements is not merged",
			`In Bayern muss F10002 befüllt werden und F10006 darf nicht angezeigt werden.`, "mehreren Aussagen"},
		{"müssen nicht gleichzeitig is no limit",
			`F10002 und F10006 müssen nicht gleichzeitig befüllt sein.`, "nicht verstanden"},
		{"a Land heading that excludes, then alle anderen",
			"Gilt nicht für Berlin: F10002 muss befüllt werden. Für alle anderen Länder gilt: F10002 ist auszublenden.", "ohne zuvor genannte Länder"},
		{"a Land sentence with two verbs is not merged, in any form",
			`In den Ländern Bremen und Hamburg ist G10002 auszufüllen und F10006 ist auszublenden.`, "Länderregel"},
		{"genau eines … darf: at most or exactly one",
			`Genau eines der Felder F10002 oder F10006 darf befüllt sein.`, "nicht eindeutig"},
		{"a second statement before a condition: which does the condition hold for",
			`F10002 ist Pflicht, G10002 ist auszublenden, wenn F10003 = wahr.`, "nicht verstanden"},
		{"nicht auszublenden is no hide",
			`In Bayern ist F10002 nicht auszublenden.`, "nicht verstanden"},
		{"restricting codes of a field without codes",
			`Wenn F10003 = wahr, dann muss F10002 befüllt werden, wobei nur die Codes 01 ODER 02 zulässig sind.`, "kein einfaches Auswahlfeld"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := syntheticWith(t, tt.rule, familyFields).Rules[0]
			if r.Status != Unsupported || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %s %q, want unsupported containing %q", r.Status, r.Reason, tt.reason)
			}
		})
	}
}

// TestRestatesDefault: a rule that only says an element is optional is
// informational where the element's Anzahl makes it optional anyway, and
// not compiled where its Anzahl requires it (no effect lifts a
// requirement). Neither makes the element required.
func TestRestatesDefault(t *testing.T) {
	for _, rule := range []string{
		`Wenn F10003 = wahr, dann ist F10002 kein Pflichtfeld.`,
		`Wenn F10001 = 002, dann wird F10002 keine Pflichtangabe.`,
		`Wenn F10001 = 002, dann ist G10002 nicht erforderlich.`,
		`Wenn F10001 = 002, dann muss F10002 nie befüllt werden.`,
		`Wenn F10003 = wahr, dann ist F10002 nicht zwingend auszufüllen.`,
		`Das Feld F10006 ist optional.`,
	} {
		r := syntheticWith(t, rule, familyFields).Rules[0]
		if r.Status != Informational || !strings.Contains(r.Reason, "was ohne Regel gilt") || len(r.Effects) != 0 {
			t.Errorf("%s: got %s %q %v, want informational", rule, r.Status, r.Reason, r.Effects)
		}
	}
	r := syntheticWith(t, `Wenn F10003 = wahr, dann ist F10008 kein Pflichtfeld.`, familyFields).Rules[0]
	if r.Status != Unsupported || !strings.Contains(r.Reason, "nach seiner Anzahl") {
		t.Errorf("an element its Anzahl requires: got %s %q, want unsupported", r.Status, r.Reason)
	}
	// Beside an effect, the restatement changes nothing.
	p := syntheticWith(t, `Wenn F10003 = wahr, dann ist F10002 optional, sonst ist F10002 auszublenden.`, familyFields)
	if got := familyOutcome(t, p, map[string]any{"F10003": true}, ""); got != "" {
		t.Errorf("condition holds: %q", got)
	}
	if got := familyOutcome(t, p, map[string]any{"F10003": false}, ""); got != "F10002:hidden" {
		t.Errorf("condition does not hold: %q", got)
	}
}

// TestLexicon checks the embedded lexicon and set table, and that a form
// reads as its lemma.
func TestLexicon(t *testing.T) {
	if _, err := parseLexicon("[lemmata]\nbefüllt: ausgefüllt\nangezeigt: ausgefüllt\n"); err == nil {
		t.Error("a form of two lemmas was accepted")
	}
	if _, err := parseStateSets("[staaten]\nDE DEU 000 Deutschland\n[mengen]\neu: DE XX\n"); err == nil {
		t.Error("an unknown member was accepted")
	}
	toks := lex(`Für alle anderen Ländern gilt: GmbH i.G. bzw. F10001 ausgefüllt`)
	var got []string
	for _, tk := range toks {
		got = append(got, tk.lower)
	}
	want := "für alle anderen länder gilt : gmbh i.g oder F10001 befüllt"
	if strings.Join(got, " ") != want {
		t.Errorf("lemmas %q, want %q", strings.Join(got, " "), want)
	}
	if n := len(namedSets.members["eu"]); n != 27 {
		t.Errorf("EU has %d members in sets.txt, want 27", n)
	}
	if n := len(namedSets.members["ewr"]); n != 30 {
		t.Errorf("EWR has %d members in sets.txt, want 30", n)
	}
}
