package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/tenant"
)

// Routing in the journey ("Einer für Alle"). A service with jurisdictions,
// or whose owner delivers via FIT-Connect routing, asks where the
// applicant lives before the first step (routingForm on the start page),
// finds the responsible authority (tenant.Locate) and continues on the
// start page of that authority's tenant, which names it and links to the
// explanation. The routing result travels between these pages as a
// sealed token (placeTTL), so that neither the postcode nor the street
// appears in an address, and is stored with the draft.

// placeTTL is how long a routing result found before the first step stays
// valid for starting an application.
const placeTTL = 2 * time.Hour

// routingOf reports whether applications for svc are routed, and whether
// its owner delivers via FIT-Connect routing (so that the Routing API
// answers for places no jurisdiction covers).
func (s *Server) routingOf(ctx context.Context, svc *tenant.Service) (routed, viaFITConnect bool, err error) {
	js, err := s.deps.Store.ServiceJurisdictions(ctx, svc.ID)
	if err != nil {
		return false, false, err
	}
	targets, err := s.deps.Store.Targets(ctx, svc.TenantID, svc.ID)
	if err != nil {
		return false, false, err
	}
	viaFITConnect = slices.ContainsFunc(targets, func(t *delivery.Target) bool { return t.Kind == delivery.FITConnectRouting })
	return len(js) > 0 || viaFITConnect, viaFITConnect, nil
}

// locate finds the authority responsible for an application for svc at
// the place q names (tenant.Locate).
func (s *Server) locate(ctx context.Context, svc *tenant.Service, q tenant.Query) (*tenant.Routing, []area.Area, error) {
	_, via, err := s.routingOf(ctx, svc)
	if err != nil {
		return nil, nil, err
	}
	var finder tenant.RouteFinder
	if s.deps.Routes != nil {
		finder = s.deps.Routes
	}
	return tenant.Locate(ctx, s.deps.Store, finder, svc, via, q, s.now())
}

// sealPlace returns the routing result as a URL-safe sealed token.
func (s *Server) sealPlace(rt *tenant.Routing) (string, error) {
	b, err := json.Marshal(rt)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.deps.Box.Seal(b)), nil
}

// openPlace returns the routing result of a token from sealPlace if it is
// for svc in tenant t and younger than placeTTL; otherwise apperr.Invalid.
func (s *Server) openPlace(tok string, t *tenant.Tenant, svc *tenant.Service) (*tenant.Routing, error) {
	invalid := fmt.Errorf("Ortsangabe ungültig oder abgelaufen: %w", apperr.Invalid)
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(tok) > 8192 {
		return nil, invalid
	}
	plain, err := s.deps.Box.Open(b)
	if err != nil {
		return nil, invalid
	}
	rt := &tenant.Routing{}
	if json.Unmarshal(plain, rt) != nil || rt.ServiceID != svc.ID || rt.TenantID != t.ID {
		return nil, invalid
	}
	if age := s.now().Sub(rt.At); age < -time.Minute || age > placeTTL {
		return nil, invalid
	}
	return rt, nil
}

// routedAuthority returns the authority a routing result names in tenant
// t; nil (no error) when the Routing API named a FIT-Connect destination
// and the service's own authority stands for it.
func (s *Server) routedAuthority(ctx context.Context, t *tenant.Tenant, rt *tenant.Routing) (*tenant.Authority, error) {
	if rt == nil || rt.AuthorityID == "" {
		return nil, nil
	}
	return s.deps.Store.Authority(ctx, t.ID, rt.AuthorityID)
}

// placeForm is what the applicant typed in the routing form.
type placeForm struct {
	Postcode, Street, ARS string
}

// findAuthority answers the routing form (POST
// /{tenant}/dienste/{service}/zustaendigkeit): on to the responsible
// authority's start page, or the Gemeinden of a postcode to choose from,
// or the start page again with the problem, or a page that says where to
// turn when no authority is responsible.
func (s *Server) findAuthority(w http.ResponseWriter, r *http.Request) error {
	t, svc, err := s.serviceOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return clientError(apperr.Invalid, "Formulardaten unlesbar.")
	}
	pf := placeForm{Postcode: strings.TrimSpace(r.PostForm.Get("plz")), Street: strings.TrimSpace(r.PostForm.Get("strasse")),
		ARS: strings.TrimSpace(r.PostForm.Get("ars"))}
	rt, choices, err := s.locate(r.Context(), svc, tenant.Query{ARS: pf.ARS, Postcode: pf.Postcode, Street: pf.Street})
	switch {
	case errors.Is(err, tenant.ErrNotResponsible):
		return s.renderStart(w, r, http.StatusOK, t, svc, startState{Place: pf, NotResponsible: true})
	case errors.Is(err, apperr.Invalid):
		return s.renderStart(w, r, http.StatusUnprocessableEntity, t, svc, startState{Place: pf, Problem: messageOf(err)})
	case err != nil:
		return err
	case len(choices) > 0:
		return s.renderStart(w, r, http.StatusOK, t, svc, startState{Place: pf, Choices: choices})
	}
	target := t
	if rt.TenantID != t.ID {
		if target, err = s.deps.Store.Tenant(r.Context(), rt.TenantID); err != nil {
			return err
		}
	}
	tok, err := s.sealPlace(rt)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/"+target.Slug+"/dienste/"+svc.Slug+"?ort="+url.QueryEscape(tok), http.StatusSeeOther)
	return nil
}

// messageOf is an apperr error's German message without the kind's
// suffix.
func messageOf(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// whyAuthority explains a routing result (GET
// /{tenant}/dienste/{service}/zustaendigkeit?ort=… before the first step,
// GET /{tenant}/antrag/{token}/zustaendigkeit for a draft): the place, the
// area and rule that decided, and the rule's source.
func (s *Server) whyAuthority(w http.ResponseWriter, r *http.Request) error {
	t, svc, err := s.serviceOf(r)
	if err != nil {
		return err
	}
	rt, err := s.openPlace(r.URL.Query().Get("ort"), t, svc)
	if err != nil {
		return &publicError{title: "Zuständigkeit nicht mehr bekannt", err: fmt.Errorf("%w", apperr.NotFound),
			text: "Diese Angabe ist abgelaufen. Bitte geben Sie Ihren Wohnort auf der Startseite des Dienstes erneut an."}
	}
	return s.renderWhy(w, r, t, svc, rt, "/"+t.Slug+"/dienste/"+svc.Slug+"?ort="+url.QueryEscape(r.URL.Query().Get("ort")))
}

func (s *Server) draftWhyAuthority(w http.ResponseWriter, r *http.Request) error {
	dc, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if dc.draft.Routing == nil {
		return fmt.Errorf("Antrag ohne Zuständigkeitsprüfung: %w", apperr.NotFound)
	}
	return s.renderWhy(w, r, dc.tenant, dc.svc, dc.draft.Routing, dc.base)
}

func (s *Server) renderWhy(w http.ResponseWriter, r *http.Request, t *tenant.Tenant, svc *tenant.Service, rt *tenant.Routing, back string) error {
	auth, err := s.routedAuthority(r.Context(), t, rt)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "routing", map[string]any{
		"Title": "Warum diese Behörde? – " + svc.Name, "Tenant": t, "Service": svc, "Authority": auth,
		"Routing": rt, "Back": back,
	})
	return nil
}

// placeOfAccount is the postcode and street of a logged-in citizen's
// postal address (identity attributes), the street without its house
// number, to fill the place form; ok is false without one.
func placeOfAccount(id *identity.Identity) (placeForm, bool) {
	if id == nil {
		return placeForm{}, false
	}
	pc := strings.TrimSpace(id.Attr(identity.AttrPostalCode))
	if pc == "" {
		return placeForm{}, false
	}
	street := strings.TrimSpace(id.Attr(identity.AttrStreet))
	// "Hauptstraße 12a" → "Hauptstraße": the number is not needed.
	if i := strings.LastIndex(street, " "); i > 0 && strings.ContainsAny(street[i+1:i+2], "0123456789") {
		street = strings.TrimSpace(street[:i])
	}
	return placeForm{Postcode: pc, Street: street}, true
}
