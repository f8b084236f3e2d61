package fitconnect_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fitconnect"
)

func validMetadata() fitconnect.Metadata {
	return fitconnect.Metadata{
		ContentStructure: fitconnect.ContentStructure{
			Data: &fitconnect.DataInfo{
				Hash:             fitconnect.SHA512Hash([]byte(`{"a":1}`)),
				SubmissionSchema: fitconnect.SubmissionSchema{SchemaURI: "https://schema.fitko.de/fim/s00000092_1.0.schema.json", MimeType: "application/json"},
			},
			Attachments: []fitconnect.AttachmentInfo{{
				AttachmentID: "0f6b1a64-5c55-4a2e-9d56-1f0b8e2f5a10",
				Hash:         fitconnect.SHA512Hash([]byte("pdf")),
				Purpose:      "attachment",
				Filename:     "nachweis.pdf",
				MimeType:     "application/pdf",
			}},
		},
		PublicServiceType:       &fitconnect.PublicServiceType{Identifier: fitconnect.LeikaURN("99018115001001"), Name: "Bewohnerparkausweis"},
		ReplyChannel:            &fitconnect.ReplyChannel{EMail: &fitconnect.EMailChannel{Address: "antrag@example.org"}},
		AdditionalReferenceInfo: &fitconnect.AdditionalReferenceInfo{SenderReference: "abc", ApplicationDate: "2026-11-29"},
	}
}

func TestValidateMetadataValid(t *testing.T) {
	m := validMetadata()
	if err := fitconnect.ValidateMetadata(mustJSON(t, m)); err != nil {
		t.Fatal(err)
	}
	// Minimal: only contentStructure with an empty attachment list.
	if err := fitconnect.ValidateMetadata([]byte(`{"contentStructure":{"attachments":[]}}`)); err != nil {
		t.Fatal(err)
	}
	// The struct round-trips.
	var back fitconnect.Metadata
	if err := json.Unmarshal(mustJSON(t, m), &back); err != nil || back.ContentStructure.Attachments[0].Filename != "nachweis.pdf" ||
		back.AdditionalReferenceInfo.ApplicationDate != "2026-11-29" {
		t.Fatalf("round trip %+v %v", back, err)
	}
}

func TestValidateMetadataInvalid(t *testing.T) {
	secretValue := "Geheimname-Mustermann"
	cases := map[string]struct {
		mod  func(m map[string]any)
		want string
	}{
		"no contentStructure": {func(m map[string]any) { delete(m, "contentStructure") }, "/contentStructure"},
		"bad hash": {func(m map[string]any) {
			cs := m["contentStructure"].(map[string]any)
			cs["data"].(map[string]any)["hash"].(map[string]any)["content"] = secretValue
		}, "/contentStructure/data/hash/content"},
		"hash type md5": {func(m map[string]any) {
			cs := m["contentStructure"].(map[string]any)
			cs["data"].(map[string]any)["hash"].(map[string]any)["type"] = "md5"
		}, "/contentStructure/data/hash/type"},
		"purpose": {func(m map[string]any) {
			a := m["contentStructure"].(map[string]any)["attachments"].([]any)[0].(map[string]any)
			a["purpose"] = secretValue
		}, "/contentStructure/attachments/0/purpose"},
		"attachment id not uuid": {func(m map[string]any) {
			a := m["contentStructure"].(map[string]any)["attachments"].([]any)[0].(map[string]any)
			a["attachmentId"] = "keine-uuid-aber-lang-genug-0000000000"
		}, "/contentStructure/attachments/0/attachmentId"},
		"identifier not URN": {func(m map[string]any) {
			m["publicServiceType"].(map[string]any)["identifier"] = "99018115001001"
		}, "/publicServiceType/identifier"},
		"reply email": {func(m map[string]any) {
			m["replyChannel"].(map[string]any)["eMail"].(map[string]any)["address"] = secretValue
		}, "/replyChannel/eMail/address"},
		"two reply channels": {func(m map[string]any) {
			m["replyChannel"].(map[string]any)["deMail"] = map[string]any{"address": "a@example.org"}
		}, "/replyChannel"},
		"applicationDate": {func(m map[string]any) {
			m["additionalReferenceInfo"].(map[string]any)["applicationDate"] = "29.11.2026"
		}, "/additionalReferenceInfo/applicationDate"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(mustJSON(t, validMetadata()), &m); err != nil {
				t.Fatal(err)
			}
			tc.mod(m)
			err := fitconnect.ValidateMetadata(mustJSON(t, m))
			if !errors.Is(err, fitconnect.ErrMetadata) {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %q does not name %s", err, tc.want)
			}
			if strings.Contains(err.Error(), secretValue) {
				t.Errorf("err quotes the value: %q", err)
			}
		})
	}
	for _, raw := range []string{``, `[]`, `{"contentStructure":`} {
		if err := fitconnect.ValidateMetadata([]byte(raw)); !errors.Is(err, fitconnect.ErrMetadata) {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	schema := []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["F1"],
		"properties":{"F1":{"type":"string","maxLength":3}},"additionalProperties":false}`)
	if err := fitconnect.ValidateJSON(schema, []byte(`{"F1":"abc"}`)); err != nil {
		t.Fatal(err)
	}
	err := fitconnect.ValidateJSON(schema, []byte(`{"F1":"Mustermann"}`))
	if !errors.Is(err, fitconnect.ErrSchema) || !strings.Contains(err.Error(), "/F1") || strings.Contains(err.Error(), "Mustermann") {
		t.Fatalf("err = %v", err)
	}
	err = fitconnect.ValidateJSON(schema, []byte(`{"F2":1}`))
	if !errors.Is(err, fitconnect.ErrSchema) || !strings.Contains(err.Error(), "/F1") || !strings.Contains(err.Error(), "F2") {
		t.Fatalf("err = %v", err)
	}
	if err := fitconnect.ValidateJSON([]byte(`{"type":`), []byte(`{}`)); !errors.Is(err, fitconnect.ErrSchema) {
		t.Fatalf("broken schema: %v", err)
	}
}

func TestEmbeddedSchemaIsTheFixture(t *testing.T) {
	a, err := os.ReadFile("schema/metadata.schema.v1.0.0.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../../shared/fixtures/fim/fitconnect/metadata.schema.v1.0.0.json")
	if err != nil {
		t.Skip("shared fixtures not available:", err)
	}
	if string(a) != string(b) {
		t.Fatal("schema/metadata.schema.v1.0.0.json differs from the shared fixture")
	}
}

func TestSHA512HexAndLeika(t *testing.T) {
	// FIPS 180-2 test vector for "abc".
	const abc = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
	if got := fitconnect.SHA512Hex([]byte("abc")); got != abc {
		t.Fatalf("SHA512Hex(abc) = %s", got)
	}
	if got := fitconnect.LeikaURN("99018115001001"); got != "urn:de:fim:leika:leistung:99018115001001" {
		t.Errorf("LeikaURN = %q", got)
	}
	for _, bad := range []string{"", "9901811500100", "990181150010011", "99O18115001001"} {
		if got := fitconnect.LeikaURN(bad); got != "" {
			t.Errorf("LeikaURN(%q) = %q", bad, got)
		}
	}
	if got := fitconnect.LeikaKey("urn:de:fim:leika:leistung:99018115001001"); got != "99018115001001" {
		t.Errorf("LeikaKey = %q", got)
	}
	if got := fitconnect.LeikaKey("urn:de:other:99018115001001"); got != "" {
		t.Errorf("LeikaKey(other) = %q", got)
	}
}
