package web

import (
	"errors"
	"net/http"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
)

// staffUserRow is one account on the admin's staff page.
type staffUserRow struct {
	Username, Name, Role string
	Limits               []string // names of the authorities and services
	TOTP                 bool
}

// staffUsers lists the tenant's staff with role, limits and second factor
// (admins only).
func (s *Server) staffUsers(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	ctx := r.Context()
	users, err := s.deps.Store.ListUsers(ctx, sc.tenant.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	auths, err := s.deps.Store.ListAuthorities(ctx, sc.tenant.ID)
	if err != nil {
		return err
	}
	for _, a := range auths {
		names[a.ID] = a.Name
	}
	svcs, err := s.deps.Store.ListServices(ctx, sc.tenant.ID)
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		names[svc.ID] = svc.Name
	}
	rows := make([]staffUserRow, 0, len(users))
	for _, u := range users {
		acc, err := s.deps.Store.Access(ctx, sc.tenant.ID, u.ID)
		if err != nil {
			return err
		}
		row := staffUserRow{Username: u.Username, Name: u.Name, Role: acc.Role.Label()}
		if acc.Role != account.RoleAdmin {
			for _, id := range append(append([]string(nil), acc.Authorities...), acc.Services...) {
				if n, ok := names[id]; ok {
					row.Limits = append(row.Limits, n)
				} else {
					row.Limits = append(row.Limits, id)
				}
			}
		}
		_, _, err = s.deps.Store.TOTPSecret(ctx, sc.tenant.ID, u.ID)
		if err != nil && !errors.Is(err, apperr.NotFound) {
			return err
		}
		row.TOTP = err == nil
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "staff_users", s.staffPage(r, sc, map[string]any{"Title": "Mitarbeitende", "Users": rows}))
	return nil
}
