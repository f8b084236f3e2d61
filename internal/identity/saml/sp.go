package saml

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
)

// DefaultMaxMessageBytes is the largest SAML message (decoded) accepted
// when Config.MaxMessageBytes is zero: 256 KiB, several times a BundID
// response with all attributes.
const DefaultMaxMessageBytes = 256 << 10

// ReplayStore records message ids across all processes (store.DB).
type ReplayStore interface {
	// ConsumeOnce records key until expires; an error of kind
	// apperr.Conflict means key was recorded before: a replay.
	ConsumeOnce(ctx context.Context, key string, expires, now time.Time) error
}

// Config is the service provider's key material and collaborators.
type Config struct {
	// Key signs AuthnRequests and decrypts assertions; Certificate is
	// its public part, published in the SP metadata for both uses.
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
	// DecryptionKeys are earlier keys still accepted for decryption
	// while an IdP moves to a new certificate.
	DecryptionKeys []*rsa.PrivateKey
	// Replay is the shared replay cache; required.
	Replay ReplayStore
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// MaxMessageBytes caps a SAML message (decoded); zero:
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// ServiceProvider is antrag's SAML 2.0 service provider for every tenant,
// host and identity provider profile: each combination is one SP with its
// own entity id (its metadata URL), so that an authority registers one SP
// per host name with BundID, as BundID requires.
type ServiceProvider struct {
	cfg      Config
	profiles map[string]*Profile
}

// New returns a service provider for the given profiles; profiles without
// IdP metadata are left out.
func New(cfg Config, profiles []*Profile) (*ServiceProvider, error) {
	if cfg.Key == nil || cfg.Certificate == nil {
		return nil, errors.New("saml: no SP key or certificate")
	}
	if cfg.Replay == nil {
		return nil, errors.New("saml: no replay store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	s := &ServiceProvider{cfg: cfg, profiles: map[string]*Profile{}}
	for _, p := range profiles {
		if p.Usable() {
			s.profiles[p.ID] = p
		}
	}
	return s, nil
}

// Profiles returns the usable profiles, test systems last, by name.
func (s *ServiceProvider) Profiles() []*Profile {
	out := make([]*Profile, 0, len(s.profiles))
	for _, p := range s.profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Test != out[j].Test {
			return !out[i].Test
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Profile returns a usable profile by id.
func (s *ServiceProvider) Profile(id string) (*Profile, bool) {
	p, ok := s.profiles[id]
	return p, ok
}

// Site is where one SP lives: the installation's or the tenant's own
// host, and the tenant.
type Site struct {
	// Base is scheme and host, e.g. "https://antrag.musterstadt.de".
	Base string
	// Tenant is the tenant's slug, the first path segment.
	Tenant string
	// DisplayName is the tenant's name, shown by the IdP.
	DisplayName string
}

// URL returns the SP endpoint leaf ("metadata", "acs", "slo") of profile
// at site: <Base>/<Tenant>/saml/<profile>/<leaf>.
func (s Site) URL(profile, leaf string) string {
	return strings.TrimSuffix(s.Base, "/") + "/" + s.Tenant + "/saml/" + profile + "/" + leaf
}

// EntityID is the SP's entity id at site for profile: its metadata URL.
func (s Site) EntityID(profile string) string { return s.URL(profile, "metadata") }

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}

// sp builds the library's service provider for one site and profile.
func (s *ServiceProvider) sp(ctx context.Context, site Site, p *Profile) *crewjam.ServiceProvider {
	sp := &crewjam.ServiceProvider{
		EntityID:                         site.EntityID(p.ID),
		Key:                              s.cfg.Key,
		Certificate:                      s.cfg.Certificate,
		DecryptionKeys:                   s.cfg.DecryptionKeys,
		MetadataURL:                      mustURL(site.URL(p.ID, "metadata")),
		AcsURL:                           mustURL(site.URL(p.ID, "acs")),
		SloURL:                           mustURL(site.URL(p.ID, "slo")),
		IDPMetadata:                      p.IDPMetadata,
		AuthnNameIDFormat:                crewjam.TransientNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
		LogoutBindings:                   []string{crewjam.HTTPPostBinding},
		RejectSHA1Signatures:             true,
		ReplayCache:                      replayCache{ctx: ctx, store: s.cfg.Replay, idp: p.EntityID, now: s.cfg.Now},
		MetadataValidDuration:            7 * 24 * time.Hour,
	}
	sp.Clock = dsig.NewFakeClockAt(s.cfg.Now())
	return sp
}

// Metadata returns the SP metadata of profile at site (XML): entity id,
// the ACS (HTTP-POST), single logout, and the certificate for signing and
// for encryption. This is what an authority uploads at BundID's
// self-service portal, one per host.
func (s *ServiceProvider) Metadata(site Site, profile string) ([]byte, error) {
	p, ok := s.profiles[profile]
	if !ok {
		return nil, fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)
	}
	ed := s.sp(context.Background(), site, p).Metadata()
	// Requests are signed (with the profile's method, which the library
	// does not know), so publish the signing certificate too.
	yes := true
	d := &ed.SPSSODescriptors[0]
	d.AuthnRequestsSigned = &yes
	d.KeyDescriptors = append(d.KeyDescriptors, crewjam.KeyDescriptor{Use: "signing", KeyInfo: crewjam.KeyInfo{
		X509Data: crewjam.X509Data{X509Certificates: []crewjam.X509Certificate{{Data: base64.StdEncoding.EncodeToString(s.cfg.Certificate.Raw)}}}}})
	b, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// LoginRequest is what a login asks of the IdP.
type LoginRequest struct {
	// MinLevel is the least Vertrauensniveau accepted (RequestedAuthnContext
	// with Comparison "minimum", and checked on the answer).
	MinLevel identity.Level
	// BackURL is where "back" at the IdP leads (request extension).
	BackURL string
}

// Started is a login request on its way to the IdP: post SAMLRequest
// (and RelayState) to URL from the citizen's browser.
type Started struct {
	RequestID   string
	URL         string
	SAMLRequest string // base64 of the signed AuthnRequest
	MinLevel    identity.Level
}

// StartLogin makes a signed AuthnRequest for the HTTP-POST binding with
// the profile's request extension and requested level.
func (s *ServiceProvider) StartLogin(site Site, profile string, lr LoginRequest) (*Started, error) {
	p, ok := s.profiles[profile]
	if !ok {
		return nil, fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)
	}
	sp := s.sp(context.Background(), site, p)
	if raw := p.RequestLevel(lr.MinLevel); raw != "" {
		sp.RequestedAuthnContext = &crewjam.RequestedAuthnContext{Comparison: "minimum", AuthnContextClassRef: raw}
	}
	dest := p.SSOURL
	if dest == "" {
		dest = sp.GetSSOBindingLocation(crewjam.HTTPPostBinding)
	}
	if dest == "" {
		return nil, fmt.Errorf("Anmeldeprofil %s: keine SSO-Adresse für HTTP-POST", p.ID)
	}
	req, err := sp.MakeAuthenticationRequest(dest, crewjam.HTTPPostBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return nil, err
	}
	el := req.Element()
	ext, err := p.extension(p.extensionData(site.Tenant, site.DisplayName, lr.BackURL))
	if err != nil {
		return nil, fmt.Errorf("Anmeldeprofil %s: %w", p.ID, err)
	}
	if ext != nil {
		el.InsertChildAt(1, ext) // after Issuer (saml-core §3.2.1)
	}
	signed, err := s.sign(el, p.SignatureMethod)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(signed)
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	return &Started{RequestID: req.ID, URL: dest, SAMLRequest: base64.StdEncoding.EncodeToString(b), MinLevel: lr.MinLevel}, nil
}

// sign signs el (enveloped, exclusive canonicalisation) with method and
// moves the Signature to its place after the Issuer.
func (s *ServiceProvider) sign(el *etree.Element, method string) (*etree.Element, error) {
	ctx, err := dsig.NewSigningContext(s.cfg.Key, [][]byte{s.cfg.Certificate.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(method); err != nil {
		return nil, err
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		return nil, err
	}
	// SignEnveloped appends the Signature as the last token without
	// making signed its parent, so it is taken off the list directly.
	sig, ok := signed.Child[len(signed.Child)-1].(*etree.Element)
	if !ok || sig.Tag != "Signature" {
		return nil, errors.New("saml: no signature appended")
	}
	signed.Child = signed.Child[:len(signed.Child)-1]
	signed.InsertChildAt(1, sig)
	return signed, nil
}

// Pending is what the SP remembers of a login between StartLogin and
// FinishLogin (in a sealed cookie of the browser that started it).
type Pending struct {
	Profile   string         `json:"p"`
	RequestID string         `json:"r"`
	MinLevel  identity.Level `json:"l"`
	Back      string         `json:"b"` // the local path to return to
	Expires   time.Time      `json:"e"`
}

// FinishLogin checks the IdP's answer (the SAMLResponse form value,
// base64) to the request of pending and returns the identity. Errors are
// *Error with a Reason for the log.
//
// The checks: message size; the Response's or assertion's XML signature
// by a certificate of the IdP's metadata (the library reads the assertion
// only from what the signature covers, which defeats signature wrapping);
// decryption of an encrypted assertion with the SP key; issuer, audience
// (the SP's entity id), destination and recipient (the ACS URL),
// InResponseTo (pending's request), validity window with the library's
// small clock skew; one use only (the shared replay cache); the level
// mapped by the profile, at least pending.MinLevel.
func (s *ServiceProvider) FinishLogin(ctx context.Context, site Site, samlResponse string, pending Pending) (*identity.Identity, error) {
	return s.finishLogin(ctx, site, samlResponse, pending, nil)
}

// finishLogin is FinishLogin; seen, if set, gets the verified assertion.
func (s *ServiceProvider) finishLogin(ctx context.Context, site Site, samlResponse string, pending Pending, seen func(*crewjam.Assertion)) (*identity.Identity, error) {
	p, ok := s.profiles[pending.Profile]
	if !ok {
		return nil, &Error{Reason: ReasonProfile, Err: fmt.Errorf("Anmeldeprofil %q: %w", pending.Profile, apperr.NotFound)}
	}
	max := s.cfg.MaxMessageBytes
	if len(samlResponse) > base64.StdEncoding.EncodedLen(max)+64 {
		return nil, &Error{Reason: ReasonSize, Err: fmt.Errorf("message of %d bytes exceeds %d", len(samlResponse), max)}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samlResponse), ""))
	if err != nil {
		return nil, &Error{Reason: ReasonMalformed, Err: errors.New("SAMLResponse is not base64")}
	}
	if len(raw) > max {
		return nil, &Error{Reason: ReasonSize, Err: fmt.Errorf("message of %d bytes exceeds %d", len(raw), max)}
	}
	sp := s.sp(ctx, site, p)
	a, err := sp.ParseXMLResponse(raw, []string{pending.RequestID}, sp.AcsURL)
	if err != nil {
		return nil, classify(err)
	}
	id, err := p.identity(a)
	if err != nil {
		return nil, err
	}
	if id.Level < pending.MinLevel {
		return nil, &Error{Reason: ReasonLevel, Err: fmt.Errorf("level %s (%q) below the requested %s", id.Level, id.RawLevel, pending.MinLevel)}
	}
	if seen != nil {
		seen(a)
	}
	return id, nil
}

// knownAttrs are the identity.Attr* keys an Identity carries.
var knownAttrs = map[string]bool{
	identity.AttrGivenName: true, identity.AttrSurname: true, identity.AttrBirthName: true,
	identity.AttrBirthdate: true, identity.AttrPlaceOfBirth: true, identity.AttrGender: true,
	identity.AttrNationality: true, identity.AttrStreet: true, identity.AttrPostalCode: true,
	identity.AttrLocality: true, identity.AttrCountry: true, identity.AttrEmail: true,
	identity.AttrPhone: true, identity.AttrTitle: true, identity.AttrOrganisation: true,
}

// identity maps a verified assertion by the profile.
func (p *Profile) identity(a *crewjam.Assertion) (*identity.Identity, error) {
	values := map[string]string{} // by OID
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if len(at.Values) == 0 {
				continue
			}
			name := strings.TrimPrefix(at.Name, "urn:oid:")
			if _, seen := values[name]; !seen {
				values[name] = strings.TrimSpace(at.Values[0].Value)
			}
		}
	}
	id := &identity.Identity{Provider: p.ID, Issuer: a.Issuer.Value, AssertionID: a.ID,
		Organisation: p.Organisation, Attributes: map[string]string{}}
	if p.SubjectAttribute != "" {
		id.Subject = values[p.SubjectAttribute]
	} else if a.Subject != nil && a.Subject.NameID != nil {
		id.Subject = strings.TrimSpace(a.Subject.NameID.Value)
	}
	if id.Subject == "" {
		return nil, &Error{Reason: ReasonSubject, Err: errors.New("no subject identifier")}
	}
	if len(a.AuthnStatements) == 0 || a.AuthnStatements[0].AuthnContext.AuthnContextClassRef == nil {
		return nil, &Error{Reason: ReasonLevel, Err: errors.New("no AuthnContextClassRef")}
	}
	st := a.AuthnStatements[0]
	id.AuthnTime = st.AuthnInstant
	id.RawLevel = strings.TrimSpace(st.AuthnContext.AuthnContextClassRef.Value)
	id.Level = p.Level(id.RawLevel)
	if id.Level == identity.LevelNone {
		return nil, &Error{Reason: ReasonLevel, Err: fmt.Errorf("unknown level %q", id.RawLevel)}
	}
	if p.LevelAttribute != "" {
		if v, ok := values[p.LevelAttribute]; ok {
			if l := p.Level(v); l < id.Level {
				id.Level = l // the lower claim counts; LevelNone refuses below
			}
			if id.Level == identity.LevelNone {
				return nil, &Error{Reason: ReasonLevel, Err: fmt.Errorf("unknown level attribute %q", v)}
			}
		}
	}
	if p.Method != "" {
		id.Method = identity.Method(p.Method)
	} else if p.MethodAttribute != "" {
		id.Method = p.method(values[p.MethodAttribute])
	}
	for oid, v := range values {
		key := p.attrKey(oid)
		if !knownAttrs[key] || v == "" {
			continue
		}
		if key == identity.AttrBirthdate {
			v = isoDate(v)
		}
		id.Attributes[key] = v
	}
	return id, nil
}

// isoDate returns a date as YYYY-MM-DD when it is given as such (perhaps
// with a time) or as DD.MM.YYYY; anything else unchanged.
func isoDate(v string) string {
	if len(v) >= 10 {
		if t, err := time.Parse(time.DateOnly, v[:10]); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	if t, err := time.Parse("02.01.2006", v); err == nil {
		return t.Format(time.DateOnly)
	}
	return v
}

// ValidateLogoutRequest checks a LogoutRequest the IdP sent to the SLO
// endpoint of profile at site: it must be signed by the IdP (an unsigned
// one is refused), addressed to this endpoint, in time and not replayed.
// It returns the request's id.
func (s *ServiceProvider) ValidateLogoutRequest(r *http.Request, site Site, profile string) (string, error) {
	p, ok := s.profiles[profile]
	if !ok {
		return "", &Error{Reason: ReasonProfile, Err: fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)}
	}
	req, err := s.sp(r.Context(), site, p).ValidateLogoutRequest(r)
	if err != nil {
		return "", classify(err)
	}
	return req.ID, nil
}

// replayCache is the library's AssertionReplayCache on the shared store,
// keyed by the IdP's entity id and the message id.
type replayCache struct {
	ctx   context.Context
	store ReplayStore
	idp   string
	now   func() time.Time
}

func (c replayCache) Consume(id string, expires time.Time) error {
	err := c.store.ConsumeOnce(c.ctx, c.idp+" "+id, expires, c.now())
	if errors.Is(err, apperr.Conflict) {
		return crewjam.ErrAssertionReplayed
	}
	return err
}

// Descriptor returns the SP metadata for an entity id of this SP
// (<base>/<tenant>/saml/<profile>/metadata), parsed, or an error matching
// os.ErrNotExist. The development IdP looks SPs up with it; it trusts the
// host in the entity id as given.
func (s *ServiceProvider) Descriptor(entityID string) (*crewjam.EntityDescriptor, error) {
	u, err := url.Parse(entityID)
	if err != nil {
		return nil, fmt.Errorf("SP %q: %w", entityID, os.ErrNotExist)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if u.Host == "" || len(parts) != 4 || parts[1] != "saml" || parts[3] != "metadata" {
		return nil, fmt.Errorf("SP %q: %w", entityID, os.ErrNotExist)
	}
	site := Site{Base: u.Scheme + "://" + u.Host, Tenant: parts[0]}
	if site.EntityID(parts[2]) != entityID {
		return nil, fmt.Errorf("SP %q: %w", entityID, os.ErrNotExist)
	}
	b, err := s.Metadata(site, parts[2])
	if err != nil {
		return nil, fmt.Errorf("SP %q: %w", entityID, os.ErrNotExist)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(b, &ed); err != nil {
		return nil, err
	}
	return &ed, nil
}
