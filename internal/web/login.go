package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
)

// The caseworker login. account.Logins checks it: throttled per name and
// client, per client and per name, with a bounded number of password
// checks at once; a browser that has logged in to the account before
// shows it with the known-device cookie and passes the per-name limit.

// deviceCookie is the known-device cookie's name. It is sent only to the
// login (its path), never read by script, and not sent cross-site.
const deviceCookie = "antrag_geraet"

// sessionVersionKey is the session's record of the account's
// SessionVersion at login; requireStaff ends a session whose record
// differs.
const sessionVersionKey = "sessionVersion"

// newLogins returns the login checker of a server whose Deps give none:
// its keys come from a random key, so that throttle buckets and known
// devices last only as long as the process.
func newLogins(st account.Store, logger *slog.Logger) *account.Logins {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails
	keys, err := account.DeriveKeys(key)
	if err != nil {
		panic(err) // a 32-byte key always derives
	}
	return account.NewLogins(st, keys, account.LoginsConfig{Logger: logger})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "login", map[string]any{"Title": "Anmeldung", "Providers": s.staffLoginButtons(r)})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	name := strings.TrimSpace(r.PostForm.Get("benutzername"))
	a := account.Attempt{Username: name, Password: r.PostForm.Get("passwort"), Client: clientAddr(r, s.cfg.TrustedProxies)}
	if c, err := r.Cookie(deviceCookie); err == nil {
		a.Device = c.Value
	}
	ok, err := s.logins.Login(r.Context(), a, s.now())
	refuse := func(status int, msg string) error {
		s.render(w, r, status, "login", map[string]any{"Title": "Anmeldung", "Username": name,
			"Errors": []errLink{{Href: "#benutzername", Message: msg}}})
		return nil
	}
	var refused *account.Refused
	switch {
	case errors.As(err, &refused):
		w.Header().Set("Retry-After", strconv.Itoa(int(refused.RetryAfter/time.Second)))
		if refused.Busy {
			return refuse(http.StatusServiceUnavailable,
				"Die Anmeldung ist gerade ausgelastet. Bitte versuchen Sie es in einigen Sekunden erneut.")
		}
		return refuse(http.StatusTooManyRequests, fmt.Sprintf(
			"Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in %s erneut.", waitFor(refused.RetryAfter)))
	case errors.Is(err, account.ErrLoginFailed):
		return refuse(http.StatusUnauthorized, "Benutzername oder Passwort ist falsch.")
	case err != nil:
		return err
	}
	// With a second factor, the known-device cookie is set only once the
	// code was right (loginCode).
	if answered, err := s.secondFactor(w, r, ok.User, name, ok.Device); answered || err != nil {
		return err
	}
	s.setDeviceCookie(w, ok.Device)
	return s.startStaffSession(w, r, ok.User)
}

// setDeviceCookie sets the known-device cookie to a value from
// account.Logins.Login.
func (s *Server) setDeviceCookie(w http.ResponseWriter, device string) {
	if device == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: device, Path: "/intern/anmelden",
		MaxAge: int(account.KnownDeviceLifetime / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: strings.HasPrefix(s.cfg.BaseURL, "https://")})
}

// waitFor writes a wait for staff: "30 Sekunden", "1 Minute", "3 Minuten".
func waitFor(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d Sekunden", max(1, int(d/time.Second)))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 Minute"
	}
	return fmt.Sprintf("%d Minuten", m)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Sessions.Destroy(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/intern/anmelden", http.StatusSeeOther)
	return nil
}
