package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/tenant"
)

// Citizen login over SAML (BundID, Servicekonten, Mein Unternehmenskonto):
//
//	GET  /{tenant}/anmelden?zurueck=…&niveau=…  the choice of account
//	POST /{tenant}/anmelden/{idp}                a signed AuthnRequest, posted on by the citizen
//	POST /{tenant}/saml/{idp}/acs                the IdP's answer: the citizen is logged in
//	GET  /{tenant}/saml/{idp}/metadata           the SP metadata of this tenant, host and IdP
//	POST /{tenant}/saml/{idp}/slo                the IdP's LogoutRequest (signed, or refused), answered
//	                                             with a LogoutResponse; or its LogoutResponse to ours
//	POST /{tenant}/abmelden                      logout here, and at the IdP when it has single logout
//
// The login is bound to the browser that started it by a sealed cookie
// (loginCookie) holding the request id, the level asked for and the page
// to return to; the IdP's answer arrives as a cross-site POST, for which
// browsers send that cookie (SameSite=None over https) but not the Lax
// session cookie. At the ACS a new session is started (the session id
// changes: no fixation) holding the sealed identity.
//
// A logout at the IdP is bound the same way: Abmelden ends the session and
// sets a sealed cookie (logoutCookie) with the LogoutRequest's id; only the
// IdP's LogoutResponse to that id, brought by that browser, is accepted.

// loginCookie is the pending login's cookie.
const loginCookie = "antrag_anmeldung"

// logoutCookie is the pending logout's cookie.
const logoutCookie = "antrag_abmeldung"

// loginTTL is how long a citizen has at the IdP.
const loginTTL = 30 * time.Minute

// citizenKey is the session key of the sealed identity.
const citizenKey = "buerger"

type ctxCitizenSession struct{}

// citizenSession loads and saves the citizen session around h and marks
// the request so that pages know they may read it.
// The inner mux's pattern is copied back to the request this handler got,
// where reportRoute reads it.
func (s *Server) citizenSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.deps.Citizens.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, loaded *http.Request) {
			marked := loaded.WithContext(context.WithValue(loaded.Context(), ctxCitizenSession{}, true))
			h.ServeHTTP(w, marked)
			r.Pattern = marked.Pattern
		})).ServeHTTP(w, r)
	})
}

// citizen returns the logged-in citizen's identity, or nil.
func (s *Server) citizen(r *http.Request) *identity.Identity {
	if c := s.citizenState(r); c != nil {
		return &c.Identity
	}
	return nil
}

// citizenState returns the logged-in citizen's session state, or nil.
func (s *Server) citizenState(r *http.Request) *citizenState {
	if r.Context().Value(ctxCitizenSession{}) == nil {
		return nil
	}
	b := s.deps.Citizens.GetBytes(r.Context(), citizenKey)
	if b == nil {
		return nil
	}
	plain, err := s.deps.Box.Open(b)
	if err != nil {
		return nil
	}
	var c citizenState
	if json.Unmarshal(plain, &c) != nil || c.Tenant != r.PathValue("tenant") {
		return nil
	}
	return &c
}

// citizenState is what the session holds, sealed: the identity and the
// tenant it was proved for; after a SAML login also the assertion's
// subject, for single logout (absent in sessions of older versions).
type citizenState struct {
	Tenant   string
	Identity identity.Identity
	SAML     *saml.Subject `json:",omitempty"`
}

// pendingLogout is the logout cookie's content, sealed.
type pendingLogout struct {
	Tenant    string    `json:"t"`
	Profile   string    `json:"p"`
	RequestID string    `json:"r"`
	Expires   time.Time `json:"e"`
}

// pendingLogin is the login cookie's content, sealed.
type pendingLogin struct {
	Tenant string
	saml.Pending
}

// samlSite is the SP of tenant t on the host the request came to: the
// installation's (BaseURL) or the tenant's own; another host is not one
// of antrag's SPs.
func (s *Server) samlSite(r *http.Request, t *tenant.Tenant) (saml.Site, error) {
	base, err := url.Parse(s.cfg.BaseURL)
	if err != nil || base.Host == "" {
		return saml.Site{}, fmt.Errorf("BaseURL %q: %w", s.cfg.BaseURL, apperr.NotFound)
	}
	host := r.Host
	if host != base.Host && (t.Host == "" || !strings.EqualFold(host, t.Host)) {
		return saml.Site{}, fmt.Errorf("SAML on host %q: %w", host, apperr.NotFound)
	}
	return saml.Site{Base: base.Scheme + "://" + host, Tenant: t.Slug, DisplayName: t.Name}, nil
}

// samlTenant returns the tenant, its site and the profile a SAML route
// names; NotFound without citizen login or for an unknown profile.
func (s *Server) samlTenant(r *http.Request) (*tenant.Tenant, saml.Site, *saml.Profile, error) {
	if s.deps.Identity == nil {
		return nil, saml.Site{}, nil, apperr.NotFound
	}
	t, err := s.tenantOf(r)
	if err != nil {
		return nil, saml.Site{}, nil, err
	}
	site, err := s.samlSite(r, t)
	if err != nil {
		return nil, saml.Site{}, nil, err
	}
	var p *saml.Profile
	if id := r.PathValue("idp"); id != "" {
		var ok bool
		if p, ok = s.deps.Identity.Profile(id); !ok {
			return nil, saml.Site{}, nil, fmt.Errorf("Anmeldeprofil %q: %w", id, apperr.NotFound)
		}
	}
	return t, site, p, nil
}

// localBack returns back when it is a path of tenant t on this host, else
// the tenant's start page: the value is client input and must not lead
// elsewhere.
func localBack(t *tenant.Tenant, back string) string {
	home := "/" + t.Slug + "/"
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(back, home) || strings.ContainsAny(back, "\\\r\n") || strings.Contains(back, "//") {
		return home
	}
	return u.RequestURI()
}

// citizenLoginPage lists the accounts to log in with.
func (s *Server) citizenLoginPage(w http.ResponseWriter, r *http.Request) error {
	// Without any account to log in with, the page says so: a service
	// that needs a login sends citizens here.
	t, err := s.tenantOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	level, err := identity.ParseLevel(q.Get("niveau"))
	if err != nil {
		level = identity.LevelNone
	}
	var profiles []*saml.Profile
	if s.deps.Identity != nil {
		profiles = s.deps.Identity.Profiles()
	}
	back := localBack(t, q.Get("zurueck"))
	type oidcLink struct{ Name, Href string }
	var oidcLinks []oidcLink
	if s.citizenOIDC != nil {
		for _, p := range s.cfg.CitizenOIDC {
			v := url.Values{"zurueck": {back}}
			if level > identity.LevelNone {
				v.Set("niveau", level.String())
			}
			oidcLinks = append(oidcLinks, oidcLink{Name: p.Name, Href: "/" + t.Slug + "/anmelden/" + p.ID + "?" + v.Encode()})
		}
	}
	// The reason: the service asking for the login (by its slug, so that
	// the page shows only what the service says).
	var svc *tenant.Service
	if slug := q.Get("dienst"); slug != "" {
		if got, err := s.deps.Store.ServiceBySlug(r.Context(), t.ID, slug); err == nil {
			svc = got
		}
	}
	s.render(w, r, http.StatusOK, "citizen_login", map[string]any{"Title": "Anmelden", "Tenant": t,
		"Profiles": profiles, "OIDC": oidcLinks, "Back": back, "Level": level, "Service": svc,
		"Current": tooLow(s.citizen(r), level)})
	return nil
}

// startCitizenLogin makes the AuthnRequest and shows the page that posts
// it to the IdP.
func (s *Server) startCitizenLogin(w http.ResponseWriter, r *http.Request) error {
	t, site, p, err := s.samlTenant(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	level, err := identity.ParseLevel(r.PostForm.Get("niveau"))
	if err != nil {
		return clientError(apperr.Invalid, "Das verlangte Vertrauensniveau ist unbekannt.")
	}
	back := localBack(t, r.PostForm.Get("zurueck"))
	st, err := s.deps.Identity.StartLogin(site, p.ID, saml.LoginRequest{MinLevel: level, BackURL: site.Base + back})
	if err != nil {
		return err
	}
	pending := pendingLogin{Tenant: t.Slug, Pending: saml.Pending{Profile: p.ID, RequestID: st.RequestID,
		MinLevel: level, Back: back, Expires: s.now().Add(loginTTL)}}
	b, err := json.Marshal(pending)
	if err != nil {
		return err
	}
	secure := strings.HasPrefix(s.cfg.BaseURL, "https://")
	c := &http.Cookie{Name: loginCookie, Value: base64.RawURLEncoding.EncodeToString(s.deps.Box.Seal(b)),
		Path: "/" + t.Slug + "/saml/", MaxAge: int(loginTTL / time.Second), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	if secure {
		c.SameSite = http.SameSiteNoneMode // the IdP's answer is a cross-site POST
	}
	http.SetCookie(w, c)
	relay := make([]byte, 8)
	_, _ = rand.Read(relay)
	// The page's form goes to the IdP: allow that one target.
	if u, err := url.Parse(st.URL); err == nil {
		w.Header().Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "form-action 'self'",
			"form-action 'self' "+u.Scheme+"://"+u.Host, 1))
	}
	s.render(w, r, http.StatusOK, "citizen_forward", map[string]any{"Title": "Weiter zur Anmeldung", "Tenant": t,
		"Text": "Sie melden sich jetzt bei " + p.Name + " an. Danach kehren Sie hierher zurück.", "Button": "Weiter zu " + p.Name,
		"Profile": p, "URL": st.URL, "Field": "SAMLRequest", "Value": st.SAMLRequest, "RelayState": hex.EncodeToString(relay)})
	return nil
}

// citizenACS takes the IdP's answer.
func (s *Server) citizenACS(w http.ResponseWriter, r *http.Request) error {
	t, site, p, err := s.samlTenant(r)
	if err != nil {
		return err
	}
	refuse := func(reason string, text string) error {
		s.deps.Logger.Warn("citizen login refused", "tenant", t.Slug, "idp", p.ID, "reason", reason)
		return &publicError{title: "Anmeldung fehlgeschlagen", text: text, err: fmt.Errorf("saml: %s: %w", reason, apperr.Invalid)}
	}
	var pending pendingLogin
	c, err := r.Cookie(loginCookie)
	if err == nil {
		var sealed, plain []byte
		if sealed, err = base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			if plain, err = s.deps.Box.Open(sealed); err == nil {
				err = json.Unmarshal(plain, &pending)
			}
		}
	}
	if err != nil || pending.Tenant != t.Slug || pending.Profile != p.ID || s.now().After(pending.Expires) {
		return refuse("no_pending_login", "Die Anmeldung ist abgelaufen oder wurde in einem anderen Browser begonnen. Bitte melden Sie sich erneut an.")
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return refuse(saml.ReasonSize, "Die Antwort des Nutzerkontos ist zu groß.")
		}
		return refuse(saml.ReasonMalformed, "Die Antwort des Nutzerkontos ist unlesbar.")
	}
	id, subj, err := s.deps.Identity.FinishLoginSubject(r.Context(), site, r.PostForm.Get("SAMLResponse"), pending.Pending)
	if err != nil {
		reason := saml.ReasonOf(err)
		switch reason {
		case saml.ReasonStatus:
			return refuse(reason, "Die Anmeldung wurde beim Nutzerkonto abgebrochen oder abgelehnt. Sie können es erneut versuchen.")
		case saml.ReasonLevel:
			return refuse(reason, fmt.Sprintf("Die Anmeldung erreicht nicht das verlangte Vertrauensniveau „%s“. Bitte melden Sie sich mit einem Verfahren an, das dieses Niveau erreicht, zum Beispiel mit dem Online-Ausweis.", pending.MinLevel))
		}
		return refuse(reason, "Die Antwort des Nutzerkontos konnte nicht bestätigt werden. Bitte melden Sie sich erneut an.")
	}
	b, err := json.Marshal(citizenState{Tenant: t.Slug, Identity: *id, SAML: subj})
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.deps.Citizens.RenewToken(ctx); err != nil {
		return err
	}
	s.deps.Citizens.Put(ctx, citizenKey, s.deps.Box.Seal(b))
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/" + t.Slug + "/saml/", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(s.cfg.BaseURL, "https://")})
	s.deps.Logger.Info("citizen logged in", "tenant", t.Slug, "idp", p.ID, "level", id.Level.String(), "method", string(id.Method))
	http.Redirect(w, r, pending.Back, http.StatusSeeOther)
	return nil
}

// samlMetadata serves the SP metadata for this tenant, host and IdP.
func (s *Server) samlMetadata(w http.ResponseWriter, r *http.Request) error {
	_, site, p, err := s.samlTenant(r)
	if err != nil {
		return err
	}
	b, err := s.deps.Identity.Metadata(site, p.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `inline; filename="`+site.Tenant+"-"+p.ID+`-metadata.xml"`)
	_, _ = w.Write(b)
	return nil
}

// tooLow returns id when it is a login below level, else nil.
func tooLow(id *identity.Identity, level identity.Level) *identity.Identity {
	if id != nil && id.Level < level {
		return id
	}
	return nil
}

// samlCookie sets a sealed cookie for the SAML endpoints of tenant t; a
// nil value deletes it. Over https it is SameSite=None: the IdP's answer
// is a cross-site POST.
func (s *Server) samlCookie(w http.ResponseWriter, t *tenant.Tenant, name string, value any, ttl time.Duration) error {
	secure := strings.HasPrefix(s.cfg.BaseURL, "https://")
	c := &http.Cookie{Name: name, Path: "/" + t.Slug + "/saml/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	if secure {
		c.SameSite = http.SameSiteNoneMode
	}
	if value == nil {
		c.MaxAge = -1
	} else {
		b, err := json.Marshal(value)
		if err != nil {
			return err
		}
		c.Value = base64.RawURLEncoding.EncodeToString(s.deps.Box.Seal(b))
		c.MaxAge = int(ttl / time.Second)
	}
	http.SetCookie(w, c)
	return nil
}

// readSAMLCookie opens a sealed cookie into v.
func (s *Server) readSAMLCookie(r *http.Request, name string, v any) error {
	c, err := r.Cookie(name)
	if err != nil {
		return err
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return err
	}
	plain, err := s.deps.Box.Open(sealed)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// postToIdP shows the page that posts a signed message to the IdP with a
// button (no script), allowing that one form target in the CSP.
func (s *Server) postToIdP(w http.ResponseWriter, r *http.Request, t *tenant.Tenant, p *saml.Profile, out *saml.Outgoing, title, text string) {
	if u, err := url.Parse(out.URL); err == nil {
		w.Header().Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "form-action 'self'",
			"form-action 'self' "+u.Scheme+"://"+u.Host, 1))
	}
	relay := make([]byte, 8)
	_, _ = rand.Read(relay)
	s.render(w, r, http.StatusOK, "citizen_forward", map[string]any{"Title": title, "Text": text, "Button": "Weiter zu " + p.Name, "Tenant": t,
		"Profile": p, "URL": out.URL, "Field": out.Field, "Value": out.Value, "RelayState": hex.EncodeToString(relay)})
}

// citizenSLO takes the IdP's LogoutResponse to a logout started here, or
// a LogoutRequest of the IdP. An unsigned or otherwise invalid message is
// refused. A valid LogoutRequest ends this browser's citizen session and
// is answered with a signed LogoutResponse.
func (s *Server) citizenSLO(w http.ResponseWriter, r *http.Request) error {
	t, site, p, err := s.samlTenant(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return clientError(apperr.Invalid, "Die Abmeldenachricht ist unlesbar.")
	}
	if r.PostForm.Has("SAMLResponse") {
		return s.citizenLogoutResponse(w, r, t, site, p)
	}
	lr, err := s.deps.Identity.ValidateIdPLogout(r, site, p.ID)
	if err != nil {
		s.deps.Logger.Warn("logout request refused", "tenant", t.Slug, "idp", p.ID, "reason", saml.ReasonOf(err))
		return clientError(apperr.Invalid, "Die Abmeldeanfrage ist ungültig.")
	}
	if err := s.deps.Citizens.Destroy(r.Context()); err != nil {
		return err
	}
	s.deps.Logger.Info("citizen logged out by the IdP", "tenant", t.Slug, "idp", p.ID)
	if !s.deps.Identity.SupportsLogout(p.ID) {
		http.Redirect(w, r, "/"+t.Slug+"/", http.StatusSeeOther)
		return nil
	}
	out, err := s.deps.Identity.LogoutResponse(site, p.ID, lr.ID)
	if err != nil {
		return err
	}
	s.postToIdP(w, r, t, p, out, "Abgemeldet", "Sie sind bei "+t.Name+" abgemeldet. Die Abmeldung geht jetzt zurück an "+p.Name+".")
	return nil
}

// citizenLogoutResponse checks the IdP's LogoutResponse against the
// logout this browser started.
func (s *Server) citizenLogoutResponse(w http.ResponseWriter, r *http.Request, t *tenant.Tenant, site saml.Site, p *saml.Profile) error {
	refuse := func(reason string) error {
		s.deps.Logger.Warn("logout response refused", "tenant", t.Slug, "idp", p.ID, "reason", reason)
		return &publicError{title: "Abmeldung nicht bestätigt", text: "Die Bestätigung der Abmeldung durch das Nutzerkonto ist ungültig. Bei " + t.Name + " sind Sie abgemeldet; beim Nutzerkonto besteht Ihre Anmeldung vielleicht noch: melden Sie sich dort ab oder schließen Sie den Browser.",
			err: fmt.Errorf("saml: %s: %w", reason, apperr.Invalid)}
	}
	var pending pendingLogout
	if err := s.readSAMLCookie(r, logoutCookie, &pending); err != nil || pending.Tenant != t.Slug ||
		pending.Profile != p.ID || s.now().After(pending.Expires) {
		return refuse("no_pending_logout")
	}
	if err := s.deps.Identity.FinishLogout(r, site, p.ID, pending.RequestID); err != nil {
		return refuse(saml.ReasonOf(err))
	}
	if err := s.samlCookie(w, t, logoutCookie, nil, 0); err != nil {
		return err
	}
	// The session ended with Abmelden; end whatever this browser has now.
	if err := s.deps.Citizens.Destroy(r.Context()); err != nil {
		return err
	}
	s.deps.Logger.Info("citizen logged out at the IdP", "tenant", t.Slug, "idp", p.ID)
	s.render(w, r, http.StatusOK, "citizen_logged_out", map[string]any{"Title": "Sie sind abgemeldet", "Tenant": t, "Profile": p})
	return nil
}

// citizenLogout ends the citizen session here and, after a SAML login
// at an IdP with single logout, sends a signed LogoutRequest to the IdP.
func (s *Server) citizenLogout(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenantOf(r)
	if err != nil {
		return err
	}
	st := s.citizenState(r)
	if err := s.deps.Citizens.Destroy(r.Context()); err != nil {
		return err
	}
	if st == nil || st.SAML == nil || s.deps.Identity == nil || !s.deps.Identity.SupportsLogout(st.Identity.Provider) {
		// Only here: the citizen's area says that the account
		// provider's session may remain.
		http.Redirect(w, r, "/"+t.Slug+"/", http.StatusSeeOther)
		return nil
	}
	p, _ := s.deps.Identity.Profile(st.Identity.Provider)
	site, err := s.samlSite(r, t)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.StartLogout(site, p.ID, *st.SAML)
	if err != nil {
		return err
	}
	if err := s.samlCookie(w, t, logoutCookie, pendingLogout{Tenant: t.Slug, Profile: p.ID, RequestID: out.ID,
		Expires: s.now().Add(loginTTL)}, loginTTL); err != nil {
		return err
	}
	s.postToIdP(w, r, t, p, out, "Weiter zur Abmeldung", "Sie sind bei "+t.Name+" abgemeldet. Melden Sie sich jetzt auch bei "+p.Name+" ab; danach kehren Sie hierher zurück.")
	return nil
}
