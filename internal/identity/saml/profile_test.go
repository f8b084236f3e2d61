package saml_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/saml"
)

func TestBuiltinProfiles(t *testing.T) {
	ps, err := saml.BuiltinProfiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bundid", "bundid-int", "bayernid", "servicekonto-sh", "muk"} {
		if ps[id] == nil {
			t.Errorf("no profile %s", id)
		}
	}
	b := ps["bundid"]
	if b.EntityID != "https://id.bund.de/idp" || b.SSOURL != "https://id.bund.de/idp/profile/SAML2/POST/SSO" || ps["bundid-int"].EntityID != "https://int.id.bund.de/idp" {
		t.Error("BundID endpoints")
	}
	for raw, want := range map[string]identity.Level{"STORK-QAA-Level-1": identity.Niedrig, "STORK-QAA-Level-2": identity.Niedrig,
		"STORK-QAA-Level-3": identity.Substantiell, "STORK-QAA-Level-4": identity.Hoch, "hoch": identity.LevelNone, "": identity.LevelNone} {
		if got := b.Level(raw); got != want {
			t.Errorf("BundID %q → %s, want %s", raw, got, want)
		}
	}
	sh := ps["servicekonto-sh"]
	if sh.Level("http://eidas.europa.eu/LoA/substantial") != identity.Substantiell || sh.Level("STORK-QAA-Level-3") != identity.LevelNone {
		t.Error("Dataport levels")
	}
	if b.RequestLevel(identity.Substantiell) != "STORK-QAA-Level-3" || b.RequestLevel(identity.LevelNone) != "STORK-QAA-Level-1" ||
		ps["muk"].RequestLevel(identity.Niedrig) != "STORK-QAA-Level-3" {
		t.Error("request levels")
	}
	if !ps["muk"].Organisation || ps["muk"].Method != "ELSTER" || identity.Method(ps["muk"].Method).IsEID() {
		t.Error("MUK is an ELSTER organisation account")
	}
	for _, p := range ps {
		if p.Usable() {
			t.Errorf("%s is usable without IdP metadata", p.ID)
		}
	}
}

func TestParseProfileRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"unknown field":      {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","levels":{"a":"hoch"},"attributes":{"2.5.4.4":"surname"},"foo":1}`, "unknown field"},
		"bad level":          {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","levels":{"a":"mittel"},"attributes":{"2.5.4.4":"surname"}}`, "levels"},
		"sha1":               {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2000/09/xmldsig#rsa-sha1","levels":{"a":"hoch"},"attributes":{"2.5.4.4":"surname"}}`, "signatureMethod"},
		"request too low":    {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","levels":{"a":"niedrig"},"requestLevels":{"hoch":"a"},"attributes":{"2.5.4.4":"surname"}}`, "requestLevels"},
		"bad method":         {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","levels":{"a":"hoch"},"method":"Passwort","attributes":{"2.5.4.4":"surname"}}`, "Methode"},
		"broken extension":   {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","levels":{"a":"hoch"},"attributes":{"2.5.4.4":"surname"},"extension":"<a><b></a>"}`, "extension"},
		"unrequestable attr": {`{"id":"x","name":"X","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","levels":{"a":"hoch"},"attributes":{"2.5.4.4":"surname"},"requestedAttributes":[{"attr":"givenName"}]}`, "requestedAttributes"},
	} {
		if _, err := saml.ParseProfile([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, tc.want)
		}
	}
}

// TestLoadProfiles: an operator's directory replaces a shipped profile,
// adds one, and brings IdP metadata; metadata of another entity is
// refused.
func TestLoadProfiles(t *testing.T) {
	f := newFixture(t)
	md, err := f.idp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	own := `{"id":"landkonto","name":"Landeskonto","entityId":"` + f.idp.EntityID() + `","signatureMethod":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		"levels":{"http://eidas.europa.eu/LoA/high":"hoch"},"attributes":{"2.5.4.4":"surname"},"metadataFile":"land.xml"}`
	os.WriteFile(filepath.Join(dir, "landkonto.json"), []byte(own), 0o644)
	os.WriteFile(filepath.Join(dir, "land.xml"), md, 0o644)
	ps, err := saml.LoadProfiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p := ps["landkonto"]; p == nil || !p.Usable() || ps["bundid"] == nil || ps["bundid"].Usable() {
		t.Fatalf("profiles after loading: %v", ps)
	}
	// BundID's file with another IdP's metadata is refused.
	os.WriteFile(filepath.Join(dir, "bundid.metadata.xml"), md, 0o644)
	if _, err := saml.LoadProfiles(dir); err == nil || !strings.Contains(err.Error(), "gehören zu") {
		t.Errorf("foreign metadata for bundid: %v", err)
	}
}

// FuzzParseProfile: operator files never panic the parser.
func FuzzParseProfile(f *testing.F) {
	for _, name := range []string{"bundid", "muk", "servicekonto-sh"} {
		b, err := os.ReadFile(filepath.Join("profiles", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := saml.ParseProfile(b)
		if err == nil && p.ID == "" {
			t.Fatal("a profile without id")
		}
	})
}
