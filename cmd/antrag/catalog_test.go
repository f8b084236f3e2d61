package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogCommands sets up an installation without the demo, as an
// operator does: a tenant with its authority, a service from a FIM file,
// a second form version, a caseworker; then the service is online.
func TestCatalogCommands(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "daten")
	xdf := filepath.Join("..", "..", "internal", "fim", "samples", "xdf2", "S00000009_GewerbeAnmeldung_xdf2.xml")
	// cmd runs `antrag COMMAND SUBCOMMAND --data DIR ARGS...`.
	cmd := func(args ...string) (string, string, error) {
		full := append([]string{args[0], args[1], "--data", dir}, args[2:]...)
		return runUserOut(t, nil, "", full...)
	}

	// Nothing works before the installation exists, and nothing is created.
	if _, _, err := cmd("tenant", "list"); err == nil || !strings.Contains(err.Error(), "keine Installation") {
		t.Fatalf("tenant list without an installation: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data directory created: %v", err)
	}
	s := startServe(t, nil, "--data", dir)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := cmd("tenant", "add", "--slug", "erfurt", "--name", "Stadt Erfurt", "--ars", "160510000000",
		"--authority", "Bürgeramt Erfurt", "--authority-address", "Fischmarkt 1; 99084 Erfurt", "--authority-email", "buergeramt@erfurt.example")
	if err != nil || !strings.Contains(out, "Mandant erfurt (Stadt Erfurt)") {
		t.Fatalf("tenant add: %v %s %s", err, out, stderr)
	}
	for _, bad := range [][]string{
		{"--slug", "erfurt", "--name", "Doppelt", "--authority", "X"},
		{"--slug", "intern", "--name", "Reserviert", "--authority", "X"},
		{"--slug", "Erfurt!", "--name", "Falsch", "--authority", "X"},
		{"--slug", "gotha", "--name", "Gotha", "--ars", "1605", "--authority", "X"},
		{"--slug", "gotha", "--name", "Gotha", "--kind", "bezirk", "--authority", "X"},
		{"--slug", "gotha", "--name", "Gotha"},
		{"--slug", "gotha", "--name", "Gotha", "--ars", "99", "--authority", "X"},
		{"--slug", "gotha", "--name", "Gotha", "--authority", "X", "--authority-email", "keine-adresse"},
	} {
		if _, _, err := cmd(append([]string{"tenant", "add"}, bad...)...); err == nil {
			t.Errorf("tenant add %q succeeded", bad)
		}
	}
	out, _, err = cmd("tenant", "list")
	if err != nil || !strings.Contains(out, "erfurt") || !strings.Contains(out, "Bürgeramt Erfurt") || strings.Contains(out, "gotha") {
		t.Errorf("tenant list: %v\n%s", err, out)
	}

	// A file that does not import publishes nothing.
	bad := filepath.Join(t.TempDir(), "kaputt.xml")
	if err := os.WriteFile(bad, []byte("<xdatenfelder.stammdatenschema.0102 xmlns=\"urn:xoev-de:fim:standard:xdatenfelder_2\"><kaputt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cmd("service", "publish", "--tenant", "erfurt", "--slug", "kaputt", bad); err == nil || !strings.Contains(err.Error(), "nicht veröffentlicht") {
		t.Errorf("publish of a broken file: %v", err)
	}
	if _, _, err := cmd("service", "publish", "--tenant", "nirgendwo", "--slug", "gewerbe", xdf); err == nil || !strings.Contains(err.Error(), "nirgendwo") {
		t.Errorf("publish for an unknown tenant: %v", err)
	}
	out, _, err = cmd("service", "publish", "--tenant", "erfurt", "--slug", "gewerbe", "--fee", "Die Gebühr beträgt 26,00 Euro.", xdf)
	if err != nil || !strings.Contains(out, "Formularversion 1") || !strings.Contains(out, "S00000009") {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	out, _, err = cmd("service", "publish", "--tenant", "erfurt", "--slug", "gewerbe", xdf)
	if err != nil || !strings.Contains(out, "Formularversion 2") {
		t.Fatalf("second publish: %v\n%s", err, out)
	}
	out, _, err = cmd("service", "list")
	if err != nil || !strings.Contains(out, "gewerbe") || strings.Contains(out, "kaputt") {
		t.Errorf("service list: %v\n%s", err, out)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], " 2 ") {
		t.Errorf("service list: want one service at version 2:\n%s", out)
	}
	if _, stderr, err := runUserOut(t, nil, "ein langes Passwort, 2026\n", "user", "add", "--data", dir, "--tenant", "erfurt", "--username", "m.muster"); err != nil {
		t.Fatalf("user add: %v %s", err, stderr)
	}

	// Online.
	s = startServe(t, nil, "--data", dir)
	c := newClient(t)
	resp, body := get(t, c, s.url+"/erfurt/dienste/gewerbe")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Die Gebühr beträgt 26,00 Euro.") || !strings.Contains(body, "Bürgeramt Erfurt") {
		t.Errorf("service page: %d", resp.StatusCode)
	}
	if resp, body := get(t, c, s.url+"/api/v1/services"); resp.StatusCode != 200 || !strings.Contains(body, `"version":2`) {
		t.Errorf("API services: %d %s", resp.StatusCode, body)
	}
	if resp := login(t, c, s.url, "m.muster", "ein langes Passwort, 2026"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login: %d", resp.StatusCode)
	}
}

// TestUserAdminCommands: list, change the password of and remove a
// caseworker; a removed caseworker's open session ends.
func TestUserAdminCommands(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	user := func(stdin string, args ...string) (string, error) {
		out, _, err := runUserOut(t, nil, stdin, append([]string{"user", args[0], "--data", dir}, args[1:]...)...)
		return out, err
	}
	if _, err := user("            \n", "add", "--tenant", "musterstadt", "--username", "leer"); err == nil {
		t.Errorf("a password of 12 spaces was accepted")
	}
	if _, err := user("erstes Passwort 2026\n", "add", "--tenant", "musterstadt", "--username", "k.kunz", "--name", "Karla Kunz"); err != nil {
		t.Fatal(err)
	}
	if _, err := user("zweites Passwort 2026\n", "add", "--tenant", "beispielkreis", "--username", "k.kunz"); err == nil ||
		!strings.Contains(err.Error(), "vergeben") {
		t.Errorf("duplicate username: %v", err)
	}
	out, err := user("", "list", "--tenant", "musterstadt")
	if err != nil || !strings.Contains(out, "k.kunz") || !strings.Contains(out, "Karla Kunz") || !strings.Contains(out, "sachbearbeitung-musterstadt") {
		t.Errorf("user list: %v\n%s", err, out)
	}
	if out, _ := user("", "list", "--tenant", "beispielkreis"); strings.Contains(out, "k.kunz") {
		t.Errorf("another tenant lists k.kunz:\n%s", out)
	}
	if _, err := user("neues Passwort 2026!\n", "passwd", "--tenant", "beispielkreis", "--username", "k.kunz"); err == nil {
		t.Errorf("passwd through another tenant succeeded")
	}
	if _, err := user("neues Passwort 2026!\n", "passwd", "--tenant", "musterstadt", "--username", "k.kunz"); err != nil {
		t.Fatal(err)
	}

	s := startServe(t, nil, "--data", dir)
	c := newClient(t)
	if resp := login(t, c, s.url, "k.kunz", "erstes Passwort 2026"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after passwd: %d", resp.StatusCode)
	}
	if resp := login(t, c, s.url, "k.kunz", "neues Passwort 2026!"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new password: %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, s.url+"/intern/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("inbox: %d", resp.StatusCode)
	}
	if _, err := user("", "remove", "--tenant", "musterstadt", "--username", "k.kunz"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, c, s.url+"/intern/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("inbox after remove: %d, want a redirect to the login", resp.StatusCode)
	}
	if resp := login(t, c, s.url, "k.kunz", "neues Passwort 2026!"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login after remove: %d", resp.StatusCode)
	}
}
