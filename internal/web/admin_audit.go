package web

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/antrag/antrag/internal/tenant"
)

// auditRow is one entry of the audit trail page.
type auditRow struct {
	At                     time.Time
	Service, Actor         string
	Action, Regel, Note    string
	FromVersion, ToVersion string // "–" when none
}

// actionNames are the German names of the audit trail's actions.
var actionNames = map[string]string{
	tenant.ActionPublished:         "Veröffentlicht",
	tenant.ActionCorrectionSet:     "Korrektur gesetzt",
	tenant.ActionCorrectionRemoved: "Korrektur entfernt",
}

// objectNames are the German names of the configuration audit's objects.
var objectNames = map[string]string{
	tenant.ObjectTenant: "Mandant", tenant.ObjectAuthority: "Behörde", tenant.ObjectService: "Dienst",
	tenant.ObjectJurisdiction: "Zuständigkeit", tenant.ObjectTargets: "Zustellziele",
	tenant.ObjectPayment: "Bezahldienst", tenant.ObjectFee: "Gebühr",
}

// adminAudit lists the audit trail of all the tenant's own services
// (publications and corrections) and of its configuration (authorities,
// services, jurisdictions, targets, portal; tenant.AuditEvent), newest
// first.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	ctx := r.Context()
	svcs, err := s.ownServices(r, sc)
	if err != nil {
		return err
	}
	versions := map[string]string{"": "–"}
	version := func(id string) (string, error) {
		if v, ok := versions[id]; ok {
			return v, nil
		}
		fv, err := s.deps.Store.FormVersion(ctx, sc.tenant.ID, id)
		if err != nil {
			return "", err
		}
		versions[id] = fmt.Sprint(fv.Version)
		return versions[id], nil
	}
	var rows []auditRow
	for _, svc := range svcs {
		evs, err := s.deps.Store.ServiceEvents(ctx, sc.tenant.ID, svc.ID)
		if err != nil {
			return err
		}
		for _, e := range evs {
			row := auditRow{At: e.At, Service: svc.Name, Actor: e.Actor, Action: actionNames[e.Action], Regel: e.Regel, Note: e.Note}
			if row.Action == "" {
				row.Action = e.Action
			}
			if row.FromVersion, err = version(e.FromVersionID); err != nil {
				return err
			}
			if row.ToVersion, err = version(e.ToVersionID); err != nil {
				return err
			}
			rows = append(rows, row)
		}
	}
	changes, err := s.deps.Store.AuditEvents(ctx, sc.tenant.ID, 500)
	if err != nil {
		return err
	}
	for _, e := range changes {
		what := objectNames[e.Object]
		if what == "" {
			what = e.Object
		}
		rows = append(rows, auditRow{At: e.At, Service: what, Actor: e.Actor, Action: e.Action, Note: e.Detail,
			FromVersion: "–", ToVersion: "–"})
	}
	slices.SortStableFunc(rows, func(a, b auditRow) int { return b.At.Compare(a.At) })
	msg, _ := s.deps.Sessions.Pop(ctx, "adminMessage").(string)
	s.render(w, r, http.StatusOK, "admin_audit", s.staffPage(r, sc, map[string]any{"Title": "Änderungsprotokoll", "Events": rows, "Message": msg, "Wide": true}))
	return nil
}
