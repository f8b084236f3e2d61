package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// testUploadReservations: a reservation holds a share of the draft's
// quota until its attachment takes its place or it is released; expired
// reservations stop counting; unsent drafts of the tenant only.
func testUploadReservations(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, _ := f.newDraft(t, f.a, f.svcA, nil)
	q := submission.UploadQuota{Files: 3, Bytes: 1000}
	reserve := func(want int64, now time.Time) (*submission.UploadReservation, error) {
		r := &submission.UploadReservation{TenantID: f.a.ID, DraftID: d.ID, ExpiresAt: now.Add(time.Hour)}
		return r, s.ReserveUpload(ctx, r, q, want, now)
	}
	r1, err := reserve(600, f.now)
	noErr(t, "ReserveUpload", err)
	if r1.ID == "" || r1.Bytes != 600 {
		t.Errorf("reservation = %+v, want an id and 600 bytes", r1)
	}
	// What is left of the quota, less than wanted.
	r2, err := reserve(600, f.now)
	noErr(t, "ReserveUpload(second)", err)
	if r2.Bytes != 400 {
		t.Errorf("second reservation = %d bytes, want the 400 left", r2.Bytes)
	}
	_, err = reserve(1, f.now)
	wantKind(t, "ReserveUpload(no byte left)", err, submission.ErrUploadQuota)
	wantKind(t, "ReserveUpload(no byte left) is a conflict", err, apperr.Conflict)

	// The attachment takes the reservation's place at its own size.
	a := &submission.Attachment{TenantID: f.a.ID, DraftID: d.ID, Filename: "a.pdf", MediaType: "application/pdf",
		Size: 100, SHA512: strings.Repeat("ab", 64), StorageKey: "upload-key-0001"}
	noErr(t, "CompleteUpload", s.CompleteUpload(ctx, r1, a))
	if got, err := s.Attachment(ctx, f.a.ID, a.ID); err != nil || got.Filename != "a.pdf" || got.Size != 100 {
		t.Errorf("Attachment after CompleteUpload = %+v, %v", got, err)
	}
	wantKind(t, "CompleteUpload(again)", s.CompleteUpload(ctx, r1, &submission.Attachment{TenantID: f.a.ID, DraftID: d.ID,
		Size: 1, StorageKey: "upload-key-0002"}), apperr.Conflict)
	r3, err := reserve(1000, f.now)
	noErr(t, "ReserveUpload(after completion)", err)
	if r3.Bytes != 500 { // 1000 - 100 stored - 400 reserved
		t.Errorf("reservation after completion = %d bytes, want 500", r3.Bytes)
	}
	// Three files (one stored, two reserved): no fourth.
	_, err = reserve(1, f.now)
	wantKind(t, "ReserveUpload(no file left)", err, submission.ErrUploadQuota)
	noErr(t, "ReleaseUpload", s.ReleaseUpload(ctx, f.a.ID, r3.ID))
	noErr(t, "ReleaseUpload(again)", s.ReleaseUpload(ctx, f.a.ID, r3.ID))
	big := &submission.Attachment{TenantID: f.a.ID, DraftID: d.ID, Size: 401, StorageKey: "upload-key-0003"}
	wantKind(t, "CompleteUpload(more than reserved)", s.CompleteUpload(ctx, r2, big), apperr.Invalid)
	r4, err := reserve(1000, f.now)
	noErr(t, "ReserveUpload(after release)", err)
	if r4.Bytes != 500 {
		t.Errorf("reservation after release = %d bytes, want 500", r4.Bytes)
	}

	// Reservations left behind stop counting when they expire.
	later := f.now.Add(2 * time.Hour)
	r5, err := reserve(1000, later)
	noErr(t, "ReserveUpload(after expiry)", err)
	if r5.Bytes != 900 {
		t.Errorf("reservation after the others expired = %d bytes, want 900", r5.Bytes)
	}

	// Another tenant's draft is not found; a submitted draft takes none,
	// and an upload that ends after the draft was sent is not stored.
	other := &submission.UploadReservation{TenantID: f.b.ID, DraftID: d.ID, ExpiresAt: f.now.Add(time.Hour)}
	wantKind(t, "ReserveUpload(other tenant)", s.ReserveUpload(ctx, other, q, 1, f.now), apperr.NotFound)
	d2, _ := f.newDraft(t, f.a, f.svcA, nil)
	r6 := &submission.UploadReservation{TenantID: f.a.ID, DraftID: d2.ID, ExpiresAt: f.now.Add(time.Hour)}
	noErr(t, "ReserveUpload(d2)", s.ReserveUpload(ctx, r6, q, 10, f.now))
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.DraftID = d2.ID
	if _, _, _, err := s.Submit(ctx, sub, submitted(), nil); err != nil {
		t.Fatal(err)
	}
	late := &submission.Attachment{TenantID: f.a.ID, DraftID: d2.ID, Size: 5, StorageKey: "upload-key-0004"}
	wantKind(t, "CompleteUpload(draft submitted)", s.CompleteUpload(ctx, r6, late), apperr.Conflict)
	r7 := &submission.UploadReservation{TenantID: f.a.ID, DraftID: d2.ID, ExpiresAt: f.now.Add(time.Hour)}
	wantKind(t, "ReserveUpload(submitted draft)", s.ReserveUpload(ctx, r7, q, 10, f.now), apperr.Conflict)
}

// testUploadReservationsConcurrent: 60 uploads at once into one draft
// with a quota of 20 files and 50 MB never hold more than the quota,
// whichever order the database runs them in.
func testUploadReservationsConcurrent(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	d, _ := f.newDraft(t, f.a, f.svcA, nil)
	q := submission.UploadQuota{Files: 20, Bytes: 50_000_000}
	const uploads, size = 60, 2_400_000
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored, refused := 0, 0
	for i := range uploads {
		wg.Go(func() {
			r := &submission.UploadReservation{TenantID: f.a.ID, DraftID: d.ID, ExpiresAt: f.now.Add(time.Hour)}
			err := s.ReserveUpload(ctx, r, q, size, f.now)
			if errors.Is(err, submission.ErrUploadQuota) {
				mu.Lock()
				refused++
				mu.Unlock()
				return
			}
			if err != nil {
				t.Errorf("upload %d: ReserveUpload: %v", i, err)
				return
			}
			a := &submission.Attachment{TenantID: f.a.ID, DraftID: d.ID, Size: min(size, r.Bytes),
				StorageKey: fmt.Sprintf("parallel-upload-%04d", i)}
			if err := s.CompleteUpload(ctx, r, a); err != nil {
				t.Errorf("upload %d: CompleteUpload: %v", i, err)
				return
			}
			mu.Lock()
			stored++
			mu.Unlock()
		})
	}
	wg.Wait()
	files, bytes, err := s.DraftAttachmentUsage(ctx, f.a.ID, d.ID)
	noErr(t, "DraftAttachmentUsage", err)
	t.Logf("%d uploads at once: %d stored (%d bytes), %d refused", uploads, files, bytes, refused)
	if files > q.Files || bytes > q.Bytes {
		t.Errorf("the draft holds %d files of %d bytes, quota %d files of %d bytes", files, bytes, q.Files, q.Bytes)
	}
	if files != stored || stored+refused != uploads {
		t.Errorf("%d stored, %d refused, %d in the draft", stored, refused, files)
	}
	if files != q.Files { // 20 × 2.4 MB = 48 MB: the files run out first
		t.Errorf("%d files stored, want the quota's %d", files, q.Files)
	}
}
