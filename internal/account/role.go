package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
)

// Role is what a staff user may do in their tenant.
type Role string

// Roles.
const (
	// RoleAdmin sees every application of the tenant and the tenant's
	// staff list; limits do not apply.
	RoleAdmin Role = "admin"
	// RoleCaseworker (Sachbearbeitung) works on applications, optionally
	// only those of some authorities or services.
	RoleCaseworker Role = "sachbearbeitung"
)

// ParseRole reads a role by its name ("admin" or "sachbearbeitung",
// case-insensitive); other names are apperr.Invalid.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleCaseworker:
		return r, nil
	}
	return "", fmt.Errorf("Rolle %q: erwartet admin oder sachbearbeitung: %w", s, apperr.Invalid)
}

// Label is the role in German.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Administration"
	case RoleCaseworker:
		return "Sachbearbeitung"
	}
	return string(r)
}

// Access is a staff user's role and limits in their tenant.
type Access struct {
	Role Role
	// Authorities and Services limit a caseworker to the applications
	// received by one of the authorities or made with one of the
	// services (by id); with neither, a caseworker sees every application
	// of the tenant. An admin's limits are ignored.
	Authorities []string
	Services    []string
}

// DefaultAccess is the access of a user for whom none is stored: a
// caseworker without limits (what every account could do before roles).
func DefaultAccess() *Access { return &Access{Role: RoleCaseworker} }

// Limited reports whether the access is limited to some authorities or
// services.
func (a *Access) Limited() bool {
	return a.Role != RoleAdmin && (len(a.Authorities) > 0 || len(a.Services) > 0)
}

// Admits reports whether an application of the authority and service is
// visible with the access.
func (a *Access) Admits(authorityID, serviceID string) bool {
	if !a.Limited() {
		return true
	}
	return (authorityID != "" && slices.Contains(a.Authorities, authorityID)) ||
		(serviceID != "" && slices.Contains(a.Services, serviceID))
}

// AccessStore keeps roles, limits, TOTP secrets and IdP links of staff
// users. Every method is scoped by tenant; errors wrap apperr.NotFound and
// apperr.Invalid.
type AccessStore interface {
	// Access returns a user's access; DefaultAccess when none is stored.
	Access(ctx context.Context, tenantID, userID string) (*Access, error)
	// SetAccess replaces a user's role and limits in one transaction.
	SetAccess(ctx context.Context, tenantID, userID string, a *Access) error

	// TOTPSecret returns a user's TOTP secret (base32) and the last
	// 30-second step a code was accepted for; apperr.NotFound when the
	// user has no second factor. Stores keep the secret sealed.
	TOTPSecret(ctx context.Context, tenantID, userID string) (secret string, lastStep int64, err error)
	// SetTOTPSecret enrols (or re-enrols) a user's second factor.
	SetTOTPSecret(ctx context.Context, tenantID, userID, secret string) error
	// DeleteTOTP removes a user's second factor (apperr.NotFound when
	// there is none).
	DeleteTOTP(ctx context.Context, tenantID, userID string) error
	// UseTOTPStep records that a code of the step was accepted; false
	// when a code of this or a later step was accepted before (a replay).
	UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error)

	// UserByOIDC returns the user linked to the person (issuer and
	// subject of the tenant's staff IdP).
	UserByOIDC(ctx context.Context, tenantID, issuer, subject string) (*User, error)
	// LinkOIDC links a user to a person of the tenant's staff IdP; a
	// person or user linked already is apperr.Conflict.
	LinkOIDC(ctx context.Context, tenantID, issuer, subject, userID string) error
}
