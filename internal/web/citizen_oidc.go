package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc"
)

// Citizen and business login through an OpenID provider (a Keycloak broker
// in front of BundID or Mein Unternehmenskonto, a Land's OIDC portal):
// /{tenant}/anmelden/{provider} starts the login (optional ?niveau=
// minimum level and ?zurueck= path of the tenant to return to), its
// /rueckkehr completes it and keeps the identity in the citizen session
// (Deps.Citizens, sealed, as a SAML login does: citizen_login.go).
// Profiles: Config.CitizenOIDC.

func (s *Server) initCitizenOIDC() error {
	if len(s.cfg.CitizenOIDC) == 0 {
		return nil
	}
	rps := map[string]*oidc.RP{}
	for _, p := range s.cfg.CitizenOIDC {
		if _, dup := rps[p.ID]; dup {
			return fmt.Errorf("OIDC-Profil %s doppelt", p.ID)
		}
		rps[p.ID] = oidc.New(p, s.deps.HTTPClient, nil)
	}
	s.citizenOIDC = &oidc.Flow{RPs: rps, Sessions: s.deps.Citizens, RedirectURL: func(r *http.Request, id string) string {
		base := strings.TrimRight(s.cfg.BaseURL, "/")
		if base == "" {
			base = "http://" + r.Host
		}
		return base + "/" + r.PathValue("tenant") + "/anmelden/" + id + "/rueckkehr"
	}}
	return nil
}

// citizenOIDCStart sends the browser to the provider.
func (s *Server) citizenOIDCStart(w http.ResponseWriter, r *http.Request) error {
	if s.citizenOIDC == nil {
		return apperr.NotFound
	}
	t, err := s.deps.Store.TenantBySlug(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	min, err := identity.ParseLevel(r.URL.Query().Get("niveau"))
	if err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	ret := localTenantPath(r.URL.Query().Get("zurueck"), t.Slug)
	err = s.citizenOIDC.Start(w, r, r.PathValue("provider"), min, ret)
	switch {
	case errors.Is(err, oidc.ErrUnknownProfile):
		return apperr.NotFound
	case errors.Is(err, oidc.ErrUnavailable):
		s.deps.Logger.Warn("citizen OIDC login: provider unavailable", "provider", r.PathValue("provider"), "error", err.Error())
		s.render(w, r, http.StatusBadGateway, "error", map[string]any{"Title": "Anmeldung nicht möglich", "Status": http.StatusBadGateway,
			"Text": "Das Servicekonto ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut."})
		return nil
	}
	return err
}

// citizenOIDCCallback completes the login and keeps the identity.
func (s *Server) citizenOIDCCallback(w http.ResponseWriter, r *http.Request) error {
	if s.citizenOIDC == nil {
		return apperr.NotFound
	}
	id, ret, err := s.citizenOIDC.Callback(r, r.PathValue("provider"))
	switch {
	case errors.Is(err, oidc.ErrUnknownProfile):
		return apperr.NotFound
	case errors.Is(err, oidc.ErrLevel) && id != nil:
		s.deps.Logger.Info("citizen OIDC login refused", "provider", r.PathValue("provider"), "error", err.Error())
		s.render(w, r, http.StatusForbidden, "error", map[string]any{"Title": "Vertrauensniveau zu niedrig", "Status": http.StatusForbidden,
			"Text": fmt.Sprintf("Ihre Anmeldung hat das Vertrauensniveau „%s“. Für diesen Dienst ist mindestens ein höheres nötig. "+
				"Bitte melden Sie sich zum Beispiel mit dem Online-Ausweis an.", id.Level)})
		return nil
	case err != nil:
		s.deps.Logger.Info("citizen OIDC login refused", "provider", r.PathValue("provider"), "error", err.Error())
		s.render(w, r, http.StatusUnauthorized, "error", map[string]any{"Title": "Anmeldung fehlgeschlagen", "Status": http.StatusUnauthorized,
			"Text": "Die Anmeldung mit Ihrem Konto ist fehlgeschlagen oder wurde abgebrochen. Bitte versuchen Sie es erneut."})
		return nil
	}
	b, err := json.Marshal(citizenState{Tenant: r.PathValue("tenant"), Identity: *id})
	if err != nil {
		return err
	}
	sm := s.deps.Citizens
	if err := sm.RenewToken(r.Context()); err != nil {
		return err
	}
	sm.Put(r.Context(), citizenKey, s.deps.Box.Seal(b))
	s.deps.Logger.Info("citizen logged in", "tenant", r.PathValue("tenant"), "idp", r.PathValue("provider"),
		"level", id.Level.String(), "method", string(id.Method))
	http.Redirect(w, r, ret, http.StatusSeeOther)
	return nil
}

// localTenantPath returns p when it is a path of the tenant on this host,
// else the tenant's catalogue.
func localTenantPath(p, slug string) string {
	home := "/" + slug + "/"
	u, err := url.Parse(p)
	if p == "" || err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(p, home) || strings.ContainsAny(p, "\\\r\n") || strings.Contains(p, "/../") {
		return home
	}
	return u.RequestURI()
}
