package web

import (
	"slices"

	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
)

// The preview of an imported form version: its steps as the journey
// splits them (journey.NewFormWith), each with the structure of its
// fields, and the import report with every Regel that is not plainly
// compiled from its free text.

// previewStep is one step of the journey.
type previewStep struct {
	Title    string
	Question string         // a choice step's question
	Fields   []previewField // the step's fields and groups
}

// previewField is one field or group of a step.
type previewField struct {
	Label    string
	Kind     string // what the citizen gets, e.g. "Auswahl", "Datum", "Gruppe"
	Required bool
	Repeats  string // the Anzahl when the entry repeats, e.g. "0:n"
	Codes    []string
	More     int  // codes beyond those listed
	Missing  bool // a select field whose code list was not found: free text
	Children []previewField
}

// previewCodes is how many codes of a list the preview names.
const previewCodes = 8

// widgetNames are the German names of the journey's widgets.
var widgetNames = map[journey.Widget]string{
	journey.WText: "Text", journey.WTextarea: "längerer Text", journey.WNumber: "Zahl", journey.WDate: "Datum",
	journey.WTime: "Uhrzeit", journey.WDateTime: "Datum und Uhrzeit", journey.WRadios: "Auswahl (Optionsfelder)",
	journey.WSelect: "Auswahl (Liste)", journey.WCheckbox: "Ankreuzfeld", journey.WYesNo: "Ja/Nein",
	journey.WFile: "Datei-Upload", journey.WLabel: "Hinweistext", journey.WReadonly: "nur Anzeige",
	journey.WHidden: "verborgen",
}

// previewSteps describes the steps of the form the candidate makes.
func previewSteps(c *catalog.Candidate) []previewStep {
	f := journey.NewFormWith(c.Schema, c.Sources)
	out := make([]previewStep, 0, len(f.Steps))
	for _, st := range f.Steps {
		ps := previewStep{Title: st.Heading()}
		if st.Choice != nil {
			ps.Question = st.Choice.Question()
		}
		for _, n := range st.Notes {
			ps.Fields = append(ps.Fields, previewOf(&n))
		}
		for i := range st.Children {
			ps.Fields = append(ps.Fields, previewOf(&st.Children[i]))
		}
		out = append(out, ps)
	}
	return out
}

func previewOf(c *form.Child) previewField {
	e := c.Element
	pf := previewField{Label: e.Label(), Required: c.Required()}
	if c.Anzahl.Repeats() {
		pf.Repeats = c.Anzahl.String()
	}
	if e.Kind != form.KindField {
		pf.Kind = "Gruppe"
		for i := range e.Struktur {
			pf.Children = append(pf.Children, previewOf(&e.Struktur[i]))
		}
		return pf
	}
	w := journey.WidgetOf(e, c.Anzahl)
	pf.Kind = widgetNames[w]
	if pf.Kind == "" {
		pf.Kind = string(w)
	}
	codes := e.Codes()
	pf.Missing = e.CodelisteRef != nil && len(codes) == 0
	for i, wv := range codes {
		if i == previewCodes {
			pf.More = len(codes) - i
			break
		}
		pf.Codes = append(pf.Codes, wv.Name)
	}
	return pf
}

// previewRule is a Regel of the report.
type previewRule struct {
	Key, ID, Version, Name, Status, Origin, Reason string
	Line                                           int
	Unsupported, Acked                             bool
}

var statusNames = map[rules.Status]string{rules.Compiled: "umgesetzt", rules.Informational: "ohne Verhalten", rules.Unsupported: "nicht unterstützt"}

var originNames = map[rules.Origin]string{rules.FromText: "Freitext", rules.FromTranslation: "Übersetzung (FITKO)", rules.FromCorrection: "Korrektur"}

// previewRules lists every distinct Regel with its status and origin, the
// unsupported ones first; acked are the keys ticked on the page.
func previewRules(c *catalog.Candidate, acked []string) []previewRule {
	var out []previewRule
	for _, r := range c.Program.Distinct() {
		k := catalog.Key(r.ID, r.Version)
		out = append(out, previewRule{Key: k, ID: r.ID, Version: r.Version, Name: r.Name, Status: statusNames[r.Status],
			Origin: originNames[r.Origin], Reason: r.Reason, Line: c.Program.Line(r),
			Unsupported: r.Status == rules.Unsupported, Acked: slices.Contains(acked, k)})
	}
	slices.SortStableFunc(out, func(a, b previewRule) int {
		switch {
		case a.Unsupported == b.Unsupported:
			return 0
		case a.Unsupported:
			return -1
		}
		return 1
	})
	return out
}
