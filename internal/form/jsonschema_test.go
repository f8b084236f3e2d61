package form_test

import (
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

// An element whose presence rules decide (JSONSchemaOptions.Conditional)
// is not required, whatever its Anzahl; the others stay required, and the
// element's own content keeps its demands.
func TestJSONSchemaConditionalElement(t *testing.T) {
	s := &form.Schema{ID: "S1", Name: "Test", Struktur: []form.Child{
		one(group("G1", "Angaben", "Angaben",
			one(field("F1", "Art", form.DatentypText, form.Praezisierung{})),
			one(group("G2", "Anschrift", "Anschrift",
				one(field("F2", "Ort", form.DatentypText, form.Praezisierung{})))))),
	}}
	alone := formtest.JSONSchema(t, s)
	ruled := formtest.Compile(t, s.ID, s.JSONSchemaWith("", form.JSONSchemaOptions{Conditional: map[string]bool{"G1/G2": true}}))
	for _, tc := range []struct {
		name              string
		doc               map[string]any
		wantAlone, wantOK bool
	}{
		{"with the address", map[string]any{"G1": map[string]any{"F1": "x", "G2": map[string]any{"F2": "Erfurt"}}}, true, true},
		{"without it", map[string]any{"G1": map[string]any{"F1": "x"}}, false, true},
		{"address without Ort", map[string]any{"G1": map[string]any{"F1": "x", "G2": map[string]any{}}}, false, false},
		{"without Art", map[string]any{"G1": map[string]any{"G2": map[string]any{"F2": "Erfurt"}}}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := formtest.Validate(t, alone, tc.doc); (err == nil) != tc.wantAlone {
				t.Errorf("schema alone: valid %v, want %v (%v)", err == nil, tc.wantAlone, err)
			}
			if err := formtest.Validate(t, ruled, tc.doc); (err == nil) != tc.wantOK {
				t.Errorf("with rules: valid %v, want %v (%v)", err == nil, tc.wantOK, err)
			}
		})
	}
}

// Of alternatives one of which rules show or hide, at most one is given:
// none is valid (the rules decide), two are not.
func TestJSONSchemaConditionalAlternative(t *testing.T) {
	s := altSchema()
	ruled := formtest.Compile(t, s.ID, s.JSONSchemaWith("", form.JSONSchemaOptions{Conditional: map[string]bool{"G2": true}}))
	nat := map[string]any{"G11": map[string]any{"F1": "Muster"}, "G12": map[string]any{"F2": "Erfurt"}}
	jur := map[string]any{"G21": map[string]any{"F3": "Muster GmbH"}}
	for _, tc := range []struct {
		name string
		doc  map[string]any
		ok   bool
	}{
		{"neither", map[string]any{"F0": "x"}, true},
		{"natural", map[string]any{"F0": "x", "G1": nat}, true},
		{"legal", map[string]any{"F0": "x", "G2": jur}, true},
		{"both", map[string]any{"F0": "x", "G1": nat, "G2": jur}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := formtest.Validate(t, ruled, tc.doc); (err == nil) != tc.ok {
				t.Errorf("valid %v, want %v (%v)", err == nil, tc.ok, err)
			}
		})
	}
}

// Of alternatives one of which a rule may require, the JSON Schema demands
// nothing: Validate leaves that choice to the rules.
func TestJSONSchemaRequirableAlternative(t *testing.T) {
	s := altSchema()
	ruled := formtest.Compile(t, s.ID, s.JSONSchemaWith("", form.JSONSchemaOptions{Requirable: map[string]bool{"G1": true}}))
	nat := map[string]any{"G11": map[string]any{"F1": "Muster"}, "G12": map[string]any{"F2": "Erfurt"}}
	jur := map[string]any{"G21": map[string]any{"F3": "Muster GmbH"}}
	for _, doc := range []map[string]any{
		{"F0": "x"},
		{"F0": "x", "G1": nat, "G2": jur},
	} {
		if err := formtest.Validate(t, ruled, doc); err != nil {
			t.Errorf("%v: %v", doc, err)
		}
	}
	if err := formtest.Validate(t, ruled, map[string]any{"F0": "x", "G1": map[string]any{}}); err == nil {
		t.Error("a group without its required content passes")
	}
}
