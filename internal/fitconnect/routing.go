package fitconnect

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// The FIT-Connect Routing API finds the destination (Zustellpunkt) that is
// responsible for a service (LeiKa key) in an area (ARS). Sources, all read
// on 2026-12-07:
//
//   - Routing API 2.0.0 (OpenAPI 3.0), copy in maschinenlesbar-org/fit-connect-cli
//     routing-api.yaml; official at
//     https://schema.fitko.de/fit-connect/routing-api/latest/routing-api.yaml
//     (standards.md §1 "Routing API", §9 "Routing and responsibility"):
//     GET {base}/routes?leikaKey=…&ars=… answers
//     {count, offset, totalCount, routes:[route…]}, each route with the
//     required destinationId and destinationSignature.
//
//   - The shape of the signed payload of destinationSignature: the example
//     JWS in that spec (header {"kid","typ":"jwt","alg":"PS512"}) and
//     FITKO's documentation "Zustellpunkt ermitteln", section
//     "Signaturprüfung der vom Self-Service Portal (SSP) signierten
//     Adressierungsinformationen" (git.fitko.de fit-connect/docs,
//     docs/responsibilities/get-destination.mdx, commits 3557b43f of
//     2021-11-25 and f2c1d240 of 2022-02-07). The payload is
//
//     {"submissionHost": "submission-api-testing.fit-connect.fitko.dev",
//     "iss": "https://portal.auth-testing.fit-connect.fitko.dev",
//     "services": [{"gebietIDs": ["urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:<ARS>"],
//     "leistungIDs": ["urn:de:fim:leika:leistung:<LeiKa key>"]}],
//     "destinationId": "<uuid>", "iat": <seconds>, "jti": "<uuid>"}
//
//     and the self-service portal publishes its keys as a JWK set at
//     /.well-known/jwks.json; the JWS header's kid names the key.
//
// Assumptions (not stated by those sources): a signed ARS covers the ARS
// asked for when the asked one starts with it. The ARS is hierarchical
// (destatis "Regionalschlüssel": 2 digits Land, 3 Regierungsbezirk, 5 Kreis,
// 9 Gemeindeverband, 12 Gemeinde), and the Routing API accepts exactly
// these lengths, so "09162" (Kreis) covers "091620000000" (a Gemeinde in
// it) but not the other way round. A LeiKa key must match exactly. The ARS
// and the LeiKa key must be named in the same entry of services, because an
// entry pairs areas with the services offered there. Only gebietIDs in the
// "rs" (ARS) scheme are understood; other area schemes cover nothing.
const (
	// ARSURNPrefix prefixes an ARS in gebietIDs of a destinationSignature.
	ARSURNPrefix = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"

	// DefaultRouteTTL is how long a verified route is cached when
	// RouterConfig.RouteTTL is zero. The PVOG behind the Routing API is
	// refreshed about every 24 h (standards.md §3).
	DefaultRouteTTL = time.Hour
	// DefaultJWKSTTL is how long the portal's JWK set is cached when
	// RouterConfig.JWKSTTL is zero.
	DefaultJWKSTTL = time.Hour
	// MaxRoutesResponse bounds a GET /routes answer (at most 500 routes).
	MaxRoutesResponse = 4 << 20
	// MaxJWKSResponse bounds the portal's JWK set.
	MaxJWKSResponse = 256 << 10
	// maxSignatureLen bounds a destinationSignature (a PS512 JWS with a
	// 4096-bit key is about 1.5 kB, plus the payload).
	maxSignatureLen = 64 << 10
	// jwksMinRefresh is the least time between two JWK set fetches caused
	// by an unknown kid (key rollover).
	jwksMinRefresh = time.Minute
	// maxRouteCache bounds the number of cached lookups.
	maxRouteCache = 10000
)

// ErrRouteSignature is wrapped (together with apperr.Invalid) by every
// refusal of a route's destinationSignature. Each such error also wraps
// exactly one of ErrRouteForged or ErrRouteScope.
var ErrRouteSignature = errors.New("Signatur der Adressierungsinformationen ungültig")

// The reasons a destinationSignature is refused.
var (
	// ErrRouteForged: the JWS is malformed, uses another algorithm than
	// PS512 (or "none"), names no or an unknown key, the key breaks the
	// FIT-Connect key rules, or the signature does not verify.
	ErrRouteForged = errors.New("Signatur nicht vom Self-Service-Portal")
	// ErrRouteScope: the signature is genuine, but its payload is
	// unreadable, names another destination, or does not cover the LeiKa
	// key and ARS asked for.
	ErrRouteScope = errors.New("Adressierungsinformationen passen nicht zur Anfrage")
)

var (
	leikaKeyPattern = regexp.MustCompile(`^99[0-9]{12}$`)
	arsPattern      = regexp.MustCompile(`^([0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{9}|[0-9]{12})$`)
)

// ValidLeikaKey reports whether s is a Leistungsschlüssel as the Routing API
// accepts it: 14 digits starting with 99 (routing-api.yaml parameter
// leikaKey, pattern ^99\d{12}$).
func ValidLeikaKey(s string) bool { return leikaKeyPattern.MatchString(s) }

// ValidARS reports whether s is an Amtlicher Regionalschlüssel as the
// Routing API accepts it: 2, 3, 5, 9 or 12 digits (routing-api.yaml
// parameter ars).
func ValidARS(s string) bool { return arsPattern.MatchString(s) }

// RouterConfig configures a Router.
type RouterConfig struct {
	// RoutingAPI is the Routing API base URL, to which "/routes" is
	// appended, e.g. https://routing-api-testing.fit-connect.fitko.dev/v1
	// (test) or https://routing-api-prod.fit-connect.fitko.net/v1
	// (production). Required.
	RoutingAPI string
	// PortalJWKS is the URL of the self-service portal's JWK set, e.g.
	// https://portal.auth-testing.fit-connect.fitko.dev/.well-known/jwks.json
	// (the host is the iss of the spec's example payload). Required.
	PortalJWKS string
	// Issuer, if set, must equal the payload's iss. Empty: iss is not
	// checked.
	Issuer string
	// Roots, if set, are the trust anchors the portal keys' x5c chains
	// must lead to (CheckSignatureKey). Nil: the key rules are checked
	// but not the chain, since which CA certifies the portal keys is not
	// documented in the sources above.
	Roots *x509.CertPool
	// HTTPClient sends all requests; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// RouteTTL is how long a verified route is cached per (LeiKa key,
	// ARS); zero means DefaultRouteTTL, negative disables the cache.
	RouteTTL time.Duration
	// JWKSTTL is how long the portal's JWK set is cached; zero means
	// DefaultJWKSTTL.
	JWKSTTL time.Duration
	// Now returns the current time; nil means time.Now. Used for cache
	// expiry and certificate validity.
	Now func() time.Time
}

// Route is the destination responsible for a service in an area, as the
// Routing API answers it and as the self-service portal signed it.
type Route struct {
	// DestinationID is the destination's UUID (lower case), named both in
	// the route and in the signed payload.
	DestinationID string
	// SubmissionHost is the host (optionally with port) of the Submission
	// API that serves the destination, from the signed payload, e.g.
	// "submission-api-testing.fit-connect.fitko.dev".
	SubmissionHost string
	// Name is destinationName: the authority's full name with its
	// hierarchy; ShortName is destinationShortName. Both may be empty and
	// are not signed.
	Name, ShortName string
	// LogoURL, PrivacyPolicyURL, ImprintURL, AccessibilityURL and
	// ContactFormURL are the route's https URLs (destinationLogo,
	// privacyPolicyUrl, imprintUrl, accessibilityUrl, contactFormUrl);
	// empty when absent or not https. Not signed.
	LogoURL, PrivacyPolicyURL, ImprintURL, AccessibilityURL, ContactFormURL string
	// Origin is the source system of the route, e.g. "PVOG". Not signed.
	Origin string
	// LeikaKey and ARS are the lookup the route answers.
	LeikaKey, ARS string
	// SignedAt is the payload's iat (zero if absent).
	SignedAt time.Time
}

// RouteResult is the body of a GET /routes answer (routing-api.yaml schema
// route-result).
type RouteResult struct {
	Count      int        `json:"count"`
	Offset     int        `json:"offset"`
	TotalCount int        `json:"totalCount"`
	Routes     []RawRoute `json:"routes"`
}

// RawRoute is one route of a RouteResult as sent (routing-api.yaml schema
// route), limited to the members antrag uses; nothing in it is verified.
type RawRoute struct {
	DestinationID        string `json:"destinationId"`
	DestinationSignature string `json:"destinationSignature"`
	DestinationName      string `json:"destinationName"`
	DestinationShortName string `json:"destinationShortName"`
	DestinationLogo      string `json:"destinationLogo"`
	PrivacyPolicyURL     string `json:"privacyPolicyUrl"`
	ImprintURL           string `json:"imprintUrl"`
	AccessibilityURL     string `json:"accessibilityUrl"`
	ContactFormURL       string `json:"contactFormUrl"`
	Origin               string `json:"origin"`
}

// ParseRouteResult reads a GET /routes answer. It fails when raw is not a
// JSON object or a member has the wrong JSON type, or routes is missing;
// it does not verify signatures.
func ParseRouteResult(raw []byte) (*RouteResult, error) {
	var aux struct {
		RouteResult
		Routes *[]RawRoute `json:"routes"`
	}
	if err := json.Unmarshal(raw, &aux); err != nil {
		return nil, fmt.Errorf("Routing-API: Antwort ist kein gültiges Routingergebnis: %v", err)
	}
	if aux.Routes == nil {
		return nil, errors.New("Routing-API: Antwort ohne routes")
	}
	res := aux.RouteResult
	res.Routes = *aux.Routes
	return &res, nil
}

// DestinationClaims is the payload of a destinationSignature (see the
// sources above this file's constants).
type DestinationClaims struct {
	SubmissionHost string `json:"submissionHost"`
	Issuer         string `json:"iss"`
	DestinationID  string `json:"destinationId"`
	Services       []struct {
		GebietIDs   []string `json:"gebietIDs"`
		LeistungIDs []string `json:"leistungIDs"`
	} `json:"services"`
	IssuedAt int64  `json:"iat"`
	JTI      string `json:"jti"`
}

// Covers reports whether one entry of Services names the LeiKa key
// leikaKey (as LeikaURNPrefix + key in leistungIDs) together with an ARS (as ARSURNPrefix
// + ARS of a valid length) that the ARS ars starts with.
func (c *DestinationClaims) Covers(leikaKey, ars string) bool {
	for _, s := range c.Services {
		leika := false
		for _, id := range s.LeistungIDs {
			if id == LeikaURNPrefix+leikaKey {
				leika = true
				break
			}
		}
		if !leika {
			continue
		}
		for _, id := range s.GebietIDs {
			signed, ok := strings.CutPrefix(id, ARSURNPrefix)
			if ok && ValidARS(signed) && strings.HasPrefix(ars, signed) {
				return true
			}
		}
	}
	return false
}

func forged(format string, a ...any) error {
	return fmt.Errorf("%w: %w: %w: %s", apperr.Invalid, ErrRouteSignature, ErrRouteForged, fmt.Sprintf(format, a...))
}

func outOfScope(format string, a ...any) error {
	return fmt.Errorf("%w: %w: %w: %s", apperr.Invalid, ErrRouteSignature, ErrRouteScope, fmt.Sprintf(format, a...))
}

// VerifyDestinationSignature checks a destinationSignature against the
// portal keys and returns its payload. The JWS must be compact, its
// protected header must have alg PS512 (nothing else, never "none") and a
// kid naming one of keys; that key must pass the FIT-Connect signature key
// rules (RSA, at least 4096 bits, e = AQAB, key_ops ["verify"], alg PS512;
// standards.md §1 "Crypto") and, if roots is not nil, CheckSignatureKey
// with roots at now. The signature is verified with lestrrat-go/jwx. It
// does not check what the payload covers (see DestinationClaims.Covers).
// Errors wrap apperr.Invalid, ErrRouteSignature and ErrRouteForged, or
// ErrRouteScope when the signed payload is not a JSON object of the
// expected shape.
func VerifyDestinationSignature(compact string, keys []*Key, roots *x509.CertPool, now time.Time) (*DestinationClaims, error) {
	compact = strings.TrimSpace(compact)
	if len(compact) > maxSignatureLen {
		return nil, forged("destinationSignature ist länger als %d Zeichen", maxSignatureLen)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, forged("destinationSignature ist kein kompaktes JWS aus drei Teilen")
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, forged("JWS-Header ist nicht base64url-kodiert")
	}
	var h struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, forged("JWS-Header ist kein JSON-Objekt")
	}
	switch {
	case h.Alg != AlgSignature:
		return nil, forged("Algorithmus (alg) %q statt %s", h.Alg, AlgSignature)
	case h.Kid == "":
		return nil, forged("der JWS-Header nennt keinen Schlüssel (kid)")
	case h.Crit != nil:
		return nil, forged("der JWS-Header enthält crit, das nicht unterstützt wird")
	}
	var key *Key
	for _, k := range keys {
		if k != nil && k.KeyID == h.Kid {
			key = k
			break
		}
	}
	if key == nil {
		return nil, forged("das Self-Service-Portal veröffentlicht keinen Schlüssel mit kid %q", h.Kid)
	}
	if err := checkKeyRules(key, "verify", AlgSignature, "sig"); err != nil {
		return nil, forged("%v", err)
	}
	if roots != nil {
		if err := checkKeyChain(key, roots, now); err != nil {
			return nil, forged("%v", err)
		}
	}
	pub := key.Key.(*rsa.PublicKey) // checkKeyRules made sure
	payload, err := jws.Verify([]byte(compact), jws.WithCompact(), jws.WithKey(jwa.PS512(), pub))
	if err != nil {
		return nil, forged("die Signatur passt nicht zum Schlüssel %q des Self-Service-Portals", h.Kid)
	}
	var c DestinationClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, outOfScope("der signierte Inhalt hat nicht die erwartete Form: %v", err)
	}
	return &c, nil
}

// Router looks up responsible destinations with the FIT-Connect Routing API
// and verifies each answer's destinationSignature against the self-service
// portal's keys. Verified routes and the portal's JWK set are cached. It is
// safe for concurrent use.
type Router struct {
	cfg      RouterConfig
	routes   string
	hc       *http.Client
	now      func() time.Time
	routeTTL time.Duration
	jwksTTL  time.Duration

	mu       sync.Mutex
	cache    map[routeKey]cachedRoute
	keys     []*Key
	keysExp  time.Time
	keysTime time.Time
}

type routeKey struct{ leika, ars string }

type cachedRoute struct {
	route   Route
	expires time.Time
}

// NewRouter checks cfg and returns a Router. RoutingAPI and PortalJWKS must
// be absolute http(s) URLs.
func NewRouter(cfg RouterConfig) (*Router, error) {
	for _, u := range []struct{ name, v string }{{"Routing-API", cfg.RoutingAPI}, {"JWKS des Self-Service-Portals", cfg.PortalJWKS}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("FIT-Connect: %s %q ist keine http(s)-Adresse", u.name, u.v)
		}
	}
	r := &Router{
		cfg:      cfg,
		routes:   strings.TrimRight(cfg.RoutingAPI, "/") + "/routes",
		hc:       cfg.HTTPClient,
		now:      cfg.Now,
		routeTTL: cfg.RouteTTL,
		jwksTTL:  cfg.JWKSTTL,
		cache:    map[routeKey]cachedRoute{},
	}
	if r.hc == nil {
		r.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.routeTTL == 0 {
		r.routeTTL = DefaultRouteTTL
	}
	if r.jwksTTL <= 0 {
		r.jwksTTL = DefaultJWKSTTL
	}
	return r, nil
}

// Lookup returns the destination responsible for the service leikaKey
// (14 digits starting with 99) in the area ars (ARS of 2, 3, 5, 9 or 12
// digits): GET {RoutingAPI}/routes?leikaKey=…&ars=… The first route of the
// answer is the chosen one; its destinationSignature must verify
// (VerifyDestinationSignature) and its payload must name the route's
// destinationId, a submissionHost, and cover leikaKey and ars
// (DestinationClaims.Covers). A later route is never tried instead of a
// refused first one. Results are cached per (leikaKey, ars) for RouteTTL;
// refusals and errors are not.
//
// Errors: apperr.Invalid for a malformed leikaKey or ars (no request is
// sent) or a 400 answer; apperr.Invalid with ErrRouteSignature for a
// refused signature; apperr.NotFound when the answer has no route;
// apperr.Unavailable when the Routing API or the portal's JWK set cannot
// be reached, answers another error status, or sends something unreadable.
func (r *Router) Lookup(ctx context.Context, leikaKey, ars string) (*Route, error) {
	if !ValidLeikaKey(leikaKey) {
		return nil, fmt.Errorf("%w: Leistungsschlüssel %q hat nicht 14 Ziffern mit 99 am Anfang", apperr.Invalid, leikaKey)
	}
	if !ValidARS(ars) {
		return nil, fmt.Errorf("%w: Regionalschlüssel (ARS) %q hat nicht 2, 3, 5, 9 oder 12 Ziffern", apperr.Invalid, ars)
	}
	key := routeKey{leikaKey, ars}
	now := r.now()
	r.mu.Lock()
	if c, ok := r.cache[key]; ok && now.Before(c.expires) {
		r.mu.Unlock()
		route := c.route
		return &route, nil
	}
	r.mu.Unlock()

	res, err := r.fetchRoutes(ctx, leikaKey, ars)
	if err != nil {
		return nil, err
	}
	if len(res.Routes) == 0 {
		return nil, fmt.Errorf("Routing-API: keine zuständige Stelle für Leistung %s im Gebiet %s: %w", leikaKey, ars, apperr.NotFound)
	}
	route, err := r.verify(ctx, res.Routes[0], leikaKey, ars)
	if err != nil {
		return nil, err
	}
	if r.routeTTL > 0 {
		r.mu.Lock()
		r.store(key, *route, now)
		r.mu.Unlock()
	}
	return route, nil
}

// store caches route under key; r.mu is held.
func (r *Router) store(key routeKey, route Route, now time.Time) {
	if len(r.cache) >= maxRouteCache {
		for k, c := range r.cache {
			if !now.Before(c.expires) {
				delete(r.cache, k)
			}
		}
		if len(r.cache) >= maxRouteCache {
			clear(r.cache)
		}
	}
	r.cache[key] = cachedRoute{route: route, expires: now.Add(r.routeTTL)}
}

func (r *Router) fetchRoutes(ctx context.Context, leikaKey, ars string) (*RouteResult, error) {
	q := url.Values{"leikaKey": {leikaKey}, "ars": {ars}}
	body, status, err := r.get(ctx, r.routes+"?"+q.Encode(), MaxRoutesResponse)
	if err != nil {
		return nil, fmt.Errorf("Routing-API nicht erreichbar: %w: %w", apperr.Unavailable, err)
	}
	switch {
	case status == http.StatusBadRequest:
		return nil, fmt.Errorf("%w: die Routing-API hat die Anfrage (Leistung %s, Gebiet %s) als ungültig abgelehnt (HTTP 400)", apperr.Invalid, leikaKey, ars)
	case status != http.StatusOK:
		return nil, fmt.Errorf("Routing-API antwortet mit HTTP %d: %w", status, apperr.Unavailable)
	}
	res, err := ParseRouteResult(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", apperr.Unavailable, err)
	}
	return res, nil
}

func (r *Router) verify(ctx context.Context, raw RawRoute, leikaKey, ars string) (*Route, error) {
	id, err := uuid.Parse(raw.DestinationID)
	if err != nil || len(raw.DestinationID) != 36 {
		return nil, fmt.Errorf("%w: Routing-API: destinationId %q ist keine UUID", apperr.Unavailable, raw.DestinationID)
	}
	if raw.DestinationSignature == "" {
		return nil, forged("die Route zu Zustellpunkt %s hat keine destinationSignature", id)
	}
	keys, err := r.portalKeys(ctx, signatureKid(raw.DestinationSignature))
	if err != nil {
		return nil, err
	}
	now := r.now()
	claims, err := VerifyDestinationSignature(raw.DestinationSignature, keys, r.cfg.Roots, now)
	if err != nil {
		return nil, fmt.Errorf("Route zu Zustellpunkt %s: %w", id, err)
	}
	signedID, err := uuid.Parse(claims.DestinationID)
	switch {
	case err != nil || signedID != id:
		return nil, outOfScope("die Route nennt Zustellpunkt %s, die Signatur aber %q", id, claims.DestinationID)
	case !validHost(claims.SubmissionHost):
		return nil, outOfScope("submissionHost %q der Signatur ist kein Hostname", claims.SubmissionHost)
	case r.cfg.Issuer != "" && claims.Issuer != r.cfg.Issuer:
		return nil, outOfScope("Aussteller (iss) %q statt %q", claims.Issuer, r.cfg.Issuer)
	case !claims.Covers(leikaKey, ars):
		return nil, outOfScope("die Signatur von Zustellpunkt %s gilt nicht für Leistung %s im Gebiet %s", id, leikaKey, ars)
	}
	route := &Route{
		DestinationID:    id.String(),
		SubmissionHost:   claims.SubmissionHost,
		Name:             raw.DestinationName,
		ShortName:        raw.DestinationShortName,
		LogoURL:          httpsOnly(raw.DestinationLogo),
		PrivacyPolicyURL: httpsOnly(raw.PrivacyPolicyURL),
		ImprintURL:       httpsOnly(raw.ImprintURL),
		AccessibilityURL: httpsOnly(raw.AccessibilityURL),
		ContactFormURL:   httpsOnly(raw.ContactFormURL),
		Origin:           raw.Origin,
		LeikaKey:         leikaKey,
		ARS:              ars,
	}
	if claims.IssuedAt > 0 {
		route.SignedAt = time.Unix(claims.IssuedAt, 0).UTC()
	}
	return route, nil
}

// signatureKid reads the kid of a compact JWS header without trusting it;
// "" when unreadable.
func signatureKid(compact string) string {
	head, _, _ := strings.Cut(strings.TrimSpace(compact), ".")
	if len(head) > maxSignatureLen {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Kid
}

// portalKeys returns the portal's keys: the cached set while it is fresh,
// unless it lacks kid and was fetched more than jwksMinRefresh ago.
func (r *Router) portalKeys(ctx context.Context, kid string) ([]*Key, error) {
	now := r.now()
	r.mu.Lock()
	keys, exp, fetched := r.keys, r.keysExp, r.keysTime
	r.mu.Unlock()
	if keys != nil && now.Before(exp) && (hasKid(keys, kid) || now.Sub(fetched) < jwksMinRefresh) {
		return keys, nil
	}
	body, status, err := r.get(ctx, r.cfg.PortalJWKS, MaxJWKSResponse)
	if err != nil {
		return nil, fmt.Errorf("Schlüssel des Self-Service-Portals nicht abrufbar: %w: %w", apperr.Unavailable, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("Schlüssel des Self-Service-Portals: HTTP %d: %w", status, apperr.Unavailable)
	}
	keys, err = parsePortalJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("Schlüssel des Self-Service-Portals: %w: %w", apperr.Unavailable, err)
	}
	r.mu.Lock()
	r.keys, r.keysExp, r.keysTime = keys, now.Add(r.jwksTTL), now
	r.mu.Unlock()
	return keys, nil
}

// parsePortalJWKS reads a JWK set, skipping keys that go-jose cannot read
// (other key types are refused later, by kid); it fails only when the set
// itself is unreadable.
func parsePortalJWKS(raw []byte) ([]*Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("keine JWK-Menge: %v", err)
	}
	out := make([]*Key, 0, len(set.Keys))
	for _, k := range set.Keys {
		if key, err := ParseJWK(k); err == nil {
			out = append(out, key)
		}
	}
	return out, nil
}

func hasKid(keys []*Key, kid string) bool {
	for _, k := range keys {
		if k.KeyID == kid {
			return true
		}
	}
	return false
}

// get sends a GET and reads at most max bytes of the answer; a longer
// answer is an error.
func (r *Router) get(ctx context.Context, u string, max int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, 0, err
	}
	if n > max {
		return nil, 0, fmt.Errorf("Antwort größer als %s", byteSize(max))
	}
	return buf.Bytes(), resp.StatusCode, nil
}

// validHost reports whether s is a host name or IP address, optionally
// with a port, and nothing else (no scheme, path or user).
func validHost(s string) bool {
	if s == "" || strings.ContainsAny(s, "/?#@ \\") {
		return false
	}
	u, err := url.Parse("https://" + s)
	return err == nil && u.Host == s && u.Hostname() != ""
}

// httpsOnly returns s when it is an absolute https URL with a host, else
// "" (routing-api.yaml gives these URLs the pattern ^https://.+).
func httpsOnly(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return s
}

// FindDestination looks a destination up as Lookup does, for routing an
// application in the journey (tenant.RouteFinder). A route that cannot be
// trusted (ErrRouteSignature) or a lookup the service's own settings make
// impossible is not the applicant's fault: it is apperr.Unavailable, with
// the reason in the message for the log; no route stays apperr.NotFound.
func (r *Router) FindDestination(ctx context.Context, leikaKey, ars string) (*tenant.Destination, error) {
	rt, err := r.Lookup(ctx, leikaKey, ars)
	switch {
	case errors.Is(err, apperr.NotFound) || errors.Is(err, apperr.Unavailable):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("Routing-API: %s: %w", err.Error(), apperr.Unavailable)
	}
	name := rt.Name
	if name == "" {
		name = rt.ShortName
	}
	if name == "" {
		name = "FIT-Connect-Zustellpunkt " + rt.DestinationID
	}
	return &tenant.Destination{ID: rt.DestinationID, Name: name}, nil
}

var _ tenant.RouteFinder = (*Router)(nil)
