package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

const kernCSS = "vendor/kern/kern.min.css"

// serve sends one request to Handler and returns the recorded response.
func serve(t *testing.T, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

// mustPath returns Path(name) and fails the test when name is not embedded.
func mustPath(t *testing.T, name string) string {
	t.Helper()
	p, ok := Path(name)
	if !ok {
		t.Fatalf("Path(%q): not embedded", name)
	}
	return p
}

// mustRead returns the embedded file name.
func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(files, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkHeader(t *testing.T, rec *httptest.ResponseRecorder, key, want string) {
	t.Helper()
	if got := rec.Header().Get(key); got != want {
		t.Errorf("%s = %q, want %q", key, got, want)
	}
}

func TestHashedCSSIsImmutable(t *testing.T) {
	p := mustPath(t, kernCSS)
	if !regexp.MustCompile(`^/static/vendor/kern/kern\.min\.[0-9a-f]{10}\.css$`).MatchString(p) {
		t.Fatalf("Path(%q) = %q, want /static/vendor/kern/kern.min.<10 hex>.css", kernCSS, p)
	}
	want := mustRead(t, kernCSS)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			rec := serve(t, method, p, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			checkHeader(t, rec, "Cache-Control", "public, max-age=31536000, immutable")
			checkHeader(t, rec, "Content-Type", "text/css; charset=utf-8")
			checkHeader(t, rec, "X-Content-Type-Options", "nosniff")
			checkHeader(t, rec, "Content-Length", strconv.Itoa(len(want)))
			wantBody := want
			if method == http.MethodHead {
				wantBody = nil
			}
			if !bytes.Equal(rec.Body.Bytes(), wantBody) {
				t.Errorf("body: %d bytes, want %d", rec.Body.Len(), len(wantBody))
			}
		})
	}
}

func TestPlainNameIsCachedBriefly(t *testing.T) {
	rec := serve(t, http.MethodGet, "/static/"+kernCSS, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	checkHeader(t, rec, "Cache-Control", "public, max-age=3600")
	checkHeader(t, rec, "Content-Type", "text/css; charset=utf-8")
	checkHeader(t, rec, "X-Content-Type-Options", "nosniff")
}

// cssURL matches url(...) with a double-quoted, single-quoted or bare argument.
var cssURL = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)`)

// cssRefs returns the url() targets in css that are not data: URIs.
func cssRefs(css []byte) []string {
	var refs []string
	for _, m := range cssURL.FindAllSubmatch(css, -1) {
		ref := string(m[1]) + string(m[2]) + string(m[3])
		if !strings.HasPrefix(ref, "data:") {
			refs = append(refs, ref)
		}
	}
	return refs
}

// resolve returns the URL path that ref, found in the stylesheet served at
// base, points to.
func resolve(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatalf("url(%s): %v", ref, err)
	}
	return b.ResolveReference(r).Path
}

func TestFontResolvesRelativeToCSS(t *testing.T) {
	const fontsCSS = "vendor/kern/fonts/fira-sans.css"
	base := mustPath(t, fontsCSS)
	refs := cssRefs(mustRead(t, fontsCSS))
	if len(refs) == 0 {
		t.Fatalf("%s references no files", fontsCSS)
	}
	for _, ref := range refs {
		p := resolve(t, base, ref)
		rec := serve(t, http.MethodGet, p, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("url(%s) in %s → %s: status %d, want 200", ref, base, p, rec.Code)
		}
		checkHeader(t, rec, "Content-Type", "font/woff2")
		checkHeader(t, rec, "Cache-Control", "public, max-age=3600")
		if want := mustRead(t, strings.TrimPrefix(p, Prefix)); !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%s: body differs from the embedded file", p)
		}
	}
}

// TestCSSURLsPointToEmbeddedFiles checks every url() in every embedded
// stylesheet, resolved against both its hashed and its plain URL.
func TestCSSURLsPointToEmbeddedFiles(t *testing.T) {
	c := assets()
	stylesheets, refs := 0, 0
	for name := range c.plain {
		if !strings.HasSuffix(name, ".css") {
			continue
		}
		stylesheets++
		for _, ref := range cssRefs(mustRead(t, name)) {
			refs++
			for _, base := range []string{mustPath(t, name), Prefix + name} {
				p := resolve(t, base, ref)
				target, ok := strings.CutPrefix(p, Prefix)
				if !ok {
					t.Errorf("%s: url(%s) resolves to %s, outside %s", name, ref, p, Prefix)
					continue
				}
				if _, ok := c.plain[target]; !ok {
					t.Errorf("%s: url(%s) resolves to %s, which is not embedded", name, ref, p)
				}
			}
		}
	}
	if stylesheets < 2 || refs == 0 {
		t.Errorf("found %d stylesheets with %d file references; want kern.min.css and fonts/fira-sans.css with fonts", stylesheets, refs)
	}
}

func TestEveryEmbeddedFileIsServed(t *testing.T) {
	c := assets()
	if len(c.plain) == 0 {
		t.Fatal("nothing embedded")
	}
	for name, a := range c.plain {
		if strings.HasSuffix(name, ".go") {
			t.Errorf("Go file %s is embedded", name)
		}
		if _, ok := c.plain[a.hashed]; ok {
			t.Errorf("hashed name %s is also a plain name", a.hashed)
		}
		rec := serve(t, http.MethodGet, mustPath(t, name), nil)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), a.body) {
			t.Errorf("%s: status %d, %d bytes; want 200 and %d bytes", name, rec.Code, rec.Body.Len(), len(a.body))
		}
	}
}

func TestNotFound(t *testing.T) {
	for _, target := range []string{
		"/static/vendor/kern/missing.css",
		"/static/vendor/kern/kern.min.0000000000.css", // stale hash
		"/static/",
		"/static/vendor",
		"/static/vendor/",
		"/static/vendor/kern/",
		"/static/vendor/kern/fonts/fira-sans/",
		"/static/../go.mod",
		"/static/../../../go.mod",
		"/static/%2e%2e/go.mod",
		"/static/vendor/../static.go",
		"/static/vendor/kern/../../static_test.go",
		"/static/static.go",
		"/static/./vendor/kern/kern.min.css",
		"/static//vendor/kern/kern.min.css",
		"/static/vendor/kern/kern.min.css/",
		"/elsewhere/vendor/kern/kern.min.css",
	} {
		t.Run(target, func(t *testing.T) {
			rec := serve(t, http.MethodGet, target, nil)
			if rec.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", rec.Code)
			}
			checkHeader(t, rec, "X-Content-Type-Options", "nosniff")
		})
	}
}

// TestTraversalThroughMux checks the handler as mounted: ServeMux cleans the
// path and redirects, and nothing outside the embedded tree is ever sent.
func TestTraversalThroughMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(Prefix, Handler())
	for _, target := range []string{"/static/../go.mod", "/static/vendor/../../go.mod", "/static/%2e%2e/go.mod"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "module ") {
			t.Errorf("%s: status %d, body %.60q", target, rec.Code, rec.Body.String())
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			rec := serve(t, method, mustPath(t, kernCSS), nil)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("status %d, want 405", rec.Code)
			}
			checkHeader(t, rec, "Allow", "GET, HEAD")
		})
	}
}

func TestConditionalGet(t *testing.T) {
	p := mustPath(t, kernCSS)
	etag := serve(t, http.MethodGet, p, nil).Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	rec := serve(t, http.MethodGet, p, http.Header{"If-None-Match": {etag}})
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status %d, want 304", etag, rec.Code)
	}
}

func TestGzip(t *testing.T) {
	p := mustPath(t, kernCSS)
	want := mustRead(t, kernCSS)

	rec := serve(t, http.MethodGet, p, http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}})
	checkHeader(t, rec, "Content-Encoding", "gzip")
	checkHeader(t, rec, "Vary", "Accept-Encoding")
	checkHeader(t, rec, "Content-Type", "text/css; charset=utf-8")
	if rec.Body.Len() >= len(want)/4 {
		t.Errorf("gzipped body is %d bytes of %d", rec.Body.Len(), len(want))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("gunzipped body differs from the embedded file")
	}

	rec = serve(t, http.MethodGet, p, http.Header{"Accept-Encoding": {"gzip;q=0, *"}})
	checkHeader(t, rec, "Content-Encoding", "")
	checkHeader(t, rec, "Vary", "Accept-Encoding")
	if !bytes.Equal(rec.Body.Bytes(), want) {
		t.Error("identity body differs from the embedded file")
	}

	font := serve(t, http.MethodGet, "/static/vendor/kern/fonts/fira-sans/FiraSans-Regular.woff2", http.Header{"Accept-Encoding": {"gzip"}})
	checkHeader(t, font, "Content-Encoding", "")
	checkHeader(t, font, "Vary", "")
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"deflate, gzip;q=1.0, *;q=0.5"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"identity"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"gzip;q=bogus"}, false},
		{[]string{"gzipper"}, false},
	} {
		if got := acceptsGzip(tc.header); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestPathUnknown(t *testing.T) {
	for _, name := range []string{"", ".", "vendor", "vendor/kern", "vendor/kern/missing.css", "/" + kernCSS, "static.go"} {
		if p, ok := Path(name); ok {
			t.Errorf("Path(%q) = %q, true; want false", name, p)
		}
	}
}

func TestContentHash(t *testing.T) {
	a, b := []byte("body{color:red}"), []byte("body{color:blue}")
	ha, hb := contentHash(a), contentHash(b)
	if !regexp.MustCompile(`^[0-9a-f]{10}$`).MatchString(ha) {
		t.Fatalf("contentHash = %q, want 10 hex digits", ha)
	}
	if ha == hb {
		t.Errorf("contentHash(%q) = contentHash(%q) = %s", a, b, ha)
	}
	if again := contentHash(bytes.Clone(a)); again != ha {
		t.Errorf("contentHash is not stable: %s then %s", ha, again)
	}
	// SHA-256 of the empty input is e3b0c44298fc1c14...
	if got := contentHash(nil); got != "e3b0c44298" {
		t.Errorf("contentHash(nil) = %s, want e3b0c44298", got)
	}
}

// TestHashFollowsContent builds two catalogues that differ in one file's
// content only: that file's public name changes, the other's does not.
func TestHashFollowsContent(t *testing.T) {
	build := func(css string) *catalogue {
		t.Helper()
		c, err := newCatalogue(fstest.MapFS{
			"app/app.css": {Data: []byte(css)},
			"app/app.js":  {Data: []byte("'use strict';")},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	v1, v2 := build("body{color:red}"), build("body{color:blue}")
	if v1.plain["app/app.css"].hashed == v2.plain["app/app.css"].hashed {
		t.Errorf("changed app.css kept its name %s", v1.plain["app/app.css"].hashed)
	}
	if v1.plain["app/app.js"].hashed != v2.plain["app/app.js"].hashed {
		t.Errorf("unchanged app.js was renamed: %s, %s", v1.plain["app/app.js"].hashed, v2.plain["app/app.js"].hashed)
	}
	if got, want := v1.plain["app/app.css"].hashed, "app/app."+contentHash([]byte("body{color:red}"))+".css"; got != want {
		t.Errorf("hashed name %s, want %s", got, want)
	}
}

func TestHashedName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"vendor/kern/kern.min.css", "vendor/kern/kern.min.0123456789.css"},
		{"vendor/json-logic-js/logic.js", "vendor/json-logic-js/logic.0123456789.js"},
		{"vendor/json-logic-js/LICENSE", "vendor/json-logic-js/LICENSE.0123456789"},
		{"a.b/c", "a.b/c.0123456789"},
	} {
		if got := hashedName(tc.name, "0123456789"); got != tc.want {
			t.Errorf("hashedName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestContentType(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"a/b.css", "text/css; charset=utf-8"},
		{"a/b.js", "text/javascript; charset=utf-8"},
		{"a/b.woff2", "font/woff2"},
		{"a/b.woff", "font/woff"},
		{"a/b.ttf", "font/ttf"},
		{"a/b.svg", "image/svg+xml"},
		{"a/b.json", "application/json"},
		{"a/B.CSS", "text/css; charset=utf-8"},
		{"a/LICENSE", "text/plain; charset=utf-8"},
		{"a/LICENSE.md", "text/plain; charset=utf-8"},
		{"a/b.exe", "application/octet-stream"},
		{"a/README", "application/octet-stream"},
	} {
		if got := contentType(tc.name); got != tc.want {
			t.Errorf("contentType(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
