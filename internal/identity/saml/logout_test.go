package saml_test

import (
	"context"
	"errors"
	"testing"

	"github.com/beevik/etree"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/devidp"
	"github.com/antrag/antrag/internal/identity/saml"
)

// TestLoginSubject: the login keeps what single logout needs.
func TestLoginSubject(t *testing.T) {
	f := newFixture(t)
	resp, pending := f.login(identity.LevelNone, erikaEID)
	id, subj, err := f.sp.FinishLoginSubject(context.Background(), f.site, resp, pending)
	if err != nil {
		t.Fatal(err)
	}
	if id == nil || subj == nil || subj.NameID == "" || subj.SessionIndex == "" {
		t.Fatalf("subject %+v", subj)
	}
	if !f.sp.SupportsLogout(devidp.ProfileID) {
		t.Fatal("the development IdP has single logout")
	}
	out, err := f.sp.StartLogout(f.site, devidp.ProfileID, *subj)
	if err != nil {
		t.Fatal(err)
	}
	if out.Field != "SAMLRequest" || out.URL != f.idp.EntityID()+devidp.SLOPath || out.ID == "" {
		t.Errorf("logout %+v", out)
	}
}

// TestNoSingleLogout: an IdP whose metadata has no SingleLogoutService
// gets no LogoutRequest and no LogoutResponse.
func TestNoSingleLogout(t *testing.T) {
	f := newFixture(t)
	md, err := f.idp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	for _, el := range doc.FindElements("//SingleLogoutService") {
		el.Parent().RemoveChild(el)
	}
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	p := f.idp.Profile()
	if err := p.SetMetadata(b); err != nil {
		t.Fatal(err)
	}
	sp, err := saml.New(saml.Config{Key: spKey, Certificate: spCert, Replay: &memReplay{}}, []*saml.Profile{p})
	if err != nil {
		t.Fatal(err)
	}
	if sp.SupportsLogout(p.ID) {
		t.Error("single logout without an endpoint")
	}
	if _, err := sp.StartLogout(f.site, p.ID, saml.Subject{NameID: "_x"}); !errors.Is(err, apperr.NotFound) {
		t.Errorf("StartLogout: %v", err)
	}
	if _, err := sp.LogoutResponse(f.site, p.ID, "_r"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("LogoutResponse: %v", err)
	}
}
