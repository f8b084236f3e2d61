package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
)

// synthetic builds a small XDatenfelder 3 schema whose only rule has the
// given text, carried by group G10001:
//
//	G10001 (1:1)
//	  F10001  select Ja/Nein-style codes 001 "Ja", 002 "Nein", 999 "Sonstiges"
//	  F10002  text (0:1)
//	  F10003  bool (0:1)
//	  F10004  date (0:1)
//	  F10005  date (0:1)
//	  F10006  text (0:1)
//	  F10007  select codes 01, 02 (0:3)
//	  G10002  (0:1) with F10008 text (1:1)
//	  G10003  (0:1) with F10009 text (1:1)
func synthetic(t *testing.T, rule string) *Program {
	t.Helper()
	return syntheticWith(t, rule, nil)
}

// syntheticWith is synthetic with more fields in G10001, built by extra
// from the same field and werte helpers.
func syntheticWith(t *testing.T, rule string, extra func(field func(id, feldart, datentyp, anzahl, extra string) string, werte func(pairs ...string) string) string) *Program {
	t.Helper()
	field := func(id, feldart, datentyp, anzahl, extra string) string {
		return `<xdf:struktur><xdf:anzahl>` + anzahl + `</xdf:anzahl><xdf:enthaelt><xdf:datenfeld><xdf:identifikation><xdf:id>` + id +
			`</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Name ` + id + `</xdf:name><xdf:feldart><code>` + feldart +
			`</code></xdf:feldart><xdf:datentyp><code>` + datentyp + `</code></xdf:datentyp>` + extra + `</xdf:datenfeld></xdf:enthaelt></xdf:struktur>`
	}
	group := func(id, anzahl, inner, regel string) string {
		return `<xdf:struktur><xdf:anzahl>` + anzahl + `</xdf:anzahl><xdf:enthaelt><xdf:datenfeldgruppe><xdf:identifikation><xdf:id>` + id +
			`</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Gruppe ` + id + `</xdf:name>` + regel + inner +
			`</xdf:datenfeldgruppe></xdf:enthaelt></xdf:struktur>`
	}
	werte := func(pairs ...string) string {
		s := "<xdf:werte>"
		for i := 0; i < len(pairs); i += 2 {
			s += "<xdf:wert><xdf:code>" + pairs[i] + "</xdf:code><xdf:name>" + pairs[i+1] + "</xdf:name></xdf:wert>"
		}
		return s + "</xdf:werte>"
	}
	regel := `<xdf:regel><xdf:identifikation><xdf:id>R1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Testregel</xdf:name><xdf:freitextRegel>` +
		xmlEscape(rule) + `</xdf:freitextRegel></xdf:regel>`
	inner := field("F10001", "select", "text", "0:1", werte("001", "Ja", "002", "Nein", "999", "Sonstiges")) +
		field("F10002", "input", "text", "0:1", "") +
		field("F10003", "input", "bool", "0:1", "") +
		field("F10004", "input", "date", "0:1", "") +
		field("F10005", "input", "date", "0:1", "") +
		field("F10006", "input", "text", "0:1", "") +
		field("F10007", "select", "text", "0:3", werte("01", "Eins", "02", "Zwei")) +
		group("G10002", "0:1", field("F10008", "input", "text", "1:1", ""), "") +
		group("G10003", "0:1", field("F10009", "input", "text", "1:1", ""), "")
	if extra != nil {
		inner += extra(field, werte)
	}
	doc := `<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0"><xdf:stammdatenschema>
<xdf:identifikation><xdf:id>S1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Test</xdf:name>` +
		group("G10001", "1:1", inner, regel) + `</xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>`
	// The document holds only what the rules read; the XSD requires more.
	s, _, err := fim.Import(strings.NewReader(doc), "synthetic.xml", fim.Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	return Compile(s)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// outcome evaluates the program on G10001's values and describes the state of
// the other elements: "F10002:hidden", "F10002:required", problems as "!path".
func outcome(t *testing.T, p *Program, g1 map[string]any, land string) string {
	t.Helper()
	return stateOf(t, p, g1, land, false, "F10002", "F10003", "F10004", "F10005", "F10006", "F10007", "G10002", "G10003")
}

// stateOf evaluates the program on G10001's values and describes the state
// of the elements ids inside G10001 ("F10002:hidden", "F10002:required"),
// of G10001 itself if carrier is set, and the problems as "!path".
func stateOf(t *testing.T, p *Program, g1 map[string]any, land string, carrier bool, ids ...string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"G10001": g1})
	doc, err := form.DecodeData(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := p.Evaluate(doc, Context{Today: testToday, Bundesland: land})
	var parts []string
	if carrier && st.Required(form.Path{{Key: "G10001"}}) {
		parts = append(parts, "G10001:required")
	}
	for _, id := range ids {
		path := form.Path{{Key: "G10001"}, {Key: id}}
		if st.Hidden(path) {
			parts = append(parts, id+":hidden")
		}
		if st.Required(path) {
			parts = append(parts, id+":required")
		}
	}
	for _, pr := range st.Problems() {
		parts = append(parts, "!"+strings.TrimPrefix(pr.Path, "G10001."))
	}
	return strings.Join(parts, " ")
}

func TestPhrasings(t *testing.T) {
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
		{"WENN DANN aktiviere UND mache es zu einer Pflichtangabe",
			`WENN F10001 "Name F10001" = 999 "Sonstiges", DANN aktiviere F10002 "Name F10002" UND mache es zu einer Pflichtangabe.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required"}, {map[string]any{"F10001": "001"}, "", "F10002:hidden"}, {nil, "", "F10002:hidden"}}},
		{"alle anderen Ausprägungen",
			`WENN F10001 = 999, DANN aktiviere F10002. WENN F10001 = alle anderen möglichen Ausprägungen der Codeliste, DANN deaktiviere F10002.`,
			[]check{{map[string]any{"F10001": "999"}, "", ""}, {map[string]any{"F10001": "002"}, "", "F10002:hidden"}}},
		{"Wenn dann muss befüllt sein, darf nicht befüllt sein",
			`Wenn das Feld F10001 = 001 "Ja", dann muss die Feldgruppe G10002 "Gruppe G10002" befüllt sein. Wenn das Feld F10001 <> 001 "Ja", dann darf die Feldgruppe G10002 nicht befüllt sein.`,
			[]check{{map[string]any{"F10001": "001"}, "", "G10002:required"}, {map[string]any{"F10001": "002"}, "", "G10002:hidden"}, {nil, "", "G10002:hidden"}}},
		{"elliptic ODER and UND",
			`Wenn das Feld F10001 = 001 ODER = 999, dann muss F10002 befüllt sein. Wenn das Feld F10001 <> 001 UND <> 999, dann darf F10002 nicht befüllt sein.`,
			[]check{{map[string]any{"F10001": "999"}, "", "F10002:required"}, {map[string]any{"F10001": "002"}, "", "F10002:hidden"}}},
		{"ist nur dann zu befüllen, wenn bejaht",
			`"F10002 Name F10002", "F10006 Name F10006" und "G10003 Gruppe" sind nur dann zu befüllen, wenn "F10003 Name F10003" bejaht wurde.`,
			[]check{{map[string]any{"F10003": true}, "", ""}, {map[string]any{"F10003": false}, "", "F10002:hidden F10006:hidden G10003:hidden"}}},
		{"ist ein Pflichtfeld, wenn eines der folgenden Felder mit belegt ist",
			`F10002 ist ein Pflichtfeld, wenn eines der folgenden Felder F10001, F10003 mit "Ja" belegt ist.`,
			[]check{{map[string]any{"F10003": true}, "", "F10002:required"}, {map[string]any{"F10001": "001"}, "", "F10002:required"}, {map[string]any{"F10001": "002", "F10003": false}, "", ""}}},
		{"zeige an, ansonsten nicht (=== and ==)",
			`Wenn F10001 Name F10001 == "001 Ja", dann zeige F10002 Name F10002 an, ansonsten nicht.`,
			[]check{{map[string]any{"F10001": "001"}, "", ""}, {map[string]any{"F10001": "002"}, "", "F10002:hidden"}}},
		{"zeige / blende aus, two clauses",
			`Wenn F10003 === "Ja", dann zeige die Datenfeldgruppe G10002 Gruppe G10002, wenn F10003 <> "Ja", dann blende die Datenfeldgruppe G10002 aus.`,
			[]check{{map[string]any{"F10003": true}, "", ""}, {map[string]any{"F10003": false}, "", "G10002:hidden"}}},
		{"zeige als Pflicht, SONST nicht an",
			`WENN F10003 = FALSCH, DANN zeige als Pflicht F10002 an, SONST zeige F10002 nicht an.`,
			[]check{{map[string]any{"F10003": false}, "", "F10002:required"}, {map[string]any{"F10003": true}, "", "F10002:hidden"}}},
		{"nicht leer, darf nicht leer sein",
			`Wenn F10002 "Name F10002" nicht leer, dann darf F10006 "Name F10006" nicht leer sein.`,
			[]check{{map[string]any{"F10002": "x"}, "", "F10006:required"}, {nil, "", ""}}},
		{"leer ist, muss nicht befüllt sein",
			`Wenn Feld F10003 <> wahr ODER das Feld F10002 leer ist, dann muss das Feld F10006 befüllt sein. Wenn Feld F10003 = wahr UND das Feld F10002 nicht leer ist, dann muss das Feld F10006 nicht befüllt sein.`,
			[]check{{map[string]any{"F10003": true, "F10002": "x"}, "", ""}, {map[string]any{"F10003": true}, "", "F10006:required"}}},
		{"date span in days",
			`Wenn (aktuelles Datum - F10004 "Name F10004") < 7 Tage muss das Feld F10002 befüllt sein. Wenn (aktuelles Datum - F10004 "Name F10004") > 7 Tage oder = 7 Tage darf das Feld F10002 nicht befüllt sein.`,
			[]check{{map[string]any{"F10004": "2026-01-12"}, "", "F10002:required"}, {map[string]any{"F10004": "2026-01-08"}, "", "F10002:hidden"}, {map[string]any{"F10004": "2025-06-01"}, "", "F10002:hidden"}, {nil, "", ""}}},
		{"date span in years",
			`Wenn (aktuelles Datum - F10004) > 6 Jahre, dann muss die Feldgruppe G10002 befüllt sein.`,
			[]check{{map[string]any{"F10004": "2019-01-14"}, "", "G10002:required"}, {map[string]any{"F10004": "2020-01-15"}, "", ""}}},
		{"Feldgruppe befüllt ist",
			`Wenn die Feldgruppe G10002 "Gruppe G10002" befüllt ist, dann darf die Feldgruppe G10003 nicht befüllt sein.`,
			[]check{{map[string]any{"G10002": map[string]any{"F10008": "x"}}, "", "G10003:hidden"}, {nil, "", ""}}},
		{"mindestens eines der Felder",
			`Es muss mindestens eines der Felder F10002 "Telefon", F10006 "Telefax" oder F10007 "E-Mail" befüllt sein.`,
			[]check{{map[string]any{"F10002": "x"}, "", ""}, {map[string]any{}, "", "!F10002"}}},
		{"mindestens eines muss den Wert wahr haben",
			`Mindestens eines der Felder F10003 "A" oder F10001 "B" muss den Wert "wahr" haben.`,
			[]check{{map[string]any{"F10003": true}, "", ""}, {map[string]any{"F10003": false}, "", "!F10003"}}},
		{"entweder oder",
			`Es muss entweder die Feldgruppe G10002 "Gruppe G10002" oder die Feldgruppe G10003 "Gruppe G10003" befüllt werden.`,
			[]check{{map[string]any{"G10002": map[string]any{"F10008": "x"}}, "", ""}, {map[string]any{}, "", "!G10002"}, {map[string]any{"G10002": map[string]any{"F10008": "x"}, "G10003": map[string]any{"F10009": "y"}}, "", "!G10002"}}},
		{"Datum vor",
			`Das Datum im Feld F10004 "von" muss zeitlich vor dem Datum in Feld F10005 "bis" liegen.`,
			[]check{{map[string]any{"F10004": "2024-01-01", "F10005": "2024-01-02"}, "", ""}, {map[string]any{"F10004": "2024-01-02", "F10005": "2024-01-02"}, "", "!F10005"}, {map[string]any{"F10004": "2024-01-02"}, "", ""}}},
		{"jeder Eintrag nur einmal",
			`Das Feld F10007 "Name F10007" kann bis zu dreimal ausgefüllt werden. Dabei darf aber jeder Eintrag nur maximal einmal ausgewählt werden.`,
			[]check{{map[string]any{"F10007": []any{"01", "02"}}, "", ""}, {map[string]any{"F10007": []any{"01", "01"}}, "", "!F10007"}}},
		{"repeated element compared with a code",
			`Wenn das Feld F10007 = 02 "Zwei", dann muss das Feld F10002 befüllt sein. Wenn das Feld F10007 <> 02 "Zwei", dann darf das Feld F10002 nicht befüllt sein.`,
			[]check{{map[string]any{"F10007": []any{"01", "02"}}, "", "F10002:required"}, {map[string]any{"F10007": []any{"01"}}, "", "F10002:hidden"}}},
		{"Land",
			`Die Gruppe G10002 "Gruppe G10002" muss für die Länder RP und ST befüllt werden. Für die anderen Bundesländer darf die Gruppe nicht angezeigt werden.`,
			[]check{{nil, "ST", "G10002:required"}, {nil, "TH", "G10002:hidden"}, {nil, "", "G10002:hidden"}}},
		{"Land außer",
			`Die Gruppe G10002 muss für alle Länder außer RP und ST befüllt werden. Für RP und ST darf die Gruppe nicht angezeigt werden.`,
			[]check{{nil, "ST", "G10002:hidden"}, {nil, "TH", "G10002:required"}}},
		{"wird zur Pflichtangabe",
			`Wenn bei F10001 "002 Nein" angegeben wird, dann wird G10002 zur Pflichtangabe.`,
			[]check{{map[string]any{"F10001": "002"}, "", "G10002:required"}, {map[string]any{"F10001": "001"}, "", ""}}},
		{"hidden source reads as empty",
			`Wenn F10003 = wahr, dann aktiviere F10002. Wenn F10002 nicht leer, dann darf F10006 nicht leer sein.`,
			[]check{{map[string]any{"F10003": true, "F10002": "x"}, "", "F10006:required"}, {map[string]any{"F10003": false, "F10002": "stale"}, "", "F10002:hidden"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := synthetic(t, tt.rule)
			r := p.Rules[0]
			if r.Status != Compiled {
				t.Fatalf("%s: %s", r.Status, r.Reason)
			}
			for _, c := range tt.checks {
				if got := outcome(t, p, c.g1, c.land); got != c.want {
					t.Errorf("with %v %s: got %q, want %q\n%s", c.g1, c.land, got, c.want, js(r.Effects))
				}
			}
		})
	}
}

func TestNotCompiled(t *testing.T) {
	tests := []struct {
		name, rule string
		status     Status
		reason     string
	}{
		{"empty", ``, Informational, "weder Text noch Skript"},
		{"prose", `Die Angaben sind sorgfältig zu prüfen.`, Unsupported, "Satz nicht verstanden"},
		{"unknown element", `Wenn F99999 = 001, dann aktiviere F10002.`, Unsupported, "F99999 kommt im Schema nicht vor"},
		{"contradiction", `Wenn F10003 === "Ja", dann zeige G10002, bei <> "Nein" blende G10002 aus.`, Unsupported, "widersprüchlich"},
		{"value not a code", `Wenn F10001 = 555, dann aktiviere F10002.`, Unsupported, "kein Wert von F10001"},
		{"truth value for text", `Wenn F10002 = wahr, dann aktiviere F10006.`, Unsupported, "Wahrheitswert"},
		{"dangling rest", `Wenn F10003 = wahr, dann aktiviere F10002 und dann noch irgendwas.`, Unsupported, "nicht verstanden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := synthetic(t, tt.rule).Rules[0]
			if r.Status != tt.status || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %s %q, want %s containing %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if len(r.Effects) != 0 {
				t.Errorf("effects on a rule that is not compiled: %v", js(r.Effects))
			}
		})
	}
}

func TestEdges(t *testing.T) {
	p := synthetic(t, `WENN F10001 = 999, DANN aktiviere F10002 UND mache es zu einer Pflichtangabe.`)
	got := js(p.Rules[0].Edges())
	want := `[{"source":"F10001","target":"F10002","effect":"show"},{"source":"F10001","target":"F10002","effect":"require"}]`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// FuzzCompile feeds arbitrary rule texts to the compiler: it never panics,
// and whatever it compiles evaluates without a panic.
func FuzzCompile(f *testing.F) {
	for _, name := range samples.Files() {
		s := importSample(f, name)
		for _, r := range s.Regeln {
			f.Add(r.FreitextRegel)
		}
		s.Walk(func(_ form.Path, c *form.Child) bool {
			for _, r := range c.Element.Regeln {
				f.Add(strings.ReplaceAll(r.FreitextRegel, "F6", "F1"))
			}
			return true
		})
	}
	f.Add(`WENN F10001 = 999, DANN aktiviere F10002 UND mache es zu einer Pflichtangabe.`)
	base := synthetic(&testing.T{}, "")
	f.Fuzz(func(t *testing.T, text string) {
		s := base.Schema
		g := s.Struktur[0].Element
		saved := g.Regeln
		g.Regeln = []form.Regel{{ID: "R1", FreitextRegel: text}}
		defer func() { g.Regeln = saved }()
		p := Compile(s)
		r := p.Rules[0]
		if r.Status == "" || (r.Status != Compiled && r.Reason == "") {
			t.Fatalf("status %q reason %q", r.Status, r.Reason)
		}
		doc := map[string]any{"G10001": map[string]any{"F10001": "999", "F10003": true, "F10007": []any{"01"}}}
		p.Validate(doc, Context{Today: testToday, Bundesland: "TH"})
	})
}
