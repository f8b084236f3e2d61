package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/tenant"
)

// adminAuthorities lists the tenant's authorities (/intern/admin/behoerden).
func (s *Server) adminAuthorities(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	as, err := s.deps.Store.ListAuthorities(r.Context(), sc.tenant.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_authorities", s.staffPage(r, sc, map[string]any{"Title": "Behörden", "Authorities": as,
		"Saved": r.URL.Query().Get("gespeichert") != ""}))
	return nil
}

// authorityForm is the form of one authority; a is nil for a new one.
func authorityForm(a *tenant.Authority) *adminForm {
	if a == nil {
		a = &tenant.Authority{}
	}
	page := func(k tenant.PageKind) (string, string) {
		p := a.Pages.Get(k)
		hint := "Eine https-Adresse auf der Website der Behörde; leer: es gilt die Seite des Mandanten."
		switch {
		case p == nil:
			return "", hint
		case p.URL != "":
			return p.URL, hint
		}
		return "", "Die Seite wird derzeit als Text in antrag geführt; eine Adresse hier ersetzt ihn, leer lässt ihn stehen."
	}
	imp, impHint := page(tenant.Impressum)
	ds, dsHint := page(tenant.Datenschutz)
	bf, bfHint := page(tenant.Barrierefreiheit)
	return newAdminForm(
		&adminField{ID: "name", Label: "Name der Behörde", Value: a.Name, Hint: "Z. B. „Bürgeramt Musterstadt“."},
		&adminField{ID: "anschrift", Label: "Anschrift", Optional: true, Rows: 4, Value: strings.Join(a.Address, "\n"),
			Hint: "Eine Zeile je Zeile der Postanschrift, höchstens 10."},
		&adminField{ID: "email", Label: "E-Mail-Adresse", Optional: true, Type: "email", Value: a.Email,
			Hint: "Die Kontaktadresse, die Antragstellende sehen."},
		&adminField{ID: "telefon", Label: "Telefonnummer", Optional: true, Type: "tel", Value: a.Phone, Width: "width-20"},
		&adminField{ID: "efa", Label: "EfA-Parameter", Optional: true, Rows: 6, Value: formatEfA(a.EfA),
			Hint: "Was ein EfA-Dienst für diese Behörde liest, eine Angabe je Zeile als „name = wert“, z. B. „gebuehr.betrag = 30.00“. Namen aus a-z, A-Z, 0-9, Punkt, Unterstrich und Bindestrich; keine personenbezogenen Daten."},
		&adminField{ID: "impressum", Label: "Impressum (Adresse)", Optional: true, Type: "url", Value: imp, Hint: impHint},
		&adminField{ID: "datenschutz", Label: "Datenschutzerklärung (Adresse)", Optional: true, Type: "url", Value: ds, Hint: dsHint},
		&adminField{ID: "barrierefreiheit", Label: "Erklärung zur Barrierefreiheit (Adresse)", Optional: true, Type: "url", Value: bf, Hint: bfHint},
	)
}

// formatEfA writes EfA parameters as "name = value" lines, by name.
func formatEfA(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// parseEfA reads "name = value" lines (blank lines skipped) and returns
// the parameters, or the first problem in German, naming its line.
func parseEfA(text string) (map[string]string, string) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			return nil, fmt.Sprintf("EfA-Parameter, Zeile %d: Bitte schreiben Sie „name = wert“.", i+1)
		case !tenant.ValidEfAName(name):
			return nil, fmt.Sprintf("EfA-Parameter, Zeile %d: Der Name „%s“ darf nur a-z, A-Z, 0-9, Punkt, Unterstrich und Bindestrich enthalten (höchstens 64 Zeichen).", i+1, truncate(name, 64))
		case tooLong(value, 2000):
			return nil, fmt.Sprintf("EfA-Parameter, Zeile %d: Der Wert ist länger als 2000 Zeichen.", i+1)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Sprintf("EfA-Parameter, Zeile %d: „%s“ steht schon in einer Zeile davor.", i+1, name)
		}
		out[name] = value
	}
	if len(out) > 200 {
		return nil, "EfA-Parameter: höchstens 200 Angaben."
	}
	return out, ""
}

// truncate shortens s to n characters.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ()/-]{2,38}$`)

// authorityFromForm checks the form and applies it to a copy of old
// (empty for a new authority).
func authorityFromForm(f *adminForm, old *tenant.Authority) *tenant.Authority {
	a := *old
	a.Name, a.Email, a.Phone = f.value("name"), f.value("email"), f.value("telefon")
	switch {
	case a.Name == "":
		f.fail("name", "Bitte geben Sie den Namen der Behörde ein.")
	case tooLong(a.Name, 200):
		f.fail("name", "Der Name darf höchstens 200 Zeichen lang sein.")
	}
	a.Address = nil
	for _, l := range strings.Split(f.value("anschrift"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			a.Address = append(a.Address, l)
		}
	}
	if len(a.Address) > 10 || slices.ContainsFunc(a.Address, func(l string) bool { return tooLong(l, 200) }) {
		f.fail("anschrift", "Die Anschrift darf höchstens 10 Zeilen mit je höchstens 200 Zeichen haben.")
	}
	if a.Email != "" {
		if m, err := mail.ParseAddress(a.Email); err != nil || m.Address != a.Email || len(a.Email) > 254 {
			f.fail("email", "Bitte geben Sie eine E-Mail-Adresse wie buergeramt@musterstadt.de ein.")
		}
	}
	if a.Phone != "" && !phoneRE.MatchString(a.Phone) {
		f.fail("telefon", "Bitte geben Sie eine Telefonnummer aus Ziffern, Leerzeichen und + ( ) / - ein, z. B. +49 89 1234-0.")
	}
	efa, problem := parseEfA(f.value("efa"))
	if problem != "" {
		f.fail("efa", problem)
	}
	a.EfA = efa
	pages := a.Pages
	for _, k := range []tenant.PageKind{tenant.Impressum, tenant.Datenschutz, tenant.Barrierefreiheit} {
		u := f.value(string(k))
		var p *tenant.Page
		switch {
		case u != "":
			p = &tenant.Page{URL: u}
			if err := (&tenant.Pages{Impressum: p}).Validate(); err != nil {
				f.fail(string(k), k.Title()+": Bitte geben Sie eine vollständige Adresse ein, die mit https:// beginnt.")
			}
		case old.Pages.Get(k) != nil && old.Pages.Get(k).URL == "":
			p = old.Pages.Get(k) // text kept in antrag stays
		}
		switch k {
		case tenant.Impressum:
			pages.Impressum = p
		case tenant.Datenschutz:
			pages.Datenschutz = p
		case tenant.Barrierefreiheit:
			pages.Barrierefreiheit = p
		}
	}
	a.Pages = pages
	return &a
}

// authorityChanges names what differs between two versions of an
// authority, for the audit trail (no values: they may be contact data).
func authorityChanges(old, a *tenant.Authority) []string {
	out := changed("Name", old.Name, a.Name, "Anschrift", strings.Join(old.Address, "\n"), strings.Join(a.Address, "\n"),
		"E-Mail-Adresse", old.Email, a.Email, "Telefonnummer", old.Phone, a.Phone)
	var efa []string
	for _, k := range slices.Sorted(maps.Keys(a.EfA)) {
		if v, ok := old.EfA[k]; !ok || v != a.EfA[k] {
			efa = append(efa, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old.EfA)) {
		if _, ok := a.EfA[k]; !ok {
			efa = append(efa, k)
		}
	}
	if len(efa) > 0 {
		out = append(out, "EfA-Parameter ("+strings.Join(efa, ", ")+")")
	}
	for _, k := range []tenant.PageKind{tenant.Impressum, tenant.Datenschutz, tenant.Barrierefreiheit} {
		po, pn := old.Pages.Get(k), a.Pages.Get(k)
		if (po == nil) != (pn == nil) || po != nil && pn != nil && po.URL != pn.URL {
			out = append(out, k.Title())
		}
	}
	return out
}

// newAuthorityPage shows the empty form for a new authority.
func (s *Server) newAuthorityPage(w http.ResponseWriter, r *http.Request) error {
	s.renderAuthority(w, r, http.StatusOK, nil, authorityForm(nil))
	return nil
}

// editAuthorityPage shows the form of one of the tenant's authorities;
// another tenant's is not found.
func (s *Server) editAuthorityPage(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	a, err := s.deps.Store.Authority(r.Context(), sc.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.renderAuthority(w, r, http.StatusOK, a, authorityForm(a))
	return nil
}

func (s *Server) renderAuthority(w http.ResponseWriter, r *http.Request, status int, a *tenant.Authority, f *adminForm) {
	sc := staffOf(r.Context())
	title, action := "Neue Behörde", "/intern/admin/behoerden/neu"
	if a != nil {
		title, action = "Behörde bearbeiten", "/intern/admin/behoerden/"+a.ID
	}
	s.render(w, r, status, "admin_authority", s.staffPage(r, sc, map[string]any{"Title": title, "Form": f, "Errors": f.Errors,
		"Action": action, "Authority": a}))
}

// createAuthority stores a new authority of the tenant.
func (s *Server) createAuthority(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	if err := parseAdminForm(r); err != nil {
		return err
	}
	f := authorityForm(nil)
	f.fill(r)
	a := authorityFromForm(f, &tenant.Authority{})
	if err := s.uniqueAuthorityName(r, f, a); err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		s.renderAuthority(w, r, http.StatusBadRequest, nil, f)
		return nil
	}
	a.TenantID = sc.tenant.ID
	ev := s.auditEvent(r, tenant.ObjectAuthority, "", auditCreated, "Behörde „"+a.Name+"“ angelegt")
	if err := s.deps.Store.CreateAuthority(r.Context(), a, ev); err != nil {
		return err
	}
	http.Redirect(w, r, "/intern/admin/behoerden?gespeichert=1", http.StatusSeeOther)
	return nil
}

// updateAuthority changes one of the tenant's authorities.
func (s *Server) updateAuthority(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	old, err := s.deps.Store.Authority(r.Context(), sc.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := parseAdminForm(r); err != nil {
		return err
	}
	f := authorityForm(old)
	f.fill(r)
	a := authorityFromForm(f, old)
	if err := s.uniqueAuthorityName(r, f, a); err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		s.renderAuthority(w, r, http.StatusBadRequest, old, f)
		return nil
	}
	if fields := authorityChanges(old, a); len(fields) > 0 {
		ev := s.auditEvent(r, tenant.ObjectAuthority, a.ID, auditChanged, changeDetail("Behörde „"+a.Name+"“", fields))
		if err := s.deps.Store.UpdateAuthority(r.Context(), a, ev); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/intern/admin/behoerden?gespeichert=1", http.StatusSeeOther)
	return nil
}

// uniqueAuthorityName refuses a name another authority of the tenant has:
// the catalogue, the selection lists and the audit trail name
// authorities by it.
func (s *Server) uniqueAuthorityName(r *http.Request, f *adminForm, a *tenant.Authority) error {
	as, err := s.deps.Store.ListAuthorities(r.Context(), staffOf(r.Context()).tenant.ID)
	if err != nil {
		return err
	}
	for _, o := range as {
		if o.ID != a.ID && strings.EqualFold(strings.TrimSpace(o.Name), strings.TrimSpace(a.Name)) {
			f.fail("name", "Eine andere Behörde des Mandanten heißt schon so. Bitte wählen Sie einen eigenen Namen.")
			break
		}
	}
	return nil
}
