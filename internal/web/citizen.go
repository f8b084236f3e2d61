package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/prefill"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// The citizen's pages. A draft is addressed by its secret token in the URL
// (/{tenant}/antrag/{token}/…): the URL is the resume link, so losing a
// browser session loses nothing (case C12), and no cookie is needed.

// portal is the start page "/": the catalogue of the tenant whose own host
// name the request is for (tenant.Tenant.Host), else the list of all
// tenants.
func (s *Server) portal(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenantByHost(r)
	switch {
	case err == nil:
		return s.showCatalogue(w, r, t)
	case !errors.Is(err, apperr.NotFound):
		return err
	}
	ts, err := s.deps.Store.ListTenants(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "portal", map[string]any{"Title": "Online-Dienste", "Tenants": ts})
	return nil
}

func (s *Server) tenantOf(r *http.Request) (*tenant.Tenant, error) {
	return s.deps.Store.TenantBySlug(r.Context(), r.PathValue("tenant"))
}

func (s *Server) catalogue(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tenantOf(r)
	if err != nil {
		return err
	}
	return s.showCatalogue(w, r, t)
}

// showCatalogue lists the tenant's published services.
func (s *Server) showCatalogue(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) error {
	svcs, err := s.deps.Store.ListServices(r.Context(), t.ID)
	if err != nil {
		return err
	}
	var offered []*tenant.Service
	for _, svc := range svcs {
		if svc.FormVersionID != "" {
			offered = append(offered, svc)
		}
	}
	s.render(w, r, http.StatusOK, "catalogue", map[string]any{"Title": "Online-Dienste", "Tenant": t, "Services": offered})
	return nil
}

// authorityFor returns the authority that receives applications for svc
// made in tenant t: the service's own for the owner; for a shared service
// used in another tenant, that tenant's first authority (jurisdiction
// routing can refine this).
func (s *Server) authorityFor(r *http.Request, t *tenant.Tenant, svc *tenant.Service) (*tenant.Authority, error) {
	if svc.TenantID == t.ID {
		return s.deps.Store.Authority(r.Context(), t.ID, svc.AuthorityID)
	}
	as, err := s.deps.Store.ListAuthorities(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("%s hat keine Behörde: %w", t.Slug, apperr.NotFound)
	}
	return as[0], nil
}

// serviceOf returns the tenant and the published service a request's path
// names (/{tenant}/dienste/{service}).
func (s *Server) serviceOf(r *http.Request) (*tenant.Tenant, *tenant.Service, error) {
	t, err := s.tenantOf(r)
	if err != nil {
		return nil, nil, err
	}
	svc, err := s.deps.Store.ServiceBySlug(r.Context(), t.ID, r.PathValue("service"))
	if err != nil {
		return nil, nil, err
	}
	if svc.FormVersionID == "" {
		return nil, nil, fmt.Errorf("Dienst %s ohne Formular: %w", svc.Slug, apperr.NotFound)
	}
	return t, svc, nil
}

func (s *Server) startPage(w http.ResponseWriter, r *http.Request) error {
	t, svc, err := s.serviceOf(r)
	if err != nil {
		return err
	}
	var st startState
	if tok := r.URL.Query().Get("ort"); tok != "" {
		if rt, err := s.openPlace(tok, t, svc); err == nil {
			st.Routing, st.Ort = rt, tok
		} else {
			st.Problem = "Ihre Ortsangabe ist abgelaufen oder gilt nicht für diese Behörde. Bitte geben Sie Ihre Postleitzahl erneut an."
		}
	}
	return s.renderStart(w, r, http.StatusOK, t, svc, st)
}

// startState is what the start page shows of routing (routing.go): the
// place form with what was typed, a problem with it, the Gemeinden of a
// postcode to choose from, that no authority is responsible, or the
// routing result with its sealed token.
type startState struct {
	Place          placeForm
	Problem        string
	Choices        []area.Area
	NotResponsible bool
	Routing        *tenant.Routing
	Ort            string
	// FromAccount marks a place taken from the logged-in citizen's
	// account (postal address), for the applicant to confirm.
	FromAccount bool
}

func (s *Server) renderStart(w http.ResponseWriter, r *http.Request, status int, t *tenant.Tenant, svc *tenant.Service, st startState) error {
	f, _, err := s.form(r.Context(), t.ID, svc, svc.FormVersionID)
	if err != nil {
		return err
	}
	routed, _, err := s.routingOf(r.Context(), svc)
	if err != nil {
		return err
	}
	if routed && st.Routing == nil && st.Place == (placeForm{}) {
		st.Place, st.FromAccount = placeOfAccount(s.citizen(r))
	}
	var auth *tenant.Authority
	switch {
	case st.Routing != nil:
		if auth, err = s.routedAuthority(r.Context(), t, st.Routing); err != nil {
			return err
		}
	case !routed:
		if auth, err = s.authorityFor(r, t, svc); err != nil {
			return err
		}
	}
	needs, fields := needsOf(f)
	// The steps an empty application shows; answers may add more (an
	// optional group given, a branch chosen, a rule).
	state, clean := f.Rules.Evaluate(map[string]any{}, rules.Context{Today: s.now(), Bundesland: t.Bundesland()})
	_, steps := f.Position(0, clean, state)
	back := r.URL.Path
	if st.Ort != "" {
		back += "?ort=" + url.QueryEscape(st.Ort)
	}
	data := map[string]any{
		"Title": svc.Name, "Tenant": t, "Service": svc, "Needs": needs,
		"Steps": steps, "MoreSteps": steps < len(f.Steps), "Minutes": max(5, (fields+3)/4),
		"LevelMet": levelMet(svc, s.citizen(r)), "LoginPath": loginPath(t, svc, svc.MinLevel, back),
		"Routed": routed, "Start": st, "CanStart": !routed || st.Routing != nil,
	}
	if auth != nil {
		data["Authority"] = auth
	}
	fee, err := s.feeOf(r.Context(), t, svc, auth)
	if err != nil {
		return err
	}
	data["Fee"] = feeLines(fee)
	if st.Problem != "" {
		data["Title"] = "Fehler: " + svc.Name
	}
	s.render(w, r, status, "start", data)
	return nil
}

// needsOf lists what a citizen should have at hand, and counts the fields.
func needsOf(f *journey.Form) ([]string, int) {
	needs := []string{"Angaben zu Ihrer Person und Ihrer Anschrift"}
	var files []string
	fields := 0
	f.Schema.Walk(func(_ form.Path, c *form.Child) bool {
		e := c.Element
		if e.Kind == form.KindField && e.Feldart != form.FeldartLabel {
			fields++
			if e.Datentyp.Attachment() {
				files = append(files, e.Label())
			}
		}
		return true
	})
	if len(files) > 0 {
		needs = append(needs, "Nachweise zum Hochladen (PDF, JPEG oder PNG), je nach Ihren Angaben: "+strings.Join(dedupe(files), ", "))
	}
	return needs, fields
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) startDraft(w http.ResponseWriter, r *http.Request) error {
	t, svc, err := s.serviceOf(r)
	if err != nil {
		return err
	}
	id := s.citizen(r)
	start := "/" + t.Slug + "/dienste/" + svc.Slug
	if !levelMet(svc, id) {
		http.Redirect(w, r, loginPath(t, svc, svc.MinLevel, start), http.StatusSeeOther)
		return nil
	}
	// A routed service starts only with the routing result for this
	// tenant; without one (or an expired one), the start page asks again.
	routed, _, err := s.routingOf(r.Context(), svc)
	if err != nil {
		return err
	}
	var rt *tenant.Routing
	if routed {
		if rt, err = s.openPlace(r.PostFormValue("ort"), t, svc); err != nil {
			http.Redirect(w, r, start, http.StatusSeeOther)
			return nil
		}
	}
	token, hash := newToken()
	now := s.now()
	d := &submission.Draft{TenantID: t.ID, ServiceID: svc.ID, FormVersionID: svc.FormVersionID, TokenHash: hash,
		Data: map[string]any{}, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.cfg.DraftTTL), Routing: rt}
	if id != nil {
		f, _, err := s.form(r.Context(), t.ID, svc, svc.FormVersionID)
		if err != nil {
			return err
		}
		prefillDraft(d, s.prefillPlan(r, f))
	}
	if d.Owner = s.ownerOf(id); d.Owner != "" {
		d.Token = token
	}
	if err := s.deps.Store.CreateDraft(r.Context(), d); err != nil {
		return err
	}
	http.Redirect(w, r, draftBase(t, token)+"/schritt/1", http.StatusSeeOther)
	return nil
}

// newToken returns a resume token (32 random bytes, base64url) and the
// SHA-256 the store keeps.
func newToken() (string, []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(tok))
	return tok, h[:]
}

func tokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

func draftBase(t *tenant.Tenant, token string) string { return "/" + t.Slug + "/antrag/" + token }

// draftCtx is everything a draft page needs.
type draftCtx struct {
	tenant *tenant.Tenant
	svc    *tenant.Service
	draft  *submission.Draft
	form   *journey.Form
	fv     *tenant.FormVersion
	rules  rules.Context
	base   string
	token  string
	// authority receives the application: the routed one, else the
	// service's (authorityFor).
	authority *tenant.Authority
}

// draftAuthority is the authority an application with the routing result
// rt (nil: not routed) goes to.
func (s *Server) draftAuthority(r *http.Request, t *tenant.Tenant, svc *tenant.Service, rt *tenant.Routing) (*tenant.Authority, error) {
	if a, err := s.routedAuthority(r.Context(), t, rt); a != nil || err != nil {
		return a, err
	}
	return s.authorityFor(r, t, svc)
}

// loadDraft resolves the tenant, the draft by its token, its service and the
// form version it started with. An unknown or expired token is NotFound.
func (s *Server) loadDraft(r *http.Request) (*draftCtx, error) {
	t, err := s.tenantOf(r)
	if err != nil {
		return nil, err
	}
	tok := r.PathValue("token")
	if len(tok) != 43 {
		return nil, fmt.Errorf("Link ungültig: %w", apperr.NotFound)
	}
	d, err := s.deps.Store.DraftByToken(r.Context(), t.ID, tokenHash(tok), s.now())
	if errors.Is(err, apperr.NotFound) {
		return nil, &publicError{title: "Antrag nicht gefunden", err: err, text: fmt.Sprintf(
			"Zu diesem Link gibt es keinen Antrag (mehr). Nicht abgesendete Anträge werden %s nach der letzten Änderung gelöscht. Bitte beginnen Sie den Antrag neu.",
			germanDuration(s.cfg.DraftTTL))}
	}
	if err != nil {
		return nil, err
	}
	svc, err := s.deps.Store.Service(r.Context(), t.ID, d.ServiceID)
	if err != nil {
		return nil, err
	}
	f, fv, err := s.form(r.Context(), t.ID, svc, d.FormVersionID)
	if err != nil {
		return nil, err
	}
	auth, err := s.draftAuthority(r, t, svc, d.Routing)
	if err != nil {
		return nil, err
	}
	return &draftCtx{tenant: t, svc: svc, draft: d, form: f, fv: fv, token: tok, base: draftBase(t, tok), authority: auth,
		rules: rules.Context{Today: s.now(), Bundesland: t.Bundesland(), Years: s.cfg.Years}}, nil
}

// draftHandler serves a request on a draft that has not been sent.
type draftHandler func(w http.ResponseWriter, r *http.Request, dc *draftCtx) error

// unsent loads the draft of the request for h; a draft already sent
// redirects to its confirmation instead (Back after sending, a second tab).
func (s *Server) unsent(h draftHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		dc, err := s.loadDraft(r)
		if err != nil {
			return err
		}
		if dc.draft.SubmissionID != "" {
			http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
			return nil
		}
		if ok, err := s.guardDraft(w, r, dc); !ok {
			return err
		}
		return h(w, r, dc)
	}
}

// resume sends a resume link to where the citizen left off.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, dc *draftCtx) error {
	http.Redirect(w, r, fmt.Sprintf("%s/schritt/%d", dc.base, min(dc.draft.Step, len(dc.form.Steps)-1)+1), http.StatusSeeOther)
	return nil
}

func (dc *draftCtx) step(r *http.Request) (*journey.Step, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > len(dc.form.Steps) {
		return nil, fmt.Errorf("Schritt %q: %w", r.PathValue("n"), apperr.NotFound)
	}
	return dc.form.Steps[n-1], nil
}

func (s *Server) showStep(w http.ResponseWriter, r *http.Request, dc *draftCtx) error {
	st, err := dc.step(r)
	if err != nil {
		return err
	}
	if err := s.prefillShown(r, dc, s.prefillPlan(r, dc.form)); err != nil {
		return err
	}
	state, clean := s.evals.evaluate(dc.form.Rules, dc.draft, dc.rules)
	msg := ""
	if r.URL.Query().Get("gespeichert") != "" {
		msg = "Ihre Angaben wurden gespeichert."
	}
	if !dc.form.StepVisible(st, clean, state) {
		// The answers so far hide this step: go on to the next that shows.
		if next := dc.form.Next(st.Index, clean, state); next >= 0 {
			http.Redirect(w, r, fmt.Sprintf("%s/schritt/%d", dc.base, next+1), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, dc.base+"/pruefen", http.StatusSeeOther)
		}
		return nil
	}
	var raw map[string]string
	if ch := st.Choice; ch != nil && !ch.Alternatives() && dc.draft.Step > st.Index && len(ch.Given(clean)) == 0 {
		// Back on an optional group's choice the citizen answered before
		// without giving the group: that was "keine Angaben".
		raw = map[string]string{ch.Input(): "nein"}
	}
	v := dc.form.BuildView(st, clean, state, raw, nil)
	v.RulesJSON = s.evals.clientRules(dc.form, st, dc.draft, dc.rules)
	s.renderStep(w, r, http.StatusOK, dc, st, v, clean, state, msg)
	return nil
}

func (s *Server) renderStep(w http.ResponseWriter, r *http.Request, status int, dc *draftCtx, st *journey.Step, v *journey.View, doc map[string]any, state *rules.State, saved string) {
	var notes []string
	for _, n := range st.Notes {
		if t := strings.TrimSpace(n.Element.Inhalt); t != "" {
			notes = append(notes, t)
		} else {
			notes = append(notes, n.Element.Label())
		}
	}
	// The page title names the step's own heading; for a part of a split
	// group also the group ("Anschrift – Person").
	title := st.Heading()
	if st.Subtitle != "" {
		title += " – " + st.Title
	}
	if len(v.Problems) > 0 {
		title = "Fehler: " + title
	}
	var links []errLink
	for _, p := range v.Problems {
		links = append(links, errLink{Href: "#" + p.Path, Message: p.Message})
	}
	proved, locked := provedPaths(dc, s.prefillPlan(r, dc.form))
	markProved(v.Items, proved, locked)
	n, total := dc.form.Position(st.Index, doc, state)
	s.renderStepPage(w, r, status, &stepPage{
		Title: title, Tenant: dc.tenant, Service: dc.svc, View: v, Problems: links,
		Number: n, Total: total, Last: dc.form.Next(st.Index, doc, state) < 0 && st.Choice == nil, // what follows a choice depends on it
		Action: dc.base + "/schritt/" + strconv.Itoa(st.Index+1), Scripts: v.RulesJSON != "",
		Notes: notes, Saved: saved, Citizen: s.citizen(r), Files: hasFileInput(v.Items),
		PageLinks: s.pageLinksFor(r, map[string]any{"Tenant": dc.tenant, "Service": dc.svc, "Authority": dc.authority}),
	})
}

func (s *Server) postStep(w http.ResponseWriter, r *http.Request, dc *draftCtx) error {
	st, err := dc.step(r)
	if err != nil {
		return err
	}
	in, err := s.readStepPost(w, r, dc, st)
	if err != nil {
		return err
	}
	act := journey.ParseAction(in.values.Get("aktion"))
	targets := s.prefillPlan(r, dc.form)
	_, locked := provedPaths(dc, targets)
	keepLocked(dc.form, st, dc.draft.Data, in.values, locked)
	// Apply the post to the draft as stored. If another request (a second
	// tab) saved it meanwhile, read it again and apply the post to that,
	// so that neither request's answers are lost.
	var post *journey.Post
	for attempt := 1; ; attempt++ {
		post = dc.form.ParseStep(st, dc.draft.Data, in.values, act, in.uploads, in.problems, dc.rules)
		if targets != nil {
			dc.draft.Proved = prefill.Proved(post.Data, targets)
		} else {
			dc.draft.Proved = keptProved(dc.draft.Proved, dc.draft.Data, post.Data)
		}
		dc.draft.Data = post.Data
		dc.draft.Step = max(dc.draft.Step, st.Index)
		dc.draft.UpdatedAt = s.now()
		dc.draft.ExpiresAt = s.now().Add(s.cfg.DraftTTL)
		err := s.deps.Store.SaveDraft(r.Context(), dc.draft)
		if err == nil {
			break
		}
		if !errors.Is(err, apperr.Conflict) || attempt == 5 {
			return err
		}
		fresh, ferr := s.deps.Store.DraftByToken(r.Context(), dc.tenant.ID, tokenHash(dc.token), s.now())
		if ferr != nil {
			return ferr
		}
		if fresh.SubmissionID != "" { // sent from another tab meanwhile
			http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
			return nil
		}
		if !errors.Is(err, submission.ErrDraftChanged) {
			return err
		}
		dc.draft = fresh
	}
	// What the post evaluated is the evaluation of the revision saved
	// (Evaluate of its own clean data is the same): the page shown next
	// need not evaluate again.
	s.evals.remember(dc.draft, dc.rules, post.State, post.Data)
	for _, id := range post.Removed {
		s.removeAttachment(r, dc, id)
	}
	if len(post.Problems) > 0 {
		v := dc.form.BuildView(st, post.Data, post.State, post.Raw, post.Problems)
		v.RulesJSON = dc.form.ClientRules(st, post.Data, post.State)
		s.renderStep(w, r, http.StatusUnprocessableEntity, dc, st, v, post.Data, post.State, "")
		return nil
	}
	switch act.Kind {
	case "weiter":
		if next := dc.form.Next(st.Index, post.Data, post.State); next >= 0 {
			http.Redirect(w, r, fmt.Sprintf("%s/schritt/%d", dc.base, next+1), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, dc.base+"/pruefen", http.StatusSeeOther)
		}
	case "zurueck":
		if prev := dc.form.Prev(st.Index, post.Data, post.State); prev >= 0 {
			http.Redirect(w, r, fmt.Sprintf("%s/schritt/%d", dc.base, prev+1), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, "/"+dc.tenant.Slug+"/dienste/"+dc.svc.Slug, http.StatusSeeOther)
		}
	case "speichern":
		http.Redirect(w, r, dc.base+"/fortsetzen", http.StatusSeeOther)
	default:
		anchor := ""
		if act.Kind == "add" {
			anchor = "#" + journey.BoxID(act.Path)
		}
		http.Redirect(w, r, fmt.Sprintf("%s/schritt/%d?gespeichert=1%s", dc.base, st.Index+1, anchor), http.StatusSeeOther)
	}
	return nil
}

// removeAttachment deletes an attachment of this draft and its bytes.
func (s *Server) removeAttachment(r *http.Request, dc *draftCtx, id string) {
	a, err := s.deps.Store.Attachment(r.Context(), dc.tenant.ID, id)
	if err != nil || a.DraftID != dc.draft.ID {
		return
	}
	key, err := s.deps.Store.DeleteAttachment(r.Context(), dc.tenant.ID, id)
	if err != nil {
		s.deps.Logger.Warn("attachment not deleted", "error", err.Error())
		return
	}
	if err := s.deps.Blobs.Delete(r.Context(), key); err != nil {
		s.deps.Logger.Warn("attachment content not deleted", "error", err.Error())
	}
}

func (s *Server) resumePage(w http.ResponseWriter, r *http.Request) error {
	dc, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if dc.draft.SubmissionID != "" {
		// Sent meanwhile (another tab, or the link saved earlier): there
		// is nothing to continue; the confirmation says it was sent.
		http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
		return nil
	}
	link := strings.TrimRight(s.cfg.BaseURL, "/") + dc.base
	s.render(w, r, http.StatusOK, "resume", map[string]any{
		"Title": "Später fortsetzen", "Tenant": dc.tenant, "Service": dc.svc, "Authority": dc.authority, "Link": link,
		"ExpiresAt": dc.draft.ExpiresAt, "Continue": dc.base,
	})
	return nil
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request, dc *draftCtx) error {
	return s.renderSummary(w, r, http.StatusOK, dc, nil)
}

func (s *Server) renderSummary(w http.ResponseWriter, r *http.Request, status int, dc *draftCtx, problems form.Problems) error {
	return s.renderSummaryWith(w, r, status, dc, problems, "")
}

// renderSummaryWith shows the summary; refused is why the declaration was
// refused (Schriftformersatz), "" if it was not.
func (s *Server) renderSummaryWith(w http.ResponseWriter, r *http.Request, status int, dc *draftCtx, problems form.Problems, refused string) error {
	state, clean := s.evals.evaluate(dc.form.Rules, dc.draft, dc.rules)
	auth := dc.authority
	// Problems link to the field on the step that holds them: to the
	// element that takes focus there, as the step's own error summary does.
	var links []errLink
	for _, p := range problems {
		l := errLink{Href: dc.base + "/schritt/1", Message: p.Message}
		for _, st := range dc.form.Steps {
			if st.Contains(p.Path) && dc.form.StepVisible(st, clean, state) {
				anchor := journey.BoxID(form.ParsePath(p.Path))
				if v := dc.form.BuildView(st, clean, state, nil, form.Problems{p}); len(v.Problems) > 0 {
					anchor = v.Problems[0].Path
				}
				l.Href = fmt.Sprintf("%s/schritt/%d#%s", dc.base, st.Index+1, anchor)
				n, _ := dc.form.Position(st.Index, clean, state)
				l.Message = fmt.Sprintf("Schritt %d (%s): %s", n, st.Heading(), p.Message)
				break
			}
		}
		links = append(links, l)
	}
	bill, err := s.billOf(r.Context(), dc.tenant, dc.svc, auth, clean)
	if err != nil {
		return err
	}
	title := "Angaben prüfen – " + dc.svc.Name
	if len(links) > 0 {
		title = "Fehler: " + title
	}
	var open []errLink
	if problems == nil {
		open = openSteps(dc, clean, state)
	}
	s.render(w, r, status, "summary", map[string]any{
		"Title": title, "Tenant": dc.tenant, "Service": dc.svc, "Base": dc.base, "Authority": auth,
		"Sections": dc.form.Answers(clean, state, false), "Problems": links, "Open": open,
		"Last":        lastVisible(dc.form, clean, state) + 1,
		"Schriftform": schriftformProblem(dc.svc, s.citizen(r)), "Refused": refused,
		"EIDLogin": loginPath(dc.tenant, dc.svc, identity.Hoch, dc.base+"/pruefen"),
		"Bill":     bill, "NoPayments": bill != nil && s.deps.Payments == nil && bill.Policy != payment.Deferred,
	})
	return nil
}

// openSteps lists the visible steps that still lack answers the
// application needs (a group given or a branch chosen later, a rule that
// now requires more), so that the summary says so before sending.
func openSteps(dc *draftCtx, clean map[string]any, state *rules.State) []errLink {
	var out []errLink
	for _, st := range dc.form.Steps {
		if dc.form.StepVisible(st, clean, state) && len(dc.form.ValidateStep(st, clean, state)) > 0 {
			n, _ := dc.form.Position(st.Index, clean, state)
			out = append(out, errLink{Href: fmt.Sprintf("%s/schritt/%d", dc.base, st.Index+1), Message: fmt.Sprintf("Schritt %d: %s", n, st.Heading())})
		}
	}
	return out
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, dc *draftCtx) error {
	problems, clean := dc.form.Rules.Validate(dc.draft.Data, dc.rules)
	if len(problems) > 0 {
		return s.renderSummary(w, r, http.StatusUnprocessableEntity, dc, problems)
	}
	if msg := schriftformProblem(dc.svc, s.citizen(r)); msg != "" {
		s.deps.Logger.Info("declaration refused: no eID login at level hoch", "tenant", dc.tenant.Slug, "service", dc.svc.Slug)
		return s.renderSummaryWith(w, r, http.StatusForbidden, dc, nil, msg)
	}
	sub := &submission.Submission{TenantID: dc.tenant.ID, ServiceID: dc.svc.ID, FormVersionID: dc.fv.ID, AuthorityID: dc.authority.ID,
		DraftID: dc.draft.ID, Owner: s.ownerOf(s.citizen(r)), Routing: dc.draft.Routing}
	ev := &submission.Event{TenantID: dc.tenant.ID, Actor: "Antragsteller", Action: "eingereicht", Detail: "über das Online-Formular"}
	if sub.Owner != "" {
		ev.Detail = "über das Online-Formular, angemeldet"
	}
	if data, err := form.MarshalData(clean); err == nil {
		if sub.Evidence, err = s.evidenceFor(r, dc, data); err != nil {
			return err
		}
	}
	bill, err := s.billOf(r.Context(), dc.tenant, dc.svc, dc.authority, clean)
	if err != nil {
		return err
	}
	sub.Bill, sub.Payment = bill, paymentChoice(bill, r)
	if sub.Payment == payment.Open && s.deps.Payments == nil {
		return errNoPayments
	}
	got, err := s.store(r, sub, ev, clean)
	if err != nil {
		return err
	}
	if got.Payment == payment.Open {
		return s.startPaying(w, r, dc.base, got)
	}
	http.Redirect(w, r, dc.base+"/bestaetigung", http.StatusSeeOther)
	return nil
}

func (s *Server) confirmation(w http.ResponseWriter, r *http.Request) error {
	dc, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if dc.draft.SubmissionID == "" {
		http.Redirect(w, r, dc.base+"/pruefen", http.StatusSeeOther)
		return nil
	}
	sub, err := s.deps.Store.Submission(r.Context(), dc.tenant.ID, dc.draft.SubmissionID)
	if err != nil {
		return err
	}
	auth, err := s.deps.Store.Authority(r.Context(), dc.tenant.ID, sub.AuthorityID)
	if err != nil {
		return err
	}
	dels, err := s.deps.Store.Deliveries(r.Context(), dc.tenant.ID, sub.ID)
	if err != nil {
		return err
	}
	transfer, reason := citizenTransfer(dels)
	// The status is the caseworkers' (antrag's inbox); an application
	// handed on to another system has only its transfer state here.
	showStatus := false
	for _, d := range dels {
		showStatus = showStatus || d.Target.Kind == delivery.Inbox
	}
	var pv *paymentView
	if sub.Bill != nil {
		as, err := s.deps.Store.Attempts(r.Context(), dc.tenant.ID, sub.ID)
		if err != nil {
			return err
		}
		pv = paymentViewOf(sub, as)
	}
	title := "Antrag eingegangen – " + dc.svc.Name
	if sub.Payment == payment.Open {
		title = "Antrag gespeichert, Zahlung ausstehend – " + dc.svc.Name
	}
	s.render(w, r, http.StatusOK, "confirmation", map[string]any{
		"Payment": pv, "Title": title, "Tenant": dc.tenant, "Service": dc.svc, "Submission": sub, "Authority": auth, "Base": dc.base,
		"Transfer": transfer, "Reason": reason, "ShowStatus": showStatus || len(dels) == 0,
	})
	return nil
}

// sentAnswers shows the citizen what was sent, as an HTML page with the
// content of the receipt PDF: a copy that assistive technology reads
// better than a PDF.
func (s *Server) sentAnswers(w http.ResponseWriter, r *http.Request) error {
	dc, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if dc.draft.SubmissionID == "" {
		return fmt.Errorf("noch nicht abgesendet: %w", apperr.NotFound)
	}
	sub, err := s.deps.Store.Submission(r.Context(), dc.tenant.ID, dc.draft.SubmissionID)
	if err != nil {
		return err
	}
	sc, err := s.sentCopyOf(r, dc.tenant, sub)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "sent", map[string]any{
		"Title": "Ihre übermittelten Angaben – " + sc.service.Name, "Tenant": dc.tenant, "Service": sc.service,
		"Submission": sub, "Authority": sc.authority, "Sections": sc.answers, "Base": dc.base,
		"Fee": sc.fee, "FeeFacts": sc.fee.Facts(localtime.Berlin), "Evidence": sub.Evidence.Rows(localtime.Berlin),
	})
	return nil
}

func (s *Server) citizenPDF(w http.ResponseWriter, r *http.Request) error {
	dc, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if dc.draft.SubmissionID == "" {
		return fmt.Errorf("noch nicht abgesendet: %w", apperr.NotFound)
	}
	sub, err := s.deps.Store.Submission(r.Context(), dc.tenant.ID, dc.draft.SubmissionID)
	if err != nil {
		return err
	}
	return s.writeReceipt(w, r, dc.tenant, sub)
}

func lastVisible(f *journey.Form, doc map[string]any, state *rules.State) int {
	return f.Prev(len(f.Steps), doc, state)
}

// errLink is an entry of an error summary.
type errLink struct{ Href, Message string }

// germanDuration writes a retention period for citizens: "30 Tage",
// "1 Tag", "12 Stunden", "1 Stunde", "45 Minuten" or "1 Minute".
func germanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d Tage", int(d.Hours()/24))
	case d >= 24*time.Hour:
		return "1 Tag"
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d Stunden", int(d.Hours()))
	case d >= time.Hour:
		return "1 Stunde"
	}
	if d < 2*time.Minute {
		return "1 Minute"
	}
	return fmt.Sprintf("%d Minuten", int(d.Minutes()))
}

// citizenTransfer summarises the deliveries of a submission for the
// citizen: where it stands on its way to the authority's systems, and the
// authority's reason if it refused it. E-mail notices are not counted.
func citizenTransfer(dels []*delivery.Delivery) (state, reason string) {
	pending, failed, accepted, rejected, n := 0, 0, 0, 0, 0
	for _, d := range dels {
		if d.Target.Kind == delivery.Email {
			continue
		}
		n++
		switch d.State {
		case delivery.Pending:
			pending++
		case delivery.Failed:
			failed++
		case delivery.Accepted:
			accepted++
		case delivery.Rejected:
			rejected++
			if reason == "" {
				reason = d.Reason
			}
		}
	}
	switch {
	case n == 0:
		return "", ""
	case rejected > 0:
		return "Die Behörde hat den Antrag nicht angenommen.", reason
	case pending > 0 || failed > 0:
		return "Der Antrag wird an die Behörde übermittelt.", ""
	case accepted > 0:
		return "Der Antrag wurde an die Behörde übermittelt und dort angenommen.", ""
	}
	return "Der Antrag wurde an die Behörde übermittelt.", ""
}
