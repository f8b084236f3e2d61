package fitconnect

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// Event URIs of FIT-Connect Security Event Tokens (standards.md §1
// "Events"; php-fitconnect src/Enums/FitConnectEventState.php).
const (
	EventPrefix            = "https://schema.fitko.de/fit-connect/events/"
	EventCreateSubmission  = EventPrefix + "create-submission"
	EventSubmitSubmission  = EventPrefix + "submit-submission"
	EventNotifySubmission  = EventPrefix + "notify-submission"
	EventForwardSubmission = EventPrefix + "forward-submission"
	EventRejectSubmission  = EventPrefix + "reject-submission"
	EventAcceptSubmission  = EventPrefix + "accept-submission"
	EventDeleteSubmission  = EventPrefix + "delete-submission"
)

// SETType is the typ header of a FIT-Connect SET (RFC 8417 §2.3).
const SETType = "secevent+jwt"

// MaxSETFutureSkew is how far iat may lie in the future.
const MaxSETFutureSkew = 5 * time.Minute

// ErrSET is wrapped by every error of VerifySET.
var ErrSET = errors.New("FIT-Connect-Ereignis (SET) ungültig")

var setAlgs = []jose.SignatureAlgorithm{jose.PS512}

// SETClaims are the claims of a SET to sign.
type SETClaims struct {
	ID       string    // jti; a random UUID when empty
	Issuer   string    // iss: the destination id (UUID) or the platform's URL
	IssuedAt time.Time // iat, written in unix seconds; time.Now() when zero
	Subject  string    // sub, e.g. "submission:<uuid>" (see SubmissionSubject)
	Txn      string    // txn, e.g. "case:<uuid>" (see CaseTxn)
	Event    string    // the one event URI, e.g. EventAcceptSubmission
	Payload  any       // the event's payload object; nil is {}
}

// SubmissionSubject is the sub claim for a submission: "submission:<id>".
func SubmissionSubject(submissionID string) string { return "submission:" + submissionID }

// CaseTxn is the txn claim for a case: "case:<id>".
func CaseTxn(caseID string) string { return "case:" + caseID }

// AuthenticationTags are the JWE authentication tags (AuthTag) of a
// submission's parts, as carried by accept-submission and reject-submission
// (standards.md §1 "Subscriber flow").
type AuthenticationTags struct {
	Metadata    string            `json:"metadata"`
	Data        string            `json:"data,omitempty"`
	Attachments map[string]string `json:"attachments,omitempty"` // attachmentId → tag
}

// AcceptPayload is the payload of accept-submission.
type AcceptPayload struct {
	AuthenticationTags *AuthenticationTags `json:"authenticationTags,omitempty"`
}

// RejectPayload is the payload of reject-submission.
type RejectPayload struct {
	Problems           []Problem           `json:"problems"`
	AuthenticationTags *AuthenticationTags `json:"authenticationTags,omitempty"`
}

// SignSET signs c as a compact SET with header alg PS512, typ
// "secevent+jwt" and kid = key.KeyID. key must be a private RSA key.
func SignSET(key *jose.JSONWebKey, c SETClaims) (string, error) {
	if key == nil {
		return "", errors.New("SET: kein Signaturschlüssel")
	}
	if _, ok := key.Key.(*rsa.PrivateKey); !ok {
		return "", errors.New("SET: Signaturschlüssel muss ein privater RSA-Schlüssel sein")
	}
	if key.KeyID == "" {
		return "", errors.New("SET: Signaturschlüssel ohne kid")
	}
	if c.Issuer == "" || c.Subject == "" || c.Txn == "" || c.Event == "" {
		return "", errors.New("SET: iss, sub, txn und Ereignis sind nötig")
	}
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	payload := c.Payload
	if payload == nil {
		payload = struct{}{}
	}
	body, err := json.Marshal(map[string]any{
		"jti":    c.ID,
		"iss":    c.Issuer,
		"iat":    c.IssuedAt.Unix(),
		"sub":    c.Subject,
		"txn":    c.Txn,
		"events": map[string]any{c.Event: payload},
	})
	if err != nil {
		return "", fmt.Errorf("SET: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: key},
		(&jose.SignerOptions{}).WithType(SETType))
	if err != nil {
		return "", fmt.Errorf("SET: %w", err)
	}
	obj, err := signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("SET: %w", err)
	}
	return obj.CompactSerialize()
}

// SET is a verified Security Event Token.
type SET struct {
	ID       string // jti
	Issuer   string // iss
	IssuedAt time.Time
	Subject  string // sub
	Txn      string // txn
	KeyID    string // kid of the signing key
	Event    string // the event URI
	Payload  json.RawMessage
}

// SubmissionID returns the id in a sub of the form "submission:<id>", or "".
// Compare it with SameUUID: the event schema allows upper-case hex.
func (s *SET) SubmissionID() string {
	id, ok := strings.CutPrefix(s.Subject, "submission:")
	if !ok {
		return ""
	}
	return id
}

// SameUUID reports whether a and b are the same UUID (RFC 9562), whatever
// the case of their hex digits. Either one not being a UUID in the
// 36-character form (8-4-4-4-12 hex digits) gives false. Ids that come from
// outside (submissionId, caseId, destinationId, a SET's sub and iss) are
// compared with it.
func SameUUID(a, b string) bool {
	ua, err := parseUUID(a)
	if err != nil {
		return false
	}
	ub, err := parseUUID(b)
	return err == nil && ua == ub
}

// parseUUID parses the 36-character form of a UUID only; uuid.Parse also
// takes the urn:uuid:, braced and 32-digit forms, which FIT-Connect ids
// never have.
func parseUUID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.UUID{}, fmt.Errorf("keine UUID: %q", s)
	}
	return uuid.Parse(s)
}

// setSubjectPrefixes are the forms of a SET's sub: "submission:<uuid>" for
// the submission events and "reply:<uuid>" for the reply events
// (standards.md §1 "Events").
var setSubjectPrefixes = []string{"submission:", "reply:"}

// Accept decodes the payload of an accept-submission event.
func (s *SET) Accept() (*AcceptPayload, error) {
	var p AcceptPayload
	if err := json.Unmarshal(s.Payload, &p); err != nil {
		return nil, fmt.Errorf("%w: accept-submission: %v", ErrSET, err)
	}
	return &p, nil
}

// Reject decodes the payload of a reject-submission event.
func (s *SET) Reject() (*RejectPayload, error) {
	var p RejectPayload
	if err := json.Unmarshal(s.Payload, &p); err != nil {
		return nil, fmt.Errorf("%w: reject-submission: %v", ErrSET, err)
	}
	return &p, nil
}

// VerifySET checks a compact SET as FIT-Connect requires (standards.md §1
// "Events"): header typ "secevent+jwt" or "application/secevent+jwt" in
// any case (RFC 7515 §4.1.9) and alg PS512 (anything else,
// including RS256, HS256 and none, is rejected before any key is used); a
// valid signature by the key that key(iss, kid) returns (the header's own
// jwk or x5c is never trusted); claims jti, iss, iat, sub, txn and exactly
// one event whose payload is an object; jti a UUID; sub "submission:<uuid>"
// or "reply:<uuid>"; iat at most five minutes after now.
// Errors wrap ErrSET.
func VerifySET(token string, key func(iss, kid string) (*jose.JSONWebKey, error), now time.Time) (*SET, error) {
	obj, err := jose.ParseSignedCompact(strings.TrimSpace(token), setAlgs)
	if err != nil {
		var ua *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &ua) {
			return nil, fmt.Errorf("%w: Signaturalgorithmus %q nicht erlaubt, nur PS512", ErrSET, string(ua.Got))
		}
		return nil, fmt.Errorf("%w: kein gültiges JWS: %v", ErrSET, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, fmt.Errorf("%w: genau eine Signatur erwartet", ErrSET)
	}
	h := obj.Signatures[0].Protected
	if h.Algorithm != string(jose.PS512) {
		return nil, fmt.Errorf("%w: Signaturalgorithmus %q nicht erlaubt, nur PS512", ErrSET, h.Algorithm)
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !isSETType(typ) {
		return nil, fmt.Errorf("%w: typ muss %q sein, nicht %q", ErrSET, SETType, typ)
	}
	if h.KeyID == "" {
		return nil, fmt.Errorf("%w: kid fehlt", ErrSET)
	}
	var peek struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(obj.UnsafePayloadWithoutVerification(), &peek); err != nil || peek.Iss == "" {
		return nil, fmt.Errorf("%w: iss fehlt", ErrSET)
	}
	k, err := key(peek.Iss, h.KeyID)
	if err != nil {
		return nil, fmt.Errorf("%w: Schlüssel %s von %s: %w", ErrSET, h.KeyID, peek.Iss, err)
	}
	if k == nil || k.Key == nil {
		return nil, fmt.Errorf("%w: kein Schlüssel %s", ErrSET, h.KeyID)
	}
	verifyKey := k.Key
	if !k.IsPublic() {
		verifyKey = k.Public().Key
	}
	body, err := obj.Verify(verifyKey)
	if err != nil {
		return nil, fmt.Errorf("%w: Signatur ungültig", ErrSET)
	}
	var c struct {
		JTI    string                     `json:"jti"`
		Iss    string                     `json:"iss"`
		Iat    *json.Number               `json:"iat"`
		Sub    string                     `json:"sub"`
		Txn    string                     `json:"txn"`
		Events map[string]json.RawMessage `json:"events"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: Claims sind kein JSON-Objekt", ErrSET)
	}
	var missing []string
	for _, m := range []struct {
		name string
		ok   bool
	}{{"jti", c.JTI != ""}, {"iss", c.Iss != ""}, {"iat", c.Iat != nil}, {"sub", c.Sub != ""}, {"txn", c.Txn != ""}, {"events", c.Events != nil}} {
		if !m.ok {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: Claims fehlen: %s", ErrSET, strings.Join(missing, ", "))
	}
	if _, err := parseUUID(c.JTI); err != nil {
		return nil, fmt.Errorf("%w: jti ist keine UUID", ErrSET)
	}
	if !validSubject(c.Sub) {
		return nil, fmt.Errorf("%w: sub muss die Form submission:<UUID> oder reply:<UUID> haben", ErrSET)
	}
	iat, err := c.Iat.Int64()
	if err != nil {
		return nil, fmt.Errorf("%w: iat ist keine ganze Zahl", ErrSET)
	}
	issued := time.Unix(iat, 0)
	if issued.After(now.Add(MaxSETFutureSkew)) {
		return nil, fmt.Errorf("%w: iat liegt mehr als 5 Minuten in der Zukunft", ErrSET)
	}
	if len(c.Events) != 1 {
		return nil, fmt.Errorf("%w: genau ein Ereignis erwartet, nicht %d", ErrSET, len(c.Events))
	}
	s := &SET{ID: c.JTI, Issuer: c.Iss, IssuedAt: issued, Subject: c.Sub, Txn: c.Txn, KeyID: h.KeyID}
	for uri, p := range c.Events {
		t := bytes.TrimSpace(p)
		if len(t) == 0 || t[0] != '{' {
			return nil, fmt.Errorf("%w: Nutzdaten des Ereignisses sind kein JSON-Objekt", ErrSET)
		}
		s.Event, s.Payload = uri, p
	}
	return s, nil
}

// isSETType reports whether typ names the SET media type: RFC 7515 §4.1.9
// compares typ case-insensitively and lets "application/" be left out.
func isSETType(typ string) bool {
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == SETType
}

// validSubject reports whether sub is one of setSubjectPrefixes followed
// by a UUID.
func validSubject(sub string) bool {
	for _, p := range setSubjectPrefixes {
		if id, ok := strings.CutPrefix(sub, p); ok {
			_, err := parseUUID(id)
			return err == nil
		}
	}
	return false
}
