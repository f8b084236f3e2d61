package fim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
)

// FuzzImport feeds arbitrary bytes to the importer, seeded with the real
// samples up to 100 kB (larger ones slow the fuzzer down to a crawl) and the
// first 20 kB of each larger one. An import either fails with a *fim.Error or yields a schema whose
// JSON Schema, example and validation all work without a panic.
func FuzzImport(f *testing.F) {
	for _, name := range samples.Files() {
		b, err := samples.FS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 100_000)])
		if len(b) > 100_000 {
			f.Add(b[:20_000])
		}
	}
	// A small valid XDatenfelder 3.0.0 document, so that mutations reach
	// past the structural check.
	const status = `<xdf:freigabestatus listVersionID="2022-07-12"><code>6</code></xdf:freigabestatus><xdf:letzteAenderung>2026-01-01T00:00:00Z</xdf:letzteAenderung>`
	f.Add([]byte(`<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0"><xdf:header><xdf:nachrichtID>1</xdf:nachrichtID><xdf:erstellungszeitpunkt>2026-01-01T00:00:00Z</xdf:erstellungszeitpunkt></xdf:header><xdf:stammdatenschema><xdf:identifikation><xdf:id>S1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>S</xdf:name>` + status +
		`<xdf:bezeichnung>S</xdf:bezeichnung><xdf:ableitungsmodifikationenStruktur><code>0</code></xdf:ableitungsmodifikationenStruktur><xdf:ableitungsmodifikationenRepraesentation><code>0</code></xdf:ableitungsmodifikationenRepraesentation><xdf:dokumentsteckbrief><xdf:id>D1</xdf:id></xdf:dokumentsteckbrief>` +
		`<xdf:struktur><xdf:anzahl>0:*</xdf:anzahl><xdf:enthaelt><xdf:datenfeld><xdf:identifikation><xdf:id>F1</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation><xdf:name>F</xdf:name>` + status +
		`<xdf:bezeichnungEingabe>F</xdf:bezeichnungEingabe><xdf:schemaelementart><code>RNG</code></xdf:schemaelementart><xdf:feldart><code>select</code></xdf:feldart><xdf:datentyp><code>text</code></xdf:datentyp><xdf:praezisierung pattern="[a-z]+" minLength="2" maxLength="4"/><xdf:vorbefuellung><code>keine</code></xdf:vorbefuellung>` +
		`<xdf:werte><xdf:wert><xdf:code>ab</xdf:code><xdf:name>A</xdf:name></xdf:wert><xdf:wert><xdf:code>cd</xdf:code><xdf:name>C</xdf:name></xdf:wert></xdf:werte></xdf:datenfeld></xdf:enthaelt></xdf:struktur></xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Lenient first: it must not panic on what the strict import
		// refuses.
		_, _, _ = fim.Import(bytes.NewReader(b), "fuzz.xml", fim.Options{Lenient: true, Limits: fim.Limits{MaxBytes: 4 << 20}})
		s, rep, err := fim.Import(bytes.NewReader(b), "fuzz.xml", fim.Options{Limits: fim.Limits{MaxBytes: 4 << 20}})
		if err != nil {
			var ie *fim.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if rep == nil || s.ID == "" {
			t.Fatal("import without id or report")
		}
		if _, err := json.Marshal(s.JSONSchema("")); err != nil {
			t.Fatal(err)
		}
		_ = s.Validate(s.Example())
		_ = s.Validate(map[string]any{"x": []any{nil, 1.5, "y"}})
	})
}
