package fim_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
)

func TestDefaultCatalog(t *testing.T) {
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if cat.Len() < 20 {
		t.Fatalf("only %d lists embedded", cat.Len())
	}
	tests := []struct {
		uri, code, name string
		n               int
	}{
		// Key with xoev-code annotation on column "key", name in "name".
		{"urn:de:dsmeld:schluesseltabelle:familienstand_2", "LD", "ledig", 10},
		// Key marked empfohleneCodeSpalte (xoev-cl-3).
		{"urn:xoev-de:xinneres:codeliste:geschlecht_1", "m", "", 4},
		// No codename key: the first other column names the code.
		{"urn:xoev-de:fim:codeliste:xzufi.anschrifttyp_2.0", "", "", 6},
		// Key and codename key.
		{"urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:bundesland_2010-04-01", "16", "Thüringen", 16},
		{"urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:kreis_2026-01-31", "16051", "Erfurt, Stadt", 518},
		// Canonical URIs that are not URNs, as real FIM lists have them.
		{"Parkgenehmigung (Dauer)_0.1", "", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			cl, ok := cat.Resolve(form.CodelisteRef{CanonicalVersionURI: "  " + tt.uri + "\n"})
			if !ok {
				t.Fatalf("not resolved")
			}
			if len(cl.Codes) != tt.n {
				t.Errorf("%d codes, want %d", len(cl.Codes), tt.n)
			}
			for _, w := range cl.Codes {
				if w.Code == "" || w.Name == "" {
					t.Errorf("empty code or name: %+v", w)
				}
			}
			if tt.code == "" {
				return
			}
			for _, w := range cl.Codes {
				if w.Code == tt.code {
					if tt.name != "" && w.Name != tt.name {
						t.Errorf("code %s named %q, want %q", tt.code, w.Name, tt.name)
					}
					return
				}
			}
			t.Errorf("code %s missing", tt.code)
		})
	}
}

func TestReadGenericodeErrors(t *testing.T) {
	const head = `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">`
	ident := `<Identification><ShortName>x</ShortName><Version>1</Version><CanonicalUri>urn:x</CanonicalUri><CanonicalVersionUri>urn:x_1</CanonicalVersionUri></Identification>`
	cols := `<ColumnSet><Column Id="code"/><Column Id="name"/><Key Id="codeKey"><ColumnRef Ref="code"/></Key></ColumnSet>`
	row := func(c string) string {
		return `<Row><Value ColumnRef="code"><SimpleValue>` + c + `</SimpleValue></Value><Value ColumnRef="name"><SimpleValue>N</SimpleValue></Value></Row>`
	}
	tests := []struct{ name, doc, want string }{
		{"malformed", head + ident, "XML nicht lesbar"},
		{"wrong namespace", `<CodeList xmlns="urn:other">` + ident + `</CodeList>`, "kein genericode-1.0-Dokument"},
		{"no version uri", head + `<Identification/>` + cols + `<SimpleCodeList>` + row("a") + `</SimpleCodeList></gc:CodeList>`, "CanonicalVersionUri"},
		{"no rows", head + ident + cols + `<SimpleCodeList/></gc:CodeList>`, "ohne Einträge"},
		{"empty code", head + ident + cols + `<SimpleCodeList>` + row("") + `</SimpleCodeList></gc:CodeList>`, "keinen Code"},
		{"duplicate code", head + ident + cols + `<SimpleCodeList>` + row("a") + row("a") + `</SimpleCodeList></gc:CodeList>`, "mehrfach"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fim.ReadGenericode(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestOperatorCodelistDirectory: a list the operator adds resolves a
// reference that the shipped catalogue cannot, and the field then only
// accepts that list's codes.
func TestOperatorCodelistDirectory(t *testing.T) {
	dir := t.TempDir()
	gc := `<?xml version="1.0" encoding="UTF-8"?>
<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
<Identification><ShortName>Geschlecht</ShortName><Version>2</Version>
<CanonicalUri>urn:xpersonenstand:schluesseltabelle:geschlecht</CanonicalUri>
<CanonicalVersionUri>urn:xpersonenstand:schluesseltabelle:geschlecht_2</CanonicalVersionUri></Identification>
<ColumnSet><Column Id="code"/><Column Id="name"/><Key Id="codeKey"><ColumnRef Ref="code"/></Key></ColumnSet>
<SimpleCodeList>
<Row><Value ColumnRef="code"><SimpleValue>m</SimpleValue></Value><Value ColumnRef="name"><SimpleValue>männlich</SimpleValue></Value></Row>
<Row><Value ColumnRef="code"><SimpleValue>w</SimpleValue></Value><Value ColumnRef="name"><SimpleValue>weiblich</SimpleValue></Value></Row>
</SimpleCodeList></gc:CodeList>`
	if err := os.WriteFile(filepath.Join(dir, "geschlecht_2.xml"), []byte(gc), 0o644); err != nil {
		t.Fatal(err)
	}
	def, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	cat := def.Clone()
	if err := cat.AddDir(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := samples.FS.ReadFile("xdf2/S00000121_BlaueKarteEU_xdf2.xml")
	_, before, err := fim.Import(bytes.NewReader(b), "a.xml", fim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, after, err := fim.Import(bytes.NewReader(b), "a.xml", fim.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	const uri = "urn:xpersonenstand:schluesseltabelle:geschlecht_2"
	if !contains(before.CodelistsMissing, uri) || contains(after.CodelistsMissing, uri) || !contains(after.CodelistsResolved, uri) {
		t.Fatalf("before missing %v; after missing %v resolved %v", before.CodelistsMissing, after.CodelistsMissing, after.CodelistsResolved)
	}
	if _, ok := def.Resolve(form.CodelisteRef{CanonicalVersionURI: uri}); ok {
		t.Fatal("Clone shares its lists with the default catalogue")
	}
	ex := s.Example()
	var path form.Path
	s.Walk(func(p form.Path, c *form.Child) bool {
		if c.Element.CodelisteRef != nil && c.Element.CodelisteRef.CanonicalVersionURI == uri {
			path = p
		}
		return path == nil
	})
	if path == nil {
		t.Fatal("no field uses the list")
	}
	// Set the field to a code that is not in the list.
	obj := ex
	for _, st := range path[:len(path)-1] {
		obj = obj[st.Key].(map[string]any)
	}
	obj[path[len(path)-1].Key] = "x"
	ps := s.Validate(ex)
	if len(ps) != 1 || ps[0].Code != form.CodeCode || ps[0].Path != path.String() {
		t.Fatalf("got %v", ps)
	}

	// A broken file in the operator's directory is an error naming it.
	if err := os.WriteFile(filepath.Join(dir, "kaputt.xml"), []byte("<gc:CodeList"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := def.Clone().AddDir(dir); err == nil || !strings.Contains(err.Error(), "kaputt.xml") {
		t.Fatalf("got %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
