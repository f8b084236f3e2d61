package submission

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
)

// Files deletes the stored content of attachments (blob.Store does).
type Files interface {
	// Delete deletes the content under key; a missing key is no error.
	Delete(ctx context.Context, key string) error
}

// Intake takes in applications. It is the one use case behind antrag's
// HTML journey, its JSON API and its FIT-Connect receiver:
//
//   - the data's SHA-256 is fixed (Submission.DataSHA256, hex);
//   - a Vorgangsnummer is drawn (NewReference), and drawn again while the
//     store reports ErrReferenceTaken (at most maxReferenceTries times);
//   - the submission is stored with its attachments, its audit event and
//     its deliveries in one store transaction (Store.Submit or
//     Store.Receive), so that what a citizen was told is accepted is
//     delivered;
//   - files no longer referenced are deleted: the draft's attachments the
//     application does not use, and, when a received submission is not
//     stored (an error, or a duplicate), the attachment contents the
//     receiver had put.
type Intake struct {
	Store  Store
	Files  Files
	Logger *slog.Logger
}

// maxReferenceTries bounds the draws of a Vorgangsnummer. With 60 random
// bits, a second draw is already rare.
const maxReferenceTries = 5

// errNoReference is returned when every draw was taken.
var errNoReference = errors.New("keine freie Vorgangsnummer gefunden")

// Submit takes in an application made in antrag: s with TenantID,
// ServiceID, FormVersionID, AuthorityID, Data (the canonical JSON as
// validated) and either DraftID (the journey) or IdempotencyKey (the JSON
// API); attachmentIDs are the draft's attachments the data refers to. It
// sets s.DataSHA256 and s.Reference, and returns s with created true, or
// the submission the draft or key already made with created false. Errors
// are Store.Submit's.
func (in *Intake) Submit(ctx context.Context, s *Submission, ev *Event, attachmentIDs []string) (_ *Submission, created bool, err error) {
	s.DataSHA256 = dataSHA256(s.Data)
	for range maxReferenceTries {
		s.Reference = NewReference()
		existing, created, orphans, err := in.Store.Submit(ctx, s, ev, attachmentIDs)
		if errors.Is(err, ErrReferenceTaken) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		in.delete(ctx, orphans)
		if !created {
			return existing, false, nil
		}
		return s, true, nil
	}
	return nil, false, errNoReference
}

// Receive takes in an application that arrived from elsewhere: s with
// TenantID, ServiceID, FormVersionID, AuthorityID, Data, Source,
// ExternalRef and SubmittedAt (when it was received); atts are its
// attachments, whose content is already stored under their StorageKey. It
// sets s.DataSHA256 and s.Reference, and returns s with created true, or
// the submission stored earlier with the same ExternalRef with created
// false. Unless it stored s, it deletes the attachments' content. Errors
// are Store.Receive's.
func (in *Intake) Receive(ctx context.Context, s *Submission, atts []*Attachment, ev *Event) (_ *Submission, created bool, err error) {
	defer func() {
		if err != nil || !created {
			keys := make([]string, len(atts))
			for i, a := range atts {
				keys[i] = a.StorageKey
			}
			in.delete(context.WithoutCancel(ctx), keys)
		}
	}()
	s.DataSHA256 = dataSHA256(s.Data)
	for range maxReferenceTries {
		s.Reference = NewReference()
		existing, created, err := in.Store.Receive(ctx, s, atts, ev)
		if errors.Is(err, ErrReferenceTaken) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if !created {
			return existing, false, nil
		}
		return s, true, nil
	}
	return nil, false, errNoReference
}

// delete deletes files no longer referenced. A file that cannot be
// deleted is logged, not an error: the application is stored.
func (in *Intake) delete(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := in.Files.Delete(ctx, k); err != nil && in.Logger != nil {
			in.Logger.Warn("attachment content not deleted", "error", err.Error())
		}
	}
}

func dataSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
