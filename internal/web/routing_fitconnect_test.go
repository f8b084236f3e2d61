package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/web"
)

// TestEFARoutingViaFITConnect: an EfA service whose owner delivers "via
// FIT-Connect routing" reaches, for a place no jurisdiction in antrag
// covers, the destination the FIT-Connect Routing API names, after the
// real client has verified the route's signature against the test
// double's portal keys. A route with a forged signature is never used.
func TestEFARoutingViaFITConnect(t *testing.T) {
	dbl, err := fitconnecttest.New(fitconnecttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dbl.Close)
	srv := httptest.NewServer(dbl.Handler())
	t.Cleanup(srv.Close)
	dbl.SetBaseURL(srv.URL)
	const (
		dest   = "3f1d2c4b-5a6e-4f70-8b9c-0d1e2f3a4b5c"
		forged = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
		leika  = "99000000000001"
	)
	for _, r := range []fitconnecttest.Route{
		{LeikaKey: leika, ARS: []string{"09"}, DestinationID: dest, Name: "Landratsamt Bayern (Test)"},
		{LeikaKey: leika, ARS: []string{"14"}, DestinationID: forged, Name: "Gefälscht", Forged: true},
	} {
		if err := dbl.AddRoute(r); err != nil {
			t.Fatal(err)
		}
	}
	router, err := fitconnect.NewRouter(fitconnect.RouterConfig{RoutingAPI: dbl.RoutingAPIURL(), PortalJWKS: dbl.PortalJWKSURL()})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, func(c *harnessConfig) { c.deps = func(d *web.Deps) { d.Routes = router } })
	l := newEFALand(t, h)
	land := l.tenants["land-rp"]
	if err := h.db.SetTargets(context.Background(), land.ID, l.svc.ID, []*delivery.Target{{Kind: delivery.FITConnectRouting}}); err != nil {
		t.Fatal(err)
	}

	// The API names the destination; the form to use is the owner's.
	r := h.get("/api/v1/forms/land-rp." + efaSlug + "/routing?ars=091620000000")
	var out map[string]any
	json.Unmarshal([]byte(r.body), &out)
	if r.status != http.StatusOK || out["destinationId"] != dest || out["formId"] != "land-rp."+efaSlug {
		t.Fatalf("routing via FIT-Connect: %d %s", r.status, r.body)
	}
	// A jurisdiction in antrag still comes first.
	r = h.get("/api/v1/forms/land-rp." + efaSlug + "/routing?ars=073395001002")
	if json.Unmarshal([]byte(r.body), &out); out["formId"] != "gemeinde-a2."+efaSlug {
		t.Errorf("jurisdiction before the Routing API: %s", r.body)
	}
	// A forged route: not trusted, the service is unavailable for now.
	if r = h.get("/api/v1/forms/land-rp." + efaSlug + "/routing?ars=146120000000"); r.status != http.StatusServiceUnavailable ||
		strings.Contains(r.body, forged) {
		t.Errorf("forged route: %d %s", r.status, r.body)
	}
	// No route at all: nobody is responsible.
	if r = h.get("/api/v1/forms/land-rp." + efaSlug + "/routing?ars=011010000000"); r.status != http.StatusNotFound {
		t.Errorf("no route: %d %s", r.status, r.body)
	}

	// Through the journey: the start page names the destination, the
	// submission goes there over FIT-Connect.
	page, loc := l.locate(t, h, map[string][]string{"ars": {"091620000000"}})
	if page.status != http.StatusOK || !strings.HasPrefix(loc, "/land-rp/dienste/"+efaSlug+"?ort=") || !strings.Contains(page.body, "Landratsamt Bayern (Test)") {
		t.Fatalf("journey via FIT-Connect: %d %q", page.status, loc)
	}
	ort, _ := parse(t, page.body).Find("form[action='/land-rp/dienste/" + efaSlug + "'] input[name=ort]").Attr("value")
	start := h.do(h.client, "POST", "/land-rp/dienste/"+efaSlug, map[string][]string{"ort": {ort}})
	base := strings.TrimSuffix(start.location, "/schritt/1")
	sv := h.service("land-rp", efaSlug)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	ref, _ := h.submit(base)
	sub, err := h.db.SubmissionByReference(context.Background(), land.ID, ref)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := h.db.Deliveries(context.Background(), land.ID, sub.ID)
	if err != nil || len(ds) != 1 || ds[0].Target.Kind != delivery.FITConnect || ds[0].Target.DestinationID != dest {
		t.Fatalf("deliveries %+v (%v), want FIT-Connect to %s", ds, err, dest)
	}
	if sub.Routing == nil || sub.Routing.DestinationID != dest || sub.Routing.TenantID != land.ID {
		t.Errorf("routing %+v", sub.Routing)
	}
}
