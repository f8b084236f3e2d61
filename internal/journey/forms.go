package journey

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// VersionStore reads published form versions.
type VersionStore interface {
	// FormVersion returns a form version of a service the tenant owns, or
	// of a shared service (apperr.NotFound otherwise).
	FormVersion(ctx context.Context, tenantID, id string) (*tenant.FormVersion, error)
}

// Forms prepares published form versions from their stored XDatenfelder
// file and rule sources (translated rules and corrections, compiled with
// rules.CompileWith) and keeps them for the life of the process: a version never
// changes, so an entry never goes stale. A process has one, which the
// journey, the JSON API, the delivery worker and the FIT-Connect receiver
// share. It is safe for concurrent use.
type Forms struct {
	Store VersionStore
	// Catalog resolves the code lists of stored forms; nil: the default
	// catalogue.
	Catalog *fim.Catalog
	cache   sync.Map // form version id → *Prepared
}

// Prepared is a form version ready for use.
type Prepared struct {
	// Form is the form for the journey, with its rules.
	Form *Form
	// Version is the stored version without its XDF bytes.
	Version *tenant.FormVersion
	// SchemaURI identifies the form's JSON Schema (form.DefaultSchemaURI;
	// submissionSchema in FIT-Connect metadata).
	SchemaURI string

	jsonSchema func() ([]byte, error)
}

// Get returns a prepared form version. The first call for a version reads
// it for the tenant (VersionStore.FormVersion's errors) and parses it; a
// file that does not parse is an error each time. Later calls return it
// for any tenant without asking the store: a caller that serves a tenant
// checks that the version belongs to a service the tenant may see
// (Prepared.Version.ServiceID).
func (f *Forms) Get(ctx context.Context, tenantID, id string) (*Prepared, error) {
	if p, ok := f.cache.Load(id); ok {
		return p.(*Prepared), nil
	}
	fv, err := f.Store.FormVersion(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	cat := f.Catalog
	if cat == nil {
		if cat, err = fim.DefaultCatalog(); err != nil {
			return nil, err
		}
	}
	schema, _, err := fim.Import(bytes.NewReader(fv.XDF), fv.FIMID+".xml", fim.Options{Catalog: cat})
	if err != nil {
		return nil, fmt.Errorf("Formularversion %s: %w", id, err)
	}
	src, err := catalog.DecodeSources(fv.RuleSources)
	if err != nil {
		return nil, fmt.Errorf("Formularversion %s: %w", id, err)
	}
	meta := *fv
	meta.XDF = nil
	uri := form.DefaultSchemaURI(schema.ID, schema.Version)
	jf := NewFormWith(schema, src)
	p := &Prepared{Form: jf, Version: &meta, SchemaURI: uri,
		jsonSchema: sync.OnceValues(func() ([]byte, error) { return json.Marshal(jf.JSONSchema(uri)) })}
	got, _ := f.cache.LoadOrStore(id, p)
	return got.(*Prepared), nil
}

// JSONSchema returns the JSON text of the form's JSON Schema (made once).
func (p *Prepared) JSONSchema() ([]byte, error) { return p.jsonSchema() }

// Check checks a data document (canonical JSON) against the form with its
// rules (Regeln), as the journey checks a submission: values hidden by a
// rule are left out before the check, so they need not be there.
// bundesland is the tenant's Land (tenant.Tenant.Bundesland) for rules that
// ask for it; today is the date rules compare with. The error names the
// first problems by path.
func (p *Prepared) Check(data []byte, bundesland string, today time.Time) error {
	doc, err := form.DecodeData(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("Fachdaten sind kein gültiges Datendokument: %w", err)
	}
	problems, _ := p.Form.Rules.Validate(doc, rules.Context{Today: today, Bundesland: bundesland})
	if len(problems) == 0 {
		return nil
	}
	var where []string
	for _, pr := range problems[:min(3, len(problems))] {
		where = append(where, pr.Path+" ("+pr.Code+")")
	}
	if len(problems) > 3 {
		where = append(where, "…")
	}
	return fmt.Errorf("%d Angabe(n) passen nicht zum Formular: %s", len(problems), strings.Join(where, "; "))
}
