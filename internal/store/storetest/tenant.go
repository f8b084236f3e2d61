package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

func testTenants(t *testing.T, s Stores) {
	ctx := context.Background()
	a := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, ARS: "091620000000", Host: "antrag.musterstadt.de"}
	noErr(t, "CreateTenant", s.CreateTenant(ctx, a))
	if a.ID == "" {
		t.Fatal("CreateTenant did not set ID")
	}
	recent(t, "CreatedAt", a.CreatedAt)

	b := &tenant.Tenant{ID: "b0000000-0000-4000-8000-000000000001", Slug: "beispielkreis", Name: "Landkreis Beispiel", Kind: tenant.Landkreis}
	noErr(t, "CreateTenant(b)", s.CreateTenant(ctx, b))
	if b.ID != "b0000000-0000-4000-8000-000000000001" {
		t.Errorf("CreateTenant changed the caller's ID to %q", b.ID)
	}
	// A second tenant without a host: the empty host is not unique.
	c := &tenant.Tenant{Slug: "bayern", Name: "Freistaat Bayern", Kind: tenant.Land, ARS: "09"}
	noErr(t, "CreateTenant(c)", s.CreateTenant(ctx, c))

	for _, get := range []struct {
		name string
		fn   func() (*tenant.Tenant, error)
	}{
		{"Tenant", func() (*tenant.Tenant, error) { return s.Tenant(ctx, a.ID) }},
		{"TenantBySlug", func() (*tenant.Tenant, error) { return s.TenantBySlug(ctx, "musterstadt") }},
		{"TenantByHost", func() (*tenant.Tenant, error) { return s.TenantByHost(ctx, "antrag.musterstadt.de") }},
	} {
		got, err := get.fn()
		noErr(t, get.name, err)
		if got.ID != a.ID || got.Slug != a.Slug || got.Name != a.Name || got.Kind != a.Kind || got.ARS != a.ARS || got.Host != a.Host {
			t.Errorf("%s = %+v, want %+v", get.name, got, a)
		}
		sameTime(t, get.name+" CreatedAt", got.CreatedAt, a.CreatedAt)
		if got.Bundesland() != "BY" {
			t.Errorf("%s: Bundesland = %q", get.name, got.Bundesland())
		}
	}

	_, err := s.Tenant(ctx, "00000000-0000-4000-8000-000000000000")
	wantKind(t, "Tenant(unknown)", err, apperr.NotFound)
	_, err = s.TenantBySlug(ctx, "nirgendwo")
	wantKind(t, "TenantBySlug(unknown)", err, apperr.NotFound)
	_, err = s.TenantByHost(ctx, "antrag.nirgendwo.de")
	wantKind(t, "TenantByHost(unknown)", err, apperr.NotFound)
	_, err = s.TenantByHost(ctx, "")
	wantKind(t, "TenantByHost(empty)", err, apperr.NotFound)

	err = s.CreateTenant(ctx, &tenant.Tenant{Slug: "musterstadt", Name: "Doppelt", Kind: tenant.Gemeinde})
	wantKind(t, "CreateTenant(taken slug)", err, apperr.Conflict)
	err = s.CreateTenant(ctx, &tenant.Tenant{Slug: "andere", Name: "Andere", Kind: tenant.Gemeinde, Host: "antrag.musterstadt.de"})
	wantKind(t, "CreateTenant(taken host)", err, apperr.Conflict)
	err = s.CreateTenant(ctx, &tenant.Tenant{ID: a.ID, Slug: "dritte", Name: "Dritte", Kind: tenant.Gemeinde})
	wantKind(t, "CreateTenant(taken id)", err, apperr.Conflict)

	all, err := s.ListTenants(ctx)
	noErr(t, "ListTenants", err)
	var names []string
	for _, x := range all {
		names = append(names, x.Name)
	}
	if want := []string{"Freistaat Bayern", "Landkreis Beispiel", "Stadt Musterstadt"}; !slices.Equal(names, want) {
		t.Errorf("ListTenants names = %q, want %q", names, want)
	}
}

func testAuthorities(t *testing.T, s Stores) {
	ctx := context.Background()
	a := mustTenant(t, s, "musterstadt", "Stadt Musterstadt", "")
	b := mustTenant(t, s, "beispielkreis", "Landkreis Beispiel", "")
	z := mustAuthority(t, s, a.ID, "Zulassungsstelle")
	bue := mustAuthority(t, s, a.ID, "Bürgeramt")
	other := mustAuthority(t, s, b.ID, "Ordnungsamt")
	noAddr := &tenant.Authority{TenantID: a.ID, Name: "Standesamt"}
	noErr(t, "CreateAuthority(no address)", s.CreateAuthority(ctx, noAddr))
	if z.ID == "" {
		t.Fatal("CreateAuthority did not set ID")
	}

	got, err := s.Authority(ctx, a.ID, z.ID)
	noErr(t, "Authority", err)
	if got.ID != z.ID || got.TenantID != a.ID || got.Name != z.Name || got.Email != z.Email || !slices.Equal(got.Address, z.Address) {
		t.Errorf("Authority = %+v, want %+v", got, z)
	}
	got, err = s.Authority(ctx, a.ID, noAddr.ID)
	noErr(t, "Authority(no address)", err)
	if len(got.Address) != 0 {
		t.Errorf("Authority(no address).Address = %q", got.Address)
	}
	_, err = s.Authority(ctx, b.ID, z.ID)
	wantKind(t, "Authority(other tenant)", err, apperr.NotFound)

	list, err := s.ListAuthorities(ctx, a.ID)
	noErr(t, "ListAuthorities", err)
	var ids []string
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	if want := []string{bue.ID, noAddr.ID, z.ID}; !slices.Equal(ids, want) {
		t.Errorf("ListAuthorities ids = %q, want %q (by name)", ids, want)
	}
	list, err = s.ListAuthorities(ctx, b.ID)
	noErr(t, "ListAuthorities(b)", err)
	if len(list) != 1 || list[0].ID != other.ID {
		t.Errorf("ListAuthorities(b) = %s", plain(list))
	}
}

func testServices(t *testing.T, s Stores) {
	ctx := context.Background()
	a := mustTenant(t, s, "musterstadt", "Stadt Musterstadt", "")
	b := mustTenant(t, s, "beispielkreis", "Landkreis Beispiel", "")
	c := mustTenant(t, s, "drittort", "Gemeinde Drittort", "")
	authA := mustAuthority(t, s, a.ID, "Bürgeramt")
	authB := mustAuthority(t, s, b.ID, "Ordnungsamt")

	parken := mustService(t, s, &tenant.Service{
		TenantID: a.ID, Slug: "anwohnerparken", Name: "Anwohnerparkausweis", Description: "Für Anwohner — mit Ümläuten",
		Leistungsschluessel: "99106002012000", AuthorityID: authA.ID, FeeText: "Die Gebühr beträgt 30 Euro.", DurationText: "etwa 15 Minuten",
	})
	if parken.ID == "" || parken.FormVersionID != "" {
		t.Fatalf("CreateService: ID %q FormVersionID %q", parken.ID, parken.FormVersionID)
	}
	recent(t, "CreatedAt", parken.CreatedAt)
	hundA := mustService(t, s, &tenant.Service{TenantID: a.ID, Slug: "hundesteuer", Name: "Hundesteuer Musterstadt", AuthorityID: authA.ID})
	hundB := mustService(t, s, &tenant.Service{TenantID: b.ID, Slug: "hundesteuer", Name: "Hundesteuer (EfA)", AuthorityID: authB.ID, Shared: true})
	privB := mustService(t, s, &tenant.Service{TenantID: b.ID, Slug: "gewerbe", Name: "Gewerbeanmeldung", AuthorityID: authB.ID})
	noAuth := mustService(t, s, &tenant.Service{TenantID: c.ID, Slug: "fundsache", Name: "Fundsache melden"})

	err := s.CreateService(ctx, &tenant.Service{TenantID: a.ID, Slug: "anwohnerparken", Name: "Doppelt"})
	wantKind(t, "CreateService(taken slug)", err, apperr.Conflict)
	if err := s.CreateService(ctx, &tenant.Service{TenantID: a.ID, Slug: "fremd", Name: "Fremd", AuthorityID: authB.ID}); err == nil {
		t.Error("CreateService with another tenant's authority: no error")
	}

	got, err := s.Service(ctx, a.ID, parken.ID)
	noErr(t, "Service", err)
	want := *parken
	want.CreatedAt = got.CreatedAt
	if *got != want {
		t.Errorf("Service = %+v\nwant %+v", got, &want)
	}
	sameTime(t, "Service.CreatedAt", got.CreatedAt, parken.CreatedAt)
	got, err = s.Service(ctx, c.ID, noAuth.ID)
	noErr(t, "Service(no authority)", err)
	if got.AuthorityID != "" || got.Shared {
		t.Errorf("Service(no authority) = %+v", got)
	}

	// Visibility: own services and shared ones of others.
	for _, tc := range []struct {
		tenant *tenant.Tenant
		svc    *tenant.Service
		ok     bool
	}{
		{a, parken, true}, {a, hundB, true}, {a, privB, false},
		{b, parken, false}, {b, hundA, false}, {b, hundB, true}, {b, privB, true},
		{c, hundB, true}, {c, hundA, false},
	} {
		_, err := s.Service(ctx, tc.tenant.ID, tc.svc.ID)
		if tc.ok {
			noErr(t, "Service("+tc.tenant.Slug+", "+tc.svc.Name+")", err)
		} else {
			wantKind(t, "Service("+tc.tenant.Slug+", "+tc.svc.Name+")", err, apperr.NotFound)
		}
	}
	_, err = s.Service(ctx, a.ID, "00000000-0000-4000-8000-000000000000")
	wantKind(t, "Service(unknown)", err, apperr.NotFound)

	// ServiceBySlug prefers the tenant's own service.
	for _, tc := range []struct {
		tenant *tenant.Tenant
		slug   string
		want   *tenant.Service
	}{
		{a, "hundesteuer", hundA}, {b, "hundesteuer", hundB}, {c, "hundesteuer", hundB},
		{a, "anwohnerparken", parken}, {b, "anwohnerparken", nil}, {a, "gewerbe", nil}, {b, "gewerbe", privB},
	} {
		got, err := s.ServiceBySlug(ctx, tc.tenant.ID, tc.slug)
		what := "ServiceBySlug(" + tc.tenant.Slug + ", " + tc.slug + ")"
		if tc.want == nil {
			wantKind(t, what, err, apperr.NotFound)
			continue
		}
		noErr(t, what, err)
		if got.ID != tc.want.ID {
			t.Errorf("%s = %q (%s), want %q", what, got.Name, got.TenantID, tc.want.Name)
		}
	}

	names := func(list []*tenant.Service) []string {
		var out []string
		for _, x := range list {
			out = append(out, x.Name)
		}
		return out
	}
	list, err := s.ListServices(ctx, a.ID)
	noErr(t, "ListServices(a)", err)
	if got, want := names(list), []string{"Anwohnerparkausweis", "Hundesteuer (EfA)", "Hundesteuer Musterstadt"}; !slices.Equal(got, want) {
		t.Errorf("ListServices(a) = %q, want %q", got, want)
	}
	list, err = s.ListServices(ctx, c.ID)
	noErr(t, "ListServices(c)", err)
	if got, want := names(list), []string{"Fundsache melden", "Hundesteuer (EfA)"}; !slices.Equal(got, want) {
		t.Errorf("ListServices(c) = %q, want %q", got, want)
	}
	list, err = s.ListAllServices(ctx)
	noErr(t, "ListAllServices", err)
	// by owner (Gemeinde Drittort, Landkreis Beispiel, Stadt Musterstadt), then name
	if got, want := names(list), []string{"Fundsache melden", "Gewerbeanmeldung", "Hundesteuer (EfA)", "Anwohnerparkausweis", "Hundesteuer Musterstadt"}; !slices.Equal(got, want) {
		t.Errorf("ListAllServices = %q, want %q", got, want)
	}
}

func testFormVersions(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	xdf := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xdf:xdatenfelder.stammdatenschema.0102>Straße \x00\xff</xdf:xdatenfelder.stammdatenschema.0102>")
	v2 := &tenant.FormVersion{ServiceID: f.svcA.ID, FIMID: "S00000000371", FIMVersion: "1.1.0", Name: "Anwohnerparken", XDF: xdf}
	noErr(t, "PublishFormVersion", s.PublishFormVersion(ctx, f.a.ID, v2))
	if f.fvA.Version != 1 || v2.Version != 2 {
		t.Errorf("versions = %d, %d, want 1, 2", f.fvA.Version, v2.Version)
	}
	if v2.ID == "" || v2.TenantID != f.a.ID {
		t.Errorf("PublishFormVersion set ID %q TenantID %q", v2.ID, v2.TenantID)
	}
	recent(t, "PublishedAt", v2.PublishedAt)

	svc, err := s.Service(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "Service", err)
	if svc.FormVersionID != v2.ID {
		t.Errorf("Service.FormVersionID = %q, want the new version %q", svc.FormVersionID, v2.ID)
	}

	got, err := s.FormVersion(ctx, f.a.ID, v2.ID)
	noErr(t, "FormVersion", err)
	if got.ID != v2.ID || got.TenantID != f.a.ID || got.ServiceID != f.svcA.ID || got.Version != 2 ||
		got.FIMID != v2.FIMID || got.FIMVersion != v2.FIMVersion || got.Name != v2.Name || !bytes.Equal(got.XDF, xdf) {
		t.Errorf("FormVersion = %+v\nwant %+v", got, v2)
	}
	sameTime(t, "FormVersion.PublishedAt", got.PublishedAt, v2.PublishedAt)
	old, err := s.FormVersion(ctx, f.a.ID, f.fvA.ID)
	noErr(t, "FormVersion(old)", err)
	if old.Version != 1 {
		t.Errorf("old version = %d", old.Version)
	}

	// Only the owner publishes, also for a shared service.
	err = s.PublishFormVersion(ctx, f.b.ID, &tenant.FormVersion{ServiceID: f.sharedA.ID, XDF: xdf})
	wantKind(t, "PublishFormVersion(shared, not owner)", err, apperr.NotFound)
	err = s.PublishFormVersion(ctx, f.b.ID, &tenant.FormVersion{ServiceID: f.svcA.ID, XDF: xdf})
	wantKind(t, "PublishFormVersion(private, not owner)", err, apperr.NotFound)
	err = s.PublishFormVersion(ctx, f.a.ID, &tenant.FormVersion{ServiceID: "00000000-0000-4000-8000-000000000000", XDF: xdf})
	wantKind(t, "PublishFormVersion(unknown service)", err, apperr.NotFound)
	shared, err := s.Service(ctx, f.b.ID, f.sharedA.ID)
	noErr(t, "Service(shared)", err)
	if shared.FormVersionID != f.fvSharedA.ID {
		t.Errorf("a refused publication changed FormVersionID to %q", shared.FormVersionID)
	}
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v2s := &tenant.FormVersion{ServiceID: f.sharedA.ID, XDF: xdf, PublishedAt: fixed}
	noErr(t, "PublishFormVersion(shared, owner)", s.PublishFormVersion(ctx, f.a.ID, v2s))
	if v2s.Version != 2 {
		t.Errorf("after refused publications the next version is %d, want 2", v2s.Version)
	}
	sameTime(t, "given PublishedAt", v2s.PublishedAt, fixed)

	// Versions of shared services are readable by all, others only by the owner.
	_, err = s.FormVersion(ctx, f.b.ID, v2s.ID)
	noErr(t, "FormVersion(shared, other tenant)", err)
	_, err = s.FormVersion(ctx, f.b.ID, v2.ID)
	wantKind(t, "FormVersion(private, other tenant)", err, apperr.NotFound)
	_, err = s.FormVersion(ctx, f.a.ID, f.fvB.ID)
	wantKind(t, "FormVersion(b's, a)", err, apperr.NotFound)
	_, err = s.FormVersion(ctx, f.a.ID, "00000000-0000-4000-8000-000000000000")
	wantKind(t, "FormVersion(unknown)", err, apperr.NotFound)
}
