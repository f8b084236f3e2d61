package fim_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

// TestSamplesExampleValid is the acceptance test of the import: for every
// real sample schema, the example document passes the Go validator and the
// generated JSON Schema (checked by an independent JSON Schema library).
func TestSamplesExampleValid(t *testing.T) {
	for _, name := range samples.Files() {
		t.Run(name, func(t *testing.T) {
			s, _ := importSample(t, name)
			ex := formtest.Decode(t, s.Example())
			if len(ex) == 0 {
				t.Fatal("empty example")
			}
			if ps := s.Validate(ex); len(ps) > 0 {
				t.Fatalf("validator rejects the example: %v", ps)
			}
			if err := formtest.Validate(t, formtest.JSONSchema(t, s), ex); err != nil {
				t.Fatalf("JSON Schema rejects the example: %v", err)
			}
		})
	}
}

// TestSamplesValidatorAgreesWithJSONSchema mutates every value of every
// sample's example in ways a client could, and requires the Go validator
// and the generated JSON Schema to reach the same verdict each time: a
// document the validator accepts passes the JSON Schema, and the other way
// round.
func TestSamplesValidatorAgreesWithJSONSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("mutates every sample value")
	}
	mutations := []any{
		"", "x", "ab12", strings.Repeat("ä", 300), "01067", "Zoë 👍", "2019-02-30", "1990-02-01", "14:30",
		json.Number("0"), json.Number("1.5"), json.Number("12"), json.Number("-3"), json.Number("99999999"),
		true, nil, []any{}, map[string]any{},
	}
	for _, name := range samples.Files() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, _ := importSample(t, name)
			if hasDateRange(s) {
				t.Skip("date ranges are checked by the validator only")
			}
			sch := formtest.JSONSchema(t, s)
			base := formtest.Decode(t, s.Example())
			var checked, rejected int
			for _, p := range leafPaths(base, nil) {
				for _, v := range append(mutations, codesAt(s, p)...) {
					// The document is already in the generic JSON form both
					// validators read, so it is mutated in place and restored.
					restore := setPath(base, p, v)
					goOK := len(s.Validate(base)) == 0
					jsErr := sch.Validate(base)
					restore()
					if goOK != (jsErr == nil) {
						t.Errorf("%v = %#v: validator ok=%v, JSON Schema error=%v, problems=%v", p, v, goOK, jsErr, s.Validate(base))
					}
					checked++
					if !goOK {
						rejected++
					}
				}
			}
			if checked == 0 || rejected == 0 || rejected == checked {
				t.Fatalf("mutations not telling: %d checked, %d rejected", checked, rejected)
			}
		})
	}
}

// leafPaths lists the path of every value in doc, objects and arrays
// included, as keys (string) and indexes (int), descending only into the
// first entry of each array.
func leafPaths(v any, prefix []any) [][]any {
	var out [][]any
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := append(slices.Clone(prefix), k)
			out = append(out, p)
			if m, ok := v[k].(map[string]any); !ok || m["attachmentId"] == nil {
				out = append(out, leafPaths(v[k], p)...)
			}
		}
	case []any:
		// The first entry stands for all: entries share their schema.
		for i, item := range v[:min(len(v), 1)] {
			p := append(slices.Clone(prefix), i)
			out = append(out, p)
			out = append(out, leafPaths(item, p)...)
		}
	}
	return out
}

// setPath sets the value at p (nil deletes a key) and returns a function
// that puts the old value back.
func setPath(doc map[string]any, p []any, v any) (restore func()) {
	var cur any = doc
	for _, step := range p[:len(p)-1] {
		switch step := step.(type) {
		case string:
			cur = cur.(map[string]any)[step]
		case int:
			cur = cur.([]any)[step]
		}
	}
	switch step := p[len(p)-1].(type) {
	case string:
		m := cur.(map[string]any)
		old, had := m[step]
		if v == nil {
			delete(m, step)
		} else {
			m[step] = v
		}
		return func() {
			if had {
				m[step] = old
			} else {
				delete(m, step)
			}
		}
	case int:
		a := cur.([]any)
		old := a[step]
		a[step] = v
		return func() { a[step] = old }
	}
	panic("bad path")
}

// codesAt returns, for a select field at p, its first code and a near miss.
func codesAt(s *form.Schema, p []any) []any {
	var keys []string
	for _, step := range p {
		if k, ok := step.(string); ok {
			keys = append(keys, k)
		}
	}
	var out []any
	s.Walk(func(wp form.Path, c *form.Child) bool {
		var wk []string
		for _, st := range wp {
			wk = append(wk, st.Key)
		}
		if slices.Equal(wk, keys) && c.Element.HasCodes() {
			code := c.Element.Codes()[0].Code
			out = append(out, code, code+" ", strings.ToLower(c.Element.Codes()[0].Name))
		}
		return true
	})
	return out
}

func hasDateRange(s *form.Schema) bool {
	found := false
	s.Walk(func(_ form.Path, c *form.Child) bool {
		e := c.Element
		if e.Datentyp == form.DatentypDate && (e.Praezisierung.MinValue != "" || e.Praezisierung.MaxValue != "") {
			found = true
		}
		return true
	})
	return found
}

// TestJSONSchemaShape checks the generated JSON Schema of a real schema
// against the data shape: ids as keys, arrays for repetitions, required
// lists, URI convention.
func TestJSONSchemaShape(t *testing.T) {
	s, _ := importSample(t, "xdf3/S05000001323_xdf3.xml")
	js := s.JSONSchema("")
	if js["$id"] != "https://schema.fitko.de/fim/s05000001323_1.0.0.schema.json" {
		t.Errorf("$id %v", js["$id"])
	}
	if js["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %v", js["$schema"])
	}
	if got := s.JSONSchema("https://example.org/own.json")["$id"]; got != "https://example.org/own.json" {
		t.Errorf("override: %v", got)
	}
	var walk func(children []form.Child, obj map[string]any, path string)
	walk = func(children []form.Child, obj map[string]any, path string) {
		props := obj["properties"].(map[string]any)
		req, _ := obj["required"].([]string)
		for _, c := range children {
			e := c.Element
			prop, ok := props[e.ID].(map[string]any)
			if !e.CarriesData() {
				if ok {
					t.Errorf("%s.%s: label has a property", path, e.ID)
				}
				continue
			}
			if !ok {
				t.Fatalf("%s.%s: no property", path, e.ID)
			}
			if slices.Contains(req, e.ID) != c.Required() {
				t.Errorf("%s.%s: required=%v, anzahl %s", path, e.ID, slices.Contains(req, e.ID), c.Anzahl)
			}
			if c.Anzahl.Repeats() {
				if prop["type"] != "array" {
					t.Errorf("%s.%s: anzahl %s but type %v", path, e.ID, c.Anzahl, prop["type"])
					continue
				}
				if c.Anzahl.Max != form.Unbounded && prop["maxItems"] != c.Anzahl.Max {
					t.Errorf("%s.%s: maxItems %v, anzahl %s", path, e.ID, prop["maxItems"], c.Anzahl)
				}
				prop = prop["items"].(map[string]any)
			}
			want := map[form.Datentyp]string{form.DatentypBool: "boolean", form.DatentypNumInt: "integer", form.DatentypNum: "number",
				form.DatentypText: "string", form.DatentypDate: "string", form.DatentypFile: "object"}[e.Datentyp]
			switch {
			case e.Kind == form.KindGroup:
				walk(e.Struktur, prop, path+"."+e.ID)
			case e.HasCodes():
				if prop["type"] != "string" || prop["enum"] == nil {
					t.Errorf("%s.%s: codes must be a string enum: %v", path, e.ID, prop)
				}
			case want != "" && prop["type"] != want:
				t.Errorf("%s.%s: %s as %v", path, e.ID, e.Datentyp, prop["type"])
			}
		}
	}
	walk(s.Struktur, js, s.ID)
}
