package fitconnect_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/identity"
)

// TestAuthenticationInformationValidates puts a Schriftformersatz
// evidence into the metadata as authenticationInformation and checks the
// result against the metadata JSON Schema 1.0.0; the report decodes back
// to the evidence.
func TestAuthenticationInformationValidates(t *testing.T) {
	ev := &identity.Evidence{Schriftformersatz: true, Provider: "devidp", Issuer: "http://127.0.0.1/api/demo-idp/metadata",
		Method: identity.MethodEID, Level: identity.Hoch, RawLevel: "STORK-QAA-Level-4", AssertionID: "_5f1c",
		AuthnTime: time.Date(2026, 12, 7, 9, 59, 0, 0, time.UTC), DeclaredAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		DataSHA256: strings.Repeat("ab", 32), Proved: []string{"G60000000086.F60000000227"}, Typed: []string{"F60000000001"}}
	auth, err := fitconnect.AuthenticationInfo(ev)
	if err != nil {
		t.Fatal(err)
	}
	m := validMetadata()
	m.AuthenticationInformation = auth
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := fitconnect.ValidateMetadata(raw); err != nil {
		t.Fatalf("metadata with evidence fails the schema: %v\n%s", err, raw)
	}
	var back struct {
		AuthenticationInformation []fitconnect.AuthenticationInformation `json:"authenticationInformation"`
	}
	if err := json.Unmarshal(raw, &back); err != nil || len(back.AuthenticationInformation) != 1 {
		t.Fatalf("authenticationInformation: %v %s", err, raw)
	}
	ai := back.AuthenticationInformation[0]
	if ai.Type != "identificationReport" || ai.Version != "1.0.0" {
		t.Errorf("report %s %s", ai.Type, ai.Version)
	}
	b, err := base64.RawURLEncoding.DecodeString(ai.Content)
	if err != nil {
		t.Fatal(err)
	}
	var got identity.Evidence
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(&got, ev) {
		t.Errorf("report content %s (%v)", b, err)
	}

	// A report that breaks the schema (padding is not in its alphabet) is
	// refused: the check is real.
	m.AuthenticationInformation[0].Content += "=="
	raw, _ = json.Marshal(m)
	if err := fitconnect.ValidateMetadata(raw); err == nil {
		t.Error("padded report content passed the schema")
	}
	if auth, err := fitconnect.AuthenticationInfo(nil); auth != nil || err != nil {
		t.Errorf("no evidence: %v, %v", auth, err)
	}
}

// TestE2EEvidence sends a submission with identity evidence: the metadata
// carries it as authenticationInformation, passes the receiver's schema
// check and decodes back to the evidence.
func TestE2EEvidence(t *testing.T) {
	e := newEnv(t, envOpts{version: "v2"})
	pc := e.newParcel()
	sum := sha256.Sum256(pc.p.Submission.Data)
	ev := &identity.Evidence{Schriftformersatz: true, Provider: "bundid", Issuer: "https://id.bund.de/idp", Method: identity.MethodEID,
		Level: identity.Hoch, RawLevel: "STORK-QAA-Level-4", AssertionID: "_e2e", AuthnTime: time.Date(2026, 11, 28, 23, 29, 0, 0, time.UTC),
		DeclaredAt: time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC), DataSHA256: hex.EncodeToString(sum[:]), Typed: []string{"G60000000086.F60000000243"}}
	pc.p.Submission.Evidence = ev
	out := e.send(pc)
	if out.State != delivery.Delivered {
		t.Fatalf("outcome %+v", out)
	}
	if n, err := e.sub.Poll(context.Background()); err != nil || n != 1 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
	r := e.inbox.get(out.RemoteID)
	if r == nil || len(r.Metadata.AuthenticationInformation) != 1 {
		t.Fatalf("received %+v", r)
	}
	ai := r.Metadata.AuthenticationInformation[0]
	b, err := base64.RawURLEncoding.DecodeString(ai.Content)
	if err != nil {
		t.Fatal(err)
	}
	var got identity.Evidence
	if err := json.Unmarshal(b, &got); err != nil || ai.Type != "identificationReport" || ai.Version != "1.0.0" || !reflect.DeepEqual(&got, ev) {
		t.Errorf("authenticationInformation %+v: %s (%v)", ai, b, err)
	}
}
