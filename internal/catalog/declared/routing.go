package declared

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

// listed is a service the document lists for a tenant: one of its own
// (services) or another tenant's shared one (offers).
type listed struct {
	ref     string // "owner/slug"
	svc     *tenant.Service
	exists  bool // the service and the tenant are in the store
	targets []*TargetDoc
	byAuth  []*AuthorityTargetDoc
	loc     []any
}

// delivery plans the tenant's targets and jurisdictions for the services
// it lists; the document's own services are planned already.
func (p *planner) delivery(ctx context.Context, ts *tstate) {
	var ls []*listed
	for _, sd := range ts.doc.Services {
		ss := ts.svcs[sd.Slug]
		ls = append(ls, &listed{ref: ts.t.Slug + "/" + sd.Slug, svc: ss.svc, exists: ss.exists, targets: sd.Targets,
			byAuth: sd.AuthorityTargets, loc: []any{"tenants", ts.i, "services", ss.i}})
	}
	for j, od := range ts.doc.Offers {
		loc := []any{"tenants", ts.i, "offers", j}
		svc, exists := p.shared(ts, od.Service, append(loc, "service")...)
		if svc == nil {
			continue
		}
		if slices.ContainsFunc(ls, func(l *listed) bool { return l.ref == od.Service }) {
			p.err("Dienst "+od.Service+" steht zweimal in der Datei", append(loc, "service")...)
			continue
		}
		ls = append(ls, &listed{ref: od.Service, svc: svc, exists: exists && ts.exists, targets: od.Targets, byAuth: od.AuthorityTargets, loc: loc})
	}
	var current []*tenant.Jurisdiction
	if ts.exists {
		var err error
		if current, err = p.st.Jurisdictions(ctx, ts.t.ID); err != nil {
			p.storeFailed(err)
			return
		}
	}
	wanted := p.jurisdictions(ts, ls)
	for _, l := range ls {
		if p.replaced == nil {
			p.replaced = map[string]bool{}
		}
		p.replaced[ts.t.ID+"|"+l.svc.ID] = true
		p.targets(ctx, ts, l)
		var cur []*tenant.Jurisdiction
		for _, j := range current {
			if j.ServiceID == l.svc.ID {
				cur = append(cur, j)
			}
		}
		want := wanted[l.ref]
		if sameJurisdictions(cur, want) {
			continue
		}
		p.planJurisdictions(ts, l, cur, want)
	}
	for _, j := range current {
		if !slices.ContainsFunc(ls, func(l *listed) bool { return l.svc.ID == j.ServiceID }) {
			p.plan.Kept = append(p.plan.Kept, fmt.Sprintf("Zuständigkeit von %s für Dienst %s (%s)", ts.t.Slug, p.serviceRef(j.ServiceID), j.Rule()))
		}
	}
}

// serviceRef names a stored service "owner/slug".
func (p *planner) serviceRef(id string) string {
	for _, s := range p.storeSvcs {
		if s.ID == id {
			for _, t := range p.storeTenants {
				if t.ID == s.TenantID {
					return t.Slug + "/" + s.Slug
				}
			}
		}
	}
	return id
}

// shared resolves "owner/slug" to another tenant's shared service, of the
// document or of the store; nil if none (the error is recorded).
func (p *planner) shared(ts *tstate, ref string, loc ...any) (*tenant.Service, bool) {
	owner, slug, _ := strings.Cut(ref, "/")
	if owner == ts.t.Slug {
		p.err("Dienst "+ref+" ist ein eigener Dienst des Mandanten; er gehört unter services", loc...)
		return nil, false
	}
	if o := p.bySlug[owner]; o != nil {
		ss := o.svcs[slug]
		switch {
		case ss == nil:
			p.err("Dienst "+ref+" steht nicht in der Datei", loc...)
		case !ss.svc.Shared:
			p.err("Dienst "+ref+" ist nicht geteilt (shared: true fehlt)", loc...)
		default:
			return ss.svc, ss.exists
		}
		return nil, false
	}
	t := p.storeTenant(owner)
	if t == nil {
		p.err("Mandant "+owner+" gibt es nicht", loc...)
		return nil, false
	}
	for _, s := range p.storeSvcs {
		if s.TenantID == t.ID && s.Slug == slug {
			if !s.Shared {
				p.err("Dienst "+ref+" ist nicht geteilt (Einer für Alle)", loc...)
				return nil, false
			}
			return s, true
		}
	}
	p.err("Dienst "+ref+" gibt es nicht", loc...)
	return nil, false
}

// jurisdictions resolves the tenant's jurisdictions by the listed
// service they are for ("owner/slug").
func (p *planner) jurisdictions(ts *tstate, ls []*listed) map[string][]*tenant.Jurisdiction {
	out := map[string][]*tenant.Jurisdiction{}
	seen := map[string]bool{}
	for j, jd := range ts.doc.Jurisdictions {
		loc := []any{"tenants", ts.i, "jurisdictions", j}
		ref := jd.Service
		if !strings.Contains(ref, "/") {
			ref = ts.t.Slug + "/" + ref
		}
		i := slices.IndexFunc(ls, func(l *listed) bool { return l.ref == ref })
		if i < 0 {
			p.err("Dienst "+jd.Service+" steht weder unter services noch unter offers dieses Mandanten", append(loc, "service")...)
			continue
		}
		authID := p.authority(ts, jd.Authority, append(loc, "authority")...)
		if authID == "" {
			continue
		}
		jr := &tenant.Jurisdiction{TenantID: ts.t.ID, ServiceID: ls[i].svc.ID, AuthorityID: authID, ARS: jd.ARS,
			Postcode: jd.Postcode, Street: jd.Street, Source: jd.Source}
		if err := jr.Validate(); err != nil {
			p.err(cause(err), loc...)
			continue
		}
		area := ref + " " + jr.ARS + " " + jr.Postcode + " " + area.NormalizeStreet(jr.Street)
		if seen[area] {
			p.err("dieses Gebiet steht für den Dienst zweimal in der Datei", loc...)
			continue
		}
		seen[area] = true
		if p.claims == nil {
			p.claims = map[string]claim{}
		}
		key := areaKey(jr)
		if c, ok := p.claims[key]; ok && c.tenant != ts.t.Slug {
			p.err("dieses Gebiet ist für den Dienst schon beim Mandanten "+c.tenant+" eingetragen (ein Gebiet hat je Dienst eine zuständige Behörde)", loc...)
			continue
		}
		p.claims[key] = claim{tenant: ts.t.Slug, tenantID: ts.t.ID, loc: loc}
		out[ref] = append(out[ref], jr)
	}
	return out
}

// planJurisdictions plans replacing the tenant's jurisdictions cur for a
// listed service with want. An area is named once per service across all
// tenants, so that an area moving from one tenant to another must leave
// the first before it joins the second: the entries that go are removed
// in a first round of steps (jurRemove), before any entry is added in the
// second (jurSet); Compute appends both rounds after all other steps.
func (p *planner) planJurisdictions(ts *tstate, l *listed, cur, want []*tenant.Jurisdiction) {
	svcID, tenantID := l.svc.ID, ts.t.ID
	var kept []*tenant.Jurisdiction
	for _, c := range cur {
		if slices.ContainsFunc(want, func(w *tenant.Jurisdiction) bool {
			return sameJurisdictions([]*tenant.Jurisdiction{c}, []*tenant.Jurisdiction{w})
		}) {
			k := *c
			k.ID = ""
			kept = append(kept, &k)
		}
	}
	set := func(js []*tenant.Jurisdiction) func(ctx context.Context, st Store, _ string) error {
		return func(ctx context.Context, st Store, _ string) error {
			return st.SetJurisdictions(ctx, tenantID, svcID, js)
		}
	}
	if len(kept) < len(cur) {
		p.jurRemove = append(p.jurRemove, &Step{Tenant: ts.t.Slug, Object: tenant.ObjectJurisdiction, Name: l.ref, Action: "entfernt",
			Detail: fmt.Sprintf("%d von %d Einträgen", len(cur)-len(kept), len(cur)), tenantID: tenantID, objectID: svcID, run: set(kept)})
	}
	if len(want) > len(kept) {
		p.jurSet = append(p.jurSet, &Step{Tenant: ts.t.Slug, Object: tenant.ObjectJurisdiction, Name: l.ref, Action: "ersetzt",
			Detail: fmt.Sprintf("%d Einträge, %d neu", len(want), len(want)-len(kept)), tenantID: tenantID, objectID: svcID, run: set(want)})
	}
}

func sameJurisdictions(a, b []*tenant.Jurisdiction) bool {
	key := func(js []*tenant.Jurisdiction) []string {
		var out []string
		for _, j := range js {
			out = append(out, strings.Join([]string{j.AuthorityID, j.ARS, j.Postcode, j.Street, j.Source}, "\x00"))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// targets plans the tenant's targets for a listed service: its own and
// each authority's.
func (p *planner) targets(ctx context.Context, ts *tstate, l *listed) {
	want, ok := p.resolveTargets(l.targets, append(slices.Clone(l.loc), "targets")...)
	if !ok {
		return
	}
	byAuth := map[string][]*delivery.Target{}
	for k, at := range l.byAuth {
		loc := append(slices.Clone(l.loc), "authority_targets", k)
		id := p.authority(ts, at.Authority, append(loc, "authority")...)
		if id == "" {
			continue
		}
		if _, dup := byAuth[id]; dup {
			p.err("Behörde "+at.Authority+" steht zweimal", append(loc, "authority")...)
			continue
		}
		list, ok := p.resolveTargets(at.Targets, append(loc, "targets")...)
		if !ok {
			continue
		}
		byAuth[id] = list
	}
	tenantID, svcID := ts.t.ID, l.svc.ID
	var cur []*delivery.Target
	if l.exists {
		var err error
		if cur, err = p.st.Targets(ctx, tenantID, svcID); err != nil {
			p.storeFailed(err)
			return
		}
	}
	if !sameTargets(cur, want) {
		step := &Step{Tenant: ts.t.Slug, Object: tenant.ObjectTargets, Name: l.ref, Action: "ersetzt",
			Detail: describeTargets(want), tenantID: tenantID, objectID: svcID}
		if len(want) == 0 {
			step.Action, step.Detail = "entfernt", "Posteingang (Standard)"
		}
		step.run = func(ctx context.Context, st Store, _ string) error { return st.SetTargets(ctx, tenantID, svcID, want) }
		p.plan.Steps = append(p.plan.Steps, step)
	}
	for _, a := range ts.auths {
		authID, w := a.ID, byAuth[a.ID]
		var cur []*delivery.Target
		if l.exists && slices.ContainsFunc(ts.current, func(c *tenant.Authority) bool { return c.ID == authID }) {
			var err error
			if cur, err = p.st.AuthorityTargets(ctx, tenantID, svcID, authID); err != nil {
				p.storeFailed(err)
				return
			}
		}
		if sameTargets(cur, w) {
			continue
		}
		step := &Step{Tenant: ts.t.Slug, Object: tenant.ObjectTargets, Name: l.ref + " (" + a.Name + ")", Action: "ersetzt",
			Detail: describeTargets(w), tenantID: tenantID, objectID: svcID}
		if len(w) == 0 {
			step.Action, step.Detail = "entfernt", "Ziele des Mandanten"
		}
		step.run = func(ctx context.Context, st Store, _ string) error {
			return st.SetAuthorityTargets(ctx, tenantID, svcID, authID, w)
		}
		p.plan.Steps = append(p.plan.Steps, step)
	}
}

// resolveTargets turns the document's targets into delivery targets,
// reading their secrets, and checks them.
func (p *planner) resolveTargets(docs []*TargetDoc, loc ...any) ([]*delivery.Target, bool) {
	var out []*delivery.Target
	ok := true
	for k, td := range docs {
		tloc := append(slices.Clone(loc), k)
		t := &delivery.Target{Kind: delivery.Kind(td.Kind), DestinationID: strings.ToLower(td.Destination), URL: td.URL, Address: td.Address}
		if td.Secret != nil {
			s, good := p.secret(td.Secret, append(tloc, "secret")...)
			if !good {
				ok = false
				continue
			}
			t.Secret = s
		}
		if err := t.Validate(); err != nil {
			p.err(cause(err), tloc...)
			ok = false
			continue
		}
		out = append(out, t)
	}
	if ok {
		if err := delivery.CheckTargets(out); err != nil {
			p.err(cause(err), loc...)
			ok = false
		}
	}
	return out, ok
}

// secret reads a secret by its reference.
func (p *planner) secret(ref *SecretRef, loc ...any) (string, bool) {
	switch {
	case ref.Env != "":
		var v string
		if p.files.Getenv != nil {
			v = p.files.Getenv(ref.Env)
		}
		if v == "" {
			p.err("Umgebungsvariable "+ref.Env+" ist nicht gesetzt", loc...)
			return "", false
		}
		return strings.TrimSpace(v), true
	case ref.File != "":
		if p.files.SecretFile == nil {
			p.err("Geheimnisse aus Dateien sind hier nicht möglich", loc...)
			return "", false
		}
		b, err := p.files.SecretFile(ref.File)
		if err != nil {
			p.err("Geheimnis-Datei "+ref.File+" ist nicht lesbar: "+cause(err), loc...)
			return "", false
		}
		return string(bytes.TrimSpace(b)), true
	}
	p.err("Geheimnis ohne env oder file", loc...)
	return "", false
}

func sameTargets(a, b []*delivery.Target) bool {
	return slices.EqualFunc(a, b, func(x, y *delivery.Target) bool {
		return x.Kind == y.Kind && x.DestinationID == y.DestinationID && x.URL == y.URL && x.Secret == y.Secret && x.Address == y.Address
	})
}

func describeTargets(ts []*delivery.Target) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return strings.Join(out, ", ")
}

// sortJurisdictions orders jurisdictions as the store lists them.
func sortJurisdictions(js []*tenant.Jurisdiction) {
	slices.SortFunc(js, func(a, b *tenant.Jurisdiction) int {
		return cmp.Or(cmp.Compare(a.ARS, b.ARS), cmp.Compare(a.Postcode, b.Postcode), cmp.Compare(a.Street, b.Street))
	})
}

// claim is a jurisdiction of the document: its tenant and its place in
// the file.
type claim struct {
	tenant, tenantID string
	loc              []any
}

// areaKey identifies a jurisdiction's area for its service as the store's
// unique index does: service, ARS, postcode and the street's key.
func areaKey(j *tenant.Jurisdiction) string {
	return j.ServiceID + "|" + j.ARS + "|" + j.Postcode + "|" + j.StreetKey()
}

// checkAreas refuses an area the document gives a tenant while the store
// keeps it with another tenant whose jurisdictions for the service the
// document does not replace: applying would fail on the store's unique
// area, after other steps.
func (p *planner) checkAreas(ctx context.Context) {
	bySvc := map[string][]*tenant.Jurisdiction{}
	for key, c := range p.claims {
		svcID, _, _ := strings.Cut(key, "|")
		js, ok := bySvc[svcID]
		if !ok {
			var err error
			if js, err = p.st.ServiceJurisdictions(ctx, svcID); err != nil {
				p.storeFailed(err)
				return
			}
			bySvc[svcID] = js
		}
		for _, j := range js {
			if j.TenantID != c.tenantID && !p.replaced[j.TenantID+"|"+svcID] && areaKey(j) == key {
				owner := j.TenantID
				for _, t := range p.storeTenants {
					if t.ID == j.TenantID {
						owner = t.Slug
					}
				}
				p.err("dieses Gebiet ist für den Dienst schon beim Mandanten "+owner+" eingetragen, der nicht in der Datei steht; dort zuerst entfernen", c.loc...)
			}
		}
	}
}
