package fitconnect

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// Key rules of FIT-Connect destination keys (standards.md §1 "Crypto", from
// fit-connect-cli routing-api.yaml schema jwk).
const (
	// MinRSABits is the smallest RSA modulus accepted (n ≥ 683 base64url
	// characters).
	MinRSABits = 4096
	// AlgEncryption is the alg of a destination's encryption key.
	AlgEncryption = string(jose.RSA_OAEP_256)
	// AlgSignature is the alg of signature keys and of every SET.
	AlgSignature = string(jose.PS512)
)

// ErrKeyInvalid is wrapped by CheckEncryptionKey, CheckSignatureKey and
// ParseJWK when a key breaks the FIT-Connect key rules.
var ErrKeyInvalid = errors.New("FIT-Connect-Schlüssel ungültig")

// Key is a JSON Web Key together with its key_ops member, which
// jose.JSONWebKey does not keep.
type Key struct {
	jose.JSONWebKey
	// KeyOps is key_ops (RFC 7517 §4.3), e.g. ["wrapKey"] or ["verify"].
	KeyOps []string
}

// ParseJWK reads one JWK (public or private) including key_ops. go-jose
// already rejects a JWK whose x5c leaf certificate holds another key. Errors
// wrap ErrKeyInvalid.
func ParseJWK(raw []byte) (*Key, error) {
	var aux struct {
		Kty    string   `json:"kty"`
		KeyOps []string `json:"key_ops"`
	}
	if err := json.Unmarshal(raw, &aux); err != nil {
		return nil, fmt.Errorf("%w: kein JSON-Objekt: %v", ErrKeyInvalid, err)
	}
	if aux.Kty == "" {
		return nil, fmt.Errorf("%w: kty fehlt", ErrKeyInvalid)
	}
	k := &Key{KeyOps: aux.KeyOps}
	if err := k.JSONWebKey.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyInvalid, err)
	}
	return k, nil
}

// ParseJWKSet reads a JWK set {"keys":[…]}, keeping key_ops of each key.
func ParseJWKSet(raw []byte) ([]*Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%w: keine JWK-Menge: %v", ErrKeyInvalid, err)
	}
	out := make([]*Key, 0, len(set.Keys))
	for _, r := range set.Keys {
		k, err := ParseJWK(r)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// MarshalJSON writes the JWK with key_ops.
func (k Key) MarshalJSON() ([]byte, error) {
	b, err := k.JSONWebKey.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if len(k.KeyOps) == 0 {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	ops, err := json.Marshal(k.KeyOps)
	if err != nil {
		return nil, err
	}
	m["key_ops"] = ops
	return json.Marshal(m)
}

// UnmarshalJSON is ParseJWK.
func (k *Key) UnmarshalJSON(b []byte) error {
	p, err := ParseJWK(b)
	if err != nil {
		return err
	}
	*k = *p
	return nil
}

// CheckEncryptionKey checks a destination's public encryption key against
// the FIT-Connect rules (standards.md §1 "Crypto"): kty RSA, public, at
// least 4096 bits, e = AQAB (65537), key_ops exactly ["wrapKey"], alg
// RSA-OAEP-256, use (if set) "enc", and an x5c chain (leaf first, holding
// the full chain up to a certificate in roots) whose leaf holds this very
// key and that is valid at now. Errors wrap ErrKeyInvalid.
func CheckEncryptionKey(k *Key, roots *x509.CertPool, now time.Time) error {
	return checkKey(k, roots, now, "wrapKey", AlgEncryption, "enc")
}

// CheckSignatureKey is CheckEncryptionKey for a destination's public
// signature key: key_ops exactly ["verify"], alg PS512, use (if set) "sig".
func CheckSignatureKey(k *Key, roots *x509.CertPool, now time.Time) error {
	return checkKey(k, roots, now, "verify", AlgSignature, "sig")
}

func checkKey(k *Key, roots *x509.CertPool, now time.Time, op, alg, use string) error {
	if err := checkKeyRules(k, op, alg, use); err != nil {
		return err
	}
	return checkKeyChain(k, roots, now)
}

// checkKeyRules checks everything of checkKey except the x5c chain: kty
// RSA, public, at least MinRSABits, e = 65537, key_ops exactly [op], alg,
// use (if set).
func checkKeyRules(k *Key, op, alg, use string) error {
	if k == nil || k.Key == nil {
		return fmt.Errorf("%w: kein Schlüssel", ErrKeyInvalid)
	}
	kid := k.KeyID
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: Schlüssel %q: %s", ErrKeyInvalid, kid, fmt.Sprintf(format, a...))
	}
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok {
		if _, priv := k.Key.(*rsa.PrivateKey); priv {
			return bad("privater Schlüssel statt öffentlichem")
		}
		return bad("kty muss RSA sein")
	}
	if n := pub.N.BitLen(); n < MinRSABits {
		return bad("RSA-Schlüssel hat %d Bit, verlangt sind mindestens %d", n, MinRSABits)
	}
	if pub.E != 65537 {
		return bad("Exponent e muss AQAB (65537) sein")
	}
	if len(k.KeyOps) != 1 || k.KeyOps[0] != op {
		return bad("key_ops muss genau %q enthalten", op)
	}
	if k.Algorithm != alg {
		return bad("alg muss %s sein, nicht %q", alg, k.Algorithm)
	}
	if k.Use != "" && k.Use != use {
		return bad("use muss %s sein, nicht %q", use, k.Use)
	}
	return nil
}

// checkKeyChain checks that the key's x5c chain (leaf first) holds the key,
// is valid at now and reaches a certificate in roots that x5c includes.
func checkKeyChain(k *Key, roots *x509.CertPool, now time.Time) error {
	kid := k.KeyID
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: Schlüssel %q: %s", ErrKeyInvalid, kid, fmt.Sprintf(format, a...))
	}
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok {
		return bad("kty muss RSA sein")
	}
	if len(k.Certificates) == 0 {
		return bad("x5c mit Zertifikatskette fehlt")
	}
	leaf := k.Certificates[0]
	if !pub.Equal(leaf.PublicKey) {
		return bad("das erste Zertifikat in x5c gehört zu einem anderen Schlüssel")
	}
	if roots == nil {
		return bad("keine Vertrauensanker (Wurzelzertifikate) konfiguriert")
	}
	inter := x509.NewCertPool()
	for _, c := range k.Certificates[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return bad("Zertifikatskette nicht gültig: %v", err)
	}
	for _, ch := range chains {
		top := ch[len(ch)-1]
		if slices.ContainsFunc(k.Certificates, func(c *x509.Certificate) bool { return c.Equal(top) }) {
			return nil
		}
	}
	return bad("x5c enthält nicht die vollständige Kette bis zum Wurzelzertifikat")
}

// CA is a certificate authority that issues destination key certificates,
// for tests, demos and self-run FIT-Connect test setups. Its key is ECDSA
// P-384 (fast to generate; it only signs certificates).
type CA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// NewCA creates a self-signed CA named name, valid for ten years from now.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key}, nil
}

// LoadCA reads a CA from its PEM certificate and PEM PKCS #8 private key.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, errors.New("CA-Zertifikat: kein PEM-Block CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA-Zertifikat: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, errors.New("CA-Schlüssel: kein PEM-Block PRIVATE KEY (PKCS #8)")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA-Schlüssel: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("CA-Schlüssel kann nicht signieren")
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pk, ok := signer.Public().(equaler); !ok || !pk.Equal(cert.PublicKey) {
		return nil, errors.New("CA-Schlüssel passt nicht zum CA-Zertifikat")
	}
	if !cert.IsCA {
		return nil, errors.New("Zertifikat ist kein CA-Zertifikat")
	}
	return &CA{cert: cert, key: signer}, nil
}

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate as PEM.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// KeyPEM returns the CA private key as PEM (PKCS #8). It is a secret.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Pool returns a pool holding only the CA certificate, for use as roots.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue certifies pub for commonName, valid for two years (capped at the
// CA's expiry).
func (ca *CA) issue(commonName string, pub crypto.PublicKey, usage x509.KeyUsage) (*x509.Certificate, error) {
	now := time.Now()
	notAfter := now.AddDate(2, 0, 0)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              usage,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		return big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}

// DestinationKeys are the key pairs of one FIT-Connect destination.
type DestinationKeys struct {
	// EncryptionKid and SigningKid are the kids (random UUIDs).
	EncryptionKid, SigningKid string
	// PrivateJWKS is the JWK set {"keys":[…]} of both private keys: the
	// decryption key (key_ops ["unwrapKey"], alg RSA-OAEP-256) and the
	// signing key (key_ops ["sign"], alg PS512). It is a secret.
	PrivateJWKS []byte
	// PublicJWKS is the JWK set of both public keys as registered with the
	// destination: the encryption key (key_ops ["wrapKey"], alg
	// RSA-OAEP-256, use enc) and the signature key (key_ops ["verify"],
	// alg PS512, use sig). Each has x5c = [leaf, CA].
	PublicJWKS []byte
}

// PrivateKeySet parses PrivateJWKS.
func (d *DestinationKeys) PrivateKeySet() (jose.JSONWebKeySet, error) {
	var s jose.JSONWebKeySet
	err := json.Unmarshal(d.PrivateJWKS, &s)
	return s, err
}

// GenerateDestinationKeys creates the two RSA-4096 key pairs of a
// destination, each with a certificate for commonName issued by ca, so that
// they pass CheckEncryptionKey and CheckSignatureKey with ca.Pool(). RSA
// key generation takes seconds.
func GenerateDestinationKeys(commonName string, ca *CA) (*DestinationKeys, error) {
	if ca == nil {
		return nil, errors.New("keine CA")
	}
	encKey, err := rsa.GenerateKey(rand.Reader, MinRSABits)
	if err != nil {
		return nil, err
	}
	sigKey, err := rsa.GenerateKey(rand.Reader, MinRSABits)
	if err != nil {
		return nil, err
	}
	encCert, err := ca.issue(commonName, &encKey.PublicKey, x509.KeyUsageKeyEncipherment)
	if err != nil {
		return nil, err
	}
	sigCert, err := ca.issue(commonName, &sigKey.PublicKey, x509.KeyUsageDigitalSignature)
	if err != nil {
		return nil, err
	}
	d := &DestinationKeys{EncryptionKid: uuid.NewString(), SigningKid: uuid.NewString()}
	encChain := []*x509.Certificate{encCert, ca.cert}
	sigChain := []*x509.Certificate{sigCert, ca.cert}
	priv := []Key{
		{JSONWebKey: jose.JSONWebKey{Key: encKey, KeyID: d.EncryptionKid, Algorithm: AlgEncryption, Use: "enc", Certificates: encChain}, KeyOps: []string{"unwrapKey"}},
		{JSONWebKey: jose.JSONWebKey{Key: sigKey, KeyID: d.SigningKid, Algorithm: AlgSignature, Use: "sig", Certificates: sigChain}, KeyOps: []string{"sign"}},
	}
	pub := []Key{
		{JSONWebKey: jose.JSONWebKey{Key: &encKey.PublicKey, KeyID: d.EncryptionKid, Algorithm: AlgEncryption, Use: "enc", Certificates: encChain}, KeyOps: []string{"wrapKey"}},
		{JSONWebKey: jose.JSONWebKey{Key: &sigKey.PublicKey, KeyID: d.SigningKid, Algorithm: AlgSignature, Use: "sig", Certificates: sigChain}, KeyOps: []string{"verify"}},
	}
	if d.PrivateJWKS, err = marshalKeySet(priv); err != nil {
		return nil, err
	}
	if d.PublicJWKS, err = marshalKeySet(pub); err != nil {
		return nil, err
	}
	return d, nil
}

func marshalKeySet(keys []Key) ([]byte, error) {
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(struct {
		Keys []Key `json:"keys"`
	}{keys})
	return bytes.TrimSpace(buf.Bytes()), err
}
