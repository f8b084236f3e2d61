package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
)

// The second login step of local accounts: after the password, a TOTP code
// (RFC 6238) from the authenticator app, for accounts that have one
// (`antrag user totp`). Between the two steps the session holds only who
// passed the password and when; the staff session starts after the code.
// Wrong codes count against the same throttle as wrong passwords.

// secondFactorTTL is how long the code may take after the password.
const secondFactorTTL = 5 * time.Minute

// Session keys of the pending second step.
const (
	sessTOTPUser   = "totpUserID"
	sessTOTPTenant = "totpTenantID"
	sessTOTPName   = "totpUsername"
	sessTOTPSince  = "totpSince"
	sessTOTPDevice = "totpDevice" // the known-device cookie to set once the code is right
)

// secondFactor is called by the login after a right password. It reports
// whether it has answered the request: with the code page when the account
// has a TOTP secret, or with a refusal when Config.RequireTOTP is set and
// the account has none. Otherwise the caller starts the session.
func (s *Server) secondFactor(w http.ResponseWriter, r *http.Request, u *account.User, typed, device string) (bool, error) {
	_, _, err := s.deps.Store.TOTPSecret(r.Context(), u.TenantID, u.ID)
	switch {
	case errors.Is(err, apperr.NotFound):
		if !s.cfg.RequireTOTP {
			return false, nil
		}
		s.render(w, r, http.StatusForbidden, "login", map[string]any{"Title": "Anmeldung", "Username": typed,
			"Errors": []errLink{{Href: "#benutzername", Message: "Für Ihr Konto ist kein zweiter Faktor eingerichtet. " +
				"Bitte wenden Sie sich an die Administration, damit sie ihn einrichtet."}}})
		return true, nil
	case err != nil:
		return true, err
	}
	// A new session id already here: the one the password was typed in
	// must not become the one that holds the login.
	if err := s.deps.Sessions.RenewToken(r.Context()); err != nil {
		return true, err
	}
	sm := s.deps.Sessions
	sm.Put(r.Context(), sessTOTPUser, u.ID)
	sm.Put(r.Context(), sessTOTPTenant, u.TenantID)
	sm.Put(r.Context(), sessTOTPName, typed)
	sm.Put(r.Context(), sessTOTPSince, s.now().Unix())
	sm.Put(r.Context(), sessTOTPDevice, device)
	s.render(w, r, http.StatusOK, "login_code", map[string]any{"Title": "Anmeldung: Sicherheitscode"})
	return true, nil
}

// loginCode checks the code of the second step.
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	ctx, sm := r.Context(), s.deps.Sessions
	uid, tid, name := sm.GetString(ctx, sessTOTPUser), sm.GetString(ctx, sessTOTPTenant), sm.GetString(ctx, sessTOTPName)
	since := time.Unix(sm.GetInt64(ctx, sessTOTPSince), 0)
	if uid == "" || s.now().Sub(since) > secondFactorTTL {
		s.clearSecondFactor(r)
		s.render(w, r, http.StatusUnauthorized, "login", map[string]any{"Title": "Anmeldung", "Errors": []errLink{{Href: "#benutzername",
			Message: "Die Anmeldung hat zu lange gedauert. Bitte melden Sie sich erneut mit Benutzername und Passwort an."}}})
		return nil
	}
	client := clientAddr(r, s.cfg.TrustedProxies)
	codeError := func(status int, msg string) error {
		s.render(w, r, status, "login_code", map[string]any{"Title": "Anmeldung: Sicherheitscode",
			"Errors": []errLink{{Href: "#code", Message: msg}}})
		return nil
	}
	// Each code takes an attempt of the name from this client before it
	// is checked, as a password does.
	var refused *account.Refused
	if err := s.logins.SecondFactor(ctx, name, client, s.now()); errors.As(err, &refused) {
		w.Header().Set("Retry-After", strconv.Itoa(int(refused.RetryAfter/time.Second)))
		return codeError(http.StatusTooManyRequests, fmt.Sprintf(
			"Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in %s erneut.", waitFor(refused.RetryAfter)))
	} else if err != nil {
		return err
	}
	secret, _, err := s.deps.Store.TOTPSecret(ctx, tid, uid)
	if err != nil {
		return err
	}
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	step, ok := account.MatchTOTP(secret, code, s.now())
	if ok {
		if ok, err = s.deps.Store.UseTOTPStep(ctx, tid, uid, step); err != nil {
			return err
		}
	}
	if !ok {
		s.deps.Logger.Info("staff login: wrong or reused TOTP code")
		return codeError(http.StatusUnauthorized, "Der Sicherheitscode ist falsch oder wurde schon verwendet. "+
			"Bitte geben Sie den aktuellen 6-stelligen Code aus Ihrer Authenticator-App ein.")
	}
	u, err := s.deps.Store.User(ctx, tid, uid)
	if err != nil {
		return err
	}
	if err := s.logins.SecondFactorPassed(ctx, name, client); err != nil {
		return err
	}
	device := sm.GetString(ctx, sessTOTPDevice)
	s.clearSecondFactor(r)
	s.setDeviceCookie(w, device)
	return s.startStaffSession(w, r, u)
}

func (s *Server) clearSecondFactor(r *http.Request) {
	for _, k := range []string{sessTOTPUser, sessTOTPTenant, sessTOTPName, sessTOTPSince, sessTOTPDevice} {
		s.deps.Sessions.Remove(r.Context(), k)
	}
}

// startStaffSession signs u in: a new session id (against fixation) that
// holds the user and tenant, then the inbox. Every way of logging in
// (password, password and code, the tenant's IdP) ends here.
func (s *Server) startStaffSession(w http.ResponseWriter, r *http.Request, u *account.User) error {
	if err := s.deps.Sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.deps.Sessions.Put(r.Context(), "userID", u.ID)
	s.deps.Sessions.Put(r.Context(), "tenantID", u.TenantID)
	s.deps.Sessions.Put(r.Context(), sessionVersionKey, u.SessionVersion)
	http.Redirect(w, r, "/intern/", http.StatusSeeOther)
	return nil
}
