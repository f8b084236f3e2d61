package fitconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/tenant"
)

// MaxCallbackBody is the largest callback body the handler reads.
const MaxCallbackBody = 1 << 20

// Destination is a FIT-Connect destination that a receiving tenant runs,
// with its subscriber account and keys.
type Destination struct {
	TenantID      string
	DestinationID string // UUID
	// ClientID and ClientSecret are the subscriber account.
	ClientID, ClientSecret string
	// CallbackSecret keys the callback HMAC (standards.md §1 "Callbacks").
	CallbackSecret []byte
	// PrivateKeys holds the private decryption key(s) and the private
	// signing key.
	PrivateKeys jose.JSONWebKeySet
	// SigningKid is the kid of the signing key in PrivateKeys.
	SigningKid string
}

// Inbox is where the Subscriber puts received submissions; the receiving
// side of antrag implements it.
type Inbox interface {
	// Service finds the receiving tenant's service for a LeiKa key (14
	// digits; "" when the sender gave no LeiKa URN) and the submission's
	// schema URI. It returns the service and a check of the data against
	// its form (nil if none is known, then the data is not checked), or an
	// error wrapping apperr.NotFound when the tenant does not offer it. The
	// check returns an error phrased for the sender when the data does not
	// fit the form; antrag's forms check with their rules (Regeln), so that
	// a field hidden by a rule need not be there although the JSON Schema
	// alone would require it.
	Service(ctx context.Context, tenantID, leikaKey, schemaURI string) (*tenant.Service, func(data []byte) error, error)
	// Stored reports whether the tenant has stored the FIT-Connect
	// submission before.
	Stored(ctx context.Context, tenantID, remoteID string) (bool, error)
	// Store stores the received submission and its attachments in one
	// step, idempotently by (TenantID, DestinationID, RemoteID); created is
	// false when it was stored before.
	Store(ctx context.Context, r *Received) (created bool, err error)
}

// Received is a decrypted, verified submission.
type Received struct {
	TenantID      string
	ServiceID     string
	FormVersionID string // the service's current form version ("" if none)
	DestinationID string
	RemoteID      string // FIT-Connect submissionId
	CaseID        string // FIT-Connect caseId
	// SenderReference is additionalReferenceInfo.senderReference (for
	// antrag senders: the sending submission's id).
	SenderReference string
	// ApplicationDate is additionalReferenceInfo.applicationDate
	// (YYYY-MM-DD) or "".
	ApplicationDate string
	// Data is the canonical JSON of the data with every attachmentId
	// replaced through AttachmentIDs. Its SHA-512 was checked against the
	// metadata before the rewrite. "{}" when only attachments were sent.
	Data []byte
	// AttachmentIDs maps the sender's attachment ids to the fresh local
	// ids, so that the receiver's rows never clash with the sender's when
	// both tenants share a database.
	AttachmentIDs map[string]string
	Attachments   []ReceivedAttachment
	// Metadata is the decrypted, schema-valid metadata as sent.
	Metadata *Metadata
	// ReceivedAt is when the submission was received.
	ReceivedAt time.Time
}

// ReceivedAttachment is one decrypted, verified attachment.
type ReceivedAttachment struct {
	ID        string // new local UUID
	RemoteID  string // the sender's attachmentId
	Filename  string
	MediaType string // the declared type, lower case, checked with AttachmentMediaType
	Content   []byte
	SHA512    string // lower-case hex, checked against the metadata
}

// MaxSubmissionBytes bounds the decrypted attachments of one received
// submission together, so that receiving holds a bounded amount in memory.
const MaxSubmissionBytes = 512 << 20

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// TokenURL, SubmissionAPI, DestinationAPI, Version and HTTPClient are
	// as in Config.
	TokenURL, SubmissionAPI, DestinationAPI, Version string
	HTTPClient                                       *http.Client
	// Destinations returns a destination by id; an error wrapping
	// apperr.NotFound when antrag does not run it.
	Destinations func(ctx context.Context, destinationID string) (*Destination, error)
	// ListDestinations returns all destinations to poll.
	ListDestinations func(ctx context.Context) ([]*Destination, error)
	// Inbox receives the submissions.
	Inbox Inbox
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets ids and outcomes only, never content; nil discards.
	Logger *slog.Logger
}

// Subscriber receives submissions for the destinations of receiving
// tenants (standards.md §1 "Subscriber flow").
type Subscriber struct {
	cfg SubscriberConfig

	mu      sync.Mutex
	clients map[string]*Client

	lockMu sync.Mutex
	locks  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// NewSubscriber checks cfg and returns a Subscriber.
func NewSubscriber(cfg SubscriberConfig) (*Subscriber, error) {
	if cfg.Destinations == nil || cfg.Inbox == nil {
		return nil, errors.New("FIT-Connect: Destinations und Inbox sind nötig")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := NewClient(Config{TokenURL: cfg.TokenURL, SubmissionAPI: cfg.SubmissionAPI, DestinationAPI: cfg.DestinationAPI,
		Version: cfg.Version, ClientID: "-", ClientSecret: "-"}); err != nil {
		return nil, err
	}
	return &Subscriber{cfg: cfg, clients: map[string]*Client{}, locks: map[string]*keyLock{}}, nil
}

func (s *Subscriber) client(d *Destination) (*Client, error) {
	return cachedClient(&s.mu, s.clients, d.DestinationID, d.ClientID, d.ClientSecret, Config{
		TokenURL: s.cfg.TokenURL, SubmissionAPI: s.cfg.SubmissionAPI, DestinationAPI: s.cfg.DestinationAPI,
		Version: s.cfg.Version, HTTPClient: s.cfg.HTTPClient,
	})
}

// lock serialises work on one submission (callback and poll may race).
func (s *Subscriber) lock(key string) func() {
	s.lockMu.Lock()
	l := s.locks[key]
	if l == nil {
		l = &keyLock{}
		s.locks[key] = l
	}
	l.refs++
	s.lockMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.lockMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.locks, key)
		}
		s.lockMu.Unlock()
	}
}

func (s *Subscriber) destination(ctx context.Context, destinationID string) (*Destination, error) {
	d, err := s.cfg.Destinations(ctx, destinationID)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("Zustellpunkt %s: %w", destinationID, apperr.NotFound)
	}
	return d, nil
}

// Receive fetches one submission for a destination, decrypts and verifies
// it, stores it through the Inbox and confirms it with an accept-submission
// event signed by the destination (standards.md §1 "Subscriber flow"):
//
//   - metadata must decrypt, name no metadata schema other than 1.0.0 in
//     "$schema", and be valid against metadata schema 1.0.0;
//   - data and every attachment must decrypt and match their SHA-512 in
//     the metadata; announced and described attachments must be the same;
//   - data is optional (contentStructure.data): without it the submission
//     holds attachments only and its data is the empty document {}, which
//     the form must accept (a form with a required element refuses it);
//   - the tenant must offer the service (Inbox.Service), and the data must
//     be valid against the form's JSON Schema when one is known.
//
// When a check fails, nothing is stored, a reject-submission event with a
// German problem is posted, and the error is a *RejectedError. Other errors
// (network, storage) leave the submission for a later attempt.
func (s *Subscriber) Receive(ctx context.Context, destinationID, submissionID string) error {
	id, err := parseUUID(submissionID)
	if err != nil {
		return fmt.Errorf("FIT-Connect: Einreichungs-ID %q ist keine UUID", submissionID)
	}
	dest, err := s.destination(ctx, destinationID)
	if err != nil {
		return err
	}
	// One lock per UUID, however its hex digits are spelled (a callback
	// and a poll may spell them differently).
	defer s.lock(id.String())()
	c, err := s.client(dest)
	if err != nil {
		return err
	}
	sub, err := c.Submission(ctx, submissionID)
	if err != nil {
		return err
	}
	if sub.CaseID == "" || sub.SubmissionID == "" {
		return fmt.Errorf("FIT-Connect: Einreichung %s ohne submissionId oder caseId", submissionID)
	}
	if !SameUUID(sub.DestinationID, dest.DestinationID) {
		return fmt.Errorf("FIT-Connect: Einreichung %s gehört nicht zum Zustellpunkt %s", submissionID, dest.DestinationID)
	}
	signer, err := signingKey(dest)
	if err != nil {
		return err
	}
	rc := &receipt{s: s, c: c, dest: dest, sub: sub, signer: signer, tags: &AuthenticationTags{}}
	// Stored before (its accept-submission was lost): confirm it again,
	// without checking anew what was already taken (a check that depends
	// on the date or the catalogue could now come out otherwise).
	stored, err := s.cfg.Inbox.Stored(ctx, dest.TenantID, sub.SubmissionID)
	if err != nil {
		return err
	}
	created := false
	if stored {
		if err := rc.tagsOnly(ctx); err != nil {
			return err
		}
	} else {
		r, rej, err := rc.open(ctx)
		if err != nil {
			return err
		}
		if rej != nil {
			return rc.reject(ctx, *rej)
		}
		if created, err = s.cfg.Inbox.Store(ctx, r); err != nil {
			return fmt.Errorf("FIT-Connect: Einreichung %s nicht gespeichert: %w", submissionID, err)
		}
	}
	set, err := SignSET(signer, SETClaims{
		Issuer: dest.DestinationID, IssuedAt: s.cfg.Now(),
		Subject: SubmissionSubject(sub.SubmissionID), Txn: CaseTxn(sub.CaseID),
		Event: EventAcceptSubmission, Payload: AcceptPayload{AuthenticationTags: rc.tags},
	})
	if err != nil {
		return err
	}
	if err := c.PostEvent(ctx, sub.CaseID, set); err != nil {
		if !created && stateInvalid(err) {
			return nil // confirmed before
		}
		return fmt.Errorf("FIT-Connect: Empfangsbestätigung für %s nicht gesendet: %w", submissionID, err)
	}
	s.cfg.Logger.InfoContext(ctx, "FIT-Connect submission accepted",
		"destination", dest.DestinationID, "submission", sub.SubmissionID, "new", created)
	return nil
}

func signingKey(d *Destination) (*jose.JSONWebKey, error) {
	for i := range d.PrivateKeys.Keys {
		k := &d.PrivateKeys.Keys[i]
		if k.KeyID == d.SigningKid && !k.IsPublic() {
			return k, nil
		}
	}
	return nil, fmt.Errorf("FIT-Connect: Zustellpunkt %s hat keinen privaten Signaturschlüssel %q", d.DestinationID, d.SigningKid)
}

// receipt is one Receive in progress.
type receipt struct {
	s      *Subscriber
	c      *Client
	dest   *Destination
	sub    *EncryptedSubmission
	signer *jose.JSONWebKey
	tags   *AuthenticationTags
}

func problem(typ, title, detail, instance string) *Problem {
	return &Problem{Type: typ, Title: title, Detail: detail, Instance: instance}
}

// open decrypts and checks the submission. It returns either the Received,
// or a Problem to reject with, or an error for a later retry.
// tagsOnly collects the authentication tags of a submission without
// decrypting it (for confirming one stored before).
func (rc *receipt) tagsOnly(ctx context.Context) error {
	rc.tags.Metadata, _ = AuthTag(rc.sub.EncryptedMetadata)
	rc.tags.Data, _ = AuthTag(rc.sub.EncryptedData)
	for _, id := range rc.sub.Attachments {
		jwe, err := rc.c.Attachment(ctx, rc.sub.SubmissionID, id)
		if err != nil {
			return err
		}
		if tag, err := AuthTag(jwe); err == nil {
			if rc.tags.Attachments == nil {
				rc.tags.Attachments = map[string]string{}
			}
			rc.tags.Attachments[id] = tag
		}
	}
	return nil
}

func (rc *receipt) open(ctx context.Context) (*Received, *Problem, error) {
	keys := rc.dest.PrivateKeys.Keys
	sub := rc.sub
	if tag, err := AuthTag(sub.EncryptedMetadata); err == nil {
		rc.tags.Metadata = tag
	}
	metaRaw, err := DecryptMax(keys, sub.EncryptedMetadata, MaxJSONResponse)
	if err != nil {
		return nil, decryptProblem("Metadaten", "metadata", err), nil
	}
	if err := ValidateMetadata(metaRaw); errors.Is(err, ErrMetadataVersion) {
		return nil, problem(RejectSyntaxViolation, "Metadatenschema nicht unterstützt", err.Error(), "metadata"), nil
	} else if err != nil {
		return nil, problem(RejectSyntaxViolation, "Metadaten ungültig", err.Error(), "metadata"), nil
	}
	var m Metadata
	if err := json.Unmarshal(metaRaw, &m); err != nil {
		return nil, problem(RejectSyntaxViolation, "Metadaten ungültig", "Die Metadaten sind nicht lesbar.", "metadata"), nil
	}
	if tag, err := AuthTag(sub.EncryptedData); err == nil {
		rc.tags.Data = tag
	}
	data, p := openData(keys, m.ContentStructure.Data, sub.EncryptedData)
	if p != nil {
		return nil, p, nil
	}
	// contentStructure.data is optional (metadata schema 1.0.0): a
	// submission of attachments only is an empty data document, which the
	// form checks below like any other.
	attachmentsOnly := data == nil
	if attachmentsOnly {
		data = []byte("{}")
	}

	// Attachments: announced (sub.Attachments) and described (metadata)
	// must be the same set.
	described := map[string]AttachmentInfo{}
	for _, a := range m.ContentStructure.Attachments {
		described[strings.ToLower(a.AttachmentID)] = a
	}
	announced := map[string]bool{}
	for _, id := range sub.Attachments {
		announced[strings.ToLower(id)] = true
	}
	if len(described) != len(m.ContentStructure.Attachments) {
		return nil, problem(RejectSubmissionValidation, "Anlagen doppelt beschrieben", "Eine Anlage ist in den Metadaten mehrfach aufgeführt.", "metadata"), nil
	}
	for id := range announced {
		if _, ok := described[id]; !ok {
			return nil, problem(RejectMissingAttachment, "Anlage nicht beschrieben", "Anlage "+id+" fehlt in den Metadaten.", "attachment:"+id), nil
		}
	}
	for id := range described {
		if !announced[id] {
			return nil, problem(RejectMissingAttachment, "Anlage fehlt", "Anlage "+id+" ist in den Metadaten beschrieben, wurde aber nicht übermittelt.", "attachment:"+id), nil
		}
	}
	idMap := map[string]string{}
	files := map[string]fileFacts{}
	var total int64
	var atts []ReceivedAttachment
	for _, a := range m.ContentStructure.Attachments {
		remote := a.AttachmentID
		jwe, err := rc.c.Attachment(ctx, sub.SubmissionID, remote)
		if err != nil {
			return nil, nil, err
		}
		if tag, err := AuthTag(jwe); err == nil {
			if rc.tags.Attachments == nil {
				rc.tags.Attachments = map[string]string{}
			}
			rc.tags.Attachments[remote] = tag
		}
		content, err := DecryptMax(keys, jwe, min(MaxAttachmentBytes, MaxSubmissionBytes-total))
		if err != nil {
			return nil, decryptProblem("Anlage", "attachment:"+remote, err), nil
		}
		total += int64(len(content))
		if total > MaxSubmissionBytes {
			return nil, problem(RejectSubmissionValidation, "Anlagen zu groß", fmt.Sprintf("Die Anlagen einer Einreichung dürfen zusammen höchstens %d MiB groß sein.", MaxSubmissionBytes>>20), "attachment:"+remote), nil
		}
		if len(content) > MaxAttachmentBytes {
			return nil, problem(RejectSubmissionValidation, "Anlage zu groß", "Anlage "+remote+" ist größer als 64 MiB.", "attachment:"+remote), nil
		}
		sum := SHA512Hex(content)
		if sum != strings.ToLower(a.Hash.Content) {
			return nil, problem(RejectHashMismatch, "Prüfsumme einer Anlage falsch",
				"Der SHA-512-Hashwert von Anlage "+remote+" stimmt nicht mit den Metadaten überein.", "attachment:"+remote), nil
		}
		// The declared type must fit the content (AttachmentMediaType);
		// the name is cleaned for display (no directories, no control or
		// bidi characters).
		mediaType, err := AttachmentMediaType(a.MimeType, content)
		if err != nil {
			detail := "Anlage " + remote + " hat keinen gültigen Dateityp (" + a.MimeType + ")."
			if me, ok := errors.AsType[*MediaTypeError](err); ok {
				detail = "Anlage " + remote + " ist " + me.Error() + "."
			}
			return nil, problem(RejectSubmissionValidation, "Dateityp einer Anlage falsch", detail, "attachment:"+remote), nil
		}
		local := uuid.NewString()
		idMap[strings.ToLower(remote)] = local
		files[local] = fileFacts{name: form.CleanFilename(a.Filename), mediaType: mediaType, size: int64(len(content))}
		atts = append(atts, ReceivedAttachment{ID: local, RemoteID: remote, Filename: files[local].name,
			MediaType: mediaType, Content: content, SHA512: sum})
	}

	// The service.
	identifier := sub.Service.Identifier
	if m.PublicServiceType != nil {
		identifier = m.PublicServiceType.Identifier
	}
	var schemaURI string
	if m.ContentStructure.Data != nil {
		schemaURI = m.ContentStructure.Data.SubmissionSchema.SchemaURI
	}
	svc, check, err := rc.s.cfg.Inbox.Service(ctx, rc.dest.TenantID, LeikaKey(identifier), schemaURI)
	if errors.Is(err, apperr.NotFound) {
		detail := "Dieser Zustellpunkt nimmt die Leistung " + identifier + " mit dem Schema " + schemaURI + " nicht an."
		if schemaURI == "" {
			detail = "Dieser Zustellpunkt nimmt die Leistung " + identifier + " nicht an."
		}
		return nil, problem(RejectUnsupportedService, "Leistung nicht angeboten", detail, "metadata"), nil
	}
	if err != nil {
		return nil, nil, err
	}
	if svc == nil {
		return nil, nil, errors.New("FIT-Connect: Inbox.Service gab keinen Dienst zurück")
	}
	rewritten, p := rewriteAttachmentIDs(data, idMap, files)
	if p != nil {
		return nil, p, nil
	}
	// The form checks the data with the file references as stored, so
	// that a field's allowed types (XDatenfelder mediaType) apply to the
	// checked type.
	if check != nil {
		if err := check(rewritten); err != nil {
			if attachmentsOnly {
				return nil, problem(RejectSubmissionValidation, "Fachdaten fehlen",
					"Die Einreichung enthält nur Anlagen und keine Fachdaten, das Formular der Leistung verlangt aber Angaben: "+err.Error(), "data"), nil
			}
			return nil, problem(RejectSchemaViolation, "Fachdaten entsprechen nicht dem Schema", err.Error(), "data"), nil
		}
	}
	r := &Received{
		TenantID: rc.dest.TenantID, ServiceID: svc.ID, FormVersionID: svc.FormVersionID,
		DestinationID: rc.dest.DestinationID, RemoteID: sub.SubmissionID, CaseID: sub.CaseID,
		Data: rewritten, AttachmentIDs: idMap, Attachments: atts, Metadata: &m,
		ReceivedAt: rc.s.cfg.Now(),
	}
	if ai := m.AdditionalReferenceInfo; ai != nil {
		r.SenderReference, r.ApplicationDate = ai.SenderReference, ai.ApplicationDate
	}
	return r, nil, nil
}

// openData decrypts and checks the data (Fachdaten) of a submission
// against its description in the metadata (info, nil when absent). It
// returns nil data and no Problem when neither was sent (attachments
// only), and a Problem saying which part is missing or wrong otherwise.
func openData(keys []jose.JSONWebKey, info *DataInfo, encrypted string) ([]byte, *Problem) {
	switch {
	case info == nil && encrypted == "":
		return nil, nil
	case info == nil:
		return nil, problem(RejectSubmissionValidation, "Fachdaten nicht beschrieben",
			"Die Einreichung enthält Fachdaten, die Metadaten beschreiben sie aber nicht (contentStructure.data fehlt).", "metadata")
	case encrypted == "":
		return nil, problem(RejectSubmissionValidation, "Fachdaten fehlen",
			"Die Metadaten beschreiben Fachdaten (contentStructure.data), die Einreichung enthält aber keine.", "data")
	}
	if mt := info.SubmissionSchema.MimeType; mt != "application/json" {
		// antrag's services are FIM forms whose data antrag checks against
		// their JSON Schema; none has an XML schema to check XML data
		// (XFall, xdomea) against.
		return nil, problem(RejectSubmissionValidation, "Fachdatenformat nicht unterstützt", fmt.Sprintf(
			"Die Fachdaten sind als %q angegeben. Die Leistungen dieses Zustellpunkts erwarten Fachdaten als JSON (application/json) nach dem JSON Schema ihres Formulars; XML-Fachdaten nimmt er nicht an.", mt), "data")
	}
	data, err := DecryptMax(keys, encrypted, MaxJSONResponse)
	if err != nil {
		return nil, decryptProblem("Fachdaten", "data", err)
	}
	if SHA512Hex(data) != strings.ToLower(info.Hash.Content) {
		return nil, problem(RejectHashMismatch, "Prüfsumme der Fachdaten falsch",
			"Der SHA-512-Hashwert der Fachdaten stimmt nicht mit den Metadaten überein.", "data")
	}
	return data, nil
}

// fileFacts are what antrag found out about a received attachment.
type fileFacts struct {
	name, mediaType string
	size            int64
}

// rewriteAttachmentIDs replaces the attachmentId of every file reference in
// the data document through idMap, and its filename, mimeType and size by
// what the attachment (files, by new id) really is, and returns canonical
// JSON. A reference to an attachment that was not sent is a Problem.
func rewriteAttachmentIDs(data []byte, idMap map[string]string, files map[string]fileFacts) ([]byte, *Problem) {
	doc, err := form.DecodeData(strings.NewReader(string(data)))
	if err != nil {
		return nil, problem(RejectSyntaxViolation, "Fachdaten ungültig", "Die Fachdaten sind kein JSON-Objekt.", "data")
	}
	var bad string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["attachmentId"].(string); ok {
				if n, ok := idMap[strings.ToLower(id)]; ok {
					x["attachmentId"] = n
					if f, ok := files[n]; ok {
						x["filename"], x["mimeType"], x["size"] = f.name, f.mediaType, json.Number(fmt.Sprint(f.size))
					}
				} else if bad == "" {
					bad = id
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	if bad != "" {
		return nil, problem(RejectMissingAttachment, "Anlage fehlt", "Die Fachdaten verweisen auf eine nicht übermittelte Anlage.", "data")
	}
	out, err := form.MarshalData(doc)
	if errors.Is(err, form.ErrDataTooLarge) {
		return nil, problem(RejectSubmissionValidation, "Fachdaten zu groß",
			fmt.Sprintf("Die Fachdaten sind in kanonischer Form größer als %d MiB.", form.MaxDataBytes>>20), "data")
	}
	if err != nil {
		return nil, problem(RejectSyntaxViolation, "Fachdaten ungültig", "Die Fachdaten sind nicht lesbar.", "data")
	}
	return out, nil
}

// reject posts reject-submission with p and returns the *RejectedError.
func (rc *receipt) reject(ctx context.Context, p Problem) error {
	rej := &RejectedError{SubmissionID: rc.sub.SubmissionID, Problem: p}
	var tags *AuthenticationTags
	if rc.tags.Metadata != "" {
		tags = rc.tags
	}
	set, err := SignSET(rc.signer, SETClaims{
		Issuer: rc.dest.DestinationID, IssuedAt: rc.s.cfg.Now(),
		Subject: SubmissionSubject(rc.sub.SubmissionID), Txn: CaseTxn(rc.sub.CaseID),
		Event: EventRejectSubmission, Payload: RejectPayload{Problems: []Problem{p}, AuthenticationTags: tags},
	})
	if err != nil {
		return errors.Join(rej, err)
	}
	if err := rc.c.PostEvent(ctx, rc.sub.CaseID, set); err != nil {
		return errors.Join(rej, fmt.Errorf("FIT-Connect: Ablehnung nicht gesendet: %w", err))
	}
	rc.s.cfg.Logger.WarnContext(ctx, "FIT-Connect submission rejected",
		"destination", rc.dest.DestinationID, "submission", rc.sub.SubmissionID, "reason", p.Title)
	return rej
}

// Poll lists the waiting submissions of every destination
// (ListDestinations) and receives each. n counts the submissions accepted;
// rejected ones are neither counted nor errors. Other failures are joined
// into err; polling goes on with the next submission.
func (s *Subscriber) Poll(ctx context.Context) (n int, err error) {
	if s.cfg.ListDestinations == nil {
		return 0, errors.New("FIT-Connect: ListDestinations fehlt")
	}
	dests, err := s.cfg.ListDestinations(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, d := range dests {
		c, err := s.client(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		refs, err := c.Submissions(ctx, d.DestinationID)
		if err != nil {
			errs = append(errs, fmt.Errorf("Zustellpunkt %s: %w", d.DestinationID, err))
			continue
		}
		for _, ref := range refs {
			if ref.DestinationID != "" && !SameUUID(ref.DestinationID, d.DestinationID) {
				continue
			}
			err := s.Receive(ctx, d.DestinationID, ref.SubmissionID)
			var rej *RejectedError
			switch {
			case err == nil:
				n++
			case errors.As(err, &rej) && !isJoined(err):
			default:
				errs = append(errs, err)
			}
			if ctx.Err() != nil {
				return n, errors.Join(append(errs, ctx.Err())...)
			}
		}
	}
	return n, errors.Join(errs...)
}

// isJoined reports whether err carries more than a RejectedError (the
// rejection could not be posted).
func isJoined(err error) bool {
	_, ok := err.(interface{ Unwrap() []error })
	return ok
}

// callbackBody is a FIT-Connect callback (standards.md §1 "Callbacks").
type callbackBody struct {
	Type          string          `json:"type"`
	Submissions   []SubmissionRef `json:"submissions"`
	SubmissionIDs []string        `json:"submissionIds"` // deprecated
}

// CallbackHandler answers FIT-Connect callbacks on a route with the path
// value "destination" (e.g. "POST /fit-connect/callback/{destination}"):
// it reads at most MaxCallbackBody bytes, looks up the destination (404
// when unknown), checks the callback HMAC and timestamp with VerifyCallback
// (401 otherwise), receives the listed submissions of that destination
// (others are ignored) and answers 204. Callbacks of other types are
// acknowledged with 204. When a submission could not be received for a
// reason other than a rejection, it answers 503 so that the platform calls
// again (Poll catches up as well). Errors are application/problem+json.
func (s *Subscriber) CallbackHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeProblem(w, http.StatusMethodNotAllowed, "Methode nicht erlaubt", "Callbacks werden per POST gesendet.")
			return
		}
		ctx := r.Context()
		destID := r.PathValue("destination")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeProblem(w, http.StatusRequestEntityTooLarge, "Callback zu groß", "Höchstens 1 MiB.")
				return
			}
			writeProblem(w, http.StatusBadRequest, "Callback nicht lesbar", "")
			return
		}
		if uuid.Validate(destID) != nil {
			writeProblem(w, http.StatusNotFound, "Zustellpunkt unbekannt", "")
			return
		}
		dest, err := s.destination(ctx, destID)
		if errors.Is(err, apperr.NotFound) {
			writeProblem(w, http.StatusNotFound, "Zustellpunkt unbekannt", "")
			return
		}
		if err != nil {
			s.cfg.Logger.ErrorContext(ctx, "FIT-Connect callback: destination not readable", "destination", destID, "error", err)
			writeProblem(w, http.StatusInternalServerError, "Interner Fehler", "")
			return
		}
		err = VerifyCallback(dest.CallbackSecret, r.Header.Get(HeaderCallbackTimestamp), r.Header.Get(HeaderCallbackAuthentication), body, s.cfg.Now())
		if err != nil {
			s.cfg.Logger.WarnContext(ctx, "FIT-Connect callback refused", "destination", destID, "reason", err.Error())
			title := "Callback-Signatur ungültig"
			if errors.Is(err, ErrCallbackExpired) {
				title = "Callback-Zeitstempel abgelaufen"
			} else if errors.Is(err, ErrCallbackHeader) {
				title = "Callback-Header fehlen oder sind ungültig"
			}
			writeProblem(w, http.StatusUnauthorized, title, err.Error())
			return
		}
		var cb callbackBody
		if err := json.Unmarshal(body, &cb); err != nil {
			writeProblem(w, http.StatusBadRequest, "Callback ist kein gültiges JSON", "")
			return
		}
		if cb.Type != "" && cb.Type != CallbackNewSubmissions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		ids := cb.SubmissionIDs
		for _, ref := range cb.Submissions {
			if ref.DestinationID == "" || SameUUID(ref.DestinationID, dest.DestinationID) {
				ids = append(ids, ref.SubmissionID)
			}
		}
		failed := 0
		for _, id := range ids {
			err := s.Receive(ctx, dest.DestinationID, id)
			var rej *RejectedError
			if err != nil && !(errors.As(err, &rej) && !isJoined(err)) {
				failed++
				s.cfg.Logger.ErrorContext(ctx, "FIT-Connect submission not fetched", "destination", destID, "submission", id, "error", err)
			}
		}
		if failed > 0 {
			writeProblem(w, http.StatusServiceUnavailable, "Einreichungen nicht vollständig abgerufen",
				fmt.Sprintf("%d von %d Einreichungen werden später erneut abgerufen.", failed, len(ids)))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Problem{Type: "about:blank", Title: title, Status: status, Detail: detail})
}
