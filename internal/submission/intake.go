package submission

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
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
	// Observer is told of each application stored; nil: none.
	Observer Observer
}

// Observer is told of each application an Intake stores (operator
// metrics). Submitted is called after the store transaction committed,
// once per stored application (not for a request answered with an
// existing one); it must be quick and safe for concurrent use.
type Observer interface {
	Submitted(s *Submission)
}

// stored tells the Observer of s.
func (in *Intake) stored(s *Submission) {
	if in.Observer != nil {
		in.Observer.Submitted(s)
	}
}

// maxReferenceTries bounds the draws of a Vorgangsnummer. With 60 random
// bits, a second draw is already rare.
const maxReferenceTries = 5

// errNoReference is returned when every draw was taken.
var errNoReference = errors.New("keine freie Vorgangsnummer gefunden")

// Submit takes in an application made in antrag: s with TenantID,
// ServiceID, FormVersionID, AuthorityID, Data (the canonical JSON as
// validated, form.MarshalData) and DraftID (the journey, an API upload
// session) or IdempotencyKey (the JSON API) or both, and RequestSHA256
// for the JSON API; attachmentIDs are the draft's attachments the data
// refers to. It sets s.DataSHA256 and s.Reference, and returns s with
// created true, or the submission the draft or key already made with
// created false if SameRequest allows. Errors: form.ErrDataTooLarge for
// Data above form.MaxDataBytes (nothing is stored, so whatever is stored
// can be read back), ErrRequestMismatch, ErrDraftSubmitted, and
// Store.Submit's.
func (in *Intake) Submit(ctx context.Context, s *Submission, ev *Event, attachmentIDs []string) (_ *Submission, created bool, err error) {
	if len(s.Data) > form.MaxDataBytes {
		return nil, false, form.ErrDataTooLarge
	}
	s.DataSHA256 = dataSHA256(s.Data)
	for try := 0; try < maxReferenceTries; try++ {
		s.Reference = NewReference()
		existing, created, orphans, err := in.Store.Submit(ctx, s, ev, attachmentIDs)
		if errors.Is(err, ErrReferenceTaken) {
			continue
		}
		if errors.Is(err, apperr.Conflict) && s.IdempotencyKey != "" && try == 0 {
			// Another request with the key was stored at the same moment
			// (the key's unique index): once more, to find it.
			continue
		}
		if err != nil {
			return nil, false, err
		}
		in.delete(ctx, orphans)
		if !created {
			if err := SameRequest(existing, s); err != nil {
				return nil, false, err
			}
			return existing, false, nil
		}
		in.stored(s)
		return s, true, nil
	}
	return nil, false, errNoReference
}

// ErrRequestMismatch is the error for a JSON API request whose
// Idempotency-Key already made a submission from a different request
// (apperr.Conflict; the JSON API answers 422, as the IETF draft "The
// Idempotency-Key HTTP Header Field" describes).
var ErrRequestMismatch = fmt.Errorf("Der Idempotency-Key wurde schon für einen Antrag mit anderen Daten verwendet: %w", apperr.Conflict)

// ErrDraftSubmitted is the error for a request with a draft (an API upload
// session) that already made a different submission (apperr.Conflict).
var ErrDraftSubmitted = fmt.Errorf("Mit dieser Sitzung wurde schon ein anderer Antrag gestellt: %w", apperr.Conflict)

// SameRequest reports whether the request s may be answered with the
// submission prev that its idempotency key or draft already made: nil,
// ErrRequestMismatch or ErrDraftSubmitted.
//
//   - The HTML journey (s.RequestSHA256 "") is idempotent through its
//     draft: any later submit of the draft is answered with prev.
//   - A request with the idempotency key of prev must be the same request
//     (RequestSHA256); prev without a hash (stored before antrag kept it)
//     is taken as the same.
//   - A request with the draft of prev (an API upload session), but not
//     its key, must be the same request with the same key ("" for none):
//     a client retrying without a key gets its submission, a different
//     application in the same session is refused.
func SameRequest(prev, s *Submission) error {
	switch {
	case s.RequestSHA256 == "":
		return nil
	case s.IdempotencyKey != "" && prev.IdempotencyKey == s.IdempotencyKey:
		if prev.RequestSHA256 != "" && prev.RequestSHA256 != s.RequestSHA256 {
			return ErrRequestMismatch
		}
		return nil
	case prev.IdempotencyKey == s.IdempotencyKey && prev.RequestSHA256 == s.RequestSHA256:
		return nil
	}
	return ErrDraftSubmitted
}

// RequestHash returns the RequestSHA256 of a JSON API request: the hex
// SHA-256 of method, a newline, the canonical path (with the form id as
// antrag spells it), a newline and the canonical JSON of the decoded data
// document (form.EncodeData: keys sorted, no insignificant space), so
// that the same data sent with other spacing or key order is the same
// request.
func RequestHash(method, path string, doc map[string]any) (string, error) {
	h := sha256.New()
	io.WriteString(h, method+"\n"+path+"\n")
	if err := form.EncodeData(h, doc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
	if len(s.Data) > form.MaxDataBytes {
		return nil, false, form.ErrDataTooLarge
	}
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
		in.stored(s)
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
