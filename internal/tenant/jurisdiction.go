package tenant

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

// Jurisdiction says that an authority of a tenant is responsible for a
// service in an area ("Einer für Alle": one service, many responsible
// authorities). The service may be the tenant's own or a shared service of
// another tenant.
//
// An area is an ARS prefix (Amtlicher Regionalschlüssel, Destatis: Land 2
// digits, Regierungsbezirk 3, Kreis 5, Gemeindeverband 9, Gemeinde 12),
// optionally refined by a postcode, and a postcode by a street. A place is
// in the area when its Gemeinde key starts with ARS and, where set, its
// postcode and street are the same.
type Jurisdiction struct {
	ID          string
	TenantID    string // the tenant of the authority
	ServiceID   string
	AuthorityID string
	ARS         string // 2, 3, 5, 9 or 12 digits
	Postcode    string // "" or 5 digits
	Street      string // "" or a street name (needs Postcode); compared as by area.NormalizeStreet
	// Source says where the entry comes from, for the explanation a citizen
	// can read ("Zuständigkeitskatalog des Landes", "Verwaltung"); no
	// personal data.
	Source    string
	CreatedAt time.Time
}

var postcodeRE = regexp.MustCompile(`^\d{5}$`)

// Validate checks the area: an ARS as for tenants, a postcode of five
// digits or none, a street only with a postcode and at most 100
// characters, and an authority. Errors wrap apperr.Invalid.
func (j *Jurisdiction) Validate() error {
	switch {
	case j.AuthorityID == "":
		return fmt.Errorf("Zuständigkeit ohne Behörde: %w", apperr.Invalid)
	case !arsRE.MatchString(j.ARS) || laender[j.ARS[:2]] == "":
		return fmt.Errorf("Gebiet %q: ein Regionalschlüssel (ARS) aus 2, 3, 5, 9 oder 12 Ziffern, beginnend mit einem Land 01 bis 16: %w", j.ARS, apperr.Invalid)
	case j.Postcode != "" && !postcodeRE.MatchString(j.Postcode):
		return fmt.Errorf("Postleitzahl %q: fünf Ziffern: %w", j.Postcode, apperr.Invalid)
	case j.Street != "" && j.Postcode == "":
		return fmt.Errorf("Straße %q ohne Postleitzahl: %w", j.Street, apperr.Invalid)
	case len([]rune(j.Street)) > 100 || len([]rune(j.Source)) > 200:
		return fmt.Errorf("Straße oder Quelle zu lang: %w", apperr.Invalid)
	case hasControl(j.Street) || hasControl(j.Source):
		return fmt.Errorf("Straße oder Quelle mit Steuerzeichen: %w", apperr.Invalid)
	}
	return nil
}

// StreetKey is the street as entries are compared (area.NormalizeStreet):
// two entries whose streets have the same key name the same area.
func (j *Jurisdiction) StreetKey() string { return area.NormalizeStreet(j.Street) }

// Covers reports whether the place lies in the jurisdiction's area.
func (j *Jurisdiction) Covers(p Place) bool {
	return strings.HasPrefix(p.ARS, j.ARS) &&
		(j.Postcode == "" || j.Postcode == p.Postcode) &&
		(j.Street == "" || area.NormalizeStreet(j.Street) == area.NormalizeStreet(p.Street))
}

// moreSpecific orders jurisdictions by how narrow their area is, the
// narrowest first: a street before a postcode before an ARS alone, and
// among equals the longer ARS (Gemeinde before Gemeindeverband before
// Kreis before Regierungsbezirk before Land).
func moreSpecific(a, b *Jurisdiction) int {
	rank := func(j *Jurisdiction) int {
		switch {
		case j.Street != "":
			return 2
		case j.Postcode != "":
			return 1
		}
		return 0
	}
	if c := cmp.Compare(rank(b), rank(a)); c != 0 {
		return c
	}
	return cmp.Compare(len(b.ARS), len(a.ARS))
}

// Responsible returns the jurisdiction that decides who is responsible for
// the place: of those that cover it, the most specific (a street before a
// postcode before the ARS alone; then the longest ARS). Two entries for
// the same area cannot exist (the store refuses them). None covering the
// place is apperr.NotFound.
func Responsible(js []*Jurisdiction, p Place) (*Jurisdiction, error) {
	var covering []*Jurisdiction
	for _, j := range js {
		if j.Covers(p) {
			covering = append(covering, j)
		}
	}
	if len(covering) == 0 {
		return nil, fmt.Errorf("keine Zuständigkeit für %s: %w", p.ARS, apperr.NotFound)
	}
	slices.SortStableFunc(covering, moreSpecific)
	return covering[0], nil
}

// Rule describes the area in German for the explanation page, e.g.
// "Gebiet 073395001 mit Postleitzahl 55270 und Straße Hauptstraße".
func (j *Jurisdiction) Rule() string {
	s := "Gebiet mit Regionalschlüssel " + j.ARS + " (" + LevelName(j.ARS) + ")"
	if j.Postcode != "" {
		s += ", Postleitzahl " + j.Postcode
	}
	if j.Street != "" {
		s += ", Straße " + j.Street
	}
	return s
}

// LevelName names the level of an ARS prefix by its length: Land,
// Regierungsbezirk, Kreis, Gemeindeverband or Gemeinde.
func LevelName(ars string) string {
	switch len(ars) {
	case 2:
		return "Land"
	case 3:
		return "Regierungsbezirk"
	case 5:
		return "Kreis"
	case 9:
		return "Gemeindeverband"
	case 12:
		return "Gemeinde"
	}
	return "Gebiet"
}

// Place is where an application is made for: a Gemeinde (12-digit ARS),
// and the postcode and street when the applicant gave them.
type Place struct {
	ARS      string `json:"ars"`
	Name     string `json:"name,omitempty"` // the Gemeinde's name, if known
	Postcode string `json:"postcode,omitempty"`
	Street   string `json:"street,omitempty"`
}

// Routing is the result of finding the authority responsible for an
// application: stored with the draft and the submission, it decides the
// authority shown, the inbox the submission reaches and its delivery
// targets, and it is what the explanation page shows.
type Routing struct {
	ServiceID string `json:"serviceId"`
	Place     Place  `json:"place"`
	// TenantID and AuthorityID are the responsible antrag authority, ""
	// when the FIT-Connect Routing API named a destination instead.
	TenantID    string `json:"tenantId,omitempty"`
	AuthorityID string `json:"authorityId,omitempty"`
	// AuthorityName is the authority's name as shown to the applicant.
	AuthorityName string `json:"authorityName"`
	// JurisdictionID is the jurisdiction entry that decided, "" for the
	// Routing API.
	JurisdictionID string `json:"jurisdictionId,omitempty"`
	AreaName       string `json:"areaName,omitempty"` // the area's name, if known
	Rule           string `json:"rule"`               // what decided, in German
	Source         string `json:"source"`             // where the rule comes from, in German
	// DestinationID is the FIT-Connect destination the Routing API named
	// (its signature verified), "" otherwise.
	DestinationID string    `json:"destinationId,omitempty"`
	At            time.Time `json:"at"`
}
