package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// AccessStores is what RunStaffAccess needs.
type AccessStores interface {
	Stores
	account.AccessStore
}

// RunStaffAccess checks account.AccessStore and submission.Filter.Within
// on a new, empty store: roles and limits round-trip and replace, a user
// without a role is a caseworker without limits, TOTP steps are used once,
// OIDC links are unique, everything is scoped by tenant, and Within keeps
// exactly the submissions of the listed authorities or services.
func RunStaffAccess(t *testing.T, s AccessStores) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := &account.User{TenantID: f.a.ID, Username: "sb", Name: "Sachbearbeiterin", PasswordHash: "x"}
	noErr(t, "CreateUser", s.CreateUser(ctx, u))
	other := &account.User{TenantID: f.b.ID, Username: "sb-b", PasswordHash: "x"}
	noErr(t, "CreateUser", s.CreateUser(ctx, other))

	a, err := s.Access(ctx, f.a.ID, u.ID)
	noErr(t, "Access", err)
	if a.Role != account.RoleCaseworker || a.Limited() {
		t.Errorf("default access %+v", a)
	}
	_, err = s.Access(ctx, f.b.ID, u.ID)
	wantKind(t, "Access of another tenant", err, apperr.NotFound)

	want := &account.Access{Role: account.RoleCaseworker, Services: []string{f.svcA.ID, f.sharedA.ID}, Authorities: []string{f.authA.ID}}
	noErr(t, "SetAccess", s.SetAccess(ctx, f.a.ID, u.ID, want))
	a, err = s.Access(ctx, f.a.ID, u.ID)
	noErr(t, "Access", err)
	slices.Sort(want.Services)
	if a.Role != want.Role || !slices.Equal(a.Services, want.Services) || !slices.Equal(a.Authorities, want.Authorities) {
		t.Errorf("Access = %+v, want %+v", a, want)
	}
	noErr(t, "SetAccess", s.SetAccess(ctx, f.a.ID, u.ID, &account.Access{Role: account.RoleAdmin}))
	if a, _ = s.Access(ctx, f.a.ID, u.ID); a.Role != account.RoleAdmin || len(a.Services)+len(a.Authorities) != 0 {
		t.Errorf("replaced access %+v", a)
	}
	wantKind(t, "SetAccess with unknown role", s.SetAccess(ctx, f.a.ID, u.ID, &account.Access{Role: "chef"}), apperr.Invalid)
	wantKind(t, "SetAccess of another tenant's user", s.SetAccess(ctx, f.a.ID, other.ID, &account.Access{Role: account.RoleAdmin}), apperr.NotFound)

	// TOTP.
	_, _, err = s.TOTPSecret(ctx, f.a.ID, u.ID)
	wantKind(t, "TOTPSecret before enrolment", err, apperr.NotFound)
	noErr(t, "SetTOTPSecret", s.SetTOTPSecret(ctx, f.a.ID, u.ID, "JBSWY3DPEHPK3PXP"))
	secret, step, err := s.TOTPSecret(ctx, f.a.ID, u.ID)
	if err != nil || secret != "JBSWY3DPEHPK3PXP" || step != 0 {
		t.Errorf("TOTPSecret = %q, %d, %v", secret, step, err)
	}
	_, _, err = s.TOTPSecret(ctx, f.b.ID, u.ID)
	wantKind(t, "TOTPSecret of another tenant", err, apperr.NotFound)
	for _, tc := range []struct {
		step int64
		ok   bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		ok, err := s.UseTOTPStep(ctx, f.a.ID, u.ID, tc.step)
		if err != nil || ok != tc.ok {
			t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.ok)
		}
	}
	noErr(t, "SetTOTPSecret again", s.SetTOTPSecret(ctx, f.a.ID, u.ID, "KRSXG5CTMVRXEZLU"))
	if _, step, _ := s.TOTPSecret(ctx, f.a.ID, u.ID); step != 0 {
		t.Errorf("re-enrolment kept step %d", step)
	}
	noErr(t, "DeleteTOTP", s.DeleteTOTP(ctx, f.a.ID, u.ID))
	wantKind(t, "DeleteTOTP again", s.DeleteTOTP(ctx, f.a.ID, u.ID), apperr.NotFound)

	// OIDC links.
	noErr(t, "LinkOIDC", s.LinkOIDC(ctx, f.a.ID, "https://idp.example", "sub-1", u.ID))
	got, err := s.UserByOIDC(ctx, f.a.ID, "https://idp.example", "sub-1")
	if err != nil || got.ID != u.ID {
		t.Errorf("UserByOIDC = %v, %v", got, err)
	}
	_, err = s.UserByOIDC(ctx, f.b.ID, "https://idp.example", "sub-1")
	wantKind(t, "UserByOIDC of another tenant", err, apperr.NotFound)
	wantKind(t, "LinkOIDC twice", s.LinkOIDC(ctx, f.a.ID, "https://idp.example", "sub-2", u.ID), apperr.Conflict)
	wantKind(t, "LinkOIDC of another tenant's user", s.LinkOIDC(ctx, f.a.ID, "https://idp.example", "sub-3", other.ID), apperr.NotFound)

	// Within.
	subA := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	subShared := f.mustSubmit(t, f.newSubmission(f.a, f.sharedA, ""))
	authX := mustAuthority(t, s, f.a.ID, "Standesamt")
	subX := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, authX.ID))
	for _, tc := range []struct {
		name   string
		within *submission.Within
		want   []string
	}{
		{"all", nil, []string{subA.ID, subShared.ID, subX.ID}},
		{"none", &submission.Within{}, nil},
		{"one service", &submission.Within{ServiceIDs: []string{f.sharedA.ID}}, []string{subShared.ID}},
		{"one authority", &submission.Within{AuthorityIDs: []string{authX.ID}}, []string{subX.ID}},
		{"authority or service", &submission.Within{AuthorityIDs: []string{authX.ID}, ServiceIDs: []string{f.sharedA.ID}}, []string{subShared.ID, subX.ID}},
		{"another tenant's service", &submission.Within{ServiceIDs: []string{f.svcB.ID}}, nil},
	} {
		list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{Within: tc.within})
		noErr(t, "ListSubmissions", err)
		var ids []string
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		slices.Sort(ids)
		slices.Sort(tc.want)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Within %s: %v, want %v", tc.name, ids, tc.want)
		}
	}
	// Deleting the user deletes what belongs to it.
	noErr(t, "DeleteUser", s.DeleteUser(ctx, f.a.ID, u.ID))
	_, err = s.UserByOIDC(ctx, f.a.ID, "https://idp.example", "sub-1")
	wantKind(t, "UserByOIDC after DeleteUser", err, apperr.NotFound)
}
