package fitconnect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
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
