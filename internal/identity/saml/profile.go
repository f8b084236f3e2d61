package saml

import (
	"bytes"
	"embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/antrag/antrag/internal/identity"
)

// A Profile describes one SAML identity provider as data: where it is,
// how it names trust levels, methods and attributes, and which request
// extension it expects. The shipped profiles (profiles/*.json) cover
// BundID (production and test system), BayernID, a Dataport Servicekonto
// and Mein Unternehmenskonto; an operator adds or replaces profiles with
// JSON files of the same shape (LoadProfiles).
type Profile struct {
	// ID names the profile in URLs and configuration, e.g. "bundid-int"
	// (lower-case letters, digits and "-").
	ID string `json:"id"`
	// Name is what citizens see, e.g. "BundID".
	Name string `json:"name"`
	// Description is one German sentence for the choice of login.
	Description string `json:"description,omitempty"`
	// EntityID is the IdP's entity id, e.g. "https://id.bund.de/idp";
	// empty: the one of the metadata.
	EntityID string `json:"entityId"`
	// SSOURL is the IdP's SingleSignOnService for HTTP-POST; empty: the
	// one of the metadata.
	SSOURL string `json:"ssoUrl"`
	// MetadataURL is where the IdP publishes its metadata (for the
	// operator, who stores a copy as MetadataFile).
	MetadataURL string `json:"metadataUrl,omitempty"`
	// MetadataFile is the IdP's metadata (with its signing
	// certificates), relative to the profile file's directory. A profile
	// without metadata cannot be used.
	MetadataFile string `json:"metadataFile,omitempty"`
	// SignatureMethod signs the AuthnRequest, e.g.
	// "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" (RSA-PSS).
	SignatureMethod string `json:"signatureMethod"`
	// Levels maps the IdP's level values (AuthnContextClassRef) to
	// Vertrauensniveaus: "niedrig", "substantiell" or "hoch". A value
	// not listed is refused.
	Levels map[string]string `json:"levels"`
	// RequestLevels maps a minimum Vertrauensniveau to the value sent in
	// RequestedAuthnContext (Comparison "minimum").
	RequestLevels map[string]string `json:"requestLevels"`
	// LevelAttribute, if set, names an attribute (OID) that also carries
	// the level; when present, the lower of it and the
	// AuthnContextClassRef counts.
	LevelAttribute string `json:"levelAttribute,omitempty"`
	// MethodAttribute names the attribute (OID) that says how the person
	// authenticated; Methods maps its values to "eID", "eIDAS", "ELSTER"
	// or "Benutzername". An unknown value is no method (never eID).
	MethodAttribute string            `json:"methodAttribute,omitempty"`
	Methods         map[string]string `json:"methods,omitempty"`
	// Method is the method of every login when the IdP has one only
	// (Mein Unternehmenskonto: "ELSTER").
	Method string `json:"method,omitempty"`
	// SubjectAttribute names the attribute (OID) holding the stable
	// pseudonym (BundID: bPK2); empty: the NameID.
	SubjectAttribute string `json:"subjectAttribute,omitempty"`
	// Attributes maps attribute names (OIDs, with or without "urn:oid:")
	// to identity.Attr* keys.
	Attributes map[string]string `json:"attributes"`
	// RequestedAttributes are asked for in the request extension.
	RequestedAttributes []RequestedAttribute `json:"requestedAttributes,omitempty"`
	// AllowedMethods are offered to the person (request extension), e.g.
	// eID, eIDAS, Benutzername, FINK.
	AllowedMethods []string `json:"allowedMethods,omitempty"`
	// Extension is the request extension: the name of a built-in form
	// ("akdb-classic-ui", "akdb-authnmethods"), a text/template of
	// saml2p:Extensions' content (see ExtensionData), or "" for none.
	Extension string `json:"extension,omitempty"`
	// OnlineServiceID is the id the IdP assigned at registration (BundID:
	// "BMI-ID"); OnlineServiceIDs overrides it per tenant slug.
	OnlineServiceID  string            `json:"onlineServiceId,omitempty"`
	OnlineServiceIDs map[string]string `json:"onlineServiceIds,omitempty"`
	// Bundesland is sent with the Berechtigungszertifikat element of the
	// akdb extension, where the form has it.
	Bundesland string `json:"bundesland,omitempty"`
	// Organisation marks business accounts (Mein Unternehmenskonto).
	Organisation bool `json:"organisation,omitempty"`
	// Test marks a test system: never for real applications.
	Test bool `json:"test,omitempty"`

	// IDPMetadata is the IdP's metadata, read from MetadataFile or set
	// by the program (the development IdP).
	IDPMetadata *crewjam.EntityDescriptor `json:"-"`

	ext *template.Template
}

// RequestedAttribute is an attribute asked for in the request extension.
type RequestedAttribute struct {
	// Attr is an identity.Attr* key, or an OID.
	Attr     string `json:"attr"`
	Required bool   `json:"required,omitempty"`
}

//go:embed profiles/*.json
var builtin embed.FS

var profileID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// BuiltinProfiles returns the shipped profiles, by id. They carry no IdP
// metadata.
func BuiltinProfiles() (map[string]*Profile, error) {
	out := map[string]*Profile{}
	err := fs.WalkDir(builtin, "profiles", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtin.ReadFile(path)
		if err != nil {
			return err
		}
		p, err := ParseProfile(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out[p.ID] = p
		return nil
	})
	return out, err
}

// BuiltinProfile returns the built-in profile id; it panics if there is none
// (for tests and the development IdP).
func BuiltinProfile(id string) *Profile {
	ps, err := BuiltinProfiles()
	if err != nil {
		panic(err)
	}
	p := ps[id]
	if p == nil {
		panic("saml: no built-in profile " + id)
	}
	return p
}

// LoadProfiles returns the built-in profiles, replaced or supplemented by
// the *.json files in dir (none when dir is ""), with the IdP metadata of
// those that name a MetadataFile (relative to dir), or whose
// "<id>.metadata.xml" lies in dir.
func LoadProfiles(dir string) (map[string]*Profile, error) {
	ps, err := BuiltinProfiles()
	if err != nil || dir == "" {
		return ps, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		p, err := ParseProfile(b)
		if err != nil {
			return nil, fmt.Errorf("Anmeldeprofil %s: %w", f, err)
		}
		ps[p.ID] = p
	}
	for _, p := range ps {
		mf := p.MetadataFile
		if mf == "" {
			mf = p.ID + ".metadata.xml"
			if _, err := os.Stat(filepath.Join(dir, mf)); err != nil {
				continue
			}
		}
		if !filepath.IsAbs(mf) {
			mf = filepath.Join(dir, mf)
		}
		b, err := os.ReadFile(mf)
		if err != nil {
			return nil, fmt.Errorf("Anmeldeprofil %s: Metadaten: %w", p.ID, err)
		}
		if err := p.SetMetadata(b); err != nil {
			return nil, fmt.Errorf("Anmeldeprofil %s: Metadaten %s: %w", p.ID, mf, err)
		}
	}
	return ps, nil
}

// SetMetadata reads the IdP's metadata (an EntityDescriptor, or an
// EntitiesDescriptor holding the profile's entity) and checks that it
// names the profile's entity and has a signing certificate.
func (p *Profile) SetMetadata(b []byte) error {
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(b, &ed); err != nil || ed.EntityID == "" {
		var eds crewjam.EntitiesDescriptor
		if err2 := xml.Unmarshal(b, &eds); err2 != nil {
			return errors.Join(err, err2)
		}
		found := false
		for _, e := range eds.EntityDescriptors {
			if e.EntityID == p.EntityID {
				ed, found = e, true
				break
			}
		}
		if !found {
			return fmt.Errorf("keine Metadaten für %s", p.EntityID)
		}
	}
	if p.EntityID == "" {
		p.EntityID = ed.EntityID // the profile leaves it to the metadata
	}
	if ed.EntityID != p.EntityID {
		return fmt.Errorf("die Metadaten gehören zu %s, nicht zu %s", ed.EntityID, p.EntityID)
	}
	signing := false
	for _, d := range ed.IDPSSODescriptors {
		for _, k := range d.KeyDescriptors {
			if (k.Use == "" || k.Use == "signing") && len(k.KeyInfo.X509Data.X509Certificates) > 0 {
				signing = true
			}
		}
	}
	if !signing {
		return errors.New("die Metadaten nennen kein Signaturzertifikat")
	}
	p.IDPMetadata = &ed
	return nil
}

// Usable reports whether the profile has the IdP's metadata.
func (p *Profile) Usable() bool { return p.IDPMetadata != nil }

// ParseProfile reads and checks one profile.
func ParseProfile(b []byte) (*Profile, error) {
	var p Profile
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("Profil %q: %w", p.ID, err)
	}
	return &p, nil
}

var signatureMethods = []string{
	dsig.RSASHA256PSSSignatureMethod, dsig.RSASHA384PSSSignatureMethod, dsig.RSASHA512PSSSignatureMethod,
	dsig.RSASHA256SignatureMethod, dsig.RSASHA384SignatureMethod, dsig.RSASHA512SignatureMethod,
}

func (p *Profile) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !profileID.MatchString(p.ID) {
		bad("id: Kleinbuchstaben, Ziffern und -")
	}
	if p.Name == "" {
		bad("name fehlt")
	}
	if p.SSOURL != "" && !strings.HasPrefix(p.SSOURL, "https://") && !strings.HasPrefix(p.SSOURL, "http://") {
		bad("ssoUrl: eine http(s)-Adresse")
	}
	if !slices.Contains(signatureMethods, p.SignatureMethod) {
		bad("signatureMethod %q: eine von %s", p.SignatureMethod, strings.Join(signatureMethods, ", "))
	}
	if len(p.Levels) == 0 {
		bad("levels fehlt")
	}
	for raw, l := range p.Levels {
		if lv, err := identity.ParseLevel(l); err != nil || lv == identity.LevelNone {
			bad("levels[%q] = %q: niedrig, substantiell oder hoch", raw, l)
		}
	}
	for l, raw := range p.RequestLevels {
		lv, err := identity.ParseLevel(l)
		if err != nil || lv == identity.LevelNone {
			bad("requestLevels: %q ist kein Vertrauensniveau", l)
			continue
		}
		if got, _ := identity.ParseLevel(p.Levels[raw]); got < lv {
			bad("requestLevels[%q] = %q: levels bildet das nicht mindestens auf %s ab", l, raw, l)
		}
	}
	for _, m := range append([]string{p.Method}, mapValues(p.Methods)...) {
		if m != "" && !slices.Contains([]identity.Method{identity.MethodEID, identity.MethodEIDAS, identity.MethodElster, identity.MethodUsername}, identity.Method(m)) {
			bad("Methode %q: eID, eIDAS, ELSTER oder Benutzername", m)
		}
	}
	if p.Method != "" && p.MethodAttribute != "" {
		bad("method und methodAttribute schließen sich aus")
	}
	if len(p.Attributes) == 0 {
		bad("attributes fehlt")
	}
	for _, ra := range p.RequestedAttributes {
		if p.oid(ra.Attr) == "" {
			bad("requestedAttributes: %q steht nicht in attributes", ra.Attr)
		}
	}
	if p.Extension != "" {
		src, ok := extensionForms[p.Extension]
		if !ok {
			src = p.Extension
		}
		t, err := template.New(p.ID).Funcs(template.FuncMap{"xml": xmlEscape, "xmlname": xmlName}).Option("missingkey=error").Parse(src)
		if err != nil {
			bad("extension: %v", err)
		} else {
			p.ext = t
			if _, err := p.extension(ExtensionData{OnlineServiceID: "x", DisplayName: "x", BackURL: "https://x"}); err != nil {
				bad("extension: %v", err)
			}
		}
	}
	return errors.Join(errs...)
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// oid returns the attribute name (OID) that attr (a key or an OID) has
// in this profile, or "".
func (p *Profile) oid(attr string) string {
	if _, ok := p.Attributes[attr]; ok {
		return attr
	}
	var oids []string
	for oid, key := range p.Attributes {
		if key == attr {
			oids = append(oids, oid)
		}
	}
	sort.Strings(oids)
	if len(oids) == 0 {
		return ""
	}
	return oids[0]
}

// attrKey maps a received attribute name to an identity key ("" if the
// profile does not know it).
func (p *Profile) attrKey(name string) string {
	return p.Attributes[strings.TrimPrefix(name, "urn:oid:")]
}

// Level maps a raw level to a Vertrauensniveau; LevelNone for an unknown
// value.
func (p *Profile) Level(raw string) identity.Level {
	l, _ := identity.ParseLevel(p.Levels[strings.TrimSpace(raw)])
	return l
}

// RequestLevel returns the raw value to request for at least min, or ""
// when the profile has none (then no level is requested, and the answer
// is still checked against min).
func (p *Profile) RequestLevel(min identity.Level) string {
	for l := min; l <= identity.Hoch; l++ {
		if raw, ok := p.RequestLevels[l.String()]; ok {
			return raw
		}
	}
	return ""
}

// RawLevels returns the profile's level values in ascending order of
// their Vertrauensniveau (and by name within one).
func (p *Profile) RawLevels() []string {
	out := make([]string, 0, len(p.Levels))
	for raw := range p.Levels {
		out = append(out, raw)
	}
	sort.Slice(out, func(i, j int) bool {
		li, lj := p.Level(out[i]), p.Level(out[j])
		if li != lj {
			return li < lj
		}
		return out[i] < out[j]
	})
	return out
}

// method maps a received method value; MethodUnknown if unknown.
func (p *Profile) method(raw string) identity.Method {
	if p.Method != "" {
		return identity.Method(p.Method)
	}
	return identity.Method(p.Methods[strings.TrimSpace(raw)])
}
