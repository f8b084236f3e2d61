package saml

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
)

// Subject is what single logout needs of a login: the assertion's NameID
// (with its format and qualifiers) and the AuthnStatement's SessionIndex.
// It holds the IdP's pseudonymous name id, so it is kept sealed like the
// identity.
type Subject struct {
	NameID          string `json:"n"`
	Format          string `json:"f,omitempty"`
	NameQualifier   string `json:"nq,omitempty"`
	SPNameQualifier string `json:"spq,omitempty"`
	SessionIndex    string `json:"si,omitempty"`
}

// subject reads the Subject of a verified assertion; nil without a NameID.
func subject(a *crewjam.Assertion) *Subject {
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return nil
	}
	n := a.Subject.NameID
	s := &Subject{NameID: n.Value, Format: n.Format, NameQualifier: n.NameQualifier, SPNameQualifier: n.SPNameQualifier}
	if len(a.AuthnStatements) > 0 {
		s.SessionIndex = a.AuthnStatements[0].SessionIndex
	}
	return s
}

// Outgoing is a signed SAML message on its way to the IdP: post Field
// (SAMLRequest or SAMLResponse, base64 of the signed XML) to URL from the
// citizen's browser.
type Outgoing struct {
	ID    string // the message's id
	URL   string
	Field string
	Value string
}

// sloService returns the IdP's SingleLogoutService for HTTP-POST: where
// requests go and where responses go (ResponseLocation, else Location);
// empty when the IdP has none.
func sloService(p *Profile) (request, response string) {
	if p.IDPMetadata == nil {
		return "", ""
	}
	for _, d := range p.IDPMetadata.IDPSSODescriptors {
		for _, e := range d.SingleLogoutServices {
			if e.Binding == crewjam.HTTPPostBinding && e.Location != "" {
				resp := e.Location
				if e.ResponseLocation != "" {
					resp = e.ResponseLocation
				}
				return e.Location, resp
			}
		}
	}
	return "", ""
}

// SupportsLogout reports whether the IdP of profile has a
// SingleLogoutService for HTTP-POST in its metadata.
func (s *ServiceProvider) SupportsLogout(profile string) bool {
	p, ok := s.profiles[profile]
	if !ok {
		return false
	}
	req, _ := sloService(p)
	return req != ""
}

// StartLogout makes a LogoutRequest for subj, signed with the profile's
// method, for the HTTP-POST binding to the IdP's SingleLogoutService.
// Errors: apperr.NotFound for an unknown profile or an IdP without single
// logout.
func (s *ServiceProvider) StartLogout(site Site, profile string, subj Subject) (*Outgoing, error) {
	p, ok := s.profiles[profile]
	if !ok {
		return nil, fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)
	}
	dest, _ := sloService(p)
	if dest == "" {
		return nil, fmt.Errorf("Anmeldeprofil %s: keine Single-Logout-Adresse: %w", p.ID, apperr.NotFound)
	}
	sp := s.sp(context.Background(), site, p) // no SignatureMethod: unsigned here, signed below
	req, err := sp.MakeLogoutRequest(dest, subj.NameID, crewjam.WithSessionIndex(subj.SessionIndex))
	if err != nil {
		return nil, err
	}
	req.NameID = &crewjam.NameID{Value: subj.NameID, Format: subj.Format, NameQualifier: subj.NameQualifier,
		SPNameQualifier: subj.SPNameQualifier}
	return s.outgoing(req.ID, dest, "SAMLRequest", req.Element(), p.SignatureMethod)
}

// outgoing signs el and encodes it for the HTTP-POST binding.
func (s *ServiceProvider) outgoing(id, dest, field string, el *etree.Element, method string) (*Outgoing, error) {
	signed, err := s.sign(el, method)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(signed)
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	return &Outgoing{ID: id, URL: dest, Field: field, Value: base64.StdEncoding.EncodeToString(b)}, nil
}

// FinishLogout checks the IdP's LogoutResponse in r (HTTP-POST binding)
// to the LogoutRequest requestID of profile at site: signed by a
// certificate of the IdP's metadata (an unsigned one is refused), issued
// by the IdP, addressed to this SP's SLO endpoint, in time, answering
// requestID, with status Success. Errors are *Error with a Reason.
func (s *ServiceProvider) FinishLogout(r *http.Request, site Site, profile, requestID string) error {
	p, ok := s.profiles[profile]
	if !ok {
		return &Error{Reason: ReasonProfile, Err: fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)}
	}
	if requestID == "" {
		return &Error{Reason: ReasonInResponseTo, Err: errors.New("no logout request pending")}
	}
	if err := r.ParseForm(); err != nil {
		return &Error{Reason: ReasonMalformed, Err: err}
	}
	if v := r.PostForm.Get("SAMLResponse"); len(v) > base64.StdEncoding.EncodedLen(s.cfg.MaxMessageBytes)+64 {
		return &Error{Reason: ReasonSize, Err: fmt.Errorf("message of %d bytes exceeds %d", len(v), s.cfg.MaxMessageBytes)}
	}
	if _, err := s.sp(r.Context(), site, p).ParseLogoutResponse(r, []string{requestID}); err != nil {
		return classify(err)
	}
	return nil
}

// IdPLogout is a valid LogoutRequest from the IdP.
type IdPLogout struct {
	ID           string
	NameID       string
	SessionIndex []string
}

// ValidateIdPLogout is ValidateLogoutRequest returning what the request
// names.
func (s *ServiceProvider) ValidateIdPLogout(r *http.Request, site Site, profile string) (*IdPLogout, error) {
	p, ok := s.profiles[profile]
	if !ok {
		return nil, &Error{Reason: ReasonProfile, Err: fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)}
	}
	req, err := s.sp(r.Context(), site, p).ValidateLogoutRequest(r)
	if err != nil {
		return nil, classify(err)
	}
	out := &IdPLogout{ID: req.ID}
	if req.NameID != nil {
		out.NameID = req.NameID.Value
	}
	for _, si := range req.AllSessionIndexes() {
		out.SessionIndex = append(out.SessionIndex, si.Value)
	}
	return out, nil
}

// LogoutResponse answers the IdP's LogoutRequest requestID with a signed
// LogoutResponse (status Success) for the HTTP-POST binding to the IdP's
// SingleLogoutService. Errors: apperr.NotFound for an unknown profile or
// an IdP without single logout.
func (s *ServiceProvider) LogoutResponse(site Site, profile, requestID string) (*Outgoing, error) {
	p, ok := s.profiles[profile]
	if !ok {
		return nil, fmt.Errorf("Anmeldeprofil %q: %w", profile, apperr.NotFound)
	}
	_, dest := sloService(p)
	if dest == "" {
		return nil, fmt.Errorf("Anmeldeprofil %s: keine Single-Logout-Adresse: %w", p.ID, apperr.NotFound)
	}
	resp, err := s.sp(context.Background(), site, p).MakeLogoutResponse(dest, requestID)
	if err != nil {
		return nil, err
	}
	return s.outgoing(resp.ID, dest, "SAMLResponse", resp.Element(), p.SignatureMethod)
}

// FinishLoginSubject is FinishLogin that also returns the Subject for
// single logout (nil when the assertion has no NameID).
func (s *ServiceProvider) FinishLoginSubject(ctx context.Context, site Site, samlResponse string, pending Pending) (*identity.Identity, *Subject, error) {
	var subj *Subject
	id, err := s.finishLogin(ctx, site, samlResponse, pending, func(a *crewjam.Assertion) { subj = subject(a) })
	if err != nil {
		return nil, nil, err
	}
	return id, subj, nil
}
