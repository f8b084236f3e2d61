package fitconnect_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"

	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
)

// jwxEncrypt encrypts plain as a compact JWE with lestrrat-go/jwx, an
// implementation independent of antrag's go-jose: RSA-OAEP-256/A256GCM,
// kid (none when ""), and zip DEF when compress is set, as the Python SDK
// and commercial senders send their parts.
func jwxEncrypt(t *testing.T, f *fixture, kid string, plain []byte, compress bool) string {
	t.Helper()
	hdr := jwe.NewHeaders()
	if kid != "" {
		if err := hdr.Set("kid", kid); err != nil {
			t.Fatal(err)
		}
	}
	opts := []jwe.EncryptOption{jwe.WithKey(jwa.RSA_OAEP_256(), f.enc.JSONWebKey.Key), jwe.WithContentEncryption(jwa.A256GCM()), jwe.WithProtectedHeaders(hdr)}
	if compress {
		opts = append(opts, jwe.WithCompress(jwa.Deflate()))
	}
	c, err := jwe.Encrypt(plain, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if compress && jweHeader(t, string(c))["zip"] != "DEF" {
		t.Fatal("jwx did not set zip DEF")
	}
	return string(c)
}

// bigJSON returns a JSON document of about n bytes with many repeated
// field names, as FIM data documents with long lists are.
func bigJSON(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"G60000000086":{"F60000000243":"Hauptstraße 1"},"G60000000099":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"F60000000301":"Eintrag %d","F60000000302":"Musterstadt","F60000000303":%d}`, i, i%97)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// pdfLike returns n bytes that start like a PDF and compress as well as
// a text-heavy PDF's content streams.
func pdfLike(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 712 Td (Seite %d) Tj ET\nendstream\nendobj\n", i+4, i%50)
	}
	b.WriteString("%%EOF\n")
	return b.Bytes()
}

// TestDecryptCompressedLargeParts: parts compressed with zip DEF inflate
// up to antrag's own limits, not go-jose's cap of max(250 kB, 10 ×
// compressed size); uncompressed parts of the same size decrypt too.
func TestDecryptCompressedLargeParts(t *testing.T) {
	f := getFixture(t)
	for name, plain := range map[string][]byte{
		"810 kB JSON": bigJSON(810_000),
		"3 MB PDF":    pdfLike(3_000_000),
	} {
		for _, compress := range []bool{true, false} {
			c := jwxEncrypt(t, f, f.keys.EncryptionKid, plain, compress)
			if compress && len(c) > len(plain)/10 {
				t.Fatalf("%s: compressed JWE of %d bytes does not exceed go-jose's ratio; the test would prove nothing", name, len(c))
			}
			got, err := fitconnect.Decrypt(f.private.Keys, c)
			if err != nil {
				t.Errorf("%s (zip %v): %v", name, compress, err)
				continue
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("%s (zip %v): plaintext differs (%d bytes, want %d)", name, compress, len(got), len(plain))
			}
		}
	}
}

// TestDecryptCompressedOverLimit: a compressed part that inflates beyond
// the caller's limit is refused with ErrJWETooLarge, and the text names
// the limit rather than "altered".
func TestDecryptCompressedOverLimit(t *testing.T) {
	f := getFixture(t)
	plain := pdfLike(3_000_000)
	for _, compress := range []bool{true, false} {
		c := jwxEncrypt(t, f, f.keys.EncryptionKid, plain, compress)
		_, err := fitconnect.DecryptMax(f.private.Keys, c, 1<<20)
		if !errors.Is(err, fitconnect.ErrJWETooLarge) || !errors.Is(err, fitconnect.ErrDecrypt) {
			t.Fatalf("zip %v: err = %v, want ErrJWETooLarge", compress, err)
		}
		if !strings.Contains(err.Error(), "1 MiB") || errors.Is(err, fitconnect.ErrJWEAuthentication) {
			t.Errorf("zip %v: reason does not name the limit: %v", compress, err)
		}
	}
	// Exactly at the limit is fine.
	c := jwxEncrypt(t, f, f.keys.EncryptionKid, plain, true)
	if got, err := fitconnect.DecryptMax(f.private.Keys, c, int64(len(plain))); err != nil || len(got) != len(plain) {
		t.Fatalf("at the limit: %d bytes, %v", len(got), err)
	}
}

// TestDecryptCompressedTampered: altering a compressed JWE is an
// authentication failure, not a size or DEFLATE problem.
func TestDecryptCompressedTampered(t *testing.T) {
	f := getFixture(t)
	c := jwxEncrypt(t, f, f.keys.EncryptionKid, bigJSON(810_000), true)
	p := strings.Split(c, ".")
	b, _ := base64.RawURLEncoding.DecodeString(p[3])
	b[len(b)/2] ^= 0x20
	p[3] = base64.RawURLEncoding.EncodeToString(b)
	_, err := fitconnect.Decrypt(f.private.Keys, strings.Join(p, "."))
	if !errors.Is(err, fitconnect.ErrJWEAuthentication) {
		t.Fatalf("err = %v, want ErrJWEAuthentication", err)
	}
}

// TestDecryptZipNotDeflate: a JWE marked zip DEF whose plaintext is not a
// DEFLATE stream is refused as such.
func TestDecryptZipNotDeflate(t *testing.T) {
	f := getFixture(t)
	// go-jose writes the header as given but does not compress when only
	// the extra header is set.
	e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: f.enc.JSONWebKey.Key, KeyID: f.keys.EncryptionKid},
		(&jose.EncrypterOptions{}).WithHeader("zip", "DEF"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt(bytes.Repeat([]byte{0xff}, 4096))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := obj.CompactSerialize()
	if jweHeader(t, c)["zip"] != "DEF" {
		t.Skip("go-jose did not keep the zip header")
	}
	_, err = fitconnect.Decrypt(f.private.Keys, c)
	if !errors.Is(err, fitconnect.ErrJWEDeflate) {
		t.Fatalf("err = %v, want ErrJWEDeflate", err)
	}
}

// TestDecryptNamesReason: an unknown kid, a missing kid, a forbidden alg
// or enc and a failed authentication tag each have their own error and
// text.
func TestDecryptNamesReason(t *testing.T) {
	f := getFixture(t)
	plain := []byte(`{"a":1}`)
	good := jwxEncrypt(t, f, f.keys.EncryptionKid, plain, false)
	withAlg := func(alg jose.KeyAlgorithm, enc jose.ContentEncryption) string {
		e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: f.enc.JSONWebKey.Key, KeyID: f.keys.EncryptionKid}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := e.Encrypt(plain)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := obj.CompactSerialize()
		return c
	}
	p := strings.Split(good, ".")
	tag, _ := base64.RawURLEncoding.DecodeString(p[4])
	tag[0] ^= 0x01
	badTag := strings.Join(append(p[:4:4], base64.RawURLEncoding.EncodeToString(tag)), ".")
	for _, tc := range []struct {
		name   string
		keys   []jose.JSONWebKey
		jwe    string
		want   error
		phrase string
	}{
		{"unknown kid", f.private2.Keys, good, fitconnect.ErrJWEKidUnknown, f.keys.EncryptionKid},
		{"missing kid", f.private.Keys, jwxEncrypt(t, f, "", plain, false), fitconnect.ErrJWEKidMissing, "kid"},
		{"alg RSA-OAEP", f.private.Keys, withAlg(jose.RSA_OAEP, jose.A256GCM), fitconnect.ErrJWEAlgorithm, `"RSA-OAEP"`},
		{"alg RSA1_5", f.private.Keys, withAlg(jose.RSA1_5, jose.A256GCM), fitconnect.ErrJWEAlgorithm, `"RSA1_5"`},
		{"enc A128GCM", f.private.Keys, withAlg(jose.RSA_OAEP_256, jose.A128GCM), fitconnect.ErrJWEAlgorithm, `"A128GCM"`},
		{"enc A256CBC-HS512", f.private.Keys, withAlg(jose.RSA_OAEP_256, jose.A256CBC_HS512), fitconnect.ErrJWEAlgorithm, `"A256CBC-HS512"`},
		{"authentication tag", f.private.Keys, badTag, fitconnect.ErrJWEAuthentication, "Authentication-Tag"},
		{"malformed", f.private.Keys, "kein.jwe", fitconnect.ErrJWEMalformed, "5 Teile"},
	} {
		_, err := fitconnect.Decrypt(tc.keys, tc.jwe)
		if !errors.Is(err, tc.want) || !errors.Is(err, fitconnect.ErrDecrypt) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if d := fitconnect.DecryptDetail(err); !strings.Contains(d, tc.phrase) || strings.Contains(d, "verändert oder") && tc.want != fitconnect.ErrJWEAuthentication {
			t.Errorf("%s: detail %q does not name the reason (%q)", tc.name, d, tc.phrase)
		}
	}
}

// recompress replaces a JWE made by antrag's sender with one of the same
// plaintext made by jwx with zip DEF.
func recompress(t *testing.T, f *fixture, compact string) string {
	t.Helper()
	plain, err := fitconnect.Decrypt(f.private.Keys, compact)
	if err != nil {
		t.Fatal(err)
	}
	return jwxEncrypt(t, f, f.keys.EncryptionKid, plain, true)
}

// TestReceiveCompressedParts: a submission whose data (810 kB) and
// attachment (3 MB PDF) come compressed with zip DEF is accepted and
// stored with the inflated content.
func TestReceiveCompressedParts(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	pdf := pdfLike(3_000_000)
	withFirstAttachment(t, pc, "Bescheid.pdf", "application/pdf", pdf)
	// Make the data large: a long list beside the file references.
	pc.p.Submission.Data = append(pc.p.Submission.Data[:len(pc.p.Submission.Data)-1], []byte(`,"G60000000100":`+string(bigJSON(810_000))+`}`)...)
	out := e.send(pc)
	att := pc.p.Attachments[0].ID
	if err := e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) {
		s.EncryptedData = recompress(t, e.f, s.EncryptedData)
		s.Attachments[att] = recompress(t, e.f, s.Attachments[att])
		s.EncryptedMetadata = recompress(t, e.f, s.EncryptedMetadata)
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.sub.Receive(context.Background(), e.destID, out.RemoteID); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	r := e.inbox.get(out.RemoteID)
	if r == nil {
		t.Fatal("not stored")
	}
	if len(r.Data) < 810_000 {
		t.Errorf("data has %d bytes", len(r.Data))
	}
	var found bool
	for _, a := range r.Attachments {
		if a.RemoteID == att {
			found = bytes.Equal(a.Content, pdf)
		}
	}
	if !found {
		t.Error("PDF not stored as sent")
	}
}

// TestReceiveRejectNamesDecryptReason: the reject-submission problem says
// why a part could not be decrypted (here: a kid the destination does not
// have), instead of a general "altered".
func TestReceiveRejectNamesDecryptReason(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	other := jwxEncrypt(t, e.f, "fremder-schluessel", []byte(`{}`), false)
	_ = e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) { s.EncryptedMetadata = other })
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Type != fitconnect.RejectEncryptionIssue || rej.Problem.Instance != "metadata" {
		t.Fatalf("Receive: %v", err)
	}
	if !strings.Contains(rej.Problem.Detail, "fremder-schluessel") || !strings.Contains(rej.Problem.Detail, "kid") {
		t.Errorf("detail %q does not name the unknown kid", rej.Problem.Detail)
	}
	if s := e.lastSET(out.RemoteID); !strings.Contains(string(s.Payload), "fremder-schluessel") {
		t.Errorf("reject-submission event does not carry the reason: %+v", s)
	}
}
