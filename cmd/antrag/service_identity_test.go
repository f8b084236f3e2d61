package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServiceIdentityCommand sets a service's login level and
// Schriftformersatz through the CLI and checks that the server offers and
// refuses accordingly.
func TestServiceIdentityCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "daten")
	cmd := func(args ...string) (string, error) {
		out, _, err := runUserOut(t, nil, "", append([]string{"service", "identity", "--data", dir}, args...)...)
		return out, err
	}
	s := startServe(t, nil, "--demo", "--data", dir)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd("--tenant", "musterstadt", "--slug", "bewohnerparkausweis")
	if err != nil || out != "Dienst bewohnerparkausweis: Vertrauensniveau keins, Schriftformersatz nein\n" {
		t.Fatalf("show: %v %q", err, out)
	}
	out, err = cmd("--tenant", "musterstadt", "--slug", "bewohnerparkausweis", "--niveau", "substantiell")
	if err != nil || !strings.Contains(out, "Vertrauensniveau substantiell, Schriftformersatz nein") {
		t.Fatalf("set level: %v %q", err, out)
	}
	out, err = cmd("--tenant", "musterstadt", "--slug", "gewerbeanmeldung", "--schriftformersatz")
	if err != nil || !strings.Contains(out, "Vertrauensniveau keins, Schriftformersatz ja") {
		t.Fatalf("set Schriftformersatz: %v %q", err, out)
	}
	// Setting one keeps the other.
	out, err = cmd("--tenant", "musterstadt", "--slug", "gewerbeanmeldung", "--niveau", "niedrig")
	if err != nil || !strings.Contains(out, "Vertrauensniveau niedrig, Schriftformersatz ja") {
		t.Fatalf("set level of a Schriftformersatz service: %v %q", err, out)
	}
	for _, bad := range [][]string{
		{"--tenant", "musterstadt", "--slug", "bewohnerparkausweis", "--niveau", "mittel"},
		{"--tenant", "musterstadt", "--slug", "gibtsnicht", "--niveau", "hoch"},
		{"--tenant", "musterstadt", "--slug", "krankheitserreger", "--niveau", "hoch"}, // beispielkreis's shared service
		{"--slug", "bewohnerparkausweis"},
	} {
		if out, err := cmd(bad...); err == nil {
			t.Errorf("%q succeeded: %s", bad, out)
		}
	}

	s = startServe(t, nil, "--demo", "--data", dir)
	res, err := http.Get(s.url + "/api/v1/services")
	if err != nil {
		t.Fatal(err)
	}
	var svcs []struct {
		ID                string `json:"id"`
		Vertrauensniveau  string `json:"vertrauensniveau"`
		Schriftformersatz bool   `json:"schriftformersatz"`
	}
	err = json.NewDecoder(res.Body).Decode(&svcs)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, sv := range svcs {
		got[sv.ID] = sv.Vertrauensniveau
		if sv.Schriftformersatz != (sv.ID == "musterstadt.gewerbeanmeldung") {
			t.Errorf("%s: schriftformersatz %v", sv.ID, sv.Schriftformersatz)
		}
	}
	if got["musterstadt.bewohnerparkausweis"] != "substantiell" || got["musterstadt.gewerbeanmeldung"] != "hoch" || got["musterstadt.waffenbesitzkarte"] != "keins" {
		t.Errorf("levels in the API: %v", got)
	}
	res, err = http.Post(s.url+"/api/v1/forms/musterstadt.gewerbeanmeldung/submissions", "application/json", strings.NewReader(`{"data":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("API submission to a Schriftformersatz service: %d", res.StatusCode)
	}
	doc, err := http.Get(s.url + "/musterstadt/dienste/bewohnerparkausweis")
	if err != nil {
		t.Fatal(err)
	}
	doc.Body.Close()
	if doc.StatusCode != http.StatusOK {
		t.Errorf("start page: %d", doc.StatusCode)
	}
}
