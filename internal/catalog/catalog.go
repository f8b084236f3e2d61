// Package catalog publishes the form versions of a tenant's services: it
// imports an XDatenfelder file, compiles its Regeln with their sources
// (translated rules and operator corrections, package rules), refuses while
// Regeln stay unsupported that the publisher has not acknowledged, and
// stores the version with its entries in the service's audit trail, in one
// transaction (tenant.Store.PublishChange).
//
// A form version never changes. Changing a correction publishes a new
// version of the same service with the same XDatenfelder file and the new
// sources; drafts and submissions keep the version they began with.
package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// Store is what publishing needs of the store.
type Store interface {
	FormVersion(ctx context.Context, tenantID, id string) (*tenant.FormVersion, error)
	PublishChange(ctx context.Context, tenantID string, fv *tenant.FormVersion, evs ...*tenant.ServiceEvent) error
}

var _ Store = tenant.Store(nil)

// Candidate is a form version ready to publish: its file imported, its
// sources checked against the schema and its Regeln compiled with them.
type Candidate struct {
	XDF     []byte
	Schema  *form.Schema
	Report  *fim.Report // the import report, with the status of every Regel
	Sources *rules.Sources
	Program *rules.Program
}

// Prepare imports xdf (named file in messages) with the code lists of cat
// and compiles its Regeln with src (nil: none): Import, then Compile.
func Prepare(xdf []byte, file string, cat *fim.Catalog, src *rules.Sources) (*Candidate, error) {
	c, err := Import(xdf, file, cat)
	if err != nil {
		return nil, err
	}
	if err := c.Compile(src); err != nil {
		return nil, err
	}
	return c, nil
}

// Import imports xdf (named file in messages) with the code lists of cat,
// for Compile. A file that does not import is the *fim.Error.
func Import(xdf []byte, file string, cat *fim.Catalog) (*Candidate, error) {
	schema, rep, err := fim.Import(bytes.NewReader(xdf), file, fim.Options{Catalog: cat})
	if err != nil {
		return nil, err
	}
	rep.File = file
	return &Candidate{XDF: xdf, Schema: schema, Report: rep}, nil
}

// Compile checks src (nil: none) against the schema and compiles the
// Regeln with it, recording each Regel's status in the report. Sources
// that do not fit the schema (rules.Sources.Check: an unknown element or
// Regel, a wrong effect or value) wrap apperr.Invalid; then c is unchanged.
func (c *Candidate) Compile(src *rules.Sources) error {
	if src != nil && len(src.Translations) == 0 && len(src.Corrections) == 0 {
		src = nil
	}
	if src != nil {
		if err := src.Check(c.Schema); err != nil {
			return fmt.Errorf("%w: Regelquellen passen nicht zum Schema %s %s:\n%w", apperr.Invalid, c.Schema.ID, c.Schema.Version, err)
		}
	}
	prog := rules.CompileWith(c.Schema, src)
	c.Report.RuleStatus = nil
	for _, r := range prog.Distinct() {
		c.Report.AddRuleStatus(r.ID, r.Version, string(r.Status), r.Reason, prog.Line(r))
	}
	c.Sources, c.Program = src, prog
	return nil
}

// Key is how a Regel is named in acknowledgements and the audit trail:
// "id@version" ("id@" for a Regel without version).
func Key(id, version string) string { return id + "@" + version }

// Note is the audit trail's note for publishing c (tenant.ServiceEvent):
// the schema and its version, where the file came from (origin, e.g.
// "datei.xml, Administration"; "" for none), the translations and
// corrections its Regeln compile with, and the acknowledged Regeln.
func (c *Candidate) Note(origin string, acknowledged []string) string {
	head := c.Schema.ID + " " + c.Schema.Version
	if origin != "" {
		head += " (" + origin + ")"
	}
	parts := []string{head}
	if c.Sources != nil {
		if n := len(c.Sources.Translations); n > 0 {
			parts = append(parts, fmt.Sprintf("Übersetzungen für %d Element(e)", n))
		}
		var rs []string
		for _, k := range c.Sources.Corrections {
			name := k.Rule
			if k.Version != "" {
				name = Key(k.Rule, k.Version)
			}
			rs = append(rs, name)
		}
		if len(rs) > 0 {
			parts = append(parts, "Korrekturen: "+strings.Join(rs, ", "))
		}
	}
	if len(acknowledged) > 0 {
		parts = append(parts, "nicht unterstützt, bestätigt: "+strings.Join(acknowledged, ", "))
	}
	return strings.Join(parts, "; ")
}

// Unsupported returns the Regeln (one per id and version, in document
// order) that stay unsupported.
func (c *Candidate) Unsupported() []*rules.Rule {
	var out []*rules.Rule
	for _, r := range c.Program.Distinct() {
		if r.Status == rules.Unsupported {
			out = append(out, r)
		}
	}
	return out
}

// Acknowledgement is what a publisher accepts of the Regeln that stay
// unsupported: all of them, or those named in Rules ("R…" for every
// version of a Regel, "R…@version" for one).
type Acknowledgement struct {
	All   bool
	Rules []string
}

// matches reports whether a names the Regel.
func (a Acknowledgement) matches(r *rules.Rule) bool {
	if a.All {
		return true
	}
	for _, n := range a.Rules {
		id, version, hasVersion := strings.Cut(n, "@")
		if id == r.ID && (!hasVersion || version == r.Version) {
			return true
		}
	}
	return false
}

// UnacknowledgedError lists the unsupported Regeln a publication left
// unacknowledged; nothing was published.
type UnacknowledgedError struct {
	Rules []Unacknowledged
}

// Unacknowledged is one Regel of an UnacknowledgedError.
type Unacknowledged struct {
	ID, Version, Name, Reason string
	Line                      int // in the XDatenfelder file; 0 if unknown
}

func (e *UnacknowledgedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d Regel(n) nicht unterstützt und nicht bestätigt:", len(e.Rules))
	for _, r := range e.Rules {
		b.WriteString("\n  ")
		b.WriteString(r.String())
	}
	return b.String()
}

// String is one line: id, version, name, line and reason.
func (r Unacknowledged) String() string {
	s := r.ID + " " + r.Version
	if r.Name != "" {
		s += " „" + r.Name + "“"
	}
	if r.Line > 0 {
		s += fmt.Sprintf(" (Zeile %d)", r.Line)
	}
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// Acknowledge checks a against the Regeln that stay unsupported and returns
// their keys, sorted, to store with the version. carried are keys acknowledged
// for an earlier version of the same file: they stay acknowledged. A name in
// a.Rules that is no Regel of the schema wraps apperr.Invalid; unsupported
// Regeln neither acknowledged nor carried are an *UnacknowledgedError.
func (c *Candidate) Acknowledge(a Acknowledgement, carried []string) ([]string, error) {
	known := map[string]bool{}
	for _, r := range c.Program.Distinct() {
		known[r.ID] = true
		known[Key(r.ID, r.Version)] = true
	}
	for _, n := range a.Rules {
		if !known[n] {
			return nil, fmt.Errorf("%w: Regel %s gibt es im Schema %s %s nicht", apperr.Invalid, n, c.Schema.ID, c.Schema.Version)
		}
	}
	var keys []string
	var missing []Unacknowledged
	for _, r := range c.Unsupported() {
		k := Key(r.ID, r.Version)
		if a.matches(r) || slices.Contains(carried, k) {
			keys = append(keys, k)
			continue
		}
		missing = append(missing, Unacknowledged{ID: r.ID, Version: r.Version, Name: r.Name, Reason: r.Reason, Line: c.Program.Line(r)})
	}
	if len(missing) > 0 {
		return nil, &UnacknowledgedError{Rules: missing}
	}
	slices.Sort(keys)
	return keys, nil
}

// Publish stores c as the next form version of the tenant's service with
// the acknowledged Regeln and records evs in the service's audit trail,
// in one transaction. The store's errors (apperr.NotFound for a service
// the tenant does not own).
func Publish(ctx context.Context, st Store, tenantID, serviceID string, c *Candidate, acknowledged []string, evs ...*tenant.ServiceEvent) (*tenant.FormVersion, error) {
	fv := &tenant.FormVersion{TenantID: tenantID, ServiceID: serviceID, FIMID: c.Schema.ID, FIMVersion: c.Schema.Version,
		Name: c.Schema.Name, XDF: c.XDF, Acknowledged: acknowledged}
	if c.Sources != nil {
		b, err := json.Marshal(c.Sources)
		if err != nil {
			return nil, err
		}
		fv.RuleSources = b
	}
	if err := st.PublishChange(ctx, tenantID, fv, evs...); err != nil {
		return nil, err
	}
	return fv, nil
}

// DecodeSources reads the stored rule sources of a form version
// (tenant.FormVersion.RuleSources); none is nil.
func DecodeSources(b []byte) (*rules.Sources, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	src := &rules.Sources{}
	if err := json.Unmarshal(b, src); err != nil {
		return nil, fmt.Errorf("Regelquellen: %w", err)
	}
	if src.Translations == nil && src.Corrections == nil {
		return nil, nil
	}
	return src, nil
}
