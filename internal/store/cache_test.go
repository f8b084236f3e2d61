package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// TestLookupCacheSeesOtherProcess opens one database twice, as two
// processes do, and checks that a tenant, an authority and a service that
// one of them read (and cached) are read anew after the other changed
// them, and that a caller changing a returned object does not change what
// the next lookup returns.
func TestLookupCacheSeesOtherProcess(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)
		tn := &tenant.Tenant{Slug: "cachestadt", Name: "Cachestadt", Kind: tenant.Gemeinde}
		must(t, a.CreateTenant(ctx, tn))
		auth := &tenant.Authority{TenantID: tn.ID, Name: "Ordnungsamt"}
		must(t, a.CreateAuthority(ctx, auth))
		svc := &tenant.Service{TenantID: tn.ID, Slug: "parken", Name: "Parken", AuthorityID: auth.ID}
		must(t, a.CreateService(ctx, svc))

		// A reads (and caches) all three, twice.
		for range 2 {
			gotT, err := a.TenantBySlug(ctx, "cachestadt")
			must(t, err)
			gotA, err := a.Authority(ctx, tn.ID, auth.ID)
			must(t, err)
			gotS, err := a.Service(ctx, tn.ID, svc.ID)
			must(t, err)
			bySlug, err := a.ServiceBySlug(ctx, tn.ID, "parken")
			must(t, err)
			if gotT.Name != "Cachestadt" || gotA.Name != "Ordnungsamt" || gotS.Name != "Parken" || bySlug.Name != "Parken" {
				t.Fatalf("read %q %q %q %q", gotT.Name, gotA.Name, gotS.Name, bySlug.Name)
			}
			// Changing what a lookup returned changes nothing stored.
			gotT.Name, gotA.Name, gotS.Name, bySlug.Name = "geändert", "geändert", "geändert", "geändert"
		}

		// B changes them; A sees each change at its next lookup.
		tn2, err := b.TenantBySlug(ctx, "cachestadt")
		must(t, err)
		tn2.Name = "Neustadt"
		must(t, b.UpdateTenant(ctx, tn2))
		gotT, err := a.TenantBySlug(ctx, "cachestadt")
		must(t, err)
		if gotT.Name != "Neustadt" {
			t.Errorf("tenant after B's change: %q, want Neustadt", gotT.Name)
		}
		auth2, err := b.Authority(ctx, tn.ID, auth.ID)
		must(t, err)
		auth2.Name = "Bürgeramt"
		must(t, b.UpdateAuthority(ctx, auth2))
		gotA, err := a.Authority(ctx, tn.ID, auth.ID)
		must(t, err)
		if gotA.Name != "Bürgeramt" {
			t.Errorf("authority after B's change: %q, want Bürgeramt", gotA.Name)
		}
		svc2, err := b.Service(ctx, tn.ID, svc.ID)
		must(t, err)
		svc2.Name = "Anwohnerparken"
		must(t, b.UpdateService(ctx, svc2))
		gotS, err := a.Service(ctx, tn.ID, svc.ID)
		must(t, err)
		if gotS.Name != "Anwohnerparken" {
			t.Errorf("service after B's change: %q, want Anwohnerparken", gotS.Name)
		}
		if got, err := a.ServiceBySlug(ctx, tn.ID, "parken"); err != nil || got.Name != "Anwohnerparken" {
			t.Errorf("service by slug after B's change: %v, %v; want Anwohnerparken", got, err)
		}
		// A slug finds another tenant's shared service until B gives the
		// tenant its own service of that slug.
		land := &tenant.Tenant{Slug: "cacheland", Name: "Cacheland", Kind: tenant.Land}
		must(t, b.CreateTenant(ctx, land))
		landAuth := &tenant.Authority{TenantID: land.ID, Name: "Landesamt"}
		must(t, b.CreateAuthority(ctx, landAuth))
		must(t, b.CreateService(ctx, &tenant.Service{TenantID: land.ID, Slug: "fischen", Name: "Fischereischein (Land)", AuthorityID: landAuth.ID, Shared: true}))
		if got, err := a.ServiceBySlug(ctx, tn.ID, "fischen"); err != nil || got.TenantID != land.ID {
			t.Fatalf("shared service by slug: %v, %v", got, err)
		}
		must(t, b.CreateService(ctx, &tenant.Service{TenantID: tn.ID, Slug: "fischen", Name: "Fischereischein (eigen)", AuthorityID: auth.ID}))
		if got, err := a.ServiceBySlug(ctx, tn.ID, "fischen"); err != nil || got.TenantID != tn.ID {
			t.Errorf("service by slug after B made the tenant's own: %v, %v; want the own one", got, err)
		}

		// Jurisdictions, targets and an authority's own fee (also the
		// absence of one) are cached too, and read anew after B's change.
		if js, err := a.ServiceJurisdictions(ctx, svc.ID); err != nil || len(js) != 0 {
			t.Fatalf("jurisdictions before: %v, %v", js, err)
		}
		if ts, err := a.Targets(ctx, tn.ID, svc.ID); err != nil || len(ts) != 0 {
			t.Fatalf("targets before: %v, %v", ts, err)
		}
		if _, err := a.AuthorityFee(ctx, tn.ID, auth.ID, svc.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("fee before: %v, want not found", err)
		}
		must(t, b.CreateJurisdiction(ctx, &tenant.Jurisdiction{TenantID: tn.ID, ServiceID: svc.ID, AuthorityID: auth.ID, ARS: "160510000000", Source: "Verwaltung"}))
		must(t, b.SetTargets(ctx, tn.ID, svc.ID, []*delivery.Target{{Kind: delivery.Inbox}}))
		must(t, b.SetAuthorityFee(ctx, tn.ID, auth.ID, svc.ID, &payment.Fee{Policy: payment.Deferred, Purpose: "Parken",
			Items: []payment.FeeItem{{ID: "p1", Description: "Parkausweis", Amount: 3050}}}))
		js, err := a.ServiceJurisdictions(ctx, svc.ID)
		if err != nil || len(js) != 1 || js[0].ARS != "160510000000" {
			t.Errorf("jurisdictions after B's change: %v, %v", js, err)
		}
		ts, err := a.Targets(ctx, tn.ID, svc.ID)
		if err != nil || len(ts) != 1 || ts[0].Kind != delivery.Inbox {
			t.Errorf("targets after B's change: %v, %v", ts, err)
		}
		fee, err := a.AuthorityFee(ctx, tn.ID, auth.ID, svc.ID)
		if err != nil || len(fee.Items) != 1 || fee.Items[0].Amount != 3050 {
			t.Fatalf("fee after B's change: %+v, %v", fee, err)
		}
		// What a caller changes in a returned list or fee stays its own.
		if len(js) == 1 && len(ts) == 1 {
			js[0].ARS, ts[0].Kind, fee.Items[0].Amount, fee.Purpose = "16", delivery.Webhook, 1, "x"
			js2, _ := a.ServiceJurisdictions(ctx, svc.ID)
			ts2, _ := a.Targets(ctx, tn.ID, svc.ID)
			fee2, _ := a.AuthorityFee(ctx, tn.ID, auth.ID, svc.ID)
			if js2[0].ARS != "160510000000" || ts2[0].Kind != delivery.Inbox || fee2.Items[0].Amount != 3050 || fee2.Purpose != "Parken" {
				t.Errorf("a caller's change reached the cache: %v %v %+v", js2[0].ARS, ts2[0].Kind, fee2)
			}
		}
		must(t, b.SetAuthorityFee(ctx, tn.ID, auth.ID, svc.ID, nil))
		if _, err := a.AuthorityFee(ctx, tn.ID, auth.ID, svc.ID); !errors.Is(err, apperr.NotFound) {
			t.Errorf("fee after B removed it: %v, want not found", err)
		}

		// In a context of WithLookups (one request), the count is read
		// once: another process's change shows in the next request, and
		// the request's own writes at once.
		req := store.WithLookups(ctx)
		if got, err := a.TenantBySlug(req, "cachestadt"); err != nil || got.Name != "Neustadt" {
			t.Fatalf("tenant in a request: %v, %v", got, err)
		}
		tn3, err := b.TenantBySlug(ctx, "cachestadt")
		must(t, err)
		tn3.Name = "Altstadt"
		must(t, b.UpdateTenant(ctx, tn3))
		if got, err := a.TenantBySlug(req, "cachestadt"); err != nil || got.Name != "Neustadt" {
			t.Errorf("tenant later in the same request: %v, %v; want it as the request first saw it", got, err)
		}
		if got, err := a.TenantBySlug(store.WithLookups(ctx), "cachestadt"); err != nil || got.Name != "Altstadt" {
			t.Errorf("tenant in the next request: %v, %v; want Altstadt", got, err)
		}
		own, err := a.TenantBySlug(req, "cachestadt")
		must(t, err)
		own.Name = "Eigenstadt"
		must(t, a.UpdateTenant(req, own))
		if got, err := a.TenantBySlug(req, "cachestadt"); err != nil || got.Name != "Eigenstadt" {
			t.Errorf("tenant after the request's own change: %v, %v; want Eigenstadt", got, err)
		}
	})
}

// TestConfigRecheck opens one database twice, A trusting the count of
// configuration changes for an hour: A does not see B's change until A
// changes configuration itself (through a single statement or a
// transaction), which it sees at once, B's with it.
func TestConfigRecheck(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, err := store.OpenWith(ctx, dsn, storetest.Box(t), store.Options{ConfigRecheck: time.Hour})
		must(t, err)
		t.Cleanup(func() { a.Close() })
		b := storetest.Open(t, dsn)
		tn := &tenant.Tenant{Slug: "prueftakt", Name: "Prüftakt", Kind: tenant.Gemeinde}
		must(t, b.CreateTenant(ctx, tn))
		auth := &tenant.Authority{TenantID: tn.ID, Name: "Ordnungsamt"}
		must(t, b.CreateAuthority(ctx, auth))
		name := func(db *store.DB) string {
			t.Helper()
			got, err := db.TenantBySlug(ctx, "prueftakt")
			must(t, err)
			return got.Name
		}
		if got := name(a); got != "Prüftakt" {
			t.Fatalf("A reads %q", got)
		}
		rename := func(db *store.DB, to string) {
			t.Helper()
			tn2, err := db.TenantBySlug(ctx, "prueftakt")
			must(t, err)
			tn2.Name = to
			must(t, db.UpdateTenant(ctx, tn2))
		}
		rename(b, "Bstadt")
		if got := name(a); got != "Prüftakt" {
			t.Errorf("A within its recheck time after B's change: %q, want the name A read", got)
		}
		// A's own change through one statement (CreateService).
		must(t, a.CreateService(ctx, &tenant.Service{TenantID: tn.ID, Slug: "hund", Name: "Hundesteuer", AuthorityID: auth.ID}))
		if got := name(a); got != "Bstadt" {
			t.Errorf("A after its own change: %q, want Bstadt", got)
		}
		rename(b, "Cstadt")
		if got := name(a); got != "Bstadt" {
			t.Errorf("A within its recheck time after B's second change: %q", got)
		}
		// A's own change in a transaction (UpdateTenant).
		rename(a, "Astadt")
		if got := name(a); got != "Astadt" {
			t.Errorf("A after its own change in a transaction: %q, want Astadt", got)
		}
		// A transaction of A that fails changes nothing, and A's next
		// lookup still works.
		bad, err := a.TenantBySlug(ctx, "prueftakt")
		must(t, err)
		bad.Kind = "dorf"
		if err := a.UpdateTenant(ctx, bad); err == nil {
			t.Fatal("UpdateTenant with an unknown kind succeeded")
		}
		if got := name(a); got != "Astadt" {
			t.Errorf("A after a failed change: %q", got)
		}
	})
}

// TestDraftDataSeesOtherProcess opens one database twice: a draft that A
// read (and keeps decoded) is read anew after B saved it, and what a
// caller changes in the data it got is not what the next read returns.
func TestDraftDataSeesOtherProcess(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)
		tn := &tenant.Tenant{Slug: "entwurfstadt", Name: "Entwurfstadt", Kind: tenant.Gemeinde}
		must(t, a.CreateTenant(ctx, tn))
		auth := &tenant.Authority{TenantID: tn.ID, Name: "Ordnungsamt"}
		must(t, a.CreateAuthority(ctx, auth))
		svc := &tenant.Service{TenantID: tn.ID, Slug: "parken", Name: "Parken", AuthorityID: auth.ID}
		must(t, a.CreateService(ctx, svc))
		now := time.Now()
		hash := sha256.Sum256([]byte("entwurf"))
		d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash[:], ExpiresAt: now.Add(time.Hour),
			Data: map[string]any{"F1": "eins"}}
		must(t, a.CreateDraft(ctx, d))
		read := func(db *store.DB) *submission.Draft {
			t.Helper()
			got, err := db.DraftByToken(ctx, tn.ID, hash[:], now)
			must(t, err)
			return got
		}
		first := read(a)
		first.Data["F1"] = "geändert, nicht gespeichert"
		if got := read(a).Data["F1"]; got != "eins" {
			t.Errorf("after a caller changed its copy: %v, want eins", got)
		}
		// A saves (and keeps what it saved), B saves over it, A reads B's.
		mine := read(a)
		mine.Data = map[string]any{"F1": "zwei", "G1": map[string]any{"F2": json.Number("3")}}
		must(t, a.SaveDraft(ctx, mine))
		if got := read(a).Data; !reflect.DeepEqual(got, mine.Data) {
			t.Errorf("A after its save: %#v", got)
		}
		theirs := read(b)
		theirs.Data = map[string]any{"F1": "drei"}
		must(t, b.SaveDraft(ctx, theirs))
		if got := read(a).Data; !reflect.DeepEqual(got, map[string]any{"F1": "drei"}) {
			t.Errorf("A after B's save: %#v, want B's data", got)
		}
	})
}
