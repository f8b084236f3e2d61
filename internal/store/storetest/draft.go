package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// Emoji is text outside the Basic Multilingual Plane with umlauts and a
// dash, which every text column must keep.
const Emoji = "Danke 👍 für die schnelle Bearbeitung — Grüße"

func testDrafts(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, token := f.newDraft(t, f.a, f.svcA, map[string]any{"F1": "Hauptstraße 1"})
	if d.ID == "" {
		t.Fatal("CreateDraft did not set ID")
	}
	recent(t, "CreatedAt", d.CreatedAt)
	recent(t, "UpdatedAt", d.UpdatedAt)

	got, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken", err)
	if got.ID != d.ID || got.TenantID != f.a.ID || got.ServiceID != f.svcA.ID || got.FormVersionID != f.fvA.ID ||
		!bytes.Equal(got.TokenHash, tokenHash(token)) || got.Step != 1 || got.SubmissionID != "" {
		t.Errorf("DraftByToken = %+v\nwant %+v", got, d)
	}
	if !reflect.DeepEqual(got.Data, map[string]any{"F1": "Hauptstraße 1"}) {
		t.Errorf("Data = %#v", got.Data)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, d.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, d.UpdatedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, d.ExpiresAt)

	_, err = s.DraftByToken(ctx, f.a.ID, tokenHash("no such token"), f.now)
	wantKind(t, "DraftByToken(unknown)", err, apperr.NotFound)

	// Save.
	got.Data = map[string]any{"F1": "Marktplatz 2", "F2": json.Number("3")}
	got.Step = 3
	got.UpdatedAt = f.now.Add(time.Minute)
	got.ExpiresAt = f.now.Add(48 * time.Hour)
	noErr(t, "SaveDraft", s.SaveDraft(ctx, got))
	again, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken after save", err)
	if again.Step != 3 || !reflect.DeepEqual(again.Data, got.Data) {
		t.Errorf("after SaveDraft: step %d data %#v", again.Step, again.Data)
	}
	sameTime(t, "saved UpdatedAt", again.UpdatedAt, f.now.Add(time.Minute))
	sameTime(t, "saved ExpiresAt", again.ExpiresAt, f.now.Add(48*time.Hour))
	sameTime(t, "CreatedAt after save", again.CreatedAt, d.CreatedAt)

	// Saving without UpdatedAt sets it.
	again.UpdatedAt = time.Time{}
	noErr(t, "SaveDraft(zero UpdatedAt)", s.SaveDraft(ctx, again))
	recent(t, "UpdatedAt set by SaveDraft", again.UpdatedAt)

	// Two requests read the same revision; the second save is refused
	// and stores nothing, and succeeds once it has read the first's.
	tab1, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken(tab 1)", err)
	tab2, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken(tab 2)", err)
	if tab1.Revision != again.Revision {
		t.Errorf("Revision read %d, saved %d", tab1.Revision, again.Revision)
	}
	tab1.Data = map[string]any{"F1": "aus Tab 1"}
	noErr(t, "SaveDraft(tab 1)", s.SaveDraft(ctx, tab1))
	if tab1.Revision != tab2.Revision+1 {
		t.Errorf("Revision after save %d, want %d", tab1.Revision, tab2.Revision+1)
	}
	tab2.Data = map[string]any{"F2": "aus Tab 2"}
	err = s.SaveDraft(ctx, tab2)
	wantKind(t, "SaveDraft(stale)", err, apperr.Conflict)
	if !errors.Is(err, submission.ErrDraftChanged) {
		t.Errorf("SaveDraft(stale) = %v, want ErrDraftChanged", err)
	}
	fresh, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken(after stale save)", err)
	if fresh.Data["F1"] != "aus Tab 1" || fresh.Data["F2"] != nil {
		t.Errorf("after a refused stale save: %#v", fresh.Data)
	}
	fresh.Data["F2"] = "aus Tab 2"
	noErr(t, "SaveDraft(re-read)", s.SaveDraft(ctx, fresh))
	again = fresh

	unknown := *again
	unknown.ID = "00000000-0000-4000-8000-000000000000"
	wantKind(t, "SaveDraft(unknown)", s.SaveDraft(ctx, &unknown), apperr.NotFound)

	// The token hash is unique.
	dup := &submission.Draft{TenantID: f.a.ID, ServiceID: f.svcA.ID, TokenHash: tokenHash(token), ExpiresAt: f.now.Add(time.Hour)}
	wantKind(t, "CreateDraft(taken token)", s.CreateDraft(ctx, dup), apperr.Conflict)

	// A draft of another tenant's shared service.
	shared, sharedToken := f.newDraft(t, f.b, f.sharedA, nil)
	got, err = s.DraftByToken(ctx, f.b.ID, tokenHash(sharedToken), f.now)
	noErr(t, "DraftByToken(shared service)", err)
	if got.ID != shared.ID || got.ServiceID != f.sharedA.ID {
		t.Errorf("draft of shared service = %+v", got)
	}

	// A submitted draft cannot be saved, and keeps no data.
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.DraftID = d.ID
	f.mustSubmit(t, sub)
	got, err = s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken(submitted)", err)
	if got.SubmissionID != sub.ID {
		t.Errorf("SubmissionID = %q, want %q", got.SubmissionID, sub.ID)
	}
	if len(got.Data) != 0 || got.Data == nil {
		t.Errorf("submitted draft Data = %#v, want an empty map", got.Data)
	}
	got.Data = map[string]any{"F1": "zu spät"}
	wantKind(t, "SaveDraft(submitted)", s.SaveDraft(ctx, got), apperr.Conflict)
	got, err = s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
	noErr(t, "DraftByToken(submitted, after refused save)", err)
	if len(got.Data) != 0 {
		t.Errorf("a refused save stored data %#v", got.Data)
	}
}

func testDraftData(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	// roundTrip stores in through CreateDraft and through SaveDraft and
	// returns what DraftByToken reads back (the same both times).
	roundTrip := func(t *testing.T, in map[string]any) map[string]any {
		t.Helper()
		_, token := f.newDraft(t, f.a, f.svcA, in)
		d, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
		noErr(t, "DraftByToken", err)
		afterCreate := d.Data
		d.Data = in
		noErr(t, "SaveDraft", s.SaveDraft(ctx, d))
		saved, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), f.now)
		noErr(t, "DraftByToken after save", err)
		if !reflect.DeepEqual(saved.Data, afterCreate) {
			t.Errorf("CreateDraft and SaveDraft keep the data differently:\n%#v\n%#v", afterCreate, saved.Data)
		}
		return saved.Data
	}

	t.Run("canonical", func(t *testing.T) {
		in := map[string]any{
			"G60000000086": map[string]any{
				"F60000000243": "Hauptstraße",
				"F60000000244": json.Number("12"),
			},
			"betrag":  json.Number("1234.56"),
			"genau":   json.Number("12345678901234567890.123456789"),
			"negativ": json.Number("-0.5e-3"),
			"ja":      true,
			"nein":    false,
			"liste":   []any{"a", json.Number("2"), map[string]any{"x": "y"}},
			"text":    Emoji,
			"html":    `<script>alert("&")</script>`,
			"leer":    map[string]any{},
		}
		got := roundTrip(t, in)
		if !reflect.DeepEqual(got, in) {
			t.Errorf("Data = %#v\nwant %#v", got, in)
		}
		if _, ok := got["betrag"].(json.Number); !ok {
			t.Errorf("a number came back as %T, want json.Number", got["betrag"])
		}
	})
	t.Run("go numbers become json.Number", func(t *testing.T) {
		got := roundTrip(t, map[string]any{"n": 7, "x": 2.5})
		if got["n"] != json.Number("7") || got["x"] != json.Number("2.5") {
			t.Errorf("Data = %#v", got)
		}
	})
	t.Run("nil and empty", func(t *testing.T) {
		for _, in := range []map[string]any{nil, {}} {
			got := roundTrip(t, in)
			if got == nil || len(got) != 0 {
				t.Errorf("Data(%#v) = %#v, want an empty map", in, got)
			}
		}
	})
	t.Run("large", func(t *testing.T) {
		in := map[string]any{}
		for i := range 3000 {
			in[fmt.Sprintf("F%011d", i)] = strings.Repeat("ä", 200) + fmt.Sprint(i)
		}
		in["n"] = json.Number("1.000000000000000000001")
		got := roundTrip(t, in)
		if !reflect.DeepEqual(got, in) {
			t.Errorf("large data differs (%d keys back)", len(got))
		}
	})
}

func testDraftExpiry(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, token := f.newDraft(t, f.a, f.svcA, nil)
	for _, tc := range []struct {
		now   time.Time
		found bool
	}{
		{d.ExpiresAt.Add(-time.Second), true},
		{d.ExpiresAt.Add(-2 * time.Millisecond), true},
		{d.ExpiresAt, false},
		{d.ExpiresAt.Add(time.Second), false},
	} {
		_, err := s.DraftByToken(ctx, f.a.ID, tokenHash(token), tc.now)
		what := fmt.Sprintf("DraftByToken(now = expiry %+v)", tc.now.Sub(d.ExpiresAt))
		if tc.found {
			noErr(t, what, err)
		} else {
			wantKind(t, what, err, apperr.NotFound)
		}
	}
	wantKind(t, "CreateDraft(no expiry)", s.CreateDraft(ctx, &submission.Draft{TenantID: f.a.ID, ServiceID: f.svcA.ID, TokenHash: tokenHash("x")}), apperr.Invalid)
}

func testDeleteExpiredDrafts(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	// Drafts expire in a day (newDraft); these three are saved to expire
	// in an hour, and the cut-off is in two hours.
	cut := f.now.Add(2 * time.Hour)
	expireSoon := func(d *submission.Draft) {
		t.Helper()
		d.ExpiresAt = f.now.Add(time.Hour)
		noErr(t, "SaveDraft", s.SaveDraft(ctx, d))
	}
	// expired, with two attachments
	old, oldToken := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "alt"})
	expireSoon(old)
	old1 := f.newAttachment(t, old, "a.pdf")
	old2 := f.newAttachment(t, old, "b.pdf")
	// of another tenant, expired, with one
	oldB, _ := f.newDraft(t, f.b, f.svcB, nil)
	expireSoon(oldB)
	oldB1 := f.newAttachment(t, oldB, "c.pdf")
	// not expired
	fresh, freshToken := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "neu"})
	fresh1 := f.newAttachment(t, fresh, "d.pdf")
	// submitted and expired: the draft row goes, the submission and its
	// attachments stay
	done, _ := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "eingereicht"})
	expireSoon(done)
	kept := f.newAttachment(t, done, "e.pdf")
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.DraftID = done.ID
	f.mustSubmit(t, sub, kept.ID)

	keys, err := s.DeleteExpiredDrafts(ctx, cut)
	noErr(t, "DeleteExpiredDrafts", err)
	slices.Sort(keys)
	want := []string{old1.StorageKey, old2.StorageKey, oldB1.StorageKey}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("DeleteExpiredDrafts = %q, want %q", keys, want)
	}

	_, err = s.DraftByToken(ctx, f.a.ID, tokenHash(oldToken), f.now)
	wantKind(t, "DraftByToken(deleted)", err, apperr.NotFound)
	for _, a := range []string{old1.ID, old2.ID} {
		_, err = s.Attachment(ctx, f.a.ID, a)
		wantKind(t, "Attachment(of deleted draft)", err, apperr.NotFound)
	}
	_, err = s.Attachment(ctx, f.b.ID, oldB1.ID)
	wantKind(t, "Attachment(of deleted draft of b)", err, apperr.NotFound)

	_, err = s.DraftByToken(ctx, f.a.ID, tokenHash(freshToken), f.now)
	noErr(t, "DraftByToken(fresh)", err)
	_, err = s.Attachment(ctx, f.a.ID, fresh1.ID)
	noErr(t, "Attachment(fresh)", err)

	_, err = s.DraftByToken(ctx, f.a.ID, done.TokenHash, f.now)
	wantKind(t, "DraftByToken(submitted, expired)", err, apperr.NotFound)
	got, err := s.SubmissionByDraft(ctx, f.a.ID, done.ID)
	noErr(t, "SubmissionByDraft after the draft was deleted", err)
	if got.ID != sub.ID || len(got.Data) == 0 {
		t.Errorf("submission after draft deletion: %+v", got)
	}
	atts, err := s.ListAttachments(ctx, f.a.ID, sub.ID)
	noErr(t, "ListAttachments", err)
	if len(atts) != 1 || atts[0].ID != kept.ID {
		t.Errorf("submission's attachments after draft deletion = %s", plain(atts))
	}

	keys, err = s.DeleteExpiredDrafts(ctx, cut)
	noErr(t, "DeleteExpiredDrafts again", err)
	if len(keys) != 0 {
		t.Errorf("second DeleteExpiredDrafts = %q", keys)
	}
}

func testAttachments(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, _ := f.newDraft(t, f.a, f.svcA, nil)
	a := &submission.Attachment{
		TenantID: f.a.ID, DraftID: d.ID, Filename: "Bescheid – Müller 👍.pdf", MediaType: "application/pdf",
		Size: 1 << 20, SHA512: strings.Repeat("ab", 64), StorageKey: "0f0e4b1c-8f3a-4d5e-9a7b-1c2d3e4f5a6b",
	}
	noErr(t, "CreateAttachment", s.CreateAttachment(ctx, a))
	if a.ID == "" {
		t.Fatal("CreateAttachment did not set ID")
	}
	recent(t, "CreatedAt", a.CreatedAt)
	got, err := s.Attachment(ctx, f.a.ID, a.ID)
	noErr(t, "Attachment", err)
	want := *a
	want.CreatedAt = got.CreatedAt
	if *got != want {
		t.Errorf("Attachment = %+v\nwant %+v", got, &want)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)

	_, err = s.Attachment(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000")
	wantKind(t, "Attachment(unknown)", err, apperr.NotFound)

	dup := *a
	dup.ID = ""
	wantKind(t, "CreateAttachment(taken storage key)", s.CreateAttachment(ctx, &dup), apperr.Conflict)
	dup = *a
	dup.StorageKey = "another-key-0001"
	wantKind(t, "CreateAttachment(taken id)", s.CreateAttachment(ctx, &dup), apperr.Conflict)
	if err := s.CreateAttachment(ctx, &submission.Attachment{TenantID: f.a.ID, StorageKey: "orphan-key-0001"}); err == nil {
		t.Error("CreateAttachment without draft or submission: no error")
	}

	second := &submission.Attachment{TenantID: f.a.ID, DraftID: d.ID, Filename: "b.png", MediaType: "image/png",
		Size: 300, SHA512: strings.Repeat("cd", 64), StorageKey: "1f0e4b1c-8f3a-4d5e-9a7b-1c2d3e4f5a6b"}
	noErr(t, "CreateAttachment(second)", s.CreateAttachment(ctx, second))
	if n, size, err := s.DraftAttachmentUsage(ctx, f.a.ID, d.ID); err != nil || n != 2 || size != 1<<20+300 {
		t.Errorf("DraftAttachmentUsage = %d, %d, %v; want 2, %d", n, size, err, 1<<20+300)
	}
	if n, size, err := s.DraftAttachmentUsage(ctx, f.b.ID, d.ID); err != nil || n != 0 || size != 0 {
		t.Errorf("DraftAttachmentUsage(other tenant) = %d, %d, %v", n, size, err)
	}
	if _, err := s.DeleteAttachment(ctx, f.a.ID, second.ID); err != nil {
		t.Fatal(err)
	}

	key, err := s.DeleteAttachment(ctx, f.a.ID, a.ID)
	noErr(t, "DeleteAttachment", err)
	if key != a.StorageKey {
		t.Errorf("DeleteAttachment = %q, want %q", key, a.StorageKey)
	}
	_, err = s.Attachment(ctx, f.a.ID, a.ID)
	wantKind(t, "Attachment(deleted)", err, apperr.NotFound)
	_, err = s.DeleteAttachment(ctx, f.a.ID, a.ID)
	wantKind(t, "DeleteAttachment(deleted)", err, apperr.NotFound)

	// An attachment of a submission is not deleted.
	b := f.newAttachment(t, d, "b.pdf")
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.DraftID = d.ID
	f.mustSubmit(t, sub, b.ID)
	_, err = s.DeleteAttachment(ctx, f.a.ID, b.ID)
	wantKind(t, "DeleteAttachment(of a submission)", err, apperr.Conflict)
	got, err = s.Attachment(ctx, f.a.ID, b.ID)
	noErr(t, "Attachment(of a submission)", err)
	if got.SubmissionID != sub.ID || got.DraftID != "" {
		t.Errorf("moved attachment: DraftID %q SubmissionID %q", got.DraftID, got.SubmissionID)
	}

	// An attachment created directly for a submission is listed with it,
	// oldest first.
	c := &submission.Attachment{TenantID: f.a.ID, SubmissionID: sub.ID, Filename: "c.pdf", StorageKey: "key-c-00000001", CreatedAt: b.CreatedAt.Add(time.Second)}
	noErr(t, "CreateAttachment(submission)", s.CreateAttachment(ctx, c))
	list, err := s.ListAttachments(ctx, f.a.ID, sub.ID)
	noErr(t, "ListAttachments", err)
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != c.ID {
		t.Errorf("ListAttachments = %s", plain(list))
	}
	list, err = s.ListAttachments(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000")
	noErr(t, "ListAttachments(unknown)", err)
	if len(list) != 0 {
		t.Errorf("ListAttachments(unknown) = %s", plain(list))
	}
}
