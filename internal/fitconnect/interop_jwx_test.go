package fitconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/google/uuid"
)

// Messages built with lestrrat-go/jwx, a JOSE implementation independent
// of antrag's go-jose: what another sender or the platform writes.

// TestJWXSignedEventVerifies: an accept-submission event signed with jwx
// (PS512, typ as upper-case media type, payload key order jwx chooses)
// verifies, and names its submission.
func TestJWXSignedEventVerifies(t *testing.T) {
	f := getFixture(t)
	sub := "6E82C135-A3B7-4EB0-BD83-6DF337331170" // upper-case hex: FITKO's event schema allows it
	claims := map[string]any{
		"$schema": "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json",
		"jti":     "0c8a3ff1-8d5e-4f0e-9f6e-6a2b1c0d9e7f",
		"iss":     "a0f0c2b1-7c1d-4f7e-9d2a-111111111111",
		"iat":     time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC).Unix(),
		"sub":     "submission:" + sub,
		"txn":     "case:c9f0db91-9355-451a-b2a5-7a9be10ce765",
		"events":  map[string]any{fitconnect.EventAcceptSubmission: map[string]any{"problems": []any{}, "authenticationTags": map[string]any{"metadata": "abc"}}},
	}
	payload, _ := json.Marshal(claims)
	hdr := jws.NewHeaders()
	for k, v := range map[string]string{"typ": "application/SECEVENT+JWT", "kid": f.signer.KeyID} {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	token, err := jws.Sign(payload, jws.WithKey(jwa.PS512(), f.signer.Key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	pub := f.signer.Public()
	s, err := fitconnect.VerifySET(string(token), func(iss, kid string) (*jose.JSONWebKey, error) { return &pub, nil },
		time.Date(2026, 12, 7, 10, 1, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("VerifySET of a jwx-signed event: %v", err)
	}
	if !fitconnect.SameUUID(s.SubmissionID(), sub) {
		t.Errorf("SubmissionID = %q, want %s", s.SubmissionID(), sub)
	}
	if _, err := s.Accept(); err != nil {
		t.Errorf("Accept: %v", err)
	}
}

// TestJWXEncryptedMetadataVariants: metadata encrypted with jwx decrypts
// and validates with and without cty, without $schema, compressed or not,
// and with a private x- header field.
func TestJWXEncryptedMetadataVariants(t *testing.T) {
	f := getFixture(t)
	meta := map[string]any{
		"contentStructure": map[string]any{
			"data": map[string]any{
				"hash":             map[string]any{"type": "sha512", "content": fitconnect.SHA512Hex([]byte("{}"))},
				"submissionSchema": map[string]any{"schemaUri": "https://schema.example/s.json", "mimeType": "application/json"},
			},
			"attachments": []any{},
		},
	}
	plain, _ := json.Marshal(meta)
	for _, tc := range []struct {
		name     string
		cty      string
		compress bool
		extra    map[string]string
	}{
		{"cty application/json", "application/json", false, nil},
		{"no cty", "", false, nil},
		{"compressed, no cty", "", true, nil},
		{"x- header field", "application/json", true, map[string]string{"x-sender": "Fachverfahren 4.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := jwe.NewHeaders()
			set := map[string]string{"kid": f.enc.JSONWebKey.KeyID}
			if tc.cty != "" {
				set["cty"] = tc.cty
			}
			for k, v := range tc.extra {
				set[k] = v
			}
			for k, v := range set {
				if err := hdr.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			opts := []jwe.EncryptOption{jwe.WithKey(jwa.RSA_OAEP_256(), f.enc.JSONWebKey.Key), jwe.WithContentEncryption(jwa.A256GCM()), jwe.WithProtectedHeaders(hdr)}
			if tc.compress {
				opts = append(opts, jwe.WithCompress(jwa.Deflate()))
			}
			c, err := jwe.Encrypt(plain, opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fitconnect.Decrypt(f.private.Keys, string(c))
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if err := fitconnect.ValidateMetadata(got); err != nil {
				t.Fatalf("metadata without $schema refused: %v", err)
			}
		})
	}
}

// TestJWXSubmissionWithEachMediaType: a whole submission whose metadata,
// data and attachments were all encrypted with jwx (every other part
// compressed) is received, and each attachment is stored with the type
// its sender declared: XML, a XÖV +xml message, JSON, CSV, DOCX and PDF.
// Content sniffing names most of these differently (text/xml, text/plain,
// application/zip); the receiver checks consistency, not equality.
func TestJWXSubmissionWithEachMediaType(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	docx := zipped(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
	extra := []struct {
		name, mediaType string
		content         []byte
	}{
		{"antrag.xml", "application/xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><antrag><name>Müller</name></antrag>`)},
		{"nachricht.xml", "application/vnd.xoev+xml", []byte(`<nachricht xmlns="urn:xoev-de:beispiel"/>`)},
		{"aufstellung.json", "application/json", []byte(`{"posten": [{"betrag": 12.5}]}`)},
		{"liste.csv", "text/csv", []byte("Name;Betrag\nMüller;12,50\n")},
		{"begruendung.docx", docxType, docx},
	}
	for _, x := range extra {
		a := &submission.Attachment{ID: uuid.NewString(), Filename: x.name, MediaType: x.mediaType,
			SHA512: fitconnect.SHA512Hex(x.content), Size: int64(len(x.content))}
		pc.content[a.ID] = x.content
		pc.p.Attachments = append(pc.p.Attachments, a)
	}
	out := e.send(pc)
	if err := e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) {
		i := 0
		again := func(compact string) string {
			i++
			plain, err := fitconnect.Decrypt(e.f.private.Keys, compact)
			if err != nil {
				t.Fatal(err)
			}
			return jwxEncrypt(t, e.f, e.f.keys.EncryptionKid, plain, i%2 == 0)
		}
		// Metadata without $schema, as some senders send it.
		plain, err := fitconnect.Decrypt(e.f.private.Keys, s.EncryptedMetadata)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(plain, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "$schema")
		s.EncryptedMetadata = jwxEncrypt(t, e.f, e.f.keys.EncryptionKid, mustJSON(t, m), true)
		s.EncryptedData = again(s.EncryptedData)
		for id, c := range s.Attachments {
			s.Attachments[id] = again(c)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	r := e.inbox.get(out.RemoteID)
	if r == nil {
		t.Fatal("not stored")
	}
	got := map[string]string{}
	for _, a := range r.Attachments {
		if !bytes.Equal(a.Content, pc.content[a.RemoteID]) {
			t.Errorf("%s: content differs", a.Filename)
		}
		got[a.Filename] = a.MediaType
	}
	for _, x := range extra {
		if got[x.name] != x.mediaType {
			t.Errorf("%s stored as %q, want %q", x.name, got[x.name], x.mediaType)
		}
	}
	if len(r.Attachments) != len(pc.p.Attachments) {
		t.Errorf("%d attachments stored, %d sent", len(r.Attachments), len(pc.p.Attachments))
	}
	if got := e.follow(pc); got.State != delivery.Accepted {
		t.Errorf("Follow: %+v", got)
	}
}
