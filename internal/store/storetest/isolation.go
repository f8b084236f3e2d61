package storetest

import (
	"bytes"
	"context"
	"reflect"
	"sync"
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
	if got, _ := s.User(ctx, f.a.ID, u.ID); got.PasswordHash != "neu" || got.SessionVersion != 1 {
		t.Errorf("after SetPasswordHash: hash %q, session version %d, want \"neu\", 1", got.PasswordHash, got.SessionVersion)
	}
	// Disabling raises the session version (sessions end), enabling
	// does not; neither reaches another tenant's user.
	wantKind(t, "SetDisabled(other tenant)", s.SetDisabled(ctx, f.b.ID, u.ID, true), apperr.NotFound)
	noErr(t, "SetDisabled(true)", s.SetDisabled(ctx, f.a.ID, u.ID, true))
	if got, _ := s.UserByUsername(ctx, "jmueller"); !got.Disabled || got.SessionVersion != 2 {
		t.Errorf("after SetDisabled(true): disabled %v, session version %d, want true, 2", got.Disabled, got.SessionVersion)
	}
	noErr(t, "SetDisabled(false)", s.SetDisabled(ctx, f.a.ID, u.ID, false))
	if got, _ := s.User(ctx, f.a.ID, u.ID); got.Disabled || got.SessionVersion != 2 {
		t.Errorf("after SetDisabled(false): disabled %v, session version %d, want false, 2", got.Disabled, got.SessionVersion)
	}
	if got, _ := s.User(ctx, f.a.ID, a2.ID); got.Disabled || got.SessionVersion != 0 {
		t.Errorf("another user changed: disabled %v, session version %d", got.Disabled, got.SessionVersion)
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

// testThrottle: login throttle buckets take tokens all or none, refill
// with time, give tokens back up to the burst, reset and purge.
func testThrottle(t *testing.T, s Stores) {
	ctx := context.Background()
	b := account.Bucket{Burst: 3, Every: time.Minute}
	big := account.Bucket{Burst: 10, Every: time.Minute}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	opfer := account.ThrottleKey{Key: "opfer", Bucket: b}
	take := func(at time.Time, keys ...account.ThrottleKey) (int, time.Duration) {
		t.Helper()
		blocked, wait, err := s.ThrottleTake(ctx, keys, at)
		noErr(t, "ThrottleTake", err)
		return blocked, wait
	}
	for i := range 3 {
		if blocked, _ := take(now, opfer); blocked != -1 {
			t.Fatalf("take %d of a bucket of 3: blocked %d", i+1, blocked)
		}
	}
	if blocked, wait := take(now, opfer); blocked != 0 || wait != time.Minute {
		t.Errorf("4th take of 3: blocked %d, wait %s, want 0, 1m", blocked, wait)
	}
	if blocked, wait := take(now.Add(30*time.Second), opfer); blocked != 0 || wait != 30*time.Second {
		t.Errorf("30 s later: blocked %d, wait %s, want 0, 30s", blocked, wait)
	}
	// All or none: the second bucket is empty, so the first (fresh) one
	// keeps its tokens.
	other := account.ThrottleKey{Key: "andere", Bucket: big}
	if blocked, _ := take(now, other, opfer); blocked != 1 {
		t.Errorf("take of a fresh and an empty bucket: blocked %d, want 1", blocked)
	}
	for i := range 10 {
		if blocked, _ := take(now, other); blocked != -1 {
			t.Fatalf("take %d of the fresh bucket of 10: blocked %d (tokens taken by a refused take?)", i+1, blocked)
		}
	}
	// Refill: one token a minute.
	if blocked, _ := take(now.Add(90*time.Second), opfer); blocked != -1 {
		t.Errorf("90 s later: blocked %d, want a token", blocked)
	}
	if blocked, _ := take(now.Add(90*time.Second), opfer); blocked != 0 {
		t.Errorf("90 s later, second take: blocked %d, want 0 (half a token left)", blocked)
	}
	// Give back: a token each, up to the burst.
	noErr(t, "ThrottleGive", s.ThrottleGive(ctx, []account.ThrottleKey{opfer}, now.Add(90*time.Second)))
	if blocked, _ := take(now.Add(90*time.Second), opfer); blocked != -1 {
		t.Errorf("after giving back: blocked %d", blocked)
	}
	noErr(t, "ThrottleGive(full)", s.ThrottleGive(ctx, []account.ThrottleKey{{Key: "voll", Bucket: b}, {Key: "voll2", Bucket: b}}, now))
	for i := range 3 {
		if blocked, _ := take(now, account.ThrottleKey{Key: "voll", Bucket: b}); blocked != -1 {
			t.Errorf("take %d after giving to a full bucket: blocked %d", i+1, blocked)
		}
	}
	if blocked, _ := take(now, account.ThrottleKey{Key: "voll", Bucket: b}); blocked != 0 {
		t.Errorf("giving to a full bucket made it hold more than its burst")
	}
	// Reset.
	noErr(t, "ThrottleReset", s.ThrottleReset(ctx, "opfer"))
	for i := range 3 {
		if blocked, _ := take(now.Add(90*time.Second), opfer); blocked != -1 {
			t.Errorf("take %d after reset: blocked %d", i+1, blocked)
		}
	}
	// Purge forgets buckets unused since.
	for range 3 {
		take(now, account.ThrottleKey{Key: "alt", Bucket: b})
	}
	noErr(t, "ThrottlePurge", s.ThrottlePurge(ctx, now.Add(time.Second)))
	if blocked, _ := take(now, account.ThrottleKey{Key: "alt", Bucket: b}); blocked != -1 {
		t.Errorf("after purge: blocked %d, want a fresh bucket", blocked)
	}
}

// testThrottleConcurrent: 40 parallel takes from a bucket of 5 (40
// parallel wrong passwords for one user) take exactly 5 tokens; the
// store reserves atomically, it does not read first and write later.
func testThrottleConcurrent(t *testing.T, s Stores) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	keys := []account.ThrottleKey{
		{Key: "name-client", Bucket: account.Bucket{Burst: 5, Every: time.Hour}},
		{Key: "client", Bucket: account.Bucket{Burst: 30, Every: time.Hour}},
	}
	const n = 40
	var wg sync.WaitGroup
	results := make(chan int, n)
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			blocked, _, err := s.ThrottleTake(ctx, keys, now)
			if err != nil {
				errs <- err
				return
			}
			results <- blocked
		})
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Errorf("ThrottleTake: %v", err)
	}
	took := 0
	for blocked := range results {
		switch blocked {
		case -1:
			took++
		case 0:
		default:
			t.Errorf("blocked by bucket %d, want 0 (the bucket of 5)", blocked)
		}
	}
	if took != 5 {
		t.Errorf("%d parallel takes from a bucket of 5: %d took a token", n, took)
	}
	// The client bucket lost exactly those 5: 25 more takes pass.
	for i := range 25 {
		if blocked, _, err := s.ThrottleTake(ctx, keys[1:], now); err != nil || blocked != -1 {
			t.Fatalf("take %d of the client bucket after 5: blocked %d, %v", i+1, blocked, err)
		}
	}
}
