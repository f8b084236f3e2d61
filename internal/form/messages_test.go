package form_test

import (
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
)

// TestDatePartsMessageNamesTheFields: the message for a day, month and
// year that make no calendar date named no field, unlike every other
// field-level message (the API document promises that they do).
func TestDatePartsMessageNamesTheFields(t *testing.T) {
	num := form.DatentypNumInt
	s := &form.Schema{ID: "S1", Version: "1.0", Name: "Test", Struktur: []form.Child{one(&form.Element{
		Kind: form.KindGroup, ID: "G1", Name: "Geburtsdatum", Struktur: []form.Child{
			one(field("F1", "Tag der Geburt", num, form.Praezisierung{})),
			one(field("F2", "Monat der Geburt", num, form.Praezisierung{})),
			one(field("F3", "Jahr der Geburt", num, form.Praezisierung{})),
		}})}}
	ps := s.Validate(decode(t, `{"G1": {"F1": 31, "F2": 2, "F3": 2025}}`))
	if len(ps) != 1 || ps[0].Path != "G1.F1" || ps[0].Code != form.CodeFormat {
		t.Fatalf("problems %v, want one format problem at G1.F1", ps)
	}
	for _, label := range []string{"„Tag der Geburt“", "„Monat der Geburt“", "„Jahr der Geburt“"} {
		if !strings.Contains(ps[0].Message, label) {
			t.Errorf("%q does not name %s", ps[0].Message, label)
		}
	}
}
