package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// A tenant's portal carries its brand: the logo in the header (an img
// whose alt text is the tenant's name) and its primary colour, set as
// KERN UX's action and brand tokens in a style sheet of its own,
// /{tenant}/farben.css (the Content-Security-Policy allows no inline
// styles). The colour applies in the light colour scheme only: it is
// checked against white (tenant.ContrastWithWhite), and KERN's dark
// scheme keeps its own light action colour on dark backgrounds.

// brandCSS is the style sheet of a tenant's colour #rrggbb.
func brandCSS(colour string) string {
	return fmt.Sprintf(`/* antrag: the tenant's primary colour within the KERN UX tokens (light scheme). */
@media (prefers-color-scheme: light) {
  :root {
    --kern-color-action-default: %[1]s;
    --kern-color-action-on-default: #ffffff;
    --kern-color-decorative-brand-default: %[1]s;
  }
  .app-header { border-bottom: 4px solid %[1]s; }
}
`, colour)
}

// tenantColours serves /{tenant}/farben.css. The layout links it with
// the colour as version (?v=rrggbb), which may be cached for good; any
// other address is revalidated. A tenant without a colour has none (404).
func (s *Server) tenantColours(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenantOf(r)
	if err != nil {
		return err
	}
	if tenant.ContrastWithWhite(t.Colour) == 0 { // none, or not #rrggbb
		return fmt.Errorf("%s has no colour: %w", t.Slug, apperr.NotFound)
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == strings.TrimPrefix(t.Colour, "#") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write([]byte(brandCSS(strings.ToLower(t.Colour))))
	return nil
}

// allowLogo widens the response's Content-Security-Policy to load the
// tenant's logo from its https origin; a logo under /static/ needs
// nothing.
func allowLogo(w http.ResponseWriter, t *tenant.Tenant) {
	if t == nil || !strings.HasPrefix(t.LogoURL, "https://") {
		return
	}
	u, err := url.Parse(t.LogoURL)
	if err != nil || !tenant.ValidHost(u.Hostname()) || strings.Trim(u.Port(), "0123456789") != "" {
		return // nothing but a host name and a port goes into the policy
	}
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); csp != "" {
		h.Set("Content-Security-Policy", strings.Replace(csp, "img-src 'self' data:", "img-src 'self' data: https://"+u.Host, 1))
	}
}

// hostName is the request's host without port and trailing dot, in lower
// case, as tenant.Tenant.Host holds it.
func hostName(r *http.Request) string {
	h := r.Host
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// tenantByHost returns the tenant whose host name the request is for;
// apperr.NotFound when none is.
func (s *Server) tenantByHost(r *http.Request) (*tenant.Tenant, error) {
	h := hostName(r)
	if !tenant.ValidHost(h) {
		return nil, fmt.Errorf("host: %w", apperr.NotFound)
	}
	t, err := s.deps.Store.TenantByHost(r.Context(), h)
	if err != nil && !errors.Is(err, apperr.NotFound) {
		return nil, err
	}
	return t, err
}
