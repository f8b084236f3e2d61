package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/prefill"
	"github.com/antrag/antrag/internal/submission"
)

// Prefill: a logged-in citizen's draft gets the values the login proved
// (package prefill) in its empty fields, when it is started and whenever
// a step is shown, so that a draft begun before logging in is filled too.
// What the citizen typed is never overwritten.
//
// Draft.Proved lists the paths whose value is the identity's: while the
// citizen is logged in, every value equal to the identity's; otherwise the
// stored list, less each path whose value changes. A proved value of a
// field with vorbefuellung "verpflichtend" is locked: the page shows it
// read-only and the server keeps it whatever is posted.

// prefillPlan returns what the logged-in citizen's identity gives f's
// fields, nil when nobody is logged in.
func (s *Server) prefillPlan(r *http.Request, f *journey.Form) []prefill.Target {
	return prefill.Plan(f.Schema, s.citizen(r))
}

// prefillDraft fills d's empty fields from targets and sets d.Proved; it
// reports whether any field was filled.
func prefillDraft(d *submission.Draft, targets []prefill.Target) bool {
	if len(targets) == 0 {
		return false
	}
	filled := prefill.Fill(d.Data, targets)
	d.Proved = prefill.Proved(d.Data, targets)
	return len(filled) > 0
}

// prefillShown fills the draft of a shown step and saves it when that
// changed anything. A draft saved meanwhile by another request is left
// as it is: the next page fills it.
func (s *Server) prefillShown(r *http.Request, dc *draftCtx, targets []prefill.Target) error {
	if !prefillDraft(dc.draft, targets) {
		return nil
	}
	dc.draft.UpdatedAt = s.now()
	dc.draft.ExpiresAt = s.now().Add(s.cfg.DraftTTL)
	err := s.deps.Store.SaveDraft(r.Context(), dc.draft)
	if errors.Is(err, apperr.Conflict) {
		fresh, ferr := s.deps.Store.DraftByToken(r.Context(), dc.tenant.ID, tokenHash(dc.token), s.now())
		if ferr != nil {
			return ferr
		}
		dc.draft = fresh
		return nil
	}
	return err
}

// provedPaths returns the paths shown as proved and the locked ones
// among them, with their values.
func provedPaths(dc *draftCtx, targets []prefill.Target) (proved map[string]bool, locked map[string]any) {
	proved, locked = map[string]bool{}, map[string]any{}
	if targets != nil {
		for _, p := range prefill.Proved(dc.draft.Data, targets) {
			proved[p] = true
		}
		return proved, prefill.Locked(dc.draft.Data, targets)
	}
	// Logged out: the stored list, locked by the schema.
	for _, p := range dc.draft.Proved {
		path := form.ParsePath(p)
		v := form.ValueAt(dc.draft.Data, path)
		if v == nil {
			continue
		}
		proved[p] = true
		if e := dc.form.Schema.ElementAt(path); e != nil && e.Vorbefuellung == "verpflichtend" {
			locked[p] = v
		}
	}
	return proved, locked
}

// markProved marks the view's fields that hold proved values.
func markProved(items []*journey.Item, proved map[string]bool, locked map[string]any) {
	for _, it := range items {
		if it.Kind == "field" && proved[it.Name] {
			it.Proved = true
			_, it.Locked = locked[it.Name]
		}
		markProved(it.Children, proved, locked)
	}
}

// keepLocked replaces what a post says for locked fields with their
// values: the server ignores changes to them.
func keepLocked(f *journey.Form, st *journey.Step, doc map[string]any, vals url.Values, locked map[string]any) {
	if len(locked) == 0 {
		return
	}
	enc, _ := f.FormValues(st, doc)
	for name := range locked {
		for k := range vals {
			if k == name || strings.HasPrefix(k, name+".") {
				vals.Del(k)
			}
		}
		for k, v := range enc {
			if k == name || strings.HasPrefix(k, name+".") {
				vals[k] = v
			}
		}
	}
}

// keptProved returns the paths of old that hold the same value in after
// as in before: an edit removes a path from the proved ones.
func keptProved(old []string, before, after map[string]any) []string {
	var out []string
	for _, p := range old {
		path := form.ParsePath(p)
		b, a := form.ValueAt(before, path), form.ValueAt(after, path)
		if b != nil && a != nil && prefill.Same(a, b) {
			out = append(out, p)
		}
	}
	return out
}
