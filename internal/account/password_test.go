package account_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/account"
)

// TestPasswordPolicy: passwords too short, common (also with digits or
// signs around them), made of repeats, sequences or keyboard rows, or
// containing the user name are refused with a reason; passphrases pass.
func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want string // "" for accepted
	}{
		{"elf-Zeichen", "Das Passwort muss mindestens 12 Zeichen haben"},
		{"   kurz  kurz   ", "Das Passwort muss mindestens 12 Zeichen haben"},
		{"baseball1234", "häufigsten"},
		{"Password1234", "häufigsten"},
		{"Sommer2026!!", "häufigsten"},
		{"!!Passwort!!2026", "häufigsten"},
		{"masturbation", "häufigsten"}, // a 12-letter entry of the list itself
		{"ichliebedich", "häufigsten"},
		{"aaaaaaaaaaaa", "Wiederholungen"},
		{"abcdefghijkl", "Wiederholungen"},
		{"123456789012", "Wiederholungen"},
		{"987654321098", "Wiederholungen"},
		{"qwertzuiopü+", "Wiederholungen"},
		{"asdfghjkl;'#", "häufigsten"},
		{"ölkjhgfdsa12", "Wiederholungen"},
		{"abcabcabcabc", "Wiederholungen"},
		{"xK9xK9xK9xK9", "Wiederholungen"},
		{"Zb1Zb1Zb1Zb1Zb", "Wiederholungen"},
		{"aabbaabbccdd", "Wiederholungen"},
		{"1111aaaa2222x", "Wiederholungen"},
		{"m.muster-geheim-7", "Benutzernamen"},
		{"M.MUSTER-geheim-7", "Benutzernamen"},
		{"Demo-Passwort-2026", ""},
		{"zwölf-Zeiche", ""},
		{"Gartenzaun-Blau-7", ""},
		{"correct horse battery staple", ""},
		{"Passwort1234-für-Frau-Muster", ""}, // a common word inside a longer phrase is fine
		{"xK9#mQ2$pL7!", ""},
		{"Kaffee um 1234 im Rathaus", ""}, // a short sequence inside is fine
		{"ein langes Passwort, 2026", ""},
	} {
		err := account.CheckPasswordPolicy(tc.pw, "m.muster")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q refused: %v", tc.pw, err)
		case tc.want != "" && (err == nil || !errors.Is(err, account.ErrWeakPassword) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want a refusal that says %q", tc.pw, err, tc.want)
		}
	}
	if _, err := account.HashPassword("baseball1234"); !errors.Is(err, account.ErrWeakPassword) {
		t.Errorf("HashPassword(common): %v", err)
	}
	if _, err := account.HashPassword("Gartenzaun-m.muster", "m.muster"); !errors.Is(err, account.ErrWeakPassword) {
		t.Errorf("HashPassword(with the user name): %v", err)
	}
	// Two-letter names are ignored (they are in many good passwords).
	if err := account.CheckPasswordPolicy("Gartenzaun-Blau-7", "au"); err != nil {
		t.Errorf("a two-letter name refuses a password: %v", err)
	}
}
