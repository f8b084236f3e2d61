package fitconnect_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fitconnect"
)

// clone returns a deep enough copy of k to modify fields.
func clone(k *fitconnect.Key) *fitconnect.Key {
	c := *k
	c.KeyOps = append([]string(nil), k.KeyOps...)
	c.Certificates = append([]*x509.Certificate(nil), k.Certificates...)
	return &c
}

func TestGeneratedKeysPassChecks(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	if err := fitconnect.CheckEncryptionKey(f.enc, f.ca.Pool(), now); err != nil {
		t.Fatalf("encryption key: %v", err)
	}
	if err := fitconnect.CheckSignatureKey(f.sig, f.ca.Pool(), now); err != nil {
		t.Fatalf("signature key: %v", err)
	}
	// Roles are not interchangeable.
	if err := fitconnect.CheckEncryptionKey(f.sig, f.ca.Pool(), now); !errors.Is(err, fitconnect.ErrKeyInvalid) {
		t.Errorf("signature key passed as encryption key: %v", err)
	}
	if err := fitconnect.CheckSignatureKey(f.enc, f.ca.Pool(), now); !errors.Is(err, fitconnect.ErrKeyInvalid) {
		t.Errorf("encryption key passed as signature key: %v", err)
	}
	// The public set carries key_ops, alg, use, x5c = [leaf, CA], and n of
	// at least 683 base64url characters.
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(f.keys.PublicJWKS, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 2 {
		t.Fatalf("%d public keys", len(raw.Keys))
	}
	for _, k := range raw.Keys {
		if _, ok := k["d"]; ok {
			t.Fatal("public set holds a private key")
		}
		if n, _ := k["n"].(string); len(n) < 683 {
			t.Errorf("n has %d characters", len(n))
		}
		if k["e"] != "AQAB" {
			t.Errorf("e = %v", k["e"])
		}
		if x5c, _ := k["x5c"].([]any); len(x5c) != 2 {
			t.Errorf("x5c has %d certificates", len(x5c))
		}
		ops, _ := json.Marshal(k["key_ops"])
		switch k["kid"] {
		case f.keys.EncryptionKid:
			if string(ops) != `["wrapKey"]` || k["alg"] != "RSA-OAEP-256" || k["use"] != "enc" {
				t.Errorf("encryption key: key_ops %s alg %v use %v", ops, k["alg"], k["use"])
			}
		case f.keys.SigningKid:
			if string(ops) != `["verify"]` || k["alg"] != "PS512" || k["use"] != "sig" {
				t.Errorf("signature key: key_ops %s alg %v use %v", ops, k["alg"], k["use"])
			}
		default:
			t.Errorf("unexpected kid %v", k["kid"])
		}
	}
	var priv struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(f.keys.PrivateJWKS, &priv); err != nil {
		t.Fatal(err)
	}
	for _, k := range priv.Keys {
		ops, _ := json.Marshal(k["key_ops"])
		if _, ok := k["d"]; !ok {
			t.Error("private set holds a public key")
		}
		if k["kid"] == f.keys.SigningKid && string(ops) != `["sign"]` {
			t.Errorf("private signing key key_ops %s", ops)
		}
	}
	if f.keys.EncryptionKid == f.keys.SigningKid || len(f.keys.EncryptionKid) != 36 {
		t.Errorf("kids %q %q", f.keys.EncryptionKid, f.keys.SigningKid)
	}
}

func TestCheckKeyRejects(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	other, err := fitconnect.NewCA("fremde CA")
	if err != nil {
		t.Fatal(err)
	}
	priv := privateKey(t, f.private, f.keys.EncryptionKid)
	sigPub := f.sig.Key.(*rsa.PublicKey)

	cases := []struct {
		name  string
		key   func() *fitconnect.Key
		roots *x509.CertPool
		now   time.Time
		want  string
	}{
		{"3072-bit key", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Key = &f.rsa3072.PublicKey
			return k
		}, f.ca.Pool(), now, "3072 Bit"},
		{"missing wrapKey", func() *fitconnect.Key {
			k := clone(f.enc)
			k.KeyOps = []string{"encrypt"}
			return k
		}, f.ca.Pool(), now, "key_ops"},
		{"no key_ops", func() *fitconnect.Key {
			k := clone(f.enc)
			k.KeyOps = nil
			return k
		}, f.ca.Pool(), now, "key_ops"},
		{"extra key_ops", func() *fitconnect.Key {
			k := clone(f.enc)
			k.KeyOps = []string{"wrapKey", "verify"}
			return k
		}, f.ca.Pool(), now, "key_ops"},
		{"wrong alg", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Algorithm = "RSA-OAEP"
			return k
		}, f.ca.Pool(), now, "alg"},
		{"exponent 3", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Key = &rsa.PublicKey{N: k.Key.(*rsa.PublicKey).N, E: 3}
			return k
		}, f.ca.Pool(), now, "AQAB"},
		{"private key", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Key = priv.Key
			return k
		}, f.ca.Pool(), now, "privater"},
		{"no x5c", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Certificates = nil
			return k
		}, f.ca.Pool(), now, "x5c"},
		{"chain not to root", func() *fitconnect.Key { return clone(f.enc) }, other.Pool(), now, "Zertifikatskette"},
		{"no roots", func() *fitconnect.Key { return clone(f.enc) }, nil, now, "Vertrauensanker"},
		{"leaf key differs from JWK", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Key = sigPub // certified by the CA, but for another key
			return k
		}, f.ca.Pool(), now, "anderen Schlüssel"},
		{"chain not full (leaf only)", func() *fitconnect.Key {
			k := clone(f.enc)
			k.Certificates = k.Certificates[:1]
			return k
		}, f.ca.Pool(), now, "vollständige Kette"},
		{"expired", func() *fitconnect.Key { return clone(f.enc) }, f.ca.Pool(), now.AddDate(3, 0, 0), "Zertifikatskette"},
		{"not yet valid", func() *fitconnect.Key { return clone(f.enc) }, f.ca.Pool(), now.AddDate(0, 0, -2), "Zertifikatskette"},
		{"nil", func() *fitconnect.Key { return nil }, f.ca.Pool(), now, "kein Schlüssel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := fitconnect.CheckEncryptionKey(tc.key(), tc.roots, tc.now)
			if !errors.Is(err, fitconnect.ErrKeyInvalid) {
				t.Fatalf("err = %v, want ErrKeyInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}

	k := clone(f.sig)
	k.Algorithm = "RS256"
	if err := fitconnect.CheckSignatureKey(k, f.ca.Pool(), now); err == nil || !strings.Contains(err.Error(), "PS512") {
		t.Errorf("signature key with RS256: %v", err)
	}
	k = clone(f.sig)
	k.KeyOps = []string{"sign"}
	if err := fitconnect.CheckSignatureKey(k, f.ca.Pool(), now); err == nil {
		t.Error("signature key with key_ops sign accepted")
	}
}

func TestParseJWK(t *testing.T) {
	f := getFixture(t)
	b, err := json.Marshal(f.enc)
	if err != nil {
		t.Fatal(err)
	}
	k, err := fitconnect.ParseJWK(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.KeyOps) != 1 || k.KeyOps[0] != "wrapKey" || k.KeyID != f.keys.EncryptionKid || len(k.Certificates) != 2 {
		t.Fatalf("parsed %+v", k)
	}
	if err := fitconnect.CheckEncryptionKey(k, f.ca.Pool(), time.Now()); err != nil {
		t.Fatal(err)
	}

	// A JWK whose x5c certifies another key is refused when parsed.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	sigJSON, _ := json.Marshal(f.sig)
	var sm map[string]any
	_ = json.Unmarshal(sigJSON, &sm)
	m["x5c"] = sm["x5c"]
	bad, _ := json.Marshal(m)
	if _, err := fitconnect.ParseJWK(bad); !errors.Is(err, fitconnect.ErrKeyInvalid) {
		t.Errorf("mismatched x5c parsed: %v", err)
	}
	for _, in := range []string{``, `[]`, `{}`, `{"kty":"RSA"}`, `{"kty":"EC","crv":"P-256"}`} {
		if _, err := fitconnect.ParseJWK([]byte(in)); !errors.Is(err, fitconnect.ErrKeyInvalid) {
			t.Errorf("ParseJWK(%q) = %v", in, err)
		}
	}
}

func TestLoadCA(t *testing.T) {
	f := getFixture(t)
	keyPEM, err := f.ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := fitconnect.LoadCA(f.ca.CertPEM(), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Certificate().Equal(f.ca.Certificate()) {
		t.Fatal("loaded another certificate")
	}
	if err := fitconnect.CheckEncryptionKey(f.enc, ca.Pool(), time.Now()); err != nil {
		t.Fatalf("pool of loaded CA: %v", err)
	}
	other, _ := fitconnect.NewCA("andere")
	otherKey, _ := other.KeyPEM()
	if _, err := fitconnect.LoadCA(f.ca.CertPEM(), otherKey); err == nil {
		t.Error("LoadCA accepted a key of another CA")
	}
	if _, err := fitconnect.LoadCA([]byte("kein PEM"), keyPEM); err == nil {
		t.Error("LoadCA accepted garbage")
	}
}
