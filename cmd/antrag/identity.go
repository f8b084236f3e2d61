package main

import (
	"strings"

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
