package fitconnect_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
)

const metadata120 = "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json"

// TestValidateMetadataUnknownSchemaVersion: metadata that names a schema
// version antrag does not know is refused, even when it happens to be
// valid against 1.0.0, instead of being checked against 1.0.0.
func TestValidateMetadataUnknownSchemaVersion(t *testing.T) {
	for _, doc := range []string{
		`{"$schema":"` + metadata120 + `","contentStructure":{"attachments":[]}}`,
		`{"$schema":"https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json","contentStructure":{"attachments":[]}}`,
		`{"$schema":42,"contentStructure":{"attachments":[]}}`,
	} {
		err := fitconnect.ValidateMetadata([]byte(doc))
		if !errors.Is(err, fitconnect.ErrMetadataVersion) || !errors.Is(err, fitconnect.ErrMetadata) {
			t.Errorf("%s: err = %v, want ErrMetadataVersion", doc, err)
		}
	}
	err := fitconnect.ValidateMetadata([]byte(`{"$schema":"` + metadata120 + `","contentStructure":{"attachments":[]}}`))
	if err == nil || !strings.Contains(err.Error(), "1.2.0") || !strings.Contains(err.Error(), "1.0.0") {
		t.Errorf("error does not name the versions: %v", err)
	}
	// 1.0.0 named explicitly, or no $schema: checked against 1.0.0.
	for _, doc := range []string{
		`{"$schema":"` + fitconnect.MetadataSchemaURI + `","contentStructure":{"attachments":[]}}`,
		`{"contentStructure":{"attachments":[]}}`,
	} {
		if err := fitconnect.ValidateMetadata([]byte(doc)); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
	if err := fitconnect.ValidateMetadata([]byte(`{"$schema":"` + fitconnect.MetadataSchemaURI + `"}`)); !errors.Is(err, fitconnect.ErrMetadata) || errors.Is(err, fitconnect.ErrMetadataVersion) {
		t.Errorf("1.0.0 without contentStructure: %v", err)
	}
}

// TestReceiveRejectsUnknownMetadataVersion: a submission whose metadata
// names schema 1.2.0 is rejected with a problem that says so, and nothing
// is stored.
func TestReceiveRejectsUnknownMetadataVersion(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	if err := e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) {
		raw, err := fitconnect.Decrypt(e.f.private.Keys, s.EncryptedMetadata)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		m["$schema"] = metadata120
		if s.EncryptedMetadata, err = fitconnect.Encrypt(&e.f.enc.JSONWebKey, mustJSON(t, m), "application/json"); err != nil {
			t.Fatal(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Instance != "metadata" {
		t.Fatalf("Receive: %v", err)
	}
	if !strings.Contains(rej.Problem.Title, "Metadatenschema") || !strings.Contains(rej.Problem.Detail, "1.2.0") {
		t.Errorf("problem does not name the schema version: %+v", rej.Problem)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored")
	}
	if st := e.state(out.RemoteID); st != fitconnecttest.StateRejected {
		t.Errorf("double state %s", st)
	}
}
