// Package static serves antrag's embedded front-end assets under /static/
// with content-hashed names.
//
// The assets live next to this file and are embedded into the binary:
//
//   - vendor/kern/: the KERN UX design system (@kern-ux/native, EUPL-1.2):
//     kern.min.css, fonts/fira-sans.css and the Fira Sans .woff2 files that
//     fonts/fira-sans.css references.
//   - vendor/json-logic-js/logic.js: the browser build of json-logic-js (MIT),
//     which evaluates the same JsonLogic rules in the browser as the server.
//
// They are copied from the npm registry by scripts/vendor-assets.sh and
// committed; vendor/SOURCES.md names each file's package, version, licence
// and checksum. Nothing here needs npm at build or run time. Files of
// antrag's own go into a new directory beside vendor/ that is added to the
// go:embed directive below.
//
// Templates refer to an asset by its name relative to this directory
// ("vendor/kern/kern.min.css") and get its public URL from [Path]:
// "/static/vendor/kern/kern.min.<hash>.css", where <hash> is the first 10 hex
// digits of the SHA-256 of the file's content. [Handler] serves such URLs as
// immutable for a year, so a changed file gets a new URL and browsers never
// see a stale copy. It serves the plain names too, for one hour, because the
// url() references inside CSS (fonts) are relative and unhashed.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix is the URL path under which [Handler] must be mounted.
const Prefix = "/static/"

// Cache-Control values for hashed (content-addressed) and plain names.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cachePlain     = "public, max-age=3600"
)

//go:embed vendor app
var files embed.FS

// asset is one embedded file, read and hashed once.
type asset struct {
	name        string // relative to the static root, e.g. "vendor/kern/kern.min.css"
	hashed      string // name with the content hash before the extension
	contentType string
	etag        string // strong entity tag of the identity encoding
	body        []byte
	gzipped     []byte // gzip encoding; nil when the type does not compress or it saves nothing
}

// catalogue maps names to assets: plain names and hashed names each in a map
// of their own.
type catalogue struct {
	plain  map[string]*asset
	hashed map[string]*asset
}

var (
	loadOnce sync.Once
	loaded   *catalogue
)

// assets returns the catalogue of the embedded files, building it on first use.
func assets() *catalogue {
	loadOnce.Do(func() {
		c, err := newCatalogue(files)
		if err != nil {
			// The embedded tree is fixed at build time, so this is a build
			// defect that every test of this package reports.
			panic("static: " + err.Error())
		}
		loaded = c
	})
	return loaded
}

// newCatalogue reads every regular file in fsys, hashes it and compresses
// the compressible ones.
func newCatalogue(fsys fs.FS) (*catalogue, error) {
	c := &catalogue{plain: map[string]*asset{}, hashed: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		h := contentHash(body)
		a := &asset{
			name:        name,
			hashed:      hashedName(name, h),
			contentType: contentType(name),
			etag:        `"` + h + `"`,
			body:        body,
		}
		if compressible(a.contentType) {
			a.gzipped, err = gzipBytes(body)
			if err != nil {
				return err
			}
		}
		c.plain[name] = a
		c.hashed[a.hashed] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	for h, a := range c.hashed {
		if _, ok := c.plain[h]; ok {
			return nil, fmt.Errorf("hashed name %s of %s is also an embedded file", h, a.name)
		}
	}
	return c, nil
}

// contentHash returns the first 10 hex digits of the SHA-256 of b.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}

// hashedName puts hash before the extension of name's last element:
// "a/b.min.css" becomes "a/b.min.<hash>.css", "a/LICENSE" becomes "a/LICENSE.<hash>".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// contentTypes maps file extensions to the Content-Type they are served
// with. Anything else is served as application/octet-stream.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".ttf":   "font/ttf",
	".png":   "image/png",
	".ico":   "image/vnd.microsoft.icon",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/plain; charset=utf-8",
}

// contentType returns the Content-Type for name. Licence files without an
// extension (LICENSE) are plain text.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ext == "" && strings.HasPrefix(path.Base(name), "LICENSE") {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// compressible reports whether content of type ct is worth gzipping (fonts
// and images are compressed already).
func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "image/svg+xml")
}

// gzipBytes returns b gzipped, or nil when that does not make it smaller.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if buf.Len() >= len(b) {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// Path returns the public, content-hashed URL of the embedded file name,
// which is relative to the static root ("vendor/kern/kern.min.css" →
// "/static/vendor/kern/kern.min.0123456789.css"). It reports false when no
// such file is embedded.
func Path(name string) (string, bool) {
	a, ok := assets().plain[name]
	if !ok {
		return "", false
	}
	return Prefix + a.hashed, true
}

// Handler returns the handler for the embedded files; mount it at [Prefix]
// ("/static/") without a method in the pattern, as it answers other methods
// with 405 itself. It serves
//
//   - hashed names (see [Path]) with Cache-Control "public, max-age=31536000, immutable";
//   - plain names with Cache-Control "public, max-age=3600";
//
// both with the Content-Type of the extension, X-Content-Type-Options
// nosniff, a strong ETag (conditional and range requests work) and a gzip
// encoding of text files when the client accepts it. GET and HEAD only
// (405 otherwise); 404 for unknown names, directories and paths that are not
// clean relative names (no "..", ".", "//", trailing slash).
func Handler() http.Handler {
	c := assets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok || !fs.ValidPath(name) || name == "." {
			http.NotFound(w, r)
			return
		}
		cacheControl := cacheImmutable
		a, ok := c.hashed[name]
		if !ok {
			cacheControl = cachePlain
			if a, ok = c.plain[name]; !ok {
				http.NotFound(w, r)
				return
			}
		}
		h.Set("Cache-Control", cacheControl)
		h.Set("Content-Type", a.contentType)
		body, etag := a.body, a.etag
		if a.gzipped != nil {
			h.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Values("Accept-Encoding")) {
				h.Set("Content-Encoding", "gzip")
				body = a.gzipped
				etag = strings.TrimSuffix(a.etag, `"`) + `-gzip"`
			}
		}
		h.Set("ETag", etag)
		// A zero modification time: ServeContent sends no Last-Modified and
		// relies on the ETag for conditional requests.
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
	})
}

// FileHandler serves the embedded file name (relative to the static root,
// e.g. "app/favicon.ico") at the fixed address it is mounted at, as
// [Handler] serves its plain name: for the addresses browsers ask for by
// themselves, such as /favicon.ico. It panics if no such file is embedded.
func FileHandler(name string) http.Handler {
	if _, ok := assets().plain[name]; !ok {
		panic("static: no embedded file " + name)
	}
	h := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		u.Path, u.RawPath = Prefix+name, ""
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = &u
		h.ServeHTTP(w, r2)
	})
}

// acceptsGzip reports whether the Accept-Encoding header values allow gzip
// (RFC 9110, section 12.5.3): "gzip" (or "x-gzip") with a q-value above 0,
// or, when gzip is not named, "*" with a q-value above 0.
func acceptsGzip(values []string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, v := range values {
		for _, coding := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(coding, ";")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, qValue(params))
			case "*":
				anyQ = max(anyQ, qValue(params))
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// qValue returns the weight in the parameters of one Accept-Encoding
// element ("q=0.5"): 1 when absent, 0 when malformed.
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 {
				return 0
			}
			return q
		}
	}
	return 1
}
