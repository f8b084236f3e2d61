package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// ownerKeyLabel is the HKDF purpose (info) of the owner key. Changing it
// detaches every draft and submission from its citizen's area.
const ownerKeyLabel = "antrag/identity/owner/v1"

// OwnerKeys computes owner keys: which citizen a draft or a submission
// belongs to, without the store holding the provider's pseudonym.
type OwnerKeys struct{ key []byte }

// DeriveOwnerKeys derives the owner key from the installation's data key
// (32 bytes) with HKDF-SHA256 (RFC 5869) and its own purpose label, so
// that every process sharing a database computes the same owner keys.
func DeriveOwnerKeys(dataKey []byte) (*OwnerKeys, error) {
	if len(dataKey) != 32 {
		return nil, fmt.Errorf("Datenschlüssel muss 32 Bytes haben, nicht %d", len(dataKey))
	}
	k := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, dataKey, nil, []byte(ownerKeyLabel)), k); err != nil {
		return nil, err
	}
	return &OwnerKeys{key: k}, nil
}

// OwnerKey returns the owner key of a login: "o1:" and the hex
// HMAC-SHA256 of the provider profile id and the subject (67 characters).
// The same person logged in with another provider is another owner. nil
// or a login without a provider or subject is an error.
func (k *OwnerKeys) OwnerKey(id *Identity) (string, error) {
	if k == nil || len(k.key) != 32 {
		return "", errors.New("identity: owner keys not derived")
	}
	if id == nil || id.Provider == "" || id.Subject == "" {
		return "", errors.New("identity: login without provider or subject")
	}
	m := hmac.New(sha256.New, k.key)
	// Length-prefixed, so that no provider/subject pair collides with another.
	fmt.Fprintf(m, "%d:%s%d:%s", len(id.Provider), id.Provider, len(id.Subject), id.Subject)
	return "o1:" + hex.EncodeToString(m.Sum(nil)), nil
}
