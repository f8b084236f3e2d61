// Package demo seeds an empty installation with a demo catalogue: two
// tenants, "Stadt Musterstadt" (in Thüringen) and "Landkreis Beispielkreis"
// (in Rheinland-Pfalz), each with an authority, a caseworker account and
// fictitious operator pages (pages.go), and the real FIM schemas of
// package samples published as their online services. One service is
// shared between all tenants (EfA).
package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/tenant"
)

// Store is what seeding writes to.
type Store interface {
	tenant.Store
	account.Store
	area.Store
}

// Password is the demo caseworkers' password. The demo is for trying
// antrag out; README says so and tells how to add real accounts.
const Password = "Demo-Passwort-2026"

// Users are the demo caseworker accounts, by tenant slug.
var Users = map[string]string{
	"musterstadt":   "sachbearbeitung-musterstadt",
	"beispielkreis": "sachbearbeitung-beispielkreis",
}

// service places a sample schema in the demo catalogue.
type service struct {
	file   string // in samples.FS
	tenant string // slug
	slug   string
	shared bool
	fee    string
	// acknowledged are the sample's Regeln that antrag's compiler leaves
	// unsupported and that the demo publishes without effect
	// (catalog.Acknowledgement; "id@version").
	acknowledged []string
}

var services = []service{
	{"xdf2/S05000058_Bewohnerparkausweis_xdf2.xml", "musterstadt", "bewohnerparkausweis", false, "Die Gebühr beträgt 30,00 Euro für ein Jahr.", nil},
	{"xdf2/S00000009_GewerbeAnmeldung_xdf2.xml", "musterstadt", "gewerbeanmeldung", false, "Die Gebühr beträgt 26,00 Euro.", nil},
	{"xdf1/S00000036_WaBeKa_xdf1.xml", "musterstadt", "waffenbesitzkarte", false, "", nil},
	{"xdf2/S00000121_BlaueKarteEU_xdf2.xml", "musterstadt", "blaue-karte-eu", false, "Die Gebühr beträgt 100,00 Euro.", nil},
	{"xdf3/S00000000362_xdf3.xml", "musterstadt", "beschaeftigungserlaubnis", false, "", nil},
	{"xdf3/S00000000374_xdf3.xml", "musterstadt", "aufenthaltserlaubnis-schweiz", false, "", nil},
	{"xdf3/S00000000364_xdf3.xml", "beispielkreis", "heimarbeit", false, "", nil},
	{"xdf3/S00000000371_xdf3.xml", "beispielkreis", "mutterschutz-nachtarbeit", false, "", nil},
	{"xdf2/S00000186_V1.0_xdf2.xml", "beispielkreis", "asbest-anzeige", false, "", []string{
		"R00001192@1.0", // contradictory: shows and hides G00001386 at once
		"R00001343@1.0", // compares the text field F00002492 with a truth value
	}},
	{"xdf3/S02000000112_xdf3.xml", "beispielkreis", "cannabis-anbauvereinigung", false, "", nil},
	{"xdf3/S05000001162_xdf3.xml", "beispielkreis", "immobiliardarlehensvermittler", false, "", []string{
		"R05000011227@3.4.0", "R05000011239@2.3.0", "R05000011945@1.3.0", // contradictory: show and hide at once
	}},
	{"xdf3/S05000001216_xdf3.xml", "beispielkreis", "versicherungsvermittler-befreiung", false, "", nil},
	{"xdf3/S05000001323_xdf3.xml", "beispielkreis", "krankheitserreger", true, "", nil},
	{"xdf3/S07000000201_xdf3.xml", "beispielkreis", "jaegerpruefung", false, "Die Prüfungsgebühr beträgt 250,00 Euro.", nil},
	{"xdf3/S07000000248_xdf3.xml", "beispielkreis", "jagdschein", false, "", nil},
}

// Seeded reports whether the store already holds tenants.
func Seeded(ctx context.Context, st Store) (bool, error) {
	ts, err := st.ListTenants(ctx)
	return len(ts) > 0, err
}

// Seed creates the demo catalogue. Importing uses cat for code lists.
func Seed(ctx context.Context, st Store, cat *fim.Catalog) error {
	tenants := []*tenant.Tenant{
		{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, ARS: "160510000000"},
		{Slug: "beispielkreis", Name: "Landkreis Beispielkreis", Kind: tenant.Landkreis, ARS: "073390000000"},
	}
	authorities := map[string]*tenant.Authority{
		"musterstadt":   {Name: "Bürgeramt Musterstadt", Address: []string{"Marktplatz 1", "99084 Musterstadt"}, Email: "buergeramt@musterstadt.example"},
		"beispielkreis": {Name: "Kreisverwaltung Beispielkreis", Address: []string{"Kreisstraße 5", "55218 Beispielstadt"}, Email: "kreisverwaltung@beispielkreis.example"},
	}
	bySlug := map[string]*tenant.Tenant{}
	for _, t := range tenants {
		t.Pages = pages[t.Slug]
		if err := st.CreateTenant(ctx, t); err != nil {
			return fmt.Errorf("demo: Mandant %s: %w", t.Slug, err)
		}
		bySlug[t.Slug] = t
		a := authorities[t.Slug]
		a.TenantID, a.Pages = t.ID, authorityPages[t.Slug]
		if err := st.CreateAuthority(ctx, a); err != nil {
			return fmt.Errorf("demo: Behörde %s: %w", a.Name, err)
		}
		hash, err := account.HashPassword(Password)
		if err != nil {
			return err
		}
		u := &account.User{TenantID: t.ID, Username: Users[t.Slug], Name: "Sachbearbeitung " + strings.TrimPrefix(strings.TrimPrefix(t.Name, "Stadt "), "Landkreis "), PasswordHash: hash}
		if err := st.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("demo: Benutzer %s: %w", u.Username, err)
		}
	}
	leika := leikaKeys()
	for _, sv := range services {
		t := bySlug[sv.tenant]
		if err := publish(ctx, st, cat, t, authorities[sv.tenant], sv, leika); err != nil {
			return err
		}
	}
	return SeedAreas(ctx, st)
}

// Actor is the name the demo's publications have in the audit trail.
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
