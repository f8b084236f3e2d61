package web_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/web"
	"github.com/antrag/antrag/internal/web/apicontract"
)

const uploadPath = "/api/v1/forms/musterstadt.bewohnerparkausweis/attachments?filename=nachweis.pdf"

// stalledUpload is an upload whose client sent the head and part of the
// body over its own connection and then stopped.
type stalledUpload struct {
	conn net.Conn
	br   *bufio.Reader
}

// startUpload opens a connection and sends an API upload's head, declaring
// declared bytes, from the client xff names (X-Forwarded-For; "" for
// none), and then sent bytes of the body.
func (h *harness) startUpload(declared, sent int, xff string) *stalledUpload {
	h.t.Helper()
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/pdf\r\nContent-Length: %d\r\n",
		uploadPath, strings.TrimPrefix(h.srv.URL, "http://"), declared)
	if xff != "" {
		head += "X-Forwarded-For: " + xff + "\r\n"
	}
	body := pdfFile("x")
	if sent > len(body) {
		body = append(body, bytes.Repeat([]byte{'%'}, sent-len(body))...)
	}
	if _, err := conn.Write(append([]byte(head+"\r\n"), body[:sent]...)); err != nil {
		u := &stalledUpload{conn: conn, br: bufio.NewReader(conn)}
		if resp, b, rerr := u.answer(h.t, time.Second); rerr == nil {
			h.t.Fatalf("%v: the server answered %d %s", err, resp.StatusCode, b)
		}
		h.t.Fatal(err)
	}
	return &stalledUpload{conn: conn, br: bufio.NewReader(conn)}
}

// answer waits up to wait for the server's answer on the connection.
func (u *stalledUpload) answer(t testing.TB, wait time.Duration) (*http.Response, string, error) {
	t.Helper()
	u.conn.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(u.br, nil)
	if err != nil {
		return nil, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), nil
}

// spooled returns the number of uploads being streamed to the blob
// directory now (its temporary files) and their bytes.
func (h *harness) spooled() (files int, bytes int64) {
	h.t.Helper()
	entries, _ := os.ReadDir(h.bdir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".put-") {
			if fi, err := os.Stat(filepath.Join(h.bdir, e.Name())); err == nil {
				files++
				bytes += fi.Size()
			}
		}
	}
	return files, bytes
}

// waitFor polls cond every 20 ms until it holds or wait has passed.
func waitFor(wait time.Duration, cond func() bool) bool {
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestStalledUploadsKeepMemoryBounded: uploads that send part of their
// body and stop held what they had sent in memory until the client went
// away (150 stalled connections took the process from 97 MB to 3.3 GB).
// Now 40 uploads that each sent 4 MiB and stopped hold less than 1 MiB
// each, and are cut with 408 when they pause longer than the idle
// timeout; nothing of them is kept.
func TestStalledUploadsKeepMemoryBounded(t *testing.T) {
	const uploads, sent, idle = 40, 4 << 20, 15 * time.Second
	h := newHarnessWith(t, func(hc *harnessConfig) {
		hc.tune = func(c *web.Config) {
			c.MaxUploads, c.MaxUploadsPerClient = 1000, 1000
			c.BodyGrace, c.BodyMinRate, c.BodyIdleTimeout = time.Second, 1, idle
		}
	})
	before := heapInuse()
	conns := make([]*stalledUpload, uploads)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { conns[i] = h.startUpload(2<<30, sent, "") }) // each declares 2 GiB
	}
	wg.Wait()
	stalled := time.Now()
	// The server has read what they sent (into sealed temporary files).
	if !waitFor(idle, func() bool { f, b := h.spooled(); return f == uploads && b >= uploads*(sent-256<<10) }) {
		f, b := h.spooled()
		t.Fatalf("the server streamed %d uploads, %d bytes", f, b)
	}
	held := int64(heapInuse()) - int64(before)
	t.Logf("%d uploads stalled after %d MiB each: heap in use grew by %d KiB (%d KiB each)", uploads, sent>>20, held>>10, held/uploads>>10)
	if held > uploads<<20 {
		t.Errorf("%d stalled uploads hold %d MiB of heap, want less than 1 MiB each", uploads, held>>20)
	}
	for i, c := range conns {
		resp, body, err := c.answer(t, time.Until(stalled.Add(idle+45*time.Second)))
		if err != nil {
			t.Fatalf("upload %d: no answer: %v", i, err)
		}
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, "zu langsam") {
			t.Errorf("upload %d: %d %s", i, resp.StatusCode, body)
		}
	}
	t.Logf("cut %s after they stalled (idle timeout %s)", time.Since(stalled).Round(100*time.Millisecond), idle)
	if !waitFor(10*time.Second, func() bool { return len(h.blobFiles()) == 0 }) {
		t.Errorf("left behind: %d files", len(h.blobFiles()))
	}
	h.noServerError()
}

// TestDrippingUploadsAreCut: a body that keeps coming, a byte at a time,
// never pauses long enough for an idle timeout; it is cut when it falls
// behind the minimum rate.
func TestDrippingUploadsAreCut(t *testing.T) {
	h := newHarnessWith(t, func(hc *harnessConfig) {
		hc.tune = func(c *web.Config) {
			c.MaxUploads, c.MaxUploadsPerClient = 100, 100
			c.BodyGrace, c.BodyMinRate, c.BodyIdleTimeout = time.Second, 1024, time.Minute
		}
	})
	const drippers = 10
	var wg sync.WaitGroup
	start := time.Now()
	for i := range drippers {
		u := h.startUpload(1<<20, 600, "")
		stop := make(chan struct{})
		go func() { // a byte every 100 ms, 10 bytes a second
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					if _, err := u.conn.Write([]byte{'%'}); err != nil {
						return
					}
				}
			}
		}()
		wg.Go(func() {
			defer close(stop)
			resp, body, err := u.answer(t, 20*time.Second)
			if err != nil {
				t.Errorf("dripper %d: no answer: %v", i, err)
				return
			}
			if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("dripper %d: %d %s", i, resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	t.Logf("%d uploads dripping 10 bytes/s against a minimum of 1 KiB/s cut after %s", drippers, time.Since(start).Round(100*time.Millisecond))
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("dripping uploads were cut after %s", d)
	}
	h.noServerError()
}

// TestUploadsBeyondTheCapsAreRefusedAtOnce: each upload holds a
// connection, a temporary file and buffers; 500 uploads declaring 2 GB
// were all taken. Beyond MaxUploadsPerClient a client gets 429, beyond
// MaxUploads everyone 503, at once and with Retry-After, as problem+json
// on the API and as the German error page in the journey. The client is
// the one X-Forwarded-For names behind a trusted proxy.
func TestUploadsBeyondTheCapsAreRefusedAtOnce(t *testing.T) {
	h := newHarnessWith(t, func(hc *harnessConfig) {
		hc.tune = func(c *web.Config) {
			c.MaxUploads, c.MaxUploadsPerClient = 3, 2
			c.BodyIdleTimeout = time.Minute
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		}
	})
	a1 := h.startUpload(1<<20, 1000, "192.0.2.1")
	a2 := h.startUpload(1<<20, 1000, "192.0.2.1")
	if !waitFor(10*time.Second, func() bool { f, _ := h.spooled(); return f == 2 }) {
		t.Fatal("the first two uploads did not start")
	}
	refused := func(name string, xff string, status int) {
		t.Helper()
		start := time.Now()
		resp, body, err := h.startUpload(1<<20, 1000, xff).answer(t, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: no answer: %v", name, err)
		}
		took := time.Since(start)
		if resp.StatusCode != status || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, "hochgeladen") {
			t.Errorf("%s: %d Retry-After %q %s %s", name, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body)
		}
		if took > 2*time.Second {
			t.Errorf("%s: answered after %s", name, took)
		}
	}
	refused("a third upload of the client", "192.0.2.1", http.StatusTooManyRequests)
	b1 := h.startUpload(1<<20, 1000, "192.0.2.2") // another client: the third place
	if !waitFor(10*time.Second, func() bool { f, _ := h.spooled(); return f == 3 }) {
		t.Fatal("the other client's upload did not start")
	}
	refused("an upload beyond all places", "192.0.2.3", http.StatusServiceUnavailable)

	// The journey's file upload answers with the error page.
	sv := h.service("musterstadt", "bewohnerparkausweis")
	base := h.start(sv)
	var buf bytes.Buffer
	buf.WriteString("--b\r\nContent-Disposition: form-data; name=\"aktion\"\r\n\r\naktualisieren\r\n--b--\r\n")
	req, _ := http.NewRequest("POST", h.srv.URL+base+"/schritt/1", &buf)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	req.Header.Set("X-Forwarded-For", "192.0.2.3")
	resp := h.send(h.client, req)
	if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") || !strings.Contains(resp.body, "Gerade ausgelastet") {
		t.Errorf("journey upload beyond all places: %d %q %s", resp.status, resp.header.Get("Retry-After"), resp.header.Get("Content-Type"))
	}
	// A step without files is no upload.
	resp = h.do(h.client, "POST", base+"/schritt/1", url.Values{"aktion": {"speichern"}})
	if resp.status != http.StatusSeeOther {
		t.Errorf("a step post without files while all places are taken: %d", resp.status)
	}

	// Places are given back when uploads end, also when they break off.
	for _, u := range []*stalledUpload{a1, a2, b1} {
		u.conn.Close()
	}
	if !waitFor(10*time.Second, func() bool { f, _ := h.spooled(); return f == 0 }) {
		t.Fatal("the broken-off uploads did not end")
	}
	ok := waitFor(10*time.Second, func() bool {
		req, _ := http.NewRequest("POST", h.srv.URL+uploadPath, bytes.NewReader(pdfFile("danach")))
		req.Header.Set("X-Forwarded-For", "192.0.2.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusCreated
	})
	if !ok {
		t.Error("no upload is taken after the others ended")
	}
}

// TestParallelUploadsKeepTheDraftQuota: 60 uploads at once into one
// upload session stored 37 files and 144 MB against its quota of 20
// files and 50 MB, because each checked the quota before any had stored.
// Now each reserves its share first: the session never holds more than
// its quota, and every upload is stored or refused as too many.
func TestParallelUploadsKeepTheDraftQuota(t *testing.T) {
	h := newHarnessWith(t, func(hc *harnessConfig) {
		hc.tune = func(c *web.Config) { c.MaxUploads, c.MaxUploadsPerClient = 100, 100 }
	})
	first := h.send(h.client, uploadRequest(t, h.srv.URL+uploadPath, pdfFile("erste")))
	if first.status != http.StatusCreated {
		t.Fatalf("first upload: %d %s", first.status, first.body)
	}
	session := first.header.Get("Antrag-Entwurf")
	const uploads, size = 60, 2_400_000
	content := append(pdfFile("parallel"), bytes.Repeat([]byte{'%'}, size)...)[:size]
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range uploads {
		wg.Go(func() {
			req := uploadRequest(t, h.srv.URL+uploadPath, content)
			req.Header.Set("Antrag-Entwurf", session)
			resp, err := h.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnprocessableEntity && !strings.Contains(string(b), "zu viele Dateien") {
				t.Errorf("422 for another reason: %s", b)
			}
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	sv := h.service("musterstadt", "bewohnerparkausweis")
	d, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, tokenHash(session), h.now)
	if err != nil {
		t.Fatal(err)
	}
	files, stored, err := h.db.DraftAttachmentUsage(context.Background(), sv.tenant.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d parallel uploads of %d bytes: answers %v; the session holds %d files, %d bytes (quota 20 files, 50 MB)", uploads, size, statuses, files, stored)
	if files > 20 || stored > 50_000_000 {
		t.Errorf("the session holds %d files of %d bytes, more than its quota of 20 files and 50 MB", files, stored)
	}
	if statuses[http.StatusCreated] != files-1 || statuses[http.StatusCreated]+statuses[http.StatusUnprocessableEntity] != uploads {
		t.Errorf("answers %v for %d files stored (one before)", statuses, files)
	}
	// Nothing is left of the refused ones: one file per attachment.
	if n := len(h.blobFiles()); n != files {
		t.Errorf("%d files in the blob directory for %d attachments", n, files)
	}
}

func uploadRequest(t testing.TB, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// stallingReader yields its bytes and then blocks until stop is closed.
type stallingReader struct {
	r    io.Reader
	stop chan struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if n, err := s.r.Read(p); err != io.EOF {
		return n, err
	}
	<-s.stop
	return 0, io.ErrUnexpectedEOF
}

// answerGuardStatuses drives the API to the answers of the upload gate
// (429, 503) and of a body that stalls (408), through the client that
// checks each exchange against the OpenAPI document, and returns them as
// "operationId status".
func answerGuardStatuses(t *testing.T) []string {
	t.Helper()
	h := newHarnessWith(t, func(hc *harnessConfig) {
		hc.tune = func(c *web.Config) {
			c.MaxUploads, c.MaxUploadsPerClient = 2, 1
			c.BodyGrace, c.BodyIdleTimeout = time.Second, time.Second
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		}
	})
	var seen []string
	send := func(op string, want int, path, contentType string, body io.Reader, xff string) {
		t.Helper()
		req, err := http.NewRequest("POST", h.srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-Forwarded-For", xff)
		if r := h.send(h.client, req); r.status != want {
			t.Errorf("%s: %d %s, want %d", op, r.status, r.body, want)
		}
		seen = append(seen, fmt.Sprintf("%s %d", op, want))
	}
	// A body that stalls: the checking client reads a request's body
	// before it sends it, so the exchange is checked afterwards.
	for op, path := range map[string]string{
		"uploadAttachment":  uploadPath,
		"submitApplication": "/api/v1/forms/musterstadt.gewerbeanmeldung/submissions",
	} {
		const sent = `{"data": {`
		stop := make(chan struct{})
		req, err := http.NewRequest("POST", h.srv.URL+path, &stallingReader{r: strings.NewReader(sent), stop: stop})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		close(stop)
		if err != nil {
			t.Fatalf("%s with a stalling body: %v", op, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("%s with a stalling body: %d %s", op, resp.StatusCode, b)
		}
		if err := apicontract.Check(req, []byte(sent), resp, b); err != nil {
			t.Errorf("API contract: %v", err)
		}
		seen = append(seen, fmt.Sprintf("%s %d", op, http.StatusRequestTimeout))
	}
	a := h.startUpload(1<<20, 100, "192.0.2.1")
	b := h.startUpload(1<<20, 100, "192.0.2.2")
	if !waitFor(10*time.Second, func() bool { f, _ := h.spooled(); return f == 2 }) {
		t.Fatal("the stalled uploads did not start")
	}
	send("uploadAttachment", http.StatusServiceUnavailable, uploadPath, "application/pdf", bytes.NewReader(pdfFile("c")), "192.0.2.3")
	b.conn.Close()
	// Its place is given back once its handler has cleaned up: then the
	// same client as a's gets 429 (its own place taken), not 503.
	if !waitFor(10*time.Second, func() bool {
		resp, _, err := h.startUpload(1<<20, 100, "192.0.2.1").answer(t, 5*time.Second)
		return err == nil && resp.StatusCode == http.StatusTooManyRequests
	}) {
		t.Fatal("the broken-off upload did not give its place back")
	}
	send("uploadAttachment", http.StatusTooManyRequests, uploadPath, "application/pdf", bytes.NewReader(pdfFile("a")), "192.0.2.1")
	a.conn.Close()
	return seen
}
