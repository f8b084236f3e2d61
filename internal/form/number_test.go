package form_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

// TestNumbersStoredInOneSpelling: every spelling JSON allows for a number
// becomes one canonical decimal, as the forms store it.
func TestNumbersStoredInOneSpelling(t *testing.T) {
	for in, want := range map[string]string{
		"1.50": "1.5", "1E2": "100", "100.0": "100", "-0": "0", "0.1e1": "1", "12": "12",
		"-3.250": "-3.25", "1e-3": "0.001", "0.000": "0", "1234.56": "1234.56",
	} {
		got, ok := form.CanonicalNumber(json.Number(in))
		if !ok || string(got) != want {
			t.Errorf("CanonicalNumber(%s) = %s, %v; want %s", in, got, ok, want)
		}
	}
	amount := field("F1", "Betrag", form.DatentypNumCurrency, form.Praezisierung{})
	s := &form.Schema{ID: "S1", Struktur: []form.Child{one(amount)}}
	doc := map[string]any{"F1": json.Number("1.50")}
	if ps := s.Normalize(doc); len(ps) > 0 || doc["F1"] != json.Number("1.5") {
		t.Errorf("Normalize: %v %v", doc, ps)
	}
}

// TestNumberWithTooManyDigitsRefused: a number a JSON reader cannot hold
// exactly (1e400, or more than 15 digits) is refused, not stored.
func TestNumberWithTooManyDigitsRefused(t *testing.T) {
	s := &form.Schema{ID: "S1", Struktur: []form.Child{one(field("F1", "Anzahl", form.DatentypNum, form.Praezisierung{}))}}
	for in, ok := range map[string]bool{
		"1e400": false, "1e-400": false, "1234567890123456": false, "0.0000000000000001": false,
		"123456789012345": true, "0.123456789012345": true, "99999999": true,
	} {
		ps := s.Validate(map[string]any{"F1": json.Number(in)})
		if ok != (len(ps) == 0) || !ok && ps[0].Code != form.CodeDigits {
			t.Errorf("%s: %v", in, ps)
		}
	}
}

// TestEmptyOptionalGroupIsAbsent: an optional group sent without any value
// ({} or blank strings only) is absent after normalisation, as in the
// forms; a required group stays for Validate to report.
func TestEmptyOptionalGroupIsAbsent(t *testing.T) {
	inner := group("G2", "Ort", "Ort", one(field("F2", "Ort", form.DatentypText, form.Praezisierung{})))
	optional := group("G1", "Bestehende Genehmigung", "Bestehende Genehmigung",
		one(field("F1", "Nummer", form.DatentypText, form.Praezisierung{})), one(inner))
	required := group("G3", "Antrag", "Antrag", one(field("F3", "Art", form.DatentypText, form.Praezisierung{})))
	s := &form.Schema{ID: "S1", Struktur: []form.Child{opt(optional), one(required)}}
	for _, g1 := range []any{map[string]any{}, map[string]any{"F1": " ", "G2": map[string]any{"F2": ""}}} {
		doc := map[string]any{"G1": g1, "G3": map[string]any{}}
		s.Normalize(doc)
		if _, ok := doc["G1"]; ok {
			t.Errorf("optional group %v stays", g1)
		}
		if _, ok := doc["G3"]; !ok {
			t.Errorf("required group removed")
		}
	}
}

// TestCurrencySchemaWithoutMultipleOf: the JSON Schema of a money field
// has no multipleOf 0.01, which validators that divide in floating point
// get wrong for 19.99; amounts with two decimals pass it.
func TestCurrencySchemaWithoutMultipleOf(t *testing.T) {
	s := &form.Schema{ID: "S1", Struktur: []form.Child{one(field("F1", "Betrag", form.DatentypNumCurrency, form.Praezisierung{}))}}
	b, _ := json.Marshal(s.JSONSchema(""))
	if strings.Contains(string(b), "multipleOf") {
		t.Errorf("JSON Schema has multipleOf: %s", b)
	}
	sch := formtest.JSONSchema(t, s)
	for _, v := range []string{"19.99", "0.07", "1234.56"} {
		doc := map[string]any{"F1": json.Number(v)}
		if ps := s.Validate(doc); len(ps) > 0 {
			t.Errorf("%s: %v", v, ps)
		}
		if err := formtest.Validate(t, sch, doc); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
