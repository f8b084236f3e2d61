package main

import "testing"

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
