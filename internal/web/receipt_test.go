package web_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/web"
)

// TestReceiptStored: the receipt PDF is rendered on its first download
// and stored sealed; later downloads, the citizen's and the caseworker's,
// are the stored copy without rendering. Completing the payment yields a
// new receipt with the Kassenzeichen (the old copy is deleted), and the
// purge of the application's data deletes the stored receipt.
func TestReceiptStored(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	j := startPaying(t, h)
	renders := func() int64 { return web.ReceiptRenders(h.server) }
	download := func(what string) []byte {
		t.Helper()
		r := h.get(j.base + "/antrag.pdf")
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, "%PDF-") {
			t.Fatalf("%s: %d", what, r.status)
		}
		return []byte(r.body)
	}

	n := renders()
	open := download("first download")
	if renders() != n+1 {
		t.Fatalf("first download rendered %d receipts, want 1", renders()-n)
	}
	s := j.sub(t)
	if s.ReceiptKey == "" || s.ReceiptFingerprint == "" {
		t.Fatalf("receipt not stored: key %q, fingerprint %q", s.ReceiptKey, s.ReceiptFingerprint)
	}
	if again := download("second download"); !bytes.Equal(again, open) {
		t.Error("second download differs from the first")
	}
	staff := h.do(h.staffClient("musterstadt"), "GET", "/intern/antraege/"+s.ID+"/antrag.pdf", nil)
	if staff.status != http.StatusOK || staff.body != string(open) {
		t.Errorf("caseworker's download: %d, same as the citizen's: %v", staff.status, staff.body == string(open))
	}
	if renders() != n+1 {
		t.Errorf("repeat downloads rendered %d receipts, want none", renders()-n-1)
	}

	// Sealed at rest: the stored file holds neither the PDF nor its text.
	raw, err := os.ReadFile(filepath.Join(h.bdir, s.ReceiptKey))
	if err != nil {
		t.Fatalf("stored receipt: %v", err)
	}
	for _, plain := range []string{"%PDF", s.Reference, "Antragsbestätigung", "DejaVu", "FlateDecode"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("stored receipt contains %q in plain text", plain)
		}
	}

	// The payment completes: the next download renders the receipt with
	// the Kassenzeichen, stores it in place of the old one and deletes
	// the old content.
	h.payOnPage(j.payPage, "bezahlen")
	j.paid(t)
	paid := payment.PaidAttempt(j.attempts(t))
	n = renders()
	text := oneLineText(pdfText(t, download("download after payment")))
	if !strings.Contains(text, "Kassenzeichen "+paid.TransactionReference) || strings.Contains(text, "Zahlung ausstehend") {
		t.Errorf("receipt after payment:\n%s", text)
	}
	if renders() != n+1 {
		t.Errorf("download after payment rendered %d receipts, want 1", renders()-n)
	}
	s2 := j.sub(t)
	if s2.ReceiptKey == "" || s2.ReceiptKey == s.ReceiptKey || s2.ReceiptFingerprint == s.ReceiptFingerprint {
		t.Errorf("receipt after payment stored as %q (%q), before %q (%q)", s2.ReceiptKey, s2.ReceiptFingerprint, s.ReceiptKey, s.ReceiptFingerprint)
	}
	if _, err := h.blobs.Open(ctx, s.ReceiptKey); !errors.Is(err, apperr.NotFound) {
		t.Errorf("receipt before payment still stored: %v", err)
	}
	download("second download after payment")
	if renders() != n+1 {
		t.Errorf("repeat download after payment rendered again")
	}

	// Retention: the closed application's data go, and the stored
	// receipt with them.
	if err := h.db.SetStatus(ctx, s.TenantID, s.ID, submission.Abgeschlossen,
		&submission.Event{Actor: "Test", Action: "abgeschlossen"}); err != nil {
		t.Fatal(err)
	}
	ret := &submission.Retention{Store: h.db, Files: h.blobs, Period: time.Nanosecond}
	if _, err := ret.Sweep(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if _, err := h.blobs.Open(ctx, s2.ReceiptKey); !errors.Is(err, apperr.NotFound) {
		t.Errorf("stored receipt kept after purge: %v", err)
	}
	if _, err := os.Stat(filepath.Join(h.bdir, s2.ReceiptKey)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stored receipt file kept after purge: %v", err)
	}
	n = renders()
	if r := h.get(j.base + "/antrag.pdf"); r.status == http.StatusOK {
		t.Error("receipt downloaded after purge")
	}
	staff = h.do(h.staffClient("musterstadt"), "GET", "/intern/antraege/"+s.ID+"/antrag.pdf", nil)
	if staff.status != http.StatusGone {
		t.Errorf("caseworker's download after purge: %d, want 410", staff.status)
	}
	if renders() != n {
		t.Error("receipt rendered after purge")
	}
}
