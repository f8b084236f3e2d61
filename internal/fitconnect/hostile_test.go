package fitconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/tenant"
)

// withFirstAttachment gives the parcel's first attachment another name,
// declared type and content, and rebuilds the data's file references.
func withFirstAttachment(t *testing.T, pc *parcel, name, mediaType string, content []byte) {
	t.Helper()
	a := pc.p.Attachments[0]
	a.Filename, a.MediaType = name, mediaType
	pc.content[a.ID] = content
	a.SHA512, a.Size = fitconnect.SHA512Hex(content), int64(len(content))
	var refs []map[string]any
	for _, a := range pc.p.Attachments {
		refs = append(refs, map[string]any{"attachmentId": a.ID, "filename": a.Filename, "mimeType": a.MediaType,
			"size": a.Size, "hash": map[string]any{"type": "sha512", "content": a.SHA512}})
	}
	data, err := json.Marshal(map[string]any{
		"G60000000086": map[string]any{"F60000000243": "Hauptstraße 1", "F60000000244": 12.5},
		"F60000000300": refs[0],
		"G60000000099": map[string]any{"F60000000301": []any{refs[1]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pc.p.Submission.Data = data
}

// TestReceiveRejectsDisguisedAttachment: a sender declares an executable
// as application/pdf; the receiver sniffs the content, rejects the
// submission and stores nothing.
func TestReceiveRejectsDisguisedAttachment(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	withFirstAttachment(t, pc, "Bescheid.pdf", "application/pdf", []byte("MZ\x90\x00 this is not a pdf <script>alert(1)</script>"))
	out := e.send(pc)
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || !strings.Contains(rej.Problem.Title, "Dateityp") {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored a disguised attachment")
	}
	if st := e.state(out.RemoteID); st != fitconnecttest.StateRejected {
		t.Errorf("double state %s", st)
	}
}

// TestReceiveCleansFileNames: directories and bidirectional overrides are
// removed from a received file name, in the attachment and in the data.
func TestReceiveCleansFileNames(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	withFirstAttachment(t, pc, "../../../etc/\u202egnp.pdf", "application/pdf", []byte("%PDF-1.7 Bescheid"))
	out := e.send(pc)
	if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	r := e.inbox.get(out.RemoteID)
	if r == nil {
		t.Fatal("not stored")
	}
	var names []string
	for _, a := range r.Attachments {
		names = append(names, a.Filename)
		if strings.ContainsAny(a.Filename, "/\u202e") {
			t.Errorf("received file name %q", a.Filename)
		}
	}
	if !strings.Contains(strings.Join(names, ","), "gnp.pdf") {
		t.Errorf("names %q", names)
	}
	if strings.Contains(string(r.Data), "etc/") || strings.Contains(string(r.Data), "\u202e") || strings.Contains(string(r.Data), `\u202e`) {
		t.Errorf("the data keeps the hostile name: %s", r.Data)
	}
}

// TestReceiveConfirmsStoredWithoutRecheck: the accept-submission of a
// stored submission got lost; the next attempt confirms it even though a
// check would now fail (the service was withdrawn), instead of rejecting
// an application that caseworkers already have.
func TestReceiveConfirmsStoredWithoutRecheck(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	e.double.Fail("POST /{v}/cases/{id}/events", 1, 503)
	if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err == nil {
		t.Fatal("Receive reported success although the confirmation failed")
	}
	if e.inbox.count() != 1 {
		t.Fatalf("stored %d, want 1", e.inbox.count())
	}
	e.inbox.mu.Lock()
	e.inbox.services = map[string]*tenant.Service{} // withdrawn
	e.inbox.mu.Unlock()
	if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err != nil {
		t.Fatalf("second Receive: %v", err)
	}
	if st := e.state(out.RemoteID); st != fitconnecttest.StateAccepted {
		t.Errorf("double state %s, want accepted", st)
	}
	if e.inbox.count() != 1 {
		t.Errorf("stored %d, want 1", e.inbox.count())
	}
}

// TestReceiveAcceptsConsistentMediaTypes: a correct sender names a file
// with its proper type, which content sniffing calls otherwise (XML is
// text/xml, JSON and CSV text/plain, a DOCX application/zip). The
// submission is accepted and the attachment keeps the declared type, in
// the attachment and in the data's file reference.
func TestReceiveAcceptsConsistentMediaTypes(t *testing.T) {
	docx := zipped(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
	for _, tc := range []struct {
		name, mediaType string
		content         []byte
	}{
		{"Antrag.xml", "application/xml", []byte(`<?xml version="1.0"?><antrag><name>Müller</name></antrag>`)},
		{"Antrag.json", "application/json", []byte(`{"name": "Müller"}`)},
		{"Anschreiben.docx", docxType, docx},
		{"Aufstellung.csv", "text/csv", []byte("Position;Betrag\nMiete;800,00\n")},
	} {
		t.Run(tc.mediaType, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			pc := e.newParcel()
			withFirstAttachment(t, pc, tc.name, tc.mediaType, tc.content)
			out := e.send(pc)
			if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err != nil {
				t.Fatalf("Receive: %v", err)
			}
			r := e.inbox.get(out.RemoteID)
			if r == nil {
				t.Fatal("not stored")
			}
			var got *fitconnect.ReceivedAttachment
			for i := range r.Attachments {
				if r.Attachments[i].Filename == tc.name {
					got = &r.Attachments[i]
				}
			}
			if got == nil || got.MediaType != tc.mediaType || !bytes.Equal(got.Content, tc.content) {
				t.Fatalf("attachment %+v", got)
			}
			var doc map[string]map[string]any
			if err := json.Unmarshal(r.Data, &doc); err != nil {
				t.Fatal(err)
			}
			if mt := doc["F60000000300"]["mimeType"]; mt != tc.mediaType {
				t.Errorf("file reference mimeType %v, want %s", mt, tc.mediaType)
			}
		})
	}
}

// TestReceiveRejectsHTMLDeclaredAsPDF: the refusal names the declared
// type and what the content really is.
func TestReceiveRejectsHTMLDeclaredAsPDF(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	withFirstAttachment(t, pc, "Bescheid.pdf", "application/pdf", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"))
	out := e.send(pc)
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	rej, ok := errors.AsType[*fitconnect.RejectedError](err)
	if !ok || !strings.Contains(rej.Problem.Detail, "application/pdf") || !strings.Contains(rej.Problem.Detail, "text/html") {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored HTML declared as PDF")
	}
}

// TestReceiveFormMediaTypesStillApply: an attachment whose content fits
// its declared type is still refused when the receiving form's file field
// allows other types only (XDatenfelder mediaType, here PDF).
func TestReceiveFormMediaTypesStillApply(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.inbox.schema = []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
		"properties":{"F60000000300":{"type":"object","properties":{"mimeType":{"enum":["application/pdf"]}}}}}`)
	pc := e.newParcel()
	withFirstAttachment(t, pc, "Antrag.xml", "application/xml", []byte(`<antrag/>`))
	out := e.send(pc)
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	rej, ok := errors.AsType[*fitconnect.RejectedError](err)
	if !ok || rej.Problem.Type != fitconnect.RejectSchemaViolation || !strings.Contains(rej.Problem.Detail, "F60000000300") {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored a file type the form does not allow")
	}
}
