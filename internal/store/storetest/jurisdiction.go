package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

// RoutingStore is what "Einer für Alle" needs of a store: jurisdictions,
// targets per authority, configuration changes and the admin audit trail.
type RoutingStore interface {
	CreateJurisdiction(ctx context.Context, j *tenant.Jurisdiction, evs ...*tenant.AuditEvent) error
	SetJurisdictions(ctx context.Context, tenantID, serviceID string, js []*tenant.Jurisdiction) error
	DeleteJurisdiction(ctx context.Context, tenantID, id string, evs ...*tenant.AuditEvent) error
	Jurisdictions(ctx context.Context, tenantID string) ([]*tenant.Jurisdiction, error)
	ServiceJurisdictions(ctx context.Context, serviceID string) ([]*tenant.Jurisdiction, error)
	AuthorityTargets(ctx context.Context, tenantID, serviceID, authorityID string) ([]*delivery.Target, error)
	SetAuthorityTargets(ctx context.Context, tenantID, serviceID, authorityID string, targets []*delivery.Target) error
	UpdateTenant(ctx context.Context, t *tenant.Tenant, evs ...*tenant.AuditEvent) error
	UpdateAuthority(ctx context.Context, a *tenant.Authority, evs ...*tenant.AuditEvent) error
	UpdateService(ctx context.Context, s *tenant.Service, evs ...*tenant.AuditEvent) error
	RecordAudit(ctx context.Context, ev *tenant.AuditEvent) error
	AuditEvents(ctx context.Context, tenantID string, limit int) ([]*tenant.AuditEvent, error)
}

func testJurisdictions(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	// B offers A's shared service in its Kreis; A in its Gemeinde.
	jb := &tenant.Jurisdiction{TenantID: f.b.ID, ServiceID: f.sharedA.ID, AuthorityID: f.authB.ID, ARS: "07339", Source: "Katalog"}
	noErr(t, "CreateJurisdiction(B)", s.CreateJurisdiction(ctx, jb))
	ja := &tenant.Jurisdiction{TenantID: f.a.ID, ServiceID: f.sharedA.ID, AuthorityID: f.authA.ID, ARS: "160510000000"}
	noErr(t, "CreateJurisdiction(A)", s.CreateJurisdiction(ctx, ja))
	if jb.ID == "" || jb.CreatedAt.IsZero() {
		t.Fatalf("jurisdiction %+v: no id or time", jb)
	}

	// The same area twice, also by another tenant: Conflict.
	dup := &tenant.Jurisdiction{TenantID: f.a.ID, ServiceID: f.sharedA.ID, AuthorityID: f.authA.ID, ARS: "07339"}
	if err := s.CreateJurisdiction(ctx, dup); !errors.Is(err, apperr.Conflict) {
		t.Errorf("duplicate area: %v, want Conflict", err)
	}
	// Another tenant's private service, another tenant's authority:
	// NotFound; a malformed area Invalid.
	for name, j := range map[string]*tenant.Jurisdiction{
		"private service of A": {TenantID: f.b.ID, ServiceID: f.svcA.ID, AuthorityID: f.authB.ID, ARS: "07"},
		"authority of A":       {TenantID: f.b.ID, ServiceID: f.sharedA.ID, AuthorityID: f.authA.ID, ARS: "07"},
	} {
		if err := s.CreateJurisdiction(ctx, j); !errors.Is(err, apperr.NotFound) {
			t.Errorf("%s: %v, want NotFound", name, err)
		}
	}
	bad := &tenant.Jurisdiction{TenantID: f.b.ID, ServiceID: f.sharedA.ID, AuthorityID: f.authB.ID, ARS: "0733"}
	if err := s.CreateJurisdiction(ctx, bad); !errors.Is(err, apperr.Invalid) {
		t.Errorf("ARS of 4 digits: %v, want Invalid", err)
	}

	// Each tenant lists its own; routing sees all of the service.
	own, err := s.Jurisdictions(ctx, f.b.ID)
	noErr(t, "Jurisdictions(B)", err)
	if len(own) != 1 || own[0].ID != jb.ID || own[0].ARS != "07339" || own[0].Source != "Katalog" || own[0].AuthorityID != f.authB.ID {
		t.Errorf("Jurisdictions(B) = %+v", own)
	}
	all, err := s.ServiceJurisdictions(ctx, f.sharedA.ID)
	noErr(t, "ServiceJurisdictions", err)
	if len(all) != 2 {
		t.Errorf("ServiceJurisdictions = %d entries, want 2", len(all))
	}
	// B lists the shared service now; a third tenant without a
	// jurisdiction does not (the service is routed).
	c := mustTenant(t, s, "drittstadt", "Stadt Dritt", "")
	if !listsService(t, s, f.b.ID, f.sharedA.ID) || listsService(t, s, c.ID, f.sharedA.ID) {
		t.Errorf("shared routed service listed: B %v, C %v; want B only",
			listsService(t, s, f.b.ID, f.sharedA.ID), listsService(t, s, c.ID, f.sharedA.ID))
	}

	// B cannot delete A's entry; SetJurisdictions replaces B's only.
	if err := s.DeleteJurisdiction(ctx, f.b.ID, ja.ID); !errors.Is(err, apperr.NotFound) {
		t.Errorf("B deletes A's jurisdiction: %v, want NotFound", err)
	}
	noErr(t, "SetJurisdictions(B)", s.SetJurisdictions(ctx, f.b.ID, f.sharedA.ID, []*tenant.Jurisdiction{
		{AuthorityID: f.authB.ID, ARS: "07339", Postcode: "55270"},
		{AuthorityID: f.authB.ID, ARS: "07339", Postcode: "55270", Street: "Hauptstraße"},
	}))
	if own, _ = s.Jurisdictions(ctx, f.b.ID); len(own) != 2 || own[0].Postcode != "55270" {
		t.Errorf("after SetJurisdictions: %+v", own)
	}
	// The same street in another spelling is the same area.
	spelt := &tenant.Jurisdiction{TenantID: f.a.ID, ServiceID: f.sharedA.ID, AuthorityID: f.authA.ID, ARS: "07339", Postcode: "55270", Street: "HAUPTSTR."}
	if err := s.CreateJurisdiction(ctx, spelt); !errors.Is(err, apperr.Conflict) {
		t.Errorf("the same street spelt otherwise: %v, want Conflict", err)
	}
	// A failing replacement changes nothing.
	err = s.SetJurisdictions(ctx, f.b.ID, f.sharedA.ID, []*tenant.Jurisdiction{
		{AuthorityID: f.authB.ID, ARS: "07"}, {AuthorityID: f.authB.ID, ARS: "07"}})
	if !errors.Is(err, apperr.Conflict) {
		t.Errorf("SetJurisdictions with a duplicate: %v, want Conflict", err)
	}
	if own, _ = s.Jurisdictions(ctx, f.b.ID); len(own) != 2 {
		t.Errorf("failed SetJurisdictions left %d entries, want 2", len(own))
	}
	noErr(t, "DeleteJurisdiction(A)", s.DeleteJurisdiction(ctx, f.a.ID, ja.ID))
	if all, _ = s.ServiceJurisdictions(ctx, f.sharedA.ID); len(all) != 2 {
		t.Errorf("after delete: %d entries, want 2", len(all))
	}
}

func listsService(t *testing.T, s Stores, tenantID, serviceID string) bool {
	t.Helper()
	svcs, err := s.ListServices(context.Background(), tenantID)
	noErr(t, "ListServices", err)
	for _, svc := range svcs {
		if svc.ID == serviceID {
			return true
		}
	}
	return false
}

// testRoutedDeliveries: a routed submission goes to the targets of its
// authority, else the tenant's for the service; a FIT-Connect routing
// target to the destination of the routing result. The routing result is
// stored sealed with the draft and the submission.
func testRoutedDeliveries(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	other := mustAuthority(t, s, f.b.ID, "Bürgerbüro Beispieldorf")
	// B's targets for A's shared service: by default a webhook; the
	// Bürgerbüro has its own FIT-Connect destination.
	noErr(t, "SetTargets(B, shared)", s.SetTargets(ctx, f.b.ID, f.sharedA.ID, []*delivery.Target{webhookTarget(delivery.NewWebhookSecret())}))
	const dest = "8d3f2c1a-5b6e-4f70-9a8b-1c2d3e4f5a6b"
	noErr(t, "SetAuthorityTargets", s.SetAuthorityTargets(ctx, f.b.ID, f.sharedA.ID, other.ID, []*delivery.Target{fitconnectTarget(dest)}))
	if err := s.SetAuthorityTargets(ctx, f.b.ID, f.sharedA.ID, f.authA.ID, nil); !errors.Is(err, apperr.NotFound) {
		t.Errorf("targets for A's authority set by B: %v, want NotFound", err)
	}
	got, err := s.AuthorityTargets(ctx, f.b.ID, f.sharedA.ID, other.ID)
	noErr(t, "AuthorityTargets", err)
	if len(got) != 1 || got[0].DestinationID != dest {
		t.Fatalf("AuthorityTargets = %+v", got)
	}
	if def, _ := s.Targets(ctx, f.b.ID, f.sharedA.ID); len(def) != 1 || def[0].Kind != delivery.Webhook {
		t.Fatalf("Targets = %+v, want the webhook alone", def)
	}

	routed := func(authorityID, destination string) *tenant.Routing {
		return &tenant.Routing{ServiceID: f.sharedA.ID, TenantID: f.b.ID, AuthorityID: authorityID, AuthorityName: "X",
			Place: tenant.Place{ARS: "073395001002", Postcode: "55270", Street: "Hauptstraße"}, Rule: "r", Source: "s",
			DestinationID: destination, At: time.Now().UTC().Truncate(time.Second)}
	}
	// The draft keeps its routing result.
	d, token := f.newDraft(t, f.b, f.sharedA, nil)
	_ = token
	d2 := *d
	d2.ID, d2.TokenHash, d2.Routing = "", []byte("routing-draft-token-hash-32-byte"), routed(other.ID, "")
	noErr(t, "CreateDraft(routed)", s.CreateDraft(ctx, &d2))
	back, err := s.DraftByToken(ctx, f.b.ID, d2.TokenHash, time.Now())
	noErr(t, "DraftByToken", err)
	if back.Routing == nil || back.Routing.AuthorityID != other.ID || back.Routing.Place.Street != "Hauptstraße" {
		t.Errorf("draft routing = %+v", back.Routing)
	}

	// To the Bürgerbüro: its own target.
	sub := f.newSubmission(f.b, f.sharedA, other.ID)
	sub.Routing = routed(other.ID, "")
	f.mustSubmit(t, sub)
	ds := mustDeliveries(t, s, f.b.ID, sub.ID, 1)
	if ds[0].Target.Kind != delivery.FITConnect || ds[0].Target.DestinationID != dest {
		t.Errorf("Bürgerbüro delivery = %+v", ds[0].Target)
	}
	stored, err := s.Submission(ctx, f.b.ID, sub.ID)
	noErr(t, "Submission", err)
	if stored.Routing == nil || stored.Routing.AuthorityID != other.ID || stored.Routing.Place.ARS != "073395001002" {
		t.Errorf("submission routing = %+v", stored.Routing)
	}
	// To the Kreis: the tenant's webhook.
	sub = f.newSubmission(f.b, f.sharedA, f.authB.ID)
	sub.Routing = routed(f.authB.ID, "")
	f.mustSubmit(t, sub)
	if ds = mustDeliveries(t, s, f.b.ID, sub.ID, 1); ds[0].Target.Kind != delivery.Webhook {
		t.Errorf("Kreis delivery = %+v", ds[0].Target)
	}

	// A FIT-Connect routing target delivers to the routed destination,
	// and is left out when the routing names none.
	noErr(t, "SetTargets(routing)", s.SetTargets(ctx, f.b.ID, f.sharedA.ID, []*delivery.Target{
		{Kind: delivery.Inbox}, {Kind: delivery.FITConnectRouting}}))
	const routedDest = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	sub = f.newSubmission(f.b, f.sharedA, f.authB.ID)
	sub.Routing = routed(f.authB.ID, routedDest)
	f.mustSubmit(t, sub)
	ds = mustDeliveries(t, s, f.b.ID, sub.ID, 2)
	if ds[1].Target.Kind != delivery.FITConnect || ds[1].Target.DestinationID != routedDest {
		t.Errorf("routed delivery = %+v", ds[1].Target)
	}
	sub = f.newSubmission(f.b, f.sharedA, f.authB.ID)
	sub.Routing = routed(f.authB.ID, "")
	f.mustSubmit(t, sub)
	if ds = mustDeliveries(t, s, f.b.ID, sub.ID, 1); ds[0].Target.Kind != delivery.Inbox {
		t.Errorf("delivery without a routed destination = %+v", ds[0].Target)
	}
}

func testConfigurationChanges(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	a := *f.a
	a.Name, a.LogoURL, a.Colour = "Stadt Musterstadt (neu)", "/static/app/logo.svg", "#004b76"
	noErr(t, "UpdateTenant", s.UpdateTenant(ctx, &a))
	got, err := s.Tenant(ctx, a.ID)
	noErr(t, "Tenant", err)
	if got.Name != a.Name || got.LogoURL != a.LogoURL || got.Colour != a.Colour || got.Slug != f.a.Slug {
		t.Errorf("tenant after update = %+v", got)
	}
	a.Colour = "#ffff00" // too little contrast with white
	if err := s.UpdateTenant(ctx, &a); !errors.Is(err, apperr.Invalid) {
		t.Errorf("yellow: %v, want Invalid", err)
	}

	auth := *f.authA
	auth.Phone, auth.EfA = "+49 361 0000", map[string]string{"zustellkanal": "fitconnect", "gebuehr.betrag": "30.00"}
	noErr(t, "UpdateAuthority", s.UpdateAuthority(ctx, &auth))
	ga, err := s.Authority(ctx, f.a.ID, auth.ID)
	noErr(t, "Authority", err)
	if ga.Phone != auth.Phone || ga.EfA["gebuehr.betrag"] != "30.00" || len(ga.EfA) != 2 {
		t.Errorf("authority after update = %+v", ga)
	}
	auth.TenantID = f.b.ID
	lost := &tenant.AuditEvent{Actor: "admin", Object: tenant.ObjectAuthority, Action: "geändert"}
	if err := s.UpdateAuthority(ctx, &auth, lost); !errors.Is(err, apperr.NotFound) {
		t.Errorf("B updates A's authority: %v, want NotFound", err)
	}
	if evs, _ := s.AuditEvents(ctx, f.b.ID, 0); len(evs) != 0 {
		t.Errorf("a refused change left %d audit events", len(evs))
	}
	// A change and its audit event are one: the event names the object
	// the change created.
	created := &tenant.Authority{TenantID: f.b.ID, Name: "Neue Behörde"}
	ev := &tenant.AuditEvent{Actor: "admin", Object: tenant.ObjectAuthority, Action: "angelegt"}
	noErr(t, "CreateAuthority with event", s.CreateAuthority(ctx, created, ev))
	if evs, _ := s.AuditEvents(ctx, f.b.ID, 0); len(evs) != 1 || evs[0].ObjectID != created.ID || ev.ID == 0 {
		t.Errorf("audit after CreateAuthority: %+v", evs)
	}

	svc := *f.svcA
	svc.Name, svc.FeeText = "Neuer Name", "30 Euro"
	noErr(t, "UpdateService", s.UpdateService(ctx, &svc))
	gs, err := s.Service(ctx, f.a.ID, svc.ID)
	noErr(t, "Service", err)
	if gs.Name != "Neuer Name" || gs.FeeText != "30 Euro" || gs.FormVersionID != f.svcA.FormVersionID {
		t.Errorf("service after update = %+v", gs)
	}
	svc.TenantID = f.b.ID
	if err := s.UpdateService(ctx, &svc); !errors.Is(err, apperr.NotFound) {
		t.Errorf("B updates A's service: %v, want NotFound", err)
	}

	for i, action := range []string{"angelegt", "geändert"} {
		ev := &tenant.AuditEvent{TenantID: f.a.ID, Actor: "admin", Object: tenant.ObjectService, ObjectID: svc.ID, Action: action,
			Detail: "Gebühr", At: time.Now().UTC().Add(time.Duration(i) * time.Second)}
		noErr(t, "RecordAudit", s.RecordAudit(ctx, ev))
	}
	evs, err := s.AuditEvents(ctx, f.a.ID, 0)
	noErr(t, "AuditEvents", err)
	if len(evs) != 2 || evs[0].Action != "geändert" || evs[1].Action != "angelegt" || evs[0].ID == 0 {
		t.Errorf("AuditEvents = %+v, want newest first", evs)
	}
	if evs, _ = s.AuditEvents(ctx, f.b.ID, 0); len(evs) != 1 || evs[0].TenantID != f.b.ID || evs[0].ObjectID == svc.ID {
		t.Errorf("B's audit trail %+v: want its own one entry, none of A's", evs)
	}
	if evs, _ = s.AuditEvents(ctx, f.a.ID, 1); len(evs) != 1 {
		t.Errorf("AuditEvents(limit 1) = %d", len(evs))
	}
}
