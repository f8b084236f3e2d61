// Package s3 stores attachments in S3-compatible object storage
// (github.com/minio/minio-go/v7, Apache-2.0: maintained, works with any S3
// API): a blob.Store whose content is sealed with a sealed.Box before it
// leaves the process, with the server-side encryption settings of
// Config passed through on every upload.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/sealed"
)

var _ blob.Store = (*Store)(nil)

// Server-side encryption settings for Config.SSE.
const (
	// SSENone sends no server-side-encryption header; the bucket's default
	// encryption, if any, applies.
	SSENone = ""
	// SSES3 asks the server to encrypt with keys it manages (SSE-S3,
	// header x-amz-server-side-encryption: AES256).
	SSES3 = "AES256"
	// SSEKMS asks the server to encrypt with a KMS key (SSE-KMS, header
	// x-amz-server-side-encryption: aws:kms, and the key in
	// x-amz-server-side-encryption-aws-kms-key-id if Config.KMSKeyID is
	// set).
	SSEKMS = "aws:kms"
)

// Config configures an S3 store.
type Config struct {
	// Endpoint is the server as host or host:port, without a scheme
	// ("s3.eu-central-1.amazonaws.com", "127.0.0.1:9000").
	Endpoint string
	// Bucket is the bucket's name; it must exist unless CreateBucket.
	Bucket string
	// Region is the bucket's region ("eu-central-1"); empty lets the
	// client find it out (one extra request) and creates a bucket in
	// the server's default region.
	Region string
	// AccessKey and SecretKey are static credentials (signature v4). If
	// either is empty, requests are anonymous.
	AccessKey, SecretKey string
	// UseTLS selects https (true) or http (false).
	UseTLS bool
	// Prefix is put before every key to form the object name, so that
	// several stores can share a bucket ("antrag/attachments/"). It must
	// not start with "/"; it is used as is, so end it with "/" if a
	// "folder" is wanted.
	Prefix string
	// SSE is the server-side encryption requested on every PutObject:
	// SSENone, SSES3 or SSEKMS. It is in addition to the sealing with
	// the sealed.Box, which the server never sees the key of.
	SSE string
	// KMSKeyID is the KMS key for SSEKMS; empty uses the server's
	// default KMS key. It must be empty for other SSE values.
	KMSKeyID string
	// CreateBucket makes New create the bucket (in Region) if it does
	// not exist, instead of failing.
	CreateBucket bool
	// MaxRetries is how often minio-go tries a request that failed with
	// a network error or a retryable status (500, 503, ...) in all, with
	// a backoff of up to 1 s between tries; 0 means minio-go's default,
	// 10.
	MaxRetries int
	// SpoolDir is the directory Put seals a blob into before sending it
	// (a file of the blob's size, mode 0600, removed after); "" is
	// os.TempDir().
	SpoolDir string
	// Transport, if not nil, carries the client's HTTP requests (for
	// custom TLS roots, proxies or tests); nil uses minio-go's default.
	Transport http.RoundTripper
}

// Store is a blob.Store in an S3-compatible object store (AWS S3, MinIO, Ceph
// RadosGW, ...): one object per key, named Config.Prefix + key, holding
// the bytes sealed with a sealed.Box exactly as blob.Dir writes them to a file
// (nonce || secretbox), so that a copy of the bucket reveals nothing
// without the key, whatever server-side encryption is used.
//
// A PutObject is atomic on S3 (a reader sees the old object or the new
// one); a failed multipart upload is aborted by the client. It is safe for
// concurrent use.
//
// Put seals the bytes as they arrive into a temporary file and sends that;
// Open opens them as they arrive. Neither holds more than one chunk of
// 64 KiB and minio-go's buffers in memory, whatever the blob's size.
type Store struct {
	client *minio.Client
	bucket string
	prefix string
	sse    encrypt.ServerSide // nil: none
	box    *sealed.Box
	spool  string
}

// New returns an S3 store for cfg, sealing with box. It checks that the
// bucket exists (a HEAD request), or creates it if cfg.CreateBucket.
//
// A malformed cfg is apperr.Invalid; a missing bucket without
// CreateBucket is apperr.NotFound; a network or server error is returned
// wrapped, prefixed "blob: NewS3".
func New(ctx context.Context, cfg Config, box *sealed.Box) (_ *Store, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("blob: NewS3(%s/%s): %w", cfg.Endpoint, cfg.Bucket, err)
		}
	}()
	if box == nil {
		return nil, errors.New("no sealed.Box")
	}
	if cfg.Endpoint == "" || strings.Contains(cfg.Endpoint, "://") || strings.Contains(cfg.Endpoint, "/") {
		return nil, fmt.Errorf("%w: endpoint %q must be host or host:port", apperr.Invalid, cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("%w: no bucket", apperr.Invalid)
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("%w: MaxRetries %d", apperr.Invalid, cfg.MaxRetries)
	}
	if strings.HasPrefix(cfg.Prefix, "/") {
		return nil, fmt.Errorf("%w: prefix %q starts with /", apperr.Invalid, cfg.Prefix)
	}
	var sse encrypt.ServerSide
	switch cfg.SSE {
	case SSENone, SSES3:
		if cfg.KMSKeyID != "" {
			return nil, fmt.Errorf("%w: a KMS key without SSE %q", apperr.Invalid, SSEKMS)
		}
		if cfg.SSE == SSES3 {
			sse = encrypt.NewSSE()
		}
	case SSEKMS:
		if sse, err = encrypt.NewSSEKMS(cfg.KMSKeyID, nil); err != nil {
			return nil, fmt.Errorf("%w: %w", apperr.Invalid, err)
		}
	default:
		return nil, fmt.Errorf("%w: SSE %q (want \"\", %q or %q)", apperr.Invalid, cfg.SSE, SSES3, SSEKMS)
	}
	opts := &minio.Options{
		Secure:     cfg.UseTLS,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: cfg.MaxRetries,
		// Empty keys make anonymous requests.
		Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
	}
	client, err := minio.New(cfg.Endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", apperr.Invalid, err)
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 HeadBucket: %w", err)
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("%w: bucket %q does not exist", apperr.NotFound, cfg.Bucket)
		}
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil {
			// Another process may have created it meanwhile.
			code := minio.ToErrorResponse(err).Code
			if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("s3 CreateBucket: %w", err)
			}
		}
	}
	return &Store{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix, sse: sse, box: box, spool: cfg.SpoolDir}, nil
}

// object returns the object name of a key, or apperr.Invalid.
func (s *Store) object(key string) (string, error) {
	if !blob.ValidKey(key) {
		return "", fmt.Errorf("%w: malformed blob key %q", apperr.Invalid, key)
	}
	return s.prefix + key, nil
}

// Put stores the bytes of r, sealed, under key, with one PutObject (a
// multipart upload above minio-go's part size, 16 MiB). See blob.Store.
// The bytes are sealed as they are read into a temporary file in
// Config.SpoolDir, which is sent once r has ended within maxBytes and
// removed after. maxBytes ≤ 0 and a malformed key are apperr.Invalid;
// more than maxBytes bytes are apperr.TooLarge, and then nothing is sent
// to the server. A failing read of r or a failed request is returned
// wrapped.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (n int64, err error) {
	defer wrap(&err, "Put", key)
	name, err := s.object(key)
	if err != nil {
		return 0, err
	}
	if maxBytes <= 0 {
		return 0, fmt.Errorf("%w: maxBytes %d", apperr.Invalid, maxBytes)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(s.spool, "antrag-s3-put-*") // mode 0600
	if err != nil {
		return 0, fmt.Errorf("spool file: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	n, err = blob.SealTo(ctx, s.box, f, r, maxBytes)
	if err != nil {
		return 0, err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	_, err = s.client.PutObject(ctx, s.bucket, name, f, size, minio.PutObjectOptions{
		ContentType:          "application/octet-stream",
		ServerSideEncryption: s.sse,
	})
	if err != nil {
		return 0, fmt.Errorf("s3 PutObject %s/%s: %w", s.bucket, name, err)
	}
	return n, nil
}

// Open returns a reader of the opened bytes of the blob, read as they
// arrive from one GetObject. See blob.Store. A missing object is
// apperr.NotFound; an object that was changed or sealed with another key
// is an error wrapping sealed.ErrOpen (from Open when its first chunk is
// affected, else from a Read); a failed request is returned wrapped.
func (s *Store) Open(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "Open", key)
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	body, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.requestError("GetObject", name, err)
	}
	plain, err := s.box.NewReader(body)
	if err != nil {
		body.Close()
		if errors.Is(err, sealed.ErrOpen) {
			return nil, err
		}
		return nil, s.requestError("GetObject", name, err)
	}
	return blob.ReadCloser{Reader: plain, Closer: body}, nil
}

// Delete deletes the blob (one DeleteObject). See blob.Store: a missing object
// is not an error. A failed request is returned wrapped.
func (s *Store) Delete(ctx context.Context, key string) (err error) {
	defer wrap(&err, "Delete", key)
	name, err := s.object(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return s.requestError("DeleteObject", name, err)
	}
	return nil
}

// requestError wraps a failed request with the operation, mapping a
// missing object to apperr.NotFound.
func (s *Store) requestError(op, name string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey:
		return fmt.Errorf("%w: s3 %s %s/%s: %w", apperr.NotFound, op, s.bucket, name, err)
	case minio.NoSuchBucket:
		return fmt.Errorf("s3 %s %s/%s: bucket gone: %w", op, s.bucket, name, err)
	}
	return fmt.Errorf("s3 %s %s/%s: %w", op, s.bucket, name, err)
}

// wrap prefixes *errp with the operation and key, as blob.Dir's errors are.
func wrap(errp *error, op, key string) {
	if *errp != nil {
		*errp = fmt.Errorf("blob: %s(%q): %w", op, key, *errp)
	}
}
