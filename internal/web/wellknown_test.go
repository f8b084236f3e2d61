package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestWellKnownFilesDoNotRedirect: /favicon.ico was taken for a tenant and
// redirected to /favicon.ico/, a 404.
func TestWellKnownFilesDoNotRedirect(t *testing.T) {
	h := newHarness(t)
	fav := h.get("/favicon.ico")
	if fav.status != http.StatusOK || !strings.HasPrefix(fav.header.Get("Content-Type"), "image/") || len(fav.body) == 0 {
		t.Errorf("/favicon.ico: %d %s %q", fav.status, fav.header.Get("Content-Type"), fav.location)
	}
	if r := h.get("/robots.txt"); r.location != "" || r.status >= 300 && r.status < 400 {
		t.Errorf("/robots.txt: %d → %q", r.status, r.location)
	}
}
