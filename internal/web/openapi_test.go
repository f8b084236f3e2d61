package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
)

// TestOpenAPIDocumentIsValid31: the API's document is a valid OpenAPI 3.1
// document, and the check rejects documents that are not.
func TestOpenAPIDocumentIsValid31(t *testing.T) {
	spec, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadOpenAPI(spec); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new string }{
		{"OpenAPI 3.0", `"openapi": "3.1.1"`, `"openapi": "3.0.3"`},
		{"unknown field in an operation", `"operationId": "listServices",`, `"operationId": "listServices", "respones": {},`},
		{"reference to nothing", `"#/components/schemas/FileRef"`, `"#/components/schemas/Datei"`},
		{"unknown schema type", `"type": "boolean"`, `"type": "bool"`},
		{"parameter in nowhere", `"in": "path",`, `"in": "pfad",`},
	} {
		broken := strings.Replace(string(spec), c.old, c.new, 1)
		if broken == string(spec) {
			t.Fatalf("%s: %s not in the document", c.name, c.old)
		}
		if _, err := loadOpenAPI([]byte(broken)); err == nil {
			t.Errorf("%s: accepted as valid OpenAPI 3.1", c.name)
		}
	}
}

// TestOpenAPIDocumentServed: GET /api/v1/openapi.json serves the document
// as JSON.
func TestOpenAPIDocumentServed(t *testing.T) {
	h := newHarness(t)
	r := h.get("/api/v1/openapi.json")
	spec, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || r.body != string(spec) {
		t.Fatalf("GET /api/v1/openapi.json: %d %s, %d bytes, want the %d bytes of %s", r.status, r.header.Get("Content-Type"), len(r.body), len(spec), openAPIFile)
	}
}

// TestOpenAPIDocumentListsEveryAPIRoute: the document and routes.go name
// the same operations under /api/v1/, so that a new route cannot go
// undescribed, nor a described one be dropped.
func TestOpenAPIDocumentListsEveryAPIRoute(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		routes = append(routes, m[1]+" "+m[2])
	}
	spec, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if len(routes) < 5 || !slices.Equal(routes, documented) {
		t.Errorf("routes.go has\n  %s\nthe OpenAPI document\n  %s", strings.Join(routes, "\n  "), strings.Join(documented, "\n  "))
	}
}

// TestOpenAPIFieldProblemCodes: the document lists exactly the codes a
// field-level problem can have: those of form.Validate and "rule" from
// the FIM rules.
func TestOpenAPIFieldProblemCodes(t *testing.T) {
	want := []string{form.CodeRequired, form.CodeEmpty, form.CodeType, form.CodeMinLength, form.CodeMaxLength, form.CodePattern,
		form.CodeCharset, form.CodeFormat, form.CodeMinimum, form.CodeMaximum, form.CodeDecimals, form.CodeMinItems, form.CodeMaxItems,
		form.CodeCode, form.CodeUnknown, form.CodeFile, form.CodeMediaType, form.CodeMaxSize, "rule"}
	spec, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				FieldProblem struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"FieldProblem"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Components.Schemas.FieldProblem.Properties.Code.Enum
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("FieldProblem.code enum %v, want %v", got, want)
	}
}

// fakeAPI answers every request with one fixed response.
type fakeAPI struct {
	status int
	header http.Header
	body   string
}

func (f fakeAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.status, Header: f.header, Body: io.NopCloser(strings.NewReader(f.body)), Request: req}, nil
}

// TestAPIContractCatchesWrongExchanges: the validating transport the tests'
// clients use fails a test on a response or request that does not match
// the document, problem responses included, and passes one that does.
func TestAPIContractCatchesWrongExchanges(t *testing.T) {
	const (
		submissions = "/api/v1/forms/musterstadt.gewerbeanmeldung/submissions"
		attachments = "/api/v1/forms/musterstadt.bewohnerparkausweis/attachments?filename=a.pdf"
		id          = "6f1c1b8e-2d4a-4c43-9a52-0a7f4c2e9b11"
	)
	jsonHeader := func(ct string, kv ...string) http.Header {
		h := http.Header{"Content-Type": {ct}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	fileRef := `{"attachmentId":"` + id + `","filename":"a.pdf","mimeType":"application/pdf","size":3,"hash":{"type":"sha512","content":"` + strings.Repeat("ab", 64) + `"}}`
	for _, c := range []struct {
		name, method, path, body string
		resp                     fakeAPI
		ok                       bool
	}{
		{"a submission as documented", "POST", submissions, `{"data": {}}`,
			fakeAPI{201, jsonHeader("application/json"), `{"id":"` + id + `","reference":"K7QM-2X9D-RTA4","status":"eingegangen"}`}, true},
		{"a submission without its Vorgangsnummer", "POST", submissions, `{"data": {}}`,
			fakeAPI{201, jsonHeader("application/json"), `{"id":"` + id + `","status":"eingegangen"}`}, false},
		{"a submission with an unknown status", "POST", submissions, `{"data": {}}`,
			fakeAPI{201, jsonHeader("application/json"), `{"id":"` + id + `","reference":"K7QM-2X9D-RTA4","status":"neu"}`}, false},
		{"field problems as documented", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Antrag unvollständig","status":422,"errors":[{"path":"F1","code":"required","message":"Fehlt."}]}`}, true},
		{"field problems without errors", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Antrag unvollständig","status":422}`}, false},
		{"a field problem with an undocumented code", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"x","status":422,"errors":[{"path":"F1","code":"missing","message":"Fehlt."}]}`}, false},
		{"a field problem without a path", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"x","status":422,"errors":[{"code":"required","message":"Fehlt."}]}`}, false},
		{"a problem as plain JSON", "POST", submissions, `{"data": {}}`,
			fakeAPI{404, jsonHeader("application/json"), `{"type":"about:blank","title":"Nicht gefunden","status":404}`}, false},
		{"a problem without a title", "POST", submissions, `{"data": {}}`,
			fakeAPI{404, jsonHeader("application/problem+json"), `{"type":"about:blank","status":404}`}, false},
		{"an undocumented status", "POST", submissions, `{"data": {}}`,
			fakeAPI{418, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"x","status":418}`}, false},
		{"a malformed request rejected with a problem", "POST", submissions, `{"data": {}, "valid": true}`,
			fakeAPI{400, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Ungültige Anfrage","status":400}`}, true},
		{"a malformed request accepted", "POST", submissions, `{"data": {}, "valid": true}`,
			fakeAPI{201, jsonHeader("application/json"), `{"id":"` + id + `","reference":"K7QM-2X9D-RTA4","status":"eingegangen"}`}, false},
		{"an upload as documented", "POST", attachments, "%PDF",
			fakeAPI{201, jsonHeader("application/json", "Antrag-Entwurf", "tok"), `{"draft":"tok","file":` + fileRef + `}`}, true},
		{"an upload answer without the Antrag-Entwurf header", "POST", attachments, "%PDF",
			fakeAPI{201, jsonHeader("application/json"), `{"draft":"tok","file":` + fileRef + `}`}, false},
		{"an upload answer with a short hash", "POST", attachments, "%PDF",
			fakeAPI{201, jsonHeader("application/json", "Antrag-Entwurf", "tok"), `{"draft":"tok","file":` + strings.Replace(fileRef, strings.Repeat("ab", 64), "abab", 1) + `}`}, false},
		{"a service list entry without its form", "GET", "/api/v1/services", "",
			fakeAPI{200, jsonHeader("application/json"), `[{"id":"a.b","tenant":"a","name":"B","shared":false}]`}, false},
		{"a path the document does not have", "GET", "/api/v1/forms", "",
			fakeAPI{200, jsonHeader("application/json"), `[]`}, false},
	} {
		var failures []error
		client := &http.Client{Transport: &contractTransport{next: c.resp, fail: func(err error) { failures = append(failures, err) }}}
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, "http://antrag.test"+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if c.method == "POST" && strings.HasSuffix(c.path, "/submissions") {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != c.resp.body {
			t.Errorf("%s: the transport changed the response body to %q", c.name, got)
		}
		if ok := len(failures) == 0; ok != c.ok {
			t.Errorf("%s: contract violations %v, want violations: %v", c.name, failures, !c.ok)
		}
	}
}

// TestAPIAnswersEveryDocumentedStatus drives the real server to every
// status the document lists for each operation (except 500, which needs
// a broken store), through the validating client: the document promises
// no answer the server never gives, and each answer matches it.
func TestAPIAnswersEveryDocumentedStatus(t *testing.T) {
	h := newHarnessWith(t, func(c *harnessConfig) { c.maxUpload, c.maxAPI = 256<<10, 64<<10 })
	seen := map[string]bool{}
	call := func(op string, want int, method, path, body string, header ...string) response {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, h.srv.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		r := h.send(h.client, req)
		if r.status != want {
			t.Errorf("%s: %d %s, want %d", op, r.status, r.body, want)
		}
		seen[fmt.Sprintf("%s %d", op, want)] = true
		return r
	}
	const (
		files    = "musterstadt.bewohnerparkausweis"
		noFiles  = "musterstadt.gewerbeanmeldung"
		jsonType = "application/json"
	)
	call("getOpenAPI", 200, "GET", "/api/v1/openapi.json", "")
	call("listServices", 200, "GET", "/api/v1/services", "")
	call("getFormSchema", 200, "GET", "/api/v1/forms/"+files+"/schema", "")
	call("getFormSchema", 404, "GET", "/api/v1/forms/musterstadt.gibtsnicht/schema", "")

	up := "/api/v1/forms/" + files + "/attachments?filename=a.pdf"
	first := call("uploadAttachment", 201, "POST", up, string(pdfFile("a")), "Content-Type", "application/octet-stream")
	session := first.header.Get("Antrag-Entwurf")
	call("uploadAttachment", 400, "POST", "/api/v1/forms/musterstadt.waffenbesitzkarte/attachments?filename=a.pdf", string(pdfFile("a")), "Antrag-Entwurf", session)
	call("uploadAttachment", 403, "POST", up, string(pdfFile("a")), "Sec-Fetch-Site", "cross-site")
	call("uploadAttachment", 404, "POST", up, string(pdfFile("a")), "Antrag-Entwurf", "unbekannt")
	call("uploadAttachment", 413, "POST", up, string(pdfFile("a"))+strings.Repeat(" ", 300<<10))
	call("uploadAttachment", 422, "POST", "/api/v1/forms/"+noFiles+"/attachments?filename=a.pdf", string(pdfFile("a")))

	sub := "/api/v1/forms/" + noFiles + "/submissions"
	call("submitApplication", 400, "POST", sub, `{"data": {}, "valid": true}`, "Content-Type", jsonType)
	call("submitApplication", 400, "POST", sub, `{"data": {}}`, "Content-Type", jsonType, "Idempotency-Key", strings.Repeat("k", 201))
	call("submitApplication", 403, "POST", sub, `{"data": {}}`, "Content-Type", jsonType, "Sec-Fetch-Site", "cross-site")
	call("submitApplication", 404, "POST", "/api/v1/forms/nirgendwo.gewerbeanmeldung/submissions", `{"data": {}}`, "Content-Type", jsonType)
	call("submitApplication", 413, "POST", sub, `{"data": {"F1": "`+strings.Repeat("a", 70<<10)+`"}}`, "Content-Type", jsonType)
	bad := call("submitApplication", 422, "POST", sub, `{"data": {}}`, "Content-Type", jsonType)
	if !strings.Contains(bad.body, `"code":"required"`) {
		t.Errorf("422 without field-level problems: %s", bad.body)
	}
	// A complete application with files, in one upload session.
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	session = ""
	replaceFiles(ex, func(ref map[string]any) map[string]any {
		name, _ := ref["filename"].(string)
		hdr := []string{"Content-Type", "application/pdf"}
		if session != "" {
			hdr = append(hdr, "Antrag-Entwurf", session)
		}
		r := call("uploadAttachment", 201, "POST", "/api/v1/forms/"+files+"/attachments?filename="+url.QueryEscape(name), string(pdfFile(name)), hdr...)
		var out struct {
			Draft string         `json:"draft"`
			File  map[string]any `json:"file"`
		}
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatal(err)
		}
		session = out.Draft
		return out.File
	})
	if session == "" {
		t.Fatal("the example has no files")
	}
	data, _ := json.Marshal(map[string]any{"data": ex})
	created := call("submitApplication", 201, "POST", "/api/v1/forms/"+files+"/submissions", string(data),
		"Content-Type", jsonType, "Idempotency-Key", "schluessel-1", "Antrag-Entwurf", session)
	if !strings.HasPrefix(created.location, "/api/v1/forms/"+files+"/submissions/") {
		t.Errorf("201 with Location %q", created.location)
	}
	// The session served its application; the key belongs to this form.
	call("uploadAttachment", 409, "POST", up, string(pdfFile("b")), "Antrag-Entwurf", session)
	call("submitApplication", 409, "POST", sub, `{"data": {}}`, "Content-Type", jsonType, "Idempotency-Key", "schluessel-1")

	spec, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		t.Fatal(err)
	}
	for _, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			for status := range op.Responses {
				if k := op.OperationID + " " + status; status != "500" && !seen[k] {
					t.Errorf("documented, never answered here: %s", k)
				}
			}
		}
	}
}
