package web

import (
	"fmt"
	"net/http"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// The tenant admins' pages under /intern/admin (routes.go): the services
// of the admin's tenant, importing and publishing a new form version
// (admin_publish.go), the delivery targets with a connection check
// (admin_targets.go) and the services' audit trail (admin_audit.go). Every
// route passes requireStaff and requireAdmin; a service is always one the
// admin's tenant owns (adminService): another tenant's service, shared or
// not, answers as missing. Forms post to the same origin only
// (http.CrossOriginProtection in routes.go) and the staff session cookie
// is SameSite=Lax, as for the other staff forms.

// adminService loads the service of the path's {id}: the admin's tenant
// must own it. A shared service of another tenant is that tenant's to
// change and answers apperr.NotFound, as an unknown id does.
func (s *Server) adminService(r *http.Request) (*staffCtx, *tenant.Service, error) {
	sc := staffOf(r.Context())
	svc, err := s.deps.Store.Service(r.Context(), sc.tenant.ID, r.PathValue("id"))
	if err != nil {
		return sc, nil, err
	}
	if svc.TenantID != sc.tenant.ID {
		return sc, nil, fmt.Errorf("Dienst %s gehört einem anderen Mandanten: %w", svc.ID, apperr.NotFound)
	}
	return sc, svc, nil
}

// ownServices lists the services the admin's tenant owns (without the
// shared services of other tenants), by name.
func (s *Server) ownServices(r *http.Request, sc *staffCtx) ([]*tenant.Service, error) {
	all, err := s.deps.Store.ListServices(r.Context(), sc.tenant.ID)
	if err != nil {
		return nil, err
	}
	var out []*tenant.Service
	for _, svc := range all {
		if svc.TenantID == sc.tenant.ID {
			out = append(out, svc)
		}
	}
	return out, nil
}

// adminOverview is /intern/admin: what the admin pages offer.
func (s *Server) adminOverview(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	s.render(w, r, http.StatusOK, "admin", s.staffPage(r, sc, map[string]any{"Title": "Administration"}))
	return nil
}

// adminServiceRow is one service on the services page.
type adminServiceRow struct {
	ID, Name, Slug, Leika, Level string
	Version                      string // "3 (S00000009 1.2)", or "–" before the first
	Targets                      int    // 0: the inbox only (no targets set)
}

// adminServices lists the tenant's own services.
func (s *Server) adminServices(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	ctx := r.Context()
	svcs, err := s.ownServices(r, sc)
	if err != nil {
		return err
	}
	rows := make([]adminServiceRow, 0, len(svcs))
	for _, svc := range svcs {
		row := adminServiceRow{ID: svc.ID, Name: svc.Name, Slug: svc.Slug, Leika: svc.Leistungsschluessel,
			Level: svc.RequiredLevel().String(), Version: "–"}
		if svc.FormVersionID != "" {
			fv, err := s.deps.Store.FormVersion(ctx, sc.tenant.ID, svc.FormVersionID)
			if err != nil {
				return err
			}
			row.Version = fmt.Sprintf("%d (%s %s)", fv.Version, fv.FIMID, fv.FIMVersion)
		}
		targets, err := s.deps.Store.Targets(ctx, sc.tenant.ID, svc.ID)
		if err != nil {
			return err
		}
		row.Targets = len(targets)
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "admin_services", s.staffPage(r, sc, map[string]any{"Title": "Online-Dienste", "Services": rows, "Wide": true}))
	return nil
}
