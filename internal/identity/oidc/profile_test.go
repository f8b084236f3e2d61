package oidc_test

import (
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc"
)

func TestLoadProfilesRefusesMistakes(t *testing.T) {
	base := `"id": "nrw", "issuer": "https://login.example.de/realms/buerger", "client_id": "antrag", "client_secret": "s"`
	for name, doc := range map[string]string{
		"unknown field":       `[{` + base + `, "atributes": {}}]`,
		"http issuer":         `[{"id": "nrw", "issuer": "http://login.example.de", "client_id": "a", "client_secret": "s"}]`,
		"no secret":           `[{"id": "nrw", "issuer": "https://login.example.de", "client_id": "a"}]`,
		"empty secret env":    `[{"id": "nrw", "issuer": "https://login.example.de", "client_id": "a", "client_secret_env": "NOPE"}]`,
		"bad id":              `[{"id": "NRW!", "issuer": "https://login.example.de", "client_id": "a", "client_secret": "s"}]`,
		"unknown attribute":   `[{` + base + `, "attributes": {"shoeSize": "shoe"}}]`,
		"unknown level":       `[{` + base + `, "level": {"claim": "acr", "values": {"x": "mittel"}}}]`,
		"unknown method":      `[{` + base + `, "method": {"claim": "amr", "values": {"x": "Fingerabdruck"}}}]`,
		"level without claim": `[{` + base + `, "level": {"values": {"x": "hoch"}}}]`,
		"duplicate id":        `[{` + base + `}, {` + base + `}]`,
		"not json":            `profiles: []`,
	} {
		if _, err := oidc.LoadProfiles(strings.NewReader(doc), func(string) string { return "" }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ps, err := oidc.LoadProfiles(strings.NewReader(`[{`+base+`}]`), nil)
	if err != nil || len(ps) != 1 || ps[0].Name != "nrw" {
		t.Fatalf("LoadProfiles = %v, %v", ps, err)
	}
}

func mustProfile(t testing.TB) *oidc.Profile {
	t.Helper()
	ps, err := oidc.LoadProfiles(strings.NewReader(`[{"id": "lsk", "issuer": "https://sk.example.de", "client_id": "a",
		"client_secret": "s", "attributes": {"givenName": "given_name", "birthdate": "birthdate", "postalCode": "address.postal_code",
		"phone": "phone_number"},
		"level": {"claim": "acr", "values": {"http://eidas.europa.eu/LoA/low": "niedrig",
			"http://eidas.europa.eu/LoA/substantial": "substantiell", "http://eidas.europa.eu/LoA/high": "hoch"}, "default": "niedrig"},
		"method": {"claim": "amr", "values": {"nPA": "eID"}, "default": "Benutzername"},
		"organisation": {"claim": "is_org"}}]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

func TestMapClaims(t *testing.T) {
	p := mustProfile(t)
	for _, tc := range []struct {
		name, payload string
		check         func(*identity.Identity) bool
	}{
		{"eIDAS vocabulary, highest of several", `{"sub": "s", "acr": ["http://eidas.europa.eu/LoA/low", "http://eidas.europa.eu/LoA/high"], "amr": ["pwd", "nPA"]}`,
			func(id *identity.Identity) bool { return id.Level == identity.Hoch && id.Method == identity.MethodEID }},
		{"unknown level value is keins", `{"sub": "s", "acr": "urn:unknown"}`,
			func(id *identity.Identity) bool {
				return id.Level == identity.LevelNone && id.RawLevel == "urn:unknown"
			}},
		{"missing level is the default", `{"sub": "s"}`,
			func(id *identity.Identity) bool {
				return id.Level == identity.Niedrig && id.Method == identity.MethodUsername
			}},
		{"numbers and nested claims", `{"sub": "s", "address": {"postal_code": 99084}, "phone_number": "+49 361 123"}`,
			func(id *identity.Identity) bool {
				return id.Attr(identity.AttrPostalCode) == "99084" && id.Attr(identity.AttrPhone) == "+49 361 123"
			}},
		{"bad birthdate and control characters dropped", `{"sub": "s", "birthdate": "1964", "given_name": "Eri\u0000ka"}`,
			func(id *identity.Identity) bool { return len(id.Attributes) == 0 }},
		{"objects are not attributes", `{"sub": "s", "given_name": {"x": 1}}`,
			func(id *identity.Identity) bool { return len(id.Attributes) == 0 }},
		{"organisation flag true", `{"sub": "s", "is_org": true}`, func(id *identity.Identity) bool { return id.Organisation }},
		{"organisation flag false", `{"sub": "s", "is_org": false}`, func(id *identity.Identity) bool { return !id.Organisation }},
		{"auth_time wins over iat", `{"sub": "s", "iat": 2000000000, "auth_time": 1900000000}`,
			func(id *identity.Identity) bool { return id.AuthnTime.Unix() == 1900000000 }},
	} {
		id, err := p.MapClaims([]byte(tc.payload))
		if err != nil || !tc.check(id) {
			t.Errorf("%s: %+v, %v", tc.name, id, err)
		}
	}
	for _, bad := range []string{`null`, `[]`, `{"sub": 5}`, `{"sub": ""}`, `{`} {
		if _, err := p.MapClaims([]byte(bad)); err == nil {
			t.Errorf("MapClaims(%s) accepted", bad)
		}
	}
}

// FuzzMapClaims: any payload maps without panic to an identity whose
// attributes are short, printable and known, or to an error.
func FuzzMapClaims(f *testing.F) {
	p := mustProfile(f)
	f.Add([]byte(`{"sub": "s", "acr": ["http://eidas.europa.eu/LoA/high"], "address": {"postal_code": "99 084"}}`))
	f.Add([]byte(`{"sub": "s", "birthdate": "1964-08-12", "is_org": "ja", "auth_time": 1e30}`))
	f.Add([]byte(`{"sub": "\u00e4", "address.postal_code": 1, "amr": [null, 1, "nPA"]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		id, err := p.MapClaims(payload)
		if err != nil {
			return
		}
		if id.Subject == "" || id.Level < identity.LevelNone || id.Level > identity.Hoch {
			t.Fatalf("identity %+v", id)
		}
		for k, v := range id.Attributes {
			if v == "" || len(v) > 512 || strings.ContainsAny(v, "\x00\n\r") {
				t.Fatalf("attribute %s = %q", k, v)
			}
		}
	})
}
