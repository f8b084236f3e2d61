package fitconnect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/fitconnect"
)

// fixture holds keys generated once per test binary: RSA-4096 generation
// takes seconds on this machine.
type fixture struct {
	ca      *fitconnect.CA
	keys    *fitconnect.DestinationKeys
	private jose.JSONWebKeySet // both private keys
	enc     *fitconnect.Key    // public encryption key (wrapKey)
	sig     *fitconnect.Key    // public signature key (verify)
	signer  *jose.JSONWebKey   // private signing key
	// second destination, for "wrong key" cases
	keys2    *fitconnect.DestinationKeys
	private2 jose.JSONWebKeySet
	rsa3072  *rsa.PrivateKey
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() {
		f := &fixture{}
		if f.ca, fixErr = fitconnect.NewCA("antrag Test-CA"); fixErr != nil {
			return
		}
		if f.keys, fixErr = fitconnect.GenerateDestinationKeys("Zustellpunkt Musterstadt", f.ca); fixErr != nil {
			return
		}
		if f.private, fixErr = f.keys.PrivateKeySet(); fixErr != nil {
			return
		}
		pub, err := fitconnect.ParseJWKSet(f.keys.PublicJWKS)
		if err != nil {
			fixErr = err
			return
		}
		for _, k := range pub {
			switch k.KeyID {
			case f.keys.EncryptionKid:
				f.enc = k
			case f.keys.SigningKid:
				f.sig = k
			}
		}
		for i := range f.private.Keys {
			if f.private.Keys[i].KeyID == f.keys.SigningKid {
				f.signer = &f.private.Keys[i]
			}
		}
		if f.keys2, fixErr = fitconnect.GenerateDestinationKeys("Zustellpunkt Beispielkreis", f.ca); fixErr != nil {
			return
		}
		if f.private2, fixErr = f.keys2.PrivateKeySet(); fixErr != nil {
			return
		}
		f.rsa3072, fixErr = rsa.GenerateKey(rand.Reader, 3072)
		fix = f
	})
	if fixErr != nil {
		t.Fatalf("test keys: %v", fixErr)
	}
	return fix
}

// privateKey returns the private key with kid from set.
func privateKey(t testing.TB, set jose.JSONWebKeySet, kid string) *jose.JSONWebKey {
	t.Helper()
	for i := range set.Keys {
		if set.Keys[i].KeyID == kid {
			return &set.Keys[i]
		}
	}
	t.Fatalf("no key %s", kid)
	return nil
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
