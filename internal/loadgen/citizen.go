package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/form"
)

// Request kinds, in the order of an application.
const (
	KindAPIUpload    = "api: Anhang hochladen"
	KindAPISubmit    = "api: Antrag senden"
	KindStartPage    = "html: Startseite"
	KindStart        = "html: Antrag starten"
	KindStepPage     = "html: Schritt anzeigen"
	KindStepPost     = "html: Schritt senden"
	KindSummary      = "html: Zusammenfassung"
	KindSubmit       = "html: Absenden"
	KindConfirmation = "html: Bestätigung"
	KindCatalogue    = "page: Katalogseite"
)

var kindOrder = []string{KindAPIUpload, KindAPISubmit, KindStartPage, KindStart, KindStepPage, KindStepPost, KindSummary, KindSubmit, KindConfirmation, KindCatalogue}

// maxBody bounds what is read of an answer.
const maxBody = 8 << 20

// citizen makes one application.
type citizen struct {
	cfg *Config
	rec *recorder
	key string // Idempotency-Key of an API application; unique in the run
}

type answer struct {
	status   int
	location string
	header   http.Header
	body     []byte
}

// do sends req, reads the answer and records the request's time under kind.
func (ci *citizen) do(req *http.Request, kind string) (*answer, error) {
	t0 := time.Now()
	resp, err := ci.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, redact(req.URL.Path), unwrapURLError(err))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, redact(req.URL.Path), err)
	}
	ci.rec.request(kind, time.Since(t0))
	return &answer{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: body}, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

var tokenRE = regexp.MustCompile(`/antrag/[^/]+`)

// redact hides a draft's token (a secret) in a path.
func redact(p string) string { return tokenRE.ReplaceAllString(p, "/antrag/…") }

// ---- JSON API ----

// viaAPI submits the example through the JSON API, uploading its files
// first, and returns the Vorgangsnummer.
func (ci *citizen) viaAPI(ctx context.Context) (string, error) {
	svc := ci.cfg.Service
	base := ci.cfg.BaseURL + "/api/v1/forms/" + url.PathEscape(svc.ID)
	var draft string
	var uploadErr error
	data := replaceFiles(svc.Example, func(ref map[string]any) any {
		if uploadErr != nil {
			return ref
		}
		var file any
		file, draft, uploadErr = ci.apiUpload(ctx, base, draft, ref)
		return file
	})
	if uploadErr != nil {
		return "", uploadErr
	}
	// An optional fee is not paid online: load makes no payments (a
	// service whose fee must be paid first is held, not delivered).
	body, err := json.Marshal(map[string]any{"data": data, "payment": map[string]any{"later": true}})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/submissions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", ci.key)
	if draft != "" {
		req.Header.Set("Antrag-Entwurf", draft)
	}
	a, err := ci.do(req, KindAPISubmit)
	if err != nil {
		return "", err
	}
	if a.status != http.StatusCreated {
		return "", fmt.Errorf("POST %s: %d %s", req.URL.Path, a.status, problemText(a.body))
	}
	var out struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil || out.Reference == "" {
		return "", fmt.Errorf("POST %s: 201 ohne Vorgangsnummer: %.200s", req.URL.Path, a.body)
	}
	return out.Reference, nil
}

// apiUpload uploads a file for the example's file reference ref and
// returns the server's reference and the upload session.
func (ci *citizen) apiUpload(ctx context.Context, base, draft string, ref map[string]any) (any, string, error) {
	name, _ := ref["filename"].(string)
	if name == "" {
		name = "nachweis.pdf"
	}
	mt, _ := ref["mimeType"].(string)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/attachments?filename="+url.QueryEscape(name),
		bytes.NewReader(fileContent(mt, ci.key)))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if draft != "" {
		req.Header.Set("Antrag-Entwurf", draft)
	}
	a, err := ci.do(req, KindAPIUpload)
	if err != nil {
		return nil, "", err
	}
	if a.status != http.StatusCreated {
		return nil, "", fmt.Errorf("POST %s: %d %s", req.URL.Path, a.status, problemText(a.body))
	}
	var out struct {
		Draft string `json:"draft"`
		File  any    `json:"file"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil || out.File == nil {
		return nil, "", fmt.Errorf("POST %s: 201 ohne Dateireferenz: %.200s", req.URL.Path, a.body)
	}
	if out.Draft == "" {
		out.Draft = a.header.Get("Antrag-Entwurf")
	}
	return out.File, out.Draft, nil
}

// replaceFiles copies doc, replacing each file reference (an object with
// attachmentId and filename) by what f returns for it.
func replaceFiles(v any, f func(map[string]any) any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["attachmentId"]; ok {
			if _, ok := x["filename"]; ok {
				return f(x)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = replaceFiles(e, f)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = replaceFiles(e, f)
		}
		return out
	}
	return v
}

// problemText summarizes an RFC 9457 answer: detail and the first errors.
func problemText(body []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil || p.Title == "" && p.Detail == "" {
		return shorten(string(body), 200)
	}
	parts := []string{p.Title}
	if p.Detail != "" {
		parts = append(parts, p.Detail)
	}
	for i, e := range p.Errors {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("(+%d)", len(p.Errors)-3))
			break
		}
		parts = append(parts, e.Path+": "+e.Message)
	}
	return strings.Join(parts, "; ")
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ---- HTML journey ----

var (
	stepRE      = regexp.MustCompile(`/schritt/(\d+)$`)
	referenceRE = regexp.MustCompile(`class="[^"]*\bapp-reference\b[^"]*">\s*([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\s*<`)
	errorItemRE = regexp.MustCompile(`<li><a class="kern-link" href="[^"]*">([^<]*)</a></li>`)
	titleRE     = regexp.MustCompile(`<title>([^<]*)</title>`)
)

// viaHTML goes through the forms as a citizen with a browser without
// JavaScript: the start page, "Antrag starten", each step the answers leave
// visible with "Weiter", the summary, "Antrag verbindlich absenden" and the
// confirmation page, whose Vorgangsnummer it returns.
// page GETs the tenant's catalogue page (ModePage); it returns no
// Vorgangsnummer.
func (ci *citizen) page(ctx context.Context) (string, error) {
	p := "/" + url.PathEscape(ci.cfg.Service.Tenant) + "/"
	a, err := ci.get(ctx, p, KindCatalogue)
	if err != nil {
		return "", err
	}
	if a.status != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d", p, a.status)
	}
	return "", nil
}

func (ci *citizen) viaHTML(ctx context.Context) (string, error) {
	svc := ci.cfg.Service
	f := svc.Form
	startPath := "/" + url.PathEscape(svc.Tenant) + "/dienste/" + url.PathEscape(svc.Slug)
	a, err := ci.get(ctx, startPath, KindStartPage)
	if err != nil {
		return "", err
	}
	if a.status != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d", startPath, a.status)
	}
	a, err = ci.post(ctx, startPath, "application/x-www-form-urlencoded", nil, KindStart)
	if err != nil {
		return "", err
	}
	if a.status != http.StatusSeeOther || !strings.HasSuffix(a.location, "/schritt/1") {
		return "", fmt.Errorf("POST %s: %d %q statt Weiterleitung zu Schritt 1", startPath, a.status, a.location)
	}
	base := strings.TrimSuffix(a.location, "/schritt/1")
	next := a.location
	// Each step at most once, and the hidden ones redirect onward.
	for range 2*len(f.Steps) + 2 {
		if strings.HasSuffix(next, "/pruefen") {
			return ci.finish(ctx, base)
		}
		a, err = ci.get(ctx, next, KindStepPage)
		if err != nil {
			return "", err
		}
		if a.status == http.StatusSeeOther { // a step the answers hide
			next = a.location
			continue
		}
		if a.status != http.StatusOK {
			return "", fmt.Errorf("GET %s: %d", redact(next), a.status)
		}
		var n int
		if m := stepRE.FindStringSubmatch(next); m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		if n < 1 || n > len(f.Steps) {
			return "", fmt.Errorf("GET %s: keine Schrittseite", redact(next))
		}
		vals, files := f.FormValues(f.Steps[n-1], svc.Example)
		vals.Set("aktion", "weiter")
		// As a browser sends the step's form: in the encoding the page's
		// form asks for (multipart only for a step with file inputs).
		ct, body := "application/x-www-form-urlencoded", []byte(vals.Encode())
		if bytes.Contains(a.body, []byte(`enctype="multipart/form-data"`)) {
			if ct, body, err = multipartBody(vals, files, ci.key); err != nil {
				return "", err
			}
		}
		a, err = ci.post(ctx, next, ct, body, KindStepPost)
		if err != nil {
			return "", err
		}
		if a.status != http.StatusSeeOther {
			return "", fmt.Errorf("POST %s (Weiter): %d %s", redact(next), a.status, pageProblems(a.body))
		}
		next = a.location
	}
	return "", fmt.Errorf("%s: Zusammenfassung nach %d Schritten nicht erreicht", redact(base), len(f.Steps))
}

// finish sends the application from the summary page and reads the
// Vorgangsnummer off the confirmation page.
func (ci *citizen) finish(ctx context.Context, base string) (string, error) {
	a, err := ci.get(ctx, base+"/pruefen", KindSummary)
	if err != nil {
		return "", err
	}
	if a.status != http.StatusOK {
		return "", fmt.Errorf("GET %s/pruefen: %d %s", redact(base), a.status, pageProblems(a.body))
	}
	// "Absenden, später bezahlen": an optional fee is not paid online.
	a, err = ci.post(ctx, base+"/absenden", "application/x-www-form-urlencoded", []byte("zahlung=spaeter"), KindSubmit)
	if err != nil {
		return "", err
	}
	if a.status == http.StatusSeeOther && strings.HasSuffix(a.location, "/zahlung") {
		return "", fmt.Errorf("POST %s/absenden: the service's fee must be paid online first, which load does not do", redact(base))
	}
	if a.status != http.StatusSeeOther || !strings.HasSuffix(a.location, "/bestaetigung") {
		return "", fmt.Errorf("POST %s/absenden: %d %q %s", redact(base), a.status, redact(a.location), pageProblems(a.body))
	}
	a, err = ci.get(ctx, a.location, KindConfirmation)
	if err != nil {
		return "", err
	}
	if a.status != http.StatusOK {
		return "", fmt.Errorf("GET %s/bestaetigung: %d", redact(base), a.status)
	}
	m := referenceRE.FindSubmatch(a.body)
	if m == nil {
		return "", fmt.Errorf("GET %s/bestaetigung: keine Vorgangsnummer auf der Seite", redact(base))
	}
	return string(m[1]), nil
}

// abs resolves a path or a Location against the base URL.
func (ci *citizen) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return ci.cfg.BaseURL + p
	}
	return p
}

func (ci *citizen) get(ctx context.Context, p, kind string) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ci.abs(p), nil)
	if err != nil {
		return nil, err
	}
	ci.browserHeaders(req)
	return ci.do(req, kind)
}

func (ci *citizen) post(ctx context.Context, p, contentType string, body []byte, kind string) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ci.abs(p), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ci.browserHeaders(req)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", ci.cfg.BaseURL)
	return ci.do(req, kind)
}

// browserHeaders are what a browser sends on a navigation within the site.
func (ci *citizen) browserHeaders(req *http.Request) {
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("User-Agent", "antrag-load (simulierte Bürgerin)")
}

// multipartBody encodes a step's form as multipart/form-data, as the step
// form's enctype makes browsers send it, with a small file for each file
// reference.
func multipartBody(vals url.Values, files map[string][]form.FileRef, tag string) (string, []byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range vals {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				return "", nil, err
			}
		}
	}
	for field, refs := range files {
		for _, r := range refs {
			w, err := mw.CreateFormFile(field, r.Filename)
			if err != nil {
				return "", nil, err
			}
			if _, err := w.Write(fileContent(r.MimeType, tag+field)); err != nil {
				return "", nil, err
			}
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, err
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}

// pageProblems is the error summary of a page (its first four entries),
// else the page's title (an error page has no summary).
func pageProblems(body []byte) string {
	var out []string
	if i := bytes.Index(body, []byte(`id="fehler"`)); i >= 0 {
		summary := body[i:]
		if j := bytes.Index(summary, []byte("</ul>")); j >= 0 {
			summary = summary[:j]
		}
		for _, m := range errorItemRE.FindAllSubmatch(summary, 4) {
			out = append(out, html.UnescapeString(string(m[1])))
		}
	}
	if len(out) == 0 {
		if m := titleRE.FindSubmatch(body); m != nil {
			return html.UnescapeString(string(m[1]))
		}
		return ""
	}
	return strings.Join(out, "; ")
}
