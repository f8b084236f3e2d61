package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

func testServiceIdentity(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	if f.svcA.MinLevel != identity.LevelNone || f.svcA.Schriftformersatz {
		t.Fatalf("new service: level %v, Schriftformersatz %v", f.svcA.MinLevel, f.svcA.Schriftformersatz)
	}
	svc := mustService(t, s, &tenant.Service{TenantID: f.a.ID, Slug: "wohngeld", Name: "Wohngeld",
		MinLevel: identity.Substantiell})
	got, err := s.Service(ctx, f.a.ID, svc.ID)
	noErr(t, "Service", err)
	if got.MinLevel != identity.Substantiell || got.Schriftformersatz {
		t.Errorf("created with substantiell: got %v, %v", got.MinLevel, got.Schriftformersatz)
	}

	noErr(t, "SetServiceIdentity", s.SetServiceIdentity(ctx, f.a.ID, f.svcA.ID, identity.Hoch, true))
	got, err = s.ServiceBySlug(ctx, f.a.ID, f.svcA.Slug)
	noErr(t, "ServiceBySlug", err)
	if got.MinLevel != identity.Hoch || !got.Schriftformersatz || got.RequiredLevel() != identity.Hoch {
		t.Errorf("after SetServiceIdentity: %v, %v", got.MinLevel, got.Schriftformersatz)
	}
	noErr(t, "SetServiceIdentity back", s.SetServiceIdentity(ctx, f.a.ID, f.svcA.ID, identity.Niedrig, false))
	got, err = s.Service(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "Service", err)
	if got.MinLevel != identity.Niedrig || got.Schriftformersatz {
		t.Errorf("after reset: %v, %v", got.MinLevel, got.Schriftformersatz)
	}

	// Another tenant cannot change it, nor can a level out of range.
	wantKind(t, "SetServiceIdentity(other tenant)", s.SetServiceIdentity(ctx, f.b.ID, f.svcA.ID, identity.Hoch, true), apperr.NotFound)
	wantKind(t, "SetServiceIdentity(level 4)", s.SetServiceIdentity(ctx, f.a.ID, f.svcA.ID, identity.Level(4), false), apperr.Invalid)
	wantKind(t, "CreateService(level -1)", s.CreateService(ctx, &tenant.Service{TenantID: f.a.ID, Slug: "x-1", Name: "X",
		MinLevel: identity.Level(-1)}), apperr.Invalid)
}

func testOwner(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	const alice, bob = "owner-alice", "owner-bob"

	// Drafts: owner and proved paths are kept through create and save.
	da, tokenA := f.newDraft(t, f.a, f.svcA, map[string]any{"F1": "x"})
	if da.Token != "" {
		t.Errorf("anonymous draft keeps its token")
	}
	da.Owner, da.Proved, da.Token = alice, []string{"G1.F60000000227", "G1.F60000000228"}, tokenA
	noErr(t, "SaveDraft(owner)", s.SaveDraft(ctx, da))
	got, err := s.DraftByToken(ctx, f.a.ID, tokenHash(tokenA), f.now)
	noErr(t, "DraftByToken", err)
	if got.Owner != alice || !reflect.DeepEqual(got.Proved, da.Proved) || got.Token != tokenA {
		t.Errorf("saved draft: owner %q proved %v", got.Owner, got.Proved)
	}
	db := &submission.Draft{TenantID: f.a.ID, ServiceID: f.svcA.ID, FormVersionID: f.fvA.ID, TokenHash: tokenHash("bob-1"),
		ExpiresAt: f.now.Add(time.Hour), Owner: bob, Proved: []string{"F9"}}
	noErr(t, "CreateDraft(owner)", s.CreateDraft(ctx, db))
	got, err = s.DraftByToken(ctx, f.a.ID, tokenHash("bob-1"), f.now)
	noErr(t, "DraftByToken", err)
	if got.Owner != bob || !slices.Equal(got.Proved, []string{"F9"}) {
		t.Errorf("created draft: owner %q proved %v", got.Owner, got.Proved)
	}
	anon, anonToken := f.newDraft(t, f.a, f.svcA, nil)
	anon.Token = anonToken
	noErr(t, "SaveDraft(anonymous)", s.SaveDraft(ctx, anon))
	got, err = s.DraftByToken(ctx, f.a.ID, tokenHash(anonToken), f.now)
	noErr(t, "DraftByToken(anonymous)", err)
	if got.Token != "" || got.Owner != "" {
		t.Errorf("anonymous draft: token %q kept, owner %q", got.Token, got.Owner)
	}
	// The same owner key in tenant B is someone else's business.
	otherTenant, _ := f.newDraft(t, f.b, f.svcB, nil)
	otherTenant.Owner = alice
	noErr(t, "SaveDraft(B)", s.SaveDraft(ctx, otherTenant))
	expired := &submission.Draft{TenantID: f.a.ID, ServiceID: f.svcA.ID, TokenHash: tokenHash("alice-old"),
		ExpiresAt: f.now.Add(-time.Minute), Owner: alice}
	noErr(t, "CreateDraft(expired)", s.CreateDraft(ctx, expired))

	ids := func(ds []*submission.Draft) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	list, err := s.OwnerDrafts(ctx, f.a.ID, alice, f.now, 10)
	noErr(t, "OwnerDrafts", err)
	if !slices.Equal(ids(list), []string{da.ID}) || list[0].Token != tokenA {
		t.Errorf("alice's drafts = %v, want [%s] (not %s, %s, %s, %s)", ids(list), da.ID, db.ID, anon.ID, otherTenant.ID, expired.ID)
	}
	list, err = s.OwnerDrafts(ctx, f.a.ID, "", f.now, 10)
	noErr(t, "OwnerDrafts(anonymous)", err)
	if len(list) != 0 {
		t.Errorf("anonymous drafts listed: %v", ids(list))
	}

	// Submissions: owner and evidence are kept; a submitted draft leaves
	// the draft list.
	ev := &identity.Evidence{Schriftformersatz: true, Provider: "devidp", Issuer: "https://idp.example/",
		Method: identity.MethodEID, Level: identity.Hoch, RawLevel: "STORK-QAA-Level-4", AssertionID: "_a1",
		AuthnTime: f.now.Add(-time.Minute).Truncate(time.Second), DeclaredAt: f.now.Truncate(time.Second),
		DataSHA256: "ab", Proved: []string{"G1.F60000000227"}, Typed: []string{"F1"}}
	sa := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sa.DraftID, sa.Owner, sa.Evidence = da.ID, alice, ev
	sa = f.mustSubmit(t, sa)
	sb := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sb.Owner = bob
	f.mustSubmit(t, sb)
	f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	sOther := f.newSubmission(f.b, f.svcB, f.authB.ID)
	sOther.Owner = alice
	f.mustSubmit(t, sOther)

	subs, err := s.OwnerSubmissions(ctx, f.a.ID, alice, 10)
	noErr(t, "OwnerSubmissions", err)
	if len(subs) != 1 || subs[0].ID != sa.ID || subs[0].Owner != alice {
		t.Fatalf("alice's submissions = %s, want only %s", plain(subs), sa.Reference)
	}
	if !reflect.DeepEqual(subs[0].Evidence, ev) {
		t.Errorf("evidence = %+v\nwant %+v", subs[0].Evidence, ev)
	}
	full, err := s.Submission(ctx, f.a.ID, sa.ID)
	noErr(t, "Submission", err)
	if full.Owner != alice || !reflect.DeepEqual(full.Evidence, ev) {
		t.Errorf("Submission: owner %q evidence %+v", full.Owner, full.Evidence)
	}
	plainSub, err := s.Submission(ctx, f.a.ID, sb.ID)
	noErr(t, "Submission(bob)", err)
	if plainSub.Evidence != nil {
		t.Errorf("submission without evidence has %+v", plainSub.Evidence)
	}
	list, err = s.OwnerDrafts(ctx, f.a.ID, alice, f.now, 10)
	noErr(t, "OwnerDrafts after submit", err)
	if len(list) != 0 {
		t.Errorf("submitted draft still listed: %v", ids(list))
	}
}
