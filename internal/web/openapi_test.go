package web_test

import (
	"context"
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
	"github.com/antrag/antrag/internal/tenant"
)

// openAPIFile is the document's file, relative to this package.
const openAPIFile = "openapi.json"

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
	want := append(slices.Clone(form.ProblemCodes), "rule", "place")
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

	// The demo's shared service, routed to the Kreis in its area.
	ctx := context.Background()
	kreis, err := h.db.TenantBySlug(ctx, "beispielkreis")
	if err != nil {
		t.Fatal(err)
	}
	shared, err := h.db.ServiceBySlug(ctx, kreis.ID, "krankheitserreger")
	if err != nil {
		t.Fatal(err)
	}
	if js, _ := h.db.ServiceJurisdictions(ctx, shared.ID); len(js) == 0 {
		if err := h.db.CreateJurisdiction(ctx, &tenant.Jurisdiction{TenantID: kreis.ID, ServiceID: shared.ID, AuthorityID: shared.AuthorityID, ARS: "07339"}); err != nil {
			t.Fatal(err)
		}
	}
	routing := "/api/v1/forms/beispielkreis.krankheitserreger/routing"
	call("getRouting", 200, "GET", routing+"?ars=073395001001", "")
	call("getRouting", 200, "GET", "/api/v1/forms/"+noFiles+"/routing", "")
	call("getRouting", 404, "GET", routing+"?ars=091620000000", "")
	call("getRouting", 422, "GET", routing+"?postcode=1", "")

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
	// Location names the submission: GET gives its state, only under its
	// own form.
	got := call("getSubmission", 200, "GET", created.location, "")
	var made, read struct{ ID, Reference, Status string }
	json.Unmarshal([]byte(created.body), &made)
	json.Unmarshal([]byte(got.body), &read)
	if read != made || read.Status != "eingegangen" {
		t.Errorf("GET %s = %+v, want %+v", created.location, read, made)
	}
	// Its fee (mandatory) is open: paying again names the open attempt;
	// once paid, nothing is asked twice.
	call("payForSubmission", 404, "POST", "/api/v1/forms/"+files+"/submissions/unbekannt/payment", "")
	call("payForSubmission", 400, "POST", created.location+"/payment", `{"returnUrl": "ftp://fachportal.example/"}`, "Content-Type", jsonType)
	open := call("payForSubmission", 200, "POST", created.location+"/payment", "")
	var pay struct{ Payment struct{ PayURL string } }
	json.Unmarshal([]byte(open.body), &pay)
	if pay.Payment.PayURL == "" {
		t.Fatalf("no pay page: %s", open.body)
	}
	req, _ := http.NewRequest("POST", pay.Payment.PayURL, strings.NewReader("aktion=bezahlen"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.send(h.client, req)
	call("getSubmission", 200, "GET", created.location, "")
	call("payForSubmission", 409, "POST", created.location+"/payment", "")
	call("getSubmission", 404, "GET", "/api/v1/forms/"+noFiles+"/submissions/"+made.ID, "")
	call("getSubmission", 404, "GET", "/api/v1/forms/"+files+"/submissions/unbekannt", "")
	// The session served its application; the key belongs to this form.
	call("uploadAttachment", 409, "POST", up, string(pdfFile("b")), "Antrag-Entwurf", session)
	call("submitApplication", 409, "POST", sub, `{"data": {}}`, "Content-Type", jsonType, "Idempotency-Key", "schluessel-1")
	for _, k := range answerGuardStatuses(t) { // 408, 429, 503: on a server with small bounds
		seen[k] = true
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
				// 500 and 503 (the database is gone, see
				// TestDatabaseOutageIs503) need a broken server.
				if k := op.OperationID + " " + status; status != "500" && status != "503" && !seen[k] {
					t.Errorf("documented, never answered here: %s", k)
				}
			}
		}
	}
}
