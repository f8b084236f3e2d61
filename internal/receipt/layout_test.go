package receipt

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// longReceipt has 300 items, some of them very long.
func longReceipt() Receipt {
	r := sampleReceipt()
	noSpaces := string([]rune(strings.Repeat("Donaudampfschifffahrtsgesellschaftskapitän", 50))[:2000])
	withSpaces := strings.TrimSpace(strings.Repeat("Dies ist ein langer Begründungstext mit Umlauten wie ä, ö und ü. ", 60))
	r.Sections = nil
	for s := range 10 {
		sec := Section{Title: fmt.Sprintf("Abschnitt %d", s+1)}
		for i := range 30 {
			n := s*30 + i
			it := Item{Label: fmt.Sprintf("Frage %d", n), Value: fmt.Sprintf("Antwort %d", n)}
			switch n % 50 {
			case 7:
				it.Value = fmt.Sprintf("%d-%s", n, noSpaces)
			case 19:
				it.Value = fmt.Sprintf("%d %s", n, withSpaces)
			case 23:
				it.Label = fmt.Sprintf("Frage %d: %s", n, strings.Repeat("Bitte beschreiben Sie ausführlich den Sachverhalt. ", 12))
			case 31:
				it.Label = fmt.Sprintf("Frage-%d-%s", n, string([]rune(noSpaces)[:600]))
				it.Value = fmt.Sprintf("%d %s", n, withSpaces)
			}
			sec.Items = append(sec.Items, it)
		}
		r.Sections = append(r.Sections, sec)
	}
	return r
}

func TestRenderLongReceipt(t *testing.T) {
	r := longReceipt()
	pdf := render(t, r)
	text := pdfText(t, pdf)

	info := poppler(t, pdf, "pdfinfo")
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo shows no page count:\n%s", info)
	}
	pages := m[1]
	if pages == "1" {
		t.Fatalf("300 items fit on one page?")
	}
	for _, want := range []string{"Seite 1 von " + pages, "Seite " + pages + " von " + pages} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	var wants []string
	allItems(r.Sections, func(it Item) { wants = append(wants, it.Label, it.Value) })
	if len(wants) != 2*300 {
		t.Fatalf("test receipt has %d items, want 300", len(wants)/2)
	}
	wantText(t, text, wants...)
	count := len(wants) / 2
	t.Logf("%d items on %s pages, %d bytes", count, pages, len(pdf))
}

// TestLayoutStaysInside checks that no text is placed in the margins or the
// footer area and that no line is wider than the page content.
func TestLayoutStaysInside(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	pdf, doc := newTestDoc(t, a, longReceipt())
	pages := layoutDocument(pdf, doc)
	l := &layouter{pdf: pdf}
	for p, ops := range pages {
		for _, o := range ops {
			if o.rule {
				if o.y < marginTop || o.y > contentBottom || o.x < marginLeft || o.x2 > pageWidth-marginRight {
					t.Errorf("page %d: rule at y=%.1f from x=%.1f to %.1f outside the content area", p+1, o.y, o.x, o.x2)
				}
				continue
			}
			if o.y < marginTop || o.y > contentBottom {
				t.Errorf("page %d: text %q with baseline %.1f outside the content area", p+1, o.text, o.y)
			}
			if w := l.width(o.face, o.text); o.x < marginLeft || o.x+w > pageWidth-marginRight+0.01 {
				t.Errorf("page %d: text %q from x=%.1f to %.1f outside the content area", p+1, o.text, o.x, o.x+w)
			}
		}
	}
	// Text lines of one column must not overlap: on each page, lines that
	// start at the same x must be at least a line apart.
	for p, ops := range pages {
		seen := map[[2]int]bool{}
		for _, o := range ops {
			if o.rule {
				continue
			}
			key := [2]int{int(o.x * 10), int(o.y * 10)}
			if seen[key] {
				t.Errorf("page %d: two lines at x=%.1f, y=%.1f", p+1, o.x, o.y)
			}
			seen[key] = true
		}
	}
}

func TestWrap(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := newTestDoc(t, a, sampleReceipt())
	l := &layouter{pdf: pdf}
	long := strings.Repeat("Ä", 500)
	tests := []struct {
		name, text string
		width      float64
		lines      int // 0: any number
	}{
		{"fits", "kurz", 50, 1},
		{"empty", "", 50, 0},
		{"words", strings.Repeat("Wort ", 100), 60, 0},
		{"one long word", long, 60, 0},
		{"paragraphs", "eins\n\ndrei", 60, 3},
		{"double spaces", "a  b   c", 60, 1},
		{"narrower than a character", "WWW", 0.5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := l.wrap(faceValue, tt.width, tt.text)
			if tt.lines > 0 && len(lines) != tt.lines {
				t.Errorf("%d lines, want %d: %q", len(lines), tt.lines, lines)
			}
			for _, line := range lines {
				if w := l.width(faceValue, line); w > tt.width && utf8.RuneCountInString(line) > 1 {
					t.Errorf("line %q is %.1f mm wide, limit %.1f", line, w, tt.width)
				}
			}
			// Nothing is lost: the lines hold all non-space characters in order.
			if got, want := squeeze(strings.Join(lines, "")), squeeze(tt.text); got != want {
				t.Errorf("lines %q lose text: got %q, want %q", lines, got, want)
			}
		})
	}
}
