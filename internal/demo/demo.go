// Package demo seeds an empty installation with a demo catalogue: two
// tenants, "Stadt Musterstadt" (in Thüringen) and "Landkreis Beispielkreis"
// (in Rheinland-Pfalz), each with an authority, fictitious operator pages,
// a caseworker and an admin account, and the real FIM schemas of package
// samples published as their online services. One service is shared
// between both tenants (EfA) and routed by the applicant's place.
//
// The catalogue is catalog.yaml, a catalogue document of package declared
// (the format of `antrag catalog apply`) whose form files are those of
// package samples.
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/catalog/declared"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/tenant"
)

// Catalog is the demo catalogue document; its form files are paths in
// samples.FS.
//
//go:embed catalog.yaml
var Catalog []byte

// Store is what seeding writes to.
type Store interface {
	tenant.Store
	account.Store
	account.AccessStore
	declared.Store
	area.Store
}

// Password is the demo accounts' password. The demo is for trying
// antrag out; README says so and tells how to add real accounts.
const Password = "Demo-Passwort-2026"

// Users are the demo caseworker accounts, by tenant slug.
var Users = map[string]string{
	"musterstadt":   "sachbearbeitung-musterstadt",
	"beispielkreis": "sachbearbeitung-beispielkreis",
}

// Admins are the demo admin accounts (account.RoleAdmin), by tenant slug.
var Admins = map[string]string{
	"musterstadt":   "verwaltung-musterstadt",
	"beispielkreis": "verwaltung-beispielkreis",
}

// service places a sample schema in a tenant's catalogue.
type service struct {
	file   string // in samples.FS
	slug   string
	shared bool
	fee    string
	// acknowledged are the sample's Regeln that antrag's compiler leaves
	// unsupported and that are published without effect
	// (catalog.Acknowledgement; "id@version").
	acknowledged []string
}

// Seeded reports whether the store already holds tenants.
func Seeded(ctx context.Context, st Store) (bool, error) {
	ts, err := st.ListTenants(ctx)
	return len(ts) > 0, err
}

// Seed applies the demo catalogue (Catalog) and creates the demo
// accounts: per tenant a caseworker (Users) and an admin (Admins), with
// Password. Importing uses cat for code lists.
func Seed(ctx context.Context, st Store, cat *fim.Catalog) error {
	doc, err := declared.Decode(Catalog)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	plan, err := declared.Compute(ctx, st, cat, doc, declared.Files{FS: samples.FS})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := declared.Apply(ctx, st, plan, Actor); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	hash, err := account.HashPassword(Password)
	if err != nil {
		return err
	}
	for _, td := range doc.Tenants {
		t, err := st.TenantBySlug(ctx, td.Slug)
		if err != nil {
			return fmt.Errorf("demo: Mandant %s: %w", td.Slug, err)
		}
		place := strings.TrimPrefix(strings.TrimPrefix(t.Name, "Stadt "), "Landkreis ")
		for _, u := range []struct {
			username, name string
			role           account.Role
		}{
			{Users[t.Slug], "Sachbearbeitung " + place, account.RoleCaseworker},
			{Admins[t.Slug], "Verwaltung " + place, account.RoleAdmin},
		} {
			user := &account.User{TenantID: t.ID, Username: u.username, Name: u.name, PasswordHash: hash}
			if err := st.CreateUser(ctx, user); err != nil {
				return fmt.Errorf("demo: Benutzer %s: %w", u.username, err)
			}
			if u.role == account.RoleAdmin {
				if err := st.SetAccess(ctx, t.ID, user.ID, &account.Access{Role: account.RoleAdmin}); err != nil {
					return fmt.Errorf("demo: Benutzer %s: %w", u.username, err)
				}
			}
		}
	}
	return SeedAreas(ctx, st)
}

// Actor is the name the demo's changes have in the audit trail.
const Actor = "Demo"

// publish imports a sample schema and publishes it as a service of t.
// The samples are published as the FIM catalogue has them, to try antrag
// out, without translated rules or corrections: the Regeln antrag cannot
// compile stay without effect, and the demo acknowledges each of them by
// name (service.acknowledged); one more refuses the publication.
func publish(ctx context.Context, st tenant.Store, cat *fim.Catalog, t *tenant.Tenant, a *tenant.Authority, sv service, leika map[string]string) error {
	file, slug := sv.file, sv.slug
	xdf, err := samples.FS.ReadFile(file)
	if err != nil {
		return err
	}
	c, err := catalog.Prepare(xdf, file, cat, nil)
	if err != nil {
		return err
	}
	// The acknowledged Regeln are stored with the version and named in the
	// audit trail, as for an operator's --acknowledge-unsupported=….
	acknowledged, err := c.Acknowledge(catalog.Acknowledgement{Rules: sv.acknowledged}, nil)
	if err != nil {
		return fmt.Errorf("demo: Formular %s: %w", slug, err)
	}
	s := c.Schema
	key := leika[s.ID]
	if key == "" && len(s.Leistungsschluessel) > 0 {
		key = s.Leistungsschluessel[0]
	}
	svc := &tenant.Service{TenantID: t.ID, Slug: slug, Name: s.Title(), Leistungsschluessel: key, AuthorityID: a.ID, Shared: sv.shared, FeeText: sv.fee}
	if err := st.CreateService(ctx, svc); err != nil {
		return fmt.Errorf("demo: Dienst %s: %w", slug, err)
	}
	note := "Beispielschema " + s.ID + " " + s.Version
	if len(acknowledged) > 0 {
		note += "; nicht unterstützt, bestätigt: " + strings.Join(acknowledged, ", ")
	}
	ev := &tenant.ServiceEvent{Actor: Actor, Action: tenant.ActionPublished, Note: note}
	if _, err := catalog.Publish(ctx, st, t.ID, svc.ID, c, acknowledged, ev); err != nil {
		return fmt.Errorf("demo: Formular %s: %w", slug, err)
	}
	return nil
}

// leikaKeys reads the Leistungsschlüssel of the samples from leika.tsv.
func leikaKeys() map[string]string {
	out := map[string]string{}
	b, err := samples.FS.ReadFile("leika.tsv")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) >= 3 && f[2] != "" {
			out[f[0]] = f[2]
		}
	}
	return out
}
