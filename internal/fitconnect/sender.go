package fitconnect

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/submission"
)

// MaxAttachmentBytes is the largest attachment the Sender sends and the
// Subscriber accepts (plaintext).
const MaxAttachmentBytes = 64 << 20

// SenderConfig configures a Sender.
type SenderConfig struct {
	// TokenURL, SubmissionAPI, DestinationAPI, Version and HTTPClient are
	// as in Config.
	TokenURL, SubmissionAPI, DestinationAPI, Version string
	HTTPClient                                       *http.Client
	// Roots are the trust anchors for destination key certificates (x5c).
	Roots *x509.CertPool
	// Credentials returns the tenant's FIT-Connect sender account. An
	// error wrapping apperr.NotFound means the tenant has none (the
	// delivery fails permanently).
	Credentials func(ctx context.Context, tenantID string) (clientID, clientSecret string, err error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Sender delivers submissions to FIT-Connect destinations
// (delivery.Sender) and follows their outcome (delivery.Follower), with one
// sender account per tenant.
type Sender struct {
	cfg SenderConfig

	mu      sync.Mutex
	clients map[string]*Client // tenant, client id and secret hash → client
}

var (
	_ delivery.Sender   = (*Sender)(nil)
	_ delivery.Follower = (*Sender)(nil)
)

// NewSender checks cfg and returns a Sender.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("FIT-Connect: keine Zugangsdaten-Quelle (Credentials)")
	}
	if cfg.Roots == nil {
		return nil, errors.New("FIT-Connect: keine Vertrauensanker (Roots) für Zustellpunkt-Schlüssel")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// Check the endpoints once.
	if _, err := NewClient(Config{TokenURL: cfg.TokenURL, SubmissionAPI: cfg.SubmissionAPI, DestinationAPI: cfg.DestinationAPI,
		Version: cfg.Version, ClientID: "-", ClientSecret: "-"}); err != nil {
		return nil, err
	}
	return &Sender{cfg: cfg, clients: map[string]*Client{}}, nil
}

func (s *Sender) client(ctx context.Context, tenantID string) (*Client, error) {
	id, secret, err := s.cfg.Credentials(ctx, tenantID)
	if err != nil {
		if errors.Is(err, apperr.NotFound) {
			return nil, delivery.Permanent(errors.New("FIT-Connect: für diesen Mandanten ist kein Sender-Zugang hinterlegt"))
		}
		return nil, fmt.Errorf("FIT-Connect: Zugangsdaten nicht lesbar: %w", err)
	}
	if id == "" || secret == "" {
		return nil, delivery.Permanent(errors.New("FIT-Connect: für diesen Mandanten ist kein Sender-Zugang hinterlegt"))
	}
	return cachedClient(&s.mu, s.clients, tenantID, id, secret, Config{
		TokenURL: s.cfg.TokenURL, SubmissionAPI: s.cfg.SubmissionAPI, DestinationAPI: s.cfg.DestinationAPI,
		Version: s.cfg.Version, HTTPClient: s.cfg.HTTPClient,
	})
}

// cachedClient returns the client for (scope, id, secret), creating it on
// first use, so that each account keeps one token source.
func cachedClient(mu *sync.Mutex, m map[string]*Client, scope, id, secret string, cfg Config) (*Client, error) {
	h := sha256.Sum256([]byte(secret))
	key := scope + "\x00" + id + "\x00" + hex.EncodeToString(h[:])
	mu.Lock()
	defer mu.Unlock()
	if c, ok := m[key]; ok {
		return c, nil
	}
	cfg.ClientID, cfg.ClientSecret = id, secret
	c, err := NewClient(cfg)
	if err != nil {
		return nil, delivery.Permanent(err)
	}
	// Drop stale entries of the same scope and id (a changed secret).
	prefix := scope + "\x00" + id + "\x00"
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			delete(m, k)
		}
	}
	m[key] = c
	return c, nil
}

// classify marks errors that a retry cannot fix as delivery.Permanent: a
// Problem that is not Retryable, and key or metadata errors.
func classify(err error) error {
	if err == nil || delivery.IsPermanent(err) {
		return err
	}
	var p *Problem
	if errors.As(err, &p) {
		if p.Retryable() {
			return err
		}
		return delivery.Permanent(err)
	}
	if errors.Is(err, ErrKeyInvalid) || errors.Is(err, ErrMetadata) {
		return delivery.Permanent(err)
	}
	return err
}

func notFound(err error) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == http.StatusNotFound
}

func stateInvalid(err error) bool {
	var p *Problem
	return errors.As(err, &p) && (p.Type == ProblemSubmissionStateInvalid || p.Status == http.StatusConflict)
}

// Send delivers p to the FIT-Connect destination of p.Delivery.Target
// (standards.md §1 "Sender flow"):
//
//  1. read the destination (it must be active and, if it lists services,
//     offer the service's LeiKa URN) and its encryption key, which must
//     pass CheckEncryptionKey;
//  2. unless p.Delivery.RemoteID is set (a retry), announce the submission
//     with the attachment ids and report the ids through p.Progress at once;
//  3. encrypt and upload each attachment, build, validate, encrypt and
//     submit metadata and data.
//
// A retry whose submit is refused as submission-state-invalid checks the
// event log and counts a verified submit-submission event as success. The
// outcome is Delivered. Errors are *Problem or describe the step; those
// that a retry cannot fix (4xx, bad key, invalid metadata, no LeiKa key)
// are wrapped with delivery.Permanent.
func (s *Sender) Send(ctx context.Context, p *delivery.Parcel) (delivery.Outcome, error) {
	if p == nil || p.Delivery == nil || p.Submission == nil || p.Service == nil {
		return delivery.Outcome{}, delivery.Permanent(errors.New("FIT-Connect: Zustellung unvollständig beschrieben"))
	}
	d := p.Delivery
	destID := d.Target.DestinationID
	urn := LeikaURN(p.Service.Leistungsschluessel)
	if urn == "" {
		return delivery.Outcome{}, delivery.Permanent(errors.New("FIT-Connect: Der Dienst hat keinen gültigen Leistungsschlüssel (LeiKa, 14 Ziffern); ohne ihn ist keine Zustellung möglich"))
	}
	if p.SchemaURI == "" {
		return delivery.Outcome{}, delivery.Permanent(errors.New("FIT-Connect: Die Formularversion hat keine Schema-URI"))
	}
	now := s.cfg.Now()
	c, err := s.client(ctx, d.TenantID)
	if err != nil {
		return delivery.Outcome{}, err
	}
	dest, err := c.Destination(ctx, destID)
	if err != nil {
		return delivery.Outcome{}, classify(err)
	}
	if dest.Status != "active" {
		return delivery.Outcome{}, delivery.Permanent(&Problem{Type: ProblemDestinationStateInvalid, Title: "Zustellpunkt nicht aktiv"})
	}
	if len(dest.Services) > 0 && !dest.Offers(urn) {
		return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("FIT-Connect: Der Zustellpunkt nimmt die Leistung %s nicht an", urn))
	}
	key, err := c.DestinationKey(ctx, destID, dest.EncryptionKid)
	if err != nil {
		return delivery.Outcome{}, classify(err)
	}
	if err := CheckEncryptionKey(key, s.cfg.Roots, now); err != nil {
		return delivery.Outcome{}, delivery.Permanent(err)
	}

	remoteID, caseID := d.RemoteID, d.CaseID
	resumed := remoteID != ""
	if !resumed {
		ids := make([]string, len(p.Attachments))
		for i, a := range p.Attachments {
			ids[i] = a.ID
		}
		ref, err := c.Announce(ctx, destID, ids, ServiceRef{Name: p.Service.Name, Identifier: urn})
		if err != nil {
			return delivery.Outcome{}, classify(err)
		}
		remoteID, caseID = ref.SubmissionID, ref.CaseID
		if p.Progress != nil {
			if err := p.Progress(ctx, remoteID, caseID); err != nil {
				return delivery.Outcome{}, fmt.Errorf("FIT-Connect-IDs nicht gespeichert: %w", err)
			}
		}
	}
	out := delivery.Outcome{State: delivery.Delivered, RemoteID: remoteID, CaseID: caseID}

	err = s.transfer(ctx, c, p, &key.JSONWebKey, remoteID, urn)
	if err != nil && resumed && notFound(err) {
		// The announced submission is gone at FIT-Connect. If it was never
		// submitted, the next attempt announces a new one.
		ok, ferr := s.submitted(ctx, c, remoteID, caseID, now)
		if ferr == nil && ok {
			return out, nil
		}
		if ferr == nil || notFound(ferr) {
			if p.Progress != nil {
				if err := p.Progress(ctx, "", ""); err != nil {
					return delivery.Outcome{}, err
				}
			}
			return delivery.Outcome{}, fmt.Errorf("FIT-Connect: die angekündigte Einreichung gibt es nicht mehr; der nächste Versuch kündigt sie neu an: %w", err)
		}
	}
	if err != nil && resumed && stateInvalid(err) {
		ok, ferr := s.submitted(ctx, c, remoteID, caseID, now)
		if ferr != nil {
			return delivery.Outcome{}, ferr
		}
		if ok {
			return out, nil
		}
	}
	if err != nil {
		return delivery.Outcome{}, classify(err)
	}
	return out, nil
}

// transfer uploads the attachments and submits metadata and data.
func (s *Sender) transfer(ctx context.Context, c *Client, p *delivery.Parcel, key *jose.JSONWebKey, remoteID, urn string) error {
	infos := make([]AttachmentInfo, 0, len(p.Attachments))
	for i, a := range p.Attachments {
		if p.Open == nil {
			return delivery.Permanent(errors.New("FIT-Connect: Anlagen können nicht gelesen werden"))
		}
		content, err := readAttachment(ctx, p, i)
		if err != nil {
			return err
		}
		sum := SHA512Hex(content)
		if a.SHA512 != "" && !strings.EqualFold(a.SHA512, sum) {
			return delivery.Permanent(fmt.Errorf("FIT-Connect: Anlage %d (%s): Inhalt stimmt nicht mit der gespeicherten Prüfsumme überein", i+1, a.ID))
		}
		mt := a.MediaType
		if mt == "" {
			mt = "application/octet-stream"
		}
		jwe, err := Encrypt(key, content, mt)
		if err != nil {
			return err
		}
		if err := c.UploadAttachment(ctx, remoteID, a.ID, jwe); err != nil {
			return err
		}
		infos = append(infos, AttachmentInfo{AttachmentID: a.ID, Hash: Hash{Type: "sha512", Content: sum},
			Purpose: "attachment", Filename: a.Filename, MimeType: mt})
	}
	meta, err := s.metadata(p, urn, infos)
	if err != nil {
		return err
	}
	encMeta, err := Encrypt(key, meta, "application/json")
	if err != nil {
		return err
	}
	encData, err := Encrypt(key, p.Submission.Data, "application/json")
	if err != nil {
		return err
	}
	_, err = c.Submit(ctx, remoteID, encMeta, encData)
	return err
}

// metadata builds and checks the metadata of p's submission (schema
// 1.0.0) with the attachments infos: the data's hash and schema, the
// service, the sender reference and application date, the identity
// evidence (AuthenticationInfo) and, for a paid application, the payment
// (PaymentInfo with p.Paid). Metadata the schema refuses, and a payment
// PaymentInfo cannot describe, are delivery.Permanent errors.
func (s *Sender) metadata(p *delivery.Parcel, urn string, infos []AttachmentInfo) ([]byte, error) {
	m := Metadata{
		ContentStructure: ContentStructure{
			Data: &DataInfo{
				Hash:             SHA512Hash(p.Submission.Data),
				SubmissionSchema: SubmissionSchema{SchemaURI: p.SchemaURI, MimeType: "application/json"},
			},
			Attachments: infos,
		},
		PublicServiceType: &PublicServiceType{Identifier: urn, Name: p.Service.Name},
		AdditionalReferenceInfo: &AdditionalReferenceInfo{
			SenderReference: senderReference(p.Submission),
			ApplicationDate: applicationDate(p.Submission.SubmittedAt, s.cfg.Now()),
		},
		// replyChannel is left out: antrag does not know one for FIT-Connect.
	}
	auth, err := AuthenticationInfo(p.Submission.Evidence)
	if err != nil {
		return nil, err
	}
	m.AuthenticationInformation = auth
	pay, err := PaymentInfo(p.Submission.Payment, p.Paid)
	if err != nil {
		return nil, delivery.Permanent(err)
	}
	m.PaymentInformation = pay
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := ValidateMetadata(meta); err != nil {
		return nil, delivery.Permanent(err)
	}
	return meta, nil
}

func readAttachment(ctx context.Context, p *delivery.Parcel, i int) ([]byte, error) {
	rc, err := p.Open(ctx, p.Attachments[i])
	if err != nil {
		return nil, fmt.Errorf("FIT-Connect: Anlage %d nicht lesbar: %w", i+1, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxAttachmentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("FIT-Connect: Anlage %d nicht lesbar: %w", i+1, err)
	}
	if len(b) > MaxAttachmentBytes {
		return nil, delivery.Permanent(fmt.Errorf("FIT-Connect: Anlage %d ist größer als 64 MiB", i+1))
	}
	return b, nil
}

// applicationDate is the date of submission in Europe/Berlin (YYYY-MM-DD).
func applicationDate(submitted, now time.Time) string {
	if submitted.IsZero() {
		submitted = now
	}
	return submitted.In(localtime.Berlin).Format(time.DateOnly)
}

// submitted reports whether the event log holds a verified submit-submission
// event for the submission.
func (s *Sender) submitted(ctx context.Context, c *Client, remoteID, caseID string, now time.Time) (bool, error) {
	sets, err := c.Events(ctx, remoteID, caseID)
	if err != nil {
		return false, classify(err)
	}
	keys := c.SETKeys(ctx, s.cfg.Roots, now)
	for _, tok := range sets {
		set, err := VerifySET(tok, keys, now)
		if err != nil {
			continue // only verified events count
		}
		if set.Event == EventSubmitSubmission && SameUUID(set.SubmissionID(), remoteID) {
			return true, nil
		}
	}
	return false, nil
}

// MaxReasonLength bounds the rejection reason taken from a SET (runes).
const MaxReasonLength = 2000

// Follow reads the event log of a delivered submission, verifies every SET
// (VerifySET with Client.SETKeys) and returns Accepted for a verified
// accept-submission, Rejected with Reason from the problems (title and
// detail) for reject-submission, and Delivered otherwise. Decisions count
// only when issued by the delivery's destination for this submission.
func (s *Sender) Follow(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error) {
	if d == nil || d.RemoteID == "" {
		return delivery.Outcome{}, errors.New("FIT-Connect: Die Einreichung wurde noch nicht angekündigt")
	}
	out := delivery.Outcome{State: delivery.Delivered, RemoteID: d.RemoteID, CaseID: d.CaseID}
	now := s.cfg.Now()
	c, err := s.client(ctx, d.TenantID)
	if err != nil {
		return delivery.Outcome{}, err
	}
	sets, err := c.Events(ctx, d.RemoteID, d.CaseID)
	if err != nil {
		var p *Problem
		if errors.As(err, &p) && p.Status == http.StatusNotFound {
			// The platform no longer knows the submission (deleted, or
			// expired): a new delivery must announce a new one.
			return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("%w: %w", apperr.Gone, err))
		}
		return delivery.Outcome{}, classify(err)
	}
	keys := c.SETKeys(ctx, s.cfg.Roots, now)
	var verified []*SET
	for _, tok := range sets {
		// An event that does not verify (forged, or signed with a key the
		// platform has since rotated out) is no decision: skip it.
		set, err := VerifySET(tok, keys, now)
		if err != nil {
			continue
		}
		verified = append(verified, set)
	}
	for _, set := range verified {
		if !SameUUID(set.SubmissionID(), d.RemoteID) || !SameUUID(set.Issuer, d.Target.DestinationID) {
			continue
		}
		switch set.Event {
		case EventAcceptSubmission:
			out.State = delivery.Accepted
			return out, nil
		case EventRejectSubmission:
			rp, err := set.Reject()
			if err != nil {
				return delivery.Outcome{}, err
			}
			out.State = delivery.Rejected
			out.Reason = rejectReason(rp.Problems)
			return out, nil
		}
	}
	return out, nil
}

func rejectReason(ps []Problem) string {
	var parts []string
	for _, p := range ps {
		t := strings.TrimSpace(p.Title)
		if d := strings.TrimSpace(p.Detail); d != "" {
			if t != "" {
				t += ": "
			}
			t += d
		}
		if t != "" {
			parts = append(parts, t)
		}
	}
	r := strings.Join(parts, "; ")
	if r == "" {
		r = "Abgelehnt ohne Begründung"
	}
	if rs := []rune(r); len(rs) > MaxReasonLength {
		r = string(rs[:MaxReasonLength-1]) + "…"
	}
	return r
}

// senderReference is additionalReferenceInfo.senderReference: the
// Vorgangsnummer the citizen was given (what they quote when they call the
// receiving authority), else the submission's id.
func senderReference(s *submission.Submission) string {
	if s.Reference != "" {
		return s.Reference
	}
	return s.ID
}
