package fitconnect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// The only JWE algorithms FIT-Connect uses for payloads: key management
// RSA-OAEP-256 and content encryption A256GCM (standards.md §1 "Crypto";
// php-fitconnect src/Crypto/Encryptor.php).
var (
	jweKeyAlgs = []jose.KeyAlgorithm{jose.RSA_OAEP_256}
	jweEncs    = []jose.ContentEncryption{jose.A256GCM}
)

// ErrDecrypt is wrapped by every error of Decrypt: the JWE is malformed,
// uses another algorithm, names an unknown key, or was altered.
var ErrDecrypt = errors.New("FIT-Connect-Nachricht konnte nicht entschlüsselt werden")

// Encrypt encrypts plaintext for the public RSA key as a compact JWE with
// alg RSA-OAEP-256, enc A256GCM, header kid = key.KeyID and cty = cty
// (e.g. "application/json"); nothing is compressed. This is the shape of
// encryptedMetadata, encryptedData and attachments in the FIT-Connect
// Submission API v1/v2 (standards.md §1 "Crypto").
func Encrypt(key *jose.JSONWebKey, plaintext []byte, cty string) (string, error) {
	if key == nil || key.Key == nil {
		return "", errors.New("FIT-Connect: kein Verschlüsselungsschlüssel")
	}
	if key.KeyID == "" {
		return "", errors.New("FIT-Connect: Verschlüsselungsschlüssel ohne kid")
	}
	if !key.IsPublic() {
		pub := key.Public()
		key = &pub
	}
	opts := &jose.EncrypterOptions{}
	if cty != "" {
		opts = opts.WithContentType(jose.ContentType(cty))
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: key.Key, KeyID: key.KeyID}, opts)
	if err != nil {
		return "", fmt.Errorf("FIT-Connect: Verschlüsselung nicht möglich: %w", err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("FIT-Connect: Verschlüsselung fehlgeschlagen: %w", err)
	}
	return obj.CompactSerialize()
}

// Decrypt decrypts a compact JWE with the private key among keys whose kid
// equals the JWE header's kid. Only RSA-OAEP-256 with A256GCM is accepted
// (standards.md §1 "Crypto"). All errors wrap ErrDecrypt.
func Decrypt(keys []jose.JSONWebKey, compact string) ([]byte, error) {
	obj, err := jose.ParseEncryptedCompact(strings.TrimSpace(compact), jweKeyAlgs, jweEncs)
	if err != nil {
		return nil, fmt.Errorf("%w: ungültiges JWE oder nicht erlaubter Algorithmus (erlaubt: RSA-OAEP-256, A256GCM): %v", ErrDecrypt, err)
	}
	kid := obj.Header.KeyID
	if kid == "" {
		return nil, fmt.Errorf("%w: JWE ohne kid", ErrDecrypt)
	}
	for i := range keys {
		k := &keys[i]
		// Only a decryption key: never the signing key, even under its kid.
		if k.KeyID != kid || k.IsPublic() || (k.Algorithm != "" && k.Algorithm != AlgEncryption) || (k.Algorithm == "" && k.Use != "enc") {
			continue
		}
		plain, err := obj.Decrypt(k.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: Schlüssel %s passt nicht oder die Nachricht wurde verändert", ErrDecrypt, kid)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w: kein privater Schlüssel mit kid %s", ErrDecrypt, kid)
}

// AuthTag returns the authentication tag of a compact JWE: its fifth and
// last segment (base64url). FIT-Connect puts these tags into the
// authenticationTags of accept-submission and reject-submission events
// (standards.md §1 "Subscriber flow").
func AuthTag(compact string) (string, error) {
	parts := strings.Split(strings.TrimSpace(compact), ".")
	if len(parts) != 5 {
		return "", fmt.Errorf("%w: kein kompaktes JWE (%d statt 5 Teile)", ErrDecrypt, len(parts))
	}
	if parts[4] == "" {
		return "", fmt.Errorf("%w: JWE ohne Authentication-Tag", ErrDecrypt)
	}
	return parts[4], nil
}
