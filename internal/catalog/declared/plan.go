package declared

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// Store is what computing and applying a plan, and exporting, need.
type Store interface {
	catalog.Store
	ListTenants(ctx context.Context) ([]*tenant.Tenant, error)
	ServiceJurisdictions(ctx context.Context, serviceID string) ([]*tenant.Jurisdiction, error)
	CreateTenant(ctx context.Context, t *tenant.Tenant) error
	UpdateTenant(ctx context.Context, t *tenant.Tenant, evs ...*tenant.AuditEvent) error
	ListAuthorities(ctx context.Context, tenantID string) ([]*tenant.Authority, error)
	CreateAuthority(ctx context.Context, a *tenant.Authority, evs ...*tenant.AuditEvent) error
	UpdateAuthority(ctx context.Context, a *tenant.Authority, evs ...*tenant.AuditEvent) error
	ListAllServices(ctx context.Context) ([]*tenant.Service, error)
	CreateService(ctx context.Context, s *tenant.Service) error
	UpdateService(ctx context.Context, s *tenant.Service, evs ...*tenant.AuditEvent) error
	Targets(ctx context.Context, tenantID, serviceID string) ([]*delivery.Target, error)
	AuthorityTargets(ctx context.Context, tenantID, serviceID, authorityID string) ([]*delivery.Target, error)
	SetTargets(ctx context.Context, tenantID, serviceID string, targets []*delivery.Target) error
	SetAuthorityTargets(ctx context.Context, tenantID, serviceID, authorityID string, targets []*delivery.Target) error
	Jurisdictions(ctx context.Context, tenantID string) ([]*tenant.Jurisdiction, error)
	SetJurisdictions(ctx context.Context, tenantID, serviceID string, js []*tenant.Jurisdiction) error
	RecordAudit(ctx context.Context, ev *tenant.AuditEvent) error
	PaymentAccount(ctx context.Context, tenantID, authorityID string) (*payment.Account, error)
	SetPaymentAccount(ctx context.Context, tenantID, authorityID string, a *payment.Account, evs ...*tenant.AuditEvent) error
	AuthorityFees(ctx context.Context, tenantID, authorityID string) (map[string]*payment.Fee, error)
	SetAuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string, f *payment.Fee, evs ...*tenant.AuditEvent) error
}

// Files gives what a document refers to: FS holds the files named by
// relative paths (forms, corrections, translations; paths as fs.ValidPath
// allows them, so never outside the catalogue's directory), Getenv the
// environment for {env: NAME} secrets and SecretFile the contents of
// {file: PATH} secrets. A nil Getenv or SecretFile refuses such secrets.
type Files struct {
	FS         fs.FS
	Getenv     func(string) string
	SecretFile func(name string) ([]byte, error)
}

// Step is one change of a plan: what (Object, one of the tenant.Object
// constants, and Name), for which tenant (its slug), and how (Action:
// angelegt, geändert, veröffentlicht, ersetzt, entfernt; Detail: a German
// summary without secrets).
type Step struct {
	Tenant, Object, Name, Action, Detail string

	tenantID, objectID string
	run                func(ctx context.Context, st Store, actor string) error
}

// String is the step in one line, e.g. "musterstadt: Dienst
// bewohnerparkausweis angelegt (…)".
func (s *Step) String() string {
	line := fmt.Sprintf("%s: %s %s %s", s.Tenant, objectLabel[s.Object], s.Name, s.Action)
	if s.Detail != "" {
		line += " (" + s.Detail + ")"
	}
	return line
}

var objectLabel = map[string]string{
	tenant.ObjectTenant: "Mandant", tenant.ObjectAuthority: "Behörde", tenant.ObjectService: "Dienst",
	tenant.ObjectTargets: "Zustellziele", tenant.ObjectJurisdiction: "Zuständigkeiten",
	tenant.ObjectPayment: "Bezahldienst", tenant.ObjectFee: "Gebühr",
}

// Plan is the difference between a document and the store: the steps
// that make the store match the document, in the order Apply takes them,
// and what the store holds that the document does not list (Kept: left
// alone, one German line each).
type Plan struct {
	Steps []*Step
	Kept  []string
}

// Empty reports whether applying the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// Write lists the plan for an operator, in German.
func (p *Plan) Write(w io.Writer) {
	if p.Empty() {
		fmt.Fprintln(w, "Keine Änderungen: der Katalog entspricht der Datei.")
	} else {
		fmt.Fprintf(w, "%d Änderung(en):\n", len(p.Steps))
		for _, s := range p.Steps {
			fmt.Fprintln(w, "  "+s.String())
		}
	}
	if len(p.Kept) > 0 {
		fmt.Fprintln(w, "Nicht in der Datei, bleibt unverändert:")
		for _, k := range p.Kept {
			fmt.Fprintln(w, "  "+k)
		}
	}
}

// Apply carries the plan out step by step and records each step in its
// tenant's audit trail with actor as the actor (publications also in the
// service's). Compute has checked everything it could; a store error
// stops Apply at that step, with the earlier steps applied: computing and
// applying again completes it.
func Apply(ctx context.Context, st Store, p *Plan, actor string) error {
	if strings.TrimSpace(actor) == "" {
		return fmt.Errorf("Katalog: ohne Namen der handelnden Person wird nichts geändert")
	}
	for _, s := range p.Steps {
		if err := s.run(ctx, st, actor); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		if err := st.RecordAudit(ctx, &tenant.AuditEvent{TenantID: s.tenantID, Actor: actor, Object: s.Object,
			ObjectID: s.objectID, Action: s.Action, Detail: "Katalog: " + s.Detail}); err != nil {
			return fmt.Errorf("%s: Änderungsprotokoll: %w", s, err)
		}
	}
	return nil
}

// Compute compares the document with the store and returns the plan that
// makes the store match it. It reads and checks every file, secret and
// reference first: a problem is an Errors naming each place (apperr.Invalid)
// and no plan. cat supplies the code lists for importing forms.
func Compute(ctx context.Context, st Store, cat *fim.Catalog, d *Document, files Files) (*Plan, error) {
	pl := &planner{d: d, st: st, cat: cat, files: files, plan: &Plan{}}
	if err := pl.load(ctx); err != nil {
		return nil, err
	}
	pl.uniqueTenants()
	for i, td := range d.Tenants {
		pl.tenant(ctx, i, td)
	}
	if len(pl.errs) == 0 && pl.failed == nil {
		for _, ts := range pl.ordered {
			pl.delivery(ctx, ts)
			pl.payments(ctx, ts)
		}
		pl.checkAreas(ctx)
	}
	if pl.failed != nil {
		return nil, pl.failed
	}
	pl.plan.Steps = append(append(pl.plan.Steps, pl.jurRemove...), pl.jurSet...)
	if len(pl.errs) > 0 {
		if len(pl.errs) > maxErrors {
			pl.errs = pl.errs[:maxErrors]
		}
		return nil, pl.errs
	}
	for _, t := range pl.storeTenants {
		if pl.bySlug[t.Slug] == nil {
			pl.plan.Kept = append(pl.plan.Kept, "Mandant "+t.Slug)
		}
	}
	return pl.plan, nil
}

// planner computes a plan.
type planner struct {
	d      *Document
	st     Store
	cat    *fim.Catalog
	files  Files
	plan   *Plan
	errs   Errors
	failed error // of the store

	jurRemove, jurSet []*Step // see planJurisdictions

	// claims are the areas the document's jurisdictions name, by
	// areaKey; replaced the tenant|service pairs whose jurisdictions the
	// document replaces (see checkAreas).
	claims   map[string]claim
	replaced map[string]bool

	storeTenants []*tenant.Tenant
	storeSvcs    []*tenant.Service
	bySlug       map[string]*tstate // the document's tenants
	ordered      []*tstate
}

// tstate is a tenant of the document as it is to be.
type tstate struct {
	i       int
	doc     *TenantDoc
	t       *tenant.Tenant
	exists  bool
	auths   []*tenant.Authority // to be: the document's and those kept
	svcs    map[string]*sstate  // own, by slug
	current []*tenant.Authority
	// docAuths are the document's authorities that are planned.
	docAuths []docAuthority
}

// sstate is a service of the document as it is to be.
type sstate struct {
	i      int
	doc    *ServiceDoc
	svc    *tenant.Service
	exists bool
}

func (p *planner) err(msg string, loc ...any) { p.errs = append(p.errs, p.d.errAt(msg, loc...)) }

// storeFailed keeps the first error of the store, which ends planning.
func (p *planner) storeFailed(err error) {
	if p.failed == nil {
		p.failed = err
	}
}

func (p *planner) load(ctx context.Context) error {
	var err error
	if p.storeTenants, err = p.st.ListTenants(ctx); err != nil {
		return err
	}
	if p.storeSvcs, err = p.st.ListAllServices(ctx); err != nil {
		return err
	}
	p.bySlug = map[string]*tstate{}
	return nil
}

func (p *planner) uniqueTenants() {
	seen := map[string]bool{}
	for i, td := range p.d.Tenants {
		if seen[td.Slug] {
			p.err("Mandant "+td.Slug+" steht zweimal in der Datei", "tenants", i, "slug")
		}
		seen[td.Slug] = true
	}
}

func (p *planner) storeTenant(slug string) *tenant.Tenant {
	for _, t := range p.storeTenants {
		if t.Slug == slug {
			return t
		}
	}
	return nil
}

// tenant plans the tenant, its authorities and its own services.
func (p *planner) tenant(ctx context.Context, i int, td *TenantDoc) {
	if p.bySlug[td.Slug] != nil {
		return
	}
	want := &tenant.Tenant{Slug: td.Slug, Name: td.Name, Kind: tenant.Kind(td.Kind), ARS: td.ARS, Host: td.Host,
		LogoURL: td.LogoURL, Colour: td.Colour}
	if td.Pages != nil {
		want.Pages = *td.Pages
	}
	ts := &tstate{i: i, doc: td, t: want, svcs: map[string]*sstate{}}
	p.bySlug[td.Slug] = ts
	p.ordered = append(p.ordered, ts)
	if err := want.Validate(); err != nil {
		p.err(cause(err), "tenants", i)
		return
	}
	cur := p.storeTenant(td.Slug)
	step := &Step{Tenant: td.Slug, Object: tenant.ObjectTenant, Name: td.Slug}
	if cur == nil {
		want.ID = uuid.NewString()
		step.Action, step.Detail = "angelegt", want.Name
		step.run = func(ctx context.Context, st Store, _ string) error { return st.CreateTenant(ctx, want) }
	} else {
		ts.exists = true
		want.ID, want.CreatedAt = cur.ID, cur.CreatedAt
		if changed := tenantChanges(cur, want); len(changed) > 0 {
			step.Action, step.Detail = "geändert", strings.Join(changed, ", ")
			step.run = func(ctx context.Context, st Store, _ string) error { return st.UpdateTenant(ctx, want) }
		}
	}
	step.tenantID, step.objectID = want.ID, want.ID
	if step.run != nil {
		p.plan.Steps = append(p.plan.Steps, step)
	}
	if ts.exists {
		var err error
		if ts.current, err = p.st.ListAuthorities(ctx, want.ID); err != nil {
			p.storeFailed(err)
			return
		}
	}
	p.authorities(ts)
	p.services(ctx, ts)
}

func tenantChanges(a, b *tenant.Tenant) []string {
	var out []string
	add := func(differ bool, name string) {
		if differ {
			out = append(out, name)
		}
	}
	add(a.Name != b.Name, "Name")
	add(a.Kind != b.Kind, "Art")
	add(a.ARS != b.ARS, "ARS")
	add(a.Host != b.Host, "Host")
	add(a.LogoURL != b.LogoURL, "Logo")
	add(a.Colour != b.Colour, "Farbe")
	add(!sameJSON(a.Pages, b.Pages), "Seiten")
	return out
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// authorities plans the tenant's authorities: matched by id, else by name.
func (p *planner) authorities(ts *tstate) {
	matched := map[string]bool{}
	names := map[string]bool{}
	for j, ad := range ts.doc.Authorities {
		loc := []any{"tenants", ts.i, "authorities", j}
		if names[ad.Name] {
			p.err("Behörde "+ad.Name+" steht zweimal in der Datei", append(loc, "name")...)
			continue
		}
		names[ad.Name] = true
		want := &tenant.Authority{ID: strings.ToLower(ad.ID), TenantID: ts.t.ID, Name: ad.Name, Address: ad.Address, Email: ad.Email,
			Phone: ad.Phone, EfA: ad.EfA}
		if ad.Pages != nil {
			want.Pages = *ad.Pages
		}
		if err := want.Validate(); err != nil {
			p.err(cause(err), loc...)
			continue
		}
		var cur *tenant.Authority
		for _, a := range ts.current {
			if matched[a.ID] {
				continue
			}
			if want.ID != "" && a.ID == want.ID || want.ID == "" && a.Name == want.Name {
				cur = a
				break
			}
		}
		step := &Step{Tenant: ts.t.Slug, Object: tenant.ObjectAuthority, Name: want.Name, tenantID: ts.t.ID}
		if cur == nil {
			if want.ID == "" {
				want.ID = uuid.NewString()
			}
			step.Action = "angelegt"
			step.run = func(ctx context.Context, st Store, _ string) error { return st.CreateAuthority(ctx, want) }
		} else {
			matched[cur.ID] = true
			want.ID = cur.ID
			if changed := authorityChanges(cur, want); len(changed) > 0 {
				step.Action, step.Detail = "geändert", strings.Join(changed, ", ")
				step.run = func(ctx context.Context, st Store, _ string) error { return st.UpdateAuthority(ctx, want) }
			}
		}
		step.objectID = want.ID
		if step.run != nil {
			p.plan.Steps = append(p.plan.Steps, step)
		}
		ts.auths = append(ts.auths, want)
		ts.docAuths = append(ts.docAuths, docAuthority{j: j, doc: ad, a: want, exists: cur != nil})
	}
	for _, a := range ts.current {
		if !matched[a.ID] {
			ts.auths = append(ts.auths, a)
			p.plan.Kept = append(p.plan.Kept, fmt.Sprintf("Behörde %s von %s (id %s)", a.Name, ts.t.Slug, a.ID))
		}
	}
}

func authorityChanges(a, b *tenant.Authority) []string {
	var out []string
	add := func(differ bool, name string) {
		if differ {
			out = append(out, name)
		}
	}
	add(a.Name != b.Name, "Name")
	add(!slices.Equal(a.Address, b.Address), "Anschrift")
	add(a.Email != b.Email, "E-Mail")
	add(a.Phone != b.Phone, "Telefon")
	add(!maps.Equal(a.EfA, b.EfA), "EfA-Parameter")
	add(!sameJSON(a.Pages, b.Pages), "Seiten")
	return out
}

// authority resolves a reference (a name or an id) to one of the
// tenant's authorities; "" if none or ambiguous (the error is recorded).
func (p *planner) authority(ts *tstate, ref string, loc ...any) string {
	var found []string
	for _, a := range ts.auths {
		if a.ID == strings.ToLower(ref) || a.Name == ref {
			found = append(found, a.ID)
		}
	}
	switch len(found) {
	case 0:
		p.err("Behörde "+ref+" gibt es beim Mandanten "+ts.t.Slug+" nicht", loc...)
		return ""
	case 1:
		return found[0]
	}
	p.err("Behörde "+ref+" ist mehrdeutig (mehrere Behörden dieses Namens); die id angeben", loc...)
	return ""
}

// services plans the tenant's own services and their forms.
func (p *planner) services(ctx context.Context, ts *tstate) {
	for j, sd := range ts.doc.Services {
		loc := []any{"tenants", ts.i, "services", j}
		if ts.svcs[sd.Slug] != nil {
			p.err("Dienst "+sd.Slug+" steht zweimal in der Datei", append(loc, "slug")...)
			continue
		}
		want := &tenant.Service{TenantID: ts.t.ID, Slug: sd.Slug, Name: sd.Name, Description: sd.Description,
			Leistungsschluessel: sd.Leika, Shared: sd.Shared, FeeText: sd.Fee, DurationText: sd.Duration,
			Schriftformersatz: sd.Schriftformersatz}
		ss := &sstate{i: j, doc: sd, svc: want}
		ts.svcs[sd.Slug] = ss
		if sd.Authority != "" {
			if want.AuthorityID = p.authority(ts, sd.Authority, append(loc, "authority")...); want.AuthorityID == "" {
				continue
			}
		}
		level, err := identity.ParseLevel(sd.Vertrauensniveau)
		if err != nil {
			p.err(err.Error(), append(loc, "vertrauensniveau")...)
			continue
		}
		if sd.PaymentFee != nil {
			if want.Fee = p.fee(sd.PaymentFee, append(loc, "payment_fee")...); want.Fee == nil {
				continue
			}
		}
		want.MinLevel = level
		if err := want.Validate(); err != nil {
			p.err(cause(err), loc...)
			continue
		}
		var cur *tenant.Service
		if ts.exists {
			for _, s := range p.storeSvcs {
				if s.TenantID == ts.t.ID && s.Slug == sd.Slug {
					cur = s
				}
			}
		}
		step := &Step{Tenant: ts.t.Slug, Object: tenant.ObjectService, Name: want.Slug, tenantID: ts.t.ID}
		if cur == nil {
			want.ID = uuid.NewString()
			step.Action, step.Detail = "angelegt", want.Name
			step.run = func(ctx context.Context, st Store, _ string) error { return st.CreateService(ctx, want) }
		} else {
			ss.exists = true
			want.ID, want.FormVersionID, want.CreatedAt = cur.ID, cur.FormVersionID, cur.CreatedAt
			if changed := serviceChanges(cur, want); len(changed) > 0 {
				step.Action, step.Detail = "geändert", strings.Join(changed, ", ")
				step.run = func(ctx context.Context, st Store, _ string) error { return st.UpdateService(ctx, want) }
			}
		}
		step.objectID = want.ID
		if step.run != nil {
			p.plan.Steps = append(p.plan.Steps, step)
		}
		if sd.Form != nil {
			p.form(ctx, ts, ss, append(loc, "form"))
		}
	}
	for _, s := range p.storeSvcs {
		if ts.exists && s.TenantID == ts.t.ID && ts.svcs[s.Slug] == nil {
			p.plan.Kept = append(p.plan.Kept, "Dienst "+ts.t.Slug+"/"+s.Slug)
		}
	}
}

func serviceChanges(a, b *tenant.Service) []string {
	var out []string
	add := func(differ bool, name string) {
		if differ {
			out = append(out, name)
		}
	}
	add(a.Name != b.Name, "Name")
	add(a.Description != b.Description, "Beschreibung")
	add(a.Leistungsschluessel != b.Leistungsschluessel, "Leistungsschlüssel")
	add(a.AuthorityID != b.AuthorityID, "Behörde")
	add(a.Shared != b.Shared, "Einer für Alle")
	add(a.FeeText != b.FeeText, "Gebühr")
	add(!sameJSON(a.Fee, b.Fee), "Online-Gebühr")
	add(a.DurationText != b.DurationText, "Dauer")
	add(a.MinLevel != b.MinLevel, "Vertrauensniveau")
	add(a.Schriftformersatz != b.Schriftformersatz, "Schriftformersatz")
	return out
}

// cause is an error's message without the English kind apperr wraps in.
func cause(err error) string {
	msg := err.Error()
	for _, k := range []error{apperr.Invalid, apperr.NotFound, apperr.Conflict} {
		msg = strings.ReplaceAll(msg, ": "+k.Error(), "")
		msg = strings.ReplaceAll(msg, k.Error()+": ", "")
	}
	return msg
}
