package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc"
	"github.com/antrag/antrag/internal/identity/oidc/oidctest"
)

const callback = "https://antrag.example/musterstadt/anmelden/oidc/broker/rueckkehr"

// brokerProfile is a Keycloak broker in front of BundID and Mein
// Unternehmenskonto, as an operator would write it.
func brokerProfile(t *testing.T, op *oidctest.Provider) *oidc.Profile {
	t.Helper()
	ps, err := oidc.LoadProfiles(strings.NewReader(`{"profiles": [{
		"id": "broker", "name": "Servicekonto", "issuer": "`+op.Issuer+`", "client_id": "antrag",
		"client_secret_env": "BROKER_SECRET", "scopes": ["profile", "email", "address"],
		"attributes": {"givenName": "given_name", "surname": "family_name", "birthdate": "birthdate",
			"street": "address.street_address", "postalCode": "address.postal_code", "locality": "address.locality",
			"email": "email", "organisation": "org_name"},
		"level": {"claim": "acr", "values": {"STORK-QAA-Level-1": "niedrig", "STORK-QAA-Level-3": "substantiell",
			"STORK-QAA-Level-4": "hoch"}, "request": {"substantiell": "STORK-QAA-Level-3", "hoch": "STORK-QAA-Level-4"}},
		"method": {"claim": "amr", "values": {"eid": "eID", "elster": "ELSTER", "pwd": "Benutzername"}},
		"organisation": {"claim": "account_type", "values": ["organisation"]}
	}]}`), func(k string) string {
		if k == "BROKER_SECRET" {
			return op.ClientSecret
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

var person = map[string]any{
	"sub": "pseudonym-4711", "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
	"email": "erika@example.org", "acr": "STORK-QAA-Level-4", "amr": []any{"eid"}, "jti": "token-1",
	"address": map[string]any{"street_address": "Heidestraße 17", "postal_code": "51147", "locality": "Köln"},
}

// login runs Begin, follows the provider's redirect and returns the
// callback's query with the Pending; edit may change the query.
func login(t *testing.T, rp *oidc.RP, op *oidctest.Provider, min identity.Level) (*oidc.Pending, url.Values) {
	t.Helper()
	authURL, pd, err := rp.Begin(context.Background(), callback, min)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	c := op.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if !strings.HasPrefix(loc.String(), callback+"?") {
		t.Fatalf("redirected to %s", loc)
	}
	return pd, loc.Query()
}

func newRP(t *testing.T) (*oidc.RP, *oidctest.Provider) {
	op := oidctest.New(t)
	op.SetClaims(person)
	return oidc.New(brokerProfile(t, op), op.Client(), nil), op
}

func TestLoginMapsClaimsLevelAndMethod(t *testing.T) {
	rp, op := newRP(t)
	pd, q := login(t, rp, op, identity.Substantiell)
	id, err := rp.Finish(context.Background(), pd, q)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := map[string]string{identity.AttrGivenName: "Erika", identity.AttrSurname: "Mustermann",
		identity.AttrBirthdate: "1964-08-12", identity.AttrStreet: "Heidestraße 17", identity.AttrPostalCode: "51147",
		identity.AttrLocality: "Köln", identity.AttrEmail: "erika@example.org"}
	for k, v := range want {
		if id.Attr(k) != v {
			t.Errorf("%s = %q, want %q", k, id.Attr(k), v)
		}
	}
	if len(id.Attributes) != len(want) {
		t.Errorf("attributes %v", id.Attributes)
	}
	if id.Level != identity.Hoch || id.RawLevel != "STORK-QAA-Level-4" || id.Method != identity.MethodEID || !id.Method.IsEID() {
		t.Errorf("level %v (%q), method %q", id.Level, id.RawLevel, id.Method)
	}
	if id.Provider != "broker" || id.Issuer != op.Issuer || id.Subject != "pseudonym-4711" || id.AssertionID != "token-1" || id.Organisation {
		t.Errorf("identity %+v", id)
	}
	if time.Since(id.AuthnTime) > time.Minute || time.Until(id.AuthnTime) > time.Minute {
		t.Errorf("authn time %v", id.AuthnTime)
	}
	// The request carried PKCE, state, nonce and the acr for the minimum.
	req := op.Requests()[0]
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if req.Get(k) == "" {
			t.Errorf("authorization request without %s", k)
		}
	}
	if req.Get("code_challenge_method") != "S256" || req.Get("acr_values") != "STORK-QAA-Level-3" ||
		!strings.Contains(req.Get("scope"), "openid") {
		t.Errorf("authorization request %v", req)
	}
}

func TestLoginOfABusinessAccount(t *testing.T) {
	rp, op := newRP(t)
	op.SetClaims(map[string]any{"sub": "muk-1", "account_type": "organisation", "org_name": "Muster GmbH",
		"acr": "STORK-QAA-Level-3", "amr": "elster"})
	pd, q := login(t, rp, op, identity.LevelNone)
	id, err := rp.Finish(context.Background(), pd, q)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Organisation || id.Attr(identity.AttrOrganisation) != "Muster GmbH" || id.Method != identity.MethodElster ||
		id.Method.IsEID() || id.Level != identity.Substantiell {
		t.Errorf("identity %+v", id)
	}
	if !strings.HasPrefix(id.AssertionID, "sha256:") {
		t.Errorf("assertion id without jti: %q", id.AssertionID)
	}
}

// TestBadLoginsAreRejected: every spoilt token or callback is refused with
// its error, and the error says nothing about the person.
func TestBadLoginsAreRejected(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(op *oidctest.Provider)
		edit  func(pd *oidc.Pending, q url.Values)
		want  error
	}{
		{"wrong nonce", func(op *oidctest.Provider) { op.Tamper(func(c map[string]any) { c["nonce"] = "other" }) }, nil, oidc.ErrToken},
		{"no nonce", func(op *oidctest.Provider) { op.Tamper(func(c map[string]any) { delete(c, "nonce") }) }, nil, oidc.ErrToken},
		{"wrong aud", func(op *oidctest.Provider) { op.Tamper(func(c map[string]any) { c["aud"] = "other-client" }) }, nil, oidc.ErrToken},
		{"foreign azp", func(op *oidctest.Provider) {
			op.Tamper(func(c map[string]any) { c["aud"] = []any{"antrag", "other"}; c["azp"] = "other" })
		}, nil, oidc.ErrToken},
		{"wrong issuer", func(op *oidctest.Provider) { op.Tamper(func(c map[string]any) { c["iss"] = "https://evil.example" }) }, nil, oidc.ErrToken},
		{"bad signature", func(op *oidctest.Provider) { op.SignWithOtherKey(true) }, nil, oidc.ErrToken},
		{"expired", func(op *oidctest.Provider) {
			op.Tamper(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
		}, nil, oidc.ErrToken},
		{"issued in the future", func(op *oidctest.Provider) {
			op.Tamper(func(c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() })
		}, nil, oidc.ErrToken},
		{"no subject", func(op *oidctest.Provider) { op.Tamper(func(c map[string]any) { delete(c, "sub") }) }, nil, oidc.ErrToken},
		{"mismatched state", nil, func(pd *oidc.Pending, q url.Values) { q.Set("state", "forged") }, oidc.ErrState},
		{"no state", nil, func(pd *oidc.Pending, q url.Values) { q.Del("state") }, oidc.ErrState},
		{"login too old", nil, func(pd *oidc.Pending, q url.Values) { pd.Started = pd.Started.Add(-time.Hour) }, oidc.ErrPendingExpired},
		{"other issuer's callback", nil, func(pd *oidc.Pending, q url.Values) { q.Set("iss", "https://evil.example") }, oidc.ErrIssuer},
		{"replayed code", nil, nil, oidc.ErrProvider}, // see below
		{"wrong verifier", nil, func(pd *oidc.Pending, q url.Values) { pd.Verifier = "x" + pd.Verifier[1:] }, oidc.ErrProvider},
		{"provider error", nil, func(pd *oidc.Pending, q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, oidc.ErrProvider},
		{"level too low", func(op *oidctest.Provider) { op.Tamper(func(c map[string]any) { c["acr"] = "STORK-QAA-Level-1" }) }, nil, oidc.ErrLevel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp, op := newRP(t)
			pd, q := login(t, rp, op, identity.Substantiell)
			if tc.name == "replayed code" {
				if _, err := rp.Finish(context.Background(), pd, q); err != nil {
					t.Fatal(err)
				}
			}
			if tc.spoil != nil {
				tc.spoil(op)
			}
			if tc.edit != nil {
				tc.edit(pd, q)
			}
			id, err := rp.Finish(context.Background(), pd, q)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Finish = %v, %v; want %v", id, err, tc.want)
			}
			if tc.want != oidc.ErrLevel && id != nil {
				t.Errorf("identity returned with the error: %+v", id)
			}
			for _, personal := range []string{"Erika", "Mustermann", "pseudonym-4711", "erika@"} {
				if strings.Contains(err.Error(), personal) {
					t.Errorf("error %q names the person", err)
				}
			}
		})
	}
}

func TestLevelTooLowStillSaysWhichLevel(t *testing.T) {
	rp, op := newRP(t)
	op.SetClaims(map[string]any{"sub": "p", "acr": "STORK-QAA-Level-1", "amr": "pwd"})
	pd, q := login(t, rp, op, identity.Hoch)
	id, err := rp.Finish(context.Background(), pd, q)
	if !errors.Is(err, oidc.ErrLevel) || id == nil || id.Level != identity.Niedrig || id.Method != identity.MethodUsername {
		t.Fatalf("Finish = %+v, %v", id, err)
	}
	if got := op.Requests()[0].Get("acr_values"); got != "STORK-QAA-Level-4" {
		t.Errorf("acr_values %q", got)
	}
}

func TestProviderUnreachable(t *testing.T) {
	op := oidctest.New(t)
	p := brokerProfile(t, op)
	p.Issuer = "http://127.0.0.1:1"
	if _, _, err := oidc.New(p, nil, nil).Begin(context.Background(), callback, 0); !errors.Is(err, oidc.ErrUnavailable) {
		t.Fatalf("Begin = %v", err)
	}
}
