package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

func testListSubmissions(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	base := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	var all []*submission.Submission // oldest first
	for i := range 6 {
		svc := f.svcA
		if i%2 == 1 {
			svc = f.sharedA
		}
		sub := f.newSubmission(f.a, svc, f.authA.ID)
		sub.SubmittedAt = base.Add(time.Duration(i) * time.Hour)
		if i >= 4 {
			sub.Status = submission.Abgeschlossen
		}
		f.mustSubmit(t, sub)
		all = append(all, sub)
	}
	f.mustSubmit(t, f.newSubmission(f.b, f.svcB, f.authB.ID))

	refs := func(list []*submission.Submission) []string {
		var out []string
		for _, x := range list {
			out = append(out, x.Reference)
		}
		return out
	}
	pick := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, all[i].Reference)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		filter submission.Filter
		want   []string
	}{
		{"all", submission.Filter{}, pick(5, 4, 3, 2, 1, 0)},
		{"status", submission.Filter{Status: submission.Abgeschlossen}, pick(5, 4)},
		{"status eingegangen", submission.Filter{Status: submission.Eingegangen}, pick(3, 2, 1, 0)},
		{"status none", submission.Filter{Status: submission.InBearbeitung}, nil},
		{"service", submission.Filter{ServiceID: f.sharedA.ID}, pick(5, 3, 1)},
		{"status and service", submission.Filter{Status: submission.Eingegangen, ServiceID: f.svcA.ID}, pick(2, 0)},
		{"other tenant's service", submission.Filter{ServiceID: f.svcB.ID}, nil},
		{"limit", submission.Filter{Limit: 2}, pick(5, 4)},
		{"limit and offset", submission.Filter{Limit: 2, Offset: 3}, pick(2, 1)},
		{"offset past the end", submission.Filter{Offset: 10}, nil},
	} {
		list, err := s.ListSubmissions(ctx, f.a.ID, tc.filter)
		noErr(t, "ListSubmissions("+tc.name+")", err)
		if got := refs(list); !slices.Equal(got, tc.want) {
			t.Errorf("ListSubmissions(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}

	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	for _, x := range list {
		if x.Data != nil {
			t.Errorf("ListSubmissions loaded Data of %s", x.Reference)
		}
		if x.DataSHA256 == "" || x.TenantID != f.a.ID || x.ServiceID == "" || x.Status == "" || x.SubmittedAt.IsZero() {
			t.Errorf("ListSubmissions entry incomplete: %+v", x)
		}
	}
	sameTime(t, "listed SubmittedAt", list[0].SubmittedAt, all[5].SubmittedAt)
}

func testListSubmissionsDefaultLimit(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	for range 105 {
		f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	}
	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	if len(list) != 100 {
		t.Errorf("ListSubmissions without limit: %d, want 100", len(list))
	}
	list, err = s.ListSubmissions(ctx, f.a.ID, submission.Filter{Limit: 200})
	noErr(t, "ListSubmissions(limit 200)", err)
	if len(list) != 105 {
		t.Errorf("ListSubmissions(limit 200): %d, want 105", len(list))
	}
}

func testSetStatus(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.SubmittedAt = time.Now().Add(-time.Hour)
	f.mustSubmit(t, sub)

	ev := &submission.Event{Actor: "Jürgen Müller", Action: "status", Detail: "eingegangen → in_bearbeitung"}
	noErr(t, "SetStatus", s.SetStatus(ctx, f.a.ID, sub.ID, submission.InBearbeitung, ev))
	if ev.ID == 0 || ev.SubmissionID != sub.ID || ev.TenantID != f.a.ID {
		t.Errorf("event after SetStatus = %+v", ev)
	}
	recent(t, "event At", ev.At)
	got, err := s.Submission(ctx, f.a.ID, sub.ID)
	noErr(t, "Submission", err)
	if got.Status != submission.InBearbeitung {
		t.Errorf("Status = %q", got.Status)
	}
	recent(t, "UpdatedAt after SetStatus", got.UpdatedAt)
	sameTime(t, "SubmittedAt after SetStatus", got.SubmittedAt, sub.SubmittedAt)
	if !bytes.Equal(got.Data, sub.Data) {
		t.Error("SetStatus changed Data")
	}

	note := &submission.Event{Actor: "Jürgen Müller", Action: "status", Detail: Emoji, At: ev.At.Add(time.Second)}
	noErr(t, "SetStatus(abgeschlossen)", s.SetStatus(ctx, f.a.ID, sub.ID, submission.Abgeschlossen, note))

	evs, err := s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	var trail []string
	for _, e := range evs {
		trail = append(trail, e.Actor+"/"+e.Action+"/"+e.Detail)
	}
	want := []string{"Antragsteller/eingereicht/über das Online-Formular", "Jürgen Müller/status/eingegangen → in_bearbeitung", "Jürgen Müller/status/" + Emoji}
	if !slices.Equal(trail, want) {
		t.Errorf("Events = %q\nwant %q", trail, want)
	}
	if len(evs) == 3 {
		sameTime(t, "given event At", evs[2].At, note.At)
	}

	bad := &submission.Event{Actor: "x", Action: "status"}
	wantKind(t, "SetStatus(unknown id)", s.SetStatus(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000", submission.Abgeschlossen, bad), apperr.NotFound)
	wantKind(t, "SetStatus(invalid status)", s.SetStatus(ctx, f.a.ID, sub.ID, "verloren", bad), apperr.Invalid)
	if err := s.SetStatus(ctx, f.a.ID, sub.ID, submission.Eingegangen, nil); err == nil {
		t.Error("SetStatus without event: no error")
	}
	evs, err = s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	if len(evs) != 3 {
		t.Errorf("failed SetStatus calls recorded events: %d", len(evs))
	}
	got, err = s.Submission(ctx, f.a.ID, sub.ID)
	noErr(t, "Submission", err)
	if got.Status != submission.Abgeschlossen {
		t.Errorf("failed SetStatus changed the status to %q", got.Status)
	}
	evs, err = s.Events(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000")
	noErr(t, "Events(unknown)", err)
	if len(evs) != 0 {
		t.Errorf("Events(unknown) = %s", plain(evs))
	}
}

func testPurgeSubmissions(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	now := time.Now().UTC()
	cut := now.Add(-30 * 24 * time.Hour)
	mk := func(tn *fixtureTenant, status submission.Status, updated time.Time, withAttachment bool) (*submission.Submission, []string) {
		t.Helper()
		d, _ := f.newDraft(t, tn.t, tn.svc, map[string]any{"F": "x"})
		var ids, keys []string
		if withAttachment {
			for _, name := range []string{"a.pdf", "b.pdf"} {
				a := f.newAttachment(t, d, name)
				ids, keys = append(ids, a.ID), append(keys, a.StorageKey)
			}
		}
		sub := f.newSubmission(tn.t, tn.svc, tn.auth)
		sub.DraftID = d.ID
		sub.Status = status
		sub.SubmittedAt = updated.Add(-time.Hour)
		sub.UpdatedAt = updated
		f.mustSubmit(t, sub, ids...)
		return sub, keys
	}
	a := &fixtureTenant{f.a, f.svcA, f.authA.ID}
	b := &fixtureTenant{f.b, f.svcB, f.authB.ID}
	due, dueKeys := mk(a, submission.Abgeschlossen, cut.Add(-time.Hour), true)
	dueB, dueBKeys := mk(b, submission.Abgeschlossen, cut.Add(-24*time.Hour), true)
	dueNoAtt, _ := mk(a, submission.Abgeschlossen, cut.Add(-time.Minute), false)
	recentDone, _ := mk(a, submission.Abgeschlossen, cut.Add(time.Hour), true)
	inWork, _ := mk(a, submission.InBearbeitung, cut.Add(-48*time.Hour), true)
	atCut, _ := mk(a, submission.Abgeschlossen, cut, false)

	// Stored receipts go with the data; a kept submission keeps its own.
	for _, p := range []*submission.Submission{due, dueNoAtt, recentDone} {
		if _, err := s.SetReceipt(ctx, p.TenantID, p.ID, "receipt-"+p.ID, "fp-1"); err != nil {
			t.Fatalf("SetReceipt: %v", err)
		}
	}
	dueKeys = append(dueKeys, "receipt-"+due.ID, "receipt-"+dueNoAtt.ID)

	keys, err := s.PurgeSubmissions(ctx, cut)
	noErr(t, "PurgeSubmissions", err)
	slices.Sort(keys)
	want := append(slices.Clone(dueKeys), dueBKeys...)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("PurgeSubmissions = %q, want %q", keys, want)
	}

	for _, p := range []*submission.Submission{due, dueB, dueNoAtt} {
		got, err := s.Submission(ctx, p.TenantID, p.ID)
		noErr(t, "Submission(purged)", err)
		if got.Data != nil {
			t.Errorf("%s: Data = %q after purge, want nil", p.Reference, got.Data)
		}
		if got.Reference != p.Reference || got.DataSHA256 != p.DataSHA256 || got.Status != submission.Abgeschlossen {
			t.Errorf("%s: purge changed %+v", p.Reference, got)
		}
		if got.ReceiptKey != "" || got.ReceiptFingerprint != "" {
			t.Errorf("%s: receipt %q (%q) kept after purge", p.Reference, got.ReceiptKey, got.ReceiptFingerprint)
		}
		// A receipt rendered while the data were purged is not taken.
		if _, err := s.SetReceipt(ctx, p.TenantID, p.ID, "receipt-late", "fp-2"); !errors.Is(err, apperr.Gone) {
			t.Errorf("%s: SetReceipt after purge = %v, want apperr.Gone", p.Reference, err)
		}
		sameTime(t, "UpdatedAt after purge", got.UpdatedAt, p.UpdatedAt)
		sameTime(t, "SubmittedAt after purge", got.SubmittedAt, p.SubmittedAt)
		atts, err := s.ListAttachments(ctx, p.TenantID, p.ID)
		noErr(t, "ListAttachments(purged)", err)
		if len(atts) != 0 {
			t.Errorf("%s: %d attachments after purge", p.Reference, len(atts))
		}
		evs, err := s.Events(ctx, p.TenantID, p.ID)
		noErr(t, "Events(purged)", err)
		if len(evs) != 2 {
			t.Errorf("%s: %d events after purge, want 2", p.Reference, len(evs))
			continue
		}
		last := evs[1]
		if last.Actor != "System" || last.Action != "gelöscht" ||
			last.Detail != "Antragsdaten nach Ablauf der Aufbewahrungsfrist gelöscht" || last.TenantID != p.TenantID {
			t.Errorf("%s: events after purge = %s", p.Reference, plain(evs))
		}
		recent(t, "purge event At", last.At)
	}
	for _, k := range []*submission.Submission{recentDone, inWork, atCut} {
		got, err := s.Submission(ctx, k.TenantID, k.ID)
		noErr(t, "Submission(kept)", err)
		if !bytes.Equal(got.Data, k.Data) {
			t.Errorf("%s (%s, updated %v): data purged", k.Reference, k.Status, k.UpdatedAt)
		}
		if k == recentDone && got.ReceiptKey != "receipt-"+k.ID {
			t.Errorf("%s: receipt %q after another's purge", k.Reference, got.ReceiptKey)
		}
		atts, err := s.ListAttachments(ctx, k.TenantID, k.ID)
		noErr(t, "ListAttachments(kept)", err)
		if k != atCut && len(atts) != 2 {
			t.Errorf("%s: %d attachments, want 2", k.Reference, len(atts))
		}
		evs, err := s.Events(ctx, k.TenantID, k.ID)
		noErr(t, "Events(kept)", err)
		if len(evs) != 1 {
			t.Errorf("%s: %d events, want 1", k.Reference, len(evs))
		}
	}

	// Once purged, a submission is not purged again.
	keys, err = s.PurgeSubmissions(ctx, cut)
	noErr(t, "PurgeSubmissions again", err)
	if len(keys) != 0 {
		t.Errorf("second PurgeSubmissions = %q", keys)
	}
	evs, err := s.Events(ctx, f.a.ID, due.ID)
	noErr(t, "Events", err)
	if len(evs) != 2 {
		t.Errorf("second purge recorded events: %d", len(evs))
	}
}

func testStoredReceipt(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	f.mustSubmit(t, sub)
	before, err := s.Submission(ctx, f.a.ID, sub.ID)
	noErr(t, "Submission", err)
	if before.ReceiptKey != "" || before.ReceiptFingerprint != "" {
		t.Fatalf("new submission has receipt %q (%q)", before.ReceiptKey, before.ReceiptFingerprint)
	}

	replaced, err := s.SetReceipt(ctx, f.a.ID, sub.ID, "key-1", "fp-1")
	noErr(t, "SetReceipt", err)
	if replaced != "" {
		t.Errorf("first SetReceipt replaced %q", replaced)
	}
	got, err := s.Submission(ctx, f.a.ID, sub.ID)
	noErr(t, "Submission", err)
	if got.ReceiptKey != "key-1" || got.ReceiptFingerprint != "fp-1" {
		t.Errorf("receipt = %q (%q), want key-1 (fp-1)", got.ReceiptKey, got.ReceiptFingerprint)
	}
	sameTime(t, "UpdatedAt after SetReceipt", got.UpdatedAt, before.UpdatedAt)
	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	if len(list) != 1 || list[0].ReceiptKey != "key-1" {
		t.Errorf("ListSubmissions does not show the receipt: %s", plain(list))
	}

	// A new rendering replaces the old; the old key is returned for
	// deletion. The same key again replaces nothing.
	replaced, err = s.SetReceipt(ctx, f.a.ID, sub.ID, "key-2", "fp-2")
	noErr(t, "SetReceipt again", err)
	if replaced != "key-1" {
		t.Errorf("second SetReceipt replaced %q, want key-1", replaced)
	}
	replaced, err = s.SetReceipt(ctx, f.a.ID, sub.ID, "key-2", "fp-2")
	noErr(t, "SetReceipt same key", err)
	if replaced != "" {
		t.Errorf("SetReceipt with the same key replaced %q", replaced)
	}

	// Another tenant's submission is not found; key and fingerprint are
	// required.
	if _, err := s.SetReceipt(ctx, f.b.ID, sub.ID, "key-3", "fp-3"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("SetReceipt of another tenant's submission = %v, want apperr.NotFound", err)
	}
	if _, err := s.SetReceipt(ctx, f.a.ID, sub.ID, "", "fp-3"); !errors.Is(err, apperr.Invalid) {
		t.Errorf("SetReceipt without key = %v, want apperr.Invalid", err)
	}
	got, err = s.Submission(ctx, f.a.ID, sub.ID)
	noErr(t, "Submission", err)
	if got.ReceiptKey != "key-2" || got.ReceiptFingerprint != "fp-2" {
		t.Errorf("receipt = %q (%q), want key-2 (fp-2)", got.ReceiptKey, got.ReceiptFingerprint)
	}
}

// fixtureTenant is a tenant with a service and an authority of it.
type fixtureTenant struct {
	t    *tenant.Tenant
	svc  *tenant.Service
	auth string
}
