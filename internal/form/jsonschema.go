package form

import (
	"slices"
	"strings"
)

// JSONSchemaDialect is the JSON Schema version GenerateJSONSchema writes.
const JSONSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// DefaultSchemaURI is the URI of a FIM schema's JSON Schema by the
// convention the FIM portal's converter and FIT-Connect clients use,
// https://schema.fitko.de/fim/<id>_<version>.schema.json with the id in lower
// case (seen as https://schema.fitko.de/fim/s00000092_1.0.schema.json;
// shared/docs/standards.md §1). FIT-Connect senders put it in the metadata
// as submissionSchema.schemaUri.
// A schema without version gets "<id>.schema.json".
func DefaultSchemaURI(id, version string) string {
	name := strings.ToLower(id)
	if version != "" {
		name += "_" + version
	}
	return "https://schema.fitko.de/fim/" + name + ".schema.json"
}

// JSONSchema generates a JSON Schema (draft 2020-12) for the schema's data
// documents, with $id uri (DefaultSchemaURI when empty), from the schema
// alone: JSONSchemaWith without options. The result is a tree of maps and
// slices ready for encoding/json.
func (s *Schema) JSONSchema(uri string) map[string]any {
	return s.JSONSchemaWith(uri, JSONSchemaOptions{})
}

// JSONSchemaOptions says what a JSON Schema leaves to the rules (Regeln),
// which it cannot express.
type JSONSchemaOptions struct {
	// Conditional holds the schema paths (element ids joined by "/", e.g.
	// "G00000002194/G60000000086") of the elements whose presence rules
	// decide: shown or hidden by a condition (rules.Program.Conditional).
	// A hidden element is left out of the data whatever its Anzahl, so
	// such an element is not "required" (the rules demand it while they
	// show it), and a set of alternatives with such a group asks for at
	// most one group instead of exactly one.
	Conditional map[string]bool
	// Requirable holds the schema paths of the elements a rule may require
	// (rules.Program.Requirable). Validate does not check a set of
	// alternatives with such a group, the rules decide; nor does the JSON
	// Schema.
	Requirable map[string]bool
}

// JSONSchemaWith generates a JSON Schema (draft 2020-12) for the schema's
// data documents, with $id uri (DefaultSchemaURI when empty). The result is
// a tree of maps and slices ready for encoding/json.
//
// It expresses every check of Validate except the ones JSON Schema cannot:
// the character set of text_latin is a pattern, a calendar date's validity
// and RFC 3339 date-times rely on "format" (asserted when the validator
// enables format assertion), and date ranges (minValue/maxValue on a date)
// are not expressed at all, nor are the year range (YearRange) and the
// calendar check of a date given as separate day, month and year fields.
// E-mail fields (Element.EmailAddress) carry "format": "email", which is
// close to, not the same as, ValidEmail. Rules are not expressed: o says
// which demands of the schema they lift.
func (s *Schema) JSONSchemaWith(uri string, o JSONSchemaOptions) map[string]any {
	if uri == "" {
		uri = DefaultSchemaURI(s.ID, s.Version)
	}
	root := objectSchema("", s.Struktur, o)
	alternativeSchemas(root, s.Struktur, o)
	selectorSchemas(root, s.Struktur, o)
	root["$schema"] = JSONSchemaDialect
	root["$id"] = uri
	root["title"] = s.Title()
	return root
}

// selectorSchemas adds to the root schema, for each top-level set of
// alternatives with a Selector, one if/then per code: where the selector
// holds the code, the other alternatives are absent. A set with a group
// rules show, hide or require is left to them.
func selectorSchemas(root map[string]any, children []Child, o JSONSchemaOptions) {
	var rules []any
	for _, alt := range Alternatives(children) {
		sel := cachedSelector(children, alt)
		if sel == nil || slices.ContainsFunc(alt, func(i int) bool {
			id := children[i].Element.ID
			return o.Conditional[id] || o.Requirable[id]
		}) {
			continue
		}
		for _, w := range sel.Field.Codes() {
			k := sel.Group[w.Code]
			var others []any
			for _, i := range alt {
				if i != k {
					others = append(others, map[string]any{"required": []string{children[i].Element.ID}})
				}
			}
			cond := map[string]any{"const": w.Code}
			for j := len(sel.Path) - 1; j >= 0; j-- {
				id := sel.Path[j].Key
				cond = map[string]any{"properties": map[string]any{id: cond}, "required": []string{id}}
			}
			rules = append(rules, map[string]any{"if": cond, "then": map[string]any{"not": map[string]any{"anyOf": others}}})
		}
	}
	if len(rules) == 0 {
		return
	}
	if all, ok := root["allOf"].([]any); ok {
		root["allOf"] = append(all, rules...)
		return
	}
	root["allOf"] = rules
}

// schemaPathJoin extends the schema path prefix ("" for the root) by id.
func schemaPathJoin(prefix, id string) string {
	if prefix == "" {
		return id
	}
	return prefix + "/" + id
}

// objectSchema returns the schema of an object with the entries children,
// at schema path prefix.
func objectSchema(prefix string, children []Child, o JSONSchemaOptions) map[string]any {
	props := map[string]any{}
	required := []string{}
	for i := range children {
		c := &children[i]
		e := c.Element
		if !e.CarriesData() {
			continue
		}
		sp := schemaPathJoin(prefix, e.ID)
		item := elementSchema(sp, e, o)
		if c.Anzahl.Repeats() {
			if e.Kind == KindField {
				delete(item, "title")
				delete(item, "description")
			}
			arr := map[string]any{"type": "array", "title": e.Label(), "items": item}
			if c.Required() {
				arr["minItems"] = c.Anzahl.Min
			}
			if c.Anzahl.Max != Unbounded {
				arr["maxItems"] = c.Anzahl.Max
			}
			item = arr
		}
		props[e.ID] = item
		if c.Required() && !o.Conditional[sp] {
			required = append(required, e.ID)
		}
	}
	m := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}

// alternativeSchemas adds to the root schema: exactly one group of each
// top-level set of alternatives (see Alternatives) is present, or at most
// one where rules decide on the presence of one of them (a hidden group
// leaves the choice to the others, or to none: Validate then checks
// nothing). A set with a group a rule may require is left to the rules.
func alternativeSchemas(root map[string]any, children []Child, o JSONSchemaOptions) {
	var all []any
	for _, alt := range Alternatives(children) {
		var one []any
		ruled, required := false, false
		for _, i := range alt {
			id := children[i].Element.ID
			one = append(one, map[string]any{"required": []string{id}})
			ruled = ruled || o.Conditional[id]
			required = required || o.Requirable[id]
		}
		switch {
		case required:
			continue
		case ruled:
			all = append(all, map[string]any{"anyOf": []any{
				map[string]any{"oneOf": one},
				map[string]any{"not": map[string]any{"anyOf": one}},
			}})
		default:
			all = append(all, map[string]any{"oneOf": one})
		}
	}
	if len(all) > 0 {
		root["allOf"] = all
	}
}

func elementSchema(sp string, e *Element, o JSONSchemaOptions) map[string]any {
	var m map[string]any
	if e.Kind == KindGroup {
		m = objectSchema(sp, e.Struktur, o)
	} else {
		m = fieldSchema(e)
	}
	m["title"] = e.Label()
	if h := strings.TrimSpace(e.HilfetextEingabe); h != "" {
		m["description"] = h
	}
	return m
}

func fieldSchema(e *Element) map[string]any {
	if e.HasCodes() {
		codes := make([]string, 0, len(e.Codes()))
		for _, w := range e.Codes() {
			codes = append(codes, w.Code)
		}
		return map[string]any{"type": "string", "enum": codes}
	}
	pr := &e.Praezisierung
	switch e.Datentyp {
	case DatentypBool:
		return map[string]any{"type": "boolean"}
	case DatentypNum, DatentypNumInt, DatentypNumCurrency:
		m := map[string]any{"type": "number"}
		switch e.Datentyp {
		case DatentypNumInt:
			m["type"] = "integer"
		case DatentypNumCurrency:
			// At most two decimals. Not as multipleOf 0.01: common
			// validators divide in floating point and refuse 19.99
			// (Python jsonschema; ajv without multipleOfPrecision), and a
			// receiver would refuse correct amounts. Validate checks it.
			m["$comment"] = "Geldbetrag in Euro mit höchstens zwei Nachkommastellen (antrag prüft das selbst)."
		}
		if n, ok := jsonNumber(pr.MinValue); ok {
			m["minimum"] = n
		}
		if n, ok := jsonNumber(pr.MaxValue); ok {
			m["maximum"] = n
		}
		return m
	case DatentypDate:
		return map[string]any{"type": "string", "format": "date", "pattern": datePattern}
	case DatentypTime:
		return map[string]any{"type": "string", "pattern": timePattern}
	case DatentypDateTime:
		return map[string]any{"type": "string", "format": "date-time", "pattern": dateTimePattern}
	case DatentypFile, DatentypObj:
		return fileSchema(pr)
	}
	m := map[string]any{"type": "string", "minLength": 1}
	if pr.MinLength != nil && *pr.MinLength > 1 {
		m["minLength"] = *pr.MinLength
	}
	if pr.MaxLength != nil {
		m["maxLength"] = *pr.MaxLength
	}
	patterns := []string{noControlPattern(e.Multiline())}
	if pr.Regexp() != nil {
		patterns = append(patterns, AnchoredPattern(pr.Pattern))
	}
	if e.Datentyp == DatentypTextLatin {
		patterns = append(patterns, latinPattern())
	}
	if e.EmailAddress() {
		m["format"] = "email"
	}
	m["pattern"] = patterns[len(patterns)-1]
	if len(patterns) > 1 {
		var all []any
		for _, pt := range patterns[:len(patterns)-1] {
			all = append(all, map[string]any{"pattern": pt})
		}
		m["allOf"] = all
	}
	return m
}

func fileSchema(pr *Praezisierung) map[string]any {
	mime := map[string]any{"type": "string", "minLength": 1}
	if len(pr.MediaTypes) > 0 {
		mime["enum"] = pr.MediaTypes
	}
	size := map[string]any{"type": "integer", "minimum": 0}
	if pr.MaxSize > 0 {
		size["maximum"] = pr.MaxSize
	}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"attachmentId": map[string]any{"type": "string", "pattern": uuidPattern},
			"filename":     map[string]any{"type": "string", "minLength": 1, "maxLength": MaxFilenameLength},
			"mimeType":     mime,
			"size":         size,
			"hash": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"type":    map[string]any{"const": "sha512"},
					"content": map[string]any{"type": "string", "pattern": sha512Pattern},
				},
				"required":             []string{"type", "content"},
				"additionalProperties": false,
			},
		},
		"required":             fileRefKeys,
		"additionalProperties": false,
	}
}

// noControlPattern is the pattern that keeps out what Validate refuses as
// CodeControl: U+0000–U+001F (a multi-line field admits tab and line
// feed) and U+FFFE, U+FFFF, written so that Go (RE2) and ECMA-262 read it
// alike.
func noControlPattern(multiline bool) string {
	if multiline {
		return "^[^\\x00-\\x08\\x0B-\\x1F\uFFFE\uFFFF]*$"
	}
	return "^[^\\x00-\\x1F\uFFFE\uFFFF]*$"
}
