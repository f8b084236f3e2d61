package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
)

// TestUserMessagesNameTenantForAnyName: the messages that name a tenant
// read right for any name ("gibt es bei Landkreis Beispielkreis nicht"
// lacked the article): the name stands quoted after "im Mandanten".
func TestUserMessagesNameTenantForAnyName(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	err := runUserCmd(t, nil, "ein langes Passwort, 2026\n", "user", "passwd", "--data", dir, "--tenant", "beispielkreis", "--username", "niemand")
	if want := `Benutzer "niemand" gibt es im Mandanten „Landkreis Beispielkreis“ nicht`; err == nil || err.Error() != want {
		t.Errorf("user passwd of an unknown user: %v, want %q", err, want)
	}
	err = runUserCmd(t, nil, "", "user", "remove", "--data", dir, "--tenant", "musterstadt", "--username", "sachbearbeitung-beispielkreis")
	if want := `Benutzer "sachbearbeitung-beispielkreis" gibt es im Mandanten „Stadt Musterstadt“ nicht`; err == nil || err.Error() != want {
		t.Errorf("user remove of another tenant's user: %v, want %q", err, want)
	}
}

// TestUserPasswdAndDisableEndSessions: `antrag user passwd` refuses a
// common password and one containing the user name; a new password and
// `antrag user disable` end the caseworker's open session at its next
// request; a disabled account cannot log in until `antrag user enable`.
func TestUserPasswdAndDisableEndSessions(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	s := startServe(t, nil, "--data", dir)
	user := demo.Users["musterstadt"]
	c := newClient(t)
	if resp := login(t, c, s.url, user, demo.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, s.url+"/intern/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("inbox: %d", resp.StatusCode)
	}
	passwd := func(pw string) error {
		return runUserCmd(t, nil, pw+"\n", "user", "passwd", "--data", dir, "--tenant", "musterstadt", "--username", user)
	}
	for _, pw := range []string{"password1234", "Sommer2026!!", "aaaaaaaaaaaaaaaa", "mein-" + user + "-2026"} {
		if err := passwd(pw); !errors.Is(err, account.ErrWeakPassword) {
			t.Errorf("user passwd %q: %v, want refused", pw, err)
		}
	}
	if resp, _ := get(t, c, s.url+"/intern/"); resp.StatusCode != http.StatusOK {
		t.Errorf("a refused password ended the session: %d", resp.StatusCode)
	}
	const newPW = "Neues Passwort im Dezember"
	if err := passwd(newPW); err != nil {
		t.Fatalf("user passwd: %v", err)
	}
	if resp, _ := get(t, c, s.url+"/intern/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/intern/anmelden" {
		t.Errorf("session after user passwd: %d %q, want the login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := login(t, c, s.url, user, newPW); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", resp.StatusCode)
	}
	userCmd := func(sub string) string {
		out, _, err := runUserOut(t, nil, "", "user", sub, "--data", dir, "--tenant", "musterstadt", "--username", user)
		if err != nil {
			t.Fatalf("user %s: %v", sub, err)
		}
		return out
	}
	userCmd("disable")
	if resp, _ := get(t, c, s.url+"/intern/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("session after user disable: %d, want the login", resp.StatusCode)
	}
	if resp := login(t, newClient(t), s.url, user, newPW); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login of a disabled account: %d, want 401", resp.StatusCode)
	}
	out, _, err := runUserOut(t, nil, "", "user", "list", "--data", dir, "--tenant", "musterstadt")
	if err != nil || !strings.Contains(out, "gesperrt") {
		t.Errorf("user list: %v %q, want the account shown as gesperrt", err, out)
	}
	userCmd("enable")
	if resp := login(t, newClient(t), s.url, user, newPW); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login after user enable: %d", resp.StatusCode)
	}
	if err := s.stop(); err != nil {
		t.Error(err)
	}
}
