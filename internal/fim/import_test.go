package fim_test

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/golden"
)

// importSample imports one embedded sample schema.
func importSample(tb testing.TB, name string) (*form.Schema, *fim.Report) {
	tb.Helper()
	b, err := samples.FS.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	s, rep, err := fim.Import(bytes.NewReader(b), name, fim.Options{})
	if err != nil {
		tb.Fatalf("import %s: %v", name, err)
	}
	return s, rep
}

// TestImportSamplesGolden imports every real sample schema and compares the
// import report with testdata/golden/<file>.json.
func TestImportSamplesGolden(t *testing.T) {
	files := samples.Files()
	if len(files) < 15 {
		t.Fatalf("only %d samples embedded", len(files))
	}
	versions := map[string]int{}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			_, rep := importSample(t, name)
			versions[rep.XDFVersion]++
			golden.JSON(t, strings.TrimSuffix(path.Base(name), ".xml")+".json", rep)
		})
	}
	for _, v := range []string{"1", "2.0", "3.0.0"} {
		if versions[v] == 0 {
			t.Errorf("no sample of XDatenfelder %s imported", v)
		}
	}
}

// TestImportModel checks parts of the model against what the sample files
// say, element by element.
func TestImportModel(t *testing.T) {
	find := func(s *form.Schema, id string) (*form.Child, form.Path) {
		var found *form.Child
		var at form.Path
		s.Walk(func(p form.Path, c *form.Child) bool {
			if found == nil && c.Element.ID == id {
				found, at = c, p
			}
			return found == nil
		})
		if found == nil {
			t.Fatalf("%s: element %s not found", s.ID, id)
		}
		return found, at
	}

	t.Run("xdf3 Jägerprüfung", func(t *testing.T) {
		s, _ := importSample(t, "xdf3/S07000000201_xdf3.xml")
		if s.ID != "S07000000201" || s.Version != "1.2.0" || s.XDFVersion != "3.0.0" {
			t.Fatalf("identification: %s %s %s", s.ID, s.Version, s.XDFVersion)
		}
		if s.Freigabestatus == nil || s.Freigabestatus.Code != "5" || s.Freigabestatus.Label != "fachlich freigegeben (silber)" {
			t.Errorf("freigabestatus: %+v", s.Freigabestatus)
		}
		if len(s.Bezug) != 2 || s.Bezug[0].Link != "https://www.gesetze-im-internet.de/bjagdg/__15.html" {
			t.Errorf("bezug: %+v", s.Bezug)
		}
		c, p := find(s, "F60000000229")
		e := c.Element
		if c.Anzahl != (form.Anzahl{Min: 0, Max: 1}) || e.Version != "2.0.0" || e.Feldart != form.FeldartInput || e.Datentyp != form.DatentypText {
			t.Errorf("Doktorgrade: %v %s %s %s", c.Anzahl, e.Version, e.Feldart, e.Datentyp)
		}
		if *e.Praezisierung.MinLength != 3 || *e.Praezisierung.MaxLength != 119 {
			t.Errorf("Doktorgrade praezisierung: %+v", e.Praezisierung)
		}
		if p.String() != "G07000002577.F60000000229" {
			t.Errorf("path %s", p)
		}
		g, _ := find(s, "G07000002577")
		if len(g.Element.Regeln) != 1 || g.Element.Regeln[0].ID != "R07000002245" || g.Element.Regeln[0].Typ != "K" ||
			!strings.HasPrefix(g.Element.Regeln[0].FreitextRegel, "WENN G60000000083 Geburtsdatum") {
			t.Errorf("regel of G07000002577: %+v", g.Element.Regeln)
		}
	})

	t.Run("xdf3 files and werte", func(t *testing.T) {
		s, _ := importSample(t, "xdf3/S05000001323_xdf3.xml")
		c, _ := find(s, "F05000018327")
		e := c.Element
		if e.Datentyp != form.DatentypFile || e.Praezisierung.MaxSize != 20000000 ||
			strings.Join(e.Praezisierung.MediaTypes, ",") != "application/pdf,image/jpeg,image/png" {
			t.Errorf("file field: %s %+v", e.Datentyp, e.Praezisierung)
		}
		if c.Anzahl != (form.Anzahl{Min: 1, Max: form.Unbounded}) {
			t.Errorf("anzahl %v", c.Anzahl)
		}
		var withWerte int
		s.Walk(func(_ form.Path, c *form.Child) bool {
			if len(c.Element.Werte) > 0 {
				withWerte++
				if c.Element.Werte[0].Code == "" || c.Element.Werte[0].Name == "" {
					t.Errorf("%s: empty wert", c.Element.ID)
				}
			}
			return true
		})
		if withWerte == 0 {
			t.Error("no inline werte found")
		}
	})

	t.Run("xdf2 Asbest", func(t *testing.T) {
		s, rep := importSample(t, "xdf2/S00000186_V1.0_xdf2.xml")
		if s.Version != "1.0" || s.XDFVersion != "2.0" || len(s.Regeln) == 0 {
			t.Fatalf("%s %s regeln %d", s.Version, s.XDFVersion, len(s.Regeln))
		}
		if !strings.Contains(s.Regeln[0].FreitextRegel, "F00002364") || !strings.Contains(s.Regeln[0].Skript, "function script()") {
			t.Errorf("xdf2 regel definition/script not kept: %+v", s.Regeln[0])
		}
		c, _ := find(s, "F00000084")
		pr := c.Element.Praezisierung
		if *pr.MinLength != 1 || *pr.MaxLength != 2 || pr.Pattern != `[\p{L}0-9. ]*` {
			t.Errorf("json praezisierung: %+v", pr)
		}
		if len(rep.CodelistsMissing) != 0 || len(rep.CodelistsResolved) != 14 {
			t.Errorf("code lists: %d resolved, missing %v", len(rep.CodelistsResolved), rep.CodelistsMissing)
		}
		var resolved int
		s.Walk(func(_ form.Path, c *form.Child) bool {
			if c.Element.CodelisteRef != nil {
				if c.Element.Codeliste == nil || len(c.Element.Codes()) == 0 {
					t.Errorf("%s: reference %s not resolved", c.Element.ID, c.Element.CodelisteRef.CanonicalVersionURI)
				}
				resolved++
			}
			return true
		})
		if resolved == 0 {
			t.Error("no codelisteReferenz seen")
		}
	})

	t.Run("xdf2 range praezisierung", func(t *testing.T) {
		s, _ := importSample(t, "xdf2/S00000009_GewerbeAnmeldung_xdf2.xml")
		c, _ := find(s, "F00000441")
		if c.Element.Praezisierung.MinValue != "1" || c.Element.Praezisierung.MaxValue != "12" {
			t.Errorf("1..12 not read as range: %+v", c.Element.Praezisierung)
		}
		c, _ = find(s, "F00000120")
		if c.Element.Praezisierung.Regexp() != nil {
			t.Error("the text pattern \"Mehrfachauswahl\" must not become a check")
		}
	})

	t.Run("xdf1 Waffenbesitzkarte", func(t *testing.T) {
		s, rep := importSample(t, "xdf1/S00000036_WaBeKa_xdf1.xml")
		if s.ID != "S00000036" || s.Version != "0.0" || s.XDFVersion != "1" || rep.Created != "2019-04-23" {
			t.Fatalf("identification: %s %s %s %s", s.ID, s.Version, s.XDFVersion, rep.Created)
		}
		c, _ := find(s, "F00000038")
		ref := c.Element.CodelisteRef
		if ref == nil || ref.ID != "C00000009" || ref.CanonicalVersionURI != "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat_2017-01-01" {
			t.Errorf("xdf1 codeliste: %+v", ref)
		}
		if c.Element.Codeliste != nil || c.Element.HasCodes() {
			t.Error("missing code list must leave the field free text")
		}
	})

	t.Run("xdf3 datenfeldgruppe message", func(t *testing.T) {
		s, _ := importSample(t, "xdf3/G60000000088_datenfeldgruppe0103_example_xdf3.xml")
		if s.Root != form.KindGroup || s.ID != "G60000000088" || len(s.Struktur) != 1 || s.Struktur[0].Element.ID != "G60000000088" {
			t.Fatalf("group message: %+v", s)
		}
		_, p := find(s, "F60000000243")
		if p.String() != "G60000000088.G60000000086.F60000000243" {
			t.Errorf("path %s", p)
		}
	})

	t.Run("Leistungsschlüssel from beschreibung", func(t *testing.T) {
		s, _ := importSample(t, "xdf3/S00000000371_xdf3.xml")
		if strings.Join(s.Leistungsschluessel, ",") != "99006053006000" {
			t.Errorf("got %v", s.Leistungsschluessel)
		}
	})
}

func TestImportErrors(t *testing.T) {
	const ns3 = `xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0"`
	// The required life-cycle elements of every XDatenfelder 3 element.
	const status = `<xdf:freigabestatus listVersionID="2022-07-12"><code>6</code></xdf:freigabestatus><xdf:letzteAenderung>2026-01-01T00:00:00Z</xdf:letzteAenderung>`
	schema := func(body string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>
<xdf:xdatenfelder.stammdatenschema.0102 ` + ns3 + `>
<xdf:header><xdf:nachrichtID>1</xdf:nachrichtID><xdf:erstellungszeitpunkt>2026-01-01T00:00:00Z</xdf:erstellungszeitpunkt></xdf:header>
<xdf:stammdatenschema>
<xdf:identifikation><xdf:id>S1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Test</xdf:name>` + status + `<xdf:bezeichnung>Test</xdf:bezeichnung><xdf:ableitungsmodifikationenStruktur><code>0</code></xdf:ableitungsmodifikationenStruktur><xdf:ableitungsmodifikationenRepraesentation><code>0</code></xdf:ableitungsmodifikationenRepraesentation><xdf:dokumentsteckbrief><xdf:id>D1</xdf:id></xdf:dokumentsteckbrief>
` + body + `
</xdf:stammdatenschema>
</xdf:xdatenfelder.stammdatenschema.0102>`
	}
	fieldXML := func(id, feldart, datentyp, extra string) string {
		return `<xdf:datenfeld><xdf:identifikation><xdf:id>` + id + `</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>` + id + `</xdf:name>` + status +
			`<xdf:bezeichnungEingabe>` + id + `</xdf:bezeichnungEingabe><xdf:schemaelementart><code>RNG</code></xdf:schemaelementart>
<xdf:feldart><code>` + feldart + `</code></xdf:feldart>
<xdf:datentyp><code>` + datentyp + `</code></xdf:datentyp>` + extra + `<xdf:vorbefuellung><code>keine</code></xdf:vorbefuellung></xdf:datenfeld>`
	}
	struktur := func(anzahl, content string) string {
		return `<xdf:struktur><xdf:anzahl>` + anzahl + `</xdf:anzahl><xdf:enthaelt>` + content + `</xdf:enthaelt></xdf:struktur>`
	}
	groupV := func(id, version, inner string) string {
		return `<xdf:datenfeldgruppe><xdf:identifikation><xdf:id>` + id + `</xdf:id><xdf:version>` + version + `</xdf:version></xdf:identifikation><xdf:name>` + id + `</xdf:name>` + status +
			`<xdf:bezeichnungEingabe>` + id + `</xdf:bezeichnungEingabe><xdf:schemaelementart><code>HAR</code></xdf:schemaelementart>` + inner + `</xdf:datenfeldgruppe>`
	}
	group := func(id, inner string) string { return groupV(id, "1.0.0", inner) }
	deep := fieldXML("F1", "input", "text", "")
	for i := 0; i < 120; i++ {
		deep = group("G"+strings.Repeat("9", 1)+string(rune('A'+i%26))+strings.Repeat("x", i/26), struktur("1:1", deep))
	}
	field := fieldXML("F1", "input", "text", "")
	tests := []struct {
		name string
		doc  string
		line int
		want string // in the message
	}{
		{"malformed XML", schema(struktur("1:1", `<xdf:datenfeld>`)), 6, "XML nicht lesbar"},
		{"not XML", "Hallo", 1, "kein XML-Element"},
		{"broken tag", "<a><b></a>", 1, "XML nicht lesbar"},
		{"empty", "", 1, "kein XML-Element"},
		{"unknown namespace", `<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:example"><xdf:stammdatenschema/></xdf:xdatenfelder.stammdatenschema.0102>`, 1, "unbekannter Namensraum"},
		{"unknown root", `<xdf:xdatenfelder.codeliste.0104 ` + ns3 + `/>`, 1, "keine unterstützte Nachricht"},
		{"XDF1 root in XDF3 namespace", `<xdf:xdatenfelder.stammdatenschema.0102001 ` + ns3 + `/>`, 1, "keine unterstützte Nachricht"},
		{"unknown datentyp", schema(struktur("1:1", fieldXML("F1", "input", "string", ""))), 8, `Ungültiger Code „string“ in „xdf:datentyp“`},
		{"unknown feldart", schema(struktur("1:1", fieldXML("F1", "checkbox", "bool", ""))), 7, `Ungültiger Code „checkbox“ in „xdf:feldart“`},
		{"anzahl min above max", schema(struktur("5:2", fieldXML("F1", "input", "text", ""))), 6, "Minimum 5 ist größer als Maximum 2"},
		{"anzahl not a number", schema(struktur("eins:*", fieldXML("F1", "input", "text", ""))), 6, "anzahl"},
		{"anzahl zero max", schema(struktur("0:0", fieldXML("F1", "input", "text", ""))), 6, "Maximum"},
		{"anzahl huge", schema(struktur("1:99999999", fieldXML("F1", "input", "text", ""))), 6, "Maximum"},
		{"reference cycle", schema(struktur("1:1", group("G1", struktur("0:1", group("G2", struktur("0:1", groupV("G1", "2.0.0", struktur("1:1", field)))))))), 6, "Referenzzyklus: Datenfeldgruppe G1 enthält sich selbst (G1 → G2 → G1)"},
		{"absurd nesting", schema(struktur("1:1", deep)), 0, "Verschachtelung tiefer als 256 Ebenen"},
		{"datenfeld without id", schema(struktur("1:1", `<xdf:datenfeld><xdf:name>x</xdf:name></xdf:datenfeld>`)), 6, "In „xdf:datenfeld“ fehlt xdf:identifikation vor „xdf:name“"},
		{"duplicate siblings", schema(struktur("1:1", fieldXML("F1", "input", "text", "")) + "\n" + struktur("0:1", fieldXML("F1", "input", "text", ""))), 9, "F1 kommt in derselben Gruppe zweimal vor"},
		{"enthaelt with two elements", schema(struktur("1:1", fieldXML("F1", "input", "text", "")+fieldXML("F2", "input", "text", ""))), 8, "Element „xdf:datenfeld“ kommt in „xdf:enthaelt“ zu oft vor (höchstens 1-mal erlaubt)"},
		{"minLength above maxLength", schema(struktur("1:1", fieldXML("F1", "input", "text", `<xdf:praezisierung minLength="9" maxLength="2"/>`))), 8, "minLength 9 ist größer als maxLength 2"},
		{"minValue above maxValue", schema(struktur("1:1", fieldXML("F1", "input", "num_int", `<xdf:praezisierung minValue="10" maxValue="2"/>`))), 8, "minValue 10 ist größer als maxValue 2"},
		{"latin-1 declaration", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, 1, "Zeichenkodierung"},
		{"two roots", `<a xmlns="` + fim.NamespaceXDF3 + `"/><b/>`, 1, "mehr als ein Wurzelelement"},
		{"undefined entity", schema(`<xdf:struktur><xdf:anzahl>&foo;</xdf:anzahl></xdf:struktur>`), 6, "XML nicht lesbar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := fim.Import(strings.NewReader(tt.doc), "test.xml", fim.Options{})
			var ie *fim.Error
			if !errors.As(err, &ie) {
				t.Fatalf("want *fim.Error, got %v", err)
			}
			if ie.File != "test.xml" || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to name test.xml and contain %q", err, tt.want)
			}
			if tt.line > 0 && ie.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", ie.Line, tt.line, err)
			}
			if !strings.HasPrefix(err.Error(), "test.xml:") {
				t.Errorf("error does not start with the file name: %q", err)
			}
		})
	}
}

func TestImportRefusesOversizedDocument(t *testing.T) {
	b, err := samples.FS.ReadFile("xdf3/S05000001323_xdf3.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = fim.Import(bytes.NewReader(b), "big.xml", fim.Options{Limits: fim.Limits{MaxBytes: 100_000}})
	if err == nil || !strings.Contains(err.Error(), "mehr als 100000 Bytes") {
		t.Fatalf("got %v", err)
	}
	// An endless stream stops at a limit instead of exhausting memory.
	_, _, err = fim.Import(&endless{}, "endless.xml", fim.Options{})
	if err == nil || !strings.Contains(err.Error(), "mehr als 500000 XML-Elemente") {
		t.Fatalf("endless stream: got %v", err)
	}
	_, _, err = fim.Import(&endless{}, "endless.xml", fim.Options{Limits: fim.Limits{MaxBytes: 1 << 20}})
	if err == nil || !strings.Contains(err.Error(), "mehr als 1048576 Bytes") {
		t.Fatalf("endless stream: got %v", err)
	}
}

// endless is an XML document that never ends: a root element with ever
// more children.
type endless struct{ off int }

func (e *endless) Read(p []byte) (int, error) {
	const head, body = `<a xmlns="urn:xoev-de:fim:standard:xdatenfelder_3.0.0">`, "<b>x</b>"
	for i := range p {
		if e.off < len(head) {
			p[i] = head[e.off]
		} else {
			p[i] = body[(e.off-len(head))%len(body)]
		}
		e.off++
	}
	return len(p), nil
}

func TestImportWarnsInsteadOfDropping(t *testing.T) {
	// Valid XDatenfelder 3.0.0 with elements and attributes the model does
	// not take over (referenzID, codeKey) and values it cannot use.
	doc := `<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0">
<xdf:header><xdf:nachrichtID>1</xdf:nachrichtID><xdf:erstellungszeitpunkt>2026-01-01T00:00:00Z</xdf:erstellungszeitpunkt><xdf:referenzID>0815</xdf:referenzID></xdf:header>
<xdf:stammdatenschema>
<xdf:identifikation><xdf:id>S1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Test</xdf:name>
<xdf:freigabestatus listVersionID="2022-07-12"><code>6</code></xdf:freigabestatus><xdf:letzteAenderung>2026-01-01T00:00:00Z</xdf:letzteAenderung>
<xdf:bezeichnung>Test</xdf:bezeichnung><xdf:ableitungsmodifikationenStruktur><code>0</code></xdf:ableitungsmodifikationenStruktur><xdf:ableitungsmodifikationenRepraesentation><code>0</code></xdf:ableitungsmodifikationenRepraesentation><xdf:dokumentsteckbrief><xdf:id>D1</xdf:id></xdf:dokumentsteckbrief>
<xdf:struktur><xdf:anzahl>1:1</xdf:anzahl><xdf:enthaelt>
<xdf:datenfeld><xdf:identifikation><xdf:id>F1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>Feld</xdf:name>
<xdf:freigabestatus listVersionID="2022-07-12"><code>6</code></xdf:freigabestatus><xdf:letzteAenderung>2026-01-01T00:00:00Z</xdf:letzteAenderung>
<xdf:bezeichnungEingabe>Feld</xdf:bezeichnungEingabe><xdf:schemaelementart><code>RNG</code></xdf:schemaelementart>
<xdf:feldart><code>select</code></xdf:feldart><xdf:datentyp><code>text</code></xdf:datentyp>
<xdf:praezisierung pattern="(?=lookahead)x" minValue="abc"/><xdf:vorbefuellung><code>keine</code></xdf:vorbefuellung>
<xdf:codelisteReferenz><xdf:canonicalIdentification>urn:x</xdf:canonicalIdentification><xdf:version>1</xdf:version></xdf:codelisteReferenz><xdf:codeKey>schluessel</xdf:codeKey>
</xdf:datenfeld></xdf:enthaelt></xdf:struktur>
</xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>`
	s, rep, err := fim.Import(strings.NewReader(doc), "w.xml", fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, w := range rep.Warnings {
		msgs = append(msgs, w.Code+": "+w.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"unused: header/referenzID nicht übernommen (1×)",
		"unused: datenfeld/codeKey nicht übernommen (1×)",
		`pattern: F1: pattern "(?=lookahead)x" ist als regulärer Ausdruck nicht verwendbar`,
		`praezisierung: F1: minValue "abc" passt nicht zum datentyp text; ignoriert`,
		`codelist: Codeliste "urn:x_1" nicht im Katalog`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning %q in\n%s", want, all)
		}
	}
	if strings.Join(rep.CodelistsMissing, ",") != "urn:x_1" {
		t.Errorf("missing lists: %v", rep.CodelistsMissing)
	}
	e := s.Struktur[0].Element
	if e.HasCodes() || e.Praezisierung.Regexp() != nil {
		t.Error("field must stay free text without a pattern check")
	}
}
