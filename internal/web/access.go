package web

import (
	"fmt"
	"net/http"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// Roles in the caseworker area. Every staff route passes requireStaff,
// which loads the user's account.Access; the inbox and its search list
// only what the access admits (within), and every route of one
// application loads it through loadSubmission, which answers an
// application outside a caseworker's limits as not found, so that its
// existence does not show. Admin pages pass requireAdmin as well.

// errOutsideLimits is the error for an application outside the
// caseworker's limits: 404, as for one that does not exist.
var errOutsideLimits = fmt.Errorf("Antrag außerhalb der Zuständigkeit: %w", apperr.NotFound)

// errNotAdmin is the error of an admin page for a caseworker.
var errNotAdmin = fmt.Errorf("nur für die Administration: %w", apperr.Forbidden)

// within is the inbox filter of an access: nil (everything) unless the
// access is limited.
func within(a *account.Access) *submission.Within {
	if !a.Limited() {
		return nil
	}
	return &submission.Within{AuthorityIDs: a.Authorities, ServiceIDs: a.Services}
}

// visibleServices keeps the services a limited caseworker works on: those
// named in the limits and those of the authorities named (for the inbox's
// service filter).
func visibleServices(a *account.Access, svcs []*tenant.Service) []*tenant.Service {
	if !a.Limited() {
		return svcs
	}
	var out []*tenant.Service
	for _, svc := range svcs {
		if a.Admits(svc.AuthorityID, svc.ID) {
			out = append(out, svc)
		}
	}
	return out
}

// requireAdmin refuses a staff route to anyone but the tenant's admins
// (inside requireStaff).
func (s *Server) requireAdmin(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if sc := staffOf(r.Context()); sc == nil || sc.access.Role != account.RoleAdmin {
			return errNotAdmin
		}
		return h(w, r)
	}
}
