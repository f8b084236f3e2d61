package fitconnect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/fitconnect"
)

const (
	testDest = "5a2c9e0b-1a7d-4c55-9b61-0f6a3f2f1c11"
	testSub  = "8e9f7c1e-2d4b-4f6a-8b3c-7a9d0e1f2a3b"
	testCase = "0b1c2d3e-4f50-4162-8374-95a6b7c8d9e0"
)

// keyFor returns a VerifySET key lookup that knows only the fixture's
// signature key under iss testDest.
func keyFor(f *fixture) func(iss, kid string) (*jose.JSONWebKey, error) {
	return func(iss, kid string) (*jose.JSONWebKey, error) {
		if iss == testDest && kid == f.keys.SigningKid {
			return &f.sig.JSONWebKey, nil
		}
		return nil, errors.New("unbekannt")
	}
}

// signRaw signs arbitrary claims with alg and typ via go-jose.
func signRaw(t *testing.T, key any, kid string, alg jose.SignatureAlgorithm, typ string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", kid)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(mustJSON(t, claims))
	if err != nil {
		t.Fatal(err)
	}
	c, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func validClaims(now time.Time) map[string]any {
	return map[string]any{
		"jti": "c1f0e8a2-3b4d-4e5f-9a6b-7c8d9e0f1a2b",
		"iss": testDest,
		"iat": now.Unix(),
		"sub": "submission:" + testSub,
		"txn": "case:" + testCase,
		"events": map[string]any{
			fitconnect.EventAcceptSubmission: map[string]any{},
		},
	}
}

func TestSignVerifySET(t *testing.T) {
	f := getFixture(t)
	now := time.Unix(1_700_000_000, 0)
	tags := &fitconnect.AuthenticationTags{Metadata: "m", Data: "d", Attachments: map[string]string{"a1": "t1"}}
	tok, err := fitconnect.SignSET(f.signer, fitconnect.SETClaims{
		Issuer: testDest, IssuedAt: now, Subject: fitconnect.SubmissionSubject(testSub), Txn: fitconnect.CaseTxn(testCase),
		Event: fitconnect.EventAcceptSubmission, Payload: fitconnect.AcceptPayload{AuthenticationTags: tags},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Header as FIT-Connect requires.
	hb, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	_ = json.Unmarshal(hb, &h)
	if h["alg"] != "PS512" || h["typ"] != "secevent+jwt" || h["kid"] != f.keys.SigningKid {
		t.Fatalf("header %v", h)
	}
	if _, ok := h["jwk"]; ok {
		t.Error("header embeds the key")
	}
	s, err := fitconnect.VerifySET(tok, keyFor(f), now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Issuer != testDest || s.SubmissionID() != testSub || s.Txn != "case:"+testCase ||
		s.Event != fitconnect.EventAcceptSubmission || !s.IssuedAt.Equal(now) || s.KeyID != f.keys.SigningKid {
		t.Fatalf("SET %+v", s)
	}
	if len(s.ID) != 36 {
		t.Errorf("jti %q is not a UUID", s.ID)
	}
	ap, err := s.Accept()
	if err != nil || ap.AuthenticationTags == nil || ap.AuthenticationTags.Metadata != "m" || ap.AuthenticationTags.Attachments["a1"] != "t1" {
		t.Fatalf("accept payload %+v %v", ap, err)
	}

	// reject-submission with problems.
	tok, err = fitconnect.SignSET(f.signer, fitconnect.SETClaims{
		Issuer: testDest, IssuedAt: now, Subject: fitconnect.SubmissionSubject(testSub), Txn: fitconnect.CaseTxn(testCase),
		Event: fitconnect.EventRejectSubmission, Payload: fitconnect.RejectPayload{Problems: []fitconnect.Problem{
			{Type: fitconnect.RejectHashMismatch, Title: "Prüfsumme falsch", Detail: "Anlage x", Instance: "attachment:x"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err = fitconnect.VerifySET(tok, keyFor(f), now)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := s.Reject()
	if err != nil || len(rp.Problems) != 1 || rp.Problems[0].Title != "Prüfsumme falsch" || rp.Problems[0].Instance != "attachment:x" {
		t.Fatalf("reject payload %+v %v", rp, err)
	}

	// Another destination's key does not verify it.
	other := func(iss, kid string) (*jose.JSONWebKey, error) {
		k := privateKey(t, f.private2, f.keys2.SigningKid).Public()
		return &k, nil
	}
	if _, err := fitconnect.VerifySET(tok, other, now); !errors.Is(err, fitconnect.ErrSET) {
		t.Fatalf("verified with a wrong key: %v", err)
	}
	// Altered claims break the signature.
	p := strings.Split(tok, ".")
	cl := validClaims(now)
	cl["iss"] = testDest
	p[1] = base64.RawURLEncoding.EncodeToString(mustJSON(t, cl))
	if _, err := fitconnect.VerifySET(strings.Join(p, "."), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "Signatur") {
		t.Fatalf("altered payload: %v", err)
	}
}

func TestVerifySETRejectsAlgAndTyp(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	priv := f.signer.Key.(*rsa.PrivateKey)
	claims := validClaims(now)

	// Sanity: the same claims, correctly signed, verify.
	if _, err := fitconnect.VerifySET(signRaw(t, priv, f.keys.SigningKid, jose.PS512, "secevent+jwt", claims), keyFor(f), now); err != nil {
		t.Fatalf("valid SET: %v", err)
	}
	// RS256, signed by go-jose with the right key and typ.
	rs := signRaw(t, priv, f.keys.SigningKid, jose.RS256, "secevent+jwt", claims)
	if _, err := fitconnect.VerifySET(rs, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "RS256") || !strings.Contains(err.Error(), "PS512") {
		t.Errorf("RS256: %v", err)
	}
	// HS256 with the public modulus as "secret" (algorithm confusion).
	hs := signRaw(t, priv.N.Bytes(), f.keys.SigningKid, jose.HS256, "secevent+jwt", claims)
	if _, err := fitconnect.VerifySET(hs, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "HS256") {
		t.Errorf("HS256: %v", err)
	}
	// alg none (unsigned).
	enc := base64.RawURLEncoding.EncodeToString
	none := enc([]byte(`{"alg":"none","typ":"secevent+jwt","kid":"`+f.keys.SigningKid+`"}`)) + "." + enc(mustJSON(t, claims)) + "."
	if _, err := fitconnect.VerifySET(none, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
		t.Errorf("none: %v", err)
	}
	// PS256 is still not PS512.
	ps256 := signRaw(t, priv, f.keys.SigningKid, jose.PS256, "secevent+jwt", claims)
	if _, err := fitconnect.VerifySET(ps256, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
		t.Errorf("PS256: %v", err)
	}
	// Wrong or missing typ.
	for _, typ := range []string{"JWT", "", "secevent+JWT "} {
		tok := signRaw(t, priv, f.keys.SigningKid, jose.PS512, typ, claims)
		if _, err := fitconnect.VerifySET(tok, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "typ") {
			t.Errorf("typ %q: %v", typ, err)
		}
	}
}

func TestVerifySETClaims(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	priv := f.signer.Key.(*rsa.PrivateKey)
	sign := func(c map[string]any) string {
		return signRaw(t, priv, f.keys.SigningKid, jose.PS512, "secevent+jwt", c)
	}
	for _, claim := range []string{"jti", "iat", "sub", "txn", "events"} {
		c := validClaims(now)
		delete(c, claim)
		_, err := fitconnect.VerifySET(sign(c), keyFor(f), now)
		if !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), claim) {
			t.Errorf("without %s: %v", claim, err)
		}
	}
	c := validClaims(now)
	delete(c, "iss")
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "iss") {
		t.Errorf("without iss: %v", err)
	}

	c = validClaims(now)
	c["events"] = map[string]any{
		fitconnect.EventAcceptSubmission: map[string]any{},
		fitconnect.EventRejectSubmission: map[string]any{"problems": []any{}},
	}
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "genau ein Ereignis") {
		t.Errorf("two events: %v", err)
	}
	c["events"] = map[string]any{}
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
		t.Errorf("no event: %v", err)
	}
	c["events"] = map[string]any{fitconnect.EventAcceptSubmission: "nein"}
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
		t.Errorf("event payload not an object: %v", err)
	}

	c = validClaims(now.Add(6 * time.Minute))
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "Zukunft") {
		t.Errorf("iat 6 min ahead: %v", err)
	}
	c = validClaims(now.Add(4 * time.Minute))
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); err != nil {
		t.Errorf("iat 4 min ahead (clock skew) refused: %v", err)
	}
	c = validClaims(now.AddDate(0, -1, 0))
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); err != nil {
		t.Errorf("old SET refused (event logs hold old events): %v", err)
	}
	c = validClaims(now)
	c["iat"] = "gestern"
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
		t.Errorf("iat string: %v", err)
	}
	// Unknown issuer: the key lookup fails.
	c = validClaims(now)
	c["iss"] = "https://evil.example"
	if _, err := fitconnect.VerifySET(sign(c), keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
		t.Errorf("unknown iss: %v", err)
	}
	for _, junk := range []string{"", "a.b", "a.b.c", "...."} {
		if _, err := fitconnect.VerifySET(junk, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) {
			t.Errorf("junk %q: %v", junk, err)
		}
	}
}

func TestSignSETNeedsPrivateRSA(t *testing.T) {
	f := getFixture(t)
	c := fitconnect.SETClaims{Issuer: testDest, Subject: "submission:x", Txn: "case:y", Event: fitconnect.EventAcceptSubmission}
	if _, err := fitconnect.SignSET(&f.sig.JSONWebKey, c); err == nil {
		t.Error("signed with a public key")
	}
	k, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := fitconnect.SignSET(&jose.JSONWebKey{Key: k}, c); err == nil {
		t.Error("signed without kid")
	}
	c.Txn = ""
	if _, err := fitconnect.SignSET(f.signer, c); err == nil {
		t.Error("signed without txn")
	}
}

// TestVerifySETTypCaseInsensitive: RFC 7515 §4.1.9 compares typ without
// regard to case and lets "application/" be left out, so each spelling
// below names the SET media type.
func TestVerifySETTypCaseInsensitive(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	priv := f.signer.Key.(*rsa.PrivateKey)
	for _, typ := range []string{"secevent+jwt", "SECEVENT+JWT", "application/secevent+jwt", "Application/SecEvent+JWT"} {
		tok := signRaw(t, priv, f.keys.SigningKid, jose.PS512, typ, validClaims(now))
		if _, err := fitconnect.VerifySET(tok, keyFor(f), now); err != nil {
			t.Errorf("typ %q refused: %v", typ, err)
		}
	}
	for _, typ := range []string{"application/jwt", "text/secevent+jwt", "secevent+jwt+x"} {
		tok := signRaw(t, priv, f.keys.SigningKid, jose.PS512, typ, validClaims(now))
		if _, err := fitconnect.VerifySET(tok, keyFor(f), now); !errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), "typ") {
			t.Errorf("typ %q: %v", typ, err)
		}
	}
}

// TestVerifySETMalformedIDs: jti must be a UUID and sub must be
// "submission:<uuid>" or "reply:<uuid>"; upper-case hex is a UUID.
func TestVerifySETMalformedIDs(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	priv := f.signer.Key.(*rsa.PrivateKey)
	sign := func(c map[string]any) string {
		return signRaw(t, priv, f.keys.SigningKid, jose.PS512, "secevent+jwt", c)
	}
	for _, tc := range []struct {
		claim, value, want string // want "" means accepted
	}{
		{"jti", "1", "jti"},
		{"jti", "c1f0e8a2-3b4d-4e5f-9a6b-7c8d9e0f1a2", "jti"},
		{"jti", strings.ToUpper("c1f0e8a2-3b4d-4e5f-9a6b-7c8d9e0f1a2b"), ""},
		{"sub", testSub, "sub"},
		{"sub", "submission:", "sub"},
		{"sub", "submission:kein-uuid", "sub"},
		{"sub", "case:" + testCase, "sub"},
		{"sub", "Submission:" + testSub, "sub"},
		{"sub", "submission:" + strings.ToUpper(testSub), ""},
		{"sub", "reply:" + testSub, ""},
	} {
		c := validClaims(now)
		c[tc.claim] = tc.value
		_, err := fitconnect.VerifySET(sign(c), keyFor(f), now)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %q refused: %v", tc.claim, tc.value, err)
		case tc.want != "" && (!errors.Is(err, fitconnect.ErrSET) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %q: %v", tc.claim, tc.value, err)
		}
	}
}
