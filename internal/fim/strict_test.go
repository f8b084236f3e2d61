package fim_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
)

// mutation changes a real document in one place: the nth occurrence (1 if
// 0) of anchor, then the first occurrence of old at or after it becomes new.
// The import must fail at the first occurrence of at from the change on
// (with atAnchor: at the anchor; with atBefore: at its last occurrence
// before the anchor), with want in the message.
type mutation struct {
	name     string
	anchor   string
	nth      int
	old, new string
	at       string
	atAnchor bool
	atBefore string // the error is at the last occurrence of this before the anchor
	want     string
}

// apply returns the changed document and the expected line and column.
func (m mutation) apply(t *testing.T, doc []byte) ([]byte, int, int) {
	t.Helper()
	s := string(doc)
	a := 0
	for n := max(m.nth, 1); n > 0; n-- {
		i := strings.Index(s[a:], m.anchor)
		if i < 0 {
			t.Fatalf("anchor %q not found", m.anchor)
		}
		a += i
		if n > 1 {
			a += len(m.anchor)
		}
	}
	i := strings.Index(s[a:], m.old)
	if i < 0 {
		t.Fatalf("%q not found after %q", m.old, m.anchor)
	}
	i += a
	s = s[:i] + m.new + s[i+len(m.old):]
	pos := a
	if m.atBefore != "" {
		pos = strings.LastIndex(s[:a], m.atBefore)
	} else if !m.atAnchor {
		j := strings.Index(s[i:], m.at)
		if j < 0 {
			t.Fatalf("%q not in the changed document", m.at)
		}
		pos = i + j
	}
	line := strings.Count(s[:pos], "\n") + 1
	col := pos - strings.LastIndex(s[:pos], "\n")
	return []byte(s), line, col
}

func readStrict(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "strict", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runMutations(t *testing.T, file string, tests []mutation) {
	doc := readStrict(t, file)
	if _, rep, err := fim.Import(bytes.NewReader(doc), file, fim.Options{}); err != nil {
		t.Fatalf("the unchanged document must import: %v", err)
	} else {
		for _, w := range rep.Warnings {
			if w.Code == fim.WarnStructure {
				t.Fatalf("the unchanged document breaks a rule: %+v", w)
			}
		}
	}
	for _, m := range tests {
		t.Run(m.name, func(t *testing.T) {
			changed, line, col := m.apply(t, doc)
			_, _, err := fim.Import(bytes.NewReader(changed), file, fim.Options{})
			var ie *fim.Error
			if !errors.As(err, &ie) {
				t.Fatalf("want *fim.Error, got %v", err)
			}
			if !strings.Contains(ie.Err.Error(), m.want) {
				t.Errorf("got %q, want it to contain %q", err, m.want)
			}
			if ie.Line != line || ie.Column != col {
				t.Errorf("at %d:%d, want %d:%d (%v)", ie.Line, ie.Column, line, col, err)
			}
			prefix := file + ":" + itoa(line) + ":" + itoa(col) + ": "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("%q does not start with %q", err, prefix)
			}
			// Lenient imports the same document with the violation as a
			// warning at the same place, unless the model cannot take what
			// is left (a Datenfeld without feldart, say).
			_, rep, err := fim.Import(bytes.NewReader(changed), file, fim.Options{Lenient: true})
			if err != nil {
				if strings.Contains(err.Error(), m.want) {
					t.Fatalf("lenient refuses with the structural error: %v", err)
				}
				return
			}
			found := false
			for _, w := range rep.Warnings {
				found = found || (w.Code == fim.WarnStructure && w.Line == line && w.Column == col && strings.Contains(w.Message, m.want))
			}
			if !found {
				t.Errorf("lenient: no warning %q at %d:%d in %+v", m.want, line, col, rep.Warnings)
			}
		})
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

// TestStrictXDF3 changes a real XDatenfelder 3.0.0 export in one place per
// rule of the XSD and requires the import to refuse it at that place.
func TestStrictXDF3(t *testing.T) {
	const df = "<xdf3:datenfeld>"
	runMutations(t, "S00000000364_xdf3.xml", []mutation{
		{name: "identifikation with two ids", anchor: df, old: "<xdf3:id>F60000000319</xdf3:id>",
			new: "<xdf3:id>F60000000319</xdf3:id><xdf3:id>F60000000320</xdf3:id>", at: "<xdf3:id>F60000000320",
			want: "Element „xdf:id“ kommt in „xdf:identifikation“ zu oft vor (höchstens 1-mal erlaubt)"},
		{name: "invalid freigabestatus", anchor: df, old: `listVersionID="2022-07-12"><code>6</code>`,
			new: `listVersionID="2022-07-12"><code>9</code>`, at: "<code>9",
			want: "Ungültiger Code „9“ in „xdf:freigabestatus“ (erlaubt: 1, 2, 3, 4, 5, 6, 7, 8"},
		{name: "element not in the schema", anchor: df, old: "<xdf3:bezeichnungEingabe>",
			new: "<xdf3:farbe>rot</xdf3:farbe><xdf3:bezeichnungEingabe>", at: "<xdf3:farbe>",
			want: "Element „xdf:farbe“ ist in „xdf:datenfeld“ F60000000319 Version 1.3.0 nicht erlaubt (erwartet: xdf:relation, xdf:stichwort, xdf:bezeichnungEingabe)"},
		{name: "duplicated wert", anchor: df, old: "<code>keine</code></xdf3:vorbefuellung>",
			new: "<code>keine</code></xdf3:vorbefuellung><xdf3:werte><xdf3:wert><xdf3:code>01</xdf3:code><xdf3:name>A</xdf3:name></xdf3:wert><xdf3:wert><xdf3:code>01</xdf3:code><xdf3:name>B</xdf3:name></xdf3:wert></xdf3:werte>",
			at:  "<xdf3:code>01</xdf3:code><xdf3:name>B", want: "Code „01“ kommt in „xdf:werte“ zweimal vor"},
		{name: "element order", anchor: df, old: "<xdf3:statusGesetztAm>2023-05-17</xdf3:statusGesetztAm>",
			new: "<xdf3:statusGesetztAm>2023-05-17</xdf3:statusGesetztAm><xdf3:definition>später</xdf3:definition>", at: "<xdf3:definition>später",
			want: "Element „xdf:definition“ steht in „xdf:datenfeld“ F60000000319 Version 1.3.0 an falscher Stelle"},
		{name: "missing required element", anchor: df, old: `<xdf3:feldart listURI="urn:xoev-de:fim:codeliste:xdatenfelder.feldart" listVersionID="2.0"><code>input</code></xdf3:feldart>`,
			new: "", at: "<xdf3:datentyp", want: "In „xdf:datenfeld“ F60000000319 Version 1.3.0 fehlt xdf:feldart vor „xdf:datentyp“"},
		{name: "missing required element at the end", anchor: "<xdf3:header>", old: "<xdf3:erstellungszeitpunkt>2026-08-12T13:12:11.454413+00:00</xdf3:erstellungszeitpunkt>",
			new: "", atAnchor: true, want: "In „xdf:header“ fehlt xdf:erstellungszeitpunkt"},
		{name: "wrong cardinality", anchor: "<xdf3:struktur>", old: "<xdf3:anzahl>1:1</xdf3:anzahl>",
			new: "<xdf3:anzahl>1:1</xdf3:anzahl><xdf3:anzahl>0:1</xdf3:anzahl>", at: "<xdf3:anzahl>0:1",
			want: "Element „xdf:anzahl“ kommt in „xdf:struktur“ zu oft vor (höchstens 1-mal erlaubt)"},
		{name: "invalid datentyp", old: "<code>text</code></xdf3:datentyp>", new: "<code>string</code></xdf3:datentyp>", at: "<code>string",
			want: "Ungültiger Code „string“ in „xdf:datentyp“"},
		{name: "invalid feldart", old: "<code>input</code></xdf3:feldart>", new: "<code>checkbox</code></xdf3:feldart>", at: "<code>checkbox",
			want: "Ungültiger Code „checkbox“ in „xdf:feldart“ (erlaubt: hidden, input, label, locked, select"},
		{name: "invalid schemaelementart", old: "<code>HAR</code></xdf3:schemaelementart>", new: "<code>XYZ</code></xdf3:schemaelementart>", at: "<code>XYZ",
			want: "Ungültiger Code „XYZ“ in „xdf:schemaelementart“ (erlaubt: ABS, HAR, RNG"},
		{name: "invalid vorbefuellung", old: "<code>keine</code></xdf3:vorbefuellung>", new: "<code>immer</code></xdf3:vorbefuellung>", at: "<code>immer",
			want: "Ungültiger Code „immer“ in „xdf:vorbefuellung“ (erlaubt: keine, optional, verpflichtend"},
		{name: "invalid regeltyp", old: "<code>K</code></xdf3:typ>", new: "<code>Q</code></xdf3:typ>", at: "<code>Q",
			want: "Ungültiger Code „Q“ in „xdf:typ“ (erlaubt: B, K, M, V"},
		{name: "listURI of another list", old: `<xdf3:feldart listURI="urn:xoev-de:fim:codeliste:xdatenfelder.feldart"`,
			new: `<xdf3:feldart listURI="urn:example:feldart"`, at: "<xdf3:feldart",
			want: "Attribut „listURI“ an „xdf:feldart“ ist „urn:example:feldart“; das XSD legt „urn:xoev-de:fim:codeliste:xdatenfelder.feldart“ fest"},
		{name: "attribute not in the schema", old: df, new: `<xdf3:datenfeld farbe="rot">`, at: "<xdf3:datenfeld farbe",
			want: "Attribut „farbe“ ist an „xdf:datenfeld“ nicht erlaubt (erlaubt: keine)"},
		{name: "text in element-only content", old: df + "<xdf3:identifikation>", new: df + "Text<xdf3:identifikation>", at: "Text",
			want: "„xdf:datenfeld“ darf keinen Text enthalten"},
		{name: "same id and version, other content", anchor: "<xdf3:datenfeld><xdf3:identifikation><xdf3:id>F60000000248</xdf3:id>", nth: 2,
			old: "<xdf3:name>", new: "<xdf3:name>Geändert: ", atAnchor: true,
			want: "Datenfeld F60000000248 Version 1.1.0 ist zweimal mit unterschiedlichem Inhalt definiert"},
		{name: "anzahl not an AnzahlString", anchor: "<xdf3:struktur>", old: "<xdf3:anzahl>1:1</xdf3:anzahl>", new: "<xdf3:anzahl>1-1</xdf3:anzahl>", at: "<xdf3:anzahl>",
			want: "„1-1“ ist in „xdf:anzahl“ kein gültiger Wert (Typ AnzahlString)"},
		{name: "version not a VersionString", anchor: df, old: "<xdf3:version>1.3.0</xdf3:version>", new: "<xdf3:version>1.3</xdf3:version>", at: "<xdf3:version>",
			want: "„1.3“ ist in „xdf:version“ kein gültiger Wert (Typ VersionString)"},
		{name: "struktur without enthaelt", anchor: "<xdf3:struktur>", old: "<xdf3:enthaelt>", new: "<xdf3:bezug>x</xdf3:bezug><xdf3:anzahl>1:1</xdf3:anzahl><xdf3:enthaelt>",
			at: "<xdf3:anzahl>1:1</xdf3:anzahl><xdf3:enthaelt>", want: "Element „xdf:anzahl“ steht in „xdf:struktur“ an falscher Stelle (erwartet: xdf:bezug, xdf:enthaelt)"},
	})
}

// TestStrictXDF2 does the same for a real XDatenfelder 2.0 schema, laid out
// one element per line.
func TestStrictXDF2(t *testing.T) {
	const df = "<xdf:datenfeld>"
	runMutations(t, "S05000058_Bewohnerparkausweis_xdf2.xml", []mutation{
		{name: "identifikation with two ids", anchor: df, old: "</xdf:id>", new: "</xdf:id><xdf:id>F2</xdf:id>", at: "<xdf:id>F2",
			want: "Element „xdf:id“ kommt in „xdf:identifikation“ zu oft vor"},
		{name: "invalid status", anchor: df, old: "<code>aktiv</code>", new: "<code>fertig</code>", at: "<code>fertig",
			want: "Ungültiger Code „fertig“ in „xdf:status“ (erlaubt: aktiv, inaktiv, inVorbereitung"},
		{name: "element not in the schema", anchor: df, old: "<xdf:feldart ", new: "<xdf:farbe>rot</xdf:farbe><xdf:feldart ", at: "<xdf:farbe>",
			want: "Element „xdf:farbe“ ist in „xdf:datenfeld“ F00-4cb0dd14-629c-4661-9435-4e9eadc43e07 Version 1.0 nicht erlaubt (erwartet: xdf:feldart)"},
		{name: "same id and version, other content", anchor: "<xdf:id>F00000054</xdf:id>", nth: 2, old: "<xdf:name>", new: "<xdf:name>Geändert: ",
			atBefore: "<xdf:datenfeld>", want: "Datenfeld F00000054 Version 1.2 ist zweimal mit unterschiedlichem Inhalt definiert"},
		{name: "element order", anchor: df, old: "</xdf:status>", new: "</xdf:status><xdf:bezeichnungAusgabe>x</xdf:bezeichnungAusgabe>", at: "<xdf:bezeichnungAusgabe>x",
			want: "Element „xdf:bezeichnungAusgabe“ steht in „xdf:datenfeld“ F00-4cb0dd14-629c-4661-9435-4e9eadc43e07 Version 1.0 an falscher Stelle"},
		{name: "missing required element", anchor: df, old: "<xdf:inhalt></xdf:inhalt>", new: "", at: "<xdf:codelisteReferenz>",
			want: "fehlt xdf:inhalt vor „xdf:codelisteReferenz“"},
		{name: "wrong cardinality", anchor: df, old: "<xdf:praezisierung></xdf:praezisierung>", new: "<xdf:praezisierung></xdf:praezisierung><xdf:praezisierung>{}</xdf:praezisierung>",
			at: "<xdf:praezisierung>{}", want: "Element „xdf:praezisierung“ kommt in „xdf:datenfeld“ F00-4cb0dd14-629c-4661-9435-4e9eadc43e07 Version 1.0 zu oft vor"},
		{name: "datentyp only in XDatenfelder 3", anchor: df, old: "<code>text</code>", new: "<code>text_latin</code>", at: "<code>text_latin",
			want: "Ungültiger Code „text_latin“ in „xdf:datentyp“ (erlaubt: bool, date, file, num, num_currency, num_int, obj, text"},
		{name: "feldart only in XDatenfelder 3", anchor: df, old: "<code>select</code>", new: "<code>hidden</code>", at: "<code>hidden",
			want: "Ungültiger Code „hidden“ in „xdf:feldart“ (erlaubt: input, label, select"},
		{name: "invalid schemaelementart", anchor: df, old: "<code>RNG</code>", new: "<code>XYZ</code>", at: "<code>XYZ",
			want: "Ungültiger Code „XYZ“ in „xdf:schemaelementart“"},
		{name: "invalid ableitungsmodifikationenStruktur", old: "<code>3</code>", new: "<code>7</code>", at: "<code>7",
			want: "Ungültiger Code „7“ in „xdf:ableitungsmodifikationenStruktur“ (erlaubt: 0, 1, 2, 3"},
		{name: "version not a VersionString", anchor: df, old: "<xdf:version>1.0</xdf:version>", new: "<xdf:version>1.0.0</xdf:version>", at: "<xdf:version>",
			want: "„1.0.0“ ist in „xdf:version“ kein gültiger Wert (Typ VersionString)"},
		{name: "header without nachrichtID", anchor: "<xdf:header>", old: "<xdf:nachrichtID>79118DBD6E4BC61A</xdf:nachrichtID>", new: "",
			at: "<xdf:erstellungszeitpunkt>", want: "In „xdf:header“ fehlt xdf:nachrichtID vor „xdf:erstellungszeitpunkt“"},
	})
}

// TestStrictLenientMetadata: life-cycle metadata at the wrong place is
// imported with a warning (see lenient.go).
func TestStrictLenientMetadata(t *testing.T) {
	doc := readStrict(t, "S00000000364_xdf3.xml")
	m := mutation{old: "</xdf3:bezeichnung>", new: `</xdf3:bezeichnung><xdf3:stichwort uri="Test">spät</xdf3:stichwort>`, at: "<xdf3:stichwort uri=\"Test\""}
	changed, line, col := m.apply(t, doc)
	s, rep, err := fim.Import(bytes.NewReader(changed), "m.xml", fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "S00000000364" {
		t.Fatalf("id %q", s.ID)
	}
	var got []fim.Warning
	for _, w := range rep.Warnings {
		if w.Code == fim.WarnStructure {
			got = append(got, w)
		}
	}
	want := "XSD-Regel „Reihenfolge der Metadaten“: Element „xdf:stichwort“ steht in „xdf:stammdatenschema“ S00000000364 Version 1.0.0 an falscher Stelle (erwartet: xdf:hilfetext, xdf:ableitungsmodifikationenStruktur)"
	if len(got) != 1 || got[0].Line != line || got[0].Column != col || got[0].Message != want {
		t.Fatalf("warnings %+v, want one at %d:%d: %s", got, line, col, want)
	}
}

// TestStrictXDF1Unchecked: XDatenfelder 1 has no structural check; an
// element unknown to the standard is reported as not taken over.
func TestStrictXDF1Unchecked(t *testing.T) {
	doc := `<xdf:xdatenfelder.stammdatenschema.0102001 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_1"><xdf:stammdatenschema><xdf:id>S1</xdf:id><xdf:farbe>rot</xdf:farbe></xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102001>`
	_, rep, err := fim.Import(strings.NewReader(doc), "x1.xml", fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rep.Warnings {
		if w.Code == fim.WarnStructure {
			t.Errorf("structural warning for XDatenfelder 1: %+v", w)
		}
	}
}

// sharedFixtures is the shared set of real FIM schemas, read when present.
const sharedFixtures = "../../../shared/fixtures/fim"

// syntheticFixtures are the fixture files that are not exports of the FIM
// portal; only they may break a (lenient) rule.
var syntheticFixtures = map[string]bool{
	"G60000000088_datenfeldgruppe0103_example_xdf3.xml": true,
}

// TestSharedFixturesImportStrictly imports every XDatenfelder document of
// the shared fixture set with the structural check: all import, and the
// exports of the FIM portal break no rule of the XSD at all.
func TestSharedFixturesImportStrictly(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedFixtures, "xdf*", "*.xml"))
	if len(files) == 0 {
		t.Skip("shared fixtures not available")
	}
	versions := map[string]int{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, rep, err := fim.ImportFile(f, fim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			versions[rep.XDFVersion]++
			var structural int
			for _, w := range rep.Warnings {
				if w.Code == fim.WarnStructure {
					structural++
					if !syntheticFixtures[filepath.Base(f)] {
						t.Errorf("export of the FIM portal breaks a rule: %d:%d %s", w.Line, w.Column, w.Message)
					}
				}
			}
			if syntheticFixtures[filepath.Base(f)] && structural == 0 {
				t.Error("the synthetic file no longer needs a lenient rule; update lenient.go")
			}
		})
	}
	if versions["2.0"] < 4 || versions["3.0.0"] < 40 {
		t.Errorf("too few documents imported: %v", versions)
	}
}

// TestStrictMutationsNoPanic cuts, repeats and moves random stretches
// between tags of the real documents: the import, strict and lenient, either
// fails with a *fim.Error or yields a schema, and never panics.
func TestStrictMutationsNoPanic(t *testing.T) {
	for _, file := range []string{"S00000000364_xdf3.xml", "S05000058_Bewohnerparkausweis_xdf2.xml"} {
		doc := readStrict(t, file)
		var tags []int
		for i, b := range doc {
			if b == '<' {
				tags = append(tags, i)
			}
		}
		rng := rand.New(rand.NewPCG(1, uint64(len(doc))))
		var refused, warned int
		for range 300 {
			a, b := tags[rng.IntN(len(tags))], tags[rng.IntN(len(tags))]
			if a > b {
				a, b = b, a
			}
			c := tags[rng.IntN(len(tags))]
			var changed []byte
			switch rng.IntN(3) {
			case 0: // cut
				changed = append(append([]byte{}, doc[:a]...), doc[b:]...)
			case 1: // repeat
				changed = append(append(append([]byte{}, doc[:b]...), doc[a:b]...), doc[b:]...)
			default: // copy elsewhere
				changed = append(append(append([]byte{}, doc[:c]...), doc[a:b]...), doc[c:]...)
			}
			for _, lenient := range []bool{false, true} {
				s, rep, err := fim.Import(bytes.NewReader(changed), file, fim.Options{Lenient: lenient})
				if err != nil {
					var ie *fim.Error
					if !errors.As(err, &ie) {
						t.Fatalf("error of type %T: %v", err, err)
					}
					if !lenient {
						refused++
					}
					continue
				}
				if s == nil || rep == nil {
					t.Fatal("no schema or report")
				}
				if lenient {
					for _, w := range rep.Warnings {
						if w.Code == fim.WarnStructure {
							warned++
							break
						}
					}
				}
			}
		}
		if refused == 0 || warned == 0 {
			t.Errorf("%s: mutations not telling: %d refused, %d lenient imports with warnings", file, refused, warned)
		}
	}
}

// TestStrictSameContentOtherLayout: a Datenfeld that occurs twice counts
// as the same content when only the whitespace inside its texts differs,
// as in documents laid out again by an editor.
func TestStrictSameContentOtherLayout(t *testing.T) {
	doc := readStrict(t, "S00000000364_xdf3.xml")
	m := mutation{anchor: "<xdf3:datenfeld><xdf3:identifikation><xdf3:id>F60000000248</xdf3:id>", nth: 2,
		old: "<xdf3:name>Anschrift Zusatzangaben</xdf3:name>", new: "<xdf3:name>\n\t\tAnschrift\n\t\tZusatzangaben\n\t</xdf3:name>", atAnchor: true}
	changed, _, _ := m.apply(t, doc)
	if _, _, err := fim.Import(bytes.NewReader(changed), "layout.xml", fim.Options{}); err != nil {
		t.Fatal(err)
	}
	m.new = "<xdf3:name>Anschrift, Zusatzangaben</xdf3:name>"
	changed, _, _ = m.apply(t, doc)
	if _, _, err := fim.Import(bytes.NewReader(changed), "layout.xml", fim.Options{}); err == nil || !strings.Contains(err.Error(), "zweimal mit unterschiedlichem Inhalt") {
		t.Fatalf("other text accepted: %v", err)
	}
}
