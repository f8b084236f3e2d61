package form_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

// addressSchema has a German postcode in an Inland address without pattern
// or lengths (as the XDatenfelder 2 Baukasten field F00000054), one with
// the Baukasten pattern, a foreign postcode, a code list, an e-mail field
// without pattern, a multi-line text and a date.
func addressSchema(t testing.TB) *form.Schema {
	t.Helper()
	plz := form.Praezisierung{MinLength: intp(5), MaxLength: intp(5)}
	if err := plz.SetPattern("([0]{1}[1-9]{1}|[1-9]{1}[0-9]{1})[0-9]{3}"); err != nil {
		t.Fatal(err)
	}
	staat := field("F0006", "Staat", form.DatentypText, form.Praezisierung{})
	staat.Feldart = form.FeldartSelect
	staat.Werte = []form.Wert{{Code: "DE", Name: "Deutschland"}, {Code: "AT", Name: "Österreich"}}
	cased := field("F0007", "Kennung", form.DatentypText, form.Praezisierung{})
	cased.Feldart = form.FeldartSelect
	cased.Werte = []form.Wert{{Code: "a", Name: "klein"}, {Code: "A", Name: "groß"}}
	inland := &form.Element{Kind: form.KindGroup, ID: "G0001", Name: "Ort Inland (ohne Ortsteil)", Struktur: []form.Child{
		one(field("F0001", "Postleitzahl", form.DatentypText, form.Praezisierung{})),
		one(field("F0002", "Ort", form.DatentypText, form.Praezisierung{})),
	}}
	ausland := &form.Element{Kind: form.KindGroup, ID: "G0002", Name: "Anschrift Ausland", Struktur: []form.Child{
		one(field("F0003", "Postleitzahl", form.DatentypText, form.Praezisierung{MaxLength: intp(15)})),
	}}
	return &form.Schema{ID: "S0002", Name: "Adresse", Struktur: []form.Child{
		one(inland),
		opt(ausland),
		opt(field("F0004", "Postleitzahl", form.DatentypText, plz)),
		opt(staat),
		opt(cased),
		opt(field("F0008", "E-Mail-Adresse", form.DatentypText, form.Praezisierung{MaxLength: intp(254)})),
		opt(field("F0009", "Begründung", form.DatentypText, form.Praezisierung{MaxLength: intp(2000)})),
		opt(field("F0010", "Geburtsdatum", form.DatentypDate, form.Praezisierung{})),
		opt(field("F0011", "Zeitpunkt", form.DatentypDateTime, form.Praezisierung{})),
	}}
}

const addressDoc = `{"G0001": {"F0001": "99084", "F0002": "Erfurt"}}`

// normalized decodes doc, normalises it and returns the value at path
// with the problems of normalisation and validation.
func normalized(t *testing.T, s *form.Schema, doc string, path string, v any) (any, form.Problems) {
	t.Helper()
	d := decode(t, doc)
	if path != "" {
		set(t, d, path, v)
	}
	ps := s.Normalize(d)
	ps = ps.Merge(s.Validate(d))
	return lookup(d, path), ps
}

func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func TestAPIAcceptsWhatHTMLTrims(t *testing.T) {
	s := addressSchema(t)
	for _, tt := range []struct{ path, in, want string }{
		{"G0001.F0001", " 99084 ", "99084"},
		{"G0001.F0002", "\tErfurt\u00a0", "Erfurt"},
		{"G0001.F0002", "Bad  Langen-\n salza", "Bad Langen- salza"},
		{"F0009", "\r\n Erste Zeile\r\nzweite  Zeile\r\rEnde \n", "Erste Zeile\nzweite  Zeile\n\nEnde"},
	} {
		got, ps := normalized(t, s, addressDoc, tt.path, tt.in)
		if len(ps) > 0 || got != tt.want {
			t.Errorf("%s = %q: got %q, %v; want %q", tt.path, tt.in, got, ps, tt.want)
		}
	}
	// Blank is no value: an optional field becomes absent, a required one
	// is missing.
	d := decode(t, addressDoc)
	set(t, d, "F0009", "  \n ")
	set(t, d, "G0001.F0002", " ")
	ps := s.Normalize(d).Merge(s.Validate(d))
	if _, present := d["F0009"]; present {
		t.Errorf("blank optional text kept: %q", d["F0009"])
	}
	if len(ps) != 1 || ps[0].Path != "G0001.F0002" || ps[0].Code != form.CodeRequired {
		t.Errorf("blank required text: %v", ps)
	}
}

func TestPostcodeNormalised(t *testing.T) {
	s := addressSchema(t)
	for _, tt := range []struct {
		path, in string
		want     string // "" when refused
		code     string
	}{
		{"G0001.F0001", "99 084", "99084", ""},
		{"G0001.F0001", "D-99084", "99084", ""},
		{"G0001.F0001", "d 99084", "99084", ""},
		{"G0001.F0001", "DE-99084", "99084", ""},
		{"F0004", "99 084", "99084", ""},
		{"F0004", "D-99084", "99084", ""},
		{"F0004", " 0 1 0 6 7 ", "01067", ""},
		{"F0004", "D-9908", "", form.CodePattern},
		{"F0004", "990845", "", form.CodePattern},
		// A foreign postcode is only trimmed.
		{"G0002.F0003", " D-99084 ", "D-99084", ""},
		{"G0002.F0003", "SW1A 1AA", "SW1A 1AA", ""},
	} {
		doc := addressDoc
		if strings.HasPrefix(tt.path, "G0002") {
			doc = `{"G0001": {"F0001": "99084", "F0002": "Erfurt"}, "G0002": {"F0003": "x"}}`
		}
		got, ps := normalized(t, s, doc, tt.path, tt.in)
		if tt.code != "" {
			if len(ps) != 1 || ps[0].Code != tt.code || ps[0].Path != tt.path {
				t.Errorf("%s = %q: want one %s problem, got %v", tt.path, tt.in, tt.code, ps)
			} else if strings.Contains(ps[0].Message, "Zeichen lang") || !strings.Contains(ps[0].Message, "fünf Ziffern") {
				t.Errorf("%s = %q: the message should speak of the format: %s", tt.path, tt.in, ps[0].Message)
			}
			continue
		}
		if len(ps) > 0 || got != tt.want {
			t.Errorf("%s = %q: got %q, %v; want %q", tt.path, tt.in, got, ps, tt.want)
		}
	}
}

// TestGermanPostcodeRecognised decides from the schema structure which
// fields hold a German postcode, in every sample.
func TestGermanPostcodeRecognised(t *testing.T) {
	var german, foreign int
	for _, name := range samples.Files() {
		s := importSample(t, name)
		var walk func(parent *form.Element, cs []form.Child)
		walk = func(parent *form.Element, cs []form.Child) {
			for _, c := range cs {
				e := c.Element
				if e.Kind == form.KindGroup {
					walk(e, e.Struktur)
					continue
				}
				if !strings.HasPrefix(e.Name, "Postleitzahl") {
					continue
				}
				isForeign := strings.Contains(e.Name, "Ausland") || strings.Contains(parent.Name, "Ausland")
				if got := e.GermanPostcode(parent); got == isForeign {
					t.Errorf("%s %s in %q: GermanPostcode = %v", name, e.ID, parent.Name, got)
				}
				if isForeign {
					foreign++
				} else {
					german++
				}
			}
		}
		walk(nil, s.Struktur)
	}
	if german == 0 || foreign == 0 {
		t.Fatalf("samples hold %d German and %d foreign postcodes", german, foreign)
	}
}

func importSample(t testing.TB, name string) *form.Schema {
	t.Helper()
	b, err := samples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(b), name, fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCodeCaseInsensitive(t *testing.T) {
	s := addressSchema(t)
	got, ps := normalized(t, s, addressDoc, "F0006", " de ")
	if len(ps) > 0 || got != "DE" {
		t.Errorf(`"de": got %q, %v; want "DE"`, got, ps)
	}
	// A list that tells codes apart by case alone takes them as written.
	for _, in := range []string{"a", "A"} {
		if got, ps := normalized(t, s, addressDoc, "F0007", in); len(ps) > 0 || got != in {
			t.Errorf("%q: got %q, %v", in, got, ps)
		}
	}
	if _, ps := normalized(t, s, addressDoc, "F0006", "deu"); len(ps) != 1 || ps[0].Code != form.CodeCode {
		t.Errorf(`"deu": %v`, ps)
	}
}

func TestInvalidUTF8Refused(t *testing.T) {
	for _, tt := range []struct {
		name, doc, path string
		key             bool
	}{
		{"invalid byte", "{\"G0001\": {\"F0001\": \"99084\", \"F0002\": \"Erf\xffurt\"}}", "G0001.F0002", false},
		{"truncated sequence", "{\"F0009\": \"Stra\xc3\"}", "F0009", false},
		{"lone high surrogate", `{"G0001": {"F0002": "Erfurt\ud800"}}`, "G0001.F0002", false},
		{"lone low surrogate", `{"F0009": "\udc00x"}`, "F0009", false},
		{"reversed pair", `{"F0009": "\udc00\ud800"}`, "F0009", false},
		{"in a list", `{"L": ["ok", "\ud800"]}`, "L[1]", false},
		{"in a key", `{"G0001": {"F\ud800": "x"}}`, "G0001", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := form.DecodeData(strings.NewReader(tt.doc))
			var te *form.TextError
			if !errors.As(err, &te) {
				t.Fatalf("DecodeData: %v, want a TextError", err)
			}
			if te.Path.String() != tt.path || te.Key != tt.key {
				t.Errorf("at %q (key %v), want %q (key %v)", te.Path, te.Key, tt.path, tt.key)
			}
		})
	}
	// What is valid stays valid: a surrogate pair, an escaped backslash
	// before "ud800", U+FFFD itself.
	for _, doc := range []string{`{"a": "\ud83d\ude00"}`, `{"a": "\\ud800"}`, `{"a": "\ufffd"}`, `{"a": "\u00e4ö"}`} {
		if _, err := form.DecodeData(strings.NewReader(doc)); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
	// From a form post, invalid UTF-8 arrives as a string.
	s := addressSchema(t)
	if _, ierr := form.NormalizeString(s.Struktur[0].Element.Struktur[1].Element, nil, "Erf\xffurt"); ierr == nil || ierr.Code != form.CodeEncoding || !strings.Contains(ierr.Message, "„Ort“") {
		t.Errorf("NormalizeString of invalid UTF-8: %v", ierr)
	}
}

func TestXMLControlCharsRefused(t *testing.T) {
	s := addressSchema(t)
	sch := formtest.JSONSchema(t, s)
	for _, tt := range []struct {
		path, value string
		ok          bool
	}{
		{"G0001.F0002", "Erf\x00urt", false},
		{"G0001.F0002", "Erf\x07urt", false},
		{"G0001.F0002", "Erf\vurt", false},
		{"G0001.F0002", "Erf\furt", false},
		{"G0001.F0002", "Erf\x1furt", false},
		{"G0001.F0002", "Erf\ufffeurt", false},
		{"G0001.F0002", "Erf\uffffurt", false},
		{"G0001.F0002", "Erf\nurt", false}, // single-line: canonical text has no line break
		{"G0001.F0002", "Erf\turt", false},
		{"G0001.F0002", "Erfürt \u00e9", true},
		{"F0009", "Zeile\nZeile\tmit Tab", true},
		{"F0009", "Zeile\x0cSeite", false},
		{"F0009", "Zeile\r\nZeile", false}, // canonical line breaks are "\n"
		{"F0009", "Glocke\x07", false},
	} {
		d := decode(t, addressDoc)
		set(t, d, tt.path, tt.value)
		ps := s.Validate(d)
		if tt.ok != (len(ps) == 0) {
			t.Errorf("%s = %q: %v", tt.path, tt.value, ps)
		}
		if !tt.ok && (len(ps) != 1 || ps[0].Code != form.CodeControl || ps[0].Path != tt.path) {
			t.Errorf("%s = %q: want one control problem, got %v", tt.path, tt.value, ps)
		}
		if err := formtest.Validate(t, sch, d); (err == nil) != tt.ok {
			t.Errorf("%s = %q: JSON Schema disagrees: %v", tt.path, tt.value, err)
		}
	}
	// Normalisation keeps them, so that the citizen is told.
	d := decode(t, addressDoc)
	set(t, d, "G0001.F0002", " Erf\x01urt ")
	ps := s.Normalize(d).Merge(s.Validate(d))
	if len(ps) != 1 || ps[0].Code != form.CodeControl || !strings.Contains(ps[0].Message, "„Ort“") || !strings.Contains(ps[0].Message, "U+0001") {
		t.Errorf("control character after normalisation: %v", ps)
	}
}

// yearsOnly are Conditions that only set the year range.
type yearsOnly struct{ years form.YearRange }

func (yearsOnly) Hidden(form.Path) bool       { return false }
func (yearsOnly) Required(form.Path) bool     { return false }
func (y yearsOnly) YearRange() form.YearRange { return y.years }

var _ form.YearLimiter = yearsOnly{}

func TestYearOutOfRangeRefused(t *testing.T) {
	s := addressSchema(t)
	for _, tt := range []struct {
		path, value string
		cond        form.Conditions
		ok          bool
	}{
		{"F0010", "0000-01-01", nil, false},
		{"F0010", "1799-12-31", nil, false},
		{"F0010", "1800-01-01", nil, true},
		{"F0010", "2200-12-31", nil, true},
		{"F0010", "2201-01-01", nil, false},
		{"F0010", "9999-12-31", nil, false},
		{"F0011", "0000-01-01T10:00:00Z", nil, false},
		{"F0011", "2024-05-17T09:30:00+02:00", nil, true},
		{"F0010", "1850-01-01", yearsOnly{form.YearRange{Min: 1900, Max: 2100}}, false},
		{"F0010", "2100-01-01", yearsOnly{form.YearRange{Min: 1900, Max: 2100}}, true},
		{"F0010", "1800-01-01", yearsOnly{}, true}, // zero is the default
	} {
		d := decode(t, addressDoc)
		set(t, d, tt.path, tt.value)
		ps := s.ValidateWith(d, tt.cond)
		if tt.ok != (len(ps) == 0) {
			t.Errorf("%s = %s under %v: %v", tt.path, tt.value, tt.cond, ps)
		}
		if !tt.ok && (len(ps) != 1 || ps[0].Code != form.CodeYear || !strings.Contains(ps[0].Message, tt.value[:4])) {
			t.Errorf("%s = %s: want one year problem naming the year, got %v", tt.path, tt.value, ps)
		}
	}
	for _, in := range []string{"1800-2200", " 1900 - 2100 ", "1-9999"} {
		if _, err := form.ParseYearRange(in); err != nil {
			t.Errorf("ParseYearRange(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "1800", "2200-1800", "0-2000", "1800-10000", "x-y"} {
		if _, err := form.ParseYearRange(in); err == nil {
			t.Errorf("ParseYearRange(%q) accepted", in)
		}
	}
}

// TestDatePartsGroupChecked checks the day, month and year of the XDF2
// Gewerbeanmeldung's "Geburtsdatum (teilbekannt)", which carries no rule,
// as a calendar date.
func TestDatePartsGroupChecked(t *testing.T) {
	s := importSample(t, "xdf2/S00000009_GewerbeAnmeldung_xdf2.xml")
	var groupPath form.Path
	var day, month, year *form.Child
	s.Walk(func(p form.Path, c *form.Child) bool {
		if c.Element.Kind == form.KindGroup && groupPath == nil {
			if d, m, y, ok := form.DateParts(c.Element.Struktur); ok {
				groupPath, day, month, year = p, d, m, y
			}
		}
		return true
	})
	if groupPath == nil {
		t.Fatal("no group of day, month and year found")
	}
	for _, tt := range []struct {
		d, m, y int
		ok      bool
	}{
		{31, 2, 1990, false},
		{29, 2, 1990, false},
		{29, 2, 2000, true},
		{31, 4, 1990, false},
		{30, 4, 1990, true},
		{1, 1, 1990, true},
	} {
		doc := formtest.Decode(t, s.Example())
		g := groupAt(t, doc, groupPath)
		g[day.Element.ID] = json.Number(itoa(tt.d))
		g[month.Element.ID] = json.Number(itoa(tt.m))
		g[year.Element.ID] = json.Number(itoa(tt.y))
		ps := s.Validate(doc)
		if tt.ok != (len(ps) == 0) {
			t.Errorf("%d.%d.%d: %v", tt.d, tt.m, tt.y, ps)
		}
		if !tt.ok && (len(ps) != 1 || !strings.HasSuffix(ps[0].Path, day.Element.ID)) {
			t.Errorf("%d.%d.%d: want one problem at the day, got %v", tt.d, tt.m, tt.y, ps)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// groupAt returns the object at p in doc, following the first entry of
// lists on the way.
func groupAt(t *testing.T, doc map[string]any, p form.Path) map[string]any {
	t.Helper()
	var cur any = doc
	for _, st := range p {
		if arr, ok := cur.([]any); ok {
			cur = arr[0]
		}
		cur = cur.(map[string]any)[st.Key]
	}
	if arr, ok := cur.([]any); ok {
		cur = arr[0]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%v is no object in the example", p)
	}
	return m
}

func TestEmailSyntaxChecked(t *testing.T) {
	s := addressSchema(t)
	sch := formtest.JSONSchema(t, s)
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"erika.mustermann@example.de", true},
		{"e+tag@sub.example.org", true},
		{"Max <max@example.de>", false},
		{"<max@example.de>", false},
		{"max@example.de (Max)", false},
		{"max@", false},
		{"@example.de", false},
		{"max@localhost", false},
		{"max example.de", false},
		{"max@example.de, eva@example.de", false},
	} {
		d := decode(t, addressDoc)
		set(t, d, "F0008", tt.in)
		ps := s.Validate(d)
		if tt.ok != (len(ps) == 0) {
			t.Errorf("%q: %v", tt.in, ps)
		}
		if !tt.ok && (len(ps) != 1 || ps[0].Code != form.CodeEmail) {
			t.Errorf("%q: want one e-mail problem, got %v", tt.in, ps)
		}
		if err := formtest.Validate(t, sch, d); tt.ok && err != nil {
			t.Errorf("%q: JSON Schema refuses an address the validator takes: %v", tt.in, err)
		}
	}
	for _, name := range []string{"E-Mail", "E-Mail-Adresse", "Email", "email", "E-Mail Adresse", "Mail", "E_MAIL", "e mail (geschäftlich)", " E-Mail "} {
		e := field("F1", name, form.DatentypText, form.Praezisierung{})
		if !e.EmailAddress() {
			t.Errorf("%q is not taken for an e-mail field", name)
		}
	}
	for _, name := range []string{"E-Mail-Adresse bestätigt", "Mailbox-Nummer", "Name", "E-Mails", "Mai", "", "Émail", "(E-Mail)"} {
		if e := field("F1", name, form.DatentypText, form.Praezisierung{}); e.EmailAddress() {
			t.Errorf("%q is taken for an e-mail field", name)
		}
	}
}

// FuzzDecodeData reads arbitrary JSON text: never a panic, and what it
// accepts re-encodes to valid UTF-8 without U+FFFD that was not there.
func FuzzDecodeData(f *testing.F) {
	for _, s := range []string{addressDoc, `{"a": "\ud800"}`, "{\"a\": \"\xff\"}", `{"a": ["\ud83d\ude00", {"b\\u": 1}]}`, `{"\ud800": 1}`, `{"a": "\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := form.DecodeData(bytes.NewReader(b))
		if err != nil {
			return
		}
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(out) {
			t.Fatal("decoded text is not UTF-8")
		}
		if bytes.Contains(out, []byte("\ufffd")) && !bytes.Contains(b, []byte("\ufffd")) && !bytes.Contains(bytes.ToLower(b), []byte(`\ufffd`)) {
			t.Fatalf("U+FFFD appeared: %q", b)
		}
	})
}

// FuzzNormalizeString normalises arbitrary input: never a panic, the
// result is valid UTF-8 and normalising it again changes nothing.
func FuzzNormalizeString(f *testing.F) {
	s := addressSchema(f)
	fields := []*form.Element{
		s.Struktur[0].Element.Struktur[0].Element, // postcode (Inland)
		s.Struktur[0].Element.Struktur[1].Element, // Ort
		s.Struktur[3].Element,                     // code list
		s.Struktur[6].Element,                     // multi-line
	}
	parent := s.Struktur[0].Element
	for _, in := range []string{" 99 084 ", "D-99084", "de", "a\r\nb", "\xff", "\u00a0x\u2003y "} {
		f.Add(in, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, which uint8) {
		e := fields[int(which)%len(fields)]
		out, ierr := form.NormalizeString(e, parent, in)
		if ierr != nil {
			if utf8.ValidString(in) {
				t.Fatalf("%q refused: %v", in, ierr)
			}
			return
		}
		if !utf8.ValidString(out) {
			t.Fatalf("%q → invalid UTF-8", in)
		}
		again, _ := form.NormalizeString(e, parent, out)
		if again != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
	})
}

// TestGermanPostcodeNames checks which names make a five-digit text field a
// German postcode, in any case and with blanks around them.
func TestGermanPostcodeNames(t *testing.T) {
	five := 5
	pr := form.Praezisierung{MinLength: &five, MaxLength: &five}
	for name, want := range map[string]bool{
		"Postleitzahl": true, "POSTLEITZAHL des Wohnorts": true, " plz ": true, "PLZ": true, "Plz (Inland)": true,
		"PLZ-Bereich": false, "plzx": false, "Postfach": false, "Postleitzahl Ausland": false, "PL": false, "": false,
	} {
		if got := field("F1", name, form.DatentypText, pr).GermanPostcode(nil); got != want {
			t.Errorf("%q: GermanPostcode = %v, want %v", name, got, want)
		}
	}
}
