package account_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
)

func TestAccessAdmits(t *testing.T) {
	limited := &account.Access{Role: account.RoleCaseworker, Authorities: []string{"amt-1"}, Services: []string{"dienst-1"}}
	for _, tc := range []struct {
		a                  *account.Access
		authority, service string
		want               bool
	}{
		{account.DefaultAccess(), "amt-2", "dienst-2", true},
		{limited, "amt-1", "dienst-2", true},
		{limited, "amt-2", "dienst-1", true},
		{limited, "amt-2", "dienst-2", false},
		{limited, "", "", false},
		{&account.Access{Role: account.RoleAdmin, Services: []string{"dienst-1"}}, "amt-2", "dienst-2", true},
	} {
		if got := tc.a.Admits(tc.authority, tc.service); got != tc.want {
			t.Errorf("%+v.Admits(%q, %q) = %v", tc.a, tc.authority, tc.service, got)
		}
	}
	if _, err := account.ParseRole("Chef"); !errors.Is(err, apperr.Invalid) {
		t.Errorf("ParseRole(Chef) = %v", err)
	}
	if r, err := account.ParseRole(" Admin "); err != nil || r != account.RoleAdmin {
		t.Errorf("ParseRole(Admin) = %q, %v", r, err)
	}
}

func TestMatchTOTP(t *testing.T) {
	key, err := account.NewTOTP("antrag Test", "m.muster")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 15, 0, time.UTC)
	step := now.Unix() / 30
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{{now, step}, {now.Add(-30 * time.Second), step - 1}, {now.Add(30 * time.Second), step + 1}} {
		code, _ := totp.GenerateCode(key.Secret(), tc.at)
		if got, ok := account.MatchTOTP(key.Secret(), code, now); !ok || got != tc.want {
			t.Errorf("code of %v: step %d, %v; want %d", tc.at, got, ok, tc.want)
		}
	}
	old, _ := totp.GenerateCode(key.Secret(), now.Add(-90*time.Second))
	cur, _ := totp.GenerateCode(key.Secret(), now)
	if old != cur {
		if _, ok := account.MatchTOTP(key.Secret(), old, now); ok {
			t.Error("a code 3 steps old accepted")
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := account.MatchTOTP(key.Secret(), bad, now); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
}
