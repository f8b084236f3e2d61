package fitconnecttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// SETType is the typ header of every SET.
const SETType = "secevent+jwt"

// signEvent returns a SET for event about s, signed with the platform key
// (PS512, typ secevent+jwt, kid). d.mu must be held (reads the base URL).
func (d *Double) signEvent(event string, s *submission) (string, error) {
	claims := map[string]any{
		"jti":    uuid.NewString(),
		"iss":    d.issuer(),
		"iat":    d.opts.Now().Unix(),
		"sub":    "submission:" + s.id,
		"txn":    "case:" + s.caseID,
		"events": map[string]any{event: map[string]any{}},
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType(SETType).WithHeader(jose.HeaderKey("kid"), d.platformKid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: d.platformKey}, opts)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// errEvent marks a SET rejected with 422.
var errEvent = errors.New("invalid SET")

func eventErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errEvent, fmt.Sprintf(format, args...))
}

// parsedEvent is a SET the subscriber posted, after its signature was
// verified.
type parsedEvent struct {
	submissionID string
	event        string
	body         map[string]any
}

// verifySubscriberSET checks a SET posted for the case of s, signed by
// dest's signature key. It does not touch the double's state; errors wrap
// errEvent.
//
// Checked: compact JWS with alg PS512 only, one signature, typ
// secevent+jwt, kid naming a destination key with key_ops verify, valid
// signature, claims jti (UUID), iss (= destination id), iat (number), sub
// ("submission:<id of s>"), txn ("case:<case id>"), and exactly one event,
// accept-submission or reject-submission.
func verifySubscriberSET(set string, dest *destination, s *submission) (*parsedEvent, error) {
	jws, err := jose.ParseSignedCompact(set, []jose.SignatureAlgorithm{jose.PS512})
	if err != nil {
		return nil, eventErr("not a compact JWS signed with PS512: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, eventErr("exactly one signature expected")
	}
	hdr := jws.Signatures[0].Protected
	typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(typ, SETType) {
		return nil, eventErr("header typ must be %q, got %q", SETType, typ)
	}
	if hdr.KeyID == "" {
		return nil, eventErr("header has no kid")
	}
	k := dest.key(hdr.KeyID)
	if k == nil {
		return nil, eventErr("kid %q is not a key of destination %s", hdr.KeyID, dest.cfg.ID)
	}
	if !k.has("verify") {
		return nil, eventErr("kid %q is not a signature key of destination %s (key_ops %v, want verify)", hdr.KeyID, dest.cfg.ID, k.ops)
	}
	payload, err := jws.Verify(k.jwk.Key)
	if err != nil {
		return nil, eventErr("signature does not verify with key %q", hdr.KeyID)
	}
	var claims struct {
		Jti    *string                    `json:"jti"`
		Iss    *string                    `json:"iss"`
		Iat    *json.Number               `json:"iat"`
		Sub    *string                    `json:"sub"`
		Txn    *string                    `json:"txn"`
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, eventErr("payload is not a JSON object with the SET claims: %v", err)
	}
	switch {
	case claims.Jti == nil || !isUUID(*claims.Jti):
		return nil, eventErr("claim jti must be a UUID")
	case claims.Iss == nil || !strings.EqualFold(*claims.Iss, dest.cfg.ID):
		return nil, eventErr("claim iss must be the destination id %s", dest.cfg.ID)
	case claims.Iat == nil:
		return nil, eventErr("claim iat is missing")
	case claims.Sub == nil || !strings.HasPrefix(*claims.Sub, "submission:"):
		return nil, eventErr(`claim sub must be "submission:<submissionId>"`)
	case !strings.EqualFold(strings.TrimPrefix(*claims.Sub, "submission:"), s.id):
		return nil, eventErr("claim sub names no submission of case %s", s.caseID)
	case claims.Txn == nil || !strings.EqualFold(*claims.Txn, "case:"+s.caseID):
		return nil, eventErr(`claim txn must be "case:%s"`, s.caseID)
	case len(claims.Events) != 1:
		return nil, eventErr("claim events must hold exactly one event, got %d", len(claims.Events))
	}
	if _, err := claims.Iat.Int64(); err != nil {
		return nil, eventErr("claim iat must be an integer (seconds since the epoch)")
	}
	pe := &parsedEvent{submissionID: s.id}
	for ev, raw := range claims.Events {
		pe.event = ev
		if err := json.Unmarshal(raw, &pe.body); err != nil || pe.body == nil {
			return nil, eventErr("event %s must be a JSON object", ev)
		}
	}
	if pe.event != EventAcceptSubmission && pe.event != EventRejectSubmission {
		return nil, eventErr("event must be %s or %s, got %s", EventAcceptSubmission, EventRejectSubmission, pe.event)
	}
	if pe.event == EventAcceptSubmission {
		if err := checkAuthenticationTags(pe.body, s); err != nil {
			return nil, err
		}
	}
	return pe, nil
}

// checkAuthenticationTags compares the optional authenticationTags of an
// accept-submission event with the last segments of the stored JWEs
// (docs.fitko.de …/event-log/set-creation). Absent tags are not an error.
func checkAuthenticationTags(body map[string]any, s *submission) error {
	raw, ok := body["authenticationTags"]
	if !ok {
		return nil
	}
	tags, ok := raw.(map[string]any)
	if !ok {
		return eventErr("authenticationTags must be an object")
	}
	if got, _ := tags["metadata"].(string); got != authTag(s.metadata) {
		return eventErr("authenticationTags.metadata does not match the stored encryptedMetadata")
	}
	if s.data != "" || tags["data"] != nil {
		if got, _ := tags["data"].(string); got != authTag(s.data) {
			return eventErr("authenticationTags.data does not match the stored encryptedData")
		}
	}
	if len(s.announced) == 0 && tags["attachments"] == nil {
		return nil
	}
	att, ok := tags["attachments"].(map[string]any)
	if !ok {
		return eventErr("authenticationTags.attachments must be an object")
	}
	if len(att) != len(s.announced) {
		return eventErr("authenticationTags.attachments must have one tag per attachment (%d), got %d", len(s.announced), len(att))
	}
	for id, v := range att {
		jwe, ok := s.attachments[strings.ToLower(id)]
		got, _ := v.(string)
		if !ok || got != authTag(jwe) {
			return eventErr("authenticationTags.attachments[%s] does not match the stored attachment", id)
		}
	}
	return nil
}

// authTag returns the last segment of a compact JWE ("" if none).
func authTag(jwe string) string {
	if jwe == "" {
		return ""
	}
	return jwe[strings.LastIndexByte(jwe, '.')+1:]
}
