package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// fullStatement is a complete Erklärung zur Barrierefreiheit with every
// optional part set, so that a round trip that drops a field shows.
func fullStatement() *tenant.Statement {
	return &tenant.Statement{
		Conformance: tenant.PartiallyConformant,
		Problems: []tenant.Problem{
			{Content: "Die Antragsquittung (PDF) ist kein getaggtes PDF.", Reason: "unverhältnismäßige Belastung", Alternative: "Die Angaben stehen auch auf der Bestätigungsseite."},
			{Content: "Zwei Formularhilfen sind nur als Bild vorhanden."},
		},
		Prepared: tenant.Preparation{Date: "2026-11-30", Reviewed: "2026-12-01", Method: tenant.ThirdPartyTesting, Evaluator: "Prüfstelle Beispiel"},
		Feedback: tenant.Feedback{Email: "barrierefrei@example.org", Phone: "+49 30 1234-5678", FormURL: "https://example.org/kontakt", ResponseWeeks: 6},
		Enforcement: tenant.Enforcement{Name: "Schlichtungsstelle (Beispiel)", Address: []string{"Beispielstraße 1", "12345 Beispielstadt"},
			URL: "https://schlichtung.example.org", Email: "schlichtung@example.org", Phone: "030 1234"},
	}
}

// pagesJSON renders p for comparison and failure messages.
func pagesJSON(t *testing.T, p tenant.Pages) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func testPages(t *testing.T, s Stores) {
	ctx := context.Background()
	tenantPages := tenant.Pages{
		Impressum: &tenant.Page{URL: "https://www.musterstadt.example.org/impressum"},
		Datenschutz: &tenant.Page{Paragraphs: []string{"Verantwortlich ist die Stadt.", "Zweiter <b>Absatz</b> & mehr."},
			Sections: []tenant.Section{{Heading: "Ihre Rechte", Paragraphs: []string{"Auskunft nach Art. 15 DSGVO."}}}},
		Barrierefreiheit: &tenant.Page{Statement: fullStatement()},
	}
	// Created with pages, read back with them.
	a := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, Pages: tenantPages}
	noErr(t, "CreateTenant(with pages)", s.CreateTenant(ctx, a))
	b := mustTenant(t, s, "beispielkreis", "Landkreis Beispiel", "")
	authPages := tenant.Pages{Datenschutz: &tenant.Page{Paragraphs: []string{"Verantwortlich ist das Bürgeramt."}}}
	bue := &tenant.Authority{TenantID: a.ID, Name: "Bürgeramt", Pages: authPages}
	noErr(t, "CreateAuthority(with pages)", s.CreateAuthority(ctx, bue))
	z := mustAuthority(t, s, a.ID, "Zulassungsstelle")
	other := mustAuthority(t, s, b.ID, "Ordnungsamt")

	for _, get := range []struct {
		name string
		fn   func() (*tenant.Tenant, error)
	}{
		{"Tenant", func() (*tenant.Tenant, error) { return s.Tenant(ctx, a.ID) }},
		{"TenantBySlug", func() (*tenant.Tenant, error) { return s.TenantBySlug(ctx, a.Slug) }},
	} {
		got, err := get.fn()
		noErr(t, get.name, err)
		if g, w := pagesJSON(t, got.Pages), pagesJSON(t, tenantPages); g != w {
			t.Errorf("%s.Pages = %s, want %s", get.name, g, w)
		}
	}
	gotAuth, err := s.Authority(ctx, a.ID, bue.ID)
	noErr(t, "Authority", err)
	if g, w := pagesJSON(t, gotAuth.Pages), pagesJSON(t, authPages); g != w {
		t.Errorf("Authority.Pages = %s, want %s", g, w)
	}
	gotB, err := s.Tenant(ctx, b.ID)
	noErr(t, "Tenant(b)", err)
	if !gotB.Pages.Empty() {
		t.Errorf("a tenant created without pages has %s", pagesJSON(t, gotB.Pages))
	}

	// SetPages replaces the tenant's pages and those of all its
	// authorities: the Bürgeramt, not named, has none afterwards.
	newOwn := tenant.Pages{Impressum: &tenant.Page{Paragraphs: []string{"Stadt Musterstadt, Marktplatz 1"}}}
	zPages := tenant.Pages{Impressum: &tenant.Page{URL: "https://zulassung.example.org/impressum"}}
	noErr(t, "SetPages", s.SetPages(ctx, a.ID, newOwn, map[string]tenant.Pages{z.ID: zPages}))
	gotA, err := s.Tenant(ctx, a.ID)
	noErr(t, "Tenant after SetPages", err)
	if g, w := pagesJSON(t, gotA.Pages), pagesJSON(t, newOwn); g != w {
		t.Errorf("after SetPages: tenant pages %s, want %s", g, w)
	}
	list, err := s.ListAuthorities(ctx, a.ID)
	noErr(t, "ListAuthorities", err)
	for _, x := range list {
		want := tenant.Pages{}
		if x.ID == z.ID {
			want = zPages
		}
		if g, w := pagesJSON(t, x.Pages), pagesJSON(t, want); g != w {
			t.Errorf("after SetPages: %s has %s, want %s", x.Name, g, w)
		}
	}

	// Nothing changes on a refusal: an authority of another tenant, an
	// incomplete statement, an unknown tenant.
	err = s.SetPages(ctx, a.ID, tenantPages, map[string]tenant.Pages{other.ID: zPages})
	wantKind(t, "SetPages(authority of another tenant)", err, apperr.NotFound)
	incomplete := fullStatement()
	incomplete.Prepared.Date = ""
	err = s.SetPages(ctx, a.ID, tenant.Pages{Barrierefreiheit: &tenant.Page{Statement: incomplete}}, nil)
	wantKind(t, "SetPages(statement without date)", err, apperr.Invalid)
	err = s.SetPages(ctx, a.ID, tenant.Pages{}, map[string]tenant.Pages{z.ID: {Impressum: &tenant.Page{URL: "javascript:alert(1)"}}})
	wantKind(t, "SetPages(javascript: URL)", err, apperr.Invalid)
	err = s.SetPages(ctx, "00000000-0000-4000-8000-000000000000", newOwn, nil)
	wantKind(t, "SetPages(unknown tenant)", err, apperr.NotFound)
	gotA, err = s.Tenant(ctx, a.ID)
	noErr(t, "Tenant after refusals", err)
	if g, w := pagesJSON(t, gotA.Pages), pagesJSON(t, newOwn); g != w {
		t.Errorf("after refused SetPages: tenant pages %s, want %s", g, w)
	}
	gotZ, err := s.Authority(ctx, a.ID, z.ID)
	noErr(t, "Authority(z) after refusals", err)
	if g, w := pagesJSON(t, gotZ.Pages), pagesJSON(t, zPages); g != w {
		t.Errorf("after refused SetPages: Zulassungsstelle has %s, want %s", g, w)
	}
	gotOther, err := s.Authority(ctx, b.ID, other.ID)
	noErr(t, "Authority(other)", err)
	if !gotOther.Pages.Empty() {
		t.Errorf("SetPages of tenant A changed an authority of B: %s", pagesJSON(t, gotOther.Pages))
	}

	// Refused at creation too.
	err = s.CreateTenant(ctx, &tenant.Tenant{Slug: "dritte", Name: "Dritte", Kind: tenant.Gemeinde,
		Pages: tenant.Pages{Barrierefreiheit: &tenant.Page{Statement: incomplete}}})
	wantKind(t, "CreateTenant(incomplete statement)", err, apperr.Invalid)
	err = s.CreateAuthority(ctx, &tenant.Authority{TenantID: a.ID, Name: "Standesamt",
		Pages: tenant.Pages{Impressum: &tenant.Page{}}})
	wantKind(t, "CreateAuthority(empty page)", err, apperr.Invalid)

	// Clearing: no pages anywhere.
	noErr(t, "SetPages(none)", s.SetPages(ctx, a.ID, tenant.Pages{}, nil))
	gotA, err = s.Tenant(ctx, a.ID)
	noErr(t, "Tenant after clearing", err)
	gotZ, err = s.Authority(ctx, a.ID, z.ID)
	noErr(t, "Authority after clearing", err)
	if !gotA.Pages.Empty() || !gotZ.Pages.Empty() {
		t.Errorf("after clearing: tenant %s, authority %s", pagesJSON(t, gotA.Pages), pagesJSON(t, gotZ.Pages))
	}
}
