package fitconnect_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// Benchmarks of a FIT-Connect delivery (issue 5): the Sender against the
// in-process double over loopback HTTP, with plain HTTP POSTs of the same
// bytes and the JWE primitives as baselines. Results: BENCHMARKS.md.

const (
	benchAttachmentSize = 512 << 10 // two of them: 1 MiB of attachments
	// benchRotate is the number of deliveries one double holds before the
	// benchmark replaces it (outside the timer). The double keeps every
	// JWE (about 1.4 MiB per delivery) and never frees them.
	benchRotate = 64
)

// benchData holds the bytes shared by all benchmarks: two random 512 KiB
// attachments with their SHA-512, and a platform key for the doubles so
// that replacing a double does not generate an RSA key.
type benchData struct {
	content     [2][]byte
	sum         [2]string
	platformKey *rsa.PrivateKey
}

var (
	benchOnce sync.Once
	bench     *benchData
	benchErr  error
)

func getBenchData(b *testing.B) *benchData {
	b.Helper()
	benchOnce.Do(func() {
		d := &benchData{}
		for i := range d.content {
			d.content[i] = make([]byte, benchAttachmentSize)
			if _, benchErr = rand.Read(d.content[i]); benchErr != nil {
				return
			}
			d.sum[i] = fitconnect.SHA512Hex(d.content[i])
		}
		// The double's default: a fresh RSA-2048 key.
		if d.platformKey, benchErr = rsa.GenerateKey(rand.Reader, 2048); benchErr != nil {
			return
		}
		bench = d
	})
	if benchErr != nil {
		b.Fatalf("bench data: %v", benchErr)
	}
	return bench
}

// benchApplicationData returns an application's data document of about
// 4 KB: 60 text fields and the file references of the two attachments.
func benchApplicationData(atts []*submission.Attachment) ([]byte, error) {
	doc := map[string]any{}
	for i := range 60 {
		doc[fmt.Sprintf("F6000000%04d", i)] = fmt.Sprintf("Musterwert %d der Antragstellerin, Hauptstraße %d", i, i+1)
	}
	for i, a := range atts {
		doc[fmt.Sprintf("F6100000%04d", i)] = map[string]any{"attachmentId": a.ID, "filename": a.Filename, "mimeType": a.MediaType,
			"size": a.Size, "hash": map[string]any{"type": "sha512", "content": a.SHA512}}
	}
	return json.Marshal(doc)
}

// benchParcel returns a fresh application (new ids) with the two 512 KiB
// attachments for destID.
func benchParcel(bd *benchData, destID string) (*delivery.Parcel, error) {
	atts := []*submission.Attachment{
		{ID: uuid.NewString(), Filename: "meldebescheinigung.pdf", MediaType: "application/pdf"},
		{ID: uuid.NewString(), Filename: "fahrzeugschein.jpg", MediaType: "image/jpeg"},
	}
	content := map[string][]byte{}
	for i, a := range atts {
		a.SHA512, a.Size = bd.sum[i], int64(len(bd.content[i]))
		content[a.ID] = bd.content[i]
	}
	data, err := benchApplicationData(atts)
	if err != nil {
		return nil, err
	}
	subID := uuid.NewString()
	return &delivery.Parcel{
		Delivery: &delivery.Delivery{ID: uuid.NewString(), TenantID: "tenant-musterstadt", SubmissionID: subID,
			Target: delivery.Target{Kind: delivery.FITConnect, DestinationID: destID}, State: delivery.Pending},
		Tenant:      &tenant.Tenant{ID: "tenant-musterstadt", Name: "Stadt Musterstadt"},
		Service:     &tenant.Service{ID: "svc-send", TenantID: "tenant-musterstadt", Name: "Bewohnerparkausweis", Leistungsschluessel: e2eLeika},
		Submission:  &submission.Submission{ID: subID, TenantID: "tenant-musterstadt", Data: data, SubmittedAt: time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)},
		Attachments: atts,
		Open: func(_ context.Context, a *submission.Attachment) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(content[a.ID])), nil
		},
		SchemaURI: e2eSchemaURI,
	}, nil
}

// discardInbox offers the e2e service and counts what it is given to
// store, keeping nothing.
type discardInbox struct {
	mu sync.Mutex
	n  int
}

var benchService = &tenant.Service{ID: "svc-recv", TenantID: "tenant-kreis", Name: "Bewohnerparkausweis", Leistungsschluessel: e2eLeika, FormVersionID: "fv-1"}

func (in *discardInbox) Service(_ context.Context, tenantID, leika, _ string) (*tenant.Service, func([]byte) error, error) {
	if tenantID != benchService.TenantID || leika != e2eLeika {
		return nil, nil, fmt.Errorf("Leistung %s: %w", leika, apperr.NotFound)
	}
	return benchService, nil, nil
}

func (in *discardInbox) Stored(context.Context, string, string) (bool, error) { return false, nil }

func (in *discardInbox) Store(context.Context, *fitconnect.Received) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.n++
	return true, nil
}

// benchEnv is a sender and a subscriber connected through a double that
// is replaced every benchRotate deliveries.
type benchEnv struct {
	b      *testing.B
	f      *fixture
	bd     *benchData
	double *fitconnecttest.Double
	srv    *httptest.Server
	destID string
	sender *fitconnect.Sender
	sub    *fitconnect.Subscriber
	inbox  *discardInbox
	n      int // deliveries on the current double
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	e := &benchEnv{b: b, f: getFixture(b), bd: getBenchData(b), inbox: &discardInbox{}}
	e.rotate()
	b.Cleanup(e.close)
	return e
}

func (e *benchEnv) close() {
	if e.srv != nil {
		e.srv.Close()
		e.double.Close()
		e.srv, e.double = nil, nil
	}
}

// rotate replaces the double (and the sender and subscriber bound to its
// URL) and sends one delivery untimed, so that the timed ones find the
// access token cached as they would in a long-running server.
func (e *benchEnv) rotate() {
	b := e.b
	b.Helper()
	e.close()
	var err error
	e.double, e.srv, err = fitconnecttest.Start(fitconnecttest.Options{
		PlatformKey: e.bd.platformKey,
		// Generous: benchRotate+1 deliveries need about 100 MiB.
		MaxStoredBytes: 1 << 30,
		MaxSubmissions: 10 * benchRotate,
	})
	if err != nil {
		b.Fatal(err)
	}
	e.double.AddClient("sender-musterstadt", "sender-secret")
	e.double.AddClient("subscriber-kreis", "subscriber-secret")
	e.destID = uuid.NewString()
	if err := e.double.AddDestination(fitconnecttest.Destination{
		ID: e.destID, PublicKeys: e.f.keys.PublicJWKS, EncryptionKid: e.f.keys.EncryptionKid,
		Services: []fitconnecttest.Service{{Identifier: fitconnect.LeikaURN(e2eLeika), Name: "Bewohnerparkausweis",
			SubmissionSchemas: []fitconnecttest.Schema{{URI: e2eSchemaURI, MimeType: "application/json"}}}},
	}); err != nil {
		b.Fatal(err)
	}
	e.sender, err = fitconnect.NewSender(fitconnect.SenderConfig{
		TokenURL: e.srv.URL + "/token", SubmissionAPI: e.srv.URL, Version: "v1", HTTPClient: e.srv.Client(),
		Roots: e.f.ca.Pool(),
		Credentials: func(context.Context, string) (string, string, error) {
			return "sender-musterstadt", "sender-secret", nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	dest := &fitconnect.Destination{
		TenantID: "tenant-kreis", DestinationID: e.destID, ClientID: "subscriber-kreis", ClientSecret: "subscriber-secret",
		CallbackSecret: []byte("callback-secret-kreis"), PrivateKeys: e.f.private, SigningKid: e.f.keys.SigningKid,
	}
	e.sub, err = fitconnect.NewSubscriber(fitconnect.SubscriberConfig{
		TokenURL: e.srv.URL + "/token", SubmissionAPI: e.srv.URL, Version: "v1", HTTPClient: e.srv.Client(),
		Destinations: func(_ context.Context, id string) (*fitconnect.Destination, error) {
			if strings.EqualFold(id, dest.DestinationID) {
				return dest, nil
			}
			return nil, fmt.Errorf("Zustellpunkt %s: %w", id, apperr.NotFound)
		},
		ListDestinations: func(context.Context) ([]*fitconnect.Destination, error) {
			return []*fitconnect.Destination{dest}, nil
		},
		Inbox: e.inbox,
	})
	if err != nil {
		b.Fatal(err)
	}
	e.n = 0
	// Warm up: token of the sender (and of the subscriber), connections.
	remoteID := e.send(e.parcel())
	if err := e.sub.Receive(context.Background(), e.destID, remoteID); err != nil {
		b.Fatalf("Receive: %v", err)
	}
}

func (e *benchEnv) parcel() *delivery.Parcel {
	p, err := benchParcel(e.bd, e.destID)
	if err != nil {
		e.b.Fatal(err)
	}
	return p
}

// send delivers p and returns its submission id.
func (e *benchEnv) send(p *delivery.Parcel) string {
	out, err := e.sender.Send(context.Background(), p)
	if err != nil {
		e.b.Fatalf("Send: %v", err)
	}
	if out.State != delivery.Delivered || out.RemoteID == "" {
		e.b.Fatalf("Send: outcome %+v", out)
	}
	e.n++
	return out.RemoteID
}

// next prepares the parcel of the next op outside the timer, replacing a
// full double first.
func (e *benchEnv) next() *delivery.Parcel {
	e.b.StopTimer()
	defer e.b.StartTimer()
	if e.n >= benchRotate {
		e.rotate()
	}
	return e.parcel()
}

// BenchmarkDeliveryThroughDouble: one op is one Sender.Send of an
// application with two 512 KiB attachments and about 4 KB of data: read
// the destination and its key, check the key's certificate chain,
// announce, encrypt and upload both attachments, encrypt and submit
// metadata and data (6 HTTP requests to the double on loopback).
func BenchmarkDeliveryThroughDouble(b *testing.B) {
	e := newBenchEnv(b)
	b.SetBytes(1 << 20)
	for b.Loop() {
		e.send(e.next())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkSendReceiveAccept: one op is the delivery above followed by
// Subscriber.Receive of it: download, decrypt and check metadata, data and
// both attachments, store (discarded) and post a signed accept-submission
// event.
func BenchmarkSendReceiveAccept(b *testing.B) {
	e := newBenchEnv(b)
	b.SetBytes(1 << 20)
	for b.Loop() {
		remoteID := e.send(e.next())
		if err := e.sub.Receive(context.Background(), e.destID, remoteID); err != nil {
			b.Fatalf("Receive: %v", err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkPlainPOST1MiB is the baseline of the delivery benchmarks: the
// same plaintext (two 512 KiB attachments and the data document) as three
// plain HTTP POSTs, without encryption, to a loopback httptest server that
// reads and discards each body.
func BenchmarkPlainPOST1MiB(b *testing.B) {
	bd := getBenchData(b)
	p, err := benchParcel(bd, uuid.NewString())
	if err != nil {
		b.Fatal(err)
	}
	bodies := [][]byte{bd.content[0], bd.content[1], p.Submission.Data}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	hc := srv.Client()
	post := func(body []byte) {
		resp, err := hc.Post(srv.URL+"/upload", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	for _, body := range bodies { // warm up the connection
		post(body)
	}
	b.SetBytes(1 << 20)
	for b.Loop() {
		for _, body := range bodies {
			post(body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func benchEncrypt(b *testing.B, plain []byte) {
	f := getFixture(b)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := fitconnect.Encrypt(&f.enc.JSONWebKey, plain, "application/octet-stream"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecrypt(b *testing.B, plain []byte) {
	f := getFixture(b)
	jwe, err := fitconnect.Encrypt(&f.enc.JSONWebKey, plain, "application/octet-stream")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		got, err := fitconnect.Decrypt(f.private.Keys, jwe)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(plain) {
			b.Fatalf("%d bytes decrypted, want %d", len(got), len(plain))
		}
	}
}

func benchPlain1MiB(b *testing.B) []byte {
	bd := getBenchData(b)
	return append(bytes.Clone(bd.content[0]), bd.content[1]...)
}

// BenchmarkEncrypt1MiB: fitconnect.Encrypt of 1 MiB (RSA-OAEP-256 key wrap
// with the 4096-bit destination key, A256GCM, compact serialisation).
func BenchmarkEncrypt1MiB(b *testing.B) { benchEncrypt(b, benchPlain1MiB(b)) }

// BenchmarkDecrypt1MiB: fitconnect.Decrypt of the JWE of 1 MiB.
func BenchmarkDecrypt1MiB(b *testing.B) { benchDecrypt(b, benchPlain1MiB(b)) }

// BenchmarkEncrypt4KiB and BenchmarkDecrypt4KiB separate the fixed cost
// per JWE (the RSA operation) from the cost per byte.
func BenchmarkEncrypt4KiB(b *testing.B) { benchEncrypt(b, benchPlain1MiB(b)[:4<<10]) }

// BenchmarkDecrypt4KiB: see BenchmarkEncrypt4KiB.
func BenchmarkDecrypt4KiB(b *testing.B) { benchDecrypt(b, benchPlain1MiB(b)[:4<<10]) }

// BenchmarkCopy1MiB is the baseline of BenchmarkEncrypt1MiB: copying the
// same 1 MiB into a preallocated buffer.
func BenchmarkCopy1MiB(b *testing.B) {
	src := benchPlain1MiB(b)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
	if !bytes.Equal(dst, src) {
		b.Fatal("copy differs")
	}
}
