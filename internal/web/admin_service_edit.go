package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/tenant"
)

// errServiceNotOwn is the error for a service the tenant does not own:
// 404, as for one that does not exist, so that the page does not tell
// another tenant's services apart from missing ones.
var errServiceNotOwn = fmt.Errorf("Dienst nicht gefunden: %w", apperr.NotFound)

// ownService loads one of the tenant's own services; a shared service of
// another tenant, like a missing one, is errServiceNotOwn.
func (s *Server) ownService(r *http.Request, tenantID, id string) (*tenant.Service, error) {
	svc, err := s.deps.Store.Service(r.Context(), tenantID, id)
	if err != nil {
		if errors.Is(err, apperr.NotFound) {
			return nil, errServiceNotOwn
		}
		return nil, err
	}
	if svc.TenantID != tenantID {
		return nil, errServiceNotOwn
	}
	return svc, nil
}

// levelOption is one Vertrauensniveau of the service form.
type levelOption struct {
	Value, Label string
	Selected     bool
}

// serviceForm is the form of one of the tenant's services.
func serviceForm(svc *tenant.Service) *adminForm {
	return newAdminForm(append(feeFields(svc.Fee),
		&adminField{ID: "name", Label: "Name des Dienstes", Value: svc.Name},
		&adminField{ID: "beschreibung", Label: "Beschreibung", Optional: true, Rows: 4, Value: svc.Description,
			Hint: "Steht im Katalog und auf der Startseite des Dienstes."},
		&adminField{ID: "leika", Label: "Leistungsschlüssel (LeiKa)", Optional: true, Value: svc.Leistungsschluessel, Width: "width-20",
			Hint: "14 Ziffern, z. B. 99050012104000."},
		&adminField{ID: "gebuehr", Label: "Gebühr", Optional: true, Value: svc.FeeText, Hint: "Z. B. „Die Gebühr beträgt 30 Euro.“"},
		&adminField{ID: "dauer", Label: "Dauer des Antrags", Optional: true, Value: svc.DurationText, Hint: "Z. B. „etwa 15 Minuten“."},
		&adminField{ID: "vertrauensniveau", Value: strconv.Itoa(int(svc.MinLevel))},
		&adminField{ID: "behoerde", Value: svc.AuthorityID},
		&adminField{ID: "schriftformersatz", Value: checked(svc.Schriftformersatz)},
		&adminField{ID: "geteilt", Value: checked(svc.Shared)},
	)...)
}

// checked is a checkbox's value: "ja" when checked.
func checked(b bool) string {
	if b {
		return "ja"
	}
	return ""
}

var leikaRE = regexp.MustCompile(`^\d{14}$`)

// adminServicePage shows the form of one of the tenant's own services.
func (s *Server) adminServicePage(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	svc, err := s.ownService(r, sc.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderService(w, r, http.StatusOK, svc, serviceForm(svc), false)
}

func (s *Server) renderService(w http.ResponseWriter, r *http.Request, status int, svc *tenant.Service, f *adminForm, saved bool) error {
	sc := staffOf(r.Context())
	as, err := s.deps.Store.ListAuthorities(r.Context(), sc.tenant.ID)
	if err != nil {
		return err
	}
	var levels []levelOption
	for l := identity.LevelNone; l <= identity.Hoch; l++ {
		label := "Keine Anmeldung nötig"
		if l != identity.LevelNone {
			label = "Anmeldung mit Vertrauensniveau „" + l.String() + "“"
		}
		levels = append(levels, levelOption{Value: strconv.Itoa(int(l)), Label: label, Selected: l == svc.MinLevel})
	}
	s.render(w, r, status, "admin_service", s.staffPage(r, sc, map[string]any{"Title": "Dienst bearbeiten", "Form": f, "Errors": f.Errors,
		"Service": svc, "Authorities": as, "Levels": levels,
		"Policies": policyOptions(f.value("zahlungsart")), "Saved": saved || r.URL.Query().Get("gespeichert") != ""}))
	return nil
}

// saveService changes one of the tenant's own services.
func (s *Server) saveService(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	ctx := r.Context()
	old, err := s.ownService(r, sc.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := parseAdminForm(r); err != nil {
		return err
	}
	f := serviceForm(old)
	f.fill(r)
	svc := *old
	svc.Name, svc.Description, svc.Leistungsschluessel = f.value("name"), f.value("beschreibung"), f.value("leika")
	svc.FeeText, svc.DurationText = f.value("gebuehr"), f.value("dauer")
	svc.Schriftformersatz, svc.Shared = r.PostForm.Get("schriftformersatz") == "ja", r.PostForm.Get("geteilt") == "ja"
	switch {
	case svc.Name == "":
		f.fail("name", "Bitte geben Sie den Namen des Dienstes ein.")
	case tooLong(svc.Name, 200):
		f.fail("name", "Der Name darf höchstens 200 Zeichen lang sein.")
	}
	if tooLong(svc.Description, 2000) {
		f.fail("beschreibung", "Die Beschreibung darf höchstens 2000 Zeichen lang sein.")
	}
	if svc.Leistungsschluessel != "" && !leikaRE.MatchString(svc.Leistungsschluessel) {
		f.fail("leika", "Der Leistungsschlüssel besteht aus 14 Ziffern, z. B. 99050012104000.")
	}
	if svc.Leistungsschluessel == "" {
		// The FIT-Connect Routing API finds destinations by it.
		if _, via, err := s.routingOf(ctx, old); err != nil {
			return err
		} else if via {
			f.fail("leika", "Der Dienst wird über die Routing-API von FIT-Connect zugestellt, die Zustellpunkte nach dem Leistungsschlüssel findet; er ist deshalb nötig.")
		}
	}
	if tooLong(svc.FeeText, 500) {
		f.fail("gebuehr", "Der Text zur Gebühr darf höchstens 500 Zeichen lang sein.")
	}
	if tooLong(svc.DurationText, 200) {
		f.fail("dauer", "Der Text zur Dauer darf höchstens 200 Zeichen lang sein.")
	}
	if n, err := strconv.Atoi(f.value("vertrauensniveau")); err == nil && n >= int(identity.LevelNone) && n <= int(identity.Hoch) {
		svc.MinLevel = identity.Level(n)
	} else {
		f.fail("vertrauensniveau", "Bitte wählen Sie ein Vertrauensniveau.")
	}
	svc.AuthorityID = f.value("behoerde")
	if _, err := s.deps.Store.Authority(ctx, sc.tenant.ID, svc.AuthorityID); err != nil {
		if !errors.Is(err, apperr.NotFound) {
			return err
		}
		f.fail("behoerde", "Bitte wählen Sie eine der Behörden des Mandanten.")
	}
	if old.Shared && !svc.Shared {
		js, err := s.deps.Store.ServiceJurisdictions(ctx, svc.ID)
		if err != nil {
			return err
		}
		for _, j := range js {
			if j.TenantID != sc.tenant.ID {
				f.fail("geteilt", "Andere Mandanten haben für diesen Dienst Zuständigkeiten eingetragen; er bleibt deshalb geteilt, bis sie sie entfernt haben.")
				break
			}
		}
	}
	svc.Fee = feeFromForm(f)
	if len(f.Errors) > 0 {
		return s.renderService(w, r, http.StatusBadRequest, &svc, f, false)
	}
	yesNo := func(b bool) string { return strconv.FormatBool(b) }
	fields := changed("Name", old.Name, svc.Name, "Beschreibung", old.Description, svc.Description,
		"Leistungsschlüssel", old.Leistungsschluessel, svc.Leistungsschluessel, "Gebühr", old.FeeText, svc.FeeText,
		"Dauer", old.DurationText, svc.DurationText, "Vertrauensniveau", old.MinLevel.String(), svc.MinLevel.String(),
		"Schriftformersatz", yesNo(old.Schriftformersatz), yesNo(svc.Schriftformersatz),
		"zuständige Behörde", old.AuthorityID, svc.AuthorityID, "geteilt (EfA)", yesNo(old.Shared), yesNo(svc.Shared))
	if !sameFee(old.Fee, svc.Fee) {
		fields = append(fields, "Online-Gebühr")
	}
	if len(fields) > 0 {
		ev := s.auditEvent(r, tenant.ObjectService, svc.ID, auditChanged, changeDetail("Dienst „"+svc.Name+"“", fields))
		if err := s.deps.Store.UpdateService(ctx, &svc, ev); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/intern/admin/dienste/"+svc.ID+"/bearbeiten?gespeichert=1", http.StatusSeeOther)
	return nil
}
