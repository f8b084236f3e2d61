// Copyright ©2026 The antrag authors. All rights reserved.
// Use of this source code is governed by a MIT-style
// license that can be found in the LICENSE file.

package fpdf

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"
)

// testFont reads a TrueType font of antrag's receipt (this directory is
// kept inside antrag's repository).
func testFont(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../internal/receipt/fonts/" + name)
	if err != nil {
		t.Skipf("font not found: %v", err)
	}
	return b
}

func renderWithFonts(t *testing.T, regular, bold []byte, text string) []byte {
	t.Helper()
	pdf := New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true) // fonts in a fixed order, not the map's
	pdf.SetCreationDate(time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC))
	pdf.AddUTF8FontFromBytes("DejaVu", "", regular)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", bold)
	pdf.AliasNbPages("")
	pdf.AddPage()
	pdf.SetFont("DejaVu", "B", 14)
	pdf.Cell(0, 10, "Antragsbestätigung {nb}")
	pdf.Ln(12)
	pdf.SetFont("DejaVu", "", 10)
	pdf.MultiCell(0, 5, text, "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func clearUTF8FontCache() {
	utf8FontCache.Lock()
	utf8FontCache.entries = nil
	utf8FontCache.Unlock()
}

// A document whose fonts come from the cache is byte for byte the document
// of fonts parsed afresh, and documents sharing a cached font do not affect
// each other's subsets.
func TestUTF8FontCacheSameOutput(t *testing.T) {
	regular, bold := testFont(t, "DejaVuSans.ttf"), testFont(t, "DejaVuSans-Bold.ttf")
	texts := []string{
		"Müller-Lüdenscheidt, Schloßstraße 4 – „Zitat“ € 12,00",
		"Ελληνικά, Кириллица, ĳ ŉ ǅ, ½ ⅓ → ← ✓",
	}
	var fresh [][]byte
	for _, text := range texts {
		clearUTF8FontCache()
		fresh = append(fresh, renderWithFonts(t, regular, bold, text))
	}
	if bytes.Equal(fresh[0], fresh[1]) {
		t.Fatal("different texts gave the same document")
	}
	clearUTF8FontCache()
	for round := range 3 {
		for i, text := range texts {
			// A copy of the bytes finds the cached font as well.
			got := renderWithFonts(t, bytes.Clone(regular), bold, text)
			if !bytes.Equal(got, fresh[i]) {
				t.Errorf("round %d, text %d: cached font gave a different document", round, i)
			}
		}
	}
	utf8FontCache.Lock()
	n := len(utf8FontCache.entries)
	utf8FontCache.Unlock()
	if n != 2 {
		t.Errorf("cache holds %d fonts, want 2 (regular and bold)", n)
	}
}

// Another file under the same family and style is parsed, not taken from
// the cache.
func TestUTF8FontCacheKeyedByContent(t *testing.T) {
	regular, bold := testFont(t, "DejaVuSans.ttf"), testFont(t, "DejaVuSans-Bold.ttf")
	clearUTF8FontCache()
	a := renderWithFonts(t, regular, bold, "Hallo")
	b := renderWithFonts(t, bold, regular, "Hallo")
	if bytes.Equal(a, b) {
		t.Fatal("swapped fonts gave the same document")
	}
	clearUTF8FontCache()
	if c := renderWithFonts(t, bold, regular, "Hallo"); !bytes.Equal(b, c) {
		t.Fatal("swapped fonts from the cache differ from the same fonts parsed afresh")
	}
}

// Documents made at the same time share the cached fonts safely (run with
// -race).
func TestUTF8FontCacheConcurrent(t *testing.T) {
	regular, bold := testFont(t, "DejaVuSans.ttf"), testFont(t, "DejaVuSans-Bold.ttf")
	clearUTF8FontCache()
	want := renderWithFonts(t, regular, bold, "Grüße ß €")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := renderWithFonts(t, regular, bold, "Grüße ß €"); !bytes.Equal(got, want) {
				t.Error("document made concurrently differs")
			}
		})
	}
	wg.Wait()
}
