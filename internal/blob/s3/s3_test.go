package s3_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/blob/blobtest"
	"github.com/antrag/antrag/internal/blob/s3"
	"github.com/antrag/antrag/internal/sealed"
)

// fakeS3 starts gofakes3 (in memory) behind an HTTP test server and
// returns a config for it without a bucket.
func fakeS3(tb testing.TB) s3.Config {
	tb.Helper()
	srv := httptest.NewServer(dechunkParts(gofakes3.New(s3mem.New()).Server()))
	tb.Cleanup(srv.Close)
	return s3.Config{
		Endpoint:  strings.TrimPrefix(srv.URL, "http://"),
		Region:    "eu-central-1",
		AccessKey: "test-access",
		SecretKey: "test-secret",
	}
}

// dechunkParts works around gofakes3 v1.2.0, which decodes the
// aws-chunked body of a streaming-signed PutObject
// (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, which
// minio-go sends over plain HTTP) but stores the body of a multipart
// UploadPart as it comes, chunk headers and signatures included, so every
// object above 16 MiB came back corrupt (and failed sealed.Box.Open).
// AWS S3 and MinIO decode both. dechunkParts decodes such part bodies
// before gofakes3 sees them; chunk signatures are not checked (gofakes3
// checks no signatures at all).
func dechunkParts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !r.URL.Query().Has("partNumber") ||
			!strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := decodeAWSChunked(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		r.Header.Del("X-Amz-Content-Sha256")
		r.Header.Del("X-Amz-Decoded-Content-Length")
		r.Header.Del("Content-Encoding")
		next.ServeHTTP(w, r)
	})
}

// decodeAWSChunked returns the payload of an aws-chunked body:
// "<hex size>[;chunk-signature=...]\r\n<data>\r\n" ... up to a chunk of
// size 0, then optional trailer lines and an empty line.
func decodeAWSChunked(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked header: %w", err)
		}
		hexSize, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		size, err := strconv.ParseInt(hexSize, 16, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("aws-chunked size %q", hexSize)
		}
		if size == 0 {
			return out.Bytes(), nil // trailers, if any, are ignored
		}
		if _, err := io.CopyN(&out, br, size); err != nil {
			return nil, fmt.Errorf("aws-chunked data: %w", err)
		}
		if crlf, err := br.ReadString('\n'); err != nil || crlf != "\r\n" {
			return nil, fmt.Errorf("aws-chunked: no CRLF after data: %q, %v", crlf, err)
		}
	}
}

// externalS3 returns the config of the server in ANTRAG_TEST_S3, a URL
//
//	s3://ACCESS:SECRET@host:port/bucket?tls=false&region=eu-central-1&sse=AES256&kms=KEYID&create=true
//
// (tls defaults to true), or skips tb if the variable is empty.
func externalS3(tb testing.TB) s3.Config {
	tb.Helper()
	raw := os.Getenv("ANTRAG_TEST_S3")
	if raw == "" {
		tb.Skip("ANTRAG_TEST_S3 not set (s3://ACCESS:SECRET@host:port/bucket?tls=false)")
	}
	cfg, err := parseS3URL(raw)
	if err != nil {
		tb.Fatalf("ANTRAG_TEST_S3: %v", err)
	}
	return cfg
}

func parseS3URL(raw string) (s3.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return s3.Config{}, err
	}
	if u.Scheme != "s3" || u.Host == "" {
		return s3.Config{}, errors.New("want s3://ACCESS:SECRET@host:port/bucket")
	}
	q := u.Query()
	cfg := s3.Config{
		Endpoint: u.Host,
		Bucket:   strings.Trim(u.Path, "/"),
		Region:   q.Get("region"),
		UseTLS:   true,
		SSE:      q.Get("sse"),
		KMSKeyID: q.Get("kms"),
	}
	if u.User != nil {
		cfg.AccessKey = u.User.Username()
		cfg.SecretKey, _ = u.User.Password()
	}
	if v := q.Get("tls"); v != "" {
		if cfg.UseTLS, err = strconv.ParseBool(v); err != nil {
			return s3.Config{}, err
		}
	}
	if v := q.Get("create"); v != "" {
		if cfg.CreateBucket, err = strconv.ParseBool(v); err != nil {
			return s3.Config{}, err
		}
	}
	if cfg.Bucket == "" {
		return s3.Config{}, errors.New("no bucket")
	}
	return cfg, nil
}

// rawClient is a minio client for cfg that reads the bucket directly,
// bypassing the store.
func rawClient(tb testing.TB, cfg s3.Config) *minio.Client {
	tb.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// objectNames lists the objects and incomplete uploads under prefix,
// without the prefix.
func objectNames(t *testing.T, c *minio.Client, bucket, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("ListObjects: %v", o.Err)
		}
		out = append(out, strings.TrimPrefix(o.Key, prefix))
	}
	for u := range c.ListIncompleteUploads(ctx, bucket, prefix, true) {
		if u.Err != nil {
			t.Logf("ListIncompleteUploads (not checked): %v", u.Err)
			break
		}
		out = append(out, "incomplete upload of "+strings.TrimPrefix(u.Key, prefix))
	}
	return out
}

// conformance runs the Store suite on S3 stores made by base: each gets a
// new prefix in base.Bucket, or a new bucket if base.Bucket is empty.
func conformance(t *testing.T, base s3.Config) {
	blobtest.Suite{New: func(t *testing.T) (blob.Store, blobtest.Names) {
		cfg := base
		if cfg.Bucket == "" {
			cfg.Bucket = "antrag-" + uuid.NewString()
			cfg.CreateBucket = true
		}
		cfg.Prefix = "antrag-test/" + uuid.NewString() + "/"
		s, err := s3.New(context.Background(), cfg, mustBox(t, 1))
		if err != nil {
			t.Fatal(err)
		}
		c := rawClient(t, cfg)
		t.Cleanup(func() { removePrefix(t, c, cfg.Bucket, cfg.Prefix) })
		return s, func(t *testing.T) []string { return objectNames(t, c, cfg.Bucket, cfg.Prefix) }
	}}.Run(t)
}

func removePrefix(t *testing.T, c *minio.Client, bucket, prefix string) {
	ctx := context.Background()
	objs := c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true})
	for e := range c.RemoveObjects(ctx, bucket, objs, minio.RemoveObjectsOptions{}) {
		t.Logf("cleaning up %s: %v", e.ObjectName, e.Err)
	}
}

func TestS3Conformance(t *testing.T) {
	conformance(t, fakeS3(t))
}

func TestS3ConformanceExternal(t *testing.T) {
	conformance(t, externalS3(t))
}

// TestS3ConformanceExternalURL runs the external path (a URL, one bucket,
// a prefix per store) against gofakes3, so that it is known to work
// without an external server.
func TestS3ConformanceExternalURL(t *testing.T) {
	fake := fakeS3(t)
	t.Setenv("ANTRAG_TEST_S3", "s3://"+fake.AccessKey+":"+fake.SecretKey+"@"+fake.Endpoint+
		"/antrag-extern?tls=false&create=true&sse=AES256&region="+fake.Region)
	conformance(t, externalS3(t))
}

// headerLog is an http.RoundTripper that records the requests it carries.
type headerLog struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (h *headerLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.reqs = append(h.reqs, r.Clone(context.Background()))
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// puts returns the PUT requests of objects (not of the bucket), including
// multipart parts.
func (h *headerLog) puts() []*http.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*http.Request
	for _, r := range h.reqs {
		if (r.Method == http.MethodPut || r.Method == http.MethodPost) && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1 {
			out = append(out, r)
		}
	}
	return out
}

func (h *headerLog) reset() {
	h.mu.Lock()
	h.reqs = nil
	h.mu.Unlock()
}

func TestS3EncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	cfg := fakeS3(t)
	cfg.Bucket = "antrag-anlagen"
	cfg.CreateBucket = true
	cfg.Prefix = "anlagen/"
	s, err := s3.New(ctx, cfg, mustBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Personalausweis L01X00T47 Erika Mustermann"
	plain := strings.Repeat(secret, 10)
	key := blob.NewKey()
	if _, err := s.Put(ctx, key, strings.NewReader(plain), 1<<20); err != nil {
		t.Fatal(err)
	}

	// The object, read past the store, is the stream format of
	// sealed.Box.NewWriter.
	c := rawClient(t, cfg)
	obj, err := c.GetObject(ctx, cfg.Bucket, "anlagen/"+key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		t.Fatalf("reading the object directly: %v", err)
	}
	if int64(len(b)) != sealed.SealedSize(int64(len(plain))) {
		t.Errorf("object has %d bytes, want %d (header, tag, content)", len(b), sealed.SealedSize(int64(len(plain))))
	}
	if bytes.Contains(b, []byte("Personalausweis")) || bytes.Contains(b, []byte("Mustermann")) {
		t.Error("the object contains the plain text")
	}
	if r, err := mustBox(t, 1).NewReader(bytes.NewReader(b)); err != nil {
		t.Errorf("sealed.Box.NewReader(object): %v", err)
	} else if got, err := io.ReadAll(r); err != nil || string(got) != plain {
		t.Errorf("sealed.Box.NewReader(object) = %d bytes, %v", len(got), err)
	}
	if names := objectNames(t, c, cfg.Bucket, ""); len(names) != 1 || names[0] != "anlagen/"+key {
		t.Errorf("bucket holds %q, want only the prefixed key", names)
	}

	// Another key cannot open it; a changed object is an error.
	other, err := s3.New(ctx, cfg, mustBox(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, key); !errors.Is(err, sealed.ErrOpen) {
		t.Errorf("Open with another key = %v, want sealed.ErrOpen", err)
	}
	b[len(b)-1] ^= 1
	if _, err := c.PutObject(ctx, cfg.Bucket, "anlagen/"+key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, key); !errors.Is(err, sealed.ErrOpen) {
		t.Errorf("Open of a changed object = %v, want sealed.ErrOpen", err)
	}

	// Another prefix in the same bucket is another store.
	cfg.Prefix = "andere/"
	third, err := s3.New(ctx, cfg, mustBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.Open(ctx, key); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open under another prefix = %v, want apperr.NotFound", err)
	}
}

func TestS3ServerSideEncryption(t *testing.T) {
	ctx := context.Background()
	base := fakeS3(t)
	base.Bucket = "antrag-sse"
	base.CreateBucket = true
	for _, tc := range []struct {
		sse, kms  string
		wantSSE   string
		wantKMSID string
	}{
		{"", "", "", ""},
		{s3.SSES3, "", "AES256", ""},
		{s3.SSEKMS, "", "aws:kms", ""},
		{s3.SSEKMS, "arn:aws:kms:eu-central-1:111122223333:key/antrag", "aws:kms", "arn:aws:kms:eu-central-1:111122223333:key/antrag"},
	} {
		t.Run("sse="+tc.sse+",kms="+tc.kms, func(t *testing.T) {
			log := &headerLog{}
			cfg := base
			cfg.SSE, cfg.KMSKeyID, cfg.Transport = tc.sse, tc.kms, log
			s, err := s3.New(ctx, cfg, mustBox(t, 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, size := range []int64{100, 17 << 20} { // one PUT; a multipart upload
				log.reset()
				key := blob.NewKey()
				if _, err := s.Put(ctx, key, blobtest.NewPattern(3, size), size); err != nil {
					t.Fatalf("Put(%d bytes): %v", size, err)
				}
				puts := log.puts()
				if len(puts) == 0 {
					t.Fatalf("no PUT of an object seen")
				}
				// A single PUT carries the header; a multipart upload
				// carries it on its initiating POST.
				first := puts[0]
				if got := first.Header.Get("X-Amz-Server-Side-Encryption"); got != tc.wantSSE {
					t.Errorf("%d bytes: %s %s: x-amz-server-side-encryption %q, want %q", size, first.Method, first.URL.Path, got, tc.wantSSE)
				}
				if got := first.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); got != tc.wantKMSID {
					t.Errorf("%d bytes: KMS key id %q, want %q", size, got, tc.wantKMSID)
				}
				rc, err := s.Open(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				off, err := blobtest.Equal(rc, blobtest.NewPattern(3, size))
				rc.Close()
				if err != nil || off >= 0 {
					t.Errorf("%d bytes read back: differ at %d, %v", size, off, err)
				}
			}
		})
	}
}

func TestNewS3(t *testing.T) {
	ctx := context.Background()
	box := mustBox(t, 1)
	base := fakeS3(t)
	base.Bucket = "antrag-vorhanden"

	// A missing bucket is NotFound without CreateBucket and created with
	// it; a second NewS3 finds it.
	if _, err := s3.New(ctx, base, box); !errors.Is(err, apperr.NotFound) {
		t.Errorf("NewS3(missing bucket) = %v, want apperr.NotFound", err)
	}
	cfg := base
	cfg.CreateBucket = true
	if _, err := s3.New(ctx, cfg, box); err != nil {
		t.Fatalf("NewS3(CreateBucket): %v", err)
	}
	if _, err := s3.New(ctx, cfg, box); err != nil {
		t.Errorf("NewS3(CreateBucket) of an existing bucket: %v", err)
	}
	if _, err := s3.New(ctx, base, box); err != nil {
		t.Errorf("NewS3(existing bucket): %v", err)
	}

	if _, err := s3.New(ctx, base, nil); err == nil {
		t.Error("NewS3 without a box: no error")
	}
	for name, change := range map[string]func(*s3.Config){
		"no endpoint":     func(c *s3.Config) { c.Endpoint = "" },
		"scheme":          func(c *s3.Config) { c.Endpoint = "http://" + c.Endpoint },
		"path":            func(c *s3.Config) { c.Endpoint += "/bucket" },
		"no bucket":       func(c *s3.Config) { c.Bucket = "" },
		"bad bucket":      func(c *s3.Config) { c.Bucket = "Not_A_Bucket" },
		"slash prefix":    func(c *s3.Config) { c.Prefix = "/anlagen/" },
		"unknown SSE":     func(c *s3.Config) { c.SSE = "aws:kms:dsse-x" },
		"KMS key, no KMS": func(c *s3.Config) { c.SSE, c.KMSKeyID = s3.SSES3, "key" },
		"MaxRetries < 0":  func(c *s3.Config) { c.MaxRetries = -1 },
	} {
		cfg := base
		change(&cfg)
		if _, err := s3.New(ctx, cfg, box); err == nil {
			t.Errorf("NewS3 with %s: no error", name)
		} else if name != "bad bucket" && !errors.Is(err, apperr.Invalid) {
			t.Errorf("NewS3 with %s = %v, want apperr.Invalid", name, err)
		}
	}

	// An unreachable server is an error naming the operation.
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	cfg = base
	cfg.Endpoint = dead
	cfg.MaxRetries = 1
	_, err := s3.New(ctx, cfg, box)
	if err == nil || !strings.Contains(err.Error(), "HeadBucket") {
		t.Errorf("NewS3(unreachable) = %v", err)
	}
	t.Logf("NewS3(unreachable): %v", err)
}

func TestS3NetworkErrors(t *testing.T) {
	ctx := context.Background()
	backend := gofakes3.New(s3mem.New()).Server()
	var down sync.Map // set: the server answers 500
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := down.Load("down"); ok {
			http.Error(w, "kaputt", http.StatusServiceUnavailable)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := s3.Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Region: "eu-central-1",
		Bucket: "antrag-netz", CreateBucket: true, AccessKey: "a", SecretKey: "b", MaxRetries: 2}
	s, err := s3.New(ctx, cfg, mustBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	key := blob.NewKey()
	if _, err := s.Put(ctx, key, strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	down.Store("down", true)
	ctx, cancel := context.WithTimeout(ctx, 30e9)
	defer cancel()
	for op, call := range map[string]func() error{
		"Put":    func() error { _, err := s.Put(ctx, key, strings.NewReader("y"), 10); return err },
		"Open":   func() error { _, err := s.Open(ctx, key); return err },
		"Delete": func() error { return s.Delete(ctx, key) },
	} {
		err := call()
		if err == nil {
			t.Errorf("%s with the server down: no error", op)
			continue
		}
		if !strings.Contains(err.Error(), "blob: "+op+"(") || errors.Is(err, apperr.NotFound) {
			t.Errorf("%s with the server down = %v", op, err)
		}
		t.Logf("%s with the server down: %v", op, err)
	}
}

func TestParseS3URL(t *testing.T) {
	cfg, err := parseS3URL("s3://AK:S%2FK@127.0.0.1:9000/antrag?tls=false&region=eu-central-1&sse=AES256&create=true")
	if err != nil {
		t.Fatal(err)
	}
	want := s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "antrag", Region: "eu-central-1",
		AccessKey: "AK", SecretKey: "S/K", SSE: "AES256", CreateBucket: true}
	if cfg != want {
		t.Errorf("parseS3URL = %+v, want %+v", cfg, want)
	}
	for _, bad := range []string{"http://a:b@h/b", "s3://a:b@h/", "s3://a:b@h/b?tls=vielleicht"} {
		if _, err := parseS3URL(bad); err == nil {
			t.Errorf("parseS3URL(%q): no error", bad)
		}
	}
}

func mustBox(tb testing.TB, b byte) *sealed.Box {
	tb.Helper()
	box, err := sealed.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// TestS3OpensOldObjects: objects sealed as one message, as Put wrote them
// before the stream format, still open.
func TestS3OpensOldObjects(t *testing.T) {
	ctx := context.Background()
	cfg := fakeS3(t)
	cfg.Bucket = "antrag-alt"
	cfg.CreateBucket = true
	s, err := s3.New(ctx, cfg, mustBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("Altbestand "), 20_000)
	old := mustBox(t, 1).Seal(plain)
	key := blob.NewKey()
	if _, err := rawClient(t, cfg).PutObject(ctx, cfg.Bucket, key, bytes.NewReader(old), int64(len(old)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := blobtest.ReadAll(t, s, key); !bytes.Equal(got, plain) {
		t.Errorf("old object of %d bytes opened to %d bytes", len(plain), len(got))
	}
}
