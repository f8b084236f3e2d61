package receipt

import (
	"strings"
	"testing"
)

// TestRenderKeepsTheSchemaOrder: the answers of a group were printed before
// its nested groups, whatever the form's order.
func TestRenderKeepsTheSchemaOrder(t *testing.T) {
	r := sampleReceipt()
	r.Sections = []Section{{Title: "Antragstellende Person", Items: []Item{
		{Label: "Erste Frage", Value: "Antwort eins"},
		{Section: &Section{Title: "Anschrift", Items: []Item{{Label: "Ort", Value: "Kleinhausen"}}}},
		{Label: "Letzte Frage", Value: "Antwort zwei"},
	}}}
	text := pdfText(t, render(t, r))
	order := []string{"Ihre Angaben", "Erste Frage", "Anschrift", "Kleinhausen", "Letzte Frage"}
	last := -1
	for _, w := range order {
		i := strings.Index(text, w)
		if i < 0 {
			t.Fatalf("text lacks %q:\n%s", w, text)
		}
		if i < last {
			t.Errorf("%q printed out of the order %v:\n%s", w, order, text)
		}
		last = i
	}
}
