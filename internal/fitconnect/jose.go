package fitconnect

import (
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"
)

// The only JWE algorithms FIT-Connect uses for payloads: key management
// RSA-OAEP-256 and content encryption A256GCM (standards.md §1 "Crypto";
// php-fitconnect src/Crypto/Encryptor.php). Senders may compress the
// plaintext with zip "DEF" (DEFLATE, RFC 7516 §4.1.3); the Python SDK and
// commercial senders do.
var (
	jweKeyAlgs = []jose.KeyAlgorithm{jose.RSA_OAEP_256}
	jweEncs    = []jose.ContentEncryption{jose.A256GCM}
)

// ErrDecrypt is wrapped by every error of Decrypt: the JWE is malformed,
// uses another algorithm, names an unknown key, or was altered. Each error
// also wraps exactly one of the more precise errors below.
var ErrDecrypt = errors.New("FIT-Connect-Nachricht konnte nicht entschlüsselt werden")

// The reasons Decrypt gives, each wrapped together with ErrDecrypt.
var (
	// ErrJWEMalformed: not a compact JWE of five segments, or its header
	// is not readable.
	ErrJWEMalformed = errors.New("kein gültiges JWE")
	// ErrJWEAlgorithm: alg is not RSA-OAEP-256, enc is not A256GCM, or
	// zip is neither absent nor "DEF".
	ErrJWEAlgorithm = errors.New("nicht erlaubter Algorithmus")
	// ErrJWEKidMissing: the header has no kid.
	ErrJWEKidMissing = errors.New("JWE ohne kid")
	// ErrJWEKidUnknown: no private decryption key has the header's kid.
	ErrJWEKidUnknown = errors.New("unbekannter Schlüssel (kid)")
	// ErrJWEAuthentication: the content key could not be unwrapped or the
	// authentication tag does not match: the JWE was altered or encrypted
	// for another key under the same kid.
	ErrJWEAuthentication = errors.New("Authentifizierung fehlgeschlagen")
	// ErrJWETooLarge: the plaintext (after inflating, if compressed) is
	// larger than the limit passed to DecryptMax.
	ErrJWETooLarge = errors.New("Inhalt zu groß")
	// ErrJWEDeflate: the plaintext is marked zip "DEF" but is not a valid
	// DEFLATE stream.
	ErrJWEDeflate = errors.New("komprimierter Inhalt ungültig")
)

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

// Decrypt is DecryptMax with the limit MaxAttachmentBytes.
func Decrypt(keys []jose.JSONWebKey, compact string) ([]byte, error) {
	return DecryptMax(keys, compact, MaxAttachmentBytes)
}

func decryptErr(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrDecrypt, reason, fmt.Sprintf(format, args...))
}

// DecryptMax decrypts a compact JWE with the private key among keys whose
// kid equals the JWE header's kid and returns a plaintext of at most max
// bytes. Only alg RSA-OAEP-256 with enc A256GCM is accepted (standards.md
// §1 "Crypto"); a plaintext compressed with zip "DEF" is inflated up to
// max bytes (not go-jose's fixed cap of max(250 kB, 10 × compressed size)).
// All errors wrap ErrDecrypt and one of ErrJWEMalformed, ErrJWEAlgorithm,
// ErrJWEKidMissing, ErrJWEKidUnknown, ErrJWEAuthentication, ErrJWETooLarge
// or ErrJWEDeflate; their text is German and names the reason, never the
// content.
func DecryptMax(keys []jose.JSONWebKey, compact string, max int64) ([]byte, error) {
	compact = strings.TrimSpace(compact)
	h, err := jweProtectedHeader(compact)
	if err != nil {
		return nil, err
	}
	alg, _ := h["alg"].(string)
	enc, _ := h["enc"].(string)
	zip, hasZip := h["zip"]
	kid, _ := h["kid"].(string)
	switch {
	case alg != string(jose.RSA_OAEP_256):
		return nil, decryptErr(ErrJWEAlgorithm, "Schlüsselalgorithmus (alg) %q statt RSA-OAEP-256", alg)
	case enc != string(jose.A256GCM):
		return nil, decryptErr(ErrJWEAlgorithm, "Inhaltsverschlüsselung (enc) %q statt A256GCM", enc)
	case hasZip && zip != string(jose.DEFLATE):
		return nil, decryptErr(ErrJWEAlgorithm, "Kompression (zip) %v statt DEF oder keiner", zip)
	case kid == "":
		return nil, decryptErr(ErrJWEKidMissing, "der JWE-Header nennt keinen Schlüssel (kid)")
	}
	key := decryptionKey(keys, kid)
	if key == nil {
		return nil, decryptErr(ErrJWEKidUnknown, "der Zustellpunkt hat keinen privaten Entschlüsselungsschlüssel mit kid %s", kid)
	}
	obj, err := jose.ParseEncryptedCompact(compact, jweKeyAlgs, jweEncs)
	if err != nil {
		return nil, decryptErr(ErrJWEMalformed, "%v", err)
	}
	if !hasZip {
		plain, err := obj.Decrypt(key.Key)
		if err != nil {
			return nil, classifyJOSE(err, kid)
		}
		if int64(len(plain)) > max {
			return nil, tooLarge(max)
		}
		return plain, nil
	}
	// go-jose inflates at most max(250 kB, 10 × compressed size) and has no
	// option to raise that, nor to return the compressed plaintext. jwx
	// decrypts with a caller-set inflate limit (WithMaxDecompressBufferSize).
	plain, jwxErr := jwe.Decrypt([]byte(compact), jwe.WithKey(jwa.RSA_OAEP_256(), key.Key), jwe.WithMaxDecompressBufferSize(max))
	if jwxErr == nil {
		return plain, nil
	}
	// Tell an altered JWE from one that is authentic but inflates badly:
	// go-jose checks the tag before it inflates and reports a failed check
	// as ErrCryptoFailure.
	p, err := obj.Decrypt(key.Key)
	switch {
	case errors.Is(err, jose.ErrCryptoFailure):
		return nil, classifyJOSE(err, kid)
	case err == nil && int64(len(p)) <= max:
		return nil, decryptErr(ErrJWEMalformed, "%v", jwxErr)
	}
	var ce flate.CorruptInputError
	if errors.As(jwxErr, &ce) || errors.Is(jwxErr, io.ErrUnexpectedEOF) {
		return nil, decryptErr(ErrJWEDeflate, "der Inhalt ist als DEFLATE-komprimiert (zip DEF) markiert, lässt sich aber nicht entpacken")
	}
	return nil, tooLarge(max)
}

func tooLarge(max int64) error {
	return decryptErr(ErrJWETooLarge, "der (entpackte) Inhalt ist größer als die Grenze von %s", byteSize(max))
}

// byteSize formats n bytes in MiB when it is a whole number of MiB.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d Bytes", n)
}

func classifyJOSE(err error, kid string) error {
	if errors.Is(err, jose.ErrCryptoFailure) {
		return decryptErr(ErrJWEAuthentication, "der Inhaltsschlüssel ließ sich mit dem Schlüssel %s nicht entpacken oder der Authentication-Tag stimmt nicht: die Nachricht wurde verändert oder für einen anderen Schlüssel verschlüsselt", kid)
	}
	return decryptErr(ErrJWEMalformed, "%v", err)
}

// decryptionKey returns the private decryption key with kid, never the
// signing key even under the same kid, or nil.
func decryptionKey(keys []jose.JSONWebKey, kid string) *jose.JSONWebKey {
	for i := range keys {
		k := &keys[i]
		if k.KeyID != kid || k.IsPublic() || (k.Algorithm != "" && k.Algorithm != AlgEncryption) || (k.Algorithm == "" && k.Use != "enc") {
			continue
		}
		return k
	}
	return nil
}

// jweProtectedHeader decodes the protected header (first segment) of a
// compact JWE.
func jweProtectedHeader(compact string) (map[string]any, error) {
	parts := strings.Split(compact, ".")
	if len(parts) != 5 {
		return nil, decryptErr(ErrJWEMalformed, "kein kompaktes JWE (%d statt 5 Teile)", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, decryptErr(ErrJWEMalformed, "JWE-Header ist nicht base64url-kodiert")
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil || h == nil {
		return nil, decryptErr(ErrJWEMalformed, "JWE-Header ist kein JSON-Objekt")
	}
	return h, nil
}

// DecryptDetail returns the German reason of a Decrypt error for the
// detail of a reject-submission problem: the text after the error chain's
// prefixes, e.g. "unbekannter Schlüssel (kid): der Zustellpunkt hat …".
func DecryptDetail(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ErrDecrypt.Error()+": "); i >= 0 {
		msg = msg[i+len(ErrDecrypt.Error())+2:]
	}
	return msg
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
