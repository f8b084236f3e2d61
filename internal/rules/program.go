// Package rules compiles the Regeln of a FIM schema (XDatenfelder regel,
// almost always German free text in freitextRegel or, in XDatenfelder 2,
// definition) into executable conditions, and evaluates them against a data
// document.
//
// A compiled rule is a list of effects on target elements. Each effect has
// a condition in JSON Logic (jsonlogic.com), so that the same compiled rule
// runs on the server (github.com/diegoholiveira/jsonlogic) and in the browser
// (json-logic-js). A handful of custom operations, defined identically on
// both sides, cover what JSON Logic lacks: filled, date, days_between,
// years_between, valid_date and distinct (see ops.go).
//
// Effects:
//   - show: the target is shown only while one of its show conditions holds
//     ("aktiviere", "zeige … an", "ist nur dann zu befüllen, wenn");
//   - hide: the target is hidden while the condition holds ("deaktiviere",
//     "blende … aus", "darf … nicht befüllt sein / angezeigt werden");
//   - require: the target must have a value while the condition holds
//     ("mache es zu einer Pflichtangabe", "muss … befüllt sein");
//   - validate: a cross-field check that must hold ("mindestens eines der
//     Felder", "entweder … oder", a valid calendar date from day, month and
//     year, date A before date B, no entry twice);
//   - set: a fixed value the citizen does not see ("ist mit 001 "privat"
//     vorzubefüllen und in der Antragsstrecke auszublenden").
//
// A hidden element is never validated and never required, its value is
// removed from the data, and it reads as empty in every other rule.
//
// Every rule gets a status: compiled, informational (no behaviour by its
// nature, with the reason) or unsupported (with the reason). A rule that is
// not compiled changes nothing: its targets stay visible and are required
// by their Anzahl only.
//
// Besides the free text, CompileWith takes two sources (Sources): FITKO's
// machine-readable translations of an element's rules, as the FIM portal
// serves them (GET /api/v1/translated-rules/{fim_id}/{fim_version}), and
// an operator's corrections of single regeln. Every rule names its Origin.
package rules

import (
	"github.com/antrag/antrag/internal/form"
)

// Status says what became of a rule.
type Status string

// Statuses.
const (
	Compiled      Status = "compiled"
	Informational Status = "informational"
	Unsupported   Status = "unsupported"
)

// Kind is the kind of an effect.
type Kind string

// Effect kinds.
const (
	Show     Kind = "show"
	Hide     Kind = "hide"
	Require  Kind = "require"
	Validate Kind = "validate"
	// Set gives the target a fixed value and keeps it out of the citizen's
	// sight ("ist mit 001 vorzubefüllen und in der Antragsstrecke
	// auszublenden"). Unlike hide, the value is delivered.
	Set Kind = "set"
)

// Effect is one compiled consequence of a rule.
type Effect struct {
	Kind Kind `json:"effect"`
	// Target is the schema path of the element the effect acts on, ids
	// joined by "/" (e.g. "G07000002577/F07000001283"). For validate it is
	// the element a problem is reported on.
	Target string `json:"target"`
	// When is the JSON Logic condition under which the effect applies; nil
	// means always.
	When any `json:"when,omitempty"`
	// Check is, for validate, the JSON Logic expression that must hold.
	Check any `json:"check,omitempty"`
	// Message is, for validate, the German message shown when Check fails.
	Message string `json:"message,omitempty"`
	// Value is, for set, the value the target takes.
	Value any `json:"value,omitempty"`
}

// Rule is one regel as compiled, at one place in the schema. A regel that
// several Datenfeldgruppen carry is compiled once per place.
type Rule struct {
	ID      string   `json:"id"`
	Version string   `json:"version,omitempty"`
	Name    string   `json:"name,omitempty"`
	Text    string   `json:"text,omitempty"`
	Scope   string   `json:"scope"` // schema path of the carrying element; "" for the schema
	Status  Status   `json:"status"`
	Reason  string   `json:"reason,omitempty"`
	Effects []Effect `json:"effects,omitempty"`
	// Vars are the variables the rule's conditions read: schema paths
	// joined by "/", plus the context variables VarToday and VarBundesland.
	Vars []string `json:"vars,omitempty"`
	// Origin says which source the behaviour comes from: the free text,
	// FITKO's translation or an operator's correction (see CompileWith).
	// Reason, for a compiled rule, may note why a translation was not used
	// or carry the note of a correction.
	Origin Origin `json:"origin"`
}

// Context variables a condition may read besides the data.
const (
	VarToday      = "$heute"      // today's date in Europe/Berlin, "YYYY-MM-DD"
	VarBundesland = "$bundesland" // the responsible authority's Land, e.g. "TH"
)

// Program is the compiled rule set of one schema.
type Program struct {
	Schema *form.Schema
	Rules  []*Rule

	index *index
	prep  []*prepared // compiled rules, ready to evaluate
}

// Summary counts rules by status.
type Summary struct {
	Compiled      int `json:"compiled"`
	Informational int `json:"informational"`
	Unsupported   int `json:"unsupported"`
}

// Total is the number of rules counted.
func (s Summary) Total() int { return s.Compiled + s.Informational + s.Unsupported }

// Distinct returns one Rule per regel (id and version), in document order,
// with the worst status of its places and the effects of all of them.
func (p *Program) Distinct() []*Rule {
	var out []*Rule
	seen := map[string]*Rule{}
	rank := map[Status]int{Compiled: 0, Informational: 1, Unsupported: 2}
	for _, r := range p.Rules {
		k := r.ID + "@" + r.Version
		d, ok := seen[k]
		if !ok {
			c := *r
			c.Effects = append([]Effect(nil), r.Effects...)
			seen[k] = &c
			out = append(out, &c)
			continue
		}
		d.Effects = append(d.Effects, r.Effects...)
		if rank[r.Status] > rank[d.Status] {
			d.Status, d.Reason = r.Status, r.Reason
		}
	}
	return out
}

// Line returns the line of the source document where a rule is written, or
// 0 if unknown.
func (p *Program) Line(r *Rule) int {
	var regeln []form.Regel
	if n := p.index.byPath[r.Scope]; n != nil && n.el != nil {
		regeln = n.el.Regeln
	} else {
		regeln = p.Schema.Regeln
	}
	for _, g := range regeln {
		if g.ID == r.ID && g.Version == r.Version {
			return g.Line
		}
	}
	return 0
}

// Summary counts the distinct rules by status.
func (p *Program) Summary() Summary {
	var s Summary
	for _, r := range p.Distinct() {
		switch r.Status {
		case Compiled:
			s.Compiled++
		case Informational:
			s.Informational++
		default:
			s.Unsupported++
		}
	}
	return s
}

// Edge is a dependency a compiled rule creates: the condition reads Source
// and the effect acts on Target. Both are element ids without version;
// Source may also be a context variable (VarBundesland, VarToday).
type Edge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Effect Kind   `json:"effect"`
}

// Edges returns the distinct edges of a rule, in order of appearance. An
// effect whose condition reads no element (an unconditional set) has none.
func (r *Rule) Edges() []Edge {
	var out []Edge
	seen := map[Edge]bool{}
	add := func(e Edge) {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, e := range r.Effects {
		target := lastID(e.Target)
		srcs := varsOf(e.When)
		srcs = append(srcs, varsOf(e.Check)...)
		for _, s := range srcs {
			if s != VarToday || len(srcs) == 1 {
				add(Edge{Source: lastID(s), Target: target, Effect: e.Kind})
			}
		}
	}
	return out
}
