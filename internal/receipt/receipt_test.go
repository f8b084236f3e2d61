package receipt

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
)

var pdfDir = flag.String("receipt.dir", "", "also write the rendered test PDFs to this directory, for looking at them")

const testSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func sampleReceipt() Receipt {
	return Receipt{
		Title:       "Antrag auf Zulassung zur Jägerprüfung",
		Reference:   "A7K2-9QXM-4T",
		SubmittedAt: time.Date(2024, 5, 17, 7, 30, 0, 0, time.UTC),
		Authority:   []string{"Landratsamt Musterkreis", "Untere Jagdbehörde", "Schloßstraße 4", "12345 Musterstadt"},
		DataSHA256:  testSHA,
		Sections: []Section{
			{Title: "Antragstellende Person", Items: []Item{
				{Label: "Familienname", Value: "Müller-Lüdenscheidt"},
				{Label: "Vorname", Value: "Zoë"},
				{Label: "Geburtsdatum", Value: "03.02.1990"},
				{Label: "Anschrift", Value: "Hauptstraße 1\n12345 Musterstadt"},
			}},
			{Title: "Angaben zur Prüfung", Items: []Item{
				{Label: "Haben Sie bereits an einem Vorbereitungslehrgang einer anerkannten Jägerschaft teilgenommen, und wenn ja, wann und bei welchem Veranstalter?", Value: "Ja, im Frühjahr 2024 bei der Kreisjägerschaft Musterkreis e. V."},
				{Label: "Gewünschter Prüfungstermin", Value: "Herbst 2024"},
				{Section: &Section{Title: "Kind 1", Items: []Item{{Label: "Name", Value: "Lena"}}}},
				{Section: &Section{Title: "Kind 2", Items: []Item{{Label: "Name", Value: "Paul"}}}},
			}},
		},
	}
}

// render renders r, fails the test on an error and returns the PDF. With
// -receipt.dir it also keeps the PDF there.
func render(tb testing.TB, r Receipt) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, r); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	if *pdfDir != "" {
		name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(tb.Name(), "_") + ".pdf"
		if err := os.WriteFile(filepath.Join(*pdfDir, name), buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// pdfText extracts the text of pdf with poppler's pdftotext in content
// stream order (-raw): the layout writes, per page, a row's label lines
// before its value lines, so each is read as a whole even where pdftotext's
// own column detection would interleave them. It skips the test when
// pdftotext is not installed (Debian: poppler-utils).
func pdfText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	return poppler(tb, pdf, "pdftotext", "-raw", "-enc", "UTF-8")
}

func poppler(tb testing.TB, pdf []byte, tool string, args ...string) string {
	tb.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		tb.Skipf("%s not installed (apt-get install poppler-utils)", tool)
	}
	file := filepath.Join(tb.TempDir(), "receipt.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	args = append(args, file)
	if tool == "pdftotext" {
		args = append(args, "-")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tool, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s: %v\n%s", tool, err, stderr.Bytes())
	}
	if stderr.Len() > 0 { // poppler reports broken files on stderr
		tb.Errorf("%s complained:\n%s", tool, stderr.Bytes())
	}
	return string(out)
}

// squeeze removes all white space, so that texts can be compared regardless
// of where lines were wrapped.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// oneLine replaces each run of white space in s by one space, so that a
// text wrapped onto several lines still matches.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// footerLine matches the lines of the page footer in pdftotext's output.
var footerLine = regexp.MustCompile(`(?m)^(Antragsbestätigung · Vorgangsnummer .*|Seite \d+ von \d+)$`)

// wantText fails for each want that is not in text, compared without white
// space and page footers, so that a text wrapped across lines and pages
// still matches.
func wantText(tb testing.TB, text string, wants ...string) {
	tb.Helper()
	sq := squeeze(footerLine.ReplaceAllString(text, ""))
	for _, w := range wants {
		if !strings.Contains(sq, squeeze(w)) {
			if len(w) > 80 {
				w = w[:80] + "…"
			}
			tb.Errorf("extracted text lacks %q", w)
		}
	}
}

func allItems(sections []Section, f func(Item)) {
	for _, s := range sections {
		for _, it := range s.Items {
			if it.Section != nil {
				allItems([]Section{*it.Section}, f)
				continue
			}
			f(it)
		}
	}
}

func TestRenderContent(t *testing.T) {
	r := sampleReceipt()
	pdf := render(t, r)
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) {
		t.Fatalf("output does not start with a PDF header: %q", pdf[:min(len(pdf), 20)])
	}
	text := pdfText(t, pdf)
	// Lines that must come out exactly as written, not just without spaces,
	// in content order and in pdftotext's reading order.
	text += poppler(t, pdf, "pdftotext", "-enc", "UTF-8")
	for _, line := range []string{
		"Antragsbestätigung",
		"Antrag auf Zulassung zur Jägerprüfung",
		"Vorgangsnummer",
		"A7K2-9QXM-4T",
		"Eingegangen am",
		"17.05.2024, 09:30 Uhr",
		"Zuständige Behörde",
		"Landratsamt Musterkreis",
		"Schloßstraße 4",
		"Prüfsumme der Antragsdaten (SHA-256)",
		testSHA,
		"Seite 1 von 1",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("extracted text lacks %q", line)
		}
	}
	wantText(t, text, r.Authority...)
	allItems(r.Sections, func(it Item) { wantText(t, text, it.Label, it.Value) }) // few items
	wantText(t, text, "Antragstellende Person", "Angaben zur Prüfung", "Kind 1", "Kind 2")
	if t.Failed() {
		t.Logf("extracted text:\n%s", text)
	}
}

func TestRenderSubmittedAtInBerlin(t *testing.T) {
	tests := []struct {
		name string
		utc  time.Time
		want string
	}{
		{"summer time", time.Date(2024, 5, 17, 7, 30, 0, 0, time.UTC), "17.05.2024, 09:30 Uhr"},
		{"winter time", time.Date(2024, 1, 15, 8, 30, 0, 0, time.UTC), "15.01.2024, 09:30 Uhr"},
		{"last minute of CET before DST", time.Date(2024, 3, 31, 0, 59, 0, 0, time.UTC), "31.03.2024, 01:59 Uhr"},
		{"first minute of CEST", time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC), "31.03.2024, 03:00 Uhr"},
		{"02:30 CEST before DST ends", time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC), "27.10.2024, 02:30 Uhr"},
		{"02:30 CET after DST ends", time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC), "27.10.2024, 02:30 Uhr"},
		{"new year in Berlin, not yet in UTC", time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), "01.01.2025, 00:30 Uhr"},
		{"other zone", time.Date(2024, 5, 17, 3, 30, 0, 0, time.FixedZone("EDT", -4*3600)), "17.05.2024, 09:30 Uhr"},
	}
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The conversion itself, also checked where pdftotext is missing.
			if got := formatBerlin(a.prepare(Receipt{SubmittedAt: tt.utc}).submitted); got != tt.want {
				t.Errorf("formatted as %q, want %q", got, tt.want)
			}
			r := sampleReceipt()
			r.SubmittedAt = tt.utc
			text := pdfText(t, render(t, r))
			if !strings.Contains(text, tt.want) {
				t.Errorf("extracted text lacks %q:\n%s", tt.want, text)
			}
		})
	}
}

// C07: an emoji in an answer.
func TestRenderC07Emoji(t *testing.T) {
	r := sampleReceipt()
	r.Sections = []Section{{Title: "Anmerkungen", Items: []Item{
		{Label: "Möchten Sie uns noch etwas mitteilen?", Value: "Danke 👍 für die schnelle Bearbeitung — Grüße"},
	}}}
	text := oneLine(pdfText(t, render(t, r)))
	for _, want := range []string{"Danke", "für die schnelle Bearbeitung — Grüße", "[U+1F44D]"} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q:\n%s", want, text)
		}
	}
}

func TestRenderGermanCharacters(t *testing.T) {
	const value = "Zoë Müller-Lüdenscheidt „Straße“ 12 € – ok"
	r := sampleReceipt()
	r.Sections = []Section{{Title: "Person", Items: []Item{
		{Label: "Name und Anschrift", Value: value},
		{Label: "Zitat", Value: "‚einfach‘ und “englisch” — Ärger, Öl, Übel, ß"},
	}}}
	text := oneLine(pdfText(t, render(t, r)))
	for _, want := range []string{value, "‚einfach‘ und “englisch” — Ärger, Öl, Übel, ß"} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[U+") {
		t.Errorf("a German character was replaced:\n%s", text)
	}
}

func TestRenderEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		sections []Section
		want     []string
	}{
		{"nil sections", nil, []string{"keine Angaben"}},
		{"empty sections", []Section{{}, {Title: "Leer"}, {Title: "Auch leer", Items: []Item{}}, {Title: "Leere Gruppe", Items: []Item{{Section: &Section{}}}}}, []string{"Leer", "keine Angaben"}},
		{"empty values and labels", []Section{{Title: "A", Items: []Item{{}, {Label: "Frage ohne Antwort"}, {Value: "Antwort ohne Frage"}, {Label: "Nur Leerraum", Value: " \n\t \n"}}}}, []string{"Frage ohne Antwort", "keine Angabe", "Antwort ohne Frage"}},
		{"only control characters", []Section{{Items: []Item{{Label: "Steuerzeichen", Value: "\x00\x01\x02\x1b\x7f"}}}}, []string{"[U+0000][U+0001][U+0002][U+001B][U+007F]"}},
		{"control characters in label and title", []Section{{Title: "\x07Titel\x08", Items: []Item{{Label: "\x00", Value: "x"}}}}, []string{"[U+0007]Titel[U+0008]", "[U+0000]"}},
		{"invalid UTF-8", []Section{{Items: []Item{{Label: "kaputt", Value: "a\xffb\xe0"}}}}, []string{"a\uFFFDb\uFFFD"}},
		{"no glyph in DejaVu Sans", []Section{{Items: []Item{{Label: "Chinesisch", Value: "中文 und 𝄞"}}}}, []string{"[U+4E2D][U+6587] und [U+1D11E]"}},
		{"bidi override made visible", []Section{{Items: []Item{{Label: "bidi", Value: "abc\u202Edef"}}}}, []string{"abc[U+202E]def"}},
		{"windows and old mac line ends", []Section{{Items: []Item{{Label: "Zeilen", Value: "eins\r\nzwei\rdrei"}}}}, []string{"eins\nzwei\ndrei"}},
		{"deep nesting", nest(40), []string{"Ebene 40", "tief"}},
		{"only newlines", []Section{{Items: []Item{{Label: "Leerzeilen", Value: "\n\n\n"}}}}, []string{"keine Angabe"}},
		{"many short lines", []Section{{Items: []Item{{Label: "Liste", Value: strings.Repeat("Zeile\n", 200)}}}}, []string{"Seite 2 von"}},
		{"tabs", []Section{{Items: []Item{{Label: "Tab", Value: "Spalte\tSpalte"}}}}, []string{"Spalte"}},
		{"soft hyphen dropped", []Section{{Items: []Item{{Label: "Silben", Value: "Be\u00ADar\u00ADbei\u00ADtung"}}}}, []string{"Bearbeitung"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReceipt()
			r.Sections = tt.sections
			text := pdfText(t, render(t, r))
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("extracted text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "[U+0009]") || strings.Contains(text, "[U+000A]") || strings.Contains(text, "[U+000D]") {
				t.Errorf("tab or line end shown as a replacement:\n%s", text)
			}
		})
	}
}

func nest(depth int) []Section {
	s := Section{Title: fmt.Sprintf("Ebene %d", depth), Items: []Item{{Label: "Wie tief?", Value: "tief"}}}
	for d := depth - 1; d >= 1; d-- {
		inner := s
		s = Section{Title: fmt.Sprintf("Ebene %d", d), Items: []Item{{Section: &inner}}}
	}
	return []Section{s}
}

func TestRenderMinimalReceipt(t *testing.T) {
	r := Receipt{Reference: "X", SubmittedAt: time.Unix(0, 0), DataSHA256: strings.ToUpper(testSHA)}
	text := pdfText(t, render(t, r))
	for _, want := range []string{"Antragsbestätigung", "01.01.1970, 01:00 Uhr", testSHA, "keine Angabe"} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q:\n%s", want, text)
		}
	}
}

// TestRenderEveryDrawableCharacter puts every BMP character the fonts can
// draw on the page: fpdf must neither fail nor panic on any of them.
func TestRenderEveryDrawableCharacter(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n := 0
	for r := rune(0); r <= 0xFFFF; r++ {
		if a.canDraw(r) && !unicode.Is(unicode.Cc, r) && !unicode.Is(unicode.Cf, r) {
			b.WriteRune(r)
			n++
			if n%40 == 0 {
				b.WriteByte(' ')
			}
		}
	}
	if n < 3000 {
		t.Fatalf("only %d drawable characters; DejaVu Sans has about 5000", n)
	}
	r := sampleReceipt()
	r.Sections = []Section{{Title: "Alle Zeichen", Items: []Item{{Label: "Zeichen", Value: b.String()}}}}
	text := pdfText(t, render(t, r))
	// Every drawable character is already in NFC or composes to one that is;
	// spot-check some that matter here.
	for _, want := range []string{"Ä", "Ö", "Ü", "ä", "ö", "ü", "ß", "€", "„", "“", "–", "—", "…"} {
		if !strings.Contains(squeeze(text), want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	t.Logf("%d drawable BMP characters", n)
}

func TestRenderInvalidReceipt(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Receipt)
	}{
		{"no reference", func(r *Receipt) { r.Reference = " " }},
		{"no time", func(r *Receipt) { r.SubmittedAt = time.Time{} }},
		{"no checksum", func(r *Receipt) { r.DataSHA256 = "" }},
		{"short checksum", func(r *Receipt) { r.DataSHA256 = testSHA[:63] }},
		{"checksum not hex", func(r *Receipt) { r.DataSHA256 = "g" + testSHA[1:] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReceipt()
			tt.modify(&r)
			var buf bytes.Buffer
			err := Render(&buf, r)
			if !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("Render = %v, want ErrInvalidReceipt", err)
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderWriteError(t *testing.T) {
	if err := Render(failingWriter{}, sampleReceipt()); !errors.Is(err, errDiskFull) {
		t.Fatalf("Render = %v, want the writer's error", err)
	}
}

func TestRenderDeterministic(t *testing.T) {
	r := longReceipt()
	a, b := render(t, r), render(t, r)
	if !bytes.Equal(a, b) {
		t.Fatal("rendering the same receipt twice gave different bytes")
	}
	r.Sections[0].Items[0].Value += "!"
	if c := render(t, r); bytes.Equal(a, c) {
		t.Fatal("a changed receipt gave the same bytes")
	}
}

func newTestDoc(tb testing.TB, a *assets, r Receipt) (*fpdf.Fpdf, *document) {
	tb.Helper()
	doc := a.prepare(r)
	pdf, err := newPDF(doc.metadata())
	if err != nil {
		tb.Fatal(err)
	}
	return pdf, doc
}

// FuzzRender: any text in any field renders without error or panic.
func FuzzRender(f *testing.F) {
	f.Add("Antrag", "A7K2-9QXM-4T", "Kind 1", "Frage", "Danke 👍 für die schnelle Bearbeitung — Grüße")
	f.Add("\x00", "\xff", "\u202e", "\t\r\n", "中文\u0301\u00ad")
	f.Add("", "x", "", "", "")
	f.Fuzz(func(t *testing.T, title, ref, section, label, value string) {
		r := sampleReceipt()
		r.Title, r.Reference = title, ref
		r.Authority = append(r.Authority, value)
		r.Sections = []Section{{Title: section, Items: []Item{{Label: label, Value: value}, {Label: value, Value: label}}}}
		err := Render(io.Discard, r)
		if strings.TrimSpace(ref) == "" {
			if !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("empty reference: Render = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}
