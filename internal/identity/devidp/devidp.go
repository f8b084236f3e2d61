// Package devidp is a development identity provider that behaves like
// BundID, for `antrag serve --demo` and for tests: a real SAML 2.0 IdP
// (github.com/crewjam/saml) that reads signed AuthnRequests with the
// akdb:AuthenticationRequest extension, signs its responses and assertions
// with RSA-PSS (sha256-rsa-MGF1), encrypts assertions for the SP, and sends
// the BundID attribute OIDs and STORK-QAA levels. Its login page lets a
// tester choose a test person, the trust level and the method (eID, ELSTER,
// Benutzername).
//
// It is UNSAFE FOR PRODUCTION: anyone can log in as anyone, at any level.
package devidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/xmlenc"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/saml"
)

// ProfileID is the id of the development IdP's profile.
const ProfileID = "devidp"

// SSOPath is the SSO endpoint below the base URL, as at BundID.
const SSOPath = "/profile/SAML2/POST/SSO"

// SLOPath is the single logout endpoint (HTTP-POST) below the base URL.
const SLOPath = "/profile/SAML2/POST/SLO"

// Config configures the development IdP.
type Config struct {
	// BaseURL is the IdP's address and entity id, e.g.
	// "http://localhost:8080/api/demo-idp". Its metadata is served there,
	// its SSO endpoint at BaseURL+SSOPath.
	BaseURL string
	// Key and Certificate sign; nil: a new RSA-2048 pair.
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
	// ServiceProvider returns the metadata of the SP with an entity id
	// (os.ErrNotExist if unknown). The IdP trusts whatever it returns.
	ServiceProvider func(r *http.Request, entityID string) (*crewjam.EntityDescriptor, error)
	// Encrypter encrypts assertions; nil: RSA-OAEP with SHA-256 and
	// AES-256-GCM.
	Encrypter xmlenc.Encrypter
	Logger    *slog.Logger
}

// IdP is the development identity provider; it is an http.Handler for
// the paths below its base URL.
type IdP struct {
	cfg     Config
	idp     *crewjam.IdentityProvider
	base    *url.URL
	mux     *http.ServeMux
	choices sync.Map // session id → choice
}

// choice is what the tester chose on the login page.
type choice struct {
	person Person
	level  string // raw STORK level
	method identity.Method
}

// Levels are the levels the login page offers, with their names.
var Levels = []struct{ Raw, Label string }{
	{"STORK-QAA-Level-1", "niedrig"},
	{"STORK-QAA-Level-3", "substantiell"},
	{"STORK-QAA-Level-4", "hoch"},
}

// Methods are the methods the login page offers, with their labels.
var Methods = []struct {
	Method identity.Method
	Label  string
}{
	{identity.MethodEID, "Online-Ausweis (eID)"},
	{identity.MethodElster, "ELSTER-Zertifikat"},
	{identity.MethodUsername, "Benutzername und Passwort"},
}

// New starts nothing; it builds the IdP.
func New(cfg Config) (*IdP, error) {
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("devidp: BaseURL %q", cfg.BaseURL)
	}
	if cfg.ServiceProvider == nil {
		return nil, errors.New("devidp: no ServiceProvider lookup")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Key == nil {
		if cfg.Key, cfg.Certificate, err = saml.GenerateKeyPair("antrag Entwicklungs-IdP", 2048); err != nil {
			return nil, err
		}
	}
	if cfg.Encrypter == nil {
		enc := xmlenc.OAEP()
		enc.DigestMethod = &xmlenc.SHA256
		enc.BlockCipher = xmlenc.AES256GCM
		cfg.Encrypter = enc
	}
	i := &IdP{cfg: cfg, base: base}
	sso := *base
	sso.Path += SSOPath
	slo := *base
	slo.Path += SLOPath
	i.idp = &crewjam.IdentityProvider{
		Key: cfg.Key, Signer: cfg.Key, Certificate: cfg.Certificate,
		MetadataURL: *base, SSOURL: sso, LogoutURL: slo,
		LogoutBindings:          []string{crewjam.HTTPPostBinding},
		SignatureMethod:         dsig.RSASHA256PSSSignatureMethod,
		ServiceProviderProvider: spLookup(cfg.ServiceProvider),
		SessionProvider:         i,
		AssertionMaker:          i,
		AssertionEncrypter:      cfg.Encrypter,
		ResponseFormTemplate:    responseForm,
		WantAuthnRequestsSigned: true,
		RejectSHA1Signatures:    true,
		Logger:                  discard{},
		OnError:                 i.onError,
	}
	i.mux = http.NewServeMux()
	i.mux.HandleFunc("GET "+base.Path, i.serveMetadata)
	i.mux.HandleFunc("POST "+base.Path+SSOPath, i.idp.ServeSSO)
	i.mux.HandleFunc("GET "+base.Path+SSOPath, i.idp.ServeSSO)
	// Single logout: the library checks the SP's signed LogoutRequest
	// against the SP's metadata, calls InvalidateSession and answers with
	// a LogoutResponse signed like the IdP's other messages (RSA-PSS).
	i.mux.HandleFunc("POST "+base.Path+SLOPath, i.idp.ServeSLO)
	return i, nil
}

type spLookup func(r *http.Request, entityID string) (*crewjam.EntityDescriptor, error)

func (f spLookup) GetServiceProvider(r *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	return f(r, id)
}

type discard struct{}

func (discard) Printf(string, ...interface{}) {}
func (discard) Print(...interface{})          {}
func (discard) Println(...interface{})        {}
func (discard) Fatal(...interface{})          {}
func (discard) Fatalf(string, ...interface{}) {}
func (discard) Fatalln(...interface{})        {}
func (discard) Panic(...interface{})          {}
func (discard) Panicf(string, ...interface{}) {}
func (discard) Panicln(...interface{})        {}

// onError answers a request the IdP cannot take, e.g. an unsigned or
// unknown AuthnRequest. The error names no person.
func (i *IdP) onError(w http.ResponseWriter, r *http.Request, status int, err error) {
	i.cfg.Logger.Warn("devidp refused a request", "status", status, "error", err.Error())
	http.Error(w, "Die Anmeldeanfrage kann nicht bearbeitet werden.", status)
}

// ServeHTTP serves the metadata (GET BaseURL), the SSO endpoint and the
// single logout endpoint.
func (i *IdP) ServeHTTP(w http.ResponseWriter, r *http.Request) { i.mux.ServeHTTP(w, r) }

// EntityID is the IdP's entity id (its base URL).
func (i *IdP) EntityID() string { return i.base.String() }

// Certificate is the IdP's signing certificate.
func (i *IdP) Certificate() *x509.Certificate { return i.cfg.Certificate }

// Metadata returns the IdP's metadata (XML).
func (i *IdP) Metadata() ([]byte, error) {
	b, err := xml.MarshalIndent(i.idp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

func (i *IdP) serveMetadata(w http.ResponseWriter, r *http.Request) {
	b, err := i.Metadata()
	if err != nil {
		http.Error(w, "Metadaten nicht verfügbar", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(b)
}

// Profile returns the SP profile for this IdP: BundID's test system's
// profile with this IdP's entity id, endpoint and metadata.
func (i *IdP) Profile() *saml.Profile {
	p := saml.BuiltinProfile("bundid-int")
	p.ID = ProfileID
	p.Name = "Test-Konto (Entwicklung)"
	p.Description = "Entwicklungs-Anmeldung mit Testpersonen: nur zum Ausprobieren, nie für echte Anträge."
	p.EntityID = i.EntityID()
	p.SSOURL = i.EntityID() + SSOPath
	p.MetadataURL = i.EntityID()
	p.Test = true
	md, err := i.Metadata()
	if err == nil {
		err = p.SetMetadata(md)
	}
	if err != nil {
		panic("devidp: own metadata: " + err.Error())
	}
	return p
}

// LogoutRequest returns a LogoutRequest (XML) from this IdP to an SP's
// single logout endpoint dest, signed with RSA-PSS unless unsigned is set
// (to test that SPs refuse it).
func (i *IdP) LogoutRequest(dest, nameID string, unsigned bool) ([]byte, error) {
	lr := crewjam.LogoutRequest{ID: randomID(), Version: "2.0", IssueInstant: time.Now().UTC(), Destination: dest,
		Issuer: &crewjam.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: i.EntityID()},
		NameID: &crewjam.NameID{Format: string(crewjam.TransientNameIDFormat), Value: nameID}}
	el := lr.Element()
	if !unsigned {
		ctx, err := dsig.NewSigningContext(i.cfg.Key, [][]byte{i.cfg.Certificate.Raw})
		if err != nil {
			return nil, err
		}
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		if err := ctx.SetSignatureMethod(dsig.RSASHA256PSSSignatureMethod); err != nil {
			return nil, err
		}
		signed, err := ctx.SignEnveloped(el)
		if err != nil {
			return nil, err
		}
		sig := signed.Child[len(signed.Child)-1]
		signed.Child = signed.Child[:len(signed.Child)-1]
		signed.InsertChildAt(1, sig) // after Issuer
		el = signed
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	return doc.WriteToBytes()
}

// request is what the login page shows of the AuthnRequest.
type request struct {
	DisplayName     string
	OnlineServiceID string
	AllowedMethods  []string
	Requested       []string // attribute OIDs
	MinLevel        string   // raw
}

// readRequest reads the akdb extension (any of its forms) and the
// requested level from a validated AuthnRequest.
func readRequest(req *crewjam.IdpAuthnRequest) request {
	var out request
	if rac := req.Request.RequestedAuthnContext; rac != nil {
		if refs := rac.ClassRefs(); len(refs) > 0 {
			out.MinLevel = refs[0]
		}
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(req.RequestBuffer) != nil || doc.Root() == nil {
		return out
	}
	for _, ext := range doc.Root().ChildElements() {
		if ext.Tag != "Extensions" {
			continue
		}
		for _, el := range ext.FindElements(".//*") {
			switch el.Tag {
			case "OrganizationDisplayName":
				out.DisplayName = strings.TrimSpace(el.Text())
			case "OnlineServiceId", "OnlineServiceID":
				out.OnlineServiceID = strings.TrimSpace(el.Text())
			case "AuthnMethod":
				out.AllowedMethods = append(out.AllowedMethods, strings.TrimSpace(el.Text()))
			case "Enabled":
				if p := el.Parent(); p != nil && strings.TrimSpace(el.Text()) == "true" {
					out.AllowedMethods = append(out.AllowedMethods, p.Tag)
				}
			case "RequestedAttribute":
				if n := el.SelectAttrValue("Name", ""); n != "" {
					out.Requested = append(out.Requested, n)
				}
			}
		}
	}
	return out
}

// GetSession implements crewjam.SessionProvider: it shows the login page,
// and takes its answer (posted to the SSO endpoint with the request).
func (i *IdP) GetSession(w http.ResponseWriter, r *http.Request, req *crewjam.IdpAuthnRequest) *crewjam.Session {
	rq := readRequest(req)
	page := loginPage{Request: rq, Action: i.EntityID() + SSOPath, SAMLRequest: r.PostForm.Get("SAMLRequest"),
		RelayState: req.RelayState, Persons: Persons, Levels: Levels, Methods: Methods,
		Person: Persons[0].ID, Level: rq.MinLevel, Method: string(identity.MethodEID)}
	if page.SAMLRequest == "" {
		page.SAMLRequest = base64.StdEncoding.EncodeToString(req.RequestBuffer)
	}
	if !slices.ContainsFunc(Levels, func(l struct{ Raw, Label string }) bool { return l.Raw == page.Level }) {
		page.Level = Levels[0].Raw
	}
	if r.Method == http.MethodPost && r.PostForm.Has("person") {
		page.Person, page.Level, page.Method = r.PostForm.Get("person"), r.PostForm.Get("niveau"), r.PostForm.Get("methode")
		person, ok := PersonByID(page.Person)
		if !ok {
			page.Errors = append(page.Errors, pageError{"#person-" + Persons[0].ID, "Wählen Sie eine Testperson."})
		}
		if !slices.ContainsFunc(Levels, func(l struct{ Raw, Label string }) bool { return l.Raw == page.Level }) {
			page.Errors = append(page.Errors, pageError{"#niveau-" + Levels[0].Raw, "Wählen Sie ein Vertrauensniveau."})
		}
		if !slices.ContainsFunc(Methods, func(m struct {
			Method identity.Method
			Label  string
		}) bool {
			return string(m.Method) == page.Method
		}) {
			page.Errors = append(page.Errors, pageError{"#methode-eID", "Wählen Sie ein Anmeldeverfahren."})
		}
		if len(page.Errors) == 0 {
			return i.session(req, choice{person: person, level: page.Level, method: identity.Method(page.Method)})
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if len(page.Errors) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	if err := loginTemplate.Execute(w, page); err != nil {
		i.cfg.Logger.Error("devidp login page", "error", err.Error())
	}
	return nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "_" + hex.EncodeToString(b)
}

func (i *IdP) session(req *crewjam.IdpAuthnRequest, c choice) *crewjam.Session {
	now := time.Now()
	s := &crewjam.Session{ID: randomID(), CreateTime: now, ExpireTime: now.Add(5 * time.Minute), Index: randomID(),
		NameID: randomID(), NameIDFormat: string(crewjam.TransientNameIDFormat), UserName: c.person.ID,
		AuthnContextClassRef: c.level}
	i.choices.Store(s.ID, c)
	return s
}

// InvalidateSession implements crewjam.SessionInvalidator for single
// logout. The IdP keeps no session after a login (every login shows the
// choice of person again), so there is nothing to end; it logs that an SP
// asked, naming no person.
func (i *IdP) InvalidateSession(_ http.ResponseWriter, _ *http.Request, req *crewjam.IdpLogoutRequest) error {
	i.cfg.Logger.Info("devidp logout", "sp", req.ServiceProviderMetadata.EntityID)
	return nil
}

// MakeAssertion implements crewjam.AssertionMaker: the library's
// assertion (subject, conditions, audience, AuthnStatement with the chosen
// level), with BundID's attributes in place of the library's.
func (i *IdP) MakeAssertion(req *crewjam.IdpAuthnRequest, s *crewjam.Session) error {
	v, ok := i.choices.LoadAndDelete(s.ID)
	if !ok {
		return errors.New("devidp: unknown session")
	}
	c := v.(choice)
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, s); err != nil {
		return err
	}
	prof := saml.BuiltinProfile("bundid")
	oidOf := map[string]string{}
	for oid, key := range prof.Attributes {
		oidOf[key] = oid
	}
	values := map[string]string{}
	for k, v := range c.person.Attributes {
		values[k] = v
	}
	pseud := sha256.Sum256([]byte(c.person.ID + "|" + req.ServiceProviderMetadata.EntityID))
	values["bPK2"] = base64.StdEncoding.EncodeToString(pseud[:])
	values["trustLevel"] = c.level
	values["assertionProvedBy"] = string(c.method)
	requested := readRequest(req).Requested
	var attrs []crewjam.Attribute
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		oid := oidOf[k]
		if oid == "" || (len(requested) > 0 && !slices.Contains(requested, oid) && k != "bPK2" && k != "trustLevel" && k != "assertionProvedBy") {
			continue
		}
		attrs = append(attrs, crewjam.Attribute{Name: oid, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
			Values: []crewjam.AttributeValue{{Type: "xs:string", Value: values[k]}}})
	}
	req.Assertion.AttributeStatements = []crewjam.AttributeStatement{{Attributes: attrs}}
	return nil
}
