package fitconnect_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
)

// reshape changes a sent submission on the platform: dropDescription
// removes contentStructure.data from the metadata (re-encrypted for the
// destination), dropData removes the encrypted data.
func (e *env) reshape(remoteID string, dropDescription, dropData bool) {
	e.t.Helper()
	err := e.double.Tamper(remoteID, func(st *fitconnecttest.Stored) {
		if dropDescription {
			raw, err := fitconnect.Decrypt(e.f.private.Keys, st.EncryptedMetadata)
			if err != nil {
				e.t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				e.t.Fatal(err)
			}
			delete(m["contentStructure"].(map[string]any), "data")
			st.EncryptedMetadata, err = fitconnect.Encrypt(&e.f.enc.JSONWebKey, mustJSON(e.t, m), "application/json")
			if err != nil {
				e.t.Fatal(err)
			}
		}
		if dropData {
			st.EncryptedData = ""
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestReceiveAttachmentsOnly: contentStructure.data is optional in the
// metadata schema. A submission of attachments only is accepted when the
// service's form requires nothing; its data is the empty document.
func TestReceiveAttachmentsOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.inbox.schema = []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
		"properties":{"F60000000243":{"type":"string"}}}`)
	pc := e.newParcel()
	out := e.send(pc)
	e.reshape(out.RemoteID, true, true)
	if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	r := e.inbox.get(out.RemoteID)
	if r == nil {
		t.Fatal("not stored")
	}
	if string(r.Data) != "{}" || len(r.Attachments) != 2 {
		t.Errorf("data %s, %d attachments", r.Data, len(r.Attachments))
	}
	if got := e.follow(pc); got.State != delivery.Accepted {
		t.Errorf("Follow: %+v", got)
	}
}

// TestReceiveAttachmentsOnlyFormNeedsData: when the form requires an
// element, a submission of attachments only is refused, and the reason
// says that data is missing and what the form requires.
func TestReceiveAttachmentsOnlyFormNeedsData(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.inbox.schema = []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["F99999999999"]}`)
	pc := e.newParcel()
	out := e.send(pc)
	e.reshape(out.RemoteID, true, true)
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	rej, ok := errors.AsType[*fitconnect.RejectedError](err)
	if !ok || rej.Problem.Title != "Fachdaten fehlen" || !strings.Contains(rej.Problem.Detail, "nur Anlagen") ||
		!strings.Contains(rej.Problem.Detail, "F99999999999") {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored")
	}
}

// TestReceiveDataMissingSaysWhatIsWrong: each refusal about the data
// names the real fault, and "no data" is said only when none was sent.
func TestReceiveDataMissingSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		dropDescription, dropData bool
		want, notWant             string
	}{
		{"data sent but not described", true, false, "beschreiben sie aber nicht", "enthält keine"},
		{"data described but not sent", false, true, "enthält aber keine", "beschreiben sie aber nicht"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			pc := e.newParcel()
			out := e.send(pc)
			e.reshape(out.RemoteID, tc.dropDescription, tc.dropData)
			err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
			rej, ok := errors.AsType[*fitconnect.RejectedError](err)
			if !ok || rej.Problem.Type != fitconnect.RejectSubmissionValidation ||
				!strings.Contains(rej.Problem.Detail, tc.want) || strings.Contains(rej.Problem.Detail, tc.notWant) {
				t.Fatalf("Receive: %v", err)
			}
			if e.inbox.count() != 0 {
				t.Fatal("stored")
			}
		})
	}
}
