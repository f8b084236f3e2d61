package dsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/require"
)

// The RSASSA-PSS signature methods (RFC 6931 §2.3.10), as added by
// upstream pull request #162: signing with either kind of signing context,
// verification, and refusal of a PSS signature declared as PKCS #1 v1.5 and
// the other way round.

func pssTestElement() *etree.Element {
	el := &etree.Element{Space: "samlp", Tag: "Response"}
	el.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	el.CreateAttr("ID", "_pss-test")
	el.CreateElement("Payload").SetText("Musterstraße 1, 99 084 Erfurt")
	return el
}

func pssValidate(t *testing.T, cert []byte, signed *etree.Element) error {
	t.Helper()
	c, err := x509.ParseCertificate(cert)
	require.NoError(t, err)
	ctx := NewDefaultValidationContext(&MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
	ctx.Clock = NewFakeClockAt(c.NotBefore.Add(time.Minute))
	// As a receiver sees it: serialised and parsed again.
	doc := etree.NewDocument()
	doc.SetRoot(signed.Copy())
	b, err := doc.WriteToBytes()
	require.NoError(t, err)
	doc = etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(b))
	_, err = ctx.Validate(doc.Root())
	return err
}

func TestPSSSignAndValidate(t *testing.T) {
	ks := pssKeyStore(t)
	for _, tc := range []struct {
		method string
		hash   crypto.Hash
	}{
		{RSASHA256PSSSignatureMethod, crypto.SHA256},
		{RSASHA384PSSSignatureMethod, crypto.SHA384},
		{RSASHA512PSSSignatureMethod, crypto.SHA512},
	} {
		t.Run(tc.method, func(t *testing.T) {
			signer, err := NewSigningContext(ks.privateKey, [][]byte{ks.cert})
			require.NoError(t, err)
			keyStore := NewDefaultSigningContext(ks)
			for _, ctx := range []*SigningContext{signer, keyStore} {
				require.NoError(t, ctx.SetSignatureMethod(tc.method))
				require.Equal(t, tc.hash, ctx.Hash)
				require.Equal(t, tc.method, ctx.GetSignatureMethodIdentifier())
				signed, err := ctx.SignEnveloped(pssTestElement())
				require.NoError(t, err)
				method := signed.FindElement("//"+SignatureMethodTag).SelectAttrValue(AlgorithmAttr, "")
				require.Equal(t, tc.method, method)
				require.NoError(t, pssValidate(t, ks.cert, signed))
			}
		})
	}
}

// TestPSSSignatureIsPSS checks the signature value itself with crypto/rsa:
// it is a PSS signature with a salt as long as the hash, not PKCS #1 v1.5.
func TestPSSSignatureIsPSS(t *testing.T) {
	ks := pssKeyStore(t)
	ctx := NewDefaultSigningContext(ks)
	require.NoError(t, ctx.SetSignatureMethod(RSASHA256PSSSignatureMethod))
	ctx.Canonicalizer = MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(pssTestElement())
	require.NoError(t, err)
	sig := signed.FindElement("//" + SignatureTag)
	si := sig.FindElement("//" + SignedInfoTag).Copy()
	si.CreateAttr("xmlns:"+DefaultPrefix, Namespace)
	signedInfo, err := ctx.Canonicalizer.Canonicalize(si)
	require.NoError(t, err)
	value, err := base64.StdEncoding.DecodeString(sig.FindElement("//" + SignatureValueTag).Text())
	require.NoError(t, err)
	digest := sha256.Sum256(signedInfo)
	pub := &ks.privateKey.PublicKey
	require.NoError(t, rsa.VerifyPSS(pub, crypto.SHA256, digest[:], value, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}))
	require.Error(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], value))
}

// TestPSSAlgorithmConfusion: a PKCS #1 v1.5 signature relabelled as PSS
// and a PSS signature relabelled as PKCS #1 v1.5 both fail.
func TestPSSAlgorithmConfusion(t *testing.T) {
	ks := pssKeyStore(t)
	for _, tc := range []struct {
		signWith, claim string
		ok              bool
	}{
		{RSASHA256SignatureMethod, RSASHA256PSSSignatureMethod, false},
		{RSASHA256PSSSignatureMethod, RSASHA256SignatureMethod, false},
		// Controls: the same re-signing with an honest label verifies.
		{RSASHA256SignatureMethod, RSASHA256SignatureMethod, true},
		{RSASHA256PSSSignatureMethod, RSASHA256PSSSignatureMethod, true},
	} {
		ctx := NewDefaultSigningContext(ks)
		ctx.Canonicalizer = MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		require.NoError(t, ctx.SetSignatureMethod(tc.signWith))
		// The SignatureMethod is inside SignedInfo, so relabelling it
		// changes what was signed; sign SignedInfo again by hand with
		// the first method to make the label the only lie.
		signed, err := ctx.SignEnveloped(pssTestElement())
		require.NoError(t, err)
		sig := signed.FindElement("//" + SignatureTag)
		sig.FindElement("//"+SignatureMethodTag).CreateAttr(AlgorithmAttr, tc.claim)
		si := sig.FindElement("//" + SignedInfoTag).Copy()
		si.CreateAttr("xmlns:"+DefaultPrefix, Namespace)
		signedInfo, err := ctx.Canonicalizer.Canonicalize(si)
		require.NoError(t, err)
		digest := sha256.Sum256(signedInfo)
		var value []byte
		if tc.signWith == RSASHA256PSSSignatureMethod {
			value, err = rsa.SignPSS(rand.Reader, ks.privateKey, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			value, err = rsa.SignPKCS1v15(rand.Reader, ks.privateKey, crypto.SHA256, digest[:])
		}
		require.NoError(t, err)
		sig.FindElement("//" + SignatureValueTag).SetText(base64.StdEncoding.EncodeToString(value))
		err = pssValidate(t, ks.cert, signed)
		if tc.ok {
			require.NoError(t, err, "signed with and claimed %s", tc.claim)
		} else {
			require.Error(t, err, "signed with %s, claimed %s", tc.signWith, tc.claim)
		}
	}
}

// pssKeyStore is RandomKeyStoreForTest with a 2048-bit key: RSASSA-PSS
// with SHA-512 and a 64-byte salt does not fit a 1024-bit modulus.
func pssKeyStore(t *testing.T) *MemoryX509KeyStore {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	now := time.Now()
	template := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	cert, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	return &MemoryX509KeyStore{privateKey: key, cert: cert}
}
