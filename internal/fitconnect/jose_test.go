package fitconnect_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"

	"github.com/antrag/antrag/internal/fitconnect"
)

func jweHeader(t *testing.T, compact string) map[string]any {
	t.Helper()
	seg := strings.Split(compact, ".")[0]
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	f := getFixture(t)
	plain := []byte(`{"G60000000086":{"F60000000243":"Hauptstraße 1"}}`)
	c, err := fitconnect.Encrypt(&f.enc.JSONWebKey, plain, "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(c, ".")); n != 5 {
		t.Fatalf("compact JWE has %d parts", n)
	}
	if len(c) < 776 {
		t.Errorf("JWE has %d characters; FIT-Connect's minimum is 776", len(c))
	}
	h := jweHeader(t, c)
	want := map[string]any{"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": f.keys.EncryptionKid, "cty": "application/json"}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %v, want %v", k, h[k], v)
		}
	}
	if _, ok := h["zip"]; ok {
		t.Error("header has zip")
	}
	got, err := fitconnect.Decrypt(f.private.Keys, c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(plain) {
		t.Fatalf("round trip: %q", got)
	}
	tag, err := fitconnect.AuthTag(c)
	if err != nil || tag != strings.Split(c, ".")[4] || tag == "" {
		t.Fatalf("AuthTag = %q, %v", tag, err)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(tag); err != nil || len(raw) != 16 {
		t.Fatalf("A256GCM tag should be 16 bytes: %d, %v", len(raw), err)
	}
}

// TestJWXDecryptsAntragJWE cross-checks with an independent JOSE
// implementation (lestrrat-go/jwx v3).
func TestJWXDecryptsAntragJWE(t *testing.T) {
	f := getFixture(t)
	plain := []byte("%PDF-1.7 Anlage mit Umlauten äöü")
	c, err := fitconnect.Encrypt(&f.enc.JSONWebKey, plain, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	priv := privateKey(t, f.private, f.keys.EncryptionKid)
	got, err := jwe.Decrypt([]byte(c), jwe.WithKey(jwa.RSA_OAEP_256(), priv.Key))
	if err != nil {
		t.Fatalf("jwx cannot decrypt antrag's JWE: %v", err)
	}
	if string(got) != string(plain) {
		t.Fatalf("jwx got %q", got)
	}
	msg, err := jwe.Parse([]byte(c))
	if err != nil {
		t.Fatal(err)
	}
	if cty, _ := msg.ProtectedHeaders().ContentType(); cty != "application/pdf" {
		t.Errorf("cty = %q", cty)
	}
	// And the other way: a JWE made by jwx decrypts with antrag.
	pub := f.enc.JSONWebKey.Key
	other, err := jwe.Encrypt([]byte("von jwx"), jwe.WithKey(jwa.RSA_OAEP_256(), pub), jwe.WithContentEncryption(jwa.A256GCM()))
	if err != nil {
		t.Fatal(err)
	}
	// jwx sets no kid unless asked; antrag picks keys by kid, so add one.
	hdr := jwe.NewHeaders()
	if err := hdr.Set("kid", f.keys.EncryptionKid); err != nil {
		t.Fatal(err)
	}
	other, err = jwe.Encrypt([]byte("von jwx"), jwe.WithKey(jwa.RSA_OAEP_256(), pub), jwe.WithContentEncryption(jwa.A256GCM()), jwe.WithProtectedHeaders(hdr))
	if err != nil {
		t.Fatal(err)
	}
	got, err = fitconnect.Decrypt(f.private.Keys, string(other))
	if err != nil || string(got) != "von jwx" {
		t.Fatalf("antrag decrypting jwx JWE: %q, %v", got, err)
	}
}

func TestDecryptTampered(t *testing.T) {
	f := getFixture(t)
	c, err := fitconnect.Encrypt(&f.enc.JSONWebKey, []byte(`{"a":1}`), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(c, ".")
	flip := func(seg int) string {
		p := append([]string(nil), parts...)
		b, err := base64.RawURLEncoding.DecodeString(p[seg])
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x01
		p[seg] = base64.RawURLEncoding.EncodeToString(b)
		return strings.Join(p, ".")
	}
	for name, bad := range map[string]string{
		"ciphertext":    flip(3),
		"tag":           flip(4),
		"iv":            flip(2),
		"encrypted key": flip(1),
		"truncated":     strings.Join(parts[:4], "."),
		"garbage":       "kein.jwe",
	} {
		_, err := fitconnect.Decrypt(f.private.Keys, bad)
		if !errors.Is(err, fitconnect.ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", name, err)
		}
	}
	// The right kid but another destination's keys (same kid forged).
	forged := f.private2.Keys[0]
	forged.KeyID = f.keys.EncryptionKid
	if _, err := fitconnect.Decrypt([]jose.JSONWebKey{forged}, c); !errors.Is(err, fitconnect.ErrDecrypt) {
		t.Errorf("wrong key: %v", err)
	}
	// No key with that kid.
	if _, err := fitconnect.Decrypt(f.private2.Keys, c); !errors.Is(err, fitconnect.ErrDecrypt) || !strings.Contains(err.Error(), f.keys.EncryptionKid) {
		t.Errorf("unknown kid: %v", err)
	}
	// Public keys cannot decrypt.
	if _, err := fitconnect.Decrypt([]jose.JSONWebKey{f.enc.JSONWebKey}, c); !errors.Is(err, fitconnect.ErrDecrypt) {
		t.Errorf("public key: %v", err)
	}
}

func TestDecryptRejectsOtherAlgorithms(t *testing.T) {
	f := getFixture(t)
	priv := privateKey(t, f.private, f.keys.EncryptionKid)
	pub := f.enc.JSONWebKey.Key
	for _, tc := range []struct {
		alg jose.KeyAlgorithm
		enc jose.ContentEncryption
	}{
		{jose.RSA_OAEP, jose.A256GCM},
		{jose.RSA1_5, jose.A256GCM},
		{jose.RSA_OAEP_256, jose.A128GCM},
		{jose.RSA_OAEP_256, jose.A256CBC_HS512},
	} {
		e, err := jose.NewEncrypter(tc.enc, jose.Recipient{Algorithm: tc.alg, Key: pub, KeyID: priv.KeyID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := e.Encrypt([]byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := obj.CompactSerialize()
		if _, err := fitconnect.Decrypt(f.private.Keys, c); !errors.Is(err, fitconnect.ErrDecrypt) {
			t.Errorf("%s/%s accepted: %v", tc.alg, tc.enc, err)
		}
	}
}

func TestEncryptNeedsKid(t *testing.T) {
	f := getFixture(t)
	k := f.enc.JSONWebKey
	k.KeyID = ""
	if _, err := fitconnect.Encrypt(&k, []byte("x"), "text/plain"); err == nil {
		t.Fatal("encrypted without kid")
	}
	if _, err := fitconnect.Encrypt(nil, []byte("x"), "text/plain"); err == nil {
		t.Fatal("encrypted without key")
	}
}
