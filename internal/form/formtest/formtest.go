// Package formtest helps tests check data documents against the JSON
// Schema that package form generates, with an independent, maintained JSON
// Schema validator (santhosh-tekuri/jsonschema, draft 2020-12, format
// assertion on).
package formtest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/antrag/antrag/internal/form"
)

// JSONSchema compiles the JSON Schema of s (form.Schema.JSONSchema).
func JSONSchema(tb testing.TB, s *form.Schema) *jsonschema.Schema {
	tb.Helper()
	return Compile(tb, s.ID, s.JSONSchema(""))
}

// Compile compiles a generated JSON Schema (as form.Schema.JSONSchemaWith
// returns it) of the schema with the given id.
func Compile(tb testing.TB, id string, schema map[string]any) *jsonschema.Schema {
	tb.Helper()
	doc := roundTrip(tb, schema)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "mem://schema.json"
	if err := c.AddResource(url, doc); err != nil {
		tb.Fatalf("add JSON Schema: %v", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		tb.Fatalf("compile JSON Schema of %s: %v", id, err)
	}
	return sch
}

// Validate checks doc with the compiled JSON Schema after a round trip
// through JSON, as a receiver would see it.
func Validate(tb testing.TB, sch *jsonschema.Schema, doc any) error {
	tb.Helper()
	return sch.Validate(roundTrip(tb, doc))
}

func roundTrip(tb testing.TB, v any) any {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("unmarshal: %v", err)
	}
	return out
}

// Decode turns v into the generic form DecodeData returns (maps, slices,
// json.Number), as the validator sees a document read from JSON.
func Decode(tb testing.TB, v any) map[string]any {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	doc, err := form.DecodeData(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return doc
}
