package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

func testSubmit(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, token := f.newDraft(t, f.a, f.svcA, map[string]any{"F1": "Geheim"})
	keep1 := f.newAttachment(t, d, "ausweis.pdf")
	keep2 := f.newAttachment(t, d, "foto.jpg")
	drop := f.newAttachment(t, d, "verworfen.pdf")

	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.Data = []byte(`{"text":"` + Emoji + `"}`)
	sub.DraftID = d.ID
	ev := submitted()
	got, created, orphans, err := s.Submit(ctx, sub, ev, []string{keep1.ID, keep2.ID})
	noErr(t, "Submit", err)
	if !created {
		t.Fatal("Submit: created = false")
	}
	if got == nil || got.ID == "" || got.ID != sub.ID {
		t.Fatalf("Submit returned %+v for %+v", got, sub)
	}
	if sub.Status != submission.Eingegangen {
		t.Errorf("Status = %q, want eingegangen", sub.Status)
	}
	recent(t, "SubmittedAt", sub.SubmittedAt)
	recent(t, "UpdatedAt", sub.UpdatedAt)
	if !slices.Equal(orphans, []string{drop.StorageKey}) {
		t.Errorf("orphan keys = %q, want %q", orphans, drop.StorageKey)
	}
	if ev.SubmissionID != sub.ID || ev.TenantID != f.a.ID || ev.ID == 0 {
		t.Errorf("event after Submit = %+v", ev)
	}

	// The stored submission.
	for _, get := range []struct {
		name string
		fn   func() (*submission.Submission, error)
	}{
		{"Submission", func() (*submission.Submission, error) { return s.Submission(ctx, f.a.ID, sub.ID) }},
		{"SubmissionByReference", func() (*submission.Submission, error) { return s.SubmissionByReference(ctx, f.a.ID, sub.Reference) }},
		{"SubmissionByDraft", func() (*submission.Submission, error) { return s.SubmissionByDraft(ctx, f.a.ID, d.ID) }},
	} {
		got, err := get.fn()
		noErr(t, get.name, err)
		if got.ID != sub.ID || got.TenantID != f.a.ID || got.ServiceID != f.svcA.ID || got.FormVersionID != f.fvA.ID ||
			got.AuthorityID != f.authA.ID || got.Reference != sub.Reference || got.Status != submission.Eingegangen ||
			!bytes.Equal(got.Data, sub.Data) || got.DataSHA256 != sub.DataSHA256 || got.IdempotencyKey != "" || got.DraftID != d.ID {
			t.Errorf("%s = %+v\nwant %+v", get.name, got, sub)
		}
		sameTime(t, get.name+" SubmittedAt", got.SubmittedAt, sub.SubmittedAt)
		sameTime(t, get.name+" UpdatedAt", got.UpdatedAt, sub.UpdatedAt)
	}
	_, err = s.Submission(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000")
	wantKind(t, "Submission(unknown)", err, apperr.NotFound)
	_, err = s.SubmissionByReference(ctx, f.a.ID, "nichts")
	wantKind(t, "SubmissionByReference(unknown)", err, apperr.NotFound)
	other, _ := f.newDraft(t, f.a, f.svcA, nil)
	_, err = s.SubmissionByDraft(ctx, f.a.ID, other.ID)
	wantKind(t, "SubmissionByDraft(not submitted)", err, apperr.NotFound)

	// The draft is marked and emptied.
	dd, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken", err)
	if dd.SubmissionID != sub.ID || len(dd.Data) != 0 {
		t.Errorf("draft after Submit: SubmissionID %q Data %#v", dd.SubmissionID, dd.Data)
	}

	// Attachments moved or deleted.
	atts, err := s.ListAttachments(ctx, f.a.ID, sub.ID)
	noErr(t, "ListAttachments", err)
	var ids []string
	for _, a := range atts {
		ids = append(ids, a.ID)
		if a.DraftID != "" || a.SubmissionID != sub.ID {
			t.Errorf("moved attachment %s: DraftID %q SubmissionID %q", a.Filename, a.DraftID, a.SubmissionID)
		}
	}
	slices.Sort(ids)
	want := []string{keep1.ID, keep2.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("submission attachments = %q, want %q", ids, want)
	}
	_, err = s.Attachment(ctx, f.a.ID, drop.ID)
	wantKind(t, "Attachment(dropped)", err, apperr.NotFound)

	// The event.
	evs, err := s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	if len(evs) != 1 || evs[0].ID != ev.ID || evs[0].Actor != "Antragsteller" || evs[0].Action != "eingereicht" ||
		evs[0].Detail != ev.Detail || evs[0].SubmissionID != sub.ID || evs[0].TenantID != f.a.ID {
		t.Errorf("Events = %s", plain(evs))
	} else {
		sameTime(t, "event At", evs[0].At, ev.At)
	}

	// An attachment that is not the draft's makes Submit fail and store
	// nothing.
	d2, token2 := f.newDraft(t, f.a, f.svcA, map[string]any{"F1": "bleibt"})
	own := f.newAttachment(t, d2, "eigen.pdf")
	foreign := f.newAttachment(t, other, "fremd.pdf")
	s2 := f.newSubmission(f.a, f.svcA, f.authA.ID)
	s2.DraftID = d2.ID
	_, _, _, err = s.Submit(ctx, s2, submitted(), []string{own.ID, foreign.ID})
	wantKind(t, "Submit(attachment of another draft)", err, apperr.NotFound)
	assertUnsubmitted(t, s, f, d2, token2, s2.Reference, own.ID, foreign.ID)

	// A draft that does not exist.
	s3 := f.newSubmission(f.a, f.svcA, f.authA.ID)
	s3.DraftID = "00000000-0000-4000-8000-000000000000"
	_, _, _, err = s.Submit(ctx, s3, submitted(), nil)
	wantKind(t, "Submit(unknown draft)", err, apperr.NotFound)

	// No event.
	_, _, _, err = s.Submit(ctx, f.newSubmission(f.a, f.svcA, ""), nil, nil)
	if err == nil {
		t.Error("Submit without event: no error")
	}
}

// assertUnsubmitted checks that a failed Submit left the draft, its data
// and the attachments as they were and stored no submission.
func assertUnsubmitted(t *testing.T, s Stores, f *fixture, d *submission.Draft, token, reference string, attachmentIDs ...string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.DraftByToken(ctx, d.TenantID, tokenHash(token), f.now)
	noErr(t, "DraftByToken after failed Submit", err)
	if got.SubmissionID != "" || len(got.Data) == 0 {
		t.Errorf("failed Submit changed the draft: SubmissionID %q Data %#v", got.SubmissionID, got.Data)
	}
	for _, id := range attachmentIDs {
		a, err := s.Attachment(ctx, d.TenantID, id)
		noErr(t, "Attachment after failed Submit", err)
		if a.DraftID == "" || a.SubmissionID != "" {
			t.Errorf("failed Submit moved attachment %s", a.Filename)
		}
	}
	_, err = s.SubmissionByReference(ctx, d.TenantID, reference)
	wantKind(t, "SubmissionByReference after failed Submit", err, apperr.NotFound)
	_, err = s.SubmissionByDraft(ctx, d.TenantID, d.ID)
	wantKind(t, "SubmissionByDraft after failed Submit", err, apperr.NotFound)
}

func testSubmitWithoutDraft(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	at := time.Date(2026, 5, 4, 10, 30, 15, 123456000, time.FixedZone("CEST", 2*3600))
	sub := f.newSubmission(f.a, f.sharedA, "")
	sub.Status = submission.InBearbeitung
	sub.SubmittedAt = at
	ev := submitted()
	ev.At = at
	_, created, orphans, err := s.Submit(ctx, sub, ev, nil)
	noErr(t, "Submit", err)
	if !created || len(orphans) != 0 {
		t.Errorf("Submit: created %v, orphans %q", created, orphans)
	}
	evs, err := s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	sameTime(t, "given event At", evs[0].At, at)
	// The same submission (id and reference) again.
	_, _, _, err = s.Submit(ctx, sub, submitted(), nil)
	wantKind(t, "Submit(same submission again)", err, apperr.Conflict)

	got, err := s.Submission(ctx, f.a.ID, sub.ID)
	noErr(t, "Submission", err)
	if got.Status != submission.InBearbeitung || got.DraftID != "" || got.AuthorityID != "" {
		t.Errorf("Submission = %+v", got)
	}
	sameTime(t, "SubmittedAt", got.SubmittedAt, at)
	sameTime(t, "UpdatedAt defaults to SubmittedAt", got.UpdatedAt, at)

	// Attachments need a draft.
	_, _, _, err = s.Submit(ctx, f.newSubmission(f.a, f.svcA, ""), submitted(), []string{"00000000-0000-4000-8000-000000000000"})
	wantKind(t, "Submit(attachments without draft)", err, apperr.Invalid)
	// A status that is not one.
	bad := f.newSubmission(f.a, f.svcA, "")
	bad.Status = "verloren"
	_, _, _, err = s.Submit(ctx, bad, submitted(), nil)
	wantKind(t, "Submit(bad status)", err, apperr.Invalid)

	// Data nil is kept as empty, not as purged.
	empty := f.newSubmission(f.a, f.svcA, "")
	empty.Data, empty.DataSHA256 = nil, ""
	f.mustSubmit(t, empty)
	got, err = s.Submission(ctx, f.a.ID, empty.ID)
	noErr(t, "Submission(empty data)", err)
	if len(got.Data) != 0 {
		t.Errorf("Data = %q", got.Data)
	}
}

func testSubmitResubmitDraft(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, _ := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "x"})
	att := f.newAttachment(t, d, "a.pdf")
	first := f.newSubmission(f.a, f.svcA, f.authA.ID)
	first.DraftID = d.ID
	f.mustSubmit(t, first, att.ID)

	// The citizen presses "Absenden" again (a new reference is drawn).
	second := f.newSubmission(f.a, f.svcA, f.authA.ID)
	second.DraftID = d.ID
	got, created, orphans, err := s.Submit(ctx, second, submitted(), []string{att.ID})
	noErr(t, "Submit again", err)
	if created {
		t.Error("Submit again: created = true")
	}
	if got == nil || got.ID != first.ID || got.Reference != first.Reference || !bytes.Equal(got.Data, first.Data) {
		t.Errorf("Submit again returned %+v, want the first submission", got)
	}
	if len(orphans) != 0 {
		t.Errorf("Submit again: orphans %q", orphans)
	}
	_, err = s.SubmissionByReference(ctx, f.a.ID, second.Reference)
	wantKind(t, "SubmissionByReference(second)", err, apperr.NotFound)
	evs, err := s.Events(ctx, f.a.ID, first.ID)
	noErr(t, "Events", err)
	if len(evs) != 1 {
		t.Errorf("%d events after a resubmission, want 1", len(evs))
	}
	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	if len(list) != 1 {
		t.Errorf("%d submissions, want 1", len(list))
	}
	atts, err := s.ListAttachments(ctx, f.a.ID, first.ID)
	noErr(t, "ListAttachments", err)
	if len(atts) != 1 {
		t.Errorf("%d attachments, want 1", len(atts))
	}
}

func testSubmitIdempotencyKey(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	const key = "3b241101-e2bb-4255-8caf-4136c566a962"
	first := f.newSubmission(f.a, f.svcA, f.authA.ID)
	first.IdempotencyKey = key
	f.mustSubmit(t, first)

	again := f.newSubmission(f.a, f.svcA, f.authA.ID)
	again.IdempotencyKey = key
	got, created, _, err := s.Submit(ctx, again, submitted(), nil)
	noErr(t, "Submit(same key)", err)
	if created || got == nil || got.ID != first.ID || got.IdempotencyKey != key {
		t.Errorf("Submit(same key) = %+v, created %v; want the first", got, created)
	}
	_, err = s.SubmissionByReference(ctx, f.a.ID, again.Reference)
	wantKind(t, "SubmissionByReference(not stored)", err, apperr.NotFound)
	byKey, err := s.SubmissionByIdempotencyKey(ctx, f.a.ID, key)
	noErr(t, "SubmissionByIdempotencyKey", err)
	if byKey.ID != first.ID {
		t.Errorf("SubmissionByIdempotencyKey = %s, want %s", byKey.ID, first.ID)
	}
	_, err = s.SubmissionByIdempotencyKey(ctx, f.b.ID, key)
	wantKind(t, "SubmissionByIdempotencyKey(other tenant)", err, apperr.NotFound)
	_, err = s.SubmissionByIdempotencyKey(ctx, f.a.ID, "")
	wantKind(t, "SubmissionByIdempotencyKey(empty)", err, apperr.NotFound)

	// The key is per tenant.
	otherTenant := f.newSubmission(f.b, f.svcB, f.authB.ID)
	otherTenant.IdempotencyKey = key
	f.mustSubmit(t, otherTenant)

	// Another key, and no key at all (twice), are new submissions.
	other := f.newSubmission(f.a, f.svcA, f.authA.ID)
	other.IdempotencyKey = "another-key"
	f.mustSubmit(t, other)
	f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	if len(list) != 4 {
		t.Errorf("%d submissions of a, want 4", len(list))
	}
}

func testSubmitConflict(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	first := f.newSubmission(f.a, f.svcA, f.authA.ID)
	f.mustSubmit(t, first)

	d, token := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "bleibt"})
	att := f.newAttachment(t, d, "a.pdf")
	drop := f.newAttachment(t, d, "b.pdf")
	dup := f.newSubmission(f.a, f.svcA, f.authA.ID)
	dup.Reference = first.Reference
	dup.DraftID = d.ID
	_, _, orphans, err := s.Submit(ctx, dup, submitted(), []string{att.ID})
	wantKind(t, "Submit(taken reference)", err, apperr.Conflict)
	if !errors.Is(err, submission.ErrReferenceTaken) {
		t.Errorf("Submit(taken reference) = %v, want submission.ErrReferenceTaken", err)
	}
	if len(orphans) != 0 {
		t.Errorf("failed Submit returned orphans %q", orphans)
	}
	_, err = s.SubmissionByDraft(ctx, f.a.ID, d.ID)
	wantKind(t, "SubmissionByDraft after conflict", err, apperr.NotFound)
	got, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken", err)
	if got.SubmissionID != "" || len(got.Data) == 0 {
		t.Errorf("conflict changed the draft: %+v", got)
	}
	for _, id := range []string{att.ID, drop.ID} {
		a, err := s.Attachment(ctx, f.a.ID, id)
		noErr(t, "Attachment after conflict", err)
		if a.DraftID != d.ID {
			t.Errorf("conflict moved attachment %s", a.Filename)
		}
	}

	// References are unique across tenants too.
	inB := f.newSubmission(f.b, f.svcB, f.authB.ID)
	inB.Reference = first.Reference
	_, _, _, err = s.Submit(ctx, inB, submitted(), nil)
	wantKind(t, "Submit(reference of another tenant)", err, apperr.Conflict)
	if !errors.Is(err, submission.ErrReferenceTaken) {
		t.Errorf("Submit(reference of another tenant) = %v, want submission.ErrReferenceTaken", err)
	}

	// The caller retries with a new reference.
	dup.Reference = "musterstadt-2026-retry"
	f.mustSubmit(t, dup, att.ID)
}

func testSubmitConcurrent(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, _ := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "einmal"})
	att := f.newAttachment(t, d, "a.pdf")
	const n = 8
	subs := make([]*submission.Submission, n)
	for i := range subs {
		subs[i] = f.newSubmission(f.a, f.svcA, f.authA.ID)
		subs[i].DraftID = d.ID
	}
	type result struct {
		got     *submission.Submission
		created bool
		err     error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got, created, _, err := s.Submit(ctx, subs[i], submitted(), []string{att.ID})
			results[i] = result{got, created, err}
		})
	}
	close(start)
	wg.Wait()

	var createdID string
	nCreated := 0
	for i, r := range results {
		if r.err != nil {
			t.Errorf("Submit #%d: %v", i, r.err)
			continue
		}
		if r.created {
			nCreated++
			createdID = r.got.ID
		}
	}
	if nCreated != 1 {
		t.Fatalf("%d of %d concurrent Submits created a submission, want 1", nCreated, n)
	}
	for i, r := range results {
		if r.err == nil && (r.got == nil || r.got.ID != createdID) {
			t.Errorf("Submit #%d returned %+v, want submission %s", i, r.got, createdID)
		}
	}
	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	if len(list) != 1 {
		t.Errorf("%d submissions stored, want 1", len(list))
	}
	evs, err := s.Events(ctx, f.a.ID, createdID)
	noErr(t, "Events", err)
	if len(evs) != 1 {
		t.Errorf("%d events, want 1", len(evs))
	}
	atts, err := s.ListAttachments(ctx, f.a.ID, createdID)
	noErr(t, "ListAttachments", err)
	if len(atts) != 1 {
		t.Errorf("%d attachments, want 1", len(atts))
	}

	// Concurrent Submits with one idempotency key and no draft.
	const key = "concurrent-key"
	for i := range subs {
		subs[i] = f.newSubmission(f.b, f.svcB, f.authB.ID)
		subs[i].IdempotencyKey = key
	}
	nCreated = 0
	var mu sync.Mutex
	for i := range n {
		wg.Go(func() {
			_, created, _, err := s.Submit(ctx, subs[i], submitted(), nil)
			if err != nil {
				t.Errorf("Submit(key) #%d: %v", i, err)
			}
			if created {
				mu.Lock()
				nCreated++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if nCreated != 1 {
		t.Errorf("%d of %d concurrent Submits with one key created a submission, want 1", nCreated, n)
	}
}
