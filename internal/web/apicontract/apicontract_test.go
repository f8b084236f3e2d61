package apicontract_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/web"
	"github.com/antrag/antrag/internal/web/apicontract"
)

// TestOpenAPIDocumentIsValid31: the API's document is a valid OpenAPI 3.1
// document, and the check rejects documents that are not.
func TestOpenAPIDocumentIsValid31(t *testing.T) {
	spec := web.OpenAPIDocument()
	if _, err := apicontract.Load(spec); err != nil {
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
		if _, err := apicontract.Load([]byte(broken)); err == nil {
			t.Errorf("%s: accepted as valid OpenAPI 3.1", c.name)
		}
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
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Antrag unvollständig","status":422,"errors":[{"path":"F1","code":"required","message":"Fehlt."}],"errorCount":1}`}, true},
		{"field problems without their count", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Antrag unvollständig","status":422,"errors":[{"path":"F1","code":"required","message":"Fehlt."}]}`}, false},
		{"more than 100 field problems listed", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Antrag unvollständig","status":422,"errors":[` +
				strings.TrimSuffix(strings.Repeat(`{"path":"F1","code":"required","message":"Fehlt."},`, 101), ",") + `],"errorCount":101}`}, false},
		{"an Idempotency-Key used with other data", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Idempotency-Key schon verwendet","status":422,"detail":"Andere Daten."}`}, true},
		{"a field problem count without field problems", "POST", submissions, `{"data": {}}`,
			fakeAPI{422, jsonHeader("application/problem+json"), `{"type":"about:blank","title":"Antrag unvollständig","status":422,"errorCount":3,"errors":[]}`}, false},
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
		client := &http.Client{Transport: &apicontract.Transport{Next: c.resp, Fail: func(err error) { failures = append(failures, err) }}}
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
