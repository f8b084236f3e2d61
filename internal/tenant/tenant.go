// Package tenant models who offers online services: tenants (a Gemeinde,
// Landkreis or Land), their authorities (Behörden), the services they offer
// (identified by Leistungsschlüssel, LeiKa) and the immutable versions of
// each service's form.
//
// Every stored record belongs to a tenant, and every store method takes the
// tenant it acts for. A service may be shared ("Einer für Alle", EfA): it is
// then listed in every tenant's catalogue, while its owner keeps it.
package tenant

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/payment"
)

// Kind is the level of government a tenant is.
type Kind string

// Kinds.
const (
	Gemeinde  Kind = "gemeinde"  // a municipality (Stadt, Gemeinde)
	Landkreis Kind = "landkreis" // a district
	Land      Kind = "land"      // a federal state
)

// Tenant is a public body that uses antrag.
type Tenant struct {
	ID   string // UUID
	Slug string // URL path segment, e.g. "musterstadt": [a-z0-9-]{2,40}
	Name string // e.g. "Stadt Musterstadt"
	Kind Kind
	// ARS is the Amtlicher Regionalschlüssel (12 digits; its first two are
	// the Land), used for jurisdiction and Land-dependent rules.
	ARS string
	// Host is an optional host name that selects this tenant ("antrag.musterstadt.de").
	Host string
	// Pages are the tenant's Impressum, Datenschutzerklärung and Erklärung
	// zur Barrierefreiheit, as far as it sets them.
	Pages Pages
	// LogoURL is the portal's logo: an https address or a path under
	// /static/, "" for none (the tenant's name stands alone).
	LogoURL string
	// Colour is the portal's primary colour (#rrggbb), used for the
	// header and primary buttons within the KERN UX tokens; "" keeps
	// KERN's. It must contrast with white text at least 4.5:1 (WCAG 2.1,
	// 1.4.3).
	Colour    string
	CreatedAt time.Time
}

// Bundesland returns the two-letter code of the tenant's Land from the
// first two digits of its ARS, or "" if unknown (Destatis Länder keys).
func (t *Tenant) Bundesland() string {
	if len(t.ARS) < 2 {
		return ""
	}
	return laender[t.ARS[:2]]
}

var laender = map[string]string{
	"01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
	"09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}

// ReservedSlugs are the first path segments of antrag's own pages, which
// no tenant slug may take.
var ReservedSlugs = []string{"static", "api", "intern", "healthz", "readyz", "datenschutz", "barrierefreiheit", "impressum"}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
	arsRE  = regexp.MustCompile(`^(?:\d{2}|\d{3}|\d{5}|\d{9}|\d{12})$`)
	leiRE  = regexp.MustCompile(`^\d{14}$`)
)

// Validate checks what the store relies on: a slug of 2 to 40 characters
// a-z, 0-9 and "-" (not at either end) that is not reserved, a name, a
// known kind, and an ARS of 2, 3, 5, 9 or 12 digits (Land, Regierungsbezirk,
// Kreis, Gemeindeverband, Gemeinde; Destatis, Amtlicher
// Regionalschlüssel) beginning with a Land's key 01 to 16, or none. Errors
// wrap apperr.Invalid. Pages are checked as by Pages.Validate.
func (t *Tenant) Validate() error {
	switch {
	case len(t.Slug) < 2 || !slugRE.MatchString(t.Slug):
		return fmt.Errorf("Kurzname %q: 2 bis 40 Zeichen a-z, 0-9 und -: %w", t.Slug, apperr.Invalid)
	case slices.Contains(ReservedSlugs, t.Slug):
		return fmt.Errorf("Kurzname %q ist für antrag reserviert: %w", t.Slug, apperr.Invalid)
	case t.Name == "":
		return fmt.Errorf("Mandant ohne Namen: %w", apperr.Invalid)
	case t.Kind != Gemeinde && t.Kind != Landkreis && t.Kind != Land:
		return fmt.Errorf("Art %q: gemeinde, landkreis oder land: %w", t.Kind, apperr.Invalid)
	case t.ARS != "" && !arsRE.MatchString(t.ARS):
		return fmt.Errorf("ARS %q: 2, 3, 5, 9 oder 12 Ziffern: %w", t.ARS, apperr.Invalid)
	case t.ARS != "" && t.Bundesland() == "":
		return fmt.Errorf("ARS %q: die ersten zwei Ziffern sind kein Land (01 bis 16): %w", t.ARS, apperr.Invalid)
	}
	if t.Host != "" && !ValidHost(t.Host) {
		return fmt.Errorf("Hostname %q: ein Name wie antrag.musterstadt.de in Kleinbuchstaben, ohne Schema und Port: %w", t.Host, apperr.Invalid)
	}
	if err := checkBrand(t.LogoURL, t.Colour); err != nil {
		return err
	}
	return t.Pages.Validate()
}

// Authority is a Behörde of a tenant that receives applications.
type Authority struct {
	ID       string
	TenantID string
	Name     string   // e.g. "Bürgeramt Musterstadt"
	Address  []string // postal address lines
	Email    string   // contact address shown to citizens
	Phone    string   // contact number shown to citizens, "" for none
	// EfA are the parameters an EfA service reads for this authority
	// (FITKO, EfA-Parametrisierung: addresses, delivery channel, fees …), by
	// name; names are 1 to 64 characters a-z, A-Z, 0-9, ".", "_" and "-",
	// values at most 2,000 characters. They hold no personal data.
	EfA map[string]string
	// Pages are the authority's own Impressum, Datenschutzerklärung and
	// Erklärung zur Barrierefreiheit; each one set wins over the tenant's
	// on the pages of the services the authority receives.
	Pages Pages
}

// Service is an online service a tenant offers.
type Service struct {
	ID          string
	TenantID    string // owner
	Slug        string // URL path segment, unique per owner
	Name        string
	Description string
	// Leistungsschluessel is the LeiKa key (14 digits, 99…), if known.
	Leistungsschluessel string
	AuthorityID         string
	// Shared marks an EfA service: listed in every tenant's catalogue.
	Shared       bool
	FeeText      string // e.g. "Die Gebühr beträgt 30 Euro." ("" = no fee information)
	DurationText string // e.g. "etwa 15 Minuten"
	// FormVersionID is the current published version, "" before the first.
	FormVersionID string
	CreatedAt     time.Time
	// MinLevel is the Vertrauensniveau a citizen must have logged in with
	// to apply; identity.LevelNone lets anyone apply without a login.
	MinLevel identity.Level
	// Schriftformersatz marks a service whose application replaces the
	// written form (§3a Abs. 3 Nr. 1 VwVfG): the final declaration needs
	// an eID login at identity.Hoch.
	Schriftformersatz bool
	// Fee is what the service costs online (payment.Fee), nil for none;
	// an authority's own fee for the service wins (payment.Effective).
	Fee *payment.Fee
}

// RequiredLevel is the level a citizen needs to apply: MinLevel, and at
// least identity.Hoch for a Schriftformersatz service.
func (s *Service) RequiredLevel() identity.Level {
	if s.Schriftformersatz && s.MinLevel < identity.Hoch {
		return identity.Hoch
	}
	return s.MinLevel
}

// Validate checks the slug (as for tenants), the name, if set, the
// Leistungsschlüssel (14 digits, LeiKa), and the fee (payment.Fee.Validate).
// Errors wrap apperr.Invalid.
func (s *Service) Validate() error {
	switch {
	case len(s.Slug) < 2 || !slugRE.MatchString(s.Slug):
		return fmt.Errorf("Kurzname %q: 2 bis 40 Zeichen a-z, 0-9 und -: %w", s.Slug, apperr.Invalid)
	case s.Name == "":
		return fmt.Errorf("Dienst ohne Namen: %w", apperr.Invalid)
	case s.Leistungsschluessel != "" && !leiRE.MatchString(s.Leistungsschluessel):
		return fmt.Errorf("Leistungsschlüssel %q: 14 Ziffern: %w", s.Leistungsschluessel, apperr.Invalid)
	case s.MinLevel < identity.LevelNone || s.MinLevel > identity.Hoch:
		return fmt.Errorf("Vertrauensniveau %d: %w", int(s.MinLevel), apperr.Invalid)
	}
	if err := s.Fee.Validate(); err != nil {
		return fmt.Errorf("Gebühr: %w", err)
	}
	return nil
}

// FormVersion is one published, immutable version of a service's form.
// Drafts and submissions keep the version they started with.
type FormVersion struct {
	ID          string
	TenantID    string // owner of the service
	ServiceID   string
	Version     int    // 1, 2, … per service
	FIMID       string // Stammdatenschema id, e.g. S00000000371
	FIMVersion  string // e.g. 1.0.0
	Name        string // schema name at publication
	XDF         []byte // the XDatenfelder file exactly as imported
	PublishedAt time.Time
	// RuleSources is the JSON of the rules.Sources the version's Regeln
	// compile with (translated rules and operator corrections); nil or
	// "{}" for none. It holds no personal data.
	RuleSources []byte
	// Acknowledged lists the Regeln ("id@version") that stay unsupported in
	// this version and that the publisher accepted, sorted.
	Acknowledged []string
}

// Actions of the service audit trail (ServiceEvent.Action).
const (
	ActionPublished         = "veröffentlicht"     // a new XDatenfelder file
	ActionCorrectionSet     = "korrektur_gesetzt"  // a correction added or replaced
	ActionCorrectionRemoved = "korrektur_entfernt" // a correction removed
)

// ServiceEvent is one entry of a service's audit trail: who published a
// form version, and for what reason.
type ServiceEvent struct {
	ID        int64
	TenantID  string
	ServiceID string
	At        time.Time
	Actor     string // the operator's name
	Action    string // one of the Action constants
	// Regel is the id ("R…", with "@version" if given) a change concerned,
	// "" for a publication.
	Regel string
	// FromVersionID is the form version the change was made on ("" for a
	// service's first publication); ToVersionID the version it published.
	FromVersionID, ToVersionID string
	Note                       string // the operator's note; no personal data
}

// Store keeps tenants, authorities, services and form versions. Errors
// wrap apperr.NotFound and apperr.Conflict (a slug or host taken).
type Store interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	Tenant(ctx context.Context, id string) (*Tenant, error)
	TenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	TenantByHost(ctx context.Context, host string) (*Tenant, error)
	ListTenants(ctx context.Context) ([]*Tenant, error)

	// CreateAuthority stores a (ID set) and records evs in the admin
	// audit trail in the same transaction (their ObjectID, if empty, set
	// to a's id).
	CreateAuthority(ctx context.Context, a *Authority, evs ...*AuditEvent) error
	Authority(ctx context.Context, tenantID, id string) (*Authority, error)
	ListAuthorities(ctx context.Context, tenantID string) ([]*Authority, error)

	// SetPages replaces the operator pages of the tenant (own) and of all
	// its authorities (byAuthority, by authority id), in one transaction:
	// an authority not in byAuthority has no pages of its own afterwards.
	// Pages that do not validate are apperr.Invalid, an id that is not one
	// of the tenant's authorities apperr.NotFound; then nothing changes.
	SetPages(ctx context.Context, tenantID string, own Pages, byAuthority map[string]Pages) error

	CreateService(ctx context.Context, s *Service) error
	// Service returns a service of the tenant, or a shared one of any
	// tenant.
	Service(ctx context.Context, tenantID, id string) (*Service, error)
	// ServiceBySlug finds the tenant's own service with the slug, else a
	// shared service with it.
	ServiceBySlug(ctx context.Context, tenantID, slug string) (*Service, error)
	// ListServices lists the tenant's own and all shared services, by name.
	ListServices(ctx context.Context, tenantID string) ([]*Service, error)
	// ListAllServices lists every service of every tenant, by owner and name.
	ListAllServices(ctx context.Context) ([]*Service, error)

	// PublishFormVersion stores fv as the next version of the service's
	// form (Version and PublishedAt are set) and makes it current, in one
	// transaction. Only the owner can publish.
	PublishFormVersion(ctx context.Context, tenantID string, fv *FormVersion) error
	// PublishChange publishes fv as PublishFormVersion does and records
	// the events in the service's audit trail, in the same transaction:
	// each event's TenantID, ServiceID and ToVersionID are set to fv's, At
	// to the publication time, and ID to the new entry's.
	PublishChange(ctx context.Context, tenantID string, fv *FormVersion, evs ...*ServiceEvent) error
	// ServiceEvents returns the audit trail of one of the tenant's own
	// services, oldest first; a service without one has none.
	ServiceEvents(ctx context.Context, tenantID, serviceID string) ([]*ServiceEvent, error)
	// FormVersion returns a version by id; tenantID must own the service or
	// the service must be shared.
	FormVersion(ctx context.Context, tenantID, id string) (*FormVersion, error)
}

// Validate checks an authority: a name, at most 10 address lines, the
// contact details' lengths and the EfA parameters' names and sizes. Errors
// wrap apperr.Invalid.
func (a *Authority) Validate() error {
	switch {
	case a.Name == "":
		return fmt.Errorf("Behörde ohne Namen: %w", apperr.Invalid)
	case len(a.Address) > 10:
		return fmt.Errorf("Anschrift mit mehr als 10 Zeilen: %w", apperr.Invalid)
	case len(a.Email) > 254 || len(a.Phone) > 40:
		return fmt.Errorf("E-Mail-Adresse oder Telefonnummer zu lang: %w", apperr.Invalid)
	case len(a.EfA) > 200:
		return fmt.Errorf("mehr als 200 EfA-Parameter: %w", apperr.Invalid)
	}
	for k, v := range a.EfA {
		if !efaKeyRE.MatchString(k) || len(v) > 2000 || hasControl(strings.ReplaceAll(v, "\n", "")) {
			return fmt.Errorf("EfA-Parameter %q: Name aus a-z, A-Z, 0-9, ._- (bis 64 Zeichen), Wert bis 2000 Zeichen: %w", k, apperr.Invalid)
		}
	}
	return a.Pages.Validate()
}

// ValidEfAName reports whether name may name an EfA parameter: 1 to 64
// characters a-z, A-Z, 0-9, ".", "_" and "-", beginning with a letter or
// digit.
func ValidEfAName(name string) bool { return efaKeyRE.MatchString(name) }

// ValidHost reports whether h is a host name as Tenant.Host holds it: DNS
// labels of a-z, 0-9 and "-" (not at either end of a label), separated by
// dots, at least two labels, at most 253 characters; no scheme, port or
// trailing dot (RFC 1123, section 2.1).
func ValidHost(h string) bool {
	// The last label is a top-level domain, never all digits: that also
	// keeps IP addresses out.
	last := h[strings.LastIndex(h, ".")+1:]
	return len(h) <= 253 && hostRE.MatchString(h) && strings.Trim(last, "0123456789") != ""
}

var (
	hostRE    = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	efaKeyRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	colourRE  = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	logoURLRE = regexp.MustCompile(`^(?:https://[^\s"'<>]+|/static/[A-Za-z0-9._/-]+)$`)
)

// ValidLogoURL reports whether s may be a portal's logo address
// (Tenant.LogoURL): an https address with a host and no user
// information, or a path under /static/ without "." or ".." segments;
// without spaces or quotes, at most 500 bytes.
func ValidLogoURL(s string) bool {
	if !logoURLRE.MatchString(s) || len(s) > 500 {
		return false
	}
	if p, ok := strings.CutPrefix(s, "/static/"); ok {
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return false
			}
		}
		return true
	}
	u, err := url.Parse(s)
	return err == nil && u.User == nil && u.Host != "" && u.Scheme == "https"
}

// checkBrand checks a portal's logo address and colour (see Tenant).
func checkBrand(logo, colour string) error {
	if logo != "" && !ValidLogoURL(logo) {
		return fmt.Errorf("Logo %q: eine https-Adresse oder ein Pfad unter /static/: %w", logo, apperr.Invalid)
	}
	if colour == "" {
		return nil
	}
	if !colourRE.MatchString(colour) {
		return fmt.Errorf("Farbe %q: #rrggbb: %w", colour, apperr.Invalid)
	}
	if c := ContrastWithWhite(colour); c < 4.5 {
		return fmt.Errorf("Farbe %s: Kontrast zu weißer Schrift %.1f:1, mindestens 4,5:1 (WCAG 2.1, 1.4.3): %w", colour, c, apperr.Invalid)
	}
	return nil
}

// ContrastWithWhite is the contrast ratio of white against the colour
// #rrggbb (WCAG 2.1, definitions "contrast ratio" and "relative
// luminance"): 1 to 21; 0 for a malformed colour.
func ContrastWithWhite(colour string) float64 {
	if !colourRE.MatchString(colour) {
		return 0
	}
	var rgb [3]float64
	for i := range rgb {
		var v int
		fmt.Sscanf(colour[1+2*i:3+2*i], "%02x", &v)
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		rgb[i] = c
	}
	l := 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
	return 1.05 / (l + 0.05)
}

// Objects of the admin audit trail (AuditEvent.Object).
const (
	ObjectTenant       = "mandant"
	ObjectAuthority    = "behoerde"
	ObjectService      = "dienst"
	ObjectJurisdiction = "zustaendigkeit"
	ObjectTargets      = "zustellziele"
	ObjectPayment      = "bezahldienst" // an authority's ePayment provider account
	ObjectFee          = "gebuehr"      // an authority's own fee for a service
)

// AuditEvent is one change an admin or the catalogue made to a tenant's
// configuration: who, when, what (Object, ObjectID), and how (Action,
// Detail: a German summary without secrets or personal data).
type AuditEvent struct {
	ID       int64
	TenantID string
	At       time.Time
	Actor    string
	Object   string
	ObjectID string
	Action   string // "angelegt", "geändert", "entfernt", …
	Detail   string
}
