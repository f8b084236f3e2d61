package web

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// The page of an authority's ePayment provider account
// (/intern/admin/behoerden/{id}/bezahldienst): kind, base URL, the
// XBezahldienste originatorId and endpointId, the credentials of the
// kind and the booking data per fee item. Secrets are password inputs
// that stay empty: left empty, the stored secret stays. The PKCS#12
// certificate of ePayBL is set through the catalogue (antrag catalog
// apply); the page shows whether one is stored and keeps it.

// kindOption is one provider kind of the select.
type kindOption struct {
	Value, Label string
	Selected     bool
}

var kindLabels = map[payment.Kind]string{
	payment.EPayBL:    "ePayBL (Client-Zertifikat)",
	payment.PMPayment: "pmPayment (OAuth2)",
	payment.EPay21:    "ePay21 (Benutzername und Passwort)",
}

func kindOptions(sel string) []kindOption {
	out := []kindOption{{Value: "", Label: "kein Bezahldienst", Selected: sel == ""}}
	for _, k := range payment.Kinds {
		out = append(out, kindOption{Value: string(k), Label: kindLabels[k], Selected: string(k) == sel})
	}
	return out
}

// paymentForm is the form of an authority's account (a nil: none).
func paymentForm(a *payment.Account) *adminForm {
	if a == nil {
		a = &payment.Account{}
	}
	secretHint := func(set bool) string {
		if set {
			return "Gespeichert. Leer lassen, um es beizubehalten."
		}
		return "Noch nicht gespeichert."
	}
	booking := ""
	if len(a.BookingData) > 0 {
		if b, err := json.MarshalIndent(a.BookingData, "", "  "); err == nil {
			booking = string(b)
		}
	}
	return newAdminForm(
		&adminField{ID: "art", Value: string(a.Kind)},
		&adminField{ID: "basis", Label: "Basis-URL", Optional: true, Type: "url", Value: a.BaseURL,
			Hint: "Die XBezahldienste-Adresse des Bezahldienstes, endet mit „/“, z. B. https://epayment-stage.dataport.de/konnektor/epayment/."},
		&adminField{ID: "originator", Label: "originatorId", Optional: true, Value: a.OriginatorID, Width: "width-30",
			Hint: "Vom Bezahldienst vergeben, höchstens 36 Zeichen (oft der Leistungsschlüssel)."},
		&adminField{ID: "endpoint", Label: "endpointId", Optional: true, Value: a.EndpointID, Width: "width-30",
			Hint: "Vom Bezahldienst vergeben, höchstens 36 Zeichen (oft der Gemeindeschlüssel)."},
		&adminField{ID: "zertifikatspasswort", Label: "Passwort des Client-Zertifikats (ePayBL)", Optional: true, Type: "password",
			Autocomplete: "new-password", Hint: secretHint(a.CertificatePassword != "")},
		&adminField{ID: "tokenurl", Label: "Token-URL (pmPayment)", Optional: true, Type: "url", Value: a.TokenURL},
		&adminField{ID: "clientid", Label: "Client-ID (pmPayment)", Optional: true, Value: a.ClientID, Width: "width-30"},
		&adminField{ID: "clientsecret", Label: "Client-Secret (pmPayment)", Optional: true, Type: "password",
			Autocomplete: "new-password", Hint: secretHint(a.ClientSecret != "")},
		&adminField{ID: "benutzer", Label: "Benutzername (ePay21)", Optional: true, Value: a.Username, Width: "width-30"},
		&adminField{ID: "passwort", Label: "Passwort (ePay21)", Optional: true, Type: "password",
			Autocomplete: "new-password", Hint: secretHint(a.Password != "")},
		&adminField{ID: "buchungsdaten", Label: "Buchungsdaten je Gebührenposition (JSON)", Optional: true, Rows: 6, Value: booking,
			Hint: `Z. B. {"grund": {"Haushaltsstelle": "1.1100.100000"}}: für die Position „grund“ jeder Gebühr; Buchungsdaten der Position selbst gehen vor.`},
	)
}

// loadAccount returns the authority's account, nil if it has none.
func (s *Server) loadAccount(r *http.Request, tenantID, authorityID string) (*payment.Account, error) {
	acc, err := s.deps.Store.PaymentAccount(r.Context(), tenantID, authorityID)
	if errors.Is(err, apperr.NotFound) {
		return nil, nil
	}
	return acc, err
}

// authorityAccount loads the tenant's authority {id} and its account
// (nil for none).
func (s *Server) authorityAccount(r *http.Request) (*tenant.Authority, *payment.Account, error) {
	sc := staffOf(r.Context())
	a, err := s.deps.Store.Authority(r.Context(), sc.tenant.ID, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	acc, err := s.loadAccount(r, sc.tenant.ID, a.ID)
	return a, acc, err
}

// adminPaymentPage shows the account of one of the tenant's authorities.
func (s *Server) adminPaymentPage(w http.ResponseWriter, r *http.Request) error {
	a, acc, err := s.authorityAccount(r)
	if err != nil {
		return err
	}
	s.renderPayment(w, r, http.StatusOK, a, acc, paymentForm(acc))
	return nil
}

func (s *Server) renderPayment(w http.ResponseWriter, r *http.Request, status int, a *tenant.Authority, acc *payment.Account, f *adminForm) {
	s.renderPaymentChecked(w, r, status, a, acc, f, nil)
}

// paymentCheck is the outcome of "Verbindung testen".
type paymentCheck struct {
	OK      bool
	Message string
}

func (s *Server) renderPaymentChecked(w http.ResponseWriter, r *http.Request, status int, a *tenant.Authority, acc *payment.Account, f *adminForm, check *paymentCheck) {
	sc := staffOf(r.Context())
	s.render(w, r, status, "admin_payment", s.staffPage(r, sc, map[string]any{"Title": "Bezahldienst", "Form": f, "Errors": f.Errors,
		"Authority": a, "Kinds": kindOptions(f.value("art")), "HasCertificate": acc != nil && len(acc.Certificate) > 0,
		"HasAccount": acc != nil, "Check": check, "Saved": r.URL.Query().Get("gespeichert") != ""}))
}

// checkPaymentAccount asks the provider whether the stored account is
// valid (XBezahldienste GET status/{originatorId}/{endPointId}) and shows
// the page with the outcome: "Verbindung testen".
func (s *Server) checkPaymentAccount(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	a, acc, err := s.authorityAccount(r)
	if err != nil {
		return err
	}
	check := &paymentCheck{}
	switch {
	case acc == nil:
		check.Message = "Für diese Behörde ist kein Bezahldienst gespeichert."
	case s.deps.Payments == nil || s.deps.Payments.NewProvider == nil:
		check.Message = "Die Online-Zahlung ist in dieser Installation nicht eingerichtet."
	default:
		p, err := s.deps.Payments.NewProvider(acc)
		if err == nil {
			err = p.Check(r.Context())
		}
		check.OK = err == nil
		check.Message = "Der Bezahldienst hat die Zugangsdaten, originatorId und endpointId angenommen."
		if err != nil {
			check.Message = "Der Bezahldienst hat die Prüfung nicht bestanden: " + err.Error()
		}
		s.deps.Logger.Info("payment account checked", "tenant", sc.tenant.Slug, "kind", string(acc.Kind), "ok", check.OK)
	}
	s.renderPaymentChecked(w, r, http.StatusOK, a, acc, paymentForm(acc), check)
	return nil
}

// savePayment changes the account of one of the tenant's authorities.
func (s *Server) savePayment(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	a, old, err := s.authorityAccount(r)
	if err != nil {
		return err
	}
	if err := parseAdminForm(r); err != nil {
		return err
	}
	f := paymentForm(old)
	f.fill(r)
	acc := accountFromForm(f, old)
	if acc != nil && len(f.Errors) == 0 && s.deps.Payments != nil && s.deps.Payments.NewProvider != nil {
		// What the client needs for the kind (the certificate, the client
		// secret, the password) must be there before the account is used.
		if _, err := s.deps.Payments.NewProvider(acc); err != nil {
			f.fail("art", "Der Zugang ist so nicht nutzbar: "+err.Error())
		}
	}
	if len(f.Errors) > 0 {
		for _, id := range []string{"zertifikatspasswort", "clientsecret", "passwort"} {
			f.Fields[id].Value = "" // never sent back
		}
		s.renderPayment(w, r, http.StatusBadRequest, a, old, f)
		return nil
	}
	if fields := accountChanges(old, acc); len(fields) > 0 {
		ev := s.auditEvent(r, tenant.ObjectPayment, a.ID, auditChanged, changeDetail("Bezahldienst der Behörde „"+a.Name+"“", fields))
		if acc == nil {
			ev.Action, ev.Detail = auditRemoved, "Bezahldienst der Behörde „"+a.Name+"“ entfernt"
		}
		if err := s.deps.Store.SetPaymentAccount(r.Context(), sc.tenant.ID, a.ID, acc, ev); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/intern/admin/behoerden/"+a.ID+"/bezahldienst?gespeichert=1", http.StatusSeeOther)
	return nil
}

// accountFromForm reads the form into an account based on old (secrets
// left empty stay); nil for "kein Bezahldienst". Problems are marked on
// their fields.
func accountFromForm(f *adminForm, old *payment.Account) *payment.Account {
	if f.value("art") == "" {
		return nil
	}
	acc := &payment.Account{}
	if old != nil {
		*acc = *old
	}
	acc.Kind = payment.Kind(f.value("art"))
	acc.BaseURL, acc.OriginatorID, acc.EndpointID = f.value("basis"), f.value("originator"), f.value("endpoint")
	acc.TokenURL, acc.ClientID, acc.Username = f.value("tokenurl"), f.value("clientid"), f.value("benutzer")
	for id, p := range map[string]*string{"zertifikatspasswort": &acc.CertificatePassword, "clientsecret": &acc.ClientSecret, "passwort": &acc.Password} {
		if v := f.value(id); v != "" {
			*p = v
		}
	}
	acc.BookingData = nil
	if text := f.value("buchungsdaten"); text != "" {
		dec := json.NewDecoder(strings.NewReader(text))
		if err := dec.Decode(&acc.BookingData); err != nil || dec.More() {
			f.fail("buchungsdaten", `Bitte geben Sie die Buchungsdaten als JSON-Objekt wie im Beispiel ein: {"position": {"Schlüssel": "Wert"}}.`)
			return acc
		}
	}
	switch {
	case !slices.Contains(payment.Kinds, acc.Kind):
		f.fail("art", "Bitte wählen Sie einen der Bezahldienste.")
	case acc.BaseURL == "":
		f.fail("basis", "Bitte geben Sie die Basis-URL des Bezahldienstes ein.")
	case acc.OriginatorID == "":
		f.fail("originator", "Bitte geben Sie die originatorId ein.")
	case acc.EndpointID == "":
		f.fail("endpoint", "Bitte geben Sie die endpointId ein.")
	default:
		if err := payment.ValidateAccount(acc); err != nil {
			msg := strings.ReplaceAll(err.Error(), ": "+apperr.Invalid.Error(), "") + "."
			switch {
			case strings.HasPrefix(msg, "Basis-URL"):
				f.fail("basis", msg)
			case strings.HasPrefix(msg, "Token-URL"):
				f.fail("tokenurl", msg)
			case strings.HasPrefix(msg, "originatorId"):
				f.fail("originator", msg)
			case strings.HasPrefix(msg, "endpointId"):
				f.fail("endpoint", msg)
			case strings.HasPrefix(msg, "Benutzername"):
				f.fail("benutzer", msg)
			case strings.HasPrefix(msg, "Client-ID"):
				f.fail("clientid", msg)
			default:
				f.fail("buchungsdaten", msg)
			}
		}
	}
	return acc
}

// accountChanges names what differs between two accounts, for the audit
// trail: secrets only by name ("neu gesetzt"), never their values.
func accountChanges(old, acc *payment.Account) []string {
	if old == nil && acc == nil {
		return nil
	}
	o, n := payment.Account{}, payment.Account{}
	if old != nil {
		o = *old
	}
	if acc != nil {
		n = *acc
	}
	out := changed("Art", string(o.Kind), string(n.Kind), "Basis-URL", o.BaseURL, n.BaseURL,
		"originatorId", o.OriginatorID, n.OriginatorID, "endpointId", o.EndpointID, n.EndpointID,
		"Token-URL", o.TokenURL, n.TokenURL, "Client-ID", o.ClientID, n.ClientID, "Benutzername", o.Username, n.Username)
	for _, sc := range []struct{ name, a, b string }{
		{"Zertifikatspasswort", o.CertificatePassword, n.CertificatePassword},
		{"Client-Secret", o.ClientSecret, n.ClientSecret}, {"Passwort", o.Password, n.Password},
	} {
		if sc.a != sc.b {
			out = append(out, sc.name+" (neu gesetzt)")
		}
	}
	if !maps.EqualFunc(o.BookingData, n.BookingData, maps.Equal) {
		out = append(out, "Buchungsdaten")
	}
	return out
}
