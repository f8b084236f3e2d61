package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// tenantForm is the form of the portal settings (/intern/admin/mandant).
func tenantForm(t *tenant.Tenant) *adminForm {
	return newAdminForm(
		&adminField{ID: "name", Label: "Name des Mandanten", Hint: "So steht er im Kopf jeder Seite, z. B. „Stadt Musterstadt“.", Value: t.Name},
		&adminField{ID: "logo", Label: "Adresse des Logos", Optional: true, Value: t.LogoURL,
			Hint: "Eine https-Adresse oder ein Pfad unter /static/; das Logo erscheint mit dem Namen des Mandanten als Alternativtext."},
		&adminField{ID: "farbe", Label: "Hauptfarbe", Optional: true, Value: t.Colour, Width: "width-10",
			Hint: "Als #rrggbb, z. B. #004b76. Weiße Schrift auf der Farbe braucht einen Kontrast von mindestens 4,5:1 (WCAG 2.1, 1.4.3)."},
		&adminField{ID: "host", Label: "Eigener Hostname", Optional: true, Value: t.Host,
			Hint: "Z. B. antrag.musterstadt.de: unter diesem Namen zeigt die Startseite „/“ die Online-Dienste des Mandanten. Der Name muss im DNS auf diese Installation zeigen."},
	)
}

// adminTenant shows the tenant's portal settings.
func (s *Server) adminTenant(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	s.renderAdminTenant(w, r, http.StatusOK, tenantForm(sc.tenant))
	return nil
}

func (s *Server) renderAdminTenant(w http.ResponseWriter, r *http.Request, status int, f *adminForm) {
	sc := staffOf(r.Context())
	s.render(w, r, status, "admin_tenant", s.staffPage(r, sc, map[string]any{"Title": "Portal des Mandanten", "Form": f, "Errors": f.Errors,
		"Saved": r.URL.Query().Get("gespeichert") != ""}))
}

// saveTenant changes the tenant's name, logo, colour and host name.
func (s *Server) saveTenant(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	if err := parseAdminForm(r); err != nil {
		return err
	}
	old := sc.tenant
	f := tenantForm(old)
	f.fill(r)
	t := *old
	t.Name, t.LogoURL, t.Colour, t.Host = f.value("name"), f.value("logo"), strings.ToLower(f.value("farbe")), strings.ToLower(f.value("host"))
	switch {
	case t.Name == "":
		f.fail("name", "Bitte geben Sie den Namen des Mandanten ein.")
	case tooLong(t.Name, 200):
		f.fail("name", "Der Name darf höchstens 200 Zeichen lang sein.")
	}
	if t.LogoURL != "" && !tenant.ValidLogoURL(t.LogoURL) {
		f.fail("logo", "Die Adresse des Logos muss mit https:// oder /static/ beginnen und darf keine Leerzeichen oder Anführungszeichen enthalten.")
	}
	if t.Colour != "" {
		if c := tenant.ContrastWithWhite(t.Colour); c == 0 {
			f.fail("farbe", "Bitte geben Sie die Farbe als # und sechs Hexadezimalziffern ein, z. B. #004b76.")
		} else if c < 4.5 {
			f.fail("farbe", fmt.Sprintf("Weiße Schrift auf %s hat einen Kontrast von %s:1; nötig sind mindestens 4,5:1. Bitte wählen Sie eine dunklere Farbe.",
				t.Colour, strings.Replace(fmt.Sprintf("%.2f", c), ".", ",", 1)))
		}
	}
	switch {
	case t.Host != "" && !tenant.ValidHost(t.Host):
		f.fail("host", "Bitte geben Sie nur den Hostnamen ein, z. B. antrag.musterstadt.de – ohne https:// und ohne Pfad.")
	case t.Host != "" && t.Host == s.installationHost():
		f.fail("host", "Das ist der Hostname der Installation selbst; ein Mandant braucht einen eigenen.")
	}
	if len(f.Errors) == 0 {
		fields := changed("Name", old.Name, t.Name, "Logo", old.LogoURL, t.LogoURL, "Farbe", old.Colour, t.Colour, "Hostname", old.Host, t.Host)
		if len(fields) == 0 {
			http.Redirect(w, r, "/intern/admin/mandant?gespeichert=1", http.StatusSeeOther)
			return nil
		}
		err := s.deps.Store.UpdateTenant(r.Context(), &t, s.auditEvent(r, tenant.ObjectTenant, t.ID, auditChanged, changeDetail("Portal", fields)))
		switch {
		case errors.Is(err, apperr.Conflict):
			f.fail("host", "Diesen Hostnamen verwendet bereits ein anderer Mandant.")
		case errors.Is(err, apperr.Invalid): // what the checks above do not cover: the operator pages set by the command line
			s.deps.Logger.Warn("tenant settings refused", "error", err.Error())
			f.fail("name", "Die Angaben wurden nicht gespeichert, weil die Einstellungen des Mandanten insgesamt ungültig sind. Bitte wenden Sie sich an den Betrieb.")
		case err != nil:
			return err
		default:
			http.Redirect(w, r, "/intern/admin/mandant?gespeichert=1", http.StatusSeeOther)
			return nil
		}
	}
	s.renderAdminTenant(w, r, http.StatusBadRequest, f)
	return nil
}

// installationHost is the host name of the installation's own address
// (Config.BaseURL), lower case, without port; "" when unknown.
func (s *Server) installationHost() string {
	u, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
