package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseIdentityConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	staff := filepath.Join(dir, "staff.json")
	citizen := filepath.Join(dir, "citizen.json")
	if err := os.WriteFile(staff, []byte(`[{"tenant": "musterstadt", "profile": {"id": "rathaus", "issuer": "https://login.musterstadt.de/realms/intern",
		"client_id": "antrag", "client_secret_env": "RATHAUS_SECRET"}, "roles_claim": "groups", "roles": {"antrag-admin": "admin"}}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(citizen, []byte(`{"profiles": [{"id": "servicekonto", "issuer": "https://sk.example.de", "client_id": "a",
		"client_secret": "s", "level": {"claim": "acr", "values": {"http://eidas.europa.eu/LoA/high": "hoch"}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ANTRAG_STAFF_OIDC": staff, "ANTRAG_OIDC_PROFILES": citizen, "ANTRAG_STAFF_TOTP": "required",
		"RATHAUS_SECRET": "geheim"}
	c, err := parseIdentityConfig(envMap(env))
	if err != nil || !c.requireTOTP || len(c.staffOIDC) != 1 || len(c.citizenOIDC) != 1 || c.staffOIDC[0].Profile.ClientSecret != "geheim" {
		t.Fatalf("parseIdentityConfig = %+v, %v", c, err)
	}
	for k, v := range map[string]string{"ANTRAG_STAFF_TOTP": "vielleicht", "RATHAUS_SECRET": "", "ANTRAG_OIDC_PROFILES": filepath.Join(dir, "fehlt.json")} {
		bad := map[string]string{}
		for k2, v2 := range env {
			bad[k2] = v2
		}
		bad[k] = v
		if _, err := parseIdentityConfig(envMap(bad)); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
}
