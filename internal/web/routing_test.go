package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/tenant"
)

// efaLand is a Land with two Kreise and four Gemeinden that share one EfA
// service, which the Land owns:
//   - Kreis A (07339) is responsible in its area, except Gemeinde A2
//     (073395001002), which is responsible for itself;
//   - Kreis B (07340) is responsible in its area, except the street
//     Lindenweg in postcode 66500, which Gemeinde B1 handles although it
//     lies in Gemeinde B2 (a street-level split);
//   - Kreis 07311 has no responsible authority.
//
// Postcode 55270 spans Gemeinden A1 and A2, postcode 66500 B1 and B2.
// Each authority has an e-mail target of its own address, so that the
// delivery shows where the application went.
type efaLand struct {
	svc         *tenant.Service
	tenants     map[string]*tenant.Tenant    // by slug
	authorities map[string]*tenant.Authority // by tenant slug
}

const efaSlug = "efa-anzeige"

func newEFALand(t *testing.T, h *harness) *efaLand {
	t.Helper()
	ctx := context.Background()
	l := &efaLand{tenants: map[string]*tenant.Tenant{}, authorities: map[string]*tenant.Authority{}}
	for _, tn := range []struct {
		slug, name string
		kind       tenant.Kind
		ars        string
	}{
		{"land-rp", "Land Rheinland-Pfalz", tenant.Land, "07"},
		{"kreis-a", "Landkreis A", tenant.Landkreis, "07339"},
		{"kreis-b", "Landkreis B", tenant.Landkreis, "07340"},
		{"gemeinde-a1", "Gemeinde A1", tenant.Gemeinde, "073395001001"},
		{"gemeinde-a2", "Gemeinde A2", tenant.Gemeinde, "073395001002"},
		{"gemeinde-b1", "Gemeinde B1", tenant.Gemeinde, "073405002001"},
		{"gemeinde-b2", "Gemeinde B2", tenant.Gemeinde, "073405002002"},
	} {
		te := &tenant.Tenant{Slug: tn.slug, Name: tn.name, Kind: tn.kind, ARS: tn.ars}
		if err := h.db.CreateTenant(ctx, te); err != nil {
			t.Fatal(err)
		}
		a := &tenant.Authority{TenantID: te.ID, Name: "Verwaltung " + tn.name, Email: tn.slug + "@efa.example"}
		if err := h.db.CreateAuthority(ctx, a); err != nil {
			t.Fatal(err)
		}
		l.tenants[tn.slug], l.authorities[tn.slug] = te, a
	}
	land := l.tenants["land-rp"]
	const file = "xdf3/S00000000364_xdf3.xml"
	xdf, err := samples.FS.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Prepare(xdf, file, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.svc = &tenant.Service{TenantID: land.ID, Slug: efaSlug, Name: "Anzeige (EfA)", Leistungsschluessel: "99000000000001",
		AuthorityID: l.authorities["land-rp"].ID, Shared: true}
	if err := h.db.CreateService(ctx, l.svc); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Publish(ctx, h.db, land.ID, l.svc.ID, c, nil, &tenant.ServiceEvent{Actor: "Test", Action: tenant.ActionPublished}); err != nil {
		t.Fatal(err)
	}
	for slug, a := range l.authorities {
		if err := h.db.SetAuthorityTargets(ctx, l.tenants[slug].ID, l.svc.ID, a.ID, []*delivery.Target{{Kind: delivery.Email, Address: a.Email}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range []struct{ slug, ars, postcode, street string }{
		{"kreis-a", "07339", "", ""},
		{"gemeinde-a2", "073395001002", "", ""},
		{"kreis-b", "07340", "", ""},
		{"gemeinde-b1", "07340", "66500", "Lindenweg"},
	} {
		te := l.tenants[j.slug]
		if err := h.db.CreateJurisdiction(ctx, &tenant.Jurisdiction{TenantID: te.ID, ServiceID: l.svc.ID, AuthorityID: l.authorities[j.slug].ID,
			ARS: j.ars, Postcode: j.postcode, Street: j.street, Source: "Zuständigkeitsverordnung (Test)"}); err != nil {
			t.Fatal(err)
		}
	}
	var areas []area.Area
	for ars, name := range map[string]string{
		"07": "Rheinland-Pfalz", "07339": "Landkreis A", "07340": "Landkreis B", "07311": "Kreis ohne Zuständigkeit",
		"073395001001": "Gemeinde A1", "073395001002": "Gemeinde A2", "073405002001": "Gemeinde B1", "073405002002": "Gemeinde B2",
		"073110000000": "Ohnestadt",
	} {
		a, err := area.New(ars, name)
		if err != nil {
			t.Fatal(err)
		}
		areas = append(areas, a)
	}
	if err := h.db.ReplaceAreas(ctx, areas); err != nil {
		t.Fatal(err)
	}
	if err := h.db.ReplacePostcodes(ctx, []area.PostcodeEntry{
		{Postcode: "55218", ARS: "073395001001", Name: "A1"},
		{Postcode: "55270", ARS: "073395001001", Name: "A1"},
		{Postcode: "55270", ARS: "073395001002", Name: "A2"},
		{Postcode: "66500", ARS: "073405002001", Name: "B1"},
		{Postcode: "66500", ARS: "073405002002", Name: "B2"},
		{Postcode: "66500", Street: "Hauptstraße", ARS: "073405002001", Name: "B1"},
		{Postcode: "66500", Street: "Lindenweg", ARS: "073405002002", Name: "B2"},
		{Postcode: "67000", ARS: "073110000000", Name: "Ohnestadt"},
	}); err != nil {
		t.Fatal(err)
	}
	return l
}

func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// locate posts the place form on the Land's start page and follows the
// redirect to the responsible tenant's start page.
func (l *efaLand) locate(t *testing.T, h *harness, form url.Values) (response, string) {
	t.Helper()
	resp := h.do(h.client, "POST", "/land-rp/dienste/"+efaSlug+"/zustaendigkeit", form)
	if resp.status != http.StatusSeeOther {
		return resp, ""
	}
	return h.get(resp.location), resp.location
}

// TestEFARoutingJourney: the EfA service routes by postcode (and street)
// and by the citizen's choice of Gemeinde to the right authority, whose
// tenant then holds the application and whose target receives it.
func TestEFARoutingJourney(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, h *harness) {
		l := newEFALand(t, h)

		// Before the place is known: the form asks for it, no start.
		start := h.get("/land-rp/dienste/" + efaSlug)
		doc := parse(t, start.body)
		if start.status != http.StatusOK || doc.Find("form[action$='/zustaendigkeit'] input#plz").Length() != 1 ||
			doc.Find("form[action='/land-rp/dienste/"+efaSlug+"'] button").Length() != 0 {
			t.Fatalf("start page without place: %d, place form %d, start forms %d", start.status,
				doc.Find("input#plz").Length(), doc.Find("form[action='/land-rp/dienste/"+efaSlug+"']").Length())
		}
		// Without a routing result, starting goes back to the start page.
		if r := h.do(h.client, "POST", "/land-rp/dienste/"+efaSlug, url.Values{}); r.status != http.StatusSeeOther || r.location != "/land-rp/dienste/"+efaSlug {
			t.Fatalf("start without place: %d %q", r.status, r.location)
		}

		cases := []struct {
			name   string
			form   url.Values
			tenant string // responsible tenant's slug
		}{
			{"postcode of Gemeinde A1: Kreis A", url.Values{"plz": {"55218"}}, "kreis-a"},
			{"chosen Gemeinde A2: itself", url.Values{"plz": {"55270"}, "ars": {"073395001002"}}, "gemeinde-a2"},
			{"chosen Gemeinde A1: Kreis A", url.Values{"plz": {"55270"}, "ars": {"073395001001"}}, "kreis-a"},
			{"street in Gemeinde B1: Kreis B", url.Values{"plz": {"66500"}, "strasse": {"Hauptstr."}}, "kreis-b"},
			{"street-level split: Gemeinde B1", url.Values{"plz": {"66500"}, "strasse": {"Lindenweg"}}, "gemeinde-b1"},
		}
		var kreisStaff *http.Client
		for _, c := range cases {
			page, loc := l.locate(t, h, c.form)
			want := "/" + c.tenant + "/dienste/" + efaSlug + "?ort="
			if !strings.HasPrefix(loc, want) || page.status != http.StatusOK {
				t.Fatalf("%s: redirected to %q (%d), want %s…", c.name, loc, page.status, want)
			}
			doc := parse(t, page.body)
			auth := l.authorities[c.tenant]
			if !strings.Contains(doc.Find("#zustaendigkeit + p + p").Text(), auth.Name) {
				t.Errorf("%s: start page names %q, want %q", c.name, doc.Find("#zustaendigkeit + p + p").Text(), auth.Name)
			}
			why, _ := doc.Find("a[href*='/zustaendigkeit?ort=']").Attr("href")
			wp := h.get(why)
			if wp.status != http.StatusOK || !strings.Contains(wp.body, "Zuständigkeitsverordnung (Test)") {
				t.Errorf("%s: explanation %d", c.name, wp.status)
			}
			ort, ok := doc.Find("form[action='/" + c.tenant + "/dienste/" + efaSlug + "'] input[name=ort]").Attr("value")
			if !ok {
				t.Fatalf("%s: no start form with the routing result", c.name)
			}
			// The result is bound to its tenant: not usable elsewhere.
			if c.tenant != "kreis-a" {
				if r := h.do(h.client, "POST", "/kreis-a/dienste/"+efaSlug, url.Values{"ort": {ort}}); r.status != http.StatusSeeOther ||
					strings.Contains(r.location, "/antrag/") {
					t.Errorf("%s: routing result accepted by kreis-a: %d %q", c.name, r.status, r.location)
				}
			}
			r := h.do(h.client, "POST", "/"+c.tenant+"/dienste/"+efaSlug, url.Values{"ort": {ort}})
			if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/schritt/1") {
				t.Fatalf("%s: start: %d %q", c.name, r.status, r.location)
			}
			base := strings.TrimSuffix(r.location, "/schritt/1")
			sv := h.service(c.tenant, efaSlug)
			h.fill(sv, base, sv.form.Example(sv.ctx))
			ref, confirmation := h.submit(base)
			if !strings.Contains(confirmation, auth.Name) {
				t.Errorf("%s: confirmation does not name %s", c.name, auth.Name)
			}
			sub, err := h.db.SubmissionByReference(context.Background(), l.tenants[c.tenant].ID, ref)
			if err != nil {
				t.Fatalf("%s: submission %s not in %s: %v", c.name, ref, c.tenant, err)
			}
			if sub.AuthorityID != auth.ID || sub.Routing == nil || sub.Routing.AuthorityID != auth.ID || sub.Routing.Source == "" {
				t.Errorf("%s: stored authority %s routing %+v, want %s", c.name, sub.AuthorityID, sub.Routing, auth.ID)
			}
			ds, err := h.db.Deliveries(context.Background(), l.tenants[c.tenant].ID, sub.ID)
			if err != nil || len(ds) != 1 || ds[0].Target.Kind != delivery.Email || ds[0].Target.Address != auth.Email {
				t.Errorf("%s: deliveries %+v (%v), want e-mail to %s", c.name, ds, err, auth.Email)
			}
			if why := h.get(base + "/zustaendigkeit"); why.status != http.StatusOK || !strings.Contains(why.body, auth.Name) {
				t.Errorf("%s: draft explanation %d", c.name, why.status)
			}
			// The caseworker sees where the application was routed from.
			if c.tenant == "kreis-a" {
				if kreisStaff == nil {
					h.addStaff("kreis-a", "bearbeitung-kreis-a", nil)
					kreisStaff = h.loginAs("bearbeitung-kreis-a")
				}
				page := h.do(kreisStaff, "GET", "/intern/antraege/"+sub.ID, nil)
				if got := parse(t, page.body).Find("#zustaendigkeit").Text(); !strings.Contains(got, sub.Routing.Place.ARS) || !strings.Contains(got, "Zuständigkeitsverordnung") {
					t.Errorf("%s: the inbox shows the routing as %q", c.name, got)
				}
			}
		}

		// A postcode spanning two Gemeinden: exactly those to choose from.
		for _, c := range []struct {
			form url.Values
			want []string
		}{
			{url.Values{"plz": {"55270"}}, []string{"073395001001", "073395001002"}},
			{url.Values{"plz": {"66500"}}, []string{"073405002001", "073405002002"}},
		} {
			page, loc := l.locate(t, h, c.form)
			var got []string
			parse(t, page.body).Find("input[type=radio][name=ars]").Each(func(_ int, s *goquery.Selection) {
				got = append(got, s.AttrOr("value", ""))
			})
			if loc != "" || page.status != http.StatusOK || !slices.Equal(got, c.want) {
				t.Errorf("postcode %s: %d %q, choices %v, want %v", c.form.Get("plz"), page.status, loc, got, c.want)
			}
		}

		// No responsible authority: a clear message, no start.
		page, loc := l.locate(t, h, url.Values{"plz": {"67000"}})
		if loc != "" || page.status != http.StatusOK || !strings.Contains(page.body, "Keine zuständige Behörde gefunden") ||
			parse(t, page.body).Find("form[action='/land-rp/dienste/"+efaSlug+"'] button").Length() != 0 {
			t.Errorf("no responsible authority: %d %q", page.status, loc)
		}
		// A malformed postcode: the field's error.
		page, _ = l.locate(t, h, url.Values{"plz": {"5527"}})
		if page.status != http.StatusUnprocessableEntity || parse(t, page.body).Find("#plz[aria-invalid=true]").Length() != 1 {
			t.Errorf("malformed postcode: %d", page.status)
		}
		// A tampered routing token is not accepted.
		if r := h.get("/kreis-a/dienste/" + efaSlug + "?ort=AAAA"); !strings.Contains(r.body, "abgelaufen") {
			t.Errorf("tampered token: %d", r.status)
		}
	})
}

// TestEFARoutingAPI: the JSON API answers as the journey does, by ARS or
// by postcode, and a submission is accepted only by the responsible
// tenant's form, with its place.
func TestEFARoutingAPI(t *testing.T) {
	h := newHarness(t)
	l := newEFALand(t, h)
	route := func(q string) (int, map[string]any) {
		t.Helper()
		r := h.get("/api/v1/forms/land-rp." + efaSlug + "/routing?" + q)
		var out map[string]any
		json.Unmarshal([]byte(r.body), &out)
		return r.status, out
	}
	for _, c := range []struct {
		q, formID, authority string
	}{
		{"postcode=55218", "kreis-a." + efaSlug, l.authorities["kreis-a"].Name},
		{"ars=073395001001", "kreis-a." + efaSlug, l.authorities["kreis-a"].Name},
		{"ars=073395001002", "gemeinde-a2." + efaSlug, l.authorities["gemeinde-a2"].Name},
		{"postcode=66500&street=Lindenweg", "gemeinde-b1." + efaSlug, l.authorities["gemeinde-b1"].Name},
		{"ars=073405002002", "kreis-b." + efaSlug, l.authorities["kreis-b"].Name},
	} {
		status, out := route(c.q)
		a, _ := out["authority"].(map[string]any)
		if status != http.StatusOK || out["status"] != "routed" || out["formId"] != c.formID || a["name"] != c.authority {
			t.Errorf("%s: %d %v, want %s %s", c.q, status, out, c.formID, c.authority)
		}
	}
	if status, out := route("postcode=55270"); status != http.StatusOK || out["status"] != "choose" || len(out["municipalities"].([]any)) != 2 {
		t.Errorf("spanning postcode: %d %v", status, out)
	}
	if status, _ := route("ars=073110000000"); status != http.StatusNotFound {
		t.Errorf("no responsible authority: %d, want 404", status)
	}
	if status, _ := route("postcode=1"); status != http.StatusUnprocessableEntity {
		t.Errorf("malformed postcode: %d, want 422", status)
	}

	sv := h.service("kreis-a", efaSlug)
	ex := sv.form.Example(sv.ctx)
	body := func(place map[string]string) []byte {
		b, _ := json.Marshal(map[string]any{"data": ex, "place": place})
		return b
	}
	// Without a place, or with one another tenant is responsible for: 422.
	if r := h.postAPI("kreis-a."+efaSlug, dataBody(t, ex)); r.status != http.StatusUnprocessableEntity {
		t.Errorf("without place: %d %s", r.status, r.body)
	}
	if r := h.postAPI("kreis-a."+efaSlug, body(map[string]string{"ars": "073395001002"})); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "gemeinde-a2."+efaSlug) {
		t.Errorf("place of Gemeinde A2 at Kreis A: %d %s", r.status, r.body)
	}
	made := createdOf(t, h.postAPI("kreis-a."+efaSlug, body(map[string]string{"postcode": "55218"})))
	sub, err := h.db.Submission(context.Background(), l.tenants["kreis-a"].ID, made.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sub.AuthorityID != l.authorities["kreis-a"].ID || sub.Routing == nil || sub.Routing.Place.ARS != "073395001001" {
		t.Errorf("API submission: authority %s routing %+v", sub.AuthorityID, sub.Routing)
	}
}
