package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/identity"
)

// Profile describes one OpenID provider and how its ID token's claims map
// to an identity.Identity. Operators write profiles as JSON (LoadProfiles);
// adding a provider needs no code.
type Profile struct {
	// ID names the profile in URLs and records ([a-z0-9-]{2,40}), e.g.
	// "servicekonto-nrw".
	ID string `json:"id"`
	// Name is what citizens or staff read on the login button, e.g.
	// "Servicekonto.NRW".
	Name string `json:"name"`
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration". https only, except
	// for localhost.
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// ClientSecret is the client secret itself; better ClientSecretEnv
	// or ClientSecretFile, so that the profile file holds no secret.
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientSecretEnv  string `json:"client_secret_env,omitempty"`
	ClientSecretFile string `json:"client_secret_file,omitempty"`
	// Scopes are requested besides "openid", e.g. ["profile", "email",
	// "address"].
	Scopes []string `json:"scopes,omitempty"`
	// Attributes maps identity attribute keys (identity.AttrGivenName …)
	// to claim names; a dot reaches into an object claim
	// ("address.postal_code").
	Attributes map[string]string `json:"attributes,omitempty"`
	// Level says which claim carries the trust level and how its values
	// map to Vertrauensniveaus.
	Level LevelMap `json:"level"`
	// Method says which claim carries the authentication method.
	Method MethodMap `json:"method"`
	// Organisation says which claim marks a business account (Mein
	// Unternehmenskonto behind a broker, or a broker's own flag).
	Organisation OrganisationFlag `json:"organisation"`
	// MaxAgeSeconds, when positive, bounds how long ago the person
	// authenticated at the provider (auth_time) when the ID token
	// arrives; it is also sent as max_age.
	MaxAgeSeconds int `json:"max_age_seconds,omitempty"`
}

// LevelMap maps a claim's values to Vertrauensniveaus.
type LevelMap struct {
	// Claim is the claim's name, e.g. "acr"; a string or an array of
	// strings (the highest mapped value counts).
	Claim string `json:"claim"`
	// Values maps the provider's values to keins, niedrig, substantiell or
	// hoch, e.g. {"STORK-QAA-Level-3": "substantiell"}. A value not listed
	// is the level "keins".
	Values map[string]string `json:"values"`
	// Default is the level when the claim is missing ("" = keins).
	Default string `json:"default,omitempty"`
	// Request maps a minimum level to the acr_values sent in the
	// authorization request, e.g. {"hoch": "STORK-QAA-Level-4"}.
	Request map[string]string `json:"request,omitempty"`

	values  map[string]identity.Level
	def     identity.Level
	request map[identity.Level]string
}

// MethodMap maps a claim's values to methods.
type MethodMap struct {
	// Claim is the claim's name, e.g. "amr" (a string or an array of
	// strings; the first mapped value counts).
	Claim string `json:"claim"`
	// Values maps the provider's values to eID, eIDAS, ELSTER or
	// Benutzername.
	Values map[string]string `json:"values"`
	// Default is the method when no value maps ("" = unknown).
	Default string `json:"default,omitempty"`
}

// OrganisationFlag says when an account is a business's.
type OrganisationFlag struct {
	// Claim is the claim's name; "" never marks an organisation.
	Claim string `json:"claim,omitempty"`
	// Values are the claim values (or one of an array's) that mark an
	// organisation; empty: the claim true or a non-empty string.
	Values []string `json:"values,omitempty"`
	// Always marks every account of the provider as an organisation's
	// (a provider for businesses only).
	Always bool `json:"always,omitempty"`
}

var (
	profileIDRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$`)
	attrKeys    = []string{identity.AttrGivenName, identity.AttrSurname, identity.AttrBirthName, identity.AttrBirthdate,
		identity.AttrPlaceOfBirth, identity.AttrGender, identity.AttrNationality, identity.AttrStreet, identity.AttrPostalCode,
		identity.AttrLocality, identity.AttrCountry, identity.AttrEmail, identity.AttrPhone, identity.AttrTitle, identity.AttrOrganisation}
	methods = []identity.Method{identity.MethodEID, identity.MethodEIDAS, identity.MethodElster, identity.MethodUsername}
)

// Validate checks a profile and prepares its maps; getenv reads
// ClientSecretEnv. Errors name the profile and the field, in German.
func (p *Profile) Validate(getenv func(string) string) error {
	if !profileIDRE.MatchString(p.ID) {
		return fmt.Errorf("OIDC-Profil %q: id muss 2 bis 40 Zeichen a-z, 0-9 und - haben", p.ID)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("OIDC-Profil %s: %s", p.ID, fmt.Sprintf(format, args...))
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	u, err := url.Parse(p.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLocal(u.Hostname()))) {
		return bad("issuer %q muss eine https-Adresse sein", p.Issuer)
	}
	if p.ClientID == "" {
		return bad("client_id fehlt")
	}
	if p.ClientSecret == "" && p.ClientSecretEnv != "" && getenv != nil {
		p.ClientSecret = getenv(p.ClientSecretEnv)
		if p.ClientSecret == "" {
			return bad("die Umgebungsvariable %s (client_secret_env) ist leer", p.ClientSecretEnv)
		}
	}
	if p.ClientSecret == "" && p.ClientSecretFile != "" {
		b, err := os.ReadFile(p.ClientSecretFile)
		if err != nil {
			return bad("client_secret_file: %v", err)
		}
		p.ClientSecret = strings.TrimSpace(string(b))
	}
	if p.ClientSecret == "" {
		return bad("client_secret, client_secret_env oder client_secret_file angeben")
	}
	for k, c := range p.Attributes {
		if !slices.Contains(attrKeys, k) {
			return bad("attributes: unbekanntes Attribut %q (erlaubt: %s)", k, strings.Join(attrKeys, ", "))
		}
		if c == "" {
			return bad("attributes: %s ohne Claim", k)
		}
	}
	if p.MaxAgeSeconds < 0 {
		return bad("max_age_seconds darf nicht negativ sein")
	}
	if err := p.Level.prepare(); err != nil {
		return bad("level: %v", err)
	}
	if err := p.Method.check(); err != nil {
		return bad("method: %v", err)
	}
	return nil
}

func isLocal(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (m *LevelMap) prepare() error {
	m.values = map[string]identity.Level{}
	for raw, name := range m.Values {
		l, err := identity.ParseLevel(name)
		if err != nil {
			return err
		}
		m.values[raw] = l
	}
	var err error
	if m.def, err = identity.ParseLevel(m.Default); err != nil {
		return err
	}
	if m.Claim == "" && len(m.Values) > 0 {
		return errors.New("values ohne claim")
	}
	m.request = map[identity.Level]string{}
	for name, acr := range m.Request {
		l, err := identity.ParseLevel(name)
		if err != nil {
			return err
		}
		m.request[l] = acr
	}
	return nil
}

func (m *MethodMap) check() error {
	for _, name := range m.Values {
		if !slices.Contains(methods, identity.Method(name)) {
			return fmt.Errorf("Methode %q: erwartet eID, eIDAS, ELSTER oder Benutzername", name)
		}
	}
	if m.Default != "" && !slices.Contains(methods, identity.Method(m.Default)) {
		return fmt.Errorf("default %q: erwartet eID, eIDAS, ELSTER oder Benutzername", m.Default)
	}
	if m.Claim == "" && len(m.Values) > 0 {
		return errors.New("values ohne claim")
	}
	return nil
}

// requestACR returns the acr_values to ask for at least min: the value
// for the lowest listed level at or above min ("" when none is listed).
func (m *LevelMap) requestACR(min identity.Level) string {
	for l := min; l <= identity.Hoch; l++ {
		if acr, ok := m.request[l]; ok {
			return acr
		}
	}
	return ""
}

// LoadProfiles reads profiles from JSON: an array of Profile objects, or
// an object {"profiles": [...]}. Each is validated (getenv reads
// client_secret_env); ids must be unique. Unknown fields are an error, so
// that a misspelt key does not go unnoticed.
func LoadProfiles(r io.Reader, getenv func(string) string) ([]*Profile, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	var list []*Profile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var wrap struct {
			Profiles []*Profile `json:"profiles"`
		}
		err = dec.Decode(&wrap)
		list = wrap.Profiles
	} else {
		err = dec.Decode(&list)
	}
	if err != nil {
		return nil, fmt.Errorf("OIDC-Profile lesen: %w", err)
	}
	seen := map[string]bool{}
	for _, p := range list {
		if p == nil {
			return nil, errors.New("OIDC-Profile: leerer Eintrag")
		}
		if err := p.Validate(getenv); err != nil {
			return nil, err
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("OIDC-Profil %s: id doppelt", p.ID)
		}
		seen[p.ID] = true
	}
	return list, nil
}

// LoadProfilesFile is LoadProfiles on a file.
func LoadProfilesFile(path string, getenv func(string) string) ([]*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadProfiles(f, getenv)
}
