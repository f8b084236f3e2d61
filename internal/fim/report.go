package fim

import (
	"fmt"
	"slices"
	"strings"
)

// Report describes one import: what the document is, what it contains, and
// everything the model could not use as written.
type Report struct {
	File       string `json:"file"`
	ID         string `json:"id"`
	Version    string `json:"version"`
	XDFVersion string `json:"xdf_version"`
	Root       string `json:"root"` // stammdatenschema or datenfeldgruppe
	Name       string `json:"name"`
	MessageID  string `json:"message_id,omitempty"` // header nachrichtID
	Created    string `json:"created,omitempty"`    // header erstellungszeitpunkt (XDF1: datum)
	Groups     int    `json:"groups"`               // distinct Datenfeldgruppen (id and version)
	Fields     int    `json:"fields"`               // distinct Datenfelder (id and version)
	Rules      int    `json:"rules"`                // distinct Regeln (id and version)
	// RuleStatus counts the distinct Regeln by what the rule compiler made
	// of them; nil until AddRuleStatus is called.
	RuleStatus          *RuleStatus `json:"rule_status,omitempty"`
	Leistungsschluessel []string    `json:"leistungsschluessel"`
	CodelistsResolved   []string    `json:"codelists_resolved"` // canonical version URIs
	CodelistsMissing    []string    `json:"codelists_missing"`  // canonical version URIs
	Warnings            []Warning   `json:"warnings"`
}

// RuleStatus counts rules by status (see package rules).
type RuleStatus struct {
	Compiled      int `json:"compiled"`
	Informational int `json:"informational"`
	Unsupported   int `json:"unsupported"`
}

// AddRuleStatus records what became of one distinct rule. A rule that is
// not compiled is also listed as a warning with its reason.
func (r *Report) AddRuleStatus(id, version, status, reason string, line int) {
	if r.RuleStatus == nil {
		r.RuleStatus = &RuleStatus{}
	}
	switch status {
	case "compiled":
		r.RuleStatus.Compiled++
		return
	case "informational":
		r.RuleStatus.Informational++
		r.warn(WarnRule, line, "Regel %s %s ohne Verhalten: %s", id, version, reason)
	default:
		r.RuleStatus.Unsupported++
		r.warn(WarnRule, line, "Regel %s %s nicht umgesetzt: %s", id, version, reason)
	}
	r.sortWarnings()
}

// Warning is something in the document that the model does not use as
// written. Code is one of the Warn* constants; Line is the first line
// concerned; Count is how many places it concerns (1 unless aggregated).
type Warning struct {
	Code    string `json:"code"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"` // 1-based, in bytes; structural warnings only
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// Warning codes.
const (
	// WarnUnused: an element or attribute the model does not take over
	// (mostly life-cycle metadata such as versionshinweis or relation).
	WarnUnused = "unused"
	// WarnPraezisierung: a praezisierung, maxSize or mediaType that could not
	// be read, or that was read by a documented rule.
	WarnPraezisierung = "praezisierung"
	// WarnPattern: a pattern that is not usable as a regular expression.
	WarnPattern = "pattern"
	// WarnCodelist: a Codeliste that could not be resolved; the field takes
	// free text.
	WarnCodelist = "codelist"
	// WarnSelect: a select field without Werte or Codeliste; free text.
	WarnSelect = "select"
	// WarnSchema: something about the schema as a whole, such as a missing
	// version.
	WarnSchema = "schema"
	// WarnRule: a Regel the rule compiler could not turn into behaviour;
	// the form works without it.
	WarnRule = "rule"
	// WarnStructure: a rule of the XDatenfelder XML Schema that the
	// document breaks, in a way real exports of the FIM portal do (or with
	// Options.Lenient); the message names the rule.
	WarnStructure = "structure"
)

func (r *Report) warn(code string, line int, format string, args ...any) {
	r.Warnings = append(r.Warnings, Warning{Code: code, Line: line, Count: 1, Message: fmt.Sprintf(format, args...)})
}

// sortWarnings orders warnings by line, then code and message, so that the
// report is stable.
func (r *Report) sortWarnings() {
	slices.SortStableFunc(r.Warnings, func(a, b Warning) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}
