package storetest

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

func testUsers(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	u := &account.User{TenantID: f.a.ID, Username: "jmueller", Name: "Jürgen Müller 👍", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}
	noErr(t, "CreateUser", s.CreateUser(ctx, u))
	if u.ID == "" {
		t.Fatal("CreateUser did not set ID")
	}
	recent(t, "CreatedAt", u.CreatedAt)

	for _, get := range []struct {
		name string
		fn   func() (*account.User, error)
	}{
		{"UserByUsername", func() (*account.User, error) { return s.UserByUsername(ctx, "jmueller") }},
		{"User", func() (*account.User, error) { return s.User(ctx, f.a.ID, u.ID) }},
	} {
		got, err := get.fn()
		noErr(t, get.name, err)
		want := *u
		want.CreatedAt = got.CreatedAt
		if *got != want {
			t.Errorf("%s = %+v\nwant %+v", get.name, got, &want)
		}
		sameTime(t, get.name+" CreatedAt", got.CreatedAt, u.CreatedAt)
	}

	_, err := s.User(ctx, f.b.ID, u.ID)
	wantKind(t, "User(other tenant)", err, apperr.NotFound)
	_, err = s.User(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000")
	wantKind(t, "User(unknown)", err, apperr.NotFound)
	_, err = s.UserByUsername(ctx, "niemand")
	wantKind(t, "UserByUsername(unknown)", err, apperr.NotFound)

	// Usernames are unique across tenants.
	err = s.CreateUser(ctx, &account.User{TenantID: f.b.ID, Username: "jmueller", Name: "Jana Müller", PasswordHash: "x"})
	wantKind(t, "CreateUser(username taken in another tenant)", err, apperr.Conflict)
	b := &account.User{TenantID: f.b.ID, Username: "jana", Name: "Jana Müller", PasswordHash: "x"}
	noErr(t, "CreateUser(b)", s.CreateUser(ctx, b))
	got, err := s.UserByUsername(ctx, "jana")
	noErr(t, "UserByUsername(b)", err)
	if got.TenantID != f.b.ID {
		t.Errorf("UserByUsername(jana).TenantID = %q", got.TenantID)
	}

	// List, change the password, delete: each only within the tenant.
	a2 := &account.User{TenantID: f.a.ID, Username: "anna", Name: "Anna", PasswordHash: "y"}
	noErr(t, "CreateUser(a2)", s.CreateUser(ctx, a2))
	list, err := s.ListUsers(ctx, f.a.ID)
	noErr(t, "ListUsers", err)
	if len(list) != 2 || list[0].Username != "anna" || list[1].Username != "jmueller" {
		t.Errorf("ListUsers(a) = %s", plain(list))
	}
	wantKind(t, "SetPasswordHash(other tenant)", s.SetPasswordHash(ctx, f.b.ID, u.ID, "z"), apperr.NotFound)
	noErr(t, "SetPasswordHash", s.SetPasswordHash(ctx, f.a.ID, u.ID, "neu"))
	if got, _ := s.User(ctx, f.a.ID, u.ID); got.PasswordHash != "neu" {
		t.Errorf("password hash after SetPasswordHash = %q", got.PasswordHash)
	}
	wantKind(t, "DeleteUser(other tenant)", s.DeleteUser(ctx, f.b.ID, u.ID), apperr.NotFound)
	noErr(t, "DeleteUser", s.DeleteUser(ctx, f.a.ID, u.ID))
	_, err = s.User(ctx, f.a.ID, u.ID)
	wantKind(t, "User(deleted)", err, apperr.NotFound)
	wantKind(t, "DeleteUser(again)", s.DeleteUser(ctx, f.a.ID, u.ID), apperr.NotFound)
}

// testIsolation checks that tenant B can read, change or list nothing of
// tenant A's but A's shared services and their form versions.
func testIsolation(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	a, b := f.a.ID, f.b.ID

	draft, token := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "Geheimnis von A"})
	draftAtt := f.newAttachment(t, draft, "entwurf.pdf")
	done, _ := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "eingereicht"})
	subAtt := f.newAttachment(t, done, "nachweis.pdf")
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.DraftID = done.ID
	sub.IdempotencyKey = "key-of-a"
	f.mustSubmit(t, sub, subAtt.ID)
	user := &account.User{TenantID: a, Username: "sachbearbeiterin", Name: "Sachbearbeiterin A", PasswordHash: "x"}
	noErr(t, "CreateUser", s.CreateUser(ctx, user))

	t.Run("tenant store", func(t *testing.T) {
		_, err := s.Authority(ctx, b, f.authA.ID)
		wantKind(t, "Authority", err, apperr.NotFound)
		list, err := s.ListAuthorities(ctx, b)
		noErr(t, "ListAuthorities", err)
		for _, x := range list {
			if x.TenantID != b {
				t.Errorf("ListAuthorities(b) lists %q of %s", x.Name, x.TenantID)
			}
		}
		_, err = s.Service(ctx, b, f.svcA.ID)
		wantKind(t, "Service(private)", err, apperr.NotFound)
		_, err = s.ServiceBySlug(ctx, b, f.svcA.Slug)
		wantKind(t, "ServiceBySlug(private)", err, apperr.NotFound)
		svcs, err := s.ListServices(ctx, b)
		noErr(t, "ListServices", err)
		for _, x := range svcs {
			if x.TenantID != b && !x.Shared {
				t.Errorf("ListServices(b) lists %q of %s", x.Name, x.TenantID)
			}
		}
		_, err = s.FormVersion(ctx, b, f.fvA.ID)
		wantKind(t, "FormVersion(private)", err, apperr.NotFound)
		wantKind(t, "PublishFormVersion(private)", s.PublishFormVersion(ctx, b, &tenant.FormVersion{ServiceID: f.svcA.ID, XDF: []byte("x")}), apperr.NotFound)
		wantKind(t, "PublishFormVersion(shared)", s.PublishFormVersion(ctx, b, &tenant.FormVersion{ServiceID: f.sharedA.ID, XDF: []byte("x")}), apperr.NotFound)
		// B's own records cannot point at A's authority.
		if err := s.CreateService(ctx, &tenant.Service{TenantID: b, Slug: "fremd", Name: "Fremd", AuthorityID: f.authA.ID}); err == nil {
			t.Error("CreateService(b, authority of a): no error")
		}
	})

	t.Run("drafts", func(t *testing.T) {
		_, err := s.DraftByToken(ctx, b, tokenHash(token), f.now)
		wantKind(t, "DraftByToken", err, apperr.NotFound)
		stolen := *draft
		stolen.TenantID = b
		stolen.Data = map[string]any{"F": "überschrieben"}
		wantKind(t, "SaveDraft", s.SaveDraft(ctx, &stolen), apperr.NotFound)
		got, err := s.DraftByToken(ctx, a, tokenHash(token), f.now)
		noErr(t, "DraftByToken(a)", err)
		if !reflect.DeepEqual(got.Data, map[string]any{"F": "Geheimnis von A"}) {
			t.Errorf("B's SaveDraft changed A's draft: %#v", got.Data)
		}
	})

	t.Run("attachments", func(t *testing.T) {
		_, err := s.Attachment(ctx, b, draftAtt.ID)
		wantKind(t, "Attachment(draft)", err, apperr.NotFound)
		_, err = s.Attachment(ctx, b, subAtt.ID)
		wantKind(t, "Attachment(submission)", err, apperr.NotFound)
		_, err = s.DeleteAttachment(ctx, b, draftAtt.ID)
		wantKind(t, "DeleteAttachment", err, apperr.NotFound)
		_, err = s.Attachment(ctx, a, draftAtt.ID)
		noErr(t, "Attachment(a) after B's delete", err)
		list, err := s.ListAttachments(ctx, b, sub.ID)
		noErr(t, "ListAttachments", err)
		if len(list) != 0 {
			t.Errorf("ListAttachments(b, A's submission) = %s", plain(list))
		}
		// B cannot attach a file to A's draft or submission.
		if err := s.CreateAttachment(ctx, &submission.Attachment{TenantID: b, DraftID: draft.ID, StorageKey: "b-key-into-a-draft"}); err == nil {
			t.Error("CreateAttachment(b, A's draft): no error")
		}
		if err := s.CreateAttachment(ctx, &submission.Attachment{TenantID: b, SubmissionID: sub.ID, StorageKey: "b-key-into-a-submission"}); err == nil {
			t.Error("CreateAttachment(b, A's submission): no error")
		}
	})

	t.Run("submissions", func(t *testing.T) {
		_, err := s.Submission(ctx, b, sub.ID)
		wantKind(t, "Submission", err, apperr.NotFound)
		_, err = s.SubmissionByReference(ctx, b, sub.Reference)
		wantKind(t, "SubmissionByReference", err, apperr.NotFound)
		_, err = s.SubmissionByDraft(ctx, b, done.ID)
		wantKind(t, "SubmissionByDraft", err, apperr.NotFound)
		list, err := s.ListSubmissions(ctx, b, submission.Filter{})
		noErr(t, "ListSubmissions", err)
		if len(list) != 0 {
			t.Errorf("ListSubmissions(b) = %s", plain(list))
		}
		list, err = s.ListSubmissions(ctx, b, submission.Filter{ServiceID: f.svcA.ID})
		noErr(t, "ListSubmissions(A's service)", err)
		if len(list) != 0 {
			t.Errorf("ListSubmissions(b, A's service) = %s", plain(list))
		}
		ev := &submission.Event{Actor: "B", Action: "status"}
		wantKind(t, "SetStatus", s.SetStatus(ctx, b, sub.ID, submission.Abgeschlossen, ev), apperr.NotFound)
		got, err := s.Submission(ctx, a, sub.ID)
		noErr(t, "Submission(a)", err)
		if got.Status != submission.Eingegangen {
			t.Errorf("B's SetStatus changed A's status to %q", got.Status)
		}
		evs, err := s.Events(ctx, b, sub.ID)
		noErr(t, "Events", err)
		if len(evs) != 0 {
			t.Errorf("Events(b, A's submission) = %s", plain(evs))
		}
		evs, err = s.Events(ctx, a, sub.ID)
		noErr(t, "Events(a)", err)
		if len(evs) != 1 {
			t.Errorf("%d events on A's submission, want 1", len(evs))
		}

		// Submitting A's draft as B finds no draft and stores nothing.
		steal := f.newSubmission(f.b, f.svcB, f.authB.ID)
		steal.DraftID = draft.ID
		_, _, _, err = s.Submit(ctx, steal, submitted(), []string{draftAtt.ID})
		wantKind(t, "Submit(A's draft)", err, apperr.NotFound)
		d, err := s.DraftByToken(ctx, a, tokenHash(token), f.now)
		noErr(t, "DraftByToken(a)", err)
		if d.SubmissionID != "" {
			t.Error("B submitted A's draft")
		}
		// B's own draft with A's attachment fails and stores nothing.
		own, ownToken := f.newDraft(t, f.b, f.svcB, map[string]any{"F": "B"})
		steal = f.newSubmission(f.b, f.svcB, f.authB.ID)
		steal.DraftID = own.ID
		_, _, _, err = s.Submit(ctx, steal, submitted(), []string{draftAtt.ID})
		wantKind(t, "Submit(with A's attachment)", err, apperr.NotFound)
		assertUnsubmitted(t, s, f, own, ownToken, steal.Reference)
		att, err := s.Attachment(ctx, a, draftAtt.ID)
		noErr(t, "Attachment(a)", err)
		if att.DraftID != draft.ID {
			t.Errorf("A's attachment moved to %q/%q", att.DraftID, att.SubmissionID)
		}
		// A's idempotency key does not return A's submission to B.
		withKey := f.newSubmission(f.b, f.svcB, f.authB.ID)
		withKey.IdempotencyKey = sub.IdempotencyKey
		got, created, _, err := s.Submit(ctx, withKey, submitted(), nil)
		noErr(t, "Submit(b, A's key)", err)
		if !created || got.TenantID != b || bytes.Equal(got.Data, sub.Data) {
			t.Errorf("Submit(b, A's key) = %+v, created %v", got, created)
		}
	})

	t.Run("users", func(t *testing.T) {
		_, err := s.User(ctx, b, user.ID)
		wantKind(t, "User", err, apperr.NotFound)
	})
}

// testThrottle: login throttle buckets refill with time, spend down to
// zero, reset and purge.
func testThrottle(t *testing.T, s Stores) {
	ctx := context.Background()
	b := account.Bucket{Burst: 3, Every: time.Minute}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	tokens, err := s.ThrottleTokens(ctx, "n|opfer", b, now)
	noErr(t, "ThrottleTokens(unknown)", err)
	if tokens != 3 {
		t.Errorf("unknown bucket has %v tokens, want 3", tokens)
	}
	for range 5 {
		noErr(t, "ThrottleSpend", s.ThrottleSpend(ctx, "n|opfer", b, now))
	}
	if tokens, _ = s.ThrottleTokens(ctx, "n|opfer", b, now); tokens != 0 {
		t.Errorf("after 5 spends of 3: %v tokens, want 0", tokens)
	}
	if tokens, _ = s.ThrottleTokens(ctx, "n|opfer", b, now.Add(90*time.Second)); tokens < 1.49 || tokens > 1.51 {
		t.Errorf("90 s later: %v tokens, want 1.5", tokens)
	}
	if tokens, _ = s.ThrottleTokens(ctx, "n|opfer", b, now.Add(time.Hour)); tokens != 3 {
		t.Errorf("an hour later: %v tokens, want 3 (the burst)", tokens)
	}
	if tokens, _ = s.ThrottleTokens(ctx, "n|andere", b, now); tokens != 3 {
		t.Errorf("another key: %v tokens", tokens)
	}
	noErr(t, "ThrottleReset", s.ThrottleReset(ctx, "n|opfer"))
	if tokens, _ = s.ThrottleTokens(ctx, "n|opfer", b, now); tokens != 3 {
		t.Errorf("after reset: %v tokens", tokens)
	}
	noErr(t, "ThrottleSpend", s.ThrottleSpend(ctx, "n|alt", b, now))
	noErr(t, "ThrottlePurge", s.ThrottlePurge(ctx, now.Add(time.Second)))
	if tokens, _ = s.ThrottleTokens(ctx, "n|alt", b, now); tokens != 3 {
		t.Errorf("after purge: %v tokens, want a fresh bucket", tokens)
	}
}
