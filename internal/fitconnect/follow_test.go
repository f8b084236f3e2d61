package fitconnect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
)

// forgedAccept is an accept-submission SET for the submission, signed
// with alg and key instead of the destination's PS512 signing key.
func forgedAccept(t *testing.T, alg jose.SignatureAlgorithm, key any, kid, iss, remoteID, caseID string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("secevent+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := json.Marshal(map[string]any{
		"jti": uuid.NewString(), "iss": iss, "iat": time.Now().Unix(),
		"sub": "submission:" + remoteID, "txn": "case:" + caseID,
		"events": map[string]any{fitconnect.EventAcceptSubmission: map[string]any{}},
	})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFollowIgnoresForgedSETs: an accept-submission in the event log that
// is signed RS256, or PS512 with a key that is not the destination's, does
// not make the sender report the submission as accepted.
func TestFollowIgnoresForgedSETs(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	e.send(pc)
	remote, caseID := pc.p.Delivery.RemoteID, pc.p.Delivery.CaseID
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := []string{
		// The destination's own kid, but alg RS256 with another key.
		forgedAccept(t, jose.RS256, other, e.f.keys.SigningKid, e.destID, remote, caseID),
		// PS512 with another key under the destination's kid.
		forgedAccept(t, jose.PS512, other, e.f.keys.SigningKid, e.destID, remote, caseID),
	}
	for _, set := range forged {
		if err := e.double.Tamper(remote, func(st *fitconnecttest.Stored) { st.Events = append(st.Events, set) }); err != nil {
			t.Fatal(err)
		}
		out, err := e.sender.Follow(t.Context(), pc.p.Delivery)
		if err == nil && out.State == delivery.Accepted {
			t.Fatalf("a forged SET made the submission accepted")
		}
		if err := e.double.Tamper(remote, func(st *fitconnecttest.Stored) { st.Events = st.Events[:len(st.Events)-1] }); err != nil {
			t.Fatal(err)
		}
	}
	// The genuine accept, signed by the subscriber, is recognised.
	if _, err := e.sub.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if out := e.follow(pc); out.State != delivery.Accepted {
		t.Errorf("after the genuine accept: %+v", out)
	}
}

// TestFollowUpperCaseSubmissionID: FITKO's event schema allows upper-case
// hex in a SET's sub. An accept-submission whose sub spells the
// submission id in upper case is the destination's decision all the same,
// and must not leave the delivery delivered-but-undecided for ever.
func TestFollowUpperCaseSubmissionID(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	e.send(pc)
	remote, caseID := pc.p.Delivery.RemoteID, pc.p.Delivery.CaseID
	accept := forgedAccept(t, jose.PS512, e.f.signer.Key, e.f.keys.SigningKid, e.destID,
		strings.ToUpper(remote), strings.ToUpper(caseID))
	if err := e.double.Tamper(remote, func(st *fitconnecttest.Stored) { st.Events = append(st.Events, accept) }); err != nil {
		t.Fatal(err)
	}
	if out := e.follow(pc); out.State != delivery.Accepted {
		t.Errorf("accept with upper-case sub: state %v, want accepted", out.State)
	}
}

// TestSameUUIDIgnoresCaseOnly: ids compare as UUIDs, not as strings, and
// anything that is not a UUID matches nothing.
func TestSameUUIDIgnoresCaseOnly(t *testing.T) {
	id := "8e9f7c1e-2d4b-4f6a-8b3c-7a9d0e1f2a3b"
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{id, id, true},
		{id, strings.ToUpper(id), true},
		{id, "8e9f7c1e-2d4b-4f6a-8b3c-7a9d0e1f2a3c", false},
		{id, "urn:uuid:" + id, false},
		{id, strings.ReplaceAll(id, "-", ""), false},
		{"", "", false},
		{"https://example.org", "https://example.org", false},
	} {
		if got := fitconnect.SameUUID(tc.a, tc.b); got != tc.want {
			t.Errorf("SameUUID(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
