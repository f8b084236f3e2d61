package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// pageHeading parses an HTML answer and returns its h1.
func pageHeading(t *testing.T, r response) string {
	t.Helper()
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s, want an HTML page: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(d.Find("main h1").First().Text())
}

// problemOf parses a problem+json answer.
func problemOf(t *testing.T, r response) (p struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}) {
	t.Helper()
	if r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s, want problem+json: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return p
}

// TestCrossOriginRefusalSpeaksGerman: Go's cross-origin protection
// answered in English plain text, which a citizen can see. Forms and the
// inbox get the German error page, the API problem+json.
func TestCrossOriginRefusalSpeaksGerman(t *testing.T) {
	h := newHarness(t)
	cross := func(path, contentType, body string) response {
		req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", "https://boese.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		return h.send(h.client, req)
	}
	for _, path := range []string{"/musterstadt/dienste/gewerbeanmeldung", "/intern/anmelden"} {
		r := cross(path, "application/x-www-form-urlencoded", url.Values{}.Encode())
		if r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", path, r.status)
		}
		if got := pageHeading(t, r); got != "Nicht erlaubt" {
			t.Errorf("%s: heading %q", path, got)
		}
		if strings.Contains(r.body, "cross-origin") {
			t.Errorf("%s: English text on the page: %s", path, r.body)
		}
	}
	r := cross("/api/v1/forms/musterstadt.gewerbeanmeldung/submissions", "application/json", `{"data": {}}`)
	if p := problemOf(t, r); r.status != http.StatusForbidden || p.Status != http.StatusForbidden || !strings.Contains(p.Detail, "Website") {
		t.Errorf("API: %d %+v", r.status, p)
	}
}

// TestUnknownAPIRoutesAnswerProblems: under /api/ an unknown path answered
// the HTML 404 page and a wrong method never 405.
func TestUnknownAPIRoutesAnswerProblems(t *testing.T) {
	h := newHarness(t)
	// The document describes no unknown path: this client does not check
	// the answers against it.
	plain := &http.Client{CheckRedirect: h.client.CheckRedirect}
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/v1/nothing", http.StatusNotFound, ""},
		{"GET", "/api/v2/services", http.StatusNotFound, ""},
		{"GET", "/api/", http.StatusNotFound, ""},
		{"POST", "/api/v1/services", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"DELETE", "/api/v1/forms/musterstadt.gewerbeanmeldung/submissions", http.StatusMethodNotAllowed, "POST"},
		{"GET", "/api/v1/forms/musterstadt.gewerbeanmeldung/attachments", http.StatusMethodNotAllowed, "POST"},
	} {
		r := h.do(plain, c.method, c.path, nil)
		p := problemOf(t, r)
		if r.status != c.status || p.Status != c.status || p.Detail == "" {
			t.Errorf("%s %s: %d %+v, want %d", c.method, c.path, r.status, p, c.status)
		}
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	// Outside /api/ a wrong path stays the HTML page.
	if r := h.get("/musterstadt/gibtsnicht/wirklich"); r.status != http.StatusNotFound || pageHeading(t, r) != "Seite nicht gefunden" {
		t.Errorf("HTML 404: %d", r.status)
	}
}

// TestForeignUploadSessionAnswersAsDocumented: the document said a
// session of another form answers 400; of another tenant's form it is
// 404, as for an unknown session (sessions are a tenant's own).
func TestForeignUploadSessionAnswersAsDocumented(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.bewohnerparkausweis/attachments?filename=a.pdf", strings.NewReader(string(pdfFile("a"))))
	session := h.send(h.client, req).header.Get("Antrag-Entwurf")
	for formID, want := range map[string]int{
		"musterstadt.gewerbeanmeldung": http.StatusBadRequest, // the same tenant
		"beispielkreis.asbest-anzeige": http.StatusNotFound,   // another tenant
	} {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+formID+"/submissions", strings.NewReader(`{"data": {}}`))
		req.Header.Set("Antrag-Entwurf", session)
		if r := h.send(h.client, req); r.status != want {
			t.Errorf("session of another form, %s: %d %s, want %d", formID, r.status, r.body, want)
		}
	}
}
