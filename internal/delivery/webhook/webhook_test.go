package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// testSecret is 32 bytes 0x00..0x1f.
var testSecret = func() string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return delivery.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}()

var fixedNow = time.Date(2026, 11, 29, 13, 5, 7, 0, time.UTC)

const testData = `{"antragsteller":{"familienname":"Mustermann-Geheim","vorname":"Erika"},"hinweis":"<b>&</b>","zahl":12.5}`

type fileContent struct {
	att     *submission.Attachment
	content []byte
}

func newFile(id, name, mediaType string, content []byte) fileContent {
	sum := sha512.Sum512(content)
	return fileContent{
		att: &submission.Attachment{ID: id, TenantID: "t1", SubmissionID: "s1", Filename: name,
			MediaType: mediaType, Size: int64(len(content)), SHA512: hex.EncodeToString(sum[:]), StorageKey: "k/" + id},
		content: content,
	}
}

func newParcel(url string, files ...fileContent) *delivery.Parcel {
	data := []byte(testData)
	sum := sha256.Sum256(data)
	p := &delivery.Parcel{
		Delivery: &delivery.Delivery{
			ID: "6f1c1a52-8f55-4c6b-9d61-0c1f3c0b7e10", TenantID: "t1", SubmissionID: "s1",
			Target: delivery.Target{ID: "tg1", TenantID: "t1", ServiceID: "sv1", Kind: delivery.Webhook,
				URL: url, Secret: testSecret},
			State: delivery.Pending,
		},
		Tenant: &tenant.Tenant{ID: "t1", Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, ARS: "091620000000"},
		Service: &tenant.Service{ID: "sv1", TenantID: "t1", Slug: "hundesteuer", Name: "Hundesteuer anmelden",
			Leistungsschluessel: "99108008000000"},
		Submission: &submission.Submission{ID: "s1", TenantID: "t1", ServiceID: "sv1", Reference: "A7K-3QX-9PM",
			Status: submission.Eingegangen, Data: data, DataSHA256: hex.EncodeToString(sum[:]),
			SubmittedAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)},
		SchemaURI: "https://schema.example/hundesteuer/1.json",
		InboxURL:  "https://musterstadt.example/posteingang/s1",
	}
	byID := map[string][]byte{}
	for _, f := range files {
		p.Attachments = append(p.Attachments, f.att)
		byID[f.att.ID] = f.content
	}
	p.Open = func(_ context.Context, a *submission.Attachment) (io.ReadCloser, error) {
		c, ok := byID[a.ID]
		if !ok {
			return nil, errors.New("nicht gefunden")
		}
		return io.NopCloser(bytes.NewReader(c)), nil
	}
	return p
}

// request is what the test receiver got.
type request struct {
	header http.Header
	body   []byte
}

// receiver answers every request with status and records it.
type receiver struct {
	mu   sync.Mutex
	reqs []request
}

func (rc *receiver) handler(status int, extra func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		if extra != nil {
			extra(w)
		}
		w.WriteHeader(status)
	})
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

func startReceiver(t *testing.T, status int, extra func(w http.ResponseWriter)) (*receiver, *httptest.Server) {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(rc.handler(status, extra))
	t.Cleanup(srv.Close)
	return rc, srv
}

func testSender() *Sender {
	return &Sender{Now: func() time.Time { return fixedNow }}
}

// independentSignature recomputes the Standard Webhooks v1 signature with
// the standard library only, independently of the code under test.
func independentSignature(t *testing.T, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(testSecret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestSendDelivers(t *testing.T) {
	pdf := []byte("%PDF-1.7\n\x00\x01\x02\xff binär")
	png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 0xfe}, 100)
	rc, srv := startReceiver(t, http.StatusNoContent, nil)
	p := newParcel(srv.URL+"/hook?token=geheim",
		newFile("a1", "Mustermann-Geheim Ausweis.pdf", "application/pdf", pdf),
		newFile("a2", "foto.png", "image/png", png))

	out, err := testSender().Send(context.Background(), p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if out.State != delivery.Delivered {
		t.Fatalf("State = %q, want %q", out.State, delivery.Delivered)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]

	// Headers.
	wantHeaders := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "antrag",
		"Webhook-Id":        p.Delivery.ID,
		"Webhook-Timestamp": strconv.FormatInt(fixedNow.Unix(), 10),
	}
	for k, v := range wantHeaders {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}

	// Signature: with Verify and recomputed independently.
	if err := Verify(testSecret, r.header, r.body, fixedNow.Add(time.Minute), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	want := independentSignature(t, p.Delivery.ID, r.header.Get("Webhook-Timestamp"), r.body)
	if got := r.header.Get("Webhook-Signature"); got != want {
		t.Errorf("webhook-signature = %q, want %q", got, want)
	}

	// Body: decoded generically, so that the test does not share the
	// sender's types.
	var got struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      struct {
			SubmissionID string            `json:"submissionId"`
			Reference    string            `json:"reference"`
			Tenant       map[string]string `json:"tenant"`
			Service      map[string]string `json:"service"`
			SubmittedAt  string            `json:"submittedAt"`
			SchemaURI    string            `json:"schemaUri"`
			DataSHA256   string            `json:"dataSha256"`
			Data         json.RawMessage   `json:"data"`
			Attachments  []struct {
				AttachmentID string `json:"attachmentId"`
				Filename     string `json:"filename"`
				MediaType    string `json:"mediaType"`
				Size         int64  `json:"size"`
				SHA512       string `json:"sha512"`
				Content      string `json:"content"`
			} `json:"attachments"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	if got.Type != "antrag.submission.created" {
		t.Errorf("type = %q", got.Type)
	}
	if got.Timestamp != "2026-11-29T13:05:07Z" {
		t.Errorf("timestamp = %q", got.Timestamp)
	}
	d := got.Data
	if d.SubmissionID != "s1" || d.Reference != "A7K-3QX-9PM" || d.SchemaURI != p.SchemaURI {
		t.Errorf("submissionId/reference/schemaUri = %q/%q/%q", d.SubmissionID, d.Reference, d.SchemaURI)
	}
	if d.SubmittedAt != "2026-11-29T12:00:00Z" {
		t.Errorf("submittedAt = %q", d.SubmittedAt)
	}
	wantTenant := map[string]string{"id": "t1", "slug": "musterstadt", "name": "Stadt Musterstadt", "ars": "091620000000"}
	wantService := map[string]string{"id": "sv1", "slug": "hundesteuer", "name": "Hundesteuer anmelden", "leistungsschluessel": "99108008000000"}
	for k, v := range wantTenant {
		if d.Tenant[k] != v {
			t.Errorf("tenant.%s = %q, want %q", k, d.Tenant[k], v)
		}
	}
	for k, v := range wantService {
		if d.Service[k] != v {
			t.Errorf("service.%s = %q, want %q", k, d.Service[k], v)
		}
	}

	// data is embedded as a JSON object, byte for byte, not as a string.
	if len(d.Data) == 0 || d.Data[0] != '{' {
		t.Fatalf("data is not embedded as an object: %s", d.Data)
	}
	if string(d.Data) != testData {
		t.Errorf("data = %s\nwant   %s", d.Data, testData)
	}
	var obj map[string]any
	if err := json.Unmarshal(d.Data, &obj); err != nil {
		t.Fatalf("data: %v", err)
	}
	if obj["antragsteller"].(map[string]any)["familienname"] != "Mustermann-Geheim" {
		t.Errorf("data.antragsteller = %v", obj["antragsteller"])
	}
	sum := sha256.Sum256(d.Data)
	if d.DataSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("dataSha256 = %q does not match the embedded data", d.DataSHA256)
	}

	// Attachments round-trip through standard base64.
	if len(d.Attachments) != 2 {
		t.Fatalf("%d attachments, want 2", len(d.Attachments))
	}
	for i, want := range []struct {
		id, name, mt string
		content      []byte
	}{
		{"a1", "Mustermann-Geheim Ausweis.pdf", "application/pdf", pdf},
		{"a2", "foto.png", "image/png", png},
	} {
		a := d.Attachments[i]
		content, err := base64.StdEncoding.DecodeString(a.Content)
		if err != nil {
			t.Errorf("attachment %d: content is not standard base64: %v", i, err)
		}
		if !bytes.Equal(content, want.content) {
			t.Errorf("attachment %d: content does not round-trip", i)
		}
		s := sha512.Sum512(want.content)
		if a.AttachmentID != want.id || a.Filename != want.name || a.MediaType != want.mt ||
			a.Size != int64(len(want.content)) || a.SHA512 != hex.EncodeToString(s[:]) {
			t.Errorf("attachment %d = %+v", i, a)
		}
	}
}

func TestSendWithoutAttachments(t *testing.T) {
	rc, srv := startReceiver(t, http.StatusOK, nil)
	if _, err := testSender().Send(context.Background(), newParcel(srv.URL)); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Data struct {
			Attachments json.RawMessage `json:"attachments"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rc.requests()[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if string(body.Data.Attachments) != "[]" {
		t.Errorf("attachments = %s, want []", body.Data.Attachments)
	}
}

func TestSendSameIDOnRetry(t *testing.T) {
	rc, srv := startReceiver(t, http.StatusServiceUnavailable, nil)
	p := newParcel(srv.URL)
	s := testSender()
	for range 2 {
		if _, err := s.Send(context.Background(), p); err == nil {
			t.Fatal("Send succeeded on 503")
		}
	}
	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if a, b := reqs[0].header.Get("Webhook-Id"), reqs[1].header.Get("Webhook-Id"); a != b || a != p.Delivery.ID {
		t.Errorf("webhook-id %q then %q, want %q twice", a, b, p.Delivery.ID)
	}
}

func TestSendStatus(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
		wantText  string
	}{
		{http.StatusServiceUnavailable, false, "Webhook antwortete 503 Service Unavailable"},
		{http.StatusInternalServerError, false, "Webhook antwortete 500 Internal Server Error"},
		{http.StatusTooManyRequests, false, "Webhook antwortete 429 Too Many Requests"},
		{http.StatusRequestTimeout, false, "Webhook antwortete 408 Request Timeout"},
		{http.StatusBadRequest, true, "Webhook antwortete 400 Bad Request"},
		{http.StatusUnauthorized, true, "401"},
		{http.StatusForbidden, true, "403"},
		{http.StatusNotFound, true, "404"},
		{http.StatusGone, true, "410"},
		{http.StatusRequestEntityTooLarge, true, "413"},
		{http.StatusUnprocessableEntity, true, "422"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			_, srv := startReceiver(t, tt.status, nil)
			out, err := testSender().Send(context.Background(), newParcel(srv.URL))
			if err == nil {
				t.Fatalf("Send succeeded: %+v", out)
			}
			if got := delivery.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

func TestSendProblemTitle(t *testing.T) {
	long := strings.Repeat("ä", 300)
	for _, tt := range []struct {
		name, title, want, notWant string
	}{
		{"short", "Schema ungültig", `: "Schema ungültig"`, ""},
		{"long", long, strings.Repeat("ä", 100) + "…", strings.Repeat("ä", 101)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				json.NewEncoder(w).Encode(map[string]string{"title": tt.title, "detail": "Feld familienname: Mustermann-Geheim"})
			}))
			defer srv.Close()
			_, err := testSender().Send(context.Background(), newParcel(srv.URL))
			if err == nil || !delivery.IsPermanent(err) {
				t.Fatalf("err = %v, want permanent", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if tt.notWant != "" && strings.Contains(msg, tt.notWant) {
				t.Errorf("error is not truncated: %d bytes", len(msg))
			}
			if strings.Contains(msg, "Mustermann") {
				t.Errorf("error contains the problem detail: %q", msg)
			}
		})
	}
}

func TestSendRedirectIsPermanent(t *testing.T) {
	rc, target := startReceiver(t, http.StatusOK, nil)
	_, srv := startReceiver(t, http.StatusFound, func(w http.ResponseWriter) {
		w.Header().Set("Location", target.URL)
	})
	for _, s := range []*Sender{
		testSender(),
		// A caller's client that would follow redirects must not.
		{HTTPClient: &http.Client{}, Now: testSender().Now},
	} {
		_, err := s.Send(context.Background(), newParcel(srv.URL))
		if err == nil || !delivery.IsPermanent(err) {
			t.Fatalf("err = %v, want permanent", err)
		}
		if !strings.Contains(err.Error(), "Weiterleitung nicht erlaubt") {
			t.Errorf("error %q does not say that redirects are not allowed", err)
		}
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("redirect was followed: %d requests at the target", n)
	}
}

func TestSendUnreachableIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = testSender().Send(context.Background(), newParcel("http://"+addr+"/hook?token=geheim"))
	if err == nil {
		t.Fatal("Send succeeded without a receiver")
	}
	if delivery.IsPermanent(err) {
		t.Errorf("network error is permanent: %v", err)
	}
	if strings.Contains(err.Error(), "geheim") {
		t.Errorf("error shows the URL query: %v", err)
	}
}

func TestSendPermanentBeforeRequest(t *testing.T) {
	rc, srv := startReceiver(t, http.StatusOK, nil)
	big := newFile("a1", "gross.bin", "application/octet-stream", bytes.Repeat([]byte{1}, 2000))
	tests := []struct {
		name   string
		sender *Sender
		mutate func(p *delivery.Parcel)
	}{
		{"bad secret", testSender(), func(p *delivery.Parcel) { p.Delivery.Target.Secret = "whsec_kurz" }},
		{"non-https url", testSender(), func(p *delivery.Parcel) { p.Delivery.Target.URL = "http://example.org/hook" }},
		{"data gone", testSender(), func(p *delivery.Parcel) { p.Submission.Data = nil }},
		{"data hash mismatch", testSender(), func(p *delivery.Parcel) { p.Submission.DataSHA256 = strings.Repeat("0", 64) }},
		{"attachment too large", &Sender{MaxAttachmentBytes: 1000}, func(p *delivery.Parcel) {
			*p = *newParcel(srv.URL, big)
		}},
		{"attachment hash mismatch", testSender(), func(p *delivery.Parcel) {
			f := newFile("a1", "Mustermann-Geheim.pdf", "application/pdf", []byte("echt"))
			f.att.SHA512 = strings.Repeat("ab", 64)
			*p = *newParcel(srv.URL, f)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParcel(srv.URL)
			tt.mutate(p)
			_, err := tt.sender.Send(context.Background(), p)
			if err == nil || !delivery.IsPermanent(err) {
				t.Fatalf("err = %v, want permanent", err)
			}
			if strings.Contains(err.Error(), "Mustermann") {
				t.Errorf("error contains personal data: %v", err)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestSendAttachmentOpenErrorIsRetryable(t *testing.T) {
	rc, srv := startReceiver(t, http.StatusOK, nil)
	p := newParcel(srv.URL, newFile("a1", "x.pdf", "application/pdf", []byte("x")))
	p.Open = func(context.Context, *submission.Attachment) (io.ReadCloser, error) {
		return nil, errors.New("Speicher nicht erreichbar")
	}
	_, err := testSender().Send(context.Background(), p)
	if err == nil || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// signed returns headers and body as a sender would produce them at ts.
func signed(t *testing.T, ts time.Time) (http.Header, []byte) {
	t.Helper()
	rc, srv := startReceiver(t, http.StatusOK, nil)
	s := &Sender{Now: func() time.Time { return ts }}
	if _, err := s.Send(context.Background(), newParcel(srv.URL)); err != nil {
		t.Fatal(err)
	}
	r := rc.requests()[0]
	return r.header, r.body
}

func TestVerify(t *testing.T) {
	h, body := signed(t, fixedNow)
	otherSecret := delivery.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

	tampered := bytes.Replace(body, []byte("Mustermann-Geheim"), []byte("Mustermann-Gehein"), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("test data not found in body")
	}
	withHeader := func(k, v string) http.Header {
		c := h.Clone()
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	good := h.Get(HeaderSignature)
	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"valid", testSecret, h, body, fixedNow, 0, nil},
		{"valid at edge of tolerance", testSecret, h, body, fixedNow.Add(5 * time.Minute), 0, nil},
		{"valid with longer tolerance", testSecret, h, body, fixedNow.Add(time.Hour), 2 * time.Hour, nil},
		{"several signatures", testSecret, withHeader(HeaderSignature, "v1,AAAA v2,zzzz "+good), body, fixedNow, 0, nil},
		{"tampered body", testSecret, h, tampered, fixedNow, 0, ErrSignature},
		{"other secret", otherSecret, h, body, fixedNow, 0, ErrSignature},
		{"other id", testSecret, withHeader(HeaderID, "anders"), body, fixedNow, 0, ErrSignature},
		{"timestamp changed", testSecret, withHeader(HeaderTimestamp, strconv.FormatInt(fixedNow.Unix()+1, 10)), body, fixedNow, 0, ErrSignature},
		{"wrong version", testSecret, withHeader(HeaderSignature, "v2"+strings.TrimPrefix(good, "v1")), body, fixedNow, 0, ErrSignature},
		{"expired", testSecret, h, body, fixedNow.Add(5*time.Minute + time.Second), 0, ErrTimestamp},
		{"from the future", testSecret, h, body, fixedNow.Add(-6 * time.Minute), 0, ErrTimestamp},
		{"expired with short tolerance", testSecret, h, body, fixedNow.Add(2 * time.Minute), time.Minute, ErrTimestamp},
		{"no signature", testSecret, withHeader(HeaderSignature, ""), body, fixedNow, 0, ErrHeaders},
		{"no id", testSecret, withHeader(HeaderID, ""), body, fixedNow, 0, ErrHeaders},
		{"bad timestamp", testSecret, withHeader(HeaderTimestamp, "gestern"), body, fixedNow, 0, ErrHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, tt.tol)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := Verify("kein-geheimnis", h, body, fixedNow, 0); err == nil {
		t.Error("Verify accepted a malformed secret")
	}
}

// TestVerifyIndependentSignature checks Verify against a signature made
// without the code under test.
func TestVerifyIndependentSignature(t *testing.T) {
	body := []byte(`{"type":"x"}`)
	ts := strconv.FormatInt(fixedNow.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderID, "msg_1")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, independentSignature(t, "msg_1", ts, body))
	if err := Verify(testSecret, h, body, fixedNow, 0); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
