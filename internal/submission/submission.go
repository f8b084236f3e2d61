// Package submission models an application on its way from the citizen to
// the authority: the draft that is saved on every step, the submission with
// its Vorgangsnummer, its attachments, and the audit trail of what happened
// to it.
package submission

import (
	"context"
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// Draft is an application in progress. Its secret token (only the hash is
// stored) is the citizen's resume link.
type Draft struct {
	ID            string
	TenantID      string
	ServiceID     string
	FormVersionID string // the form version the draft started with
	TokenHash     []byte // SHA-256 of the resume token
	// Routing is how the responsible authority was found before the first
	// step, for a routed ("Einer für Alle") service; nil otherwise. Stores
	// seal it.
	Routing *tenant.Routing
	// Data is the canonical data entered so far (package form's shape).
	// Stores encrypt it.
	Data map[string]any
	// Step is the index of the last step the citizen saved.
	Step int
	// Revision counts the saves; SaveDraft refuses a draft whose Revision
	// is not the stored one (ErrDraftChanged) and increments it.
	Revision int
	// SubmissionID is set once the draft has been submitted; the draft
	// then keeps no data.
	SubmissionID string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ExpiresAt    time.Time // deleted after this
	// Owner is the logged-in citizen's key (identity.OwnerKey) when the
	// draft was started or saved while logged in; "" for an anonymous
	// draft.
	Owner string
	// Token is the resume token in clear, known to the request that has
	// it; the store keeps it (sealed) only for a draft with an Owner, so
	// that the citizen's area can link the draft, and returns it for such
	// drafts ("" otherwise).
	Token string
	// Proved are the form data paths whose values were filled from the
	// citizen's identity (prefill) and have not been changed since.
	Proved []string
}

// ErrDraftChanged is SaveDraft's error for a draft that was saved by
// another request since it was read.
var ErrDraftChanged = fmt.Errorf("Entwurf wurde zwischenzeitlich geändert: %w", apperr.Conflict)

// ErrReferenceTaken is the error of Store.Submit and Store.Receive for a
// Vorgangsnummer that another submission has (apperr.Conflict): the
// caller draws a new one (Intake does).
var ErrReferenceTaken = fmt.Errorf("Vorgangsnummer ist bereits vergeben: %w", apperr.Conflict)

// Status of a submission as staff and citizen see it.
type Status string

// Statuses.
const (
	Eingegangen   Status = "eingegangen"
	InBearbeitung Status = "in_bearbeitung"
	Abgeschlossen Status = "abgeschlossen"
)

// Statuses lists the statuses in their order.
var Statuses = []Status{Eingegangen, InBearbeitung, Abgeschlossen}

// Label is the status in German.
func (s Status) Label() string {
	switch s {
	case Eingegangen:
		return "Eingegangen"
	case InBearbeitung:
		return "In Bearbeitung"
	case Abgeschlossen:
		return "Abgeschlossen"
	}
	return string(s)
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Submission is an application the citizen has sent.
type Submission struct {
	ID            string
	TenantID      string
	ServiceID     string
	FormVersionID string
	AuthorityID   string
	// Routing is how the responsible authority was found for an
	// application to a routed ("Einer für Alle") service, nil otherwise.
	// Stores seal it and delete it with Data.
	Routing   *tenant.Routing
	Reference string // Vorgangsnummer, see NewReference
	Status    Status
	// Data is the canonical JSON of the application exactly as validated
	// and hashed. Stores encrypt it; it is nil after the retention period.
	Data       []byte
	DataSHA256 string // hex SHA-256 of Data
	// IdempotencyKey is the client's key for JSON API submissions ("" for
	// the HTML journey, which is idempotent through its draft).
	IdempotencyKey string
	// RequestSHA256 is the hex SHA-256 of the JSON API request that made
	// the submission (see RequestHash): a retry with the same
	// IdempotencyKey, or with the same upload session, is answered with
	// this submission only if it is the same request. "" for the HTML
	// journey, for received submissions and for submissions stored before
	// antrag kept it.
	RequestSHA256 string
	// Source is where the submission came from: SourceAntrag (sent with
	// antrag's journey or API) or SourceFITConnect (received from a
	// FIT-Connect destination of the tenant).
	Source string
	// ExternalRef identifies a received submission at its origin
	// ("fitconnect:<submissionId>"); unique per tenant, so a submission
	// delivered twice is stored once. "" for submissions made in antrag.
	ExternalRef string
	// SenderRef is the sender's own reference of a received submission
	// (FIT-Connect metadata additionalReferenceInfo.senderReference,
	// printable text of at most 100 characters): a reference number, not
	// personal data, stored in plain text so that staff can search it. ""
	// when the sender gave none and for submissions made in antrag.
	SenderRef   string
	DraftID     string
	SubmittedAt time.Time
	UpdatedAt   time.Time
	// Owner is the logged-in citizen's key (identity.OwnerKey) who sent
	// it; "" when sent anonymously.
	Owner string
	// Evidence records the identity proof given with the application
	// (Schriftformersatz, or a service's minimum Vertrauensniveau); nil
	// when none was given.
	Evidence *identity.Evidence
	// Payment is the application's payment state. An application whose
	// payment is payment.Open has no deliveries until it is paid (the
	// store makes them in the transaction that records the payment).
	Payment payment.State
	// Bill is the fee computed for the application; nil for none.
	Bill *payment.Bill
	// ReceiptKey is the blob store key of the stored receipt PDF ("" for
	// none) and ReceiptFingerprint the receipt.Fingerprint of what it
	// shows. Only Store.SetReceipt sets them; purging the data clears
	// them.
	ReceiptKey, ReceiptFingerprint string
}

// Attachment is an uploaded file. Its ID is the attachmentId of the FileRef
// in the data; its bytes live in blob storage under StorageKey, which is
// generated and never derived from the file name.
// Sources of submissions.
const (
	SourceAntrag     = "antrag"
	SourceFITConnect = "fitconnect"
)

type Attachment struct {
	ID           string
	TenantID     string
	DraftID      string // while the application is a draft
	SubmissionID string // once submitted
	Filename     string // the citizen's name for it, trimmed, for display
	MediaType    string // sniffed from the content
	Size         int64  // bytes
	SHA512       string // hex
	StorageKey   string
	CreatedAt    time.Time
}

// Event is one entry of a submission's audit trail.
type Event struct {
	ID           int64
	TenantID     string
	SubmissionID string
	At           time.Time
	Actor        string // "Antragsteller", "System" or a staff user name
	Action       string // e.g. "eingereicht", "status"
	Detail       string // e.g. "eingegangen → in_bearbeitung"
}

// Filter selects submissions for the inbox. All conditions hold together;
// a zero field selects everything.
type Filter struct {
	Status    Status // "" for all
	ServiceID string // "" for all
	// DeliveryState keeps submissions with at least one delivery in this
	// state (a delivery.State, e.g. "fehlgeschlagen"); "" for all.
	DeliveryState string
	// HasData keeps submissions whose data the retention period has not
	// deleted yet.
	HasData bool
	// Search keeps the submissions it matches; nil for all.
	Search *Search
	// ReceivedFrom and ReceivedBefore bound SubmittedAt: from inclusive,
	// before exclusive; zero for no bound.
	ReceivedFrom, ReceivedBefore time.Time
	// After keeps the submissions that come after the cursor in the inbox
	// order (older ones: SubmittedAt descending, then ID descending);
	// Before those that come before it (newer ones), the Limit nearest to
	// the cursor, still listed newest first. At most one of them.
	After, Before *Cursor
	Limit         int // 0 for a default of 100
	Offset        int // rows to skip; for keyset paging use After/Before
	// Within, when set, keeps only the submissions it admits (a
	// caseworker's limits); nil for all.
	Within *Within
}

// Within keeps the submissions received by one of the authorities or made
// with one of the services (by id). Empty, it keeps none.
type Within struct {
	AuthorityIDs, ServiceIDs []string
}

// Search finds submissions by a key staff type. A submission matches when
// any non-empty field equals its column: Reference its Vorgangsnummer,
// ExternalRef its ExternalRef, one of SenderRefs its SenderRef. See
// ParseSearch.
type Search struct {
	Reference   string   // canonical Vorgangsnummer (NormalizeReference)
	ExternalRef string   // e.g. "fitconnect:<submissionId>"
	SenderRefs  []string // the sender's reference, exactly as stored
}

// Store keeps drafts, submissions, attachments and events. Every method is
// scoped by tenant. Errors wrap apperr.NotFound, apperr.Conflict and
// apperr.Gone.
type Store interface {
	CreateDraft(ctx context.Context, d *Draft) error
	// DraftByToken finds a draft by the hash of its token. An expired
	// draft is not found.
	DraftByToken(ctx context.Context, tenantID string, tokenHash []byte, now time.Time) (*Draft, error)
	// SaveDraft updates Data, Step, UpdatedAt and ExpiresAt and increments
	// Revision. A submitted draft cannot be saved (apperr.Conflict); a
	// draft saved by someone else since it was read is ErrDraftChanged
	// (also apperr.Conflict): read it again and re-apply the change.
	SaveDraft(ctx context.Context, d *Draft) error
	// DeleteExpiredDrafts deletes drafts that expired before now, with
	// their attachments, and returns the storage keys of those attachments
	// so that the caller deletes the bytes.
	DeleteExpiredDrafts(ctx context.Context, now time.Time) (storageKeys []string, err error)

	CreateAttachment(ctx context.Context, a *Attachment) error
	Attachment(ctx context.Context, tenantID, id string) (*Attachment, error)
	// DeleteAttachment deletes an attachment that belongs to a draft (not
	// a submission) and returns its storage key.
	DeleteAttachment(ctx context.Context, tenantID, id string) (storageKey string, err error)
	ListAttachments(ctx context.Context, tenantID, submissionID string) ([]*Attachment, error)
	// DraftAttachmentUsage returns the number and total size in bytes of
	// the attachments a draft holds (for the per-draft upload limits).
	DraftAttachmentUsage(ctx context.Context, tenantID, draftID string) (files int, bytes int64, err error)
	// ReserveUpload reserves room for one more attachment of at most want
	// bytes in an unsent draft, in one transaction that counts the
	// draft's attachments and unexpired reservations: it sets r.ID and
	// r.Bytes to what q.Grant allows, or returns ErrUploadQuota. An unknown
	// or expired draft (at now) is apperr.NotFound, a submitted one
	// apperr.Conflict.
	ReserveUpload(ctx context.Context, r *UploadReservation, q UploadQuota, want int64, now time.Time) error
	// CompleteUpload stores a (of r's draft, a.Size <= r.Bytes, else
	// apperr.Invalid) in place of the reservation r, in one transaction.
	// A reservation that is gone or a draft submitted meanwhile is
	// apperr.Conflict, and nothing is stored.
	CompleteUpload(ctx context.Context, r *UploadReservation, a *Attachment) error
	// ReleaseUpload ends a reservation without an attachment; one that is
	// gone is not an error.
	ReleaseUpload(ctx context.Context, tenantID, id string) error

	// Submit stores s with ev in one transaction. With a draft
	// (s.DraftID), it marks the draft submitted and clears its data; the
	// attachments in attachmentIDs move from the draft to s and the
	// draft's other attachments are deleted (their storage keys are
	// returned). If the draft was already submitted, or s.IdempotencyKey
	// was already used, it stores nothing and returns the existing
	// submission with created false. A taken Reference is
	// ErrReferenceTaken.
	Submit(ctx context.Context, s *Submission, ev *Event, attachmentIDs []string) (existing *Submission, created bool, orphanKeys []string, err error)
	// Receive stores a submission that arrived from elsewhere (Source,
	// ExternalRef set) with its attachments (content already stored) and
	// ev, in one transaction, with the deliveries of the receiving service
	// other than FIT-Connect. The same ExternalRef again returns the
	// stored submission with created false. A taken Reference is
	// ErrReferenceTaken.
	Receive(ctx context.Context, s *Submission, atts []*Attachment, ev *Event) (existing *Submission, created bool, err error)
	Submission(ctx context.Context, tenantID, id string) (*Submission, error)
	// SubmissionByExternalRef returns the tenant's received submission
	// with the reference (apperr.NotFound; "" finds nothing).
	SubmissionByExternalRef(ctx context.Context, tenantID, ref string) (*Submission, error)
	SubmissionByReference(ctx context.Context, tenantID, reference string) (*Submission, error)
	// SubmissionByDraft returns the submission made from a draft.
	SubmissionByDraft(ctx context.Context, tenantID, draftID string) (*Submission, error)
	// SubmissionByIdempotencyKey returns the submission a JSON API client
	// made with the key.
	SubmissionByIdempotencyKey(ctx context.Context, tenantID, key string) (*Submission, error)
	// ListSubmissions lists newest first (SubmittedAt descending, then ID
	// descending); Data is not loaded.
	ListSubmissions(ctx context.Context, tenantID string, f Filter) ([]*Submission, error)
	// SetStatus changes the status and records ev, in one transaction.
	SetStatus(ctx context.Context, tenantID, id string, status Status, ev *Event) error
	Events(ctx context.Context, tenantID, submissionID string) ([]*Event, error)
	// SetReceipt records that the receipt PDF of one of the tenant's
	// submissions, with the fingerprint (receipt.Fingerprint), is stored
	// under key in the blob store, and returns the key it replaces ("" for
	// none), whose content the caller deletes. A submission whose data
	// were purged is apperr.Gone and nothing is recorded: the caller
	// deletes key's content.
	SetReceipt(ctx context.Context, tenantID, id, key, fingerprint string) (replaced string, err error)
	// PurgeSubmissions deletes the data and attachments of submissions
	// that are abgeschlossen and last changed before the cut-off, across
	// all tenants, records an event for each, and returns the storage keys
	// of the deleted attachments and stored receipts.
	PurgeSubmissions(ctx context.Context, before time.Time) (storageKeys []string, err error)
	// PurgeUnpaid deletes the data and attachments of applications held
	// for a fee (payment.Open) sent before the cut-off whose fee was never
	// paid and is no longer asked about, across all tenants, records an
	// event for each, and returns the storage keys of the deleted
	// attachments and stored receipts.
	PurgeUnpaid(ctx context.Context, before time.Time) (storageKeys []string, err error)
}
