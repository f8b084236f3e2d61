package web

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc"
)

// Staff login through a tenant's own identity provider (OpenID Connect,
// e.g. the municipality's Keycloak or Active Directory Federation
// Services): the login page offers one button per configured tenant;
// /intern/anmelden/oidc/{tenant} starts the authorization code flow (PKCE,
// state, nonce; package identity/oidc) and its callback signs the person
// in to the antrag account linked to their IdP subject. With RolesClaim,
// the IdP decides the role at every login (and the account is created at
// the first); without, only accounts linked before (or found by user name
// with LinkByUsername) log in, with the role set in antrag. Limits to
// authorities or services are always kept in antrag.

// StaffOIDC is one tenant's staff identity provider.
type StaffOIDC struct {
	// Tenant is the tenant's slug.
	Tenant string `json:"tenant"`
	// Profile is the provider: issuer, client, scopes (its attribute,
	// level and method maps are not used for staff).
	Profile *oidc.Profile `json:"profile"`
	// UsernameClaim names the account in antrag (default
	// "preferred_username"); NameClaim the display name (default "name").
	UsernameClaim string `json:"username_claim,omitempty"`
	NameClaim     string `json:"name_claim,omitempty"`
	// RolesClaim is a claim with the person's groups or roles (a string or
	// an array), e.g. "groups"; Roles maps its values to "admin" or
	// "sachbearbeitung" (the highest counts). A person with none of them
	// is refused.
	RolesClaim string            `json:"roles_claim,omitempty"`
	Roles      map[string]string `json:"roles,omitempty"`
	// LinkByUsername links, at the first login, an antrag account of the
	// tenant whose user name is the username claim. Only for IdPs whose
	// user names staff cannot choose themselves.
	LinkByUsername bool `json:"link_by_username,omitempty"`

	roles map[string]account.Role
	rp    *oidc.RP
}

// LoadStaffOIDC reads the staff identity providers from JSON (an array of
// StaffOIDC) and checks them; getenv reads client_secret_env. Unknown
// fields are an error.
func LoadStaffOIDC(r io.Reader, getenv func(string) string) ([]*StaffOIDC, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var list []*StaffOIDC
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("Anmeldung für Mitarbeitende (OIDC) lesen: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range list {
		if c == nil || c.Tenant == "" || c.Profile == nil {
			return nil, errors.New("Anmeldung für Mitarbeitende (OIDC): jeder Eintrag braucht tenant und profile")
		}
		if seen[c.Tenant] {
			return nil, fmt.Errorf("Anmeldung für Mitarbeitende (OIDC): Mandant %s doppelt", c.Tenant)
		}
		seen[c.Tenant] = true
		if err := c.Profile.Validate(getenv); err != nil {
			return nil, err
		}
		if err := c.prepare(); err != nil {
			return nil, fmt.Errorf("Anmeldung für Mitarbeitende (OIDC), Mandant %s: %w", c.Tenant, err)
		}
	}
	return list, nil
}

// LoadStaffOIDCFile is LoadStaffOIDC on a file.
func LoadStaffOIDCFile(path string, getenv func(string) string) ([]*StaffOIDC, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadStaffOIDC(f, getenv)
}

func (c *StaffOIDC) prepare() error {
	if c.UsernameClaim == "" {
		c.UsernameClaim = "preferred_username"
	}
	if c.NameClaim == "" {
		c.NameClaim = "name"
	}
	c.roles = map[string]account.Role{}
	for v, name := range c.Roles {
		r, err := account.ParseRole(name)
		if err != nil {
			return err
		}
		c.roles[v] = r
	}
	if c.RolesClaim == "" && len(c.Roles) > 0 {
		return errors.New("roles ohne roles_claim")
	}
	return nil
}

// staffProvider is a configured provider with its relying party.
func (s *Server) staffProvider(slug string) (*StaffOIDC, error) {
	for _, c := range s.cfg.StaffOIDC {
		if c.Tenant == slug {
			return c, nil
		}
	}
	return nil, fmt.Errorf("keine Anmeldung über einen Identitätsanbieter für %q: %w", slug, apperr.NotFound)
}

// staffLoginButtons are the login page's buttons: the providers of the
// tenants that exist.
type staffLoginButton struct{ Href, Label string }

func (s *Server) staffLoginButtons(r *http.Request) []staffLoginButton {
	var out []staffLoginButton
	for _, c := range s.cfg.StaffOIDC {
		t, err := s.deps.Store.TenantBySlug(r.Context(), c.Tenant)
		if err != nil {
			continue
		}
		out = append(out, staffLoginButton{Href: "/intern/anmelden/oidc/" + c.Tenant, Label: c.Profile.Name + " (" + t.Name + ")"})
	}
	return out
}

// sessStaffOIDC holds the pending login (oidc.Pending as JSON).
const sessStaffOIDC = "staffOIDCPending"

func (s *Server) staffRedirectURL(r *http.Request, slug string) string {
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	if base == "" {
		base = "http://" + r.Host
	}
	return base + "/intern/anmelden/oidc/" + slug + "/rueckkehr"
}

// staffOIDCStart sends the browser to the tenant's IdP.
func (s *Server) staffOIDCStart(w http.ResponseWriter, r *http.Request) error {
	c, err := s.staffProvider(r.PathValue("tenant"))
	if err != nil {
		return err
	}
	authURL, pd, err := c.rp.Begin(r.Context(), s.staffRedirectURL(r, c.Tenant), identity.LevelNone)
	if err != nil {
		s.deps.Logger.Warn("staff OIDC login: provider unavailable", "tenant", c.Tenant, "error", err.Error())
		return s.staffLoginRefused(w, r, http.StatusBadGateway, "Der Identitätsanbieter ist gerade nicht erreichbar. "+
			"Bitte versuchen Sie es später erneut oder melden Sie sich mit Benutzername und Passwort an.")
	}
	b, err := json.Marshal(pd)
	if err != nil {
		return err
	}
	s.deps.Sessions.Put(r.Context(), sessStaffOIDC, string(b))
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

// staffOIDCCallback completes the login at the IdP's redirect.
func (s *Server) staffOIDCCallback(w http.ResponseWriter, r *http.Request) error {
	c, err := s.staffProvider(r.PathValue("tenant"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	raw := s.deps.Sessions.PopString(ctx, sessStaffOIDC)
	var pd oidc.Pending
	if raw == "" || json.Unmarshal([]byte(raw), &pd) != nil {
		s.deps.Logger.Info("staff OIDC login refused", "tenant", c.Tenant, "error", "no pending login in the session")
		return s.staffLoginRefused(w, r, http.StatusBadRequest, "Die Anmeldung wurde nicht hier begonnen oder ist abgelaufen. Bitte versuchen Sie es erneut.")
	}
	id, claims, err := c.rp.FinishWithClaims(ctx, &pd, r.URL.Query())
	if err != nil {
		s.deps.Logger.Info("staff OIDC login refused", "tenant", c.Tenant, "error", err.Error())
		return s.staffLoginRefused(w, r, http.StatusUnauthorized, "Die Anmeldung über den Identitätsanbieter ist fehlgeschlagen. Bitte versuchen Sie es erneut.")
	}
	t, err := s.deps.Store.TenantBySlug(ctx, c.Tenant)
	if err != nil {
		return err
	}
	u, msg, err := s.staffAccountOf(r, c, t.ID, id, claims)
	if err != nil {
		return err
	}
	if u == nil {
		return s.staffLoginRefused(w, r, http.StatusForbidden, msg)
	}
	return s.startStaffSession(w, r, u)
}

// staffAccountOf finds (or creates) the account of the person and sets
// its role from the IdP; a nil user comes with the reason for the person.
func (s *Server) staffAccountOf(r *http.Request, c *StaffOIDC, tenantID string, id *identity.Identity, claims map[string]any) (*account.User, string, error) {
	ctx := r.Context()
	role, hasRole := c.role(claims)
	if c.RolesClaim != "" && !hasRole {
		s.deps.Logger.Info("staff OIDC login refused", "tenant", c.Tenant, "error", "no role in the roles claim")
		return nil, "Ihr Dienstkonto hat keine Berechtigung für antrag. Bitte wenden Sie sich an die Administration.", nil
	}
	u, err := s.deps.Store.UserByOIDC(ctx, tenantID, id.Issuer, id.Subject)
	if errors.Is(err, apperr.NotFound) {
		u, err = s.linkStaffAccount(r, c, tenantID, id, claims, hasRole)
	}
	if err != nil || u == nil {
		if errors.Is(err, errNoStaffAccount) {
			return nil, "Zu Ihrem Dienstkonto gibt es kein Konto in antrag. Bitte wenden Sie sich an die Administration.", nil
		}
		if errors.Is(err, apperr.Conflict) {
			s.deps.Logger.Info("staff OIDC login refused", "tenant", c.Tenant, "error", "user name taken by another account")
			return nil, "Ihr Benutzername ist in antrag schon an ein anderes Konto vergeben. Bitte wenden Sie sich an die Administration.", nil
		}
		return nil, "", err
	}
	if hasRole {
		acc, err := s.deps.Store.Access(ctx, tenantID, u.ID)
		if err != nil {
			return nil, "", err
		}
		if acc.Role != role {
			acc.Role = role
			if err := s.deps.Store.SetAccess(ctx, tenantID, u.ID, acc); err != nil {
				return nil, "", err
			}
		}
	}
	return u, "", nil
}

var errNoStaffAccount = errors.New("no antrag account for the person")

// linkStaffAccount links the person to an account at the first login: to
// the tenant's account with their user name (LinkByUsername), or to a new
// account when the IdP gives a role.
func (s *Server) linkStaffAccount(r *http.Request, c *StaffOIDC, tenantID string, id *identity.Identity, claims map[string]any, hasRole bool) (*account.User, error) {
	ctx := r.Context()
	username, _ := claims[c.UsernameClaim].(string)
	username = strings.TrimSpace(username)
	if len(username) < 3 || len(username) > 64 {
		return nil, errNoStaffAccount
	}
	if c.LinkByUsername {
		u, err := s.deps.Store.UserByUsername(ctx, username)
		if err == nil && u.TenantID == tenantID {
			if _, err := s.deps.Store.UserByOIDC(ctx, tenantID, id.Issuer, id.Subject); err == nil {
				return nil, apperr.Conflict
			}
			if err := s.deps.Store.LinkOIDC(ctx, tenantID, id.Issuer, id.Subject, u.ID); err != nil {
				return nil, err
			}
			return u, nil
		}
		if err != nil && !errors.Is(err, apperr.NotFound) {
			return nil, err
		}
	}
	if !hasRole {
		return nil, errNoStaffAccount
	}
	name, _ := claims[c.NameClaim].(string)
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		name = username
	}
	// The account has a password nobody knows: it logs in through the
	// IdP only, unless an operator sets one (antrag user passwd).
	hash, err := account.HashPassword(rand.Text() + rand.Text())
	if err != nil {
		return nil, err
	}
	u := &account.User{TenantID: tenantID, Username: username, Name: name, PasswordHash: hash}
	if err := s.deps.Store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := s.deps.Store.LinkOIDC(ctx, tenantID, id.Issuer, id.Subject, u.ID); err != nil {
		return nil, err
	}
	s.deps.Logger.Info("staff account created at first IdP login", "tenant", c.Tenant)
	return u, nil
}

// role returns the highest role the roles claim maps to.
func (c *StaffOIDC) role(claims map[string]any) (account.Role, bool) {
	if c.RolesClaim == "" {
		return "", false
	}
	var vals []string
	switch v := claims[c.RolesClaim].(type) {
	case string:
		vals = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				vals = append(vals, s)
			}
		}
	}
	var got []account.Role
	for _, v := range vals {
		if r, ok := c.roles[v]; ok {
			got = append(got, r)
		}
	}
	switch {
	case slices.Contains(got, account.RoleAdmin):
		return account.RoleAdmin, true
	case slices.Contains(got, account.RoleCaseworker):
		return account.RoleCaseworker, true
	}
	return "", false
}

// staffLoginRefused shows the login page with the reason.
func (s *Server) staffLoginRefused(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	s.render(w, r, status, "login", map[string]any{"Title": "Anmeldung", "Providers": s.staffLoginButtons(r),
		"Errors": []errLink{{Href: "#benutzername", Message: msg}}})
	return nil
}

// initStaffOIDC prepares the relying parties of the staff providers.
func (s *Server) initStaffOIDC() error {
	seen := map[string]bool{}
	for _, c := range s.cfg.StaffOIDC {
		if c == nil || c.Profile == nil || seen[c.Tenant] {
			return errors.New("Anmeldung für Mitarbeitende (OIDC): Eintrag ohne Profil oder Mandant doppelt")
		}
		seen[c.Tenant] = true
		if err := c.prepare(); err != nil {
			return err
		}
		if c.rp == nil {
			// Token times are checked on the wall clock (as the session
			// manager counts), not on the server's clock for business dates.
			c.rp = oidc.New(c.Profile, s.deps.HTTPClient, nil)
		}
	}
	return nil
}
