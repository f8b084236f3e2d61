package web

import (
	"bytes"
	_ "embed"
	"net/http"
)

// openAPIDocument describes the JSON API under /api/v1 as an OpenAPI 3.1
// document (https://spec.openapis.org/oas/v3.1.1): its operations,
// parameters, request and response bodies and every status they answer
// with, errors as RFC 9457 problem details with field-level "errors"
// (form.Problem: path, code, message). It is the one description of the
// API: the handlers do not generate it, and the package's tests validate
// every API request and response they make against it, so that the two
// cannot part without a failing test.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the document at GET /api/v1/openapi.json.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDocument)
}

// OpenAPIDocument returns the API's OpenAPI 3.1 document, as served.
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDocument) }
