package tenant

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

func completeStatement() *Statement {
	return &Statement{
		Conformance: PartiallyConformant,
		Problems:    []Problem{{Content: "Die Antragsquittung (PDF) ist kein getaggtes PDF."}},
		Prepared:    Preparation{Date: "2026-11-30", Method: SelfAssessment},
		Feedback:    Feedback{Email: "barrierefrei@example.org", ResponseWeeks: 6},
		Enforcement: Enforcement{Name: "Schlichtungsstelle (Beispiel)", URL: "https://schlichtung.example.org"},
	}
}

// TestIncompleteStatementRefused: a statement without one of the parts
// the model requires is refused with an error naming the part.
func TestIncompleteStatementRefused(t *testing.T) {
	if err := completeStatement().Validate(); err != nil {
		t.Fatalf("complete statement: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(s *Statement)
		want   string // in the error
	}{
		{"no date", func(s *Statement) { s.Prepared.Date = "" }, "Datum (prepared.date) fehlt"},
		{"date not a date", func(s *Statement) { s.Prepared.Date = "30.11.2026" }, "JJJJ-MM-TT"},
		{"reviewed before made", func(s *Statement) { s.Prepared.Reviewed = "2026-11-01" }, "vor der Erstellung"},
		{"no method", func(s *Statement) { s.Prepared.Method = "" }, "Methode der Bewertung"},
		{"unknown method", func(s *Statement) { s.Prepared.Method = "gefühl" }, "selbstbewertung oder pruefung-durch-dritte"},
		{"no contact", func(s *Statement) { s.Feedback.Email = "" }, "kein elektronischer Kontakt"},
		{"phone only", func(s *Statement) { s.Feedback.Email, s.Feedback.Phone = "", "+49 30 1234" }, "kein elektronischer Kontakt"},
		{"no response period", func(s *Statement) { s.Feedback.ResponseWeeks = 0 }, "Antwortfrist"},
		{"bad e-mail", func(s *Statement) { s.Feedback.Email = "keine Adresse" }, "keine E-Mail-Adresse"},
		{"bad phone", func(s *Statement) { s.Feedback.Phone = "ruf an" }, "keine Telefonnummer"},
		{"form link not https", func(s *Statement) { s.Feedback.FormURL = "javascript:alert(1)" }, "https://"},
		{"no conformance", func(s *Statement) { s.Conformance = "" }, "Stand der Vereinbarkeit (conformance) fehlt"},
		{"unknown conformance", func(s *Statement) { s.Conformance = "meistens" }, "vollstaendig, teilweise oder nicht"},
		{"partial without problems", func(s *Statement) { s.Problems = nil }, "nicht barrierefreie Inhalte (problems) fehlen"},
		{"full with problems", func(s *Statement) { s.Conformance = FullyConformant }, "vollständig vereinbar, aber"},
		{"problem without content", func(s *Statement) { s.Problems = []Problem{{Reason: "x"}} }, "Beschreibung (content) fehlt"},
		{"no Schlichtungsstelle", func(s *Statement) { s.Enforcement.Name = "" }, "Name der Schlichtungsstelle"},
		{"Schlichtungsstelle unreachable", func(s *Statement) { s.Enforcement.URL = "" }, "Anschrift (enforcement.address) oder Internetadresse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := completeStatement()
			tc.change(s)
			err := s.Validate()
			if !errors.Is(err, apperr.Invalid) {
				t.Fatalf("Validate = %v, want apperr.Invalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			// Refused within a tenant's pages too, naming the page.
			tn := Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: Gemeinde, Pages: Pages{Barrierefreiheit: &Page{Statement: s}}}
			if err := tn.Validate(); !errors.Is(err, apperr.Invalid) || !strings.HasPrefix(err.Error(), "barrierefreiheit: Erklärung zur Barrierefreiheit: ") {
				t.Errorf("Tenant.Validate = %v", err)
			}
		})
	}
}

// TestPageNeedsExactlyOneSource: a page is a link or content, of the kind
// its page takes; links are https only.
func TestPageNeedsExactlyOneSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind PageKind
		page Page
		ok   bool
	}{
		{"link", Impressum, Page{URL: "https://www.example.org/impressum"}, true},
		{"text", Impressum, Page{Paragraphs: []string{"Stadt Musterstadt"}}, true},
		{"sections", Datenschutz, Page{Sections: []Section{{Heading: "Rechte", Paragraphs: []string{"Auskunft"}}}}, true},
		{"statement", Barrierefreiheit, Page{Statement: completeStatement()}, true},
		{"nothing", Impressum, Page{}, false},
		{"link and text", Impressum, Page{URL: "https://www.example.org/impressum", Paragraphs: []string{"x"}}, false},
		{"http link", Impressum, Page{URL: "http://www.example.org/impressum"}, false},
		{"javascript link", Datenschutz, Page{URL: "javascript:alert(1)"}, false},
		{"relative link", Datenschutz, Page{URL: "/impressum"}, false},
		{"empty paragraph", Impressum, Page{Paragraphs: []string{"x", "  "}}, false},
		{"section without heading", Datenschutz, Page{Sections: []Section{{Paragraphs: []string{"x"}}}}, false},
		{"section without text", Datenschutz, Page{Sections: []Section{{Heading: "Rechte"}}}, false},
		{"statement on Impressum", Impressum, Page{Statement: completeStatement()}, false},
		{"text for Barrierefreiheit", Barrierefreiheit, Page{Paragraphs: []string{"Wir sind barrierefrei."}}, false},
		{"link for Barrierefreiheit", Barrierefreiheit, Page{URL: "https://www.example.org/barrierefreiheit"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.page.Validate(tc.kind)
			if tc.ok && err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, apperr.Invalid) {
				t.Errorf("Validate = %v, want apperr.Invalid", err)
			}
		})
	}
}

// TestPageForPrecedence: the authority's page wins over the tenant's, the
// tenant's over none (the installation's); another tenant's authority
// does not count.
func TestPageForPrecedence(t *testing.T) {
	tp := &Page{Paragraphs: []string{"Mandant"}}
	ap := &Page{Paragraphs: []string{"Behörde"}}
	tn := &Tenant{ID: "t1", Pages: Pages{Impressum: tp, Datenschutz: tp}}
	a := &Authority{ID: "a1", TenantID: "t1", Pages: Pages{Datenschutz: ap, Barrierefreiheit: ap}}
	foreign := &Authority{ID: "a2", TenantID: "t2", Pages: Pages{Impressum: ap}}
	for _, tc := range []struct {
		name   string
		kind   PageKind
		a      *Authority
		want   *Page
		byAuth bool
	}{
		{"tenant's without authority", Impressum, nil, tp, false},
		{"tenant's where the authority sets none", Impressum, a, tp, false},
		{"authority's over tenant's", Datenschutz, a, ap, true},
		{"authority's where the tenant sets none", Barrierefreiheit, a, ap, true},
		{"none", Barrierefreiheit, nil, nil, false},
		{"not another tenant's authority", Impressum, foreign, tp, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, byAuth := PageFor(tc.kind, tn, tc.a)
			if got != tc.want || byAuth != tc.byAuth {
				t.Errorf("PageFor = %v, %v; want %v, %v", got, byAuth, tc.want, tc.byAuth)
			}
		})
	}
}

// FuzzPagesJSON: any JSON an operator writes either decodes and validates
// or gives an error, never a panic; pages that validate still validate
// after the store's JSON round trip.
func FuzzPagesJSON(f *testing.F) {
	b, _ := json.Marshal(Pages{
		Impressum:        &Page{URL: "https://www.example.org/impressum"},
		Datenschutz:      &Page{Paragraphs: []string{"a"}, Sections: []Section{{Heading: "h", Paragraphs: []string{"b"}}}},
		Barrierefreiheit: &Page{Statement: completeStatement()},
	})
	f.Add(b)
	f.Add([]byte(`{"barrierefreiheit":{"statement":{"conformance":"nicht","problems":[{}]}}}`))
	f.Add([]byte(`{"impressum":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Pages
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if err := p.Validate(); err != nil {
			if !errors.Is(err, apperr.Invalid) {
				t.Fatalf("Validate = %v, not apperr.Invalid", err)
			}
			return
		}
		enc, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		var again Pages
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatal(err)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("valid pages invalid after a round trip: %v\n%s", err, enc)
		}
	})
}

// TestControlCharactersRefused: a control character or noncharacter in
// any text field is refused with an error naming the field by its JSON
// path; tabs and line breaks only where a field is running text.
func TestControlCharactersRefused(t *testing.T) {
	text := func(change func(p *Page)) Pages {
		p := &Page{Paragraphs: []string{"Verantwortlich ist die Stadt."}, Sections: []Section{{Heading: "Rechte", Paragraphs: []string{"Auskunft."}}}}
		change(p)
		return Pages{Datenschutz: p}
	}
	statement := func(change func(s *Statement)) Pages {
		s := completeStatement()
		change(s)
		return Pages{Barrierefreiheit: &Page{Statement: s}}
	}
	for _, tc := range []struct {
		name  string
		pages Pages
		want  string // in the error; "" accepted
	}{
		{"bell in a paragraph", text(func(p *Page) { p.Paragraphs[0] = "Verantwortlich\aist" }), "datenschutz: paragraphs[0]: Zeichen 15 ist das Steuerzeichen U+0007"},
		{"NUL in a section's paragraph", text(func(p *Page) { p.Sections[0].Paragraphs = append(p.Sections[0].Paragraphs, "a\x00") }), "datenschutz: sections[0].paragraphs[1]: Zeichen 2 ist das Steuerzeichen U+0000"},
		{"C1 control in a heading", text(func(p *Page) { p.Sections[0].Heading = "Rechte\u0085" }), "sections[0].heading: Zeichen 7 ist das Steuerzeichen U+0085"},
		{"DEL in a heading", text(func(p *Page) { p.Sections[0].Heading = "\u007fRechte" }), "sections[0].heading: Zeichen 1 ist das Steuerzeichen U+007F"},
		{"line break in a heading", text(func(p *Page) { p.Sections[0].Heading = "Ihre\nRechte" }), "sections[0].heading: Zeichen 5 ist ein Zeilenumbruch"},
		{"carriage return in a paragraph", text(func(p *Page) { p.Paragraphs[0] = "a\r\nb" }), "paragraphs[0]: Zeichen 2 ist das Steuerzeichen U+000D"},
		{"line break and tab in a paragraph", text(func(p *Page) { p.Paragraphs[0] = "Stadt Musterstadt\nMarkt 1\tMusterstadt" }), ""},
		{"noncharacter U+FFFE", text(func(p *Page) { p.Paragraphs[0] = "a\uFFFE" }), "paragraphs[0]: Zeichen 2 ist das Nichtzeichen U+FFFE"},
		{"noncharacter U+FFFF", statement(func(s *Statement) { s.Enforcement.Name = "\uFFFF" }), "enforcement.name: Zeichen 1 ist das Nichtzeichen U+FFFF"},
		{"escape in a date", statement(func(s *Statement) { s.Prepared.Date = "2026-11-30\x1b" }), "barrierefreiheit: Erklärung zur Barrierefreiheit: prepared.date: Zeichen 11 ist das Steuerzeichen U+001B"},
		{"control in a problem", statement(func(s *Statement) { s.Problems[0].Alternative = "x\x08" }), "problems[0].alternative: Zeichen 2 ist das Steuerzeichen U+0008"},
		{"line break in an address line", statement(func(s *Statement) { s.Enforcement.Address = []string{"Straße 1\n99084 Erfurt"} }), "enforcement.address[0]: Zeichen 9 ist ein Zeilenumbruch"},
		{"line break in a problem", statement(func(s *Statement) { s.Problems[0].Content = "Die Quittung\nist kein getaggtes PDF." }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.pages.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want apperr.Invalid saying %q", err, tc.want)
			}
		})
	}
}

// TestStatementDateInFutureRefused: the statement's dates are days of the
// calendar in the exact form YYYY-MM-DD, and ValidateOn refuses one after
// today in Europe/Berlin.
func TestStatementDateInFutureRefused(t *testing.T) {
	// 2026-12-07 00:30 in Berlin is still 2026-12-06 in UTC.
	today := time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		date, reviewed string
		want           string // in the error; "" accepted
	}{
		{"today in Berlin", "2026-12-07", "", ""},
		{"made in the past, reviewed today", "2026-11-30", "2026-12-07", ""},
		{"made in the future", "2099-01-01", "", "Datum (prepared.date) 2099-01-01 liegt in der Zukunft (heute ist der 2026-12-07)"},
		{"made tomorrow", "2026-12-08", "", "prepared.date) 2026-12-08 liegt in der Zukunft"},
		{"reviewed in the future", "2026-11-30", "2027-01-01", "Datum der Überprüfung (prepared.reviewed) 2027-01-01 liegt in der Zukunft"},
		{"no such day", "2026-02-30", "", `(prepared.date) "2026-02-30" ist kein Datum der Form JJJJ-MM-TT`},
		{"month without leading zero", "2026-1-05", "", "ist kein Datum der Form JJJJ-MM-TT"},
		{"reviewed no such day", "2026-11-30", "2026-11-31", `(prepared.reviewed) "2026-11-31" ist kein Datum`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := completeStatement()
			s.Prepared.Date, s.Prepared.Reviewed = tc.date, tc.reviewed
			p := Pages{Barrierefreiheit: &Page{Statement: s}}
			err := p.ValidateOn(today)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidateOn = %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "barrierefreiheit: ") {
				t.Fatalf("ValidateOn = %v, want apperr.Invalid saying %q", err, tc.want)
			}
		})
	}
}
