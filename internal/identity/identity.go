// Package identity describes what a citizen's or a business's login
// proved: who (a pseudonymous subject and attributes), how (the method,
// e.g. eID or ELSTER) and how strongly (the Vertrauensniveau). The SAML
// service provider (identity/saml), the OIDC relying party (identity/oidc)
// and the development identity provider (identity/devidp) all produce an
// Identity; services, prefill and Schriftformersatz only read it.
//
// Levels follow the three Vertrauensniveaus of the TR-03107-1 / eIDAS
// vocabulary used by BundID (STORK-QAA-Level-1…4) and the Länder
// Servicekonten (http://eidas.europa.eu/LoA/low|substantial|high); each
// identity provider profile maps its own values to these (standards.md §4,
// §9 "Identity").
package identity

import (
	"fmt"
	"strings"
	"time"
)

// Level is a Vertrauensniveau. The zero value is LevelNone: no login.
type Level int

// Vertrauensniveaus, in increasing order.
const (
	LevelNone Level = iota
	Niedrig
	Substantiell
	Hoch
)

var levelNames = [...]string{"keins", "niedrig", "substantiell", "hoch"}

// String returns the German name: keins, niedrig, substantiell or hoch.
func (l Level) String() string {
	if l < LevelNone || l > Hoch {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel reads a level by its German name (case-insensitive; "" and
// "keins" are LevelNone).
func ParseLevel(s string) (Level, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return LevelNone, nil
	}
	for i, n := range levelNames {
		if s == n {
			return Level(i), nil
		}
	}
	return LevelNone, fmt.Errorf("Vertrauensniveau %q: erwartet keins, niedrig, substantiell oder hoch", s)
}

// Method is how the person authenticated, as the identity provider reports
// it.
type Method string

// Methods. Only MethodEID and MethodEIDAS are eID proofs in the sense of
// §3a Abs. 3 Nr. 1 VwVfG; an ELSTER certificate never is.
const (
	MethodUnknown  Method = ""
	MethodEID      Method = "eID"          // German ID card, eID card or eAT (§18 PAuswG, §12 eIDKG, §78 Abs. 5 AufenthG)
	MethodEIDAS    Method = "eIDAS"        // a notified foreign eID
	MethodElster   Method = "ELSTER"       // ELSTER certificate (also behind Mein Unternehmenskonto)
	MethodUsername Method = "Benutzername" // user name and password
)

// IsEID reports whether m is an eID proof.
func (m Method) IsEID() bool { return m == MethodEID || m == MethodEIDAS }

// Attribute keys of Identity.Attributes. Values are strings as the
// identity provider sent them, trimmed; Birthdate is YYYY-MM-DD.
const (
	AttrGivenName    = "givenName"
	AttrSurname      = "surname"
	AttrBirthName    = "birthName"
	AttrBirthdate    = "birthdate"
	AttrPlaceOfBirth = "placeOfBirth"
	AttrGender       = "gender"
	AttrNationality  = "nationality"
	AttrStreet       = "street" // street and house number (postalAddress)
	AttrPostalCode   = "postalCode"
	AttrLocality     = "locality"
	AttrCountry      = "country"
	AttrEmail        = "email"
	AttrPhone        = "phone"
	AttrTitle        = "title"
	AttrOrganisation = "organisation" // the business's name, for organisation accounts
)

// Identity is what one login proved.
type Identity struct {
	// Provider is the id of the identity provider profile used (e.g.
	// "bundid", "bundid-int", "devidp").
	Provider string
	// Issuer is the SAML IdP entity id or the OIDC issuer URL.
	Issuer string
	// Subject is the provider's stable pseudonym for the person (bPK2 for
	// BundID, sub for OIDC); it is not shown to anyone.
	Subject string
	// Level is the Vertrauensniveau mapped from RawLevel by the profile.
	Level Level
	// RawLevel is the level as the provider sent it (e.g.
	// "STORK-QAA-Level-3").
	RawLevel string
	// Method is how the person authenticated.
	Method Method
	// Organisation is set for business accounts (Mein Unternehmenskonto or
	// a broker's organisation flag).
	Organisation bool
	// AssertionID is the SAML assertion id or the OIDC ID token's jti (or
	// a hash of the token when it has none).
	AssertionID string
	// AuthnTime is when the person authenticated at the provider.
	AuthnTime time.Time
	// Attributes holds the person's data by the Attr* keys.
	Attributes map[string]string
}

// Attr returns an attribute or "".
func (id *Identity) Attr(key string) string {
	if id == nil {
		return ""
	}
	return id.Attributes[key]
}

// Evidence is the record of an identity proof given with an application:
// for Schriftformersatz (§3a Abs. 3 Nr. 1 VwVfG: a declaration in the
// authority's electronic form with an eID proof, standards.md §6 and §9)
// and for a service's minimum Vertrauensniveau. It holds no personal data:
// the person is identified by the provider's records of AssertionID.
type Evidence struct {
	// Schriftformersatz is set when the declaration replaces the written
	// form.
	Schriftformersatz bool   `json:"schriftformersatz"`
	Provider          string `json:"provider"` // profile id
	Issuer            string `json:"issuer"`   // IdP entity id or OIDC issuer
	Method            Method `json:"method"`
	Level             Level  `json:"level"`
	RawLevel          string `json:"rawLevel"`
	AssertionID       string `json:"assertionId"`
	// AuthnTime is when the person authenticated at the provider.
	AuthnTime time.Time `json:"authnTime"`
	// DeclaredAt is when the application was declared (sent).
	DeclaredAt time.Time `json:"declaredAt"`
	// DataSHA256 is the hex SHA-256 of the declared data (the canonical
	// JSON stored as the application).
	DataSHA256 string `json:"dataSha256"`
	// Proved are the data paths whose values the identity proved (filled
	// from it and not changed); Typed are the other answered paths.
	Proved []string `json:"proved,omitempty"`
	Typed  []string `json:"typed,omitempty"`
}
