// Package declared keeps an installation's catalogue as code: a
// declarative document (YAML or JSON, described by the JSON Schema
// catalog.schema.json, draft 2020-12) lists the tenants, their
// authorities, services with their FIM forms, rule corrections and
// delivery targets, and the jurisdictions of "Einer für Alle" services,
// and for ePayment (XBezahldienste 1.0.0) the services' fees
// (payment_fee: amounts in euros as decimal strings, "12.50"), the
// authorities' provider accounts (payment, secrets by reference) and
// their own fees for services (fees).
//
// Load reads and checks a document; Compute compares it with the store
// and yields a Plan (what is created, changed, published or replaced);
// Apply carries the plan out and records every change in the tenant's
// audit trail (tenant.AuditEvent) and every publication in the service's
// (tenant.ServiceEvent, through catalog.Publish). Applying the same
// document twice changes nothing the second time. Export writes the
// store's state as a document with the current form versions' files.
//
// What the document does not list: tenants, authorities and services are
// never removed (submissions refer to them); the plan reports them. The
// delivery targets and jurisdictions of a tenant are replaced for every
// service the document lists for it (its own services and its offers of
// other tenants' shared services): whatever the document leaves out
// there is removed. An authority's payment account and own fees stay as
// stored when the document leaves them out; listed, they replace the
// stored ones. A service's form is published anew when the file's
// bytes or its rule sources (translations, corrections) differ from the
// current version's; a form version is never removed.
package declared

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of a catalogue document.
//
//go:embed catalog.schema.json
var SchemaJSON []byte

// SchemaURL is the schema's $id.
const SchemaURL = "https://antrag.example/schema/katalog-1.json"

// MaxSize bounds a catalogue document (bytes).
const MaxSize = 4 << 20

// Document is a catalogue (format version 1). Field names are the keys of
// the file; see catalog.schema.json for their meaning.
type Document struct {
	Schema  string       `json:"$schema,omitempty"`
	Version int          `json:"version"`
	Tenants []*TenantDoc `json:"tenants"`

	root *yaml.Node // the decoded file, for the lines of errors
}

// TenantDoc is a tenant with everything it configures. It is matched with
// the store by Slug.
type TenantDoc struct {
	Slug          string             `json:"slug"`
	Name          string             `json:"name"`
	Kind          string             `json:"kind"`
	ARS           string             `json:"ars,omitempty"`
	Host          string             `json:"host,omitempty"`
	LogoURL       string             `json:"logo_url,omitempty"`
	Colour        string             `json:"colour,omitempty"`
	Pages         *tenant.Pages      `json:"pages,omitempty"`
	Authorities   []*AuthorityDoc    `json:"authorities,omitempty"`
	Services      []*ServiceDoc      `json:"services,omitempty"`
	Offers        []*OfferDoc        `json:"offers,omitempty"`
	Jurisdictions []*JurisdictionDoc `json:"jurisdictions,omitempty"`
}

// AuthorityDoc is an authority, matched by ID if given, else by Name.
// Services, targets and jurisdictions name it by its name or its id.
type AuthorityDoc struct {
	ID      string            `json:"id,omitempty"` // UUID; kept on first apply
	Name    string            `json:"name"`
	Address []string          `json:"address,omitempty"`
	Email   string            `json:"email,omitempty"`
	Phone   string            `json:"phone,omitempty"`
	EfA     map[string]string `json:"efa,omitempty"`
	Pages   *tenant.Pages     `json:"pages,omitempty"`
	// Payment is the authority's ePayment provider account; left out, the
	// stored one stays.
	Payment *PaymentDoc `json:"payment,omitempty"`
	// Fees are the authority's own fees for services, which win over the
	// services' fees; left out, the stored ones stay; listed (even
	// empty), they replace the stored ones.
	Fees []*AuthorityFeeDoc `json:"fees,omitempty"`
}

// ServiceDoc is one of the tenant's own services, matched by Slug.
type ServiceDoc struct {
	Slug              string `json:"slug"`
	Name              string `json:"name"`
	Description       string `json:"description,omitempty"`
	Leika             string `json:"leika,omitempty"`
	Authority         string `json:"authority,omitempty"`
	Shared            bool   `json:"shared,omitempty"`
	Fee               string `json:"fee,omitempty"`
	Duration          string `json:"duration,omitempty"`
	Vertrauensniveau  string `json:"vertrauensniveau,omitempty"`
	Schriftformersatz bool   `json:"schriftformersatz,omitempty"`
	// PaymentFee is what the service costs online (payment.Fee); Fee is
	// only the text shown to citizens.
	PaymentFee       *FeeDoc               `json:"payment_fee,omitempty"`
	Form             *FormDoc              `json:"form,omitempty"`
	Targets          []*TargetDoc          `json:"targets,omitempty"`
	AuthorityTargets []*AuthorityTargetDoc `json:"authority_targets,omitempty"`
}

// FormDoc is a service's form: the XDatenfelder file and its rule
// sources, with the Regeln that stay unsupported and are accepted
// ("R…" or "R…@version", as catalog.Acknowledgement).
type FormDoc struct {
	File         string `json:"file"`
	Translations string `json:"translations,omitempty"`
	// Corrections is a file name (a JSON string) or a list of corrections
	// in the format of `antrag service rules set` (rules.ParseCorrections).
	Corrections  json.RawMessage `json:"corrections,omitempty"`
	Acknowledged []string        `json:"acknowledged,omitempty"`
}

// OfferDoc is another tenant's shared service ("owner/slug") that the
// tenant offers, with the tenant's targets for it.
type OfferDoc struct {
	Service          string                `json:"service"`
	Targets          []*TargetDoc          `json:"targets,omitempty"`
	AuthorityTargets []*AuthorityTargetDoc `json:"authority_targets,omitempty"`
}

// JurisdictionDoc says which authority of the tenant is responsible for a
// service ("slug" of its own, "owner/slug" of an offer) in an area.
type JurisdictionDoc struct {
	Service   string `json:"service"`
	Authority string `json:"authority"`
	ARS       string `json:"ars"`
	Postcode  string `json:"postcode,omitempty"`
	Street    string `json:"street,omitempty"`
	Source    string `json:"source,omitempty"`
}

// TargetDoc is one delivery target (delivery.Target); Destination is the
// FIT-Connect destination, Secret the webhook's signing secret by
// reference.
type TargetDoc struct {
	Kind        string     `json:"kind"`
	Destination string     `json:"destination,omitempty"`
	URL         string     `json:"url,omitempty"`
	Secret      *SecretRef `json:"secret,omitempty"`
	Address     string     `json:"address,omitempty"`
}

// AuthorityTargetDoc are the targets one authority has for a service.
type AuthorityTargetDoc struct {
	Authority string       `json:"authority"`
	Targets   []*TargetDoc `json:"targets"`
}

// SecretRef names where a secret is: an environment variable or a file
// (relative to the catalogue file, or absolute). Exactly one is set.
type SecretRef struct {
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"`
}

// secretKeys are the keys whose values are secrets: never inline.
var secretKeys = []string{"secret", "client_secret", "password", "private_key", "token", "certificate", "certificate_password"}

// Error is a problem at a place in the document: Path is a JSON pointer
// ("/tenants/0/services/2/slug"), Line the line in the file (0 if
// unknown).
type Error struct {
	Path    string
	Line    int
	Message string
}

func (e *Error) Error() string {
	at := e.Path
	if at == "" {
		at = "/"
	}
	if e.Line > 0 {
		at += " (Zeile " + strconv.Itoa(e.Line) + ")"
	}
	return at + ": " + e.Message
}

// Unwrap makes every Error apperr.Invalid.
func (e *Error) Unwrap() error { return apperr.Invalid }

// Errors are the problems of a document, at most maxErrors of them.
type Errors []*Error

const maxErrors = 20

func (es Errors) Error() string {
	var msgs []string
	for _, e := range es {
		msgs = append(msgs, e.Error())
	}
	return "Katalog ungültig:\n  " + strings.Join(msgs, "\n  ")
}

// Unwrap makes Errors apperr.Invalid.
func (es Errors) Unwrap() error { return apperr.Invalid }

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaURL)
})

// Decode reads a catalogue document (YAML 1.2 or JSON, at most MaxSize
// bytes) and checks it against the schema. Errors wrap apperr.Invalid: a
// syntax error names the line, a value that breaks the schema is an
// Errors naming the JSON pointer and line of each place, an inline
// secret (a string under "secret" instead of {env: NAME} or {file: PATH})
// is refused with its place.
func Decode(b []byte) (*Document, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: Katalogdatei größer als %d MB", apperr.Invalid, MaxSize>>20)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%w: kein gültiges YAML/JSON: %s", apperr.Invalid, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("%w: die Katalogdatei ist leer", apperr.Invalid)
	}
	var generic any
	if err := root.Decode(&generic); err != nil {
		return nil, fmt.Errorf("%w: kein gültiges YAML/JSON: %s", apperr.Invalid, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	generic, err := jsonCompatible(generic, "")
	if err != nil {
		return nil, err
	}
	if es := inlineSecrets(generic, nil, root.Content[0]); len(es) > 0 {
		return nil, es
	}
	raw, err := json.Marshal(generic)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Invalid, err)
	}
	sch, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("catalogue schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", apperr.Invalid, err)
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, fmt.Errorf("%w: %v", apperr.Invalid, err)
		}
		return nil, schemaErrors(ve, root.Content[0])
	}
	d := &Document{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(d); err != nil {
		// The schema leaves the inside of pages to their Go types.
		return nil, fmt.Errorf("%w: %s", apperr.Invalid, strings.TrimPrefix(err.Error(), "json: "))
	}
	d.root = root.Content[0]
	return d, nil
}

// errAt is a problem at the place loc (keys and indexes) of the document.
func (d *Document) errAt(msg string, loc ...any) *Error {
	var toks []string
	for _, l := range loc {
		toks = append(toks, fmt.Sprint(l))
	}
	e := &Error{Path: pointer(toks), Message: msg}
	if d.root != nil {
		e.Line = lineOf(d.root, toks)
	}
	return e
}

// jsonCompatible turns what YAML decodes into what JSON can hold: maps
// with string keys only; at is the JSON pointer for errors.
func jsonCompatible(v any, at string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c, err := jsonCompatible(e, at+"/"+pointerToken(k))
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
		return x, nil
	case map[any]any:
		return nil, &Error{Path: at, Message: "Schlüssel müssen Zeichenketten sein"}
	case []any:
		for i, e := range x {
			c, err := jsonCompatible(e, at+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	}
	return v, nil
}

// inlineSecrets finds strings under the keys of secrets.
func inlineSecrets(v any, loc []string, root *yaml.Node) Errors {
	var es Errors
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			at := append(slices.Clone(loc), k)
			if _, isString := x[k].(string); isString && slices.Contains(secretKeys, k) {
				es = append(es, &Error{Path: pointer(at), Line: lineOf(root, at),
					Message: "Geheimnisse stehen nicht in der Katalogdatei; als {env: NAME} (Umgebungsvariable) oder {file: PFAD} angeben"})
				continue
			}
			es = append(es, inlineSecrets(x[k], at, root)...)
		}
	case []any:
		for i, e := range x {
			es = append(es, inlineSecrets(e, append(slices.Clone(loc), strconv.Itoa(i)), root)...)
		}
	}
	return es
}

func pointerToken(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

func pointer(loc []string) string {
	var b strings.Builder
	for _, s := range loc {
		b.WriteByte('/')
		b.WriteString(pointerToken(s))
	}
	return b.String()
}

// lineOf returns the line of the value at loc in the YAML tree (of the
// deepest node found), 0 if none.
func lineOf(n *yaml.Node, loc []string) int {
	line := n.Line
	for _, tok := range loc {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
					line = n.Content[i].Line
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// schemaErrors phrases the leaves of a validation error in German, with
// their places; values from the document are not quoted.
func schemaErrors(ve *jsonschema.ValidationError, root *yaml.Node) Errors {
	var es Errors
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		msg := germanKind(e)
		key := pointer(e.InstanceLocation) + msg
		if seen[key] || len(es) >= maxErrors {
			return
		}
		seen[key] = true
		es = append(es, &Error{Path: pointer(e.InstanceLocation), Line: lineOf(root, e.InstanceLocation), Message: msg})
	}
	walk(ve)
	slices.SortStableFunc(es, func(a, b *Error) int { return strings.Compare(a.Path, b.Path) })
	return es
}

func germanKind(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return "Pflichtangabe fehlt: " + strings.Join(k.Missing, ", ")
	case *kind.Type:
		return fmt.Sprintf("falscher Typ %s, erwartet %s", k.Got, strings.Join(k.Want, " oder "))
	case *kind.Enum:
		var want []string
		for _, v := range k.Want {
			want = append(want, fmt.Sprint(v))
		}
		return "Wert nicht erlaubt, erwartet: " + strings.Join(want, ", ")
	case *kind.Const:
		return fmt.Sprintf("Wert nicht erlaubt, erwartet %v", k.Want)
	case *kind.Pattern:
		return "Wert hat nicht das verlangte Format (" + k.Want + ")"
	case *kind.Format:
		return "kein gültiges Format " + k.Want
	case *kind.MinLength:
		return "Wert ist zu kurz"
	case *kind.MaxLength:
		return "Wert ist zu lang"
	case *kind.MaxItems:
		return "zu viele Einträge"
	case *kind.MinProperties:
		return "zu wenige Angaben"
	case *kind.MaxProperties:
		return "zu viele Angaben"
	case *kind.AdditionalProperties:
		return "nicht vorgesehene Angabe(n): " + strings.Join(k.Properties, ", ")
	case *kind.FalseSchema:
		return "Angabe ist nicht erlaubt"
	}
	kw := "Schema"
	if e.ErrorKind != nil {
		if p := e.ErrorKind.KeywordPath(); len(p) > 0 {
			kw = p[len(p)-1]
		}
	}
	return "verletzt die Regel " + kw
}
