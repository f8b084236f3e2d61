package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/antrag/antrag/internal/identity"
)

// Sessions is where a login waits between its two requests: the browser's
// session (*scs.SessionManager satisfies it).
type Sessions interface {
	Put(ctx context.Context, key string, val any)
	PopString(ctx context.Context, key string) string
}

// Flow runs logins over HTTP for a set of relying parties: Start sends the
// browser to the provider, Callback completes the login and hands the
// result to Done. The caller routes the two requests and decides where
// the identity is kept.
type Flow struct {
	// RPs are the relying parties by profile id.
	RPs map[string]*RP
	// Sessions keeps the pending login (under SessionKey).
	Sessions Sessions
	// RedirectURL returns the callback URL of a profile for a request: the
	// address registered at the provider.
	RedirectURL func(r *http.Request, profileID string) string
}

// SessionKey is the session key of a pending login.
const SessionKey = "oidcPending"

// pendingWithReturn is what the session holds between the requests.
type pendingWithReturn struct {
	Pending
	Return string `json:"return"`
}

// ErrUnknownProfile is Start's and Callback's error for a profile id that
// is not configured.
var ErrUnknownProfile = errors.New("oidc: unknown profile")

// Start begins a login with the profile at the minimum level and
// redirects the browser to the provider. ret is where the caller wants to
// go after the login (Callback returns it; the caller must have checked
// that it is a local path).
func (f *Flow) Start(w http.ResponseWriter, r *http.Request, profileID string, min identity.Level, ret string) error {
	rp, ok := f.RPs[profileID]
	if !ok {
		return ErrUnknownProfile
	}
	authURL, pd, err := rp.Begin(r.Context(), f.RedirectURL(r, profileID), min)
	if err != nil {
		return err
	}
	b, err := json.Marshal(pendingWithReturn{Pending: *pd, Return: ret})
	if err != nil {
		return err
	}
	f.Sessions.Put(r.Context(), SessionKey, string(b))
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

// Callback completes the login at the provider's redirect: it takes the
// pending login out of the session (so that it is used once) and returns
// the identity and the return path given to Start. Errors are those of
// Finish, ErrState when no login is pending, or ErrUnknownProfile. For
// ErrLevel the identity is returned too.
func (f *Flow) Callback(r *http.Request, profileID string) (*identity.Identity, string, error) {
	rp, ok := f.RPs[profileID]
	if !ok {
		return nil, "", ErrUnknownProfile
	}
	raw := f.Sessions.PopString(r.Context(), SessionKey)
	var p pendingWithReturn
	if raw == "" || json.Unmarshal([]byte(raw), &p) != nil {
		return nil, "", ErrState
	}
	id, err := rp.Finish(r.Context(), &p.Pending, r.URL.Query())
	return id, p.Return, err
}
