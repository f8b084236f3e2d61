package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// Current prepares the service's current form version with its stored
// sources. A service without one is apperr.NotFound.
func Current(ctx context.Context, st Store, cat *fim.Catalog, tenantID string, svc *tenant.Service) (*tenant.FormVersion, *Candidate, error) {
	if svc.FormVersionID == "" {
		return nil, nil, fmt.Errorf("%w: Dienst %s hat noch keine Formularversion", apperr.NotFound, svc.Slug)
	}
	fv, err := st.FormVersion(ctx, tenantID, svc.FormVersionID)
	if err != nil {
		return nil, nil, err
	}
	src, err := DecodeSources(fv.RuleSources)
	if err != nil {
		return nil, nil, fmt.Errorf("Formularversion %d: %w", fv.Version, err)
	}
	c, err := Prepare(fv.XDF, fv.FIMID+".xml", cat, src)
	if err != nil {
		return nil, nil, fmt.Errorf("Formularversion %d: %w", fv.Version, err)
	}
	return fv, c, nil
}

// Change is a change of the corrections of a service's current form
// version, published as a new version with the same XDatenfelder file.
type Change struct {
	Set    []rules.Correction // added, each replacing a correction of the same Regel
	Remove []string           // Regeln whose correction goes: "R…" or "R…@version"
	// Acknowledge accepts Regeln that the change leaves unsupported; those
	// acknowledged for the current version stay acknowledged.
	Acknowledge Acknowledgement
	Actor       string // the operator, for the audit trail
	Note        string // for a removal; a correction carries its own Note
}

// sameRegel reports whether a correction is for the Regel id@version
// (an empty version on either side matches every version).
func sameRegel(c rules.Correction, id, version string) bool {
	return c.Rule == id && (c.Version == "" || version == "" || c.Version == version)
}

// Apply publishes a new form version of the tenant's own service: the
// current version's file and sources with ch applied. It returns the
// version it was made on and the new one. A correction that does not fit
// the schema wraps apperr.Invalid, a Regel to remove without a correction
// apperr.NotFound; unsupported Regeln left unacknowledged are an
// *UnacknowledgedError. Then nothing is published.
func Apply(ctx context.Context, st Store, cat *fim.Catalog, tenantID string, svc *tenant.Service, ch Change) (from, to *tenant.FormVersion, err error) {
	if strings.TrimSpace(ch.Actor) == "" {
		return nil, nil, fmt.Errorf("%w: ohne Namen der handelnden Person wird nichts geändert", apperr.Invalid)
	}
	if len(ch.Set) == 0 && len(ch.Remove) == 0 {
		return nil, nil, fmt.Errorf("%w: keine Änderung angegeben", apperr.Invalid)
	}
	from, cur, err := Current(ctx, st, cat, tenantID, svc)
	if err != nil {
		return nil, nil, err
	}
	next := rules.Sources{}
	if cur.Sources != nil {
		next.Translations = cur.Sources.Translations
		next.Corrections = slices.Clone(cur.Sources.Corrections)
	}
	var evs []*tenant.ServiceEvent
	for _, r := range ch.Remove {
		id, version, _ := strings.Cut(r, "@")
		n := len(next.Corrections)
		next.Corrections = slices.DeleteFunc(next.Corrections, func(c rules.Correction) bool { return sameRegel(c, id, version) })
		if len(next.Corrections) == n {
			return nil, nil, fmt.Errorf("%w: für Regel %s gibt es in Formularversion %d keine Korrektur", apperr.NotFound, r, from.Version)
		}
		evs = append(evs, &tenant.ServiceEvent{Actor: ch.Actor, Action: tenant.ActionCorrectionRemoved, Regel: r, FromVersionID: from.ID, Note: ch.Note})
	}
	for i, c := range ch.Set {
		if strings.TrimSpace(c.Rule) == "" {
			return nil, nil, fmt.Errorf("%w: Korrektur %d nennt keine Regel (\"rule\")", apperr.Invalid, i+1)
		}
		for _, o := range ch.Set[:i] {
			if sameRegel(o, c.Rule, c.Version) {
				return nil, nil, fmt.Errorf("%w: Regel %s wird zweimal korrigiert", apperr.Invalid, Key(c.Rule, c.Version))
			}
		}
		next.Corrections = slices.DeleteFunc(next.Corrections, func(o rules.Correction) bool { return sameRegel(o, c.Rule, c.Version) })
		next.Corrections = append(next.Corrections, c)
		regel := c.Rule
		if c.Version != "" {
			regel = Key(c.Rule, c.Version)
		}
		evs = append(evs, &tenant.ServiceEvent{Actor: ch.Actor, Action: tenant.ActionCorrectionSet, Regel: regel, FromVersionID: from.ID, Note: c.Note})
	}
	if len(next.Corrections) == 0 {
		next.Corrections = nil
	}
	cand, err := Prepare(from.XDF, from.FIMID+".xml", cat, &next)
	if err != nil {
		return nil, nil, err
	}
	acked, err := cand.Acknowledge(ch.Acknowledge, from.Acknowledged)
	if err != nil {
		return nil, nil, err
	}
	to, err = Publish(ctx, st, tenantID, svc.ID, cand, acked, evs...)
	if err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

// DecodeCorrections reads one correction (a JSON object) or a list of them,
// as rules.ParseCorrections does; its errors wrap apperr.Invalid.
func DecodeCorrections(b []byte) ([]rules.Correction, error) {
	list, err := rules.ParseCorrections(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Invalid, err)
	}
	return list, nil
}
