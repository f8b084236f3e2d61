package declared_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/catalog/declared"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/tenant"
)

func catalogue(t *testing.T) *fim.Catalog {
	t.Helper()
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// apply decodes, plans and applies doc; it returns the plan.
func apply(t *testing.T, st *store.DB, doc []byte, files declared.Files) *declared.Plan {
	t.Helper()
	ctx := context.Background()
	d, err := declared.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := declared.Compute(ctx, st, catalogue(t), d, files)
	if err != nil {
		t.Fatal(err)
	}
	if err := declared.Apply(ctx, st, p, "Test Operator"); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot describes the catalogue of the store in a comparable text:
// tenants, authorities, services with their current form version (the
// XDatenfelder file's hash, rule sources, acknowledged Regeln), targets
// (secrets included) and jurisdictions, by slugs and names. withIDs adds
// the ids of authorities and form versions, so that a second apply that
// publishes or recreates anything shows.
func snapshot(t *testing.T, st *store.DB, withIDs bool) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	ts, err := st.ListTenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ts, func(a, b *tenant.Tenant) int { return strings.Compare(a.Slug, b.Slug) })
	slug := map[string]string{}
	for _, tn := range ts {
		slug[tn.ID] = tn.Slug
	}
	svcs, err := st.ListAllServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range ts {
		pages, _ := json.Marshal(tn.Pages)
		fmt.Fprintf(&b, "tenant %s %q %s %s %q %q %q %s\n", tn.Slug, tn.Name, tn.Kind, tn.ARS, tn.Host, tn.LogoURL, tn.Colour, pages)
		as, err := st.ListAuthorities(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		name := map[string]string{}
		for _, a := range as {
			name[a.ID] = a.Name
			pages, _ := json.Marshal(a.Pages)
			efa, _ := json.Marshal(a.EfA)
			id := ""
			if withIDs {
				id = a.ID
			}
			fmt.Fprintf(&b, "  authority %s %q %q %q %q %s %s\n", id, a.Name, a.Address, a.Email, a.Phone, efa, pages)
		}
		for _, s := range svcs {
			if s.TenantID == tn.ID {
				fmt.Fprintf(&b, "  service %s %q %q %s %q shared=%v %q %q %v sfe=%v\n", s.Slug, s.Name, s.Description,
					s.Leistungsschluessel, name[s.AuthorityID], s.Shared, s.FeeText, s.DurationText, s.MinLevel, s.Schriftformersatz)
				if s.FormVersionID != "" {
					fv, err := st.FormVersion(ctx, tn.ID, s.FormVersionID)
					if err != nil {
						t.Fatal(err)
					}
					id := ""
					if withIDs {
						id = fmt.Sprintf("%s v%d", fv.ID, fv.Version)
					}
					fmt.Fprintf(&b, "    form %s %x %s %q\n", id, sha256.Sum256(fv.XDF), fv.RuleSources, fv.Acknowledged)
				}
			}
			if s.TenantID != tn.ID && !s.Shared {
				continue
			}
			ref := slug[s.TenantID] + "/" + s.Slug
			own, err := st.Targets(ctx, tn.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range own {
				fmt.Fprintf(&b, "  target %s %s %s %s %s %s\n", ref, tg.Kind, tg.DestinationID, tg.URL, tg.Secret, tg.Address)
			}
			for _, a := range as {
				list, err := st.AuthorityTargets(ctx, tn.ID, s.ID, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, tg := range list {
					fmt.Fprintf(&b, "  target %s (%s) %s %s %s %s %s\n", ref, a.Name, tg.Kind, tg.DestinationID, tg.URL, tg.Secret, tg.Address)
				}
			}
		}
		js, err := st.Jurisdictions(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, j := range js {
			var ref string
			for _, s := range svcs {
				if s.ID == j.ServiceID {
					ref = slug[s.TenantID] + "/" + s.Slug
				}
			}
			lines = append(lines, fmt.Sprintf("  jurisdiction %s %q %s %s %q %q\n", ref, name[j.AuthorityID], j.ARS, j.Postcode, j.Street, j.Source))
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, ""))
	}
	return b.String()
}

func auditCount(t *testing.T, st *store.DB) int {
	t.Helper()
	ts, err := st.ListTenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tn := range ts {
		evs, err := st.AuditEvents(context.Background(), tn.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		n += len(evs)
	}
	return n
}

func authorityIDs(t *testing.T, st *store.DB) []string {
	t.Helper()
	ts, _ := st.ListTenants(context.Background())
	var ids []string
	for _, tn := range ts {
		as, err := st.ListAuthorities(context.Background(), tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func plan(t *testing.T, st *store.DB, doc []byte, files declared.Files) *declared.Plan {
	t.Helper()
	d, err := declared.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := declared.Compute(context.Background(), st, catalogue(t), d, files)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// formFS holds the sample forms and corrections the small catalogues use.
func formFS(t *testing.T) fstest.MapFS {
	t.Helper()
	xdf, err := samples.FS.ReadFile("xdf2/S00000186_V1.0_xdf2.xml")
	if err != nil {
		t.Fatal(err)
	}
	gewerbe, err := samples.FS.ReadFile("xdf2/S00000009_GewerbeAnmeldung_xdf2.xml")
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{
		"forms/asbest.xml":            {Data: xdf},
		"forms/gewerbe.xml":           {Data: gewerbe},
		"forms/asbest-korrektur.json": {Data: []byte(`[{"rule": "R00001192", "version": "1.0", "note": "widersprüchlich: ohne Wirkung"}]`)},
	}
}

const small = `version: 1
tenants:
  - slug: erfurt
    name: Stadt Erfurt
    kind: gemeinde
    ars: "160510000000"
    colour: "#004b87"
    authorities:
      - name: Bürgeramt Erfurt
        address: [Fischmarkt 1, 99084 Erfurt]
        email: buergeramt@erfurt.example
        phone: "0361 000"
        efa: {zahlung.kennung: "E-1"}
      - name: Ordnungsamt Erfurt
    services:
      - slug: asbest
        name: Asbest-Anzeige
        authority: Bürgeramt Erfurt
        shared: true
        vertrauensniveau: substantiell
        form:
          file: forms/asbest.xml
          corrections: forms/asbest-korrektur.json
          acknowledged: [R00001343]
        targets:
          - kind: inbox
          - kind: webhook
            url: https://fachverfahren.example/eingang
            secret: {env: HOOK_SECRET}
        authority_targets:
          - authority: Ordnungsamt Erfurt
            targets:
              - kind: email
                address: ordnung@erfurt.example
      - slug: gewerbe
        name: Gewerbeanmeldung
        authority: Ordnungsamt Erfurt
        form:
          file: forms/gewerbe.xml
    jurisdictions:
      - service: asbest
        authority: Bürgeramt Erfurt
        ars: "16051"
  - slug: gotha
    name: Landkreis Gotha
    kind: landkreis
    authorities:
      - name: Landratsamt Gotha
    offers:
      - service: erfurt/asbest
        targets:
          - kind: fitconnect_routing
    jurisdictions:
      - service: erfurt/asbest
        authority: Landratsamt Gotha
        ars: "16067"
        postcode: "99867"
        source: Zuständigkeitsverzeichnis
`

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func env(k string) string {
	if k == "HOOK_SECRET" {
		return hookSecret
	}
	return ""
}

// TestApplySmallCatalogue: targets with a secret from the environment,
// authority targets, corrections from a file, an offer with
// jurisdictions; a change publishes a new form version and replaces the
// targets; what the file leaves out stays and is reported.
func TestApplySmallCatalogue(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, d.NewDSN(t))
			files := declared.Files{FS: formFS(t), Getenv: env}
			apply(t, st, []byte(small), files)
			snap := snapshot(t, st, true)
			for _, want := range []string{
				"target erfurt/asbest webhook  https://fachverfahren.example/eingang " + hookSecret,
				"target erfurt/asbest (Ordnungsamt Erfurt) email    ordnung@erfurt.example",
				"target erfurt/asbest fitconnect_routing",
				`jurisdiction erfurt/asbest "Landratsamt Gotha" 16067 99867 "" "Zuständigkeitsverzeichnis"`,
				`"corrections":[{"rule":"R00001192"`,
				`["R00001343@1.0"]`,
				`{"zahlung.kennung":"E-1"}`,
			} {
				if !strings.Contains(snap, want) {
					t.Errorf("no %q in\n%s", want, snap)
				}
			}
			erfurt, _ := st.TenantBySlug(ctx, "erfurt")
			svc, _ := st.ServiceBySlug(ctx, erfurt.ID, "asbest")
			evs, err := st.ServiceEvents(ctx, erfurt.ID, svc.ID)
			if err != nil || len(evs) != 1 || evs[0].Actor != "Test Operator" || evs[0].Action != tenant.ActionPublished {
				t.Errorf("service events %+v, %v", evs, err)
			}
			audit, _ := st.AuditEvents(ctx, erfurt.ID, 0)
			if len(audit) == 0 || audit[0].Actor != "Test Operator" {
				t.Errorf("audit %+v", audit)
			}
			for _, ev := range audit {
				if strings.Contains(ev.Detail, hookSecret) {
					t.Errorf("audit detail reveals the secret: %q", ev.Detail)
				}
			}
			if p := plan(t, st, []byte(small), files); !p.Empty() {
				t.Errorf("second plan: %v", p.Steps)
			}

			// Another change: no corrections (a new version), a new name,
			// the webhook gone, gotha's jurisdiction gone; the service
			// gewerbe left out (stays).
			changed := strings.Replace(small, "          corrections: forms/asbest-korrektur.json\n          acknowledged: [R00001343]",
				"          acknowledged: [R00001343, R00001192]", 1)
			changed = strings.Replace(changed, "name: Asbest-Anzeige", "name: Anzeige Asbest", 1)
			changed = strings.Replace(changed, `          - kind: webhook
            url: https://fachverfahren.example/eingang
            secret: {env: HOOK_SECRET}
`, "", 1)
			changed = strings.Replace(changed, `      - slug: gewerbe
        name: Gewerbeanmeldung
        authority: Ordnungsamt Erfurt
        form:
          file: forms/gewerbe.xml
`, "", 1)
			changed = changed[:strings.LastIndex(changed, "    jurisdictions:")]
			p := apply(t, st, []byte(changed), declared.Files{FS: formFS(t)})
			var lines []string
			for _, s := range p.Steps {
				lines = append(lines, s.String())
			}
			got := strings.Join(lines, "\n")
			for _, want := range []string{"erfurt: Dienst asbest geändert (Name)", "erfurt: Dienst asbest veröffentlicht",
				"erfurt: Zustellziele erfurt/asbest ersetzt (Posteingang)", "gotha: Zuständigkeiten erfurt/asbest entfernt"} {
				if !strings.Contains(got, want) {
					t.Errorf("plan lacks %q:\n%s", want, got)
				}
			}
			if !slices.Contains(p.Kept, "Dienst erfurt/gewerbe") {
				t.Errorf("kept %v", p.Kept)
			}
			svc, _ = st.ServiceBySlug(ctx, erfurt.ID, "asbest")
			fv, _ := st.FormVersion(ctx, erfurt.ID, svc.FormVersionID)
			if fv.Version != 2 || len(fv.RuleSources) > 0 && string(fv.RuleSources) != "{}" && string(fv.RuleSources) != "null" {
				t.Errorf("form version %d, sources %s", fv.Version, fv.RuleSources)
			}
			if g, err := st.ServiceBySlug(ctx, erfurt.ID, "gewerbe"); err != nil || g.FormVersionID == "" {
				t.Errorf("gewerbe after it left the file: %v", err)
			}
			if tg, _ := st.Targets(ctx, erfurt.ID, svc.ID); len(tg) != 1 || tg[0].Kind != delivery.Inbox {
				t.Errorf("targets %v", tg)
			}
			gotha, _ := st.TenantBySlug(ctx, "gotha")
			if js, _ := st.Jurisdictions(ctx, gotha.ID); len(js) != 0 {
				t.Errorf("gotha's jurisdictions %v", js)
			}
		})
	}
}

// TestHostileDocuments: malformed and hostile files are refused with an
// error naming the place, and change nothing.
func TestHostileDocuments(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.Dialects()[0].NewDSN(t))
	files := declared.Files{FS: formFS(t), Getenv: env}
	apply(t, st, []byte(small), files)
	before, events := snapshot(t, st, true), auditCount(t, st)

	for _, c := range []struct {
		name, doc string
		want      []string // in the error
	}{
		{"bad yaml", "version: 1\ntenants: [\n", []string{"kein gültiges YAML"}},
		{"empty", "", []string{"leer"}},
		{"not a map", "- 1\n- 2\n", []string{"falscher Typ"}},
		{"numeric ars", strings.Replace(small, `ars: "160510000000"`, "ars: 160510000000", 1), []string{"/tenants/0/ars", "Zeile 6", "falscher Typ"}},
		{"unknown key", strings.Replace(small, "    colour:", "    farbe: rot\n    colour:", 1), []string{"/tenants/0", "farbe"}},
		{"bad kind", strings.Replace(small, "kind: landkreis", "kind: bezirk", 1), []string{"/tenants/1/kind", "gemeinde, landkreis, land"}},
		{"inline secret", strings.Replace(small, "secret: {env: HOOK_SECRET}", "secret: "+hookSecret, 1),
			[]string{"/tenants/0/services/0/targets/1/secret", "Zeile 29", "Geheimnisse stehen nicht in der Katalogdatei"}},
		{"unset secret", strings.Replace(small, "HOOK_SECRET", "NOT_SET", 1), []string{"/tenants/0/services/0/targets/1/secret", "NOT_SET"}},
		{"missing form", strings.Replace(small, "forms/gewerbe.xml", "forms/fehlt.xml", 1), []string{"/tenants/0/services/1/form/file", "fehlt.xml"}},
		{"escaping path", strings.Replace(small, "forms/gewerbe.xml", "../../etc/passwd", 1), []string{"/tenants/0/services/1/form/file", "relativ"}},
		{"unknown authority", strings.Replace(small, "authority: Ordnungsamt Erfurt\n        form", "authority: Bauamt\n        form", 1),
			[]string{"/tenants/0/services/1/authority", "Bauamt"}},
		{"unknown offer", strings.Replace(small, "service: erfurt/asbest\n        targets", "service: erfurt/nichts\n        targets", 1),
			[]string{"/tenants/1/offers/0/service"}},
		{"private offer", strings.Replace(small, "shared: true", "shared: false", 1), []string{"/tenants/1/offers/0/service", "nicht geteilt"}},
		{"unacknowledged", strings.Replace(small, "acknowledged: [R00001343]", "acknowledged: []", 1), []string{"/tenants/0/services/0/form/acknowledged", "R00001343"}},
		{"bad correction", strings.Replace(small, "corrections: forms/asbest-korrektur.json", `corrections: [{rule: R1, wirkung: x}]`, 1),
			[]string{"/tenants/0/services/0/form/corrections"}},
		{"bad target", strings.Replace(small, "url: https://fachverfahren.example/eingang", "url: http://fachverfahren.example/", 1),
			[]string{"/tenants/0/services/0/targets/1", "https"}},
		{"duplicate tenant", small + strings.Replace(small[strings.Index(small, "  - slug: gotha"):], "", "", 1), []string{"/tenants/2/slug", "zweimal"}},
		{"jurisdiction of an unlisted service", strings.Replace(small, "      - service: asbest\n", "      - service: gewerbe-alt\n", 1),
			[]string{"/tenants/0/jurisdictions/0/service"}},
		{"bad colour contrast", strings.Replace(small, "#004b87", "#ffff00", 1), []string{"/tenants/0", "Kontrast"}},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\ni: [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n",
			[]string{""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := declared.Decode([]byte(c.doc))
			if err == nil {
				_, err = declared.Compute(ctx, st, catalogue(t), d, files)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v is not Invalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	if after := snapshot(t, st, true); after != before || auditCount(t, st) != events {
		t.Errorf("refused documents changed the store:\n%s\nwant\n%s", after, before)
	}
}

// TestSchemaIsValidJSON: the embedded schema is the one the file names.
func TestSchemaIsValidJSON(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(declared.SchemaJSON, &s); err != nil {
		t.Fatal(err)
	}
	if s["$id"] != declared.SchemaURL || s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$id %v, $schema %v", s["$id"], s["$schema"])
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(small))
	if b, err := os.ReadFile("../../demo/catalog.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"version": 1, "tenants": [{"slug": "x1", "name": "X", "kind": "land", "authorities": [{"name": "A", "efa": {"k": "v"}}]}]}`))
	f.Add([]byte("version: 1\ntenants:\n  - {slug: ab, name: A, kind: land, pages: {impressum: {url: 'https://a.example'}}}\n"))
	f.Add([]byte("a: &a [1]\nb: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := declared.Decode(b)
		if err != nil {
			if !errors.Is(err, apperr.Invalid) {
				t.Fatalf("error not Invalid: %v", err)
			}
			return
		}
		if d.Version != 1 {
			t.Fatalf("version %d accepted", d.Version)
		}
		// A decoded document encodes and decodes to the same.
		y, err := d.YAML()
		if err != nil {
			t.Fatal(err)
		}
		d2, err := declared.Decode(y)
		if err != nil {
			t.Fatalf("re-decoding the encoded document: %v\n%s", err, y)
		}
		a, _ := json.Marshal(d)
		c, _ := json.Marshal(d2)
		if string(a) != string(c) {
			t.Fatalf("round trip changed the document:\n%s\n%s", a, c)
		}
	})
}

// TestJurisdictionsMoveBetweenTenants: two tenants swap their areas for a
// shared service in one apply (an area is named once per service, so the
// old entries must go before the new ones come).
func TestJurisdictionsMoveBetweenTenants(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			st := storetest.Open(t, d.NewDSN(t))
			files := declared.Files{FS: formFS(t), Getenv: env}
			apply(t, st, []byte(small), files)
			gotha := "        ars: \"16067\"\n        postcode: \"99867\"\n        source: Zuständigkeitsverzeichnis\n"
			erfurt := "        ars: \"16051\"\n"
			swapped := strings.NewReplacer(gotha, erfurt, erfurt, gotha).Replace(small)
			if swapped == small || !strings.Contains(swapped, gotha) {
				t.Fatal("the test's catalogue did not change")
			}
			p := apply(t, st, []byte(swapped), files)
			if len(p.Steps) != 4 {
				t.Errorf("plan %v, want two removals and two additions", p.Steps)
			}
			snap := snapshot(t, st, false)
			for _, want := range []string{
				`jurisdiction erfurt/asbest "Bürgeramt Erfurt" 16067 99867 "" "Zuständigkeitsverzeichnis"`,
				`jurisdiction erfurt/asbest "Landratsamt Gotha" 16051  "" ""`,
			} {
				if !strings.Contains(snap, want) {
					t.Errorf("no %q in\n%s", want, snap)
				}
			}
			if p := plan(t, st, []byte(swapped), files); !p.Empty() {
				t.Errorf("again: %v", p.Steps)
			}
		})
	}
}

// TestAreaHeldByATenantOutsideTheDocument: an area the store keeps with a
// tenant the document does not list (and so does not replace) is refused
// when the document gives it to another tenant, before anything is
// written, with the place in the file.
func TestAreaHeldByATenantOutsideTheDocument(t *testing.T) {
	st := storetest.Open(t, storetest.Dialects()[0].NewDSN(t))
	files := declared.Files{FS: formFS(t), Getenv: env}
	apply(t, st, []byte(small), files)
	ctx := context.Background()
	erfurt, err := st.TenantBySlug(ctx, "erfurt")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := st.ServiceBySlug(ctx, erfurt.ID, "asbest")
	if err != nil {
		t.Fatal(err)
	}
	third := &tenant.Tenant{Slug: "drittstadt", Name: "Stadt Dritt", Kind: tenant.Gemeinde}
	if err := st.CreateTenant(ctx, third); err != nil {
		t.Fatal(err)
	}
	a := &tenant.Authority{TenantID: third.ID, Name: "Bürgerbüro Dritt"}
	if err := st.CreateAuthority(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateJurisdiction(ctx, &tenant.Jurisdiction{TenantID: third.ID, ServiceID: svc.ID, AuthorityID: a.ID, ARS: "16052"}); err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(small, "        ars: \"16051\"\n", "        ars: \"16052\"\n", 1)
	if moved == small {
		t.Fatal("the test's catalogue did not change")
	}
	d, err := declared.Decode([]byte(moved))
	if err != nil {
		t.Fatal(err)
	}
	_, err = declared.Compute(ctx, st, catalogue(t), d, files)
	if err == nil || !strings.Contains(err.Error(), "drittstadt") || !strings.Contains(err.Error(), "/jurisdictions/") {
		t.Fatalf("Compute: %v, want the area held by drittstadt, with its place", err)
	}
}
