package devidp_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"

	"github.com/antrag/antrag/internal/identity/devidp"
)

func newIdP(t *testing.T) (*devidp.IdP, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	idp, err := devidp.New(devidp.Config{BaseURL: srv.URL + "/idp",
		ServiceProvider: func(*http.Request, string) (*crewjam.EntityDescriptor, error) { return nil, os.ErrNotExist }})
	if err != nil {
		t.Fatal(err)
	}
	h = idp
	return idp, srv
}

func TestMetadata(t *testing.T) {
	idp, srv := newIdP(t)
	res, err := http.Get(srv.URL + "/idp")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	doc := etree.NewDocument()
	if _, err := doc.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	if root.SelectAttrValue("entityID", "") != idp.EntityID() {
		t.Errorf("entityID %q", root.SelectAttrValue("entityID", ""))
	}
	sso := root.FindElement(".//SingleSignOnService[@Binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST']")
	if sso == nil || sso.SelectAttrValue("Location", "") != srv.URL+"/idp"+devidp.SSOPath {
		t.Error("no HTTP-POST SSO endpoint")
	}
	slo := root.FindElement(".//SingleLogoutService[@Binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST']")
	if slo == nil || slo.SelectAttrValue("Location", "") != srv.URL+"/idp"+devidp.SLOPath {
		t.Error("no HTTP-POST single logout endpoint")
	}
	if p := idp.Profile(); !p.Usable() || p.ID != devidp.ProfileID || !p.Test {
		t.Errorf("profile %+v", p)
	}
}

// TestUnsignedRequestRefused: like BundID, the IdP takes only signed
// AuthnRequests.
func TestUnsignedRequestRefused(t *testing.T) {
	_, srv := newIdP(t)
	req := crewjam.AuthnRequest{ID: "_x", Version: "2.0", Destination: srv.URL + "/idp" + devidp.SSOPath,
		Issuer: &crewjam.Issuer{Value: "https://sp.example/metadata"}}
	doc := etree.NewDocument()
	doc.SetRoot(req.Element())
	b, _ := doc.WriteToBytes()
	res, err := http.PostForm(srv.URL+"/idp"+devidp.SSOPath, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(b)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unsigned request: %d", res.StatusCode)
	}
}

func TestPersons(t *testing.T) {
	withSpace := false
	for _, p := range devidp.Persons {
		if strings.Contains(p.Attributes["postalCode"], " ") {
			withSpace = true
		}
		if p.Label() == "" {
			t.Errorf("%s has no label", p.ID)
		}
	}
	if !withSpace {
		t.Error("no test person has a postcode written with a space")
	}
	if _, ok := devidp.PersonByID("erika"); !ok {
		t.Error("no erika")
	}
}
