package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/antrag/antrag/internal/identity/oidc"
	"github.com/antrag/antrag/internal/web"
)

// identityConfig is the serve configuration of logins through identity
// providers and of the staff's second factor, read from the environment:
//
//	ANTRAG_STAFF_OIDC     JSON file of the tenants' staff IdPs (web.StaffOIDC)
//	ANTRAG_STAFF_TOTP     "required": local accounts need a TOTP second factor
//	ANTRAG_OIDC_PROFILES  JSON file of the citizens' OpenID provider profiles (oidc.Profile)
type identityConfig struct {
	staffOIDC   []*web.StaffOIDC
	citizenOIDC []*oidc.Profile
	requireTOTP bool
}

func parseIdentityConfig(getenv func(string) string) (identityConfig, error) {
	var c identityConfig
	var err error
	switch v := strings.ToLower(getenv("ANTRAG_STAFF_TOTP")); v {
	case "", "optional":
	case "required", "pflicht":
		c.requireTOTP = true
	default:
		return c, usageError{"ANTRAG_STAFF_TOTP: required oder optional, nicht " + v}
	}
	if p := getenv("ANTRAG_STAFF_OIDC"); p != "" {
		if c.staffOIDC, err = web.LoadStaffOIDCFile(p, getenv); err != nil {
			return c, usageError{"ANTRAG_STAFF_OIDC: " + err.Error()}
		}
	}
	if p := getenv("ANTRAG_OIDC_PROFILES"); p != "" {
		if c.citizenOIDC, err = oidc.LoadProfilesFile(p, getenv); err != nil {
			return c, usageError{"ANTRAG_OIDC_PROFILES: " + err.Error()}
		}
	}
	return c, nil
}

// citizenSessions is the citizen's session manager (in the same store as
// the staff's, under its own cookie), or nil without citizen profiles.
func citizenSessions(c *serveConfig, st scs.Store) *scs.SessionManager {
	if len(c.identity.citizenOIDC) == 0 {
		return nil
	}
	sm := scs.New()
	sm.Store = st
	sm.Lifetime = 2 * time.Hour
	sm.IdleTimeout = 30 * time.Minute
	sm.Cookie.Name = "antrag_buerger"
	sm.Cookie.Path = "/"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = strings.HasPrefix(c.baseURL, "https://")
	return sm
}
