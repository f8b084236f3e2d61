package fitconnect_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
)

const (
	routeLeika   = "99123456760610"
	routeDest    = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	routesPath   = "GET " + fitconnecttest.RoutingAPIPath + "/routes"
	portalPath   = "GET " + fitconnecttest.PortalPath + "/.well-known/jwks.json"
	kreisARS     = "06435"        // Main-Kinzig-Kreis
	gemeindeARS  = "064350014014" // a Gemeinde in it
	otherKreis   = "06436"
	otherLeika   = "99000000000000"
	routeTTL     = time.Hour
	routeTimeout = 5 * time.Second
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type routingEnv struct {
	d      *fitconnecttest.Double
	srv    *httptest.Server
	clock  *clock
	router *fitconnect.Router
}

func newRoutingEnv(t *testing.T, mutate func(*fitconnect.RouterConfig)) *routingEnv {
	t.Helper()
	d, srv := fitconnecttest.NewServer(t, fitconnecttest.Options{})
	c := &clock{now: time.Now()}
	cfg := fitconnect.RouterConfig{
		RoutingAPI: d.RoutingAPIURL(),
		PortalJWKS: d.PortalJWKSURL(),
		HTTPClient: &http.Client{Timeout: routeTimeout},
		RouteTTL:   routeTTL,
		Now:        c.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := fitconnect.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &routingEnv{d: d, srv: srv, clock: c, router: r}
}

func (e *routingEnv) add(t *testing.T, r fitconnecttest.Route) {
	t.Helper()
	if r.LeikaKey == "" {
		r.LeikaKey = routeLeika
	}
	if r.ARS == nil {
		r.ARS = []string{kreisARS}
	}
	if r.DestinationID == "" {
		r.DestinationID = routeDest
	}
	if err := e.d.AddRoute(r); err != nil {
		t.Fatal(err)
	}
}

func (e *routingEnv) lookup(leika, ars string) (*fitconnect.Route, error) {
	return e.router.Lookup(context.Background(), leika, ars)
}

func TestLookupVerifiedRoute(t *testing.T) {
	e := newRoutingEnv(t, nil)
	e.add(t, fitconnecttest.Route{
		Name:             "Kreisverwaltung Main-Kinzig - Ordnungsamt",
		ShortName:        "Ordnungsamt MKK",
		PrivacyPolicyURL: "https://mkk.example/datenschutz",
		ImprintURL:       "https://mkk.example/impressum",
		AccessibilityURL: "http://mkk.example/barrierefreiheit", // not https: dropped
		ContactFormURL:   "https://mkk.example/kontakt",
		Origin:           "PVOG",
	})
	got, err := e.lookup(routeLeika, gemeindeARS)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.srv.URL)
	want := fitconnect.Route{
		DestinationID:    routeDest,
		SubmissionHost:   u.Host,
		Name:             "Kreisverwaltung Main-Kinzig - Ordnungsamt",
		ShortName:        "Ordnungsamt MKK",
		PrivacyPolicyURL: "https://mkk.example/datenschutz",
		ImprintURL:       "https://mkk.example/impressum",
		ContactFormURL:   "https://mkk.example/kontakt",
		Origin:           "PVOG",
		LeikaKey:         routeLeika,
		ARS:              gemeindeARS,
		SignedAt:         got.SignedAt,
	}
	if *got != want {
		t.Errorf("route\n got %+v\nwant %+v", *got, want)
	}
	if got.SignedAt.IsZero() || time.Since(got.SignedAt) > time.Minute {
		t.Errorf("SignedAt = %v, want the time of AddRoute", got.SignedAt)
	}
	// The Kreis itself is covered by its own signature, too.
	if _, err := e.lookup(routeLeika, kreisARS); err != nil {
		t.Errorf("lookup for the signed ARS itself: %v", err)
	}
}

func TestLookupWithTrustAnchorAndIssuer(t *testing.T) {
	d, _ := fitconnecttest.NewServer(t, fitconnecttest.Options{})
	cert, err := d.PortalCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddRoute(fitconnecttest.Route{LeikaKey: routeLeika, ARS: []string{kreisARS}, DestinationID: routeDest, SubmissionHost: "submission-api-testing.fit-connect.fitko.dev"}); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	newRouter := func(roots *x509.CertPool, issuer string) *fitconnect.Router {
		r, err := fitconnect.NewRouter(fitconnect.RouterConfig{RoutingAPI: d.RoutingAPIURL(), PortalJWKS: d.PortalJWKSURL(), Roots: roots, Issuer: issuer})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	got, err := newRouter(roots, d.PortalIssuer()).Lookup(context.Background(), routeLeika, gemeindeARS)
	if err != nil {
		t.Fatal(err)
	}
	if got.SubmissionHost != "submission-api-testing.fit-connect.fitko.dev" {
		t.Errorf("SubmissionHost = %q", got.SubmissionHost)
	}

	// Another trust anchor: the portal key's chain does not reach it.
	ca, err := fitconnect.NewCA("andere CA")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newRouter(ca.Pool(), "").Lookup(context.Background(), routeLeika, gemeindeARS)
	if !errors.Is(err, fitconnect.ErrRouteForged) || !strings.Contains(err.Error(), "Zertifikatskette") {
		t.Errorf("foreign trust anchor: err = %v, want ErrRouteForged about the chain", err)
	}
	// Another issuer.
	_, err = newRouter(nil, "https://portal.auth-prod.fit-connect.fitko.net").Lookup(context.Background(), routeLeika, gemeindeARS)
	if !errors.Is(err, fitconnect.ErrRouteScope) {
		t.Errorf("other issuer: err = %v, want ErrRouteScope", err)
	}
}

// TestLookupRefusesSignature covers each way a destinationSignature is
// refused: it must never yield a route.
func TestLookupRefusesSignature(t *testing.T) {
	cases := []struct {
		name   string
		route  fitconnecttest.Route
		ars    string
		reason error
	}{
		{"forged", fitconnecttest.Route{Forged: true}, gemeindeARS, fitconnect.ErrRouteForged},
		{"another ARS", fitconnecttest.Route{SignedARS: []string{otherKreis}}, gemeindeARS, fitconnect.ErrRouteScope},
		// Signed for one Gemeinde, asked for the whole Kreis.
		{"narrower ARS", fitconnecttest.Route{SignedARS: []string{gemeindeARS}}, kreisARS, fitconnect.ErrRouteScope},
		// The signed ARS is only a prefix of a digit string, not an ARS.
		{"ARS of invalid length", fitconnecttest.Route{SignedARS: []string{"0643"}}, gemeindeARS, fitconnect.ErrRouteScope},
		{"another LeiKa key", fitconnecttest.Route{SignedLeikaKeys: []string{otherLeika}}, gemeindeARS, fitconnect.ErrRouteScope},
		{"another destination", fitconnecttest.Route{SignedDestinationID: "0c438057-ec3e-4ce0-b154-1683b5d3c2e8"}, gemeindeARS, fitconnect.ErrRouteScope},
		{"no submission host", fitconnecttest.Route{SubmissionHost: "https://x.example/path"}, gemeindeARS, fitconnect.ErrRouteScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newRoutingEnv(t, nil)
			e.add(t, tc.route)
			got, err := e.lookup(routeLeika, tc.ars)
			if got != nil {
				t.Fatalf("got route %+v", got)
			}
			if !errors.Is(err, fitconnect.ErrRouteSignature) || !errors.Is(err, tc.reason) || !errors.Is(err, apperr.Invalid) {
				t.Fatalf("err = %v, want apperr.Invalid, ErrRouteSignature and %v", err, tc.reason)
			}
			// A refusal is not cached: the next lookup asks again.
			_, _ = e.lookup(routeLeika, tc.ars)
			if n := e.d.Requests()[routesPath]; n != 2 {
				t.Errorf("routes requested %d times, want 2", n)
			}
		})
	}
}

// TestLookupRefusesAlgorithms serves hand-made signatures with the
// portal's kid: alg none, HS512 keyed with the public modulus, RS512, a
// missing kid and a mangled signature.
func TestLookupRefusesAlgorithms(t *testing.T) {
	e := newRoutingEnv(t, nil)
	kid := portalKid(t, e.d)
	payload := b64json(t, map[string]any{
		"submissionHost": "submission.example", "destinationId": routeDest,
		"services": []any{map[string]any{"gebietIDs": []string{fitconnect.ARSURNPrefix + kreisARS}, "leistungIDs": []string{fitconnect.LeikaURNPrefix + routeLeika}}},
	})
	valid := validSignature(t, e.d)
	parts := strings.Split(valid, ".")
	mangled := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	cases := map[string]string{
		"none":            b64json(t, map[string]any{"alg": "none", "kid": kid}) + "." + payload + ".",
		"none with sig":   b64json(t, map[string]any{"alg": "none", "kid": kid}) + "." + payload + ".AAAA",
		"HS512":           b64json(t, map[string]any{"alg": "HS512", "kid": kid}) + "." + payload + ".AAAA",
		"RS512":           b64json(t, map[string]any{"alg": "RS512", "kid": kid}) + "." + payload + ".AAAA",
		"no kid":          b64json(t, map[string]any{"alg": "PS512"}) + "." + payload + ".AAAA",
		"unknown kid":     b64json(t, map[string]any{"alg": "PS512", "kid": "unbekannt"}) + "." + payload + ".AAAA",
		"mangled":         mangled,
		"payload swapped": parts[0] + "." + payload + "." + parts[2],
		"JSON JWS":        `{"payload":"` + payload + `","signatures":[]}`,
		"not a JWS":       "kein.jws",
	}
	for name, sig := range cases {
		t.Run(name, func(t *testing.T) {
			e := newRoutingEnv(t, nil)
			e.add(t, fitconnecttest.Route{Signature: sig})
			_, err := e.lookup(routeLeika, gemeindeARS)
			if !errors.Is(err, fitconnect.ErrRouteForged) || !errors.Is(err, apperr.Invalid) {
				t.Fatalf("err = %v, want ErrRouteForged", err)
			}
		})
	}
}

func TestVerifyDestinationSignatureKeyRules(t *testing.T) {
	e := newRoutingEnv(t, nil)
	jwks, err := e.d.PortalJWKS()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := fitconnect.ParseJWKSet(jwks)
	if err != nil {
		t.Fatal(err)
	}
	sig := validSignature(t, e.d)
	claims, err := fitconnect.VerifyDestinationSignature(sig, keys, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !claims.Covers(routeLeika, gemeindeARS) || claims.Covers(otherLeika, gemeindeARS) || claims.Covers(routeLeika, otherKreis) {
		t.Errorf("Covers wrong for %+v", claims)
	}
	if claims.DestinationID != routeDest || claims.Issuer != e.d.PortalIssuer() || claims.JTI == "" {
		t.Errorf("claims = %+v", claims)
	}

	bad := map[string]func(k *fitconnect.Key){
		"key_ops wrapKey": func(k *fitconnect.Key) { k.KeyOps = []string{"wrapKey"} },
		"no key_ops":      func(k *fitconnect.Key) { k.KeyOps = nil },
		"alg RS512":       func(k *fitconnect.Key) { k.Algorithm = "RS512" },
		"use enc":         func(k *fitconnect.Key) { k.Use = "enc" },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			k := *keys[0]
			mutate(&k)
			_, err := fitconnect.VerifyDestinationSignature(sig, []*fitconnect.Key{&k}, nil, time.Now())
			if !errors.Is(err, fitconnect.ErrRouteForged) {
				t.Fatalf("err = %v, want ErrRouteForged", err)
			}
		})
	}

	// A 2048-bit key that really made the signature is still refused.
	small, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	smallKey := &fitconnect.Key{JSONWebKey: jose.JSONWebKey{Key: &small.PublicKey, KeyID: "klein", Algorithm: "PS512", Use: "sig"}, KeyOps: []string{"verify"}}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: &jose.JSONWebKey{Key: small, KeyID: "klein"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign([]byte(`{"destinationId":"` + routeDest + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	smallSig, _ := obj.CompactSerialize()
	if _, err := fitconnect.VerifyDestinationSignature(smallSig, []*fitconnect.Key{smallKey}, nil, time.Now()); !errors.Is(err, fitconnect.ErrRouteForged) || !strings.Contains(err.Error(), "4096") {
		t.Errorf("2048-bit key: err = %v, want ErrRouteForged naming 4096 bits", err)
	}
}

func TestLookupCache(t *testing.T) {
	e := newRoutingEnv(t, nil)
	e.add(t, fitconnecttest.Route{Name: "Ordnungsamt"})
	first, err := e.lookup(routeLeika, gemeindeARS)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(routeTTL - time.Second)
	second, err := e.lookup(routeLeika, gemeindeARS)
	if err != nil {
		t.Fatal(err)
	}
	if *first != *second {
		t.Errorf("cached route %+v differs from %+v", *second, *first)
	}
	second.Name = "verändert"
	if again, _ := e.lookup(routeLeika, gemeindeARS); again.Name != "Ordnungsamt" {
		t.Errorf("changing a returned route changed the cache: %q", again.Name)
	}
	if n := e.d.Requests()[routesPath]; n != 1 {
		t.Errorf("routes requested %d times within the TTL, want 1", n)
	}
	// Another ARS is another cache entry; the JWK set is cached.
	if _, err := e.lookup(routeLeika, kreisARS); err != nil {
		t.Fatal(err)
	}
	if n := e.d.Requests()[routesPath]; n != 2 {
		t.Errorf("routes requested %d times after a second ARS, want 2", n)
	}
	if n := e.d.Requests()[portalPath]; n != 1 {
		t.Errorf("portal keys requested %d times, want 1", n)
	}
	// After the TTL the Routing API and (after DefaultJWKSTTL) the
	// portal's keys are asked again.
	e.clock.Add(2 * time.Second)
	if _, err := e.lookup(routeLeika, gemeindeARS); err != nil {
		t.Fatal(err)
	}
	if n := e.d.Requests()[routesPath]; n != 3 {
		t.Errorf("routes requested %d times after the TTL, want 3", n)
	}
	if n := e.d.Requests()[portalPath]; n != 2 {
		t.Errorf("portal keys requested %d times after the JWKS TTL, want 2", n)
	}
}

func TestLookupCacheDisabled(t *testing.T) {
	e := newRoutingEnv(t, func(c *fitconnect.RouterConfig) { c.RouteTTL = -1 })
	e.add(t, fitconnecttest.Route{})
	for range 2 {
		if _, err := e.lookup(routeLeika, gemeindeARS); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.d.Requests()[routesPath]; n != 2 {
		t.Errorf("routes requested %d times, want 2", n)
	}
}

func TestLookupConcurrent(t *testing.T) {
	e := newRoutingEnv(t, nil)
	e.add(t, fitconnecttest.Route{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := e.lookup(routeLeika, gemeindeARS); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLookupInvalidInput(t *testing.T) {
	e := newRoutingEnv(t, nil)
	cases := []struct{ leika, ars string }{
		{"", gemeindeARS},
		{"9912345676061", gemeindeARS},   // 13 digits
		{"991234567606100", gemeindeARS}, // 15 digits
		{"88123456760610", gemeindeARS},  // not 99
		{"99123456７60610", gemeindeARS},  // a non-ASCII digit
		{routeLeika, ""},
		{routeLeika, "0"},
		{routeLeika, "0643"},
		{routeLeika, "064350"},
		{routeLeika, "0643500140141"},
		{routeLeika, "06435&ags=1"},
		{routeLeika, " 06435"},
	}
	for _, tc := range cases {
		if _, err := e.lookup(tc.leika, tc.ars); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Lookup(%q, %q): err = %v, want apperr.Invalid", tc.leika, tc.ars, err)
		}
	}
	if n := len(e.d.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input: %v", n, e.d.Requests())
	}
}

func TestLookupNotFound(t *testing.T) {
	e := newRoutingEnv(t, nil)
	e.add(t, fitconnecttest.Route{})
	for _, q := range []struct{ leika, ars string }{{otherLeika, gemeindeARS}, {routeLeika, otherKreis}, {routeLeika, "06"}} {
		if _, err := e.lookup(q.leika, q.ars); !errors.Is(err, apperr.NotFound) {
			t.Errorf("Lookup(%s, %s): err = %v, want apperr.NotFound", q.leika, q.ars, err)
		}
	}
}

func TestLookupUnavailable(t *testing.T) {
	t.Run("routing API fails", func(t *testing.T) {
		for _, status := range []int{500, 503, 429, 404} {
			e := newRoutingEnv(t, nil)
			e.add(t, fitconnecttest.Route{})
			e.d.Fail(routesPath, 1, status)
			if _, err := e.lookup(routeLeika, gemeindeARS); !errors.Is(err, apperr.Unavailable) {
				t.Errorf("HTTP %d: err = %v, want apperr.Unavailable", status, err)
			}
			// It recovers: nothing bad was cached.
			if _, err := e.lookup(routeLeika, gemeindeARS); err != nil {
				t.Errorf("after HTTP %d: %v", status, err)
			}
		}
	})
	t.Run("400 is invalid", func(t *testing.T) {
		e := newRoutingEnv(t, nil)
		e.d.Fail(routesPath, 1, 400)
		if _, err := e.lookup(routeLeika, gemeindeARS); !errors.Is(err, apperr.Invalid) {
			t.Errorf("err = %v, want apperr.Invalid", err)
		}
	})
	t.Run("portal keys fail", func(t *testing.T) {
		e := newRoutingEnv(t, nil)
		e.add(t, fitconnecttest.Route{})
		e.d.Fail(portalPath, 1, 503)
		if _, err := e.lookup(routeLeika, gemeindeARS); !errors.Is(err, apperr.Unavailable) || errors.Is(err, fitconnect.ErrRouteSignature) {
			t.Errorf("err = %v, want apperr.Unavailable only", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		e := newRoutingEnv(t, nil)
		e.srv.Close()
		if _, err := e.lookup(routeLeika, gemeindeARS); !errors.Is(err, apperr.Unavailable) {
			t.Errorf("err = %v, want apperr.Unavailable", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		block := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(block)
		r, err := fitconnect.NewRouter(fitconnect.RouterConfig{RoutingAPI: srv.URL, PortalJWKS: srv.URL + "/jwks"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := r.Lookup(ctx, routeLeika, gemeindeARS); !errors.Is(err, apperr.Unavailable) {
			t.Errorf("err = %v, want apperr.Unavailable", err)
		}
	})
}

// TestLookupHostileAnswers serves broken Routing API answers.
func TestLookupHostileAnswers(t *testing.T) {
	huge := `{"count":1,"offset":0,"totalCount":1,"routes":[{"destinationName":"` + strings.Repeat("x", fitconnect.MaxRoutesResponse) + `"}]}`
	cases := map[string]struct {
		body string
		want error
	}{
		"not JSON":           {"<html>", apperr.Unavailable},
		"array":              {`[]`, apperr.Unavailable},
		"no routes":          {`{"count":0}`, apperr.Unavailable},
		"routes not a list":  {`{"routes":{}}`, apperr.Unavailable},
		"wrong member type":  {`{"routes":[{"destinationId":7}]}`, apperr.Unavailable},
		"destination no id":  {`{"routes":[{"destinationSignature":"a.b.c"}]}`, apperr.Unavailable},
		"no signature":       {`{"routes":[{"destinationId":"` + routeDest + `"}]}`, fitconnect.ErrRouteForged},
		"null route":         {`{"routes":[null]}`, apperr.Unavailable},
		"empty routes":       {`{"routes":[]}`, apperr.NotFound},
		"too large":          {huge, apperr.Unavailable},
		"deeply nested":      {`{"routes":[{"customParameters":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}]}`, apperr.Unavailable},
		"signature too long": {`{"routes":[{"destinationId":"` + routeDest + `","destinationSignature":"` + strings.Repeat("a", 70000) + `.b.c"}]}`, fitconnect.ErrRouteForged},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/jwks") {
					_, _ = io.WriteString(w, `{"keys":[]}`)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			r, err := fitconnect.NewRouter(fitconnect.RouterConfig{RoutingAPI: srv.URL, PortalJWKS: srv.URL + "/jwks"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Lookup(context.Background(), routeLeika, gemeindeARS); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewRouterConfig(t *testing.T) {
	for _, cfg := range []fitconnect.RouterConfig{
		{PortalJWKS: "https://portal.example/.well-known/jwks.json"},
		{RoutingAPI: "https://routing.example/v1"},
		{RoutingAPI: "ftp://routing.example/v1", PortalJWKS: "https://portal.example/.well-known/jwks.json"},
		{RoutingAPI: "routing.example/v1", PortalJWKS: "https://portal.example/.well-known/jwks.json"},
	} {
		if _, err := fitconnect.NewRouter(cfg); err == nil {
			t.Errorf("NewRouter(%+v) accepted", cfg)
		}
	}
}

func TestValidLeikaKeyAndARS(t *testing.T) {
	for _, s := range []string{"99123456760610", "99000000000000"} {
		if !fitconnect.ValidLeikaKey(s) {
			t.Errorf("ValidLeikaKey(%q) = false", s)
		}
	}
	for _, s := range []string{"06", "064", "06435", "064350014", "064350014014"} {
		if !fitconnect.ValidARS(s) {
			t.Errorf("ValidARS(%q) = false", s)
		}
	}
	for _, s := range []string{"0", "0643", "064350", "0643500140", "06435001401", "0643500140141", "06a35"} {
		if fitconnect.ValidARS(s) {
			t.Errorf("ValidARS(%q) = true", s)
		}
	}
}

func FuzzParseRouteResult(f *testing.F) {
	f.Add([]byte(`{"count":1,"offset":0,"totalCount":1,"routes":[{"destinationId":"` + routeDest + `","destinationSignature":"a.b.c","destinationName":"x","origin":"PVOG","contactPersons":[{"name":"n"}],"processingDuration":{"minDuration":1}}]}`))
	f.Add([]byte(`{"routes":[]}`))
	f.Add([]byte(`{"routes":null}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := fitconnect.ParseRouteResult(raw)
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
		if err == nil {
			for _, r := range res.Routes {
				_ = r.DestinationID
			}
		}
	})
}

func FuzzVerifyDestinationSignature(f *testing.F) {
	d, err := fitconnecttest.New(fitconnecttest.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer d.Close()
	jwks, err := d.PortalJWKS()
	if err != nil {
		f.Fatal(err)
	}
	keys, err := fitconnect.ParseJWKSet(jwks)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(validSignature(f, d))
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, sig string) {
		c, err := fitconnect.VerifyDestinationSignature(sig, keys, nil, time.Now())
		if err == nil {
			if c == nil {
				t.Fatal("nil claims without error")
			}
			_ = c.Covers(routeLeika, gemeindeARS)
		} else if !errors.Is(err, fitconnect.ErrRouteSignature) {
			t.Fatalf("error %v does not wrap ErrRouteSignature", err)
		}
	})
}

// validSignature returns a destinationSignature the double's portal key
// signed, for routeLeika in kreisARS and routeDest.
func validSignature(tb testing.TB, d *fitconnecttest.Double) string {
	tb.Helper()
	sr := httptest.NewServer(d.Handler())
	defer sr.Close()
	if err := d.AddRoute(fitconnecttest.Route{LeikaKey: routeLeika, ARS: []string{"12"}, DestinationID: routeDest, SignedARS: []string{kreisARS}}); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.Get(sr.URL + fitconnecttest.RoutingAPIPath + "/routes?leikaKey=" + routeLeika + "&ars=12")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var res fitconnect.RouteResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || len(res.Routes) == 0 {
		tb.Fatalf("routes: %v %+v", err, res)
	}
	return res.Routes[len(res.Routes)-1].DestinationSignature
}

func portalKid(t *testing.T, d *fitconnecttest.Double) string {
	t.Helper()
	jwks, err := d.PortalJWKS()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := fitconnect.ParseJWKSet(jwks)
	if err != nil || len(keys) != 1 {
		t.Fatalf("portal keys: %v", err)
	}
	return keys[0].KeyID
}

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
