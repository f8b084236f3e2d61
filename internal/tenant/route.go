package tenant

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

// RouteStore is what Locate reads: the jurisdictions of a service across
// all tenants, the postcode table and area names (reference data), and
// authorities.
type RouteStore interface {
	// ServiceJurisdictions lists the jurisdictions for the service of
	// every tenant.
	ServiceJurisdictions(ctx context.Context, serviceID string) ([]*Jurisdiction, error)
	// Municipalities returns the Gemeinden a postcode covers, narrowed to
	// the street where the table knows it (area.Lookup); an unknown
	// postcode is apperr.NotFound or none.
	Municipalities(ctx context.Context, postcode, street string) ([]area.Area, error)
	// AreaName returns the name of an area, "" when unknown.
	AreaName(ctx context.Context, ars string) (string, error)
	Authority(ctx context.Context, tenantID, id string) (*Authority, error)
}

// Destination is what the FIT-Connect Routing API names for a place: a
// destination whose signature has been verified.
type Destination struct {
	ID   string // FIT-Connect destination UUID
	Name string // the authority's name as the route gives it
}

// RouteFinder asks the FIT-Connect Routing API for the destination
// responsible for a service (LeiKa key) in a place (ARS). A route that
// does not exist is apperr.NotFound.
type RouteFinder interface {
	FindDestination(ctx context.Context, leikaKey, ars string) (*Destination, error)
}

// Query is where an applicant says they live: a Gemeinde's ARS, or a
// postcode with an optional street. With both, the ARS must be one of the
// postcode's Gemeinden.
type Query struct {
	ARS      string `json:"ars,omitempty"`
	Postcode string `json:"postcode,omitempty"`
	Street   string `json:"street,omitempty"`
}

var gemeindeRE = regexp.MustCompile(`^\d{12}$`)

// ErrNotResponsible is Locate's error when no authority is responsible for
// the place (apperr.NotFound).
var ErrNotResponsible = fmt.Errorf("für diesen Ort ist keine Behörde zuständig: %w", apperr.NotFound)

// Locate finds the authority responsible for an application for svc at
// the place q names:
//  1. the place: the ARS given, or the Gemeinde of the postcode (and
//     street). A postcode that spans several Gemeinden returns them as
//     choices (sorted as the store lists them) and no routing: the
//     applicant picks one and asks again with its ARS and the postcode.
//  2. the most specific jurisdiction covering the place (Responsible);
//  3. without one, when viaFITConnect is set (the service delivers
//     "via FIT-Connect routing") and finder is not nil, the destination the
//     FIT-Connect Routing API names for the LeiKa key and the ARS; the
//     submission then stays with the service's tenant.
//
// Errors: a malformed or unknown place is apperr.Invalid with a German
// message for the applicant; no responsible authority ErrNotResponsible;
// the Routing API's errors as they come (apperr.Unavailable when down).
func Locate(ctx context.Context, st RouteStore, finder RouteFinder, svc *Service, viaFITConnect bool, q Query, now time.Time) (*Routing, []area.Area, error) {
	place, choices, err := placeOf(ctx, st, q)
	if err != nil || len(choices) > 0 {
		return nil, choices, err
	}
	rt := &Routing{ServiceID: svc.ID, Place: *place, At: now}
	js, err := st.ServiceJurisdictions(ctx, svc.ID)
	if err != nil {
		return nil, nil, err
	}
	j, err := Responsible(js, *place)
	switch {
	case err == nil:
		a, err := st.Authority(ctx, j.TenantID, j.AuthorityID)
		if err != nil {
			return nil, nil, err
		}
		rt.TenantID, rt.AuthorityID, rt.AuthorityName, rt.JurisdictionID = j.TenantID, a.ID, a.Name, j.ID
		rt.Rule, rt.Source = j.Rule(), j.Source
		if rt.AreaName, err = st.AreaName(ctx, j.ARS); err != nil {
			return nil, nil, err
		}
		return rt, nil, nil
	case !errors.Is(err, apperr.NotFound):
		return nil, nil, err
	case !viaFITConnect || finder == nil || svc.Leistungsschluessel == "":
		return nil, nil, ErrNotResponsible
	}
	d, err := finder.FindDestination(ctx, svc.Leistungsschluessel, place.ARS)
	if errors.Is(err, apperr.NotFound) {
		return nil, nil, ErrNotResponsible
	}
	if err != nil {
		return nil, nil, err
	}
	rt.TenantID, rt.AuthorityName, rt.DestinationID = svc.TenantID, d.Name, d.ID
	rt.Rule = "Leistungsschlüssel " + svc.Leistungsschluessel + " und Regionalschlüssel " + place.ARS
	rt.Source = "FIT-Connect-Routing-API (Portalverbund Online-Gateway, signierter Zustellpunkt)"
	rt.AreaName = place.Name
	return rt, nil, nil
}

// placeOf resolves the query to a Gemeinde, or to the Gemeinden to choose
// from.
func placeOf(ctx context.Context, st RouteStore, q Query) (*Place, []area.Area, error) {
	if q.Postcode != "" && !postcodeRE.MatchString(q.Postcode) {
		return nil, nil, fmt.Errorf("Bitte geben Sie eine Postleitzahl aus fünf Ziffern an: %w", apperr.Invalid)
	}
	if len([]rune(q.Street)) > 100 {
		return nil, nil, fmt.Errorf("Der Straßenname ist zu lang: %w", apperr.Invalid)
	}
	if hasControl(q.Street) {
		return nil, nil, fmt.Errorf("Der Straßenname enthält Steuerzeichen: %w", apperr.Invalid)
	}
	if q.ARS != "" && (!gemeindeRE.MatchString(q.ARS) || laender[q.ARS[:2]] == "") {
		return nil, nil, fmt.Errorf("Der Gemeindeschlüssel %q ist kein Regionalschlüssel einer Gemeinde (12 Ziffern): %w", q.ARS, apperr.Invalid)
	}
	if q.Postcode == "" {
		if q.ARS == "" {
			return nil, nil, fmt.Errorf("Bitte geben Sie Ihre Postleitzahl an: %w", apperr.Invalid)
		}
		name, err := st.AreaName(ctx, q.ARS)
		if err != nil {
			return nil, nil, err
		}
		return &Place{ARS: q.ARS, Name: name}, nil, nil
	}
	ms, err := st.Municipalities(ctx, q.Postcode, q.Street)
	if err != nil && !errors.Is(err, apperr.NotFound) {
		return nil, nil, err
	}
	if len(ms) == 0 {
		return nil, nil, fmt.Errorf("Zur Postleitzahl %s ist uns keine Gemeinde bekannt. Bitte prüfen Sie die Postleitzahl: %w", q.Postcode, apperr.Invalid)
	}
	if q.ARS != "" {
		for _, m := range ms {
			if m.ARS == q.ARS {
				return &Place{ARS: m.ARS, Name: m.Name, Postcode: q.Postcode, Street: q.Street}, nil, nil
			}
		}
		return nil, nil, fmt.Errorf("Die gewählte Gemeinde gehört nicht zur Postleitzahl %s: %w", q.Postcode, apperr.Invalid)
	}
	if len(ms) > 1 {
		return nil, ms, nil
	}
	return &Place{ARS: ms[0].ARS, Name: ms[0].Name, Postcode: q.Postcode, Street: q.Street}, nil, nil
}

// hasControl reports whether s holds a control or formatting character
// (Unicode Cc, Cf: also the bidirectional overrides), which no name of a
// street, place or parameter needs.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}
