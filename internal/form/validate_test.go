package form_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

func intp(i int) *int { return &i }

func field(id, label string, dt form.Datentyp, pr form.Praezisierung) *form.Element {
	return &form.Element{Kind: form.KindField, ID: id, Name: label, Feldart: form.FeldartInput, Datentyp: dt, Praezisierung: pr}
}

func one(e *form.Element) form.Child {
	return form.Child{Anzahl: form.Anzahl{Min: 1, Max: 1}, Element: e}
}
func opt(e *form.Element) form.Child {
	return form.Child{Anzahl: form.Anzahl{Min: 0, Max: 1}, Element: e}
}

// testSchema covers every Datentyp, a select with Werte, a label, a
// repeating group and a repeating file field.
func testSchema(t *testing.T) *form.Schema {
	t.Helper()
	plz := form.Praezisierung{MinLength: intp(5), MaxLength: intp(5)}
	if err := plz.SetPattern("([0]{1}[1-9]{1}|[1-9]{1}[0-9]{1})[0-9]{3}"); err != nil {
		t.Fatal(err)
	}
	staat := field("F0006", "Staat", form.DatentypText, form.Praezisierung{})
	staat.Feldart = form.FeldartSelect
	staat.Werte = []form.Wert{{Code: "000", Name: "Deutschland"}, {Code: "151", Name: "Österreich"}}
	label := field("F0007", "Hinweis", form.DatentypText, form.Praezisierung{})
	label.Feldart = form.FeldartLabel
	person := &form.Element{Kind: form.KindGroup, ID: "G0001", Name: "Person", Struktur: []form.Child{
		one(field("F0001", "Vorname", form.DatentypText, form.Praezisierung{MinLength: intp(1), MaxLength: intp(10)})),
		opt(field("F0002", "Postleitzahl", form.DatentypText, plz)),
		one(field("F0003", "Geburtsdatum", form.DatentypDate, form.Praezisierung{MinValue: "1900-01-01"})),
		opt(field("F0004", "Monat", form.DatentypNumInt, form.Praezisierung{MinValue: "1", MaxValue: "12"})),
		opt(field("F0005", "Betrag", form.DatentypNumCurrency, form.Praezisierung{})),
		one(staat),
		opt(label),
		opt(field("F0008", "Einverstanden", form.DatentypBool, form.Praezisierung{})),
	}}
	kinder := &form.Element{Kind: form.KindGroup, ID: "G0002", Name: "Kind", Struktur: []form.Child{
		one(field("F0009", "Name des Kindes", form.DatentypText, form.Praezisierung{})),
	}}
	return &form.Schema{ID: "S0001", Version: "1.0", Name: "Testantrag", Struktur: []form.Child{
		one(person),
		{Anzahl: form.Anzahl{Min: 0, Max: 3}, Element: kinder},
		{Anzahl: form.Anzahl{Min: 0, Max: 2}, Element: field("F0010", "Nachweis", form.DatentypFile,
			form.Praezisierung{MediaTypes: []string{"application/pdf"}, MaxSize: 1000})},
		opt(field("F0011", "Name (lateinisch)", form.DatentypTextLatin, form.Praezisierung{})),
		opt(field("F0012", "Uhrzeit", form.DatentypTime, form.Praezisierung{})),
		opt(field("F0013", "Zeitpunkt", form.DatentypDateTime, form.Praezisierung{})),
		opt(field("F0014", "Gewicht", form.DatentypNum, form.Praezisierung{MinValue: "0.1"})),
	}}
}

var validDoc = `{
 "G0001": {"F0001": "Erika", "F0002": "01067", "F0003": "1990-02-01", "F0004": 12,
           "F0005": 1234.56, "F0006": "151", "F0008": false},
 "G0002": [{"F0009": "Max"}, {"F0009": "Moritz"}],
 "F0010": [{"attachmentId": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "filename": "Antrag (1).pdf",
            "mimeType": "application/pdf", "size": 1000,
            "hash": {"type": "sha512", "content": "` + sha + `"}}],
 "F0011": "Zoë Łukasiewicz",
 "F0012": "14:30",
 "F0013": "2024-05-17T09:30:00+02:00",
 "F0014": 0.1
}`

var sha = strings.Repeat("ab", 64)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	doc, err := form.DecodeData(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// set replaces the value at a dotted path ("G0001.F0001", "G0002[1].F0009");
// a nil value deletes the key.
func set(t *testing.T, doc map[string]any, path string, v any) {
	t.Helper()
	parts := strings.Split(path, ".")
	var cur any = doc
	for i, p := range parts {
		key, idx := p, -1
		if k, rest, ok := strings.Cut(p, "["); ok {
			key = k
			if err := json.Unmarshal([]byte(strings.TrimSuffix(rest, "]")), &idx); err != nil {
				t.Fatal(err)
			}
		}
		obj := cur.(map[string]any)
		last := i == len(parts)-1
		if idx < 0 {
			if last {
				if v == nil {
					delete(obj, key)
				} else {
					obj[key] = v
				}
				return
			}
			cur = obj[key]
			continue
		}
		arr := obj[key].([]any)
		if last {
			arr[idx] = v
			return
		}
		cur = arr[idx]
	}
}

func TestValidateAcceptsValidDocument(t *testing.T) {
	s := testSchema(t)
	doc := decode(t, validDoc)
	if ps := s.Validate(doc); len(ps) > 0 {
		t.Fatalf("valid document rejected: %v", ps)
	}
	if err := formtest.Validate(t, formtest.JSONSchema(t, s), doc); err != nil {
		t.Fatalf("JSON Schema rejects the valid document: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	long := strings.Repeat("x", 11)
	file := func(mut func(m map[string]any)) []any {
		m := map[string]any{"attachmentId": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "filename": "a.pdf",
			"mimeType": "application/pdf", "size": json.Number("10"),
			"hash": map[string]any{"type": "sha512", "content": sha}}
		mut(m)
		return []any{m}
	}
	tests := []struct {
		name    string
		path    string // where to change the document
		value   any    // new value; nil deletes
		code    string
		errPath string
		message string // exact, or "" to skip
	}{
		{"missing required", "G0001.F0001", nil, form.CodeRequired, "G0001.F0001", "Bitte machen Sie eine Angabe zu „Vorname“."},
		{"empty required", "G0001.F0001", "", form.CodeRequired, "G0001.F0001", "Bitte machen Sie eine Angabe zu „Vorname“."},
		{"empty optional", "F0011", "", form.CodeEmpty, "F0011", ""},
		{"wrong type text", "G0001.F0001", json.Number("5"), form.CodeType, "G0001.F0001", "„Vorname“ muss ein Text sein."},
		{"too long", "G0001.F0001", long, form.CodeMaxLength, "G0001.F0001", "„Vorname“ darf höchstens 10 Zeichen lang sein (jetzt 11)."},
		{"too short", "G0001.F0002", "0106", form.CodePattern, "G0001.F0002", "„Postleitzahl“ ist keine deutsche Postleitzahl. Eine Postleitzahl hat fünf Ziffern, zum Beispiel 99084."},
		{"pattern", "G0001.F0002", "00123", form.CodePattern, "G0001.F0002", "„Postleitzahl“ ist keine deutsche Postleitzahl. Eine Postleitzahl hat fünf Ziffern, zum Beispiel 99084."},
		{"postcode too long", "G0001.F0002", "D-99084", form.CodePattern, "G0001.F0002", "„Postleitzahl“ ist keine deutsche Postleitzahl. Eine Postleitzahl hat fünf Ziffern, zum Beispiel 99084."},
		{"pattern is anchored", "G0001.F0002", "x0106", form.CodePattern, "G0001.F0002", ""},
		{"not a date", "G0001.F0003", "01.02.1990", form.CodeFormat, "G0001.F0003", "„Geburtsdatum“ ist kein gültiges Datum."},
		{"impossible date", "G0001.F0003", "2019-02-30", form.CodeFormat, "G0001.F0003", ""},
		{"date with time", "G0001.F0003", "1990-02-01T00:00:00Z", form.CodeFormat, "G0001.F0003", ""},
		{"not an integer", "G0001.F0004", json.Number("1.5"), form.CodeType, "G0001.F0004", "„Monat“ muss eine ganze Zahl sein."},
		{"above maximum", "G0001.F0004", json.Number("13"), form.CodeMaximum, "G0001.F0004", "„Monat“ darf höchstens 12 sein."},
		{"below minimum", "G0001.F0004", json.Number("0"), form.CodeMinimum, "G0001.F0004", "„Monat“ muss mindestens 1 sein."},
		{"number as string", "G0001.F0004", "12", form.CodeType, "G0001.F0004", "„Monat“ muss eine Zahl sein."},
		{"below decimal minimum", "F0014", json.Number("0.09"), form.CodeMinimum, "F0014", "„Gewicht“ muss mindestens 0,1 sein."},
		{"three decimals", "G0001.F0005", json.Number("1234.567"), form.CodeDecimals, "G0001.F0005", ""},
		{"unknown code", "G0001.F0006", "999", form.CodeCode, "G0001.F0006", "Der Wert „999“ ist für „Staat“ keine zulässige Auswahl."},
		{"code name instead of code", "G0001.F0006", "Österreich", form.CodeCode, "G0001.F0006", ""},
		{"bool as string", "G0001.F0008", "ja", form.CodeType, "G0001.F0008", ""},
		{"value for a label", "G0001.F0007", "x", form.CodeUnknown, "G0001.F0007", ""},
		{"unknown key", "F9999", "x", form.CodeUnknown, "F9999", "Die Angabe „F9999“ gehört nicht zu diesem Antrag."},
		{"too many repetitions", "G0002", []any{map[string]any{"F0009": "a"}, map[string]any{"F0009": "b"}, map[string]any{"F0009": "c"}, map[string]any{"F0009": "d"}},
			form.CodeMaxItems, "G0002", "„Kind“ darf höchstens 3-mal angegeben werden."},
		{"repeated element not a list", "G0002", map[string]any{"F0009": "a"}, form.CodeType, "G0002", ""},
		{"error inside a repetition", "G0002[1].F0009", nil, form.CodeRequired, "G0002[1].F0009", ""},
		{"group not an object", "G0001", "x", form.CodeType, "G0001", ""},
		{"null value", "G0001.F0001", nullValue{}, form.CodeType, "G0001.F0001", ""},
		{"file type", "F0010", file(func(m map[string]any) { m["mimeType"] = "application/x-msdownload" }), form.CodeMediaType, "F0010[0]", ""},
		{"file too large", "F0010", file(func(m map[string]any) { m["size"] = json.Number("1001") }), form.CodeMaxSize, "F0010[0]", "Die Datei zu „Nachweis“ ist zu groß. Erlaubt sind höchstens 1 kB."},
		{"file bad hash", "F0010", file(func(m map[string]any) { m["hash"] = map[string]any{"type": "sha512", "content": "abc"} }), form.CodeFile, "F0010[0]", ""},
		{"file bad id", "F0010", file(func(m map[string]any) { m["attachmentId"] = "../../etc/passwd" }), form.CodeFile, "F0010[0]", ""},
		{"file extra key", "F0010", file(func(m map[string]any) { m["path"] = "/tmp/x" }), form.CodeFile, "F0010[0]", ""},
		{"file empty name", "F0010", file(func(m map[string]any) { m["filename"] = "" }), form.CodeFile, "F0010[0]", ""},
		{"not latin", "F0011", "Zoë 👍", form.CodeCharset, "F0011", ""},
		{"not latin cyrillic", "F0011", "Иван", form.CodeCharset, "F0011", ""},
		{"bad time", "F0012", "24:00", form.CodeFormat, "F0012", ""},
		{"time with offset", "F0012", "14:30Z", form.CodeFormat, "F0012", ""},
		{"date-time without offset", "F0013", "2024-05-17T09:30:00", form.CodeFormat, "F0013", ""},
		{"date-time impossible", "F0013", "2024-02-30T09:30:00Z", form.CodeFormat, "F0013", ""},
	}
	s := testSchema(t)
	sch := formtest.JSONSchema(t, s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, validDoc)
			v := tt.value
			if _, ok := v.(nullValue); ok {
				set(t, doc, tt.path, nil)
				doc["G0001"].(map[string]any)["F0001"] = nil
			} else {
				set(t, doc, tt.path, v)
			}
			ps := s.Validate(doc)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", ps)
			}
			p := ps[0]
			if p.Code != tt.code || p.Path != tt.errPath {
				t.Errorf("got %s at %s, want %s at %s (%s)", p.Code, p.Path, tt.code, tt.errPath, p.Message)
			}
			if tt.message != "" && p.Message != tt.message {
				t.Errorf("message:\n got %q\nwant %q", p.Message, tt.message)
			}
			if tt.code == form.CodeDecimals {
				// The JSON Schema leaves the two decimals of money to the
				// validator: multipleOf 0.01 would make common validators
				// refuse correct amounts (see jsonschema.go).
				return
			}
			if err := formtest.Validate(t, sch, doc); err == nil {
				t.Errorf("JSON Schema accepts what the validator rejects")
			}
		})
	}
}

type nullValue struct{}

// TestValidateAccepts covers values at the edges that both validators must
// accept.
func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name, path string
		value      any
	}{
		{"leap day", "G0001.F0003", "2024-02-29"},
		{"integer written with fraction zero", "G0001.F0004", json.Number("12.0")},
		{"currency integer", "G0001.F0005", json.Number("1234")},
		{"currency one decimal", "G0001.F0005", json.Number("0.5")},
		{"umlauts count as one character", "G0001.F0001", "Müllerßäöü"},
		{"emoji in plain text", "G0002[0].F0009", "Danke 👍 für die schnelle Bearbeitung — Grüße"},
		{"optional omitted", "G0001.F0002", nil},
		{"repetitions omitted", "G0002", nil},
		{"empty list for optional repetition", "G0002", []any{}},
		{"time with seconds", "F0012", "23:59:59"},
		{"latin with typographic quotes", "F0011", "„O’Brien“ – Ærø"},
	}
	s := testSchema(t)
	sch := formtest.JSONSchema(t, s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, validDoc)
			set(t, doc, tt.path, tt.value)
			if ps := s.Validate(doc); len(ps) > 0 {
				t.Errorf("validator rejects: %v", ps)
			}
			if err := formtest.Validate(t, sch, doc); err != nil {
				t.Errorf("JSON Schema rejects: %v", err)
			}
		})
	}
}

func TestValidateCollectsEveryProblemInDocumentOrder(t *testing.T) {
	s := testSchema(t)
	doc := decode(t, `{"G0001": {"F0003": "x", "F0006": "DE"}, "ZZZ": 1}`)
	var got []string
	for _, p := range s.Validate(doc) {
		got = append(got, p.Code+"@"+p.Path)
	}
	want := []string{"required@G0001.F0001", "format@G0001.F0003", "code@G0001.F0006", "unknown@ZZZ"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

func TestDecodeData(t *testing.T) {
	for _, in := range []string{``, `[]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`, `null`} {
		if _, err := form.DecodeData(strings.NewReader(in)); err == nil {
			t.Errorf("DecodeData(%q): want error", in)
		}
	}
	doc, err := form.DecodeData(strings.NewReader(`{"F1": 1234.56}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := doc["F1"].(json.Number); !ok || n.String() != "1234.56" {
		t.Fatalf("number not kept exactly: %#v", doc["F1"])
	}
	big := `{"F1":"` + strings.Repeat("x", form.MaxDataBytes) + `"}`
	if _, err := form.DecodeData(strings.NewReader(big)); err != form.ErrDataTooLarge {
		t.Fatalf("oversized document: got %v", err)
	}
}

func TestExampleOfTestSchema(t *testing.T) {
	s := testSchema(t)
	ex := formtest.Decode(t, s.Example())
	if ps := s.Validate(ex); len(ps) > 0 {
		t.Fatalf("example rejected: %v", ps)
	}
	if err := formtest.Validate(t, formtest.JSONSchema(t, s), ex); err != nil {
		t.Fatalf("JSON Schema rejects example: %v", err)
	}
	if _, ok := ex["G0001"].(map[string]any)["F0007"]; ok {
		t.Error("example has a value for a label")
	}
	if got := ex["G0001"].(map[string]any)["F0004"]; got != json.Number("1") {
		t.Errorf("num_int in 1..12: got %v", got)
	}
}
