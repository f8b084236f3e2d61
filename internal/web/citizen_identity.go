package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/tenant"
)

// A service's identity settings (tenant.Service.MinLevel and
// Schriftformersatz) in the citizen's journey:
//
//   - a service with a minimum Vertrauensniveau starts only for a citizen
//     logged in at that level; below it, the start and every step send the
//     citizen to the login page (/{tenant}/anmelden?dienst=…) with the
//     reason, and back to the page afterwards;
//   - a Schriftformersatz service takes the final declaration only from a
//     citizen logged in with an eID (identity.Method.IsEID) at
//     identity.Hoch; the submission then records the evidence
//     (identity.Evidence);
//   - drafts and submissions made while logged in carry the citizen's
//     owner key (identity.OwnerKeys), listed in the citizen's own area
//     (/{tenant}/mein-konto).
//
// The JSON API has no citizen login: it refuses the submissions of a
// service that needs one (403).

// ownerOf returns the owner key of the logged-in citizen, or "".
func (s *Server) ownerOf(id *identity.Identity) string {
	if id == nil {
		return ""
	}
	key, err := s.deps.OwnerKeys.OwnerKey(id)
	if err != nil {
		return ""
	}
	return key
}

// loginPath is the login page that asks for level for service svc and
// returns to back.
func loginPath(t *tenant.Tenant, svc *tenant.Service, level identity.Level, back string) string {
	q := url.Values{"zurueck": {back}}
	if level > identity.LevelNone {
		q.Set("niveau", level.String())
	}
	if svc != nil {
		q.Set("dienst", svc.Slug)
	}
	return "/" + t.Slug + "/anmelden?" + q.Encode()
}

// levelMet reports whether the citizen may use svc's journey: logged in at
// its MinLevel (always, for a service without one).
func levelMet(svc *tenant.Service, id *identity.Identity) bool {
	if svc.MinLevel <= identity.LevelNone {
		return true
	}
	return id != nil && id.Level >= svc.MinLevel
}

// schriftformProblem is why the citizen's login cannot replace the written
// form for svc, in German; "" when it can or svc needs no
// Schriftformersatz.
func schriftformProblem(svc *tenant.Service, id *identity.Identity) string {
	switch {
	case !svc.Schriftformersatz:
		return ""
	case id == nil:
		return "Dieser Antrag ersetzt die Schriftform. Zum Absenden ist eine Anmeldung mit dem Online-Ausweis (eID) auf dem Vertrauensniveau „hoch“ nötig."
	case id.Method == identity.MethodElster:
		return "Sie sind mit einem ELSTER-Zertifikat angemeldet. Es ersetzt die Schriftform nicht (§ 3a Abs. 3 VwVfG verlangt einen elektronischen Identitätsnachweis). Bitte melden Sie sich mit dem Online-Ausweis (eID) an."
	case !id.Method.IsEID():
		return "Ihre Anmeldung erfolgte nicht mit dem Online-Ausweis (eID). Dieser Antrag ersetzt die Schriftform; zum Absenden melden Sie sich bitte mit dem Online-Ausweis an."
	case id.Level < identity.Hoch:
		return fmt.Sprintf("Ihre Anmeldung hat das Vertrauensniveau „%s“. Dieser Antrag ersetzt die Schriftform; zum Absenden ist das Vertrauensniveau „hoch“ nötig.", id.Level)
	}
	return ""
}

// guardDraft checks the draft's service settings for the request's
// citizen before a step, the summary or the submit: below the level it
// redirects to the login and returns false. For a service that needs a
// login (a level or Schriftformersatz), a draft started by another
// logged-in citizen is Forbidden. A logged-in citizen becomes the owner of an anonymous draft
// (kept with the next save).
func (s *Server) guardDraft(w http.ResponseWriter, r *http.Request, dc *draftCtx) (bool, error) {
	id := s.citizen(r)
	owner := s.ownerOf(id)
	if dc.draft.Owner != "" && dc.svc.RequiredLevel() > identity.LevelNone && owner != "" && owner != dc.draft.Owner {
		return false, &publicError{title: "Nicht Ihr Antrag", err: fmt.Errorf("draft of another citizen: %w", apperr.Forbidden),
			text: "Dieser Antrag wurde von einer anderen angemeldeten Person begonnen. Bitte melden Sie sich ab oder beginnen Sie einen eigenen Antrag."}
	}
	if !levelMet(dc.svc, id) || (dc.draft.Owner != "" && dc.svc.MinLevel > identity.LevelNone && owner == "") {
		http.Redirect(w, r, loginPath(dc.tenant, dc.svc, dc.svc.MinLevel, r.URL.RequestURI()), http.StatusSeeOther)
		return false, nil
	}
	if owner != "" && dc.draft.Owner == "" {
		dc.draft.Owner = owner
	}
	if dc.draft.Owner != "" && dc.draft.Owner == owner {
		dc.draft.Token = dc.token
	}
	return true, nil
}

// evidenceFor is the evidence the submission of dc with data records, or
// nil for an anonymous citizen.
func (s *Server) evidenceFor(r *http.Request, dc *draftCtx, data []byte) (*identity.Evidence, error) {
	id := s.citizen(r)
	if id == nil {
		return nil, nil
	}
	return identity.NewEvidence(id, dc.svc.Schriftformersatz, s.now(), data, dc.draft.Proved)
}

// apiIdentityRefusal is the JSON API's answer for a service that needs a
// citizen login, or nil.
func apiIdentityRefusal(svc *tenant.Service) error {
	need := svc.RequiredLevel()
	if need <= identity.LevelNone {
		return nil
	}
	text := fmt.Sprintf("Dieser Dienst verlangt eine Anmeldung mit einem Nutzerkonto auf dem Vertrauensniveau „%s“. Die JSON-API hat keine Bürgeranmeldung; bitte stellen Sie den Antrag im Online-Formular.", need)
	if svc.Schriftformersatz {
		text = "Dieser Dienst ersetzt die Schriftform und verlangt eine Anmeldung mit dem Online-Ausweis (eID) auf dem Vertrauensniveau „hoch“. Die JSON-API hat keine Bürgeranmeldung; bitte stellen Sie den Antrag im Online-Formular."
	}
	return &publicError{title: "Anmeldung erforderlich", text: text, err: fmt.Errorf("service needs level %s: %w", need, apperr.Forbidden)}
}

// areaLimit is how many drafts and submissions the citizen's area lists.
const areaLimit = 100

// citizenArea shows the logged-in citizen's drafts and submissions of the
// tenant; without a login it sends to the login page.
func (s *Server) citizenArea(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenantOf(r)
	if err != nil {
		return err
	}
	id := s.citizen(r)
	owner := s.ownerOf(id)
	if owner == "" {
		http.Redirect(w, r, loginPath(t, nil, identity.LevelNone, "/"+t.Slug+"/mein-konto"), http.StatusSeeOther)
		return nil
	}
	drafts, err := s.deps.Store.OwnerDrafts(r.Context(), t.ID, owner, s.now(), areaLimit)
	if err != nil {
		return err
	}
	subs, err := s.deps.Store.OwnerSubmissions(r.Context(), t.ID, owner, areaLimit)
	if err != nil {
		return err
	}
	names := map[string]string{}
	name := func(serviceID string) string {
		if n, ok := names[serviceID]; ok {
			return n
		}
		n := "Unbekannter Dienst"
		if svc, err := s.deps.Store.Service(r.Context(), t.ID, serviceID); err == nil {
			n = svc.Name
		}
		names[serviceID] = n
		return n
	}
	type draftRow struct {
		Service, Link    string
		Updated, Expires time.Time
	}
	type subRow struct {
		Reference, Service, Status string
		Submitted                  time.Time
		Schriftformersatz          bool
	}
	var dr []draftRow
	for _, d := range drafts {
		row := draftRow{Service: name(d.ServiceID), Updated: d.UpdatedAt, Expires: d.ExpiresAt}
		if d.Token != "" {
			row.Link = draftBase(t, d.Token)
		}
		dr = append(dr, row)
	}
	var sr []subRow
	for _, sub := range subs {
		sr = append(sr, subRow{Reference: sub.Reference, Service: name(sub.ServiceID), Submitted: sub.SubmittedAt,
			Status: sub.Status.Label(), Schriftformersatz: sub.Evidence != nil && sub.Evidence.Schriftformersatz})
	}
	s.render(w, r, http.StatusOK, "citizen_area", map[string]any{"Title": "Mein Konto", "Tenant": t, "Identity": id,
		"Drafts": dr, "Submissions": sr})
	return nil
}
