package declared

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

// File is a file an export writes next to the document: Path is relative
// to the document (slash-separated).
type File struct {
	Path string
	Data []byte
}

// Secret is a secret an export refers to by an environment variable:
// Name is the variable, Where the target it belongs to (no secret),
// Value the secret itself (for an operator who asks for it).
type Secret struct {
	Name, Where, Value string
}

// Exported is the store's catalogue as a document, with the files it
// names and the secrets its {env: …} references stand for.
type Exported struct {
	Document *Document
	Files    []File
	Secrets  []Secret
}

// Export reads every tenant with its authorities, services (with their
// current form version's XDatenfelder file, translations and corrections
// as files under forms/<tenant>/), offers of other tenants' shared
// services, delivery targets and jurisdictions. Webhook secrets become
// {env: ANTRAG_SECRET_…} references; the variables are in Secrets.
// Applying the document (with those variables set) to an empty store
// reproduces the catalogue, authority ids included.
func Export(ctx context.Context, st Store) (*Exported, error) {
	ts, err := st.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ts, func(a, b *tenant.Tenant) int { return strings.Compare(a.Slug, b.Slug) })
	svcs, err := st.ListAllServices(ctx)
	if err != nil {
		return nil, err
	}
	slugOf := map[string]string{}
	for _, t := range ts {
		slugOf[t.ID] = t.Slug
	}
	x := &exporter{st: st, out: &Exported{Document: &Document{Schema: SchemaURL, Version: 1}}, slugOf: slugOf}
	for _, t := range ts {
		td, err := x.tenant(ctx, t, svcs)
		if err != nil {
			return nil, fmt.Errorf("Mandant %s: %w", t.Slug, err)
		}
		x.out.Document.Tenants = append(x.out.Document.Tenants, td)
	}
	return x.out, nil
}

type exporter struct {
	st     Store
	out    *Exported
	slugOf map[string]string
	auths  []*tenant.Authority // of the tenant being exported
}

func (x *exporter) tenant(ctx context.Context, t *tenant.Tenant, svcs []*tenant.Service) (*TenantDoc, error) {
	td := &TenantDoc{Slug: t.Slug, Name: t.Name, Kind: string(t.Kind), ARS: t.ARS, Host: t.Host, LogoURL: t.LogoURL, Colour: t.Colour}
	if !t.Pages.Empty() {
		td.Pages = &t.Pages
	}
	var err error
	if x.auths, err = x.st.ListAuthorities(ctx, t.ID); err != nil {
		return nil, err
	}
	for _, a := range x.auths {
		ad := &AuthorityDoc{ID: a.ID, Name: a.Name, Address: a.Address, Email: a.Email, Phone: a.Phone, EfA: a.EfA}
		if len(ad.EfA) == 0 {
			ad.EfA = nil
		}
		if !a.Pages.Empty() {
			p := a.Pages
			ad.Pages = &p
		}
		if err := x.payment(ctx, t, a, ad, svcs); err != nil {
			return nil, fmt.Errorf("Behörde %s: %w", a.Name, err)
		}
		td.Authorities = append(td.Authorities, ad)
	}
	js, err := x.st.Jurisdictions(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range svcs {
		ref := x.slugOf[s.TenantID] + "/" + s.Slug
		if s.TenantID == t.ID {
			sd, err := x.service(ctx, t, s)
			if err != nil {
				return nil, fmt.Errorf("Dienst %s: %w", s.Slug, err)
			}
			td.Services = append(td.Services, sd)
		} else if s.Shared {
			od := &OfferDoc{Service: ref}
			if od.Targets, od.AuthorityTargets, err = x.targets(ctx, t, s); err != nil {
				return nil, err
			}
			if len(od.Targets) > 0 || len(od.AuthorityTargets) > 0 || slices.ContainsFunc(js, func(j *tenant.Jurisdiction) bool { return j.ServiceID == s.ID }) {
				td.Offers = append(td.Offers, od)
			}
		}
		var own []*tenant.Jurisdiction
		for _, j := range js {
			if j.ServiceID == s.ID {
				own = append(own, j)
			}
		}
		sortJurisdictions(own)
		for _, j := range own {
			name := ref
			if s.TenantID == t.ID {
				name = s.Slug
			}
			td.Jurisdictions = append(td.Jurisdictions, &JurisdictionDoc{Service: name, Authority: x.authRef(j.AuthorityID),
				ARS: j.ARS, Postcode: j.Postcode, Street: j.Street, Source: j.Source})
		}
	}
	return td, nil
}

// authRef names an authority by its name, or by its id when the name is
// not unique.
func (x *exporter) authRef(id string) string {
	var name string
	n := 0
	for _, a := range x.auths {
		if a.ID == id {
			name = a.Name
		}
	}
	for _, a := range x.auths {
		if a.Name == name {
			n++
		}
	}
	if n == 1 {
		return name
	}
	return id
}

func (x *exporter) service(ctx context.Context, t *tenant.Tenant, s *tenant.Service) (*ServiceDoc, error) {
	sd := &ServiceDoc{Slug: s.Slug, Name: s.Name, Description: s.Description, Leika: s.Leistungsschluessel, Shared: s.Shared,
		Fee: s.FeeText, Duration: s.DurationText, Schriftformersatz: s.Schriftformersatz}
	if s.Fee != nil {
		sd.PaymentFee = feeDoc(s.Fee)
	}
	if s.MinLevel != 0 {
		sd.Vertrauensniveau = s.MinLevel.String()
	}
	if s.AuthorityID != "" {
		sd.Authority = x.authRef(s.AuthorityID)
	}
	if s.FormVersionID != "" {
		fv, err := x.st.FormVersion(ctx, t.ID, s.FormVersionID)
		if err != nil {
			return nil, err
		}
		base := "forms/" + t.Slug + "/" + s.Slug
		sd.Form = &FormDoc{File: base + ".xml", Acknowledged: fv.Acknowledged}
		x.out.Files = append(x.out.Files, File{Path: sd.Form.File, Data: fv.XDF})
		src, err := catalog.DecodeSources(fv.RuleSources)
		if err != nil {
			return nil, err
		}
		if src != nil && len(src.Translations) > 0 {
			b, err := json.MarshalIndent(src.Translations, "", "  ")
			if err != nil {
				return nil, err
			}
			sd.Form.Translations = base + ".translations.json"
			x.out.Files = append(x.out.Files, File{Path: sd.Form.Translations, Data: append(b, '\n')})
		}
		if src != nil && len(src.Corrections) > 0 {
			b, err := json.MarshalIndent(src.Corrections, "", "  ")
			if err != nil {
				return nil, err
			}
			name := base + ".corrections.json"
			sd.Form.Corrections, _ = json.Marshal(name)
			x.out.Files = append(x.out.Files, File{Path: name, Data: append(b, '\n')})
		}
	}
	var err error
	if sd.Targets, sd.AuthorityTargets, err = x.targets(ctx, t, s); err != nil {
		return nil, err
	}
	return sd, nil
}

// targets exports the tenant's targets for a service, its own and each
// authority's.
func (x *exporter) targets(ctx context.Context, t *tenant.Tenant, s *tenant.Service) ([]*TargetDoc, []*AuthorityTargetDoc, error) {
	own, err := x.st.Targets(ctx, t.ID, s.ID)
	if err != nil {
		return nil, nil, err
	}
	where := t.Slug + "/" + x.slugOf[s.TenantID] + "/" + s.Slug
	docs := x.targetDocs(own, where)
	var byAuth []*AuthorityTargetDoc
	for _, a := range x.auths {
		list, err := x.st.AuthorityTargets(ctx, t.ID, s.ID, a.ID)
		if err != nil {
			return nil, nil, err
		}
		if len(list) > 0 {
			byAuth = append(byAuth, &AuthorityTargetDoc{Authority: x.authRef(a.ID), Targets: x.targetDocs(list, where+" ("+a.Name+")")})
		}
	}
	return docs, byAuth, nil
}

var envUnsafe = regexp.MustCompile(`[^A-Z0-9]+`)

func (x *exporter) targetDocs(ts []*delivery.Target, where string) []*TargetDoc {
	var out []*TargetDoc
	for _, t := range ts {
		td := &TargetDoc{Kind: string(t.Kind), Destination: t.DestinationID, URL: t.URL, Address: t.Address}
		if t.Secret != "" {
			td.Secret = &SecretRef{Env: x.secretName(where, t.String()+" für "+where, t.Secret)}
		}
		out = append(out, td)
	}
	return out
}

// secretName records a secret for an {env: …} reference and returns the
// variable's name: ANTRAG_SECRET_ and what it is for, unique in the export.
func (x *exporter) secretName(what, where, value string) string {
	// German umlauts as the usual two letters (Bürgeramt → BUERGERAMT), the
	// rest of what a variable name cannot hold as "_".
	what = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss").Replace(what)
	name := "ANTRAG_SECRET_" + strings.Trim(envUnsafe.ReplaceAllString(strings.ToUpper(what), "_"), "_")
	base := name
	for i := 2; slices.ContainsFunc(x.out.Secrets, func(s Secret) bool { return s.Name == name }); i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	x.out.Secrets = append(x.out.Secrets, Secret{Name: name, Where: where, Value: value})
	return name
}

// YAML encodes the document in block style, keys in the order of the
// Go types.
func (d *Document) YAML() ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	var buf bytes.Buffer
	buf.WriteString("# antrag: Katalog als Code (antrag catalog apply DATEI)\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// blockStyle drops the flow and quoting styles JSON gave the nodes; the
// encoder quotes what needs it (e.g. "07339", which would read as a
// number).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
