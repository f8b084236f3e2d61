package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/localtime"
)

// The staff session's end (WCAG 2.2, 2.2.1 Timing Adjustable): every
// caseworker page says when the session ends without further activity and
// offers to extend it with a form post that works without JavaScript;
// app/session.js warns some minutes before the end with the same form.

// sessionWarning is how long before the end app/session.js warns.
const sessionWarning = 5 * time.Minute

// sessionNotice is what a caseworker page says about the session.
type sessionNotice struct {
	// Ends is when the session ends without further activity: after the
	// idle timeout, at the latest at its absolute deadline.
	Ends time.Time
	// Extendable is false when the absolute deadline comes first: then
	// only a new login helps.
	Extendable bool
	// Extended is set on the page after an extension.
	Extended bool
	// Back is the page to return to after extending (its path and query).
	Back string
	// WarnSeconds is sessionWarning in seconds, for the script.
	WarnSeconds int
}

// EndsAt is Ends as staff read it (Europe/Berlin): "um 14:30 Uhr", or
// "am 08.12.2026 um 00:30 Uhr" when that is not today.
func (n *sessionNotice) EndsAt() string {
	end, now := n.Ends.In(localtime.Berlin), time.Now().In(localtime.Berlin)
	at := "um " + end.Format("15:04") + " Uhr"
	if end.Format(time.DateOnly) != now.Format(time.DateOnly) {
		at = "am " + end.Format("02.01.2006") + " " + at
	}
	return at
}

// RemainingSeconds is the time left at rendering, for the script (which
// counts from the page load, so that a wrong client clock does not
// matter).
func (n *sessionNotice) RemainingSeconds() int { return max(0, int(time.Until(n.Ends)/time.Second)) }

// staffPage adds to a caseworker page's data what every such page has: the
// tenant, the user and the session notice.
func (s *Server) staffPage(r *http.Request, sc *staffCtx, data map[string]any) map[string]any {
	data["Tenant"], data["Staff"] = sc.tenant, sc.user
	data["Session"] = s.sessionNotice(r)
	data["StaffAdmin"] = sc.access.Role == account.RoleAdmin
	return data
}

// sessionNotice computes the end of the current session. The session
// manager counts on the wall clock (time.Now), not on the server's clock
// for business dates, and so does this.
func (s *Server) sessionNotice(r *http.Request) *sessionNotice {
	sm := s.deps.Sessions
	ctx := r.Context()
	n := &sessionNotice{Ends: sm.Deadline(ctx), Back: r.URL.RequestURI(), WarnSeconds: int(sessionWarning / time.Second),
		Extended: sm.PopBool(ctx, "sessionExtended")}
	if sm.IdleTimeout > 0 {
		if idle := time.Now().Add(sm.IdleTimeout); idle.Before(n.Ends) {
			n.Ends, n.Extendable = idle, true
		}
	}
	return n
}

// extendSession refreshes the staff session (any request does, with an
// idle timeout; this one says so on the next page) and returns to the page
// the form was on.
func (s *Server) extendSession(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	s.deps.Sessions.Put(r.Context(), "sessionExtended", true)
	http.Redirect(w, r, localStaffPath(r.PostForm.Get("zurueck")), http.StatusSeeOther)
	return nil
}

// localStaffPath returns back when it is a path (with query) of the
// caseworker area on this host, else the inbox: the form field is client
// input and must not redirect elsewhere.
func localStaffPath(back string) string {
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(back, "/intern/") || strings.ContainsAny(back, "\\\r\n") {
		return "/intern/"
	}
	return u.RequestURI()
}
