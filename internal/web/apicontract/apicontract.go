// Package apicontract checks exchanges with antrag's JSON API against its
// OpenAPI 3.1 document (web.OpenAPIDocument, the file
// internal/web/openapi.json): an http.RoundTripper for test clients that
// validates every request under /api/v1/ and its response, with
// github.com/getkin/kin-openapi (JSON Schema 2020-12 for OpenAPI 3.1).
// It is for tests: antrag itself does not import it.
//
// A request the document does not allow must be rejected by the server
// with a 4xx response the document describes (problem details); tests
// that send malformed requests on purpose rely on that. A request outside
// the document that the server accepts, a response the document does not
// describe (status, media type, body, headers), and a path or method
// missing from the document are violations.
package apicontract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/antrag/antrag/internal/web"
)

// loadContract loads and validates the served document and builds its
// router, once per test binary.
var loadContract = sync.OnceValues(func() (routers.Router, error) {
	doc, err := Load(web.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	// The document names the installation as the relative server "/";
	// test servers listen on any host and port.
	doc.Servers = nil
	return legacy.NewRouter(doc)
})

// Load parses an OpenAPI document and checks it: it must be OpenAPI 3.1,
// every reference must resolve and every object must be well-formed.
func Load(spec []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.IsOpenAPI32OrLater() {
		return nil, fmt.Errorf("OpenAPI document is version %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %w", err)
	}
	return doc, nil
}

// Transport is an http.RoundTripper that checks the exchanges with
// /api/v1/ against the document and reports each violation to Fail (which
// may be called from the goroutines that use the client); it passes the
// response on unchanged. Other paths pass through unchecked.
type Transport struct {
	Next http.RoundTripper // nil: http.DefaultTransport
	Fail func(error)
}

// RoundTrip implements http.RoundTripper.
func (c *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return resp, nil // the caller sees the read error itself
	}
	if err := Check(req, body, resp, respBody); err != nil {
		c.Fail(err)
	}
	return resp, nil
}

// Check validates one request with its body and the response with its
// body against the document; the error lists every violation.
func Check(req *http.Request, body []byte, resp *http.Response, respBody []byte) error {
	router, err := loadContract()
	if err != nil {
		return err
	}
	what := req.Method + " " + req.URL.Path
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		return fmt.Errorf("%s: not in the OpenAPI document: %w", what, err)
	}
	opts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	respErr := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts,
	})
	var errs []error
	if respErr != nil {
		errs = append(errs, fmt.Errorf("%s: response %d does not match the OpenAPI document: %w\n%.600s", what, resp.StatusCode, respErr, respBody))
	}
	if reqErr != nil && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
		errs = append(errs, fmt.Errorf("%s: the request does not match the OpenAPI document, but the server answered %d: %w", what, resp.StatusCode, reqErr))
	}
	return errors.Join(errs...)
}
