package web

import (
	"cmp"
	"errors"
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// jurisdictionRow is one jurisdiction as the admin page lists it.
type jurisdictionRow struct {
	*tenant.Jurisdiction
	Service, Authority string // names
	Level              string // the ARS's level ("Kreis")
}

// jurisdictionForm is the form that adds a jurisdiction.
func jurisdictionForm() *adminForm {
	return newAdminForm(
		&adminField{ID: "dienst"}, &adminField{ID: "behoerde"},
		&adminField{ID: "ars", Label: "Regionalschlüssel (ARS) des Gebiets", Width: "width-20",
			Hint: "2 Ziffern für ein Land, 3 für einen Regierungsbezirk, 5 für einen Kreis, 9 für einen Gemeindeverband, 12 für eine Gemeinde, z. B. 091620000000."},
		&adminField{ID: "plz", Label: "Postleitzahl", Optional: true, Width: "width-5", Hint: "Fünf Ziffern; grenzt das Gebiet auf diese Postleitzahl ein."},
		&adminField{ID: "strasse", Label: "Straße", Optional: true, Hint: "Nur mit Postleitzahl; „Hauptstr.“ und „Hauptstraße“ gelten als dieselbe Straße."},
		&adminField{ID: "quelle", Label: "Quelle", Optional: true, Value: "Verwaltung",
			Hint: "Woher der Eintrag stammt; Antragstellende lesen sie in der Begründung der Zuständigkeit, z. B. „Zuständigkeitskatalog des Landes“."},
	)
}

// jurisdictionRows loads the tenant's jurisdictions with the names they
// refer to.
func (s *Server) jurisdictionRows(r *http.Request, svcs []*tenant.Service, as []*tenant.Authority) ([]jurisdictionRow, error) {
	sc := staffOf(r.Context())
	js, err := s.deps.Store.Jurisdictions(r.Context(), sc.tenant.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, svc := range svcs {
		names[svc.ID] = svc.Name
	}
	for _, a := range as {
		names[a.ID] = a.Name
	}
	rows := make([]jurisdictionRow, 0, len(js))
	for _, j := range js {
		rows = append(rows, jurisdictionRow{Jurisdiction: j, Service: cmp.Or(names[j.ServiceID], j.ServiceID),
			Authority: cmp.Or(names[j.AuthorityID], j.AuthorityID), Level: tenant.LevelName(j.ARS)})
	}
	return rows, nil
}

// adminJurisdictions lists the tenant's jurisdictions with the form that
// adds one (/intern/admin/zustaendigkeiten).
func (s *Server) adminJurisdictions(w http.ResponseWriter, r *http.Request) error {
	return s.renderJurisdictions(w, r, http.StatusOK, jurisdictionForm())
}

func (s *Server) renderJurisdictions(w http.ResponseWriter, r *http.Request, status int, f *adminForm) error {
	sc := staffOf(r.Context())
	svcs, err := s.deps.Store.ListServices(r.Context(), sc.tenant.ID)
	if err != nil {
		return err
	}
	as, err := s.deps.Store.ListAuthorities(r.Context(), sc.tenant.ID)
	if err != nil {
		return err
	}
	rows, err := s.jurisdictionRows(r, svcs, as)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	s.render(w, r, status, "admin_jurisdictions", s.staffPage(r, sc, map[string]any{"Title": "Zuständigkeiten", "Form": f, "Errors": f.Errors,
		"Rows": rows, "Services": svcs, "Authorities": as, "Added": q.Get("angelegt") != "", "Removed": q.Get("entfernt") != ""}))
	return nil
}

// addJurisdiction stores a jurisdiction of the tenant: for one of its own
// or a shared service, one of its authorities and an area.
func (s *Server) addJurisdiction(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	ctx := r.Context()
	if err := parseAdminForm(r); err != nil {
		return err
	}
	f := jurisdictionForm()
	f.fill(r)
	j := &tenant.Jurisdiction{TenantID: sc.tenant.ID, ServiceID: f.value("dienst"), AuthorityID: f.value("behoerde"),
		ARS: f.value("ars"), Postcode: f.value("plz"), Street: f.value("strasse"), Source: f.value("quelle")}
	svc, err := s.deps.Store.Service(ctx, sc.tenant.ID, j.ServiceID)
	if err != nil && !errors.Is(err, apperr.NotFound) {
		return err
	}
	if err != nil {
		f.fail("dienst", "Bitte wählen Sie einen Dienst.")
	}
	auth, err := s.deps.Store.Authority(ctx, sc.tenant.ID, j.AuthorityID)
	if err != nil && !errors.Is(err, apperr.NotFound) {
		return err
	}
	if err != nil {
		f.fail("behoerde", "Bitte wählen Sie eine der Behörden des Mandanten.")
	}
	checkArea(f, j)
	if len(f.Errors) == 0 {
		var ev *tenant.AuditEvent
		if auth != nil {
			ev = s.auditEvent(r, tenant.ObjectJurisdiction, "", auditCreated, "Zuständigkeit für „"+svc.Name+"“: "+auth.Name+", "+j.Rule())
		}
		err := s.deps.Store.CreateJurisdiction(ctx, j, ev)
		switch {
		case errors.Is(err, apperr.Conflict):
			f.fail("ars", "Für dieses Gebiet ist beim Dienst „"+svc.Name+"“ schon eine Behörde eingetragen, von diesem oder einem anderen Mandanten. "+
				"Ein Gebiet kann je Dienst nur eine zuständige Behörde haben; grenzen Sie es mit Postleitzahl oder Straße ein oder entfernen Sie den anderen Eintrag.")
		case errors.Is(err, apperr.Invalid), errors.Is(err, apperr.NotFound):
			s.deps.Logger.Warn("jurisdiction refused", "error", err.Error())
			f.fail("ars", "Die Zuständigkeit konnte nicht gespeichert werden. Bitte prüfen Sie die Angaben.")
		case err != nil:
			return err
		default:
			http.Redirect(w, r, "/intern/admin/zustaendigkeiten?angelegt=1", http.StatusSeeOther)
			return nil
		}
	}
	return s.renderJurisdictions(w, r, http.StatusBadRequest, f)
}

// checkArea checks the area fields one by one against
// tenant.Jurisdiction.Validate, so that each problem names its field.
func checkArea(f *adminForm, j *tenant.Jurisdiction) {
	probe := func(change func(p *tenant.Jurisdiction)) bool {
		p := &tenant.Jurisdiction{AuthorityID: "-", ARS: "01"}
		change(p)
		return p.Validate() == nil
	}
	if j.ARS == "" {
		f.fail("ars", "Bitte geben Sie den Regionalschlüssel des Gebiets ein.")
	} else if !probe(func(p *tenant.Jurisdiction) { p.ARS = j.ARS }) {
		f.fail("ars", "Der Regionalschlüssel hat 2, 3, 5, 9 oder 12 Ziffern und beginnt mit dem Schlüssel eines Landes (01 bis 16).")
	}
	if !probe(func(p *tenant.Jurisdiction) { p.Postcode = j.Postcode }) {
		f.fail("plz", "Die Postleitzahl besteht aus fünf Ziffern.")
	}
	switch {
	case j.Street != "" && j.Postcode == "":
		f.fail("strasse", "Eine Straße grenzt nur zusammen mit einer Postleitzahl ein; bitte geben Sie auch die Postleitzahl ein.")
	case !probe(func(p *tenant.Jurisdiction) { p.Postcode, p.Street = "00000", j.Street }):
		f.fail("strasse", "Der Straßenname darf höchstens 100 Zeichen lang sein.")
	}
	if !probe(func(p *tenant.Jurisdiction) { p.Source = j.Source }) {
		f.fail("quelle", "Die Quelle darf höchstens 200 Zeichen lang sein.")
	}
	if len(f.Errors) == 0 && j.Validate() != nil {
		f.fail("ars", "Bitte prüfen Sie die Angaben zum Gebiet.")
	}
}

// jurisdictionOf finds one of the tenant's jurisdictions by the path's id
// as a row of the list; another tenant's is not found.
func (s *Server) jurisdictionOf(r *http.Request) (*jurisdictionRow, error) {
	sc := staffOf(r.Context())
	svcs, err := s.deps.Store.ListServices(r.Context(), sc.tenant.ID)
	if err != nil {
		return nil, err
	}
	as, err := s.deps.Store.ListAuthorities(r.Context(), sc.tenant.ID)
	if err != nil {
		return nil, err
	}
	rows, err := s.jurisdictionRows(r, svcs, as)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if rows[i].ID == r.PathValue("id") {
			return &rows[i], nil
		}
	}
	return nil, errors.Join(apperr.NotFound, errors.New("jurisdiction not found"))
}

// removeJurisdictionPage asks to confirm the removal of a jurisdiction.
func (s *Server) removeJurisdictionPage(w http.ResponseWriter, r *http.Request) error {
	row, err := s.jurisdictionOf(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_jurisdiction_remove", s.staffPage(r, staffOf(r.Context()),
		map[string]any{"Title": "Zuständigkeit entfernen", "Row": row}))
	return nil
}

// removeJurisdiction removes one of the tenant's jurisdictions.
func (s *Server) removeJurisdiction(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	row, err := s.jurisdictionOf(r)
	if err != nil {
		return err
	}
	detail := "Zuständigkeit für „" + row.Service + "“: " + row.Authority + ", " + strings.TrimSpace(row.Rule())
	if err := s.deps.Store.DeleteJurisdiction(r.Context(), sc.tenant.ID, row.ID, s.auditEvent(r, tenant.ObjectJurisdiction, row.ID, auditRemoved, detail)); err != nil {
		return err
	}
	http.Redirect(w, r, "/intern/admin/zustaendigkeiten?entfernt=1", http.StatusSeeOther)
	return nil
}
