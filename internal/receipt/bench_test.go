package receipt

import (
	"bytes"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
)

// demoReceipt is the receipt of the largest demo form, S05000001323
// ("krankheitserreger" of the demo tenant beispielkreis), filled with its
// example data as in the web package's benchmarks: every answer with the
// schema's output labels, in the form's order.
func demoReceipt(tb testing.TB) Receipt {
	tb.Helper()
	const file = "xdf3/S05000001323_xdf3.xml"
	x, err := samples.FS.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(x), "S05000001323", fim.Options{})
	if err != nil {
		tb.Fatalf("import %s: %v", file, err)
	}
	f := journey.NewForm(s)
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	doc := f.Example(rules.Context{Today: at, Bundesland: "RP"})
	var secs []Section
	for _, a := range f.Answers(doc, nil, true) {
		secs = append(secs, demoSection(a))
	}
	return Receipt{
		Title:       "Antrag auf Erlaubnis für Tätigkeiten mit Krankheitserregern",
		Reference:   "B4X9-7KQM-2T",
		SubmittedAt: at,
		Authority:   []string{"Kreisverwaltung Beispielkreis", "Kreisstraße 1", "54321 Beispielstadt"},
		DataSHA256:  testSHA,
		Sections:    secs,
	}
}

func demoSection(s journey.Section) Section {
	out := Section{Title: s.Title}
	for _, a := range s.Items {
		if a.Section != nil {
			sub := demoSection(*a.Section)
			out.Items = append(out.Items, Item{Section: &sub})
			continue
		}
		out.Items = append(out.Items, Item{Label: a.Label, Value: a.Value})
	}
	return out
}

func countItems(secs []Section) int {
	n := 0
	for _, s := range secs {
		for _, it := range s.Items {
			if it.Section != nil {
				n += countItems([]Section{*it.Section})
			} else {
				n++
			}
		}
	}
	return n
}

// BenchmarkRender renders the receipt of the largest demo form
// (S05000001323 with its example data), as on the first download of a
// submission's receipt. Besides wall time per receipt it reports the
// process's CPU time per receipt (cpu-ns/op, all threads, garbage
// collection included), which a machine shared with other work disturbs
// less.
func BenchmarkRender(b *testing.B) {
	r := demoReceipt(b)
	b.Logf("%d sections, %d answers", len(r.Sections), countItems(r.Sections))
	var buf bytes.Buffer
	b.ReportAllocs()
	n, cpu := 0, processCPU()
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, r); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if cpu > 0 {
		b.ReportMetric(float64(processCPU()-cpu)/float64(n), "cpu-ns/op")
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}
