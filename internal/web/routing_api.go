package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/tenant"
)

// apiRouting is the answer of GET /api/v1/forms/{formId}/routing: the
// same result the journey shows before the first step.
type apiRouting struct {
	// Status is "routed" (an authority or a FIT-Connect destination is
	// responsible) or "choose" (the postcode spans several Gemeinden:
	// ask again with one of Municipalities' ARS and the postcode).
	Status string `json:"status"`
	// FormID is the form to submit to: that of the responsible
	// authority's tenant.
	FormID         string            `json:"formId,omitempty"`
	Authority      *apiAuthority     `json:"authority,omitempty"`
	Place          *tenant.Place     `json:"place,omitempty"`
	Area           string            `json:"area,omitempty"`
	Rule           string            `json:"rule,omitempty"`
	Source         string            `json:"source,omitempty"`
	DestinationID  string            `json:"destinationId,omitempty"`
	Municipalities []apiMunicipality `json:"municipalities,omitempty"`
}

// apiMunicipality is a Gemeinde to choose from.
type apiMunicipality struct {
	ARS  string `json:"ars"`
	Name string `json:"name"`
}

type apiAuthority struct {
	Name    string   `json:"name"`
	Address []string `json:"address,omitempty"`
	Email   string   `json:"email,omitempty"`
	Phone   string   `json:"phone,omitempty"`
}

// apiRoute answers GET /api/v1/forms/{formId}/routing?ars=… or
// ?postcode=…[&street=…]: who is responsible for an application for the
// form's service at that place (tenant.Locate). A form that is not routed
// answers with its own authority. No responsible authority is a 404
// problem; a malformed or unknown place 422.
func (s *Server) apiRoute(w http.ResponseWriter, r *http.Request) error {
	t, svc, _, _, err := s.apiResolve(r)
	if err != nil {
		return err
	}
	routed, _, err := s.routingOf(r.Context(), svc)
	if err != nil {
		return err
	}
	if !routed {
		a, err := s.authorityFor(r, t, svc)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, apiRouting{Status: "routed", FormID: t.Slug + "." + svc.Slug,
			Authority: &apiAuthority{Name: a.Name, Address: a.Address, Email: a.Email, Phone: a.Phone},
			Rule:      "Der Online-Dienst wird nicht nach dem Wohnort geleitet.", Source: "Einstellung des Dienstes"})
	}
	q := r.URL.Query()
	query := tenant.Query{ARS: strings.TrimSpace(q.Get("ars")), Postcode: strings.TrimSpace(q.Get("postcode")), Street: strings.TrimSpace(q.Get("street"))}
	rt, choices, err := s.apiLocate(r, t, svc, query)
	var pe *placeError
	if errors.As(err, &pe) {
		writeProblem(w, http.StatusUnprocessableEntity, Problem{Title: "Ort fehlerhaft oder unbekannt", Detail: pe.msg})
		return nil
	}
	if err != nil {
		return err
	}
	if len(choices) > 0 {
		out := apiRouting{Status: "choose"}
		for _, m := range choices {
			out.Municipalities = append(out.Municipalities, apiMunicipality{ARS: m.ARS, Name: m.Name})
		}
		return writeJSON(w, http.StatusOK, out)
	}
	out := apiRouting{Status: "routed", Place: &rt.Place, Area: rt.AreaName, Rule: rt.Rule, Source: rt.Source, DestinationID: rt.DestinationID}
	target := t
	if rt.TenantID != t.ID {
		if target, err = s.deps.Store.Tenant(r.Context(), rt.TenantID); err != nil {
			return err
		}
	}
	out.FormID = target.Slug + "." + svc.Slug
	out.Authority = &apiAuthority{Name: rt.AuthorityName}
	if a, err := s.routedAuthority(r.Context(), target, rt); err != nil {
		return err
	} else if a != nil {
		out.Authority = &apiAuthority{Name: a.Name, Address: a.Address, Email: a.Email, Phone: a.Phone}
	}
	return writeJSON(w, http.StatusOK, out)
}

// placeError is a place the API cannot route: malformed, unknown, missing
// or another tenant's. The routing endpoint answers it with a 422
// problem, a submission with a 422 field problem at "place" (codePlace).
type placeError struct{ msg string }

func (e *placeError) Error() string { return e.msg }
func (e *placeError) Unwrap() error { return apperr.Invalid }

// codePlace is the field problem code of a submission's place.
const codePlace = "place"

// apiLocate is locate with the API's problems: a malformed or unknown
// place a placeError, no responsible authority 404.
func (s *Server) apiLocate(r *http.Request, t *tenant.Tenant, svc *tenant.Service, q tenant.Query) (*tenant.Routing, []area.Area, error) {
	rt, choices, err := s.locate(r.Context(), svc, q)
	switch {
	case errors.Is(err, tenant.ErrNotResponsible):
		return nil, nil, clientError(apperr.NotFound, "Für diesen Ort ist keine Behörde zuständig, die diesen Antrag über antrag annimmt.")
	case errors.Is(err, apperr.Invalid):
		return nil, nil, &placeError{messageOf(err) + "."}
	}
	return rt, choices, err
}

// apiRouted returns the routing result of a JSON API submission for a
// routed service: its "place" must name one Gemeinde whose responsible
// authority belongs to the form's tenant (else a 422 problem naming the
// form to use). A service that is not routed returns nil.
func (s *Server) apiRouted(r *http.Request, t *tenant.Tenant, svc *tenant.Service, place *tenant.Query) (*tenant.Routing, error) {
	routed, _, err := s.routingOf(r.Context(), svc)
	if err != nil || !routed {
		return nil, err
	}
	if place == nil {
		return nil, &placeError{"Dieses Formular wird nach dem Wohnort an die zuständige Behörde geleitet: Die Anfrage braucht \"place\" mit \"ars\" oder \"postcode\" (siehe …/routing)."}
	}
	rt, choices, err := s.apiLocate(r, t, svc, *place)
	if err != nil {
		return nil, err
	}
	if len(choices) > 0 {
		return nil, &placeError{"Die Postleitzahl gehört zu mehreren Gemeinden: Bitte geben Sie in \"place\" auch \"ars\" der Gemeinde an (siehe …/routing)."}
	}
	if rt.TenantID != t.ID {
		other, err := s.deps.Store.Tenant(r.Context(), rt.TenantID)
		if err != nil {
			return nil, err
		}
		return nil, &placeError{"Für diesen Ort ist " + rt.AuthorityName + " zuständig: Bitte senden Sie den Antrag an das Formular " + other.Slug + "." + svc.Slug + "."}
	}
	return rt, nil
}
