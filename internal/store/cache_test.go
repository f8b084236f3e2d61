package store_test

import (
	"context"
	"testing"

	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
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
			if gotT.Name != "Cachestadt" || gotA.Name != "Ordnungsamt" || gotS.Name != "Parken" {
				t.Fatalf("read %q %q %q", gotT.Name, gotA.Name, gotS.Name)
			}
			// Changing what a lookup returned changes nothing stored.
			gotT.Name, gotA.Name, gotS.Name = "geändert", "geändert", "geändert"
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
