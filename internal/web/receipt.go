package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/receipt"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// sentCopy is what the Antragsbestätigung of a submission shows: the
// receipt PDF and its HTML view are made from the same answers.
type sentCopy struct {
	service   *tenant.Service
	authority *tenant.Authority
	answers   []journey.Section  // with the schema's output labels
	fee       *payment.Statement // nil without a fee
	receipt   receipt.Receipt
}

// sentCopyOf reads what was sent with a submission. Data deleted after the
// retention period is apperr.Gone.
func (s *Server) sentCopyOf(r *http.Request, t *tenant.Tenant, sub *submission.Submission) (*sentCopy, error) {
	if sub.Data == nil {
		return nil, fmt.Errorf("Antragsdaten gelöscht: %w", apperr.Gone)
	}
	svc, err := s.deps.Store.Service(r.Context(), t.ID, sub.ServiceID)
	if err != nil {
		return nil, err
	}
	f, _, err := s.form(r.Context(), t.ID, svc, sub.FormVersionID)
	if err != nil {
		return nil, err
	}
	auth, err := s.deps.Store.Authority(r.Context(), t.ID, sub.AuthorityID)
	if err != nil {
		return nil, err
	}
	doc, err := form.DecodeData(bytes.NewReader(sub.Data))
	if err != nil {
		return nil, err
	}
	var fee *payment.Statement
	if sub.Bill != nil {
		as, err := s.deps.Store.Attempts(r.Context(), t.ID, sub.ID)
		if err != nil {
			return nil, err
		}
		fee = payment.NewStatement(sub.Payment, sub.Bill, as)
	}
	answers := f.Answers(doc, nil, true)
	return &sentCopy{service: svc, authority: auth, answers: answers, fee: fee, receipt: receipt.Receipt{
		Title: svc.Name, Reference: sub.Reference, SubmittedAt: sub.SubmittedAt,
		Authority: append([]string{auth.Name}, auth.Address...), DataSHA256: sub.DataSHA256,
		Sections: receiptSections(answers), Fee: fee, Evidence: sub.Evidence,
	}}, nil
}

// writeReceipt sends the Antragsbestätigung of a submission as PDF (see
// receiptPDF).
func (s *Server) writeReceipt(w http.ResponseWriter, r *http.Request, t *tenant.Tenant, sub *submission.Submission) error {
	sc, err := s.sentCopyOf(r, t, sub)
	if err != nil {
		return err
	}
	pdf, err := s.receiptPDF(r.Context(), sub, sc.receipt)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "Antrag-" + sub.Reference + ".pdf"}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(pdf)
	return err
}

// receiptPDF returns the receipt rc of sub as PDF: the stored copy when
// it shows what rc shows (the same receipt.Fingerprint), else rc rendered
// and stored, sealed in the blob store, for the next download. A receipt
// changes after it was first stored when the payment is completed or the
// authority's details change; the purge of the submission's data deletes
// it (Store.PurgeSubmissions).
func (s *Server) receiptPDF(ctx context.Context, sub *submission.Submission, rc receipt.Receipt) ([]byte, error) {
	fp, err := receipt.Fingerprint(rc)
	if err != nil {
		return nil, err
	}
	if sub.ReceiptKey != "" && sub.ReceiptFingerprint == fp {
		pdf, err := s.readBlob(ctx, sub.ReceiptKey)
		if err == nil {
			return pdf, nil
		}
		if !errors.Is(err, apperr.NotFound) {
			return nil, err
		}
		// Replaced by a download at the same time: render it again.
	}
	var buf bytes.Buffer
	if err := receipt.Render(&buf, rc); err != nil {
		return nil, err
	}
	s.receiptRenders.Add(1)
	s.storeReceipt(context.WithoutCancel(ctx), sub, fp, buf.Bytes())
	return buf.Bytes(), nil
}

// readBlob reads a whole blob.
func (s *Server) readBlob(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.deps.Blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// storeReceipt keeps pdf, the rendering of sub's receipt with fingerprint
// fp, for later downloads, and deletes the rendering it replaces. A
// receipt that cannot be stored is only logged: this download has it, and
// the next renders it again.
func (s *Server) storeReceipt(ctx context.Context, sub *submission.Submission, fp string, pdf []byte) {
	key := blob.NewKey()
	if _, err := s.deps.Blobs.Put(ctx, key, bytes.NewReader(pdf), int64(len(pdf))); err != nil {
		s.deps.Logger.Warn("receipt not stored", "error", err.Error())
		return
	}
	replaced, err := s.deps.Store.SetReceipt(ctx, sub.TenantID, sub.ID, key, fp)
	if err != nil {
		// Gone: the data were purged meanwhile, and the receipt with them.
		if !errors.Is(err, apperr.Gone) {
			s.deps.Logger.Warn("receipt not stored", "error", err.Error())
		}
		replaced = key
	}
	if replaced == "" {
		return
	}
	if err := s.deps.Blobs.Delete(ctx, replaced); err != nil {
		s.deps.Logger.Warn("replaced receipt not deleted", "error", err.Error())
	}
}

func receiptSections(secs []journey.Section) []receipt.Section {
	var out []receipt.Section
	for _, s := range secs {
		out = append(out, receiptSection(s))
	}
	return out
}

// receiptSection copies a section's answers and nested groups in order.
func receiptSection(s journey.Section) receipt.Section {
	rs := receipt.Section{Title: s.Title}
	for _, a := range s.Items {
		if a.Section != nil {
			sub := receiptSection(*a.Section)
			rs.Items = append(rs.Items, receipt.Item{Section: &sub})
			continue
		}
		rs.Items = append(rs.Items, receipt.Item{Label: a.Label, Value: a.Value})
	}
	return rs
}
