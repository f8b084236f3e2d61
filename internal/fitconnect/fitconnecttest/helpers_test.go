package fitconnecttest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

const (
	testClientID = "antrag-test"
	testSecret   = "s3cr3t&="
	testLeika    = "urn:de:fim:leika:leistung:99018115001001"
	testDestID   = "7e5f8f5c-4bde-4f46-9d56-2f3e3c0f7a11"
	encKid       = "enc-1"
	sigKid       = "sig-1"
)

var (
	keysOnce         sync.Once
	platformKey      *rsa.PrivateKey
	encPriv, sigPriv *rsa.PrivateKey
	destJWKS         []byte
	encKeyJSON       []byte
	keysErr          error
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		for _, p := range []**rsa.PrivateKey{&platformKey, &encPriv, &sigPriv} {
			if *p, keysErr = rsa.GenerateKey(rand.Reader, 2048); keysErr != nil {
				return
			}
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "fitconnecttest destination"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &encPriv.PublicKey, encPriv)
		if err != nil {
			keysErr = err
			return
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			keysErr = err
			return
		}
		enc := withOps(t, jose.JSONWebKey{Key: &encPriv.PublicKey, KeyID: encKid, Algorithm: "RSA-OAEP-256", Certificates: []*x509.Certificate{cert}}, "wrapKey")
		sig := withOps(t, jose.JSONWebKey{Key: &sigPriv.PublicKey, KeyID: sigKid, Algorithm: "PS512"}, "verify")
		encKeyJSON = enc
		destJWKS = []byte(`{"keys":[` + string(enc) + `,` + string(sig) + `]}`)
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
}

func withOps(t testing.TB, k jose.JSONWebKey, ops ...string) []byte {
	raw, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["key_ops"] = ops
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type env struct {
	d    *Double
	base string
	tok  string
	t    testing.TB
}

func newEnv(t testing.TB, opts Options, mutate func(*Destination)) *env {
	t.Helper()
	testKeys(t)
	if opts.PlatformKey == nil {
		opts.PlatformKey = platformKey
	}
	d, srv := NewServer(t, opts)
	d.AddClient(testClientID, testSecret)
	dest := Destination{
		ID:            testDestID,
		PublicKeys:    destJWKS,
		EncryptionKid: encKid,
		Services: []Service{{
			Identifier:        testLeika,
			Name:              "Blaue Karte",
			SubmissionSchemas: []Schema{{URI: "https://schema.fitko.de/fim/s00000092_1.0.schema.json", MimeType: "application/json"}},
		}},
	}
	if mutate != nil {
		mutate(&dest)
	}
	if err := d.AddDestination(dest); err != nil {
		t.Fatal(err)
	}
	e := &env{d: d, base: srv.URL, t: t}
	e.tok = e.token()
	return e
}

func (e *env) token() string {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testSecret}}
	resp, err := http.PostForm(e.base+"/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != 200 {
		e.t.Fatalf("token: %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		e.t.Fatal(err)
	}
	if tr.AccessToken == "" || tr.TokenType != "Bearer" || tr.ExpiresIn <= 0 {
		e.t.Fatalf("token reply %+v", tr)
	}
	return tr.AccessToken
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("reply %d is not JSON: %v: %s", r.status, err, r.body)
	}
	return m
}

// problem asserts a problem document with status and type suffix.
func (r reply) problem(t testing.TB, status int, typ string) Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != ProblemBase+typ || p.Status != status || p.Title == "" {
		t.Fatalf("problem %+v, want type %s", p, ProblemBase+typ)
	}
	return p
}

func (e *env) do(method, path, ctype string, body []byte) reply {
	e.t.Helper()
	return e.doTok(e.tok, method, path, ctype, body)
}

func (e *env) doTok(tok, method, path, ctype string, body []byte) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encrypt returns a real compact JWE for the destination's encryption key.
func encrypt(t testing.TB, plain string) string {
	t.Helper()
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &encPriv.PublicKey, KeyID: encKid}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type ids struct {
	DestinationID string `json:"destinationId"`
	SubmissionID  string `json:"submissionId"`
	CaseID        string `json:"caseId"`
}

// announce announces a v1 submission with n attachments.
func (e *env) announce(v string, n int) (ids, []string) {
	e.t.Helper()
	var att []string
	for i := 0; i < n; i++ {
		att = append(att, uuid.NewString())
	}
	body := map[string]any{"destinationId": testDestID, "announcedAttachments": att}
	svc := map[string]string{"identifier": testLeika, "name": "Blaue Karte"}
	if v == "v2" {
		body["publicService"] = svc
	} else {
		body["serviceType"] = svc
	}
	r := e.do("POST", "/"+v+"/submissions", "application/json", mustJSON(e.t, body))
	if r.status != http.StatusCreated {
		e.t.Fatalf("announce: %d %s", r.status, r.body)
	}
	var out ids
	if err := json.Unmarshal(r.body, &out); err != nil {
		e.t.Fatal(err)
	}
	if out.DestinationID != testDestID || !isUUID(out.SubmissionID) || !isUUID(out.CaseID) {
		e.t.Fatalf("announce reply %+v", out)
	}
	return out, att
}

// submitted runs a full v1 sender flow and returns the ids.
func (e *env) submitted(v string, n int) (ids, []string) {
	e.t.Helper()
	id, att := e.announce(v, n)
	for _, a := range att {
		r := e.do("PUT", "/"+v+"/submissions/"+id.SubmissionID+"/attachments/"+a, "application/jose", []byte(encrypt(e.t, "attachment "+a)))
		if r.status != http.StatusNoContent {
			e.t.Fatalf("upload: %d %s", r.status, r.body)
		}
	}
	r := e.do("PUT", "/"+v+"/submissions/"+id.SubmissionID, "application/json", mustJSON(e.t, map[string]string{
		"encryptedMetadata": encrypt(e.t, `{"contentStructure":{}}`),
		"encryptedData":     encrypt(e.t, `{"x":1}`),
	}))
	if r.status != http.StatusAccepted {
		e.t.Fatalf("submit: %d %s", r.status, r.body)
	}
	return id, att
}

// signSET signs claims as a SET with the given algorithm, key and kid.
func signSET(t testing.TB, alg jose.SignatureAlgorithm, key *rsa.PrivateKey, kid, typ string, claims map[string]any) string {
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
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func acceptClaims(id ids, event string) map[string]any {
	return map[string]any{
		"jti":    uuid.NewString(),
		"iss":    id.DestinationID,
		"iat":    time.Now().Unix(),
		"sub":    "submission:" + id.SubmissionID,
		"txn":    "case:" + id.CaseID,
		"events": map[string]any{event: map[string]any{}},
	}
}

// setClaims verifies a platform SET with the JWKS and returns its claims.
func setClaims(t testing.TB, jwks []byte, set string) map[string]any {
	t.Helper()
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &ks); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(set, []jose.SignatureAlgorithm{jose.PS512})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Protected
	if h.ExtraHeaders[jose.HeaderType] != SETType {
		t.Fatalf("typ %v", h.ExtraHeaders[jose.HeaderType])
	}
	keys := ks.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in JWKS", h.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func eventOf(t testing.TB, claims map[string]any) string {
	t.Helper()
	ev, _ := claims["events"].(map[string]any)
	if len(ev) != 1 {
		t.Fatalf("events %v", claims["events"])
	}
	for k := range ev {
		return strings.TrimPrefix(k, "https://schema.fitko.de/fit-connect/events/")
	}
	return ""
}

// hmacHex is the receiver's side of the callback MAC, written from the
// spec: hex(HMAC-SHA512(secret, msg)).
func hmacHex(secret []byte, msg string) string {
	m := hmac.New(sha512.New, secret)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}
