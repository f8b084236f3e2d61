package web_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawExchange sends head and body as they are over a new connection,
// closes the sending side (the client goes away before its body is
// complete) and reads the answer.
func (h *harness) rawExchange(head string, body []byte) *http.Response {
	h.t.Helper()
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(append([]byte(head), body...)); err != nil {
		h.t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// blobFiles lists the files in the blob directory.
func (h *harness) blobFiles() []string {
	h.t.Helper()
	var names []string
	err := filepath.WalkDir(h.bdir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return names
}

// noServerError fails if the server logged an error: a client's broken
// body is not the server's fault.
func (h *harness) noServerError() {
	h.t.Helper()
	for line := range strings.Lines(h.logs.String()) {
		if strings.Contains(line, "level=ERROR") {
			h.t.Errorf("logged as a server error: %s", line)
		}
	}
}

// TestCutOffUploadBodyIsAClientError: an attachment upload whose body ends
// before its Content-Length, or whose chunked body breaks off, answered
// 500 and logged an error; it is the client's 400, and nothing is stored.
func TestCutOffUploadBodyIsAClientError(t *testing.T) {
	h := newHarness(t)
	host := strings.TrimPrefix(h.srv.URL, "http://")
	body := pdfFile(strings.Repeat("x", 80))
	const path = "/api/v1/forms/musterstadt.bewohnerparkausweis/attachments?filename=x.pdf"
	for name, head := range map[string]string{
		"Content-Length": fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n", path, host),
		"chunked":        fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", path, host, 4096),
	} {
		t.Run(name, func(t *testing.T) {
			resp := h.rawExchange(head, body)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			if !strings.Contains(string(b), "nicht vollständig") {
				t.Errorf("the problem does not say the body was incomplete: %s", b)
			}
		})
	}
	h.noServerError()
	if files := h.blobFiles(); len(files) > 0 {
		t.Errorf("left behind: %v", files)
	}
}

// TestCutOffStepPostIsAClientError: a step's multipart post without its
// closing boundary answered 500; it is a 400 error page, and a file the
// same post stored before the break is removed again.
func TestCutOffStepPostIsAClientError(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	base := h.start(sv)
	ex := sv.form.Example(sv.ctx)
	step, field := -1, ""
	for _, st := range sv.form.Steps {
		if _, refs := sv.form.FormValues(st, ex); len(refs) > 0 {
			for f := range refs {
				step, field = st.Index, f
			}
			break
		}
	}
	if step < 0 {
		t.Fatal("no step with a file field")
	}
	cut := func(name string, withFile bool) []byte {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.SetBoundary("grenze")
		if withFile {
			w, _ := mw.CreateFormFile(field, "ganz.pdf")
			w.Write(pdfFile("ganz"))
		}
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="halb.pdf"`, name))
		hdr.Set("Content-Type", "application/pdf")
		w, _ := mw.CreatePart(hdr)
		w.Write(pdfFile("halb")[:20]) // no closing boundary follows
		return buf.Bytes()
	}
	tests := map[string][]byte{
		"text field":       []byte("--grenze\r\nContent-Disposition: form-data; name=\"aktion\"\r\n\r\nweit"),
		"file after file":  cut(field, true),
		"file field alone": cut(field, false),
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s%s/schritt/%d", h.srv.URL, base, step+1), bytes.NewReader(body))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=grenze")
			resp := h.send(h.client, req)
			if resp.status != http.StatusBadRequest || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") {
				t.Errorf("%d %s %s", resp.status, resp.header.Get("Content-Type"), resp.body)
			}
			if !strings.Contains(resp.body, "nicht vollständig") {
				t.Errorf("the page does not say the form was incomplete: %s", resp.body)
			}
		})
	}
	h.noServerError()
	tok := base[strings.LastIndex(base, "/")+1:]
	d, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, tokenHash(tok), h.now)
	if err != nil {
		t.Fatal(err)
	}
	if files, _, err := h.db.DraftAttachmentUsage(context.Background(), sv.tenant.ID, d.ID); err != nil || files != 0 {
		t.Errorf("the draft keeps %d attachments of broken posts (%v)", files, err)
	}
	if files := h.blobFiles(); len(files) > 0 {
		t.Errorf("left behind: %v", files)
	}
}

// TestCutOffSubmissionBodyIsAClientError: a JSON submission whose body
// ends before its Content-Length is a 400 that says so.
func TestCutOffSubmissionBodyIsAClientError(t *testing.T) {
	h := newHarness(t)
	host := strings.TrimPrefix(h.srv.URL, "http://")
	head := fmt.Sprintf("POST /api/v1/forms/musterstadt.gewerbeanmeldung/submissions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n", host)
	resp := h.rawExchange(head, []byte(`{"data": {"F1": "ab`))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), "nicht vollständig") {
		t.Errorf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	h.noServerError()
}

// TestCutOffStaffFormIsAClientError: the caseworker's "extend session"
// form with a body that ends before its Content-Length answered 500.
func TestCutOffStaffFormIsAClientError(t *testing.T) {
	h := newHarness(t)
	staff := h.staffClient("musterstadt")
	u, _ := url.Parse(h.srv.URL + "/intern/")
	var cookies []string
	for _, c := range staff.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	head := fmt.Sprintf("POST /intern/sitzung HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n",
		strings.TrimPrefix(h.srv.URL, "http://"), strings.Join(cookies, "; "))
	resp := h.rawExchange(head, []byte("zurueck=%2Fintern%2F"))
	if resp.StatusCode != http.StatusBadRequest {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	h.noServerError()
}
