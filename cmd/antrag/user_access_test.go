package main

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserTOTPAndRole: enrolment prints an otpauth URI whose secret is the
// stored one; roles and limits are set, shown, kept and lifted; removal
// is the recovery.
func TestUserTOTPAndRole(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	base := []string{"--data", dir, "--tenant", "musterstadt", "--username", "sachbearbeitung-musterstadt"}
	out, _, err := runUserOut(t, nil, "", append([]string{"user", "totp"}, base...)...)
	if err != nil {
		t.Fatal(err)
	}
	var uri string
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "otpauth://totp/") {
			uri = strings.TrimSpace(line)
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Query().Get("secret") == "" || !strings.Contains(u.Query().Get("issuer"), "Stadt Musterstadt") {
		t.Fatalf("no otpauth URI in %q", out)
	}
	c := &serveConfig{dataDir: dir, db: "sqlite:" + filepath.Join(dir, "antrag.db")}
	box, err := openBox(c)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openDB(context.Background(), c, box)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := st.UserByUsername(context.Background(), "sachbearbeitung-musterstadt")
	secret, _, err := st.TOTPSecret(context.Background(), x.TenantID, x.ID)
	st.Close()
	if err != nil || secret != u.Query().Get("secret") {
		t.Errorf("stored secret %q, URI's %q (%v)", secret, u.Query().Get("secret"), err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "sachbearbeitung-musterstadt: Sachbearbeitung, alle Anträge des Mandanten"},
		{[]string{"--role", "sachbearbeitung", "--dienst", "bewohnerparkausweis"}, "Sachbearbeitung, nur Dienst „"},
		{[]string{"--role", "sachbearbeitung"}, "Sachbearbeitung, nur Dienst „"}, // kept
		{nil, "Sachbearbeitung, nur Dienst „"},
		{[]string{"--role", "sachbearbeitung", "--alle"}, "Sachbearbeitung, alle Anträge des Mandanten"},
		{[]string{"--role", "admin"}, "sachbearbeitung-musterstadt: Administration"},
	} {
		out, _, err := runUserOut(t, nil, "", append(append([]string{"user", "role"}, base...), tc.args...)...)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("user role %v: %q, %v; want %q", tc.args, out, err, tc.want)
		}
	}
	for _, bad := range [][]string{
		{"--role", "chef"},
		{"--role", "sachbearbeitung", "--dienst", "gibtesnicht"},
		{"--role", "sachbearbeitung", "--behoerde", "Gibt es nicht"},
		{"--role", "admin", "--dienst", "bewohnerparkausweis"},
		{"--dienst", "bewohnerparkausweis"},
	} {
		if _, _, err := runUserOut(t, nil, "", append(append([]string{"user", "role"}, base...), bad...)...); err == nil {
			t.Errorf("user role %v accepted", bad)
		}
	}

	if out, _, err := runUserOut(t, nil, "", append([]string{"user", "totp", "--entfernen"}, base...)...); err != nil || !strings.Contains(out, "entfernt") {
		t.Errorf("totp --entfernen: %q, %v", out, err)
	}
	if _, _, err := runUserOut(t, nil, "", append([]string{"user", "totp", "--entfernen"}, base...)...); err == nil {
		t.Error("second removal accepted")
	}
}
