package journey

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
)

// Section is a group of answers for a summary: the citizen's "Angaben
// prüfen" page, the receipt PDF, the copy of what was sent and the
// caseworker's view.
type Section struct {
	Title  string
	Step   int // index of the step to change these answers
	Anchor string
	// Items are the answers and the nested groups and repeated entries, in
	// the schema's order: an Item with a Section is a nested group.
	Items []Answer
}

// Answer is one answered question, or a nested group (Section set).
type Answer struct {
	Label  string // bezeichnungEingabe, or bezeichnungAusgabe for output; a group's title
	Value  string // formatted for reading; several lines for lists
	Anchor string // HTML id of the input, for "Ändern" links
	Files  []form.FileRef
	// Section is a nested group or repeated entry; Value and Files are
	// then empty.
	Section *Section
}

// Block is a part of a section for layouts that put consecutive answers
// into one list between the headings of nested groups: either Answers (one
// or more answers in a row) or Section.
type Block struct {
	Answers []Answer
	Section *Section
}

// Blocks splits the section's items, in order, into runs of answers and
// nested sections.
func (s Section) Blocks() []Block {
	var out []Block
	for _, it := range s.Items {
		if it.Section != nil {
			out = append(out, Block{Section: it.Section})
			continue
		}
		if n := len(out); n > 0 && out[n-1].Section == nil {
			out[n-1].Answers = append(out[n-1].Answers, it)
			continue
		}
		out = append(out, Block{Answers: []Answer{it}})
	}
	return out
}

// Answers lists the answered questions of doc step by step. With output
// set, labels are the schema's bezeichnungAusgabe (for the receipt and the
// caseworker), else bezeichnungEingabe. Hidden elements and empty values
// are left out.
func (f *Form) Answers(doc map[string]any, state *rules.State, output bool) []Section {
	a := answerer{state: state, output: output}
	var out []Section
	for _, st := range f.Steps {
		if st.Choice != nil {
			// The citizen's own summary shows the choice, so that it can
			// be changed; the receipt and the caseworker see the data.
			if !output && f.StepVisible(st, doc, state) {
				out = append(out, choiceSection(st, doc))
			}
			continue
		}
		obj := st.Object(doc, false)
		if obj == nil || !f.StepVisible(st, doc, state) {
			continue
		}
		sec := Section{Title: st.Title, Step: st.Index}
		if st.Subtitle != "" {
			sec.Title += " – " + st.Subtitle
		}
		a.children(&sec, st.Parent, st.Children, obj, st.Index)
		if len(sec.Items) > 0 {
			out = append(out, sec)
		}
	}
	return out
}

// choiceSection shows a choice: which alternative the citizen gives, or
// that they give no details on an optional group.
func choiceSection(st *Step, doc map[string]any) Section {
	ch := st.Choice
	val := "Keine Angaben"
	if given := ch.Given(doc); len(given) > 0 {
		val = "Ja"
		if ch.Alternatives() {
			var ls []string
			for _, o := range given {
				ls = append(ls, o.Label)
			}
			val = strings.Join(ls, "\n")
		}
	}
	id := HTMLID(form.Path{}.Key(ch.Input()))
	return Section{Title: st.Title, Step: st.Index, Anchor: id,
		Items: []Answer{{Label: ch.Question(), Value: val, Anchor: id}}}
}

type answerer struct {
	state  *rules.State
	output bool
}

func (a *answerer) label(e *form.Element) string {
	if a.output && e.BezeichnungAusgabe != "" {
		return e.BezeichnungAusgabe
	}
	return e.Label()
}

func (a *answerer) children(sec *Section, p form.Path, cs []form.Child, obj map[string]any, step int) {
	distinct := form.SameLabelGroups(cs)
	for i := range cs {
		c := &cs[i]
		e := c.Element
		label := a.label(e)
		if l, ok := distinct[i]; ok {
			label = l
		}
		if !e.CarriesData() || e.Feldart == form.FeldartHidden {
			continue
		}
		kp := p.Key(e.ID)
		if a.state != nil && a.state.Hidden(kp) {
			continue
		}
		v, ok := obj[e.ID]
		if !ok {
			continue
		}
		if e.Kind == form.KindGroup {
			if c.Anzahl.Repeats() {
				arr, _ := v.([]any)
				for j, entry := range arr {
					sub := Section{Title: fmt.Sprintf("%s %d", label, j+1), Step: step, Anchor: HTMLID(kp.Index(j))}
					m, _ := entry.(map[string]any)
					a.children(&sub, kp.Index(j), e.Struktur, m, step)
					sec.Items = append(sec.Items, Answer{Label: sub.Title, Anchor: sub.Anchor, Section: &sub})
				}
				continue
			}
			m, _ := v.(map[string]any)
			sub := Section{Title: label, Step: step, Anchor: HTMLID(kp)}
			a.children(&sub, kp, e.Struktur, m, step)
			if len(sub.Items) > 0 {
				sec.Items = append(sec.Items, Answer{Label: sub.Title, Anchor: sub.Anchor, Section: &sub})
			}
			continue
		}
		ans := Answer{Label: a.label(e), Anchor: HTMLID(kp)}
		if WidgetOf(e, c.Anzahl) == WFile {
			ans.Files = fileRefs(v)
			var names []string
			for _, r := range ans.Files {
				names = append(names, fmt.Sprintf("%s (%s)", r.Filename, form.HumanSize(r.Size)))
			}
			ans.Value = strings.Join(names, "\n")
		} else if arr, isList := v.([]any); isList {
			var lines []string
			for _, x := range arr {
				lines = append(lines, FormatValue(e, x))
			}
			ans.Value = strings.Join(lines, "\n")
		} else {
			ans.Value = FormatValue(e, v)
		}
		if ans.Value != "" {
			sec.Items = append(sec.Items, ans)
		}
	}
}

// FormatValue renders a stored value for reading: the name of a code, Ja
// or Nein, a German number, a date as 01.02.1990 (never shifted by a time
// zone: it is a date-only value).
func FormatValue(e *form.Element, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "Ja"
		}
		return "Nein"
	case json.Number:
		s := FormatNumber(x.String(), e.Datentyp == form.DatentypNumCurrency)
		if e.Datentyp == form.DatentypNumCurrency {
			s += " €"
		}
		return s
	case string:
		if e.HasCodes() {
			for _, w := range e.Codes() {
				if w.Code == x {
					return w.Name
				}
			}
		}
		switch e.Datentyp {
		case form.DatentypDate:
			if len(x) == 10 {
				return x[8:10] + "." + x[5:7] + "." + x[0:4]
			}
		case form.DatentypDateTime:
			if len(x) >= 16 {
				return x[8:10] + "." + x[5:7] + "." + x[0:4] + ", " + x[11:16] + " Uhr"
			}
		case form.DatentypTime:
			return x + " Uhr"
		}
		return x
	}
	return fmt.Sprint(v)
}
