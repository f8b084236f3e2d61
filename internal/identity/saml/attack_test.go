package saml_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/devidp"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/store/storetest"
)

// opened is a response from the IdP taken apart as an attacker who can
// decrypt it (with the SP's key, the worst case) would: the Response
// without its signature, and the signed plaintext assertion.
type opened struct {
	response  *etree.Element // unsigned, without the EncryptedAssertion
	assertion *etree.Element // as the IdP signed it
	signedRsp *etree.Element // the Response as received, signed
}

func open(t *testing.T, resp string) opened {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	o := opened{signedRsp: root.Copy()}
	enc := root.FindElement("./EncryptedAssertion")
	plain, err := xmlenc.Decrypt(spKey, enc.FindElement("./EncryptedData"))
	if err != nil {
		t.Fatal(err)
	}
	ad := etree.NewDocument()
	if err := ad.ReadFromBytes(plain); err != nil {
		t.Fatal(err)
	}
	o.assertion = ad.Root()
	root.RemoveChild(enc)
	root.RemoveChild(root.FindElement("./Signature"))
	o.response = root
	return o
}

func encode(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// evil is a copy of the signed assertion without its signature, with
// another id, another person's name and the highest level.
func evil(a *etree.Element) *etree.Element {
	e := a.Copy()
	e.RemoveChild(e.FindElement("./Signature"))
	e.CreateAttr("ID", "_evil")
	for _, at := range e.FindElements(".//Attribute") {
		if at.SelectAttrValue("Name", "") == "2.5.4.42" {
			at.FindElement("./AttributeValue").SetText("Mallory")
		}
	}
	e.FindElement(".//AuthnContextClassRef").SetText("STORK-QAA-Level-4")
	return e
}

// TestSignatureChecks: a plain signed assertion in an unsigned Response is
// accepted (the control: the constructions below differ from it only by
// the attack); an unsigned assertion and the signature-wrapping variants
// are refused.
func TestSignatureChecks(t *testing.T) {
	build := map[string]func(o opened) *etree.Element{
		"control: signed assertion": func(o opened) *etree.Element {
			o.response.AddChild(o.assertion)
			return o.response
		},
		"unsigned assertion": func(o opened) *etree.Element {
			o.assertion.RemoveChild(o.assertion.FindElement("./Signature"))
			o.response.AddChild(o.assertion)
			return o.response
		},
		"evil assertion before the signed one": func(o opened) *etree.Element {
			o.response.AddChild(evil(o.assertion))
			o.response.AddChild(o.assertion)
			return o.response
		},
		"evil assertion after the signed one": func(o opened) *etree.Element {
			o.response.AddChild(o.assertion)
			o.response.AddChild(evil(o.assertion))
			return o.response
		},
		"signed assertion wrapped inside the evil one": func(o opened) *etree.Element {
			e := evil(o.assertion)
			adv := e.CreateElement("saml:Advice")
			adv.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
			adv.AddChild(o.assertion)
			o.response.AddChild(e)
			return o.response
		},
		"signature moved to the evil assertion with the signed id": func(o opened) *etree.Element {
			e := evil(o.assertion)
			e.CreateAttr("ID", o.assertion.SelectAttrValue("ID", ""))
			sig := o.assertion.FindElement("./Signature")
			o.assertion.RemoveChild(sig)
			e.InsertChildAt(1, sig)
			o.response.AddChild(e)
			return o.response
		},
		"signed assertion hidden in Extensions": func(o opened) *etree.Element {
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(o.assertion)
			o.response.InsertChildAt(1, ext)
			o.response.AddChild(evil(o.assertion))
			return o.response
		},
		"evil assertion added to the signed Response": func(o opened) *etree.Element {
			o.signedRsp.AddChild(evil(o.assertion))
			return o.signedRsp
		},
		"signed Response wrapped in an evil one": func(o opened) *etree.Element {
			w := o.response.Copy()
			w.CreateAttr("ID", "_evilresponse")
			w.AddChild(evil(o.assertion))
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(o.signedRsp)
			w.InsertChildAt(1, ext)
			return w
		},
	}
	for name, b := range build {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			resp, p := f.login(identity.Niedrig, choice{"erika", "STORK-QAA-Level-1", identity.MethodUsername})
			id, err := f.finish(encode(t, b(open(t, resp))), p)
			if strings.HasPrefix(name, "control") {
				if err != nil {
					t.Fatalf("the control is refused: %v", err)
				}
				if id.Attr(identity.AttrGivenName) != "Erika" || id.Level != identity.Niedrig {
					t.Fatalf("control: %+v", id)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %s, %s", id.Attr(identity.AttrGivenName), id.Level)
			}
			if r := saml.ReasonOf(err); r != saml.ReasonSignature && r != saml.ReasonMalformed {
				t.Fatalf("refused for %q (%v); want signature or malformed", r, err)
			}
		})
	}
}

// TestReplayOtherProcess: two SP instances on one database (two
// processes) share the replay cache.
func TestReplayOtherProcess(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			dsn := d.NewDSN(t)
			f := newFixtureWith(t, storetest.Open(t, dsn))
			other := f.newSP(storetest.Open(t, dsn))
			resp, p := f.login(identity.Substantiell, choice{"max", "STORK-QAA-Level-3", identity.MethodEID})
			if _, err := f.finish(resp, p); err != nil {
				t.Fatal(err)
			}
			_, err := other.FinishLogin(context.Background(), f.site, resp, p)
			wantReason(t, err, saml.ReasonReplay)
		})
	}
}

func TestLogoutRequest(t *testing.T) {
	f := newFixture(t)
	slo := f.site.URL(devidp.ProfileID, "slo")
	validate := func(unsigned bool, dest string) (string, error) {
		b, err := f.idp.LogoutRequest(dest, "_someone", unsigned)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, slo, strings.NewReader(url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(b)}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f.sp.ValidateLogoutRequest(r, f.site, devidp.ProfileID)
	}
	if id, err := validate(false, slo); err != nil || id == "" {
		t.Fatalf("signed LogoutRequest: %q, %v", id, err)
	}
	_, err := validate(true, slo)
	wantReason(t, err, saml.ReasonSignature)
	_, err = validate(false, f.site.URL("bundid", "slo"))
	wantReason(t, err, saml.ReasonDestination)
}

// TestRequestCarriesExtension: the signed AuthnRequest has the akdb
// extension with the OnlineServiceId, the requested OIDs, and
// RequestedAuthnContext "minimum" with the level asked for.
func TestRequestCarriesExtension(t *testing.T) {
	f := newFixture(t)
	st, err := f.sp.StartLogin(f.site, devidp.ProfileID, saml.LoginRequest{MinLevel: identity.Substantiell, BackURL: "https://antrag.example/musterstadt/"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(st.SAMLRequest)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	kids := root.ChildElements()
	if len(kids) < 3 || kids[0].Tag != "Issuer" || kids[1].Tag != "Signature" || kids[2].Tag != "Extensions" {
		t.Fatalf("children in wrong order")
	}
	if m := root.FindElement("./Signature/SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); m != "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" {
		t.Errorf("signature method %s", m)
	}
	ar := root.FindElement("./Extensions/AuthenticationRequest")
	if ar == nil || ar.NamespaceURI() != saml.AKDBNamespace || ar.SelectAttrValue("Version", "") != "2" {
		t.Fatal("no akdb:AuthenticationRequest")
	}
	if n := ar.FindElement(".//OrganizationDisplayName"); n == nil || n.Text() != "Stadt Musterstadt" {
		t.Error("OrganizationDisplayName")
	}
	names := map[string]bool{}
	for _, ra := range ar.FindElements(".//RequestedAttribute") {
		names[ra.SelectAttrValue("Name", "")] = ra.SelectAttrValue("RequiredAttribute", "") == "true"
	}
	if req, ok := names["2.5.4.42"]; !ok || !req {
		t.Errorf("givenName not requested as required: %v", names)
	}
	if _, ok := names["2.5.4.17"]; !ok {
		t.Errorf("postalCode not requested")
	}
	rac := root.FindElement("./RequestedAuthnContext")
	if rac == nil || rac.SelectAttrValue("Comparison", "") != "minimum" || rac.FindElement("./AuthnContextClassRef").Text() != "STORK-QAA-Level-3" {
		t.Error("RequestedAuthnContext")
	}
}

// FuzzFinishLogin feeds arbitrary messages to the response parser: no
// panic, and nothing is accepted that the IdP did not sign.
func FuzzFinishLogin(f *testing.F) {
	fx := newFixture(f)
	resp, p := fx.login(identity.Niedrig, erikaEID)
	raw, _ := base64.StdEncoding.DecodeString(resp)
	f.Add(raw)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		id, err := fx.sp.FinishLogin(context.Background(), fx.site, base64.StdEncoding.EncodeToString(msg), p)
		if err == nil && id.Attr(identity.AttrGivenName) != "Erika" {
			t.Fatalf("accepted a forged identity: %+v", id)
		}
	})
}
