package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

// checkTimeout bounds one "Verbindung testen".
const checkTimeout = 20 * time.Second

// targetRow is one delivery target on the targets page.
type targetRow struct {
	ID, Kind, Where string
	Checked         bool   // the row's check ran on this request
	OK              bool   // and succeeded
	Result          string // its German result
}

// adminTargets lists a service's delivery targets.
func (s *Server) adminTargets(w http.ResponseWriter, r *http.Request) error {
	return s.renderTargets(w, r, "")
}

// adminCheckTarget runs the connection check of one target and shows the
// page with its result.
func (s *Server) adminCheckTarget(w http.ResponseWriter, r *http.Request) error {
	return s.renderTargets(w, r, r.PathValue("target"))
}

// renderTargets renders the targets page, with the check of the target
// checkID run first ("" for none; an id that is not one of the service's
// targets is apperr.NotFound).
func (s *Server) renderTargets(w http.ResponseWriter, r *http.Request, checkID string) error {
	sc, svc, err := s.adminService(r)
	if err != nil {
		return err
	}
	targets, err := s.deps.Store.Targets(r.Context(), sc.tenant.ID, svc.ID)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		targets = []*delivery.Target{{ID: "posteingang", Kind: delivery.Inbox}} // the default
	}
	rows := make([]targetRow, 0, len(targets))
	found := checkID == ""
	for _, t := range targets {
		row := targetRow{ID: t.ID, Kind: t.Kind.Label(), Where: t.String()}
		if t.ID == checkID {
			found, row.Checked = true, true
			row.Result, err = s.checkTarget(r.Context(), sc, t, svc)
			row.OK = err == nil
			if err != nil {
				row.Result = err.Error()
			}
			s.deps.Logger.Info("target checked", "tenant", sc.tenant.Slug, "service", svc.Slug, "kind", string(t.Kind), "ok", row.OK)
		}
		rows = append(rows, row)
	}
	if !found {
		return fmt.Errorf("Zustellziel %s: %w", checkID, apperr.NotFound)
	}
	s.render(w, r, http.StatusOK, "admin_targets", s.staffPage(r, sc, map[string]any{"Title": "Zustellung: " + svc.Name,
		"Service": svc, "Targets": rows}))
	return nil
}

// checkTarget runs the check of the target's kind (Deps.Checkers).
func (s *Server) checkTarget(ctx context.Context, sc *staffCtx, t *delivery.Target, svc *tenant.Service) (string, error) {
	if t.Kind == delivery.Inbox {
		return "Der Posteingang gehört zu antrag; Anträge liegen dort, sobald sie eingegangen sind.", nil
	}
	c, ok := s.deps.Checkers[t.Kind]
	if !ok {
		return "", fmt.Errorf("Für %s ist auf diesem Server keine Verbindung eingerichtet; Zustellungen bleiben offen, bis der Betrieb sie einrichtet", t.Kind.Label())
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	return c.Check(ctx, sc.tenant.ID, svc, t)
}
