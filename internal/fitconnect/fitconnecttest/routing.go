package fitconnecttest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// Paths of the Routing API and of the self-service portal's key set,
// relative to the handler's root (see the package doc). The Routing API base
// URL a client is configured with is BaseURL + RoutingAPIPath.
const (
	RoutingAPIPath = "/routing-api/v1"
	PortalPath     = "/portal"
	// PortalKeyBits is the size of the portal signing key: FIT-Connect
	// signature keys have at least 4096 bits (standards.md §1 "Crypto").
	PortalKeyBits = 4096
	// MaxRoutes is the most routes a Double keeps.
	MaxRoutes = 10000

	leikaURN = "urn:de:fim:leika:leistung:"
	arsURN   = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
)

// ErrInvalidRoute is returned by AddRoute for a route it cannot serve.
var ErrInvalidRoute = errors.New("fitconnecttest: invalid route")

var (
	leikaKeyRE = regexp.MustCompile(`^99[0-9]{12}$`)
	arsRE      = regexp.MustCompile(`^([0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{9}|[0-9]{12})$`)
)

// Route is a Routing API answer registered with AddRoute: the destination
// responsible for one service (LeiKa key) in some areas (ARS), and the
// destinationSignature the double signs for it as the self-service portal
// would.
type Route struct {
	// LeikaKey is the Leistungsschlüssel, 14 digits starting with 99.
	LeikaKey string
	// ARS are the areas the route answers for (each 2, 3, 5, 9 or 12
	// digits); a query's ars matches when it starts with one of them.
	// At least one.
	ARS []string
	// DestinationID is the destination's UUID.
	DestinationID string
	// Name and ShortName are destinationName and destinationShortName.
	Name, ShortName string
	// SubmissionHost is signed as submissionHost; empty means the host of
	// BaseURL at AddRoute time, or "fitconnecttest.invalid".
	SubmissionHost string
	// LogoURL, PrivacyPolicyURL, ImprintURL, AccessibilityURL and
	// ContactFormURL are served as destinationLogo, privacyPolicyUrl,
	// imprintUrl, accessibilityUrl and contactFormUrl when not empty.
	LogoURL, PrivacyPolicyURL, ImprintURL, AccessibilityURL, ContactFormURL string
	// Origin is served as origin; empty means "fitconnecttest".
	Origin string

	// The members below make wrong signatures, for tests.

	// SignedARS, if not nil, are the ARS the payload names instead of ARS.
	SignedARS []string
	// SignedLeikaKeys, if not nil, are the LeiKa keys the payload names
	// instead of LeikaKey.
	SignedLeikaKeys []string
	// SignedDestinationID, if set, is the payload's destinationId instead
	// of DestinationID.
	SignedDestinationID string
	// Forged signs with another RSA key under the portal key's kid, so the
	// signature does not verify against the portal's key set.
	Forged bool
	// Signature, if set, is served verbatim as destinationSignature
	// (nothing is signed).
	Signature string
}

type storedRoute struct {
	cfg       Route
	signature string
}

type portalKeys struct {
	key  *rsa.PrivateKey
	kid  string
	cert *x509.Certificate
	jwks []byte
}

// defaultPortalKey is generated once per process: RSA-4096 generation takes
// seconds.
var defaultPortalKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, PortalKeyBits)
})

// forgerKey signs forged routes; its size does not matter.
var forgerKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// portal returns the portal signing key, its kid, certificate and JWK set,
// creating them on first use from Options.PortalKey or the process-wide
// default key.
func (d *Double) portal() (*portalKeys, error) {
	d.portalOnce.Do(func() {
		key := d.opts.PortalKey
		if key == nil {
			var err error
			if key, err = defaultPortalKey(); err != nil {
				d.portalErr = fmt.Errorf("fitconnecttest: generate portal key: %w", err)
				return
			}
		}
		d.portalKeys, d.portalErr = newPortalKeys(key)
	})
	return d.portalKeys, d.portalErr
}

func newPortalKeys(key *rsa.PrivateKey) (*portalKeys, error) {
	if key.N == nil || key.N.BitLen() < PortalKeyBits {
		return nil, fmt.Errorf("fitconnecttest: portal key needs at least %d bits", PortalKeyBits)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("fitconnecttest: portal key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fitconnecttest self-service portal"},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("fitconnecttest: portal certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("fitconnecttest: portal certificate: %w", err)
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.PS512), Use: "sig", Certificates: []*x509.Certificate{cert}}
	tp, err := pub.Thumbprint(cryptoSHA256)
	if err != nil {
		return nil, fmt.Errorf("fitconnecttest: portal key thumbprint: %w", err)
	}
	pub.KeyID = b64(tp)
	jwks, err := jwksWithOps(pub, "verify")
	if err != nil {
		return nil, err
	}
	return &portalKeys{key: key, kid: pub.KeyID, cert: cert, jwks: jwks}, nil
}

// RoutingAPIURL returns BaseURL + RoutingAPIPath, the base URL a Routing API
// client is configured with.
func (d *Double) RoutingAPIURL() string { return d.BaseURL() + RoutingAPIPath }

// PortalJWKSURL returns the URL of the self-service portal's JWK set:
// BaseURL + PortalPath + "/.well-known/jwks.json".
func (d *Double) PortalJWKSURL() string { return d.BaseURL() + PortalPath + "/.well-known/jwks.json" }

// PortalIssuer returns the iss of the destinationSignatures the double
// signs: BaseURL + PortalPath (with "https://fitconnecttest.invalid" while
// BaseURL is empty).
func (d *Double) PortalIssuer() string { return d.issuer() + PortalPath }

// PortalJWKS returns the JWK set served at PortalJWKSURL: the portal's
// public RSA-4096 key with alg PS512, use sig, key_ops ["verify"] and an
// x5c holding its self-signed certificate. The key is created on first use.
func (d *Double) PortalJWKS() ([]byte, error) {
	p, err := d.portal()
	if err != nil {
		return nil, err
	}
	return bytes.Clone(p.jwks), nil
}

// PortalCertificate returns the portal key's self-signed certificate, to be
// used as trust anchor.
func (d *Double) PortalCertificate() (*x509.Certificate, error) {
	p, err := d.portal()
	if err != nil {
		return nil, err
	}
	return p.cert, nil
}

// AddRoute registers a route and signs its destinationSignature now
// (header kid, typ "jwt", alg PS512; payload submissionHost, iss,
// services [{gebietIDs, leistungIDs}], destinationId, iat, jti). Routes are
// answered in the order they were added. Errors wrap ErrInvalidRoute, or
// are key generation failures.
func (d *Double) AddRoute(r Route) error {
	switch {
	case !leikaKeyRE.MatchString(r.LeikaKey):
		return fmt.Errorf("%w: leika key %q", ErrInvalidRoute, r.LeikaKey)
	case len(r.ARS) == 0:
		return fmt.Errorf("%w: no ARS", ErrInvalidRoute)
	case !isUUID(r.DestinationID):
		return fmt.Errorf("%w: destination id %q is not a UUID", ErrInvalidRoute, r.DestinationID)
	}
	for _, a := range r.ARS {
		if !arsRE.MatchString(a) {
			return fmt.Errorf("%w: ARS %q", ErrInvalidRoute, a)
		}
	}
	r.ARS = slices.Clone(r.ARS)
	if r.Origin == "" {
		r.Origin = "fitconnecttest"
	}
	sig := r.Signature
	if sig == "" {
		var err error
		if sig, err = d.signRoute(r); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.routeList) >= MaxRoutes {
		return fmt.Errorf("%w: more than %d routes", ErrInvalidRoute, MaxRoutes)
	}
	d.routeList = append(d.routeList, &storedRoute{cfg: r, signature: sig})
	return nil
}

func (d *Double) signRoute(r Route) (string, error) {
	p, err := d.portal()
	if err != nil {
		return "", err
	}
	host := r.SubmissionHost
	if host == "" {
		host = "fitconnecttest.invalid"
		if u, err := url.Parse(d.BaseURL()); err == nil && u.Host != "" {
			host = u.Host
		}
	}
	signedARS, signedLeika, destID := r.ARS, []string{r.LeikaKey}, r.DestinationID
	if r.SignedARS != nil {
		signedARS = r.SignedARS
	}
	if r.SignedLeikaKeys != nil {
		signedLeika = r.SignedLeikaKeys
	}
	if r.SignedDestinationID != "" {
		destID = r.SignedDestinationID
	}
	gebiete := make([]string, 0, len(signedARS))
	for _, a := range signedARS {
		gebiete = append(gebiete, arsURN+a)
	}
	leistungen := make([]string, 0, len(signedLeika))
	for _, l := range signedLeika {
		leistungen = append(leistungen, leikaURN+l)
	}
	payload, err := json.Marshal(map[string]any{
		"submissionHost": host,
		"iss":            d.PortalIssuer(),
		"services":       []any{map[string]any{"gebietIDs": gebiete, "leistungIDs": leistungen}},
		"destinationId":  destID,
		"iat":            d.opts.Now().Unix(),
		"jti":            uuid.NewString(),
	})
	if err != nil {
		return "", err
	}
	key := p.key
	if r.Forged {
		if key, err = forgerKey(); err != nil {
			return "", fmt.Errorf("fitconnecttest: generate forger key: %w", err)
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: &jose.JSONWebKey{Key: key, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType("jwt"))
	if err != nil {
		return "", fmt.Errorf("fitconnecttest: route signer: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("fitconnecttest: sign route: %w", err)
	}
	return obj.CompactSerialize()
}

// handleRoutes answers GET …/routes?leikaKey=…&ars=…[&offset=…&limit=…]
// (Routing API 2.0.0). Only ars is supported as area parameter; ags and
// areaId get 400.
func (d *Double) handleRoutes(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	leika, ars := q.Get("leikaKey"), q.Get("ars")
	switch {
	case !leikaKeyRE.MatchString(leika):
		writeProblem(w, http.StatusBadRequest, "", "leikaKey must match ^99\\d{12}$")
		return
	case q.Has("ags") || q.Has("areaId"):
		writeProblem(w, http.StatusBadRequest, "", "the test double supports only the ars parameter")
		return
	case !arsRE.MatchString(ars):
		writeProblem(w, http.StatusBadRequest, "", "ars must have 2, 3, 5, 9 or 12 digits")
		return
	}
	offset, limit := 0, 100
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeProblem(w, http.StatusBadRequest, "", "offset must be a non-negative integer")
			return
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListLimit {
			writeProblem(w, http.StatusBadRequest, "", fmt.Sprintf("limit must be 1 to %d", MaxListLimit))
			return
		}
		limit = n
	}
	d.mu.Lock()
	var hits []*storedRoute
	for _, sr := range d.routeList {
		if sr.cfg.LeikaKey == leika && slices.ContainsFunc(sr.cfg.ARS, func(a string) bool { return strings.HasPrefix(ars, a) }) {
			hits = append(hits, sr)
		}
	}
	d.mu.Unlock()
	total := len(hits)
	hits = hits[min(offset, total):min(offset+limit, total)]
	routes := make([]map[string]any, 0, len(hits))
	for _, sr := range hits {
		c := sr.cfg
		m := map[string]any{"destinationId": c.DestinationID, "destinationSignature": sr.signature, "origin": c.Origin}
		for k, v := range map[string]string{
			"destinationName": c.Name, "destinationShortName": c.ShortName, "destinationLogo": c.LogoURL,
			"privacyPolicyUrl": c.PrivacyPolicyURL, "imprintUrl": c.ImprintURL,
			"accessibilityUrl": c.AccessibilityURL, "contactFormUrl": c.ContactFormURL,
		} {
			if v != "" {
				m[k] = v
			}
		}
		routes = append(routes, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(routes), "offset": offset, "totalCount": total, "routes": routes})
}

func (d *Double) handlePortalJWKS(w http.ResponseWriter, _ *http.Request, _ string) {
	jwks, err := d.PortalJWKS()
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "", "no portal key")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(jwks)
}
