package saml_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/devidp"
	"github.com/antrag/antrag/internal/identity/saml"
)

// memReplay is a ReplayStore in memory (the store's own is tested in
// package store, and shared across SP instances in TestReplayOtherProcess).
type memReplay struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (m *memReplay) ConsumeOnce(_ context.Context, key string, exp, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	if e, ok := m.seen[key]; ok && e.After(now) {
		return apperr.Conflict
	}
	m.seen[key] = exp
	return nil
}

var (
	keyOnce         sync.Once
	spKey, otherKey *rsa.PrivateKey
	spCert, otherCt *x509.Certificate
)

func keys(t testing.TB) {
	keyOnce.Do(func() {
		var err error
		if spKey, spCert, err = saml.GenerateKeyPair("antrag SP test", 2048); err != nil {
			panic(err)
		}
		if otherKey, otherCt, err = saml.GenerateKeyPair("another SP", 2048); err != nil {
			panic(err)
		}
	})
}

// fixture is a development IdP on an httptest server and antrag's SP for
// the tenant "musterstadt" at https://antrag.example.
type fixture struct {
	t     testing.TB
	idp   *devidp.IdP
	srv   *httptest.Server
	sp    *saml.ServiceProvider
	site  saml.Site
	clock time.Duration // added to the SP's clock
	// mutate changes the SP metadata the IdP sees (nil: none).
	mutate func(*crewjam.EntityDescriptor)
	replay saml.ReplayStore
}

func newFixture(t testing.TB) *fixture {
	return newFixtureWith(t, &memReplay{})
}

func newFixtureWith(t testing.TB, replay saml.ReplayStore) *fixture {
	t.Helper()
	keys(t)
	f := &fixture{t: t, site: saml.Site{Base: "https://antrag.example", Tenant: "musterstadt", DisplayName: "Stadt Musterstadt"}, replay: replay}
	var h http.Handler
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	idp, err := devidp.New(devidp.Config{BaseURL: f.srv.URL + "/idp", ServiceProvider: f.lookup})
	if err != nil {
		t.Fatal(err)
	}
	f.idp, h = idp, idp
	f.sp = f.newSP(replay)
	return f
}

func (f *fixture) newSP(replay saml.ReplayStore) *saml.ServiceProvider {
	sp, err := saml.New(saml.Config{Key: spKey, Certificate: spCert, Replay: replay,
		Now: func() time.Time { return time.Now().Add(f.clock) }}, []*saml.Profile{f.idp.Profile()})
	if err != nil {
		f.t.Fatal(err)
	}
	return sp
}

func (f *fixture) lookup(r *http.Request, entityID string) (*crewjam.EntityDescriptor, error) {
	for _, tenant := range []string{"musterstadt", "beispielkreis"} {
		site := f.site
		site.Tenant = tenant
		if site.EntityID(devidp.ProfileID) != entityID {
			continue
		}
		b, err := f.sp.Metadata(site, devidp.ProfileID)
		if err != nil {
			return nil, err
		}
		var ed crewjam.EntityDescriptor
		if err := xml.Unmarshal(b, &ed); err != nil {
			return nil, err
		}
		if f.mutate != nil {
			f.mutate(&ed)
		}
		return &ed, nil
	}
	return nil, os.ErrNotExist
}

// choice is what the tester picks on the IdP's login page.
type choice struct {
	person, level string
	method        identity.Method
}

var erikaEID = choice{"erika", "STORK-QAA-Level-4", identity.MethodEID}

// login runs StartLogin, the IdP's login page and its answer, and returns
// the SAMLResponse and the pending login.
func (f *fixture) login(min identity.Level, c choice) (string, saml.Pending) {
	t := f.t
	t.Helper()
	st, err := f.sp.StartLogin(f.site, devidp.ProfileID, saml.LoginRequest{MinLevel: min, BackURL: "https://antrag.example/musterstadt/"})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"SAMLRequest": {st.SAMLRequest}, "RelayState": {"rs"}}
	page := post(t, st.URL, form, http.StatusOK)
	if page.Find(`form input[name="SAMLRequest"]`).Length() != 1 || page.Find(`input[name="person"]`).Length() != len(devidp.Persons) {
		t.Fatalf("the IdP shows no login form: %s", page.Text())
	}
	form.Set("person", c.person)
	form.Set("niveau", c.level)
	form.Set("methode", string(c.method))
	answer := post(t, st.URL, form, http.StatusOK)
	resp, _ := answer.Find(`input[name="SAMLResponse"]`).Attr("value")
	action, _ := answer.Find(`form`).Attr("action")
	if resp == "" || action != f.site.URL(devidp.ProfileID, "acs") {
		t.Fatalf("the IdP answered no response for %s: %s", f.site.URL(devidp.ProfileID, "acs"), answer.Text())
	}
	return resp, saml.Pending{Profile: devidp.ProfileID, RequestID: st.RequestID, MinLevel: min}
}

func post(t testing.TB, u string, form url.Values, want int) *goquery.Document {
	t.Helper()
	res, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", u, res.StatusCode, want, strings.TrimSpace(doc.Text()))
	}
	return doc
}

func (f *fixture) finish(resp string, p saml.Pending) (*identity.Identity, error) {
	return f.sp.FinishLogin(context.Background(), f.site, resp, p)
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refused for %s", reason)
	}
	if got := saml.ReasonOf(err); got != reason {
		t.Fatalf("refused for %q (%v); want %q", got, err, reason)
	}
}

// TestLoginEachLevel drives the whole flow: a signed (RSA-PSS) request
// with the akdb extension, the IdP's login page, a response signed with
// RSA-PSS carrying an encrypted assertion, decrypted and checked by the SP.
func TestLoginEachLevel(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		raw    string
		level  identity.Level
		method identity.Method
	}{
		{"STORK-QAA-Level-1", identity.Niedrig, identity.MethodUsername},
		{"STORK-QAA-Level-3", identity.Substantiell, identity.MethodElster},
		{"STORK-QAA-Level-4", identity.Hoch, identity.MethodEID},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			f.t = t
			resp, p := f.login(tc.level, choice{"erika", tc.raw, tc.method})
			raw, _ := base64.StdEncoding.DecodeString(resp)
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(raw); err != nil {
				t.Fatal(err)
			}
			if doc.FindElement("//EncryptedAssertion") == nil || doc.FindElement("//Assertion") != nil {
				t.Error("the assertion is not (only) encrypted")
			}
			if m := doc.FindElement("//SignatureMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" {
				t.Error("the response is not signed with RSA-PSS")
			}
			id, err := f.finish(resp, p)
			if err != nil {
				t.Fatal(err)
			}
			if id.Level != tc.level || id.RawLevel != tc.raw || id.Method != tc.method {
				t.Errorf("level %s (%s), method %s; want %s (%s), %s", id.Level, id.RawLevel, id.Method, tc.level, tc.raw, tc.method)
			}
			if id.Method.IsEID() != (tc.method == identity.MethodEID) {
				t.Errorf("%s counts as eID: %v", tc.method, id.Method.IsEID())
			}
			want := map[string]string{identity.AttrGivenName: "Erika", identity.AttrSurname: "Mustermann",
				identity.AttrBirthdate: "1964-08-12", identity.AttrPostalCode: "99 084", identity.AttrLocality: "Erfurt",
				identity.AttrStreet: "Heidestraße 17"}
			for k, v := range want {
				if id.Attr(k) != v {
					t.Errorf("%s = %q, want %q", k, id.Attr(k), v)
				}
			}
			if id.Provider != devidp.ProfileID || id.Issuer != f.idp.EntityID() || id.Subject == "" || id.AssertionID == "" ||
				time.Since(id.AuthnTime) > time.Minute {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

// TestPseudonymStable: the same person gets the same subject in two logins.
func TestPseudonymStable(t *testing.T) {
	f := newFixture(t)
	a, err := f.finish(f.login(identity.Niedrig, erikaEID))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.finish(f.login(identity.Niedrig, erikaEID))
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.finish(f.login(identity.Niedrig, choice{"max", "STORK-QAA-Level-4", identity.MethodEID}))
	if err != nil {
		t.Fatal(err)
	}
	if a.Subject != b.Subject || a.Subject == c.Subject || a.AssertionID == b.AssertionID {
		t.Errorf("subjects %q %q %q", a.Subject, b.Subject, c.Subject)
	}
}

func TestDowngradedLevel(t *testing.T) {
	f := newFixture(t)
	resp, p := f.login(identity.Hoch, choice{"erika", "STORK-QAA-Level-3", identity.MethodEID})
	_, err := f.finish(resp, p)
	wantReason(t, err, saml.ReasonLevel)
}

func TestReplay(t *testing.T) {
	f := newFixture(t)
	resp, p := f.login(identity.Niedrig, erikaEID)
	if _, err := f.finish(resp, p); err != nil {
		t.Fatal(err)
	}
	_, err := f.finish(resp, p)
	wantReason(t, err, saml.ReasonReplay)
}

func TestInResponseToMismatch(t *testing.T) {
	f := newFixture(t)
	resp, p := f.login(identity.Niedrig, erikaEID)
	other, _ := f.sp.StartLogin(f.site, devidp.ProfileID, saml.LoginRequest{})
	p.RequestID = other.RequestID
	_, err := f.finish(resp, p)
	wantReason(t, err, saml.ReasonInResponseTo)
}

func TestExpiredAndFuture(t *testing.T) {
	for name, tc := range map[string]struct {
		shift  time.Duration
		reason string
	}{
		"expired": {time.Hour, saml.ReasonExpired},
		"future":  {-30 * time.Minute, saml.ReasonNotYetValid},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			resp, p := f.login(identity.Niedrig, erikaEID)
			f.clock = tc.shift
			_, err := f.finish(resp, p)
			if err == nil {
				t.Fatal("accepted")
			}
			// The library may call an assertion from the future
			// expired or not yet valid depending on which time it looks
			// at first; both refuse it for its time.
			if r := saml.ReasonOf(err); r != saml.ReasonExpired && r != saml.ReasonNotYetValid {
				t.Fatalf("refused for %q (%v); want a time reason", r, err)
			}
		})
	}
	t.Run("within skew", func(t *testing.T) {
		f := newFixture(t)
		resp, p := f.login(identity.Niedrig, erikaEID)
		f.clock = -time.Minute // a slightly slow SP clock is tolerated
		if _, err := f.finish(resp, p); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWrongDestination(t *testing.T) {
	f := newFixture(t)
	resp, p := f.login(identity.Niedrig, erikaEID)
	other := f.site
	other.Tenant = "beispielkreis" // another SP of this installation
	_, err := f.sp.FinishLogin(context.Background(), other, resp, p)
	wantReason(t, err, saml.ReasonDestination)
}

func TestWrongAudience(t *testing.T) {
	f := newFixture(t)
	f.mutate = func(ed *crewjam.EntityDescriptor) { ed.EntityID = "https://elsewhere.example/sp" }
	resp, p := f.login(identity.Niedrig, erikaEID)
	_, err := f.finish(resp, p)
	wantReason(t, err, saml.ReasonAudience)
}

func TestEncryptedForAnotherKey(t *testing.T) {
	f := newFixture(t)
	f.mutate = func(ed *crewjam.EntityDescriptor) {
		for i, k := range ed.SPSSODescriptors[0].KeyDescriptors {
			if k.Use == "encryption" {
				ed.SPSSODescriptors[0].KeyDescriptors[i].KeyInfo.X509Data.X509Certificates[0].Data = base64.StdEncoding.EncodeToString(otherCt.Raw)
			}
		}
	}
	resp, p := f.login(identity.Niedrig, erikaEID)
	_, err := f.finish(resp, p)
	wantReason(t, err, saml.ReasonDecrypt)
}

func TestOversized(t *testing.T) {
	f := newFixture(t)
	_, p := f.login(identity.Niedrig, erikaEID)
	big := base64.StdEncoding.EncodeToString([]byte("<samlp:Response>" + strings.Repeat("x", saml.DefaultMaxMessageBytes) + "</samlp:Response>"))
	_, err := f.finish(big, p)
	wantReason(t, err, saml.ReasonSize)
}
