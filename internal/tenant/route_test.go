package tenant_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/tenant"
)

// routeStore is a RouteStore over fixed tables.
type routeStore struct {
	js          []*tenant.Jurisdiction
	postcodes   map[string][]area.Area       // by postcode
	streets     map[string][]area.Area       // by postcode + "|" + area.NormalizeStreet
	authorities map[string]*tenant.Authority // by id
}

func (s *routeStore) ServiceJurisdictions(_ context.Context, serviceID string) ([]*tenant.Jurisdiction, error) {
	var out []*tenant.Jurisdiction
	for _, j := range s.js {
		if j.ServiceID == serviceID {
			out = append(out, j)
		}
	}
	return out, nil
}

func (s *routeStore) Municipalities(_ context.Context, postcode, street string) ([]area.Area, error) {
	if ms, ok := s.streets[postcode+"|"+area.NormalizeStreet(street)]; ok && street != "" {
		return ms, nil
	}
	return s.postcodes[postcode], nil
}

func (s *routeStore) AreaName(_ context.Context, ars string) (string, error) {
	return "Gebiet " + ars, nil
}

func (s *routeStore) Authority(_ context.Context, tenantID, id string) (*tenant.Authority, error) {
	a, ok := s.authorities[id]
	if !ok || a.TenantID != tenantID {
		return nil, apperr.NotFound
	}
	return a, nil
}

type finder struct {
	calls int
	dest  map[string]*tenant.Destination // by ARS
}

func (f *finder) FindDestination(_ context.Context, leika, ars string) (*tenant.Destination, error) {
	f.calls++
	if d, ok := f.dest[ars]; ok {
		return d, nil
	}
	return nil, apperr.NotFound
}

// A Land with two Kreise and four Gemeinden: the Land's authority is
// responsible everywhere in the Land, each Kreis for itself, Gemeinde
// 073395001003 for itself, and in postcode 55270 the street Lindenweg goes
// to Gemeinde 4's authority although it lies in Gemeinde 2.
func landFixture() *routeStore {
	a := func(id, t string) *tenant.Authority {
		return &tenant.Authority{ID: id, TenantID: t, Name: "Behörde " + id}
	}
	j := func(t, a, ars, pc, street string) *tenant.Jurisdiction {
		return &tenant.Jurisdiction{ID: a + ars + pc + street, TenantID: t, ServiceID: "svc", AuthorityID: a, ARS: ars, Postcode: pc, Street: street, Source: "Test"}
	}
	m := func(ars string) area.Area { return area.Area{ARS: ars, Name: "Gemeinde " + ars} }
	return &routeStore{
		js: []*tenant.Jurisdiction{
			j("land", "land-a", "07", "", ""),
			j("kreis1", "kreis1-a", "07339", "", ""),
			j("kreis2", "kreis2-a", "07340", "", ""),
			j("gem3", "gem3-a", "073395001003", "", ""),
			j("gem4", "gem4-a", "073405002004", "55270", "Lindenweg"),
		},
		postcodes: map[string][]area.Area{
			"55218": {m("073395001001")},
			"55270": {m("073395001002"), m("073395001003")},
			"66500": {m("073405002004")},
			"67000": {m("073409999001")}, // in Kreis 2, no Gemeinde entry
		},
		streets: map[string][]area.Area{
			"55270|hauptstr":  {m("073395001002")},
			"55270|lindenweg": {m("073395001002")},
		},
		authorities: map[string]*tenant.Authority{
			"land-a": a("land-a", "land"), "kreis1-a": a("kreis1-a", "kreis1"), "kreis2-a": a("kreis2-a", "kreis2"),
			"gem3-a": a("gem3-a", "gem3"), "gem4-a": a("gem4-a", "gem4"),
		},
	}
}

func TestLocate(t *testing.T) {
	st := landFixture()
	svc := &tenant.Service{ID: "svc", TenantID: "land", Leistungsschluessel: "99123456789012"}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name      string
		q         tenant.Query
		authority string
		choices   []string
		err       error
	}{
		{"postcode of one Gemeinde: its Kreis", tenant.Query{Postcode: "55218"}, "kreis1-a", nil, nil},
		{"ARS of a Gemeinde with its own entry", tenant.Query{ARS: "073395001003"}, "gem3-a", nil, nil},
		{"ARS in the other Kreis", tenant.Query{ARS: "073409999001"}, "kreis2-a", nil, nil},
		{"ARS elsewhere in the Land", tenant.Query{ARS: "073110000000"}, "land-a", nil, nil},
		{"postcode spanning two Gemeinden", tenant.Query{Postcode: "55270"}, "", []string{"073395001002", "073395001003"}, nil},
		{"the citizen's choice", tenant.Query{Postcode: "55270", ARS: "073395001003"}, "gem3-a", nil, nil},
		{"street narrows the postcode", tenant.Query{Postcode: "55270", Street: "Hauptstr."}, "kreis1-a", nil, nil},
		{"a street entry of another Gemeinde does not apply", tenant.Query{Postcode: "55270", Street: "lindenweg"}, "kreis1-a", nil, nil},
		{"another Land", tenant.Query{ARS: "160510000000"}, "", nil, tenant.ErrNotResponsible},
		{"unknown postcode", tenant.Query{Postcode: "12345"}, "", nil, apperr.Invalid},
		{"malformed postcode", tenant.Query{Postcode: "5527"}, "", nil, apperr.Invalid},
		{"ARS not of a Gemeinde", tenant.Query{ARS: "07339"}, "", nil, apperr.Invalid},
		{"choice outside the postcode", tenant.Query{Postcode: "55270", ARS: "073395001001"}, "", nil, apperr.Invalid},
		{"nothing given", tenant.Query{}, "", nil, apperr.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt, choices, err := tenant.Locate(context.Background(), st, nil, svc, false, c.q, now)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range choices {
				got = append(got, m.ARS)
			}
			if !slices.Equal(got, c.choices) {
				t.Fatalf("choices %v, want %v", got, c.choices)
			}
			if c.authority == "" {
				if rt != nil {
					t.Fatalf("routed to %s, want a choice", rt.AuthorityID)
				}
				return
			}
			if rt.AuthorityID != c.authority || rt.TenantID != st.authorities[c.authority].TenantID {
				t.Fatalf("routed to %s of %s, want %s", rt.AuthorityID, rt.TenantID, c.authority)
			}
			if rt.Rule == "" || rt.Source != "Test" || rt.JurisdictionID == "" || !rt.At.Equal(now) || rt.ServiceID != "svc" {
				t.Fatalf("routing %+v lacks its explanation", rt)
			}
		})
	}
}

// The street-level entry decides when the place is in its area: Lindenweg
// in 55270 lies in Gemeinde 073405002004 per the jurisdiction, so a place
// there with that street goes to Gemeinde 4's authority.
func TestLocateStreetEntryWins(t *testing.T) {
	st := landFixture()
	st.streets["55270|lindenweg"] = []area.Area{{ARS: "073405002004", Name: "Gemeinde 4"}}
	svc := &tenant.Service{ID: "svc", TenantID: "land"}
	rt, _, err := tenant.Locate(context.Background(), st, nil, svc, false, tenant.Query{Postcode: "55270", Street: "lindenweg"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rt.AuthorityID != "gem4-a" {
		t.Fatalf("routed to %s, want gem4-a", rt.AuthorityID)
	}
	// Without the street, the same Gemeinde's ARS goes to its Kreis.
	rt, _, err = tenant.Locate(context.Background(), st, nil, svc, false, tenant.Query{ARS: "073405002004"}, time.Now())
	if err != nil || rt.AuthorityID != "kreis2-a" {
		t.Fatalf("routed to %v (%v), want kreis2-a", rt, err)
	}
}

func TestLocateViaFITConnect(t *testing.T) {
	st := landFixture()
	svc := &tenant.Service{ID: "svc", TenantID: "land", Leistungsschluessel: "99123456789012"}
	f := &finder{dest: map[string]*tenant.Destination{"160510000000": {ID: "d-1", Name: "Stadt Erfurt"}}}
	rt, _, err := tenant.Locate(context.Background(), st, f, svc, true, tenant.Query{ARS: "160510000000"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rt.DestinationID != "d-1" || rt.AuthorityName != "Stadt Erfurt" || rt.TenantID != "land" || rt.AuthorityID != "" {
		t.Fatalf("routing %+v", rt)
	}
	// A jurisdiction in antrag comes first: no question to the API.
	calls := f.calls
	if rt, _, err = tenant.Locate(context.Background(), st, f, svc, true, tenant.Query{ARS: "073395001003"}, time.Now()); err != nil || rt.AuthorityID != "gem3-a" || f.calls != calls {
		t.Fatalf("routing %+v, %v, %d calls", rt, err, f.calls-calls)
	}
	// No route at the API either.
	if _, _, err = tenant.Locate(context.Background(), st, f, svc, true, tenant.Query{ARS: "150010000000"}, time.Now()); !errors.Is(err, tenant.ErrNotResponsible) {
		t.Fatalf("error %v, want ErrNotResponsible", err)
	}
	// Without the routing target, the API is not asked.
	calls = f.calls
	if _, _, err = tenant.Locate(context.Background(), st, f, svc, false, tenant.Query{ARS: "160510000000"}, time.Now()); !errors.Is(err, tenant.ErrNotResponsible) || f.calls != calls {
		t.Fatalf("error %v, %d calls", err, f.calls-calls)
	}
}

func TestJurisdictionValidate(t *testing.T) {
	ok := tenant.Jurisdiction{AuthorityID: "a", ARS: "07339"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*tenant.Jurisdiction){
		"no authority":        func(j *tenant.Jurisdiction) { j.AuthorityID = "" },
		"ARS of 4 digits":     func(j *tenant.Jurisdiction) { j.ARS = "0733" },
		"ARS of no Land":      func(j *tenant.Jurisdiction) { j.ARS = "17339" },
		"postcode of 4":       func(j *tenant.Jurisdiction) { j.Postcode = "5527" },
		"street w/o postcode": func(j *tenant.Jurisdiction) { j.Street = "Hauptstraße" },
	} {
		j := ok
		mutate(&j)
		if err := j.Validate(); !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestContrastWithWhite(t *testing.T) {
	for colour, want := range map[string]float64{"#000000": 21, "#ffffff": 1, "#767676": 4.54} {
		if got := tenant.ContrastWithWhite(colour); got < want-0.01 || got > want+0.01 {
			t.Errorf("%s: %.2f, want %.2f", colour, got, want)
		}
	}
	bad := tenant.Tenant{Slug: "ab", Name: "A", Kind: tenant.Gemeinde, Colour: "#ffff00"}
	if err := bad.Validate(); !errors.Is(err, apperr.Invalid) {
		t.Errorf("yellow accepted: %v", err)
	}
}

func TestHostAndLogoChecks(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "10.0.0.1", "localhost", "https://a.example", "a.example:8080"} {
		if tenant.ValidHost(h) {
			t.Errorf("host %q accepted", h)
		}
	}
	if !tenant.ValidHost("antrag.musterstadt.de") {
		t.Error("a plain host name refused")
	}
	for _, l := range []string{"/static/../../etc/passwd", "/static/a/./b.png", "/static//x.png", "https://user:pw@evil.example/x.png", "https:///x.png"} {
		if tenant.ValidLogoURL(l) {
			t.Errorf("logo %q accepted", l)
		}
	}
	for _, l := range []string{"/static/logos/musterstadt.svg", "https://www.musterstadt.example/logo.png"} {
		if !tenant.ValidLogoURL(l) {
			t.Errorf("logo %q refused", l)
		}
	}
	if _, _, err := tenant.Locate(context.Background(), landFixture(), nil, &tenant.Service{ID: "svc"}, false,
		tenant.Query{Postcode: "55270", Street: "Haupt\u202estraße"}, time.Now()); !errors.Is(err, apperr.Invalid) {
		t.Errorf("a street with a bidi override: %v, want Invalid", err)
	}
}
