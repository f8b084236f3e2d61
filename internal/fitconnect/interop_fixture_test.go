package fitconnect_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/fitconnect"
)

// Third-party FIT-Connect messages (testdata/jose-utils, see SOURCE.md
// there): what other implementations produced must decrypt, validate and
// verify here.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/jose-utils/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestThirdPartyMetadataRecordDecrypts: the encrypted metadata record of
// the GovOS sender product (RSA-OAEP-256, A256GCM, compressed with
// zip: DEF) decrypts with its key and is valid FIT-Connect metadata.
func TestThirdPartyMetadataRecordDecrypts(t *testing.T) {
	var key jose.JSONWebKey
	if err := json.Unmarshal(readFixture(t, "metadata-key.jwk"), &key); err != nil {
		t.Fatal(err)
	}
	compact := string(readFixture(t, "metadata.jwe"))
	plain, err := fitconnect.Decrypt([]jose.JSONWebKey{key}, compact)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if err := fitconnect.ValidateMetadata(plain); err != nil {
		t.Fatalf("metadata of another sender refused: %v\n%.400s", err, plain)
	}
	var meta struct {
		ContentStructure struct {
			Data *struct {
				Hash fitconnect.Hash `json:"hash"`
			} `json:"data"`
		} `json:"contentStructure"`
	}
	if err := json.Unmarshal(plain, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.ContentStructure.Data == nil || meta.ContentStructure.Data.Hash.Type != "sha512" {
		t.Errorf("metadata without a sha512 data hash: %.400s", plain)
	}
	if tag, err := fitconnect.AuthTag(compact); err != nil || tag == "" {
		t.Errorf("AuthTag: %q %v", tag, err)
	}
}

// TestThirdPartyEventVerifies: a create-submission event signed by
// FITKO's test platform (PS512) verifies with the platform's key set, and
// names its submission.
func TestThirdPartyEventVerifies(t *testing.T) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(readFixture(t, "fitko-test-jwks.json"), &set); err != nil {
		t.Fatal(err)
	}
	keyOf := func(iss, kid string) (*jose.JSONWebKey, error) {
		for i := range set.Keys {
			if set.Keys[i].KeyID == kid {
				return &set.Keys[i], nil
			}
		}
		return nil, fitconnect.ErrSET
	}
	token := string(readFixture(t, "event.jws"))
	s, err := fitconnect.VerifySET(token, keyOf, time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("VerifySET: %v", err)
	}
	if got := s.SubmissionID(); got != "5e82c135-a3b7-4eb0-bd83-6df337331170" {
		t.Errorf("SubmissionID = %q", got)
	}
	// One changed character of the payload breaks the signature.
	parts := strings.Split(token, ".")
	b := []byte(parts[1])
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	parts[1] = string(b)
	if _, err := fitconnect.VerifySET(strings.Join(parts, "."), keyOf, time.Now()); err == nil {
		t.Error("a tampered event verifies")
	}
}
