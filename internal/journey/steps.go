// Package journey turns a form model into the steps of an online service
// and the citizen's answers on each step into canonical data: it splits a
// schema into steps, reads HTML form posts (German numbers, dates as day,
// month and year, repeated entries added and removed without JavaScript),
// and describes each step for rendering. It knows nothing of HTTP or HTML;
// package web does.
package journey

import (
	"fmt"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
)

// Form is a published form version prepared for the journey.
type Form struct {
	Schema *form.Schema
	Rules  *rules.Program
	Steps  []*Step
}

// Step is one page of the journey: some struktur entries of one object of
// the data (the document root or a top-level Datenfeldgruppe).
type Step struct {
	Index    int    // 0-based
	Title    string // heading, e.g. "Antragstellende Person"
	Subtitle string // for a part of a large group, e.g. "Anschrift"; never empty for such a part
	// Parent is the key path of the object whose entries the step shows:
	// nil for the root, or the path of a top-level group.
	Parent form.Path
	// ParentChild is the struktur entry of that group (nil for the root).
	ParentChild *form.Child
	Children    []form.Child
	// Notes are label fields of the document root that stand between two
	// groups; they are shown at the top of the step that follows them.
	Notes []form.Child
	// Choice is set on a choice step: the citizen says whether to give an
	// optional group, or which of alternative groups to give. A choice
	// step has no Parent and no Children.
	Choice *Choice
	// Optional is the choice that governs this step's top-level group:
	// the step shows only while its group is given (or a rule requires
	// it). Nil for steps of groups that are always part of the form.
	Optional *Choice
}

// Choice is what a choice step asks: for one optional top-level
// Datenfeldgruppe (Anzahl 0:1) "Angaben machen / keine Angaben", or for a
// set of alternative groups (see form.Alternatives) which one to give.
type Choice struct {
	Options []ChoiceOption // one for an optional group; two or more for alternatives
	// Selector is the schema's own field that chooses among the
	// alternatives, if it has one (form.Schema.SelectorOf): its answer
	// decides, and the choice step is not asked once it is given.
	Selector *form.Selector
}

// ChoiceOption is one group of a Choice.
type ChoiceOption struct {
	Child *form.Child // the top-level struktur entry
	Key   string      // its data key (the element id)
	Label string      // tells the alternatives apart (form.DistinctLabels)
}

// Input is the name of the choice's radio buttons, and the path its
// problems carry: the key of its first group. The values are "ja" and
// "nein" for an optional group, a group's key for alternatives.
func (c *Choice) Input() string { return c.Options[0].Key }

// Alternatives reports whether the choice is between alternative groups
// (exactly one is given) rather than whether to give one optional group.
func (c *Choice) Alternatives() bool { return len(c.Options) > 1 }

// Given returns the options whose group is present in doc.
func (c *Choice) Given(doc map[string]any) []ChoiceOption {
	var out []ChoiceOption
	for _, o := range c.Options {
		if _, ok := doc[o.Key]; ok {
			out = append(out, o)
		}
	}
	return out
}

// Shown returns the options the rules do not hide.
func (c *Choice) Shown(state *rules.State) []ChoiceOption {
	var out []ChoiceOption
	for _, o := range c.Options {
		if state == nil || !state.Hidden(form.Path{}.Key(o.Key)) {
			out = append(out, o)
		}
	}
	return out
}

// ruled reports whether a rule requires one of the choice's groups: then
// the rules decide, and the choice is not asked.
func (c *Choice) ruled(state *rules.State) bool {
	for _, o := range c.Options {
		if state != nil && state.Required(form.Path{}.Key(o.Key)) {
			return true
		}
	}
	return false
}

// Question is the choice's legend.
func (c *Choice) Question() string {
	if c.Alternatives() {
		return "Zu welcher dieser Möglichkeiten machen Sie Angaben?"
	}
	return "Möchten Sie Angaben zu „" + c.Options[0].Label + "“ machen?"
}

// MaxStepFields is the number of data fields above which a top-level group
// is split into several steps, along its own subgroups.
const MaxStepFields = 25

// NewForm compiles the schema's rules and splits it into steps:
//
//   - one step per top-level Datenfeldgruppe that occurs at most once;
//   - consecutive top-level Datenfelder, and top-level groups that repeat,
//     share a step ("Allgemeine Angaben" or the group's name);
//   - a top-level group with more than MaxStepFields data fields is split
//     along its children: each subgroup is a step, and consecutive fields
//     between them share one;
//   - elements without data (labels, groups of labels) go with their
//     neighbours and never make a step of their own.
func NewForm(s *form.Schema) *Form { return NewFormWith(s, nil) }

// NewFormWith is NewForm with the Regeln compiled with their sources, the
// translated rules and operator corrections a form version carries
// (rules.CompileWith; nil for none).
func NewFormWith(s *form.Schema, src *rules.Sources) *Form {
	f := &Form{Schema: s, Rules: rules.CompileWith(s, src)}
	var loose []form.Child // consecutive root entries waiting for a step
	var notes []form.Child // root labels waiting for the next step
	add := func(st *Step) {
		st.Notes, notes = notes, nil
		f.add(st)
	}
	flush := func() {
		if len(loose) == 0 {
			return
		}
		if !anyData(loose) {
			notes = append(notes, loose...)
			loose = nil
			return
		}
		title := "Allgemeine Angaben"
		var data []form.Child
		for _, c := range loose {
			if c.Element.CarriesData() {
				data = append(data, c)
			}
		}
		if len(data) == 1 && (data[0].Element.Kind == form.KindGroup || len(f.Steps) > 0) {
			title = data[0].Element.Label()
		}
		add(&Step{Title: title, Children: loose})
		loose = nil
	}
	// Optional top-level groups get a choice step before their steps; a
	// set of alternatives gets one for the set.
	choiceOf := map[int]*Choice{}
	for _, alt := range form.Alternatives(s.Struktur) {
		ch := &Choice{Selector: s.SelectorOf(alt)}
		for k, l := range form.DistinctLabels(s.Struktur, alt) {
			c := &s.Struktur[alt[k]]
			ch.Options = append(ch.Options, ChoiceOption{Child: c, Key: c.Element.ID, Label: l})
			choiceOf[alt[k]] = ch
		}
	}
	for i := range s.Struktur {
		c := &s.Struktur[i]
		if _, ok := choiceOf[i]; !ok && c.Element.Kind == form.KindGroup && c.Element.CarriesData() && c.Anzahl.Min == 0 && c.Anzahl.Max == 1 {
			choiceOf[i] = &Choice{Options: []ChoiceOption{{Child: c, Key: c.Element.ID, Label: c.Element.Label()}}}
		}
	}
	for i := range s.Struktur {
		c := s.Struktur[i]
		e := c.Element
		if e.Kind != form.KindGroup || c.Anzahl.Repeats() || !e.CarriesData() {
			loose = append(loose, c)
			continue
		}
		flush()
		cc := c
		path := form.Path{}.Key(e.ID)
		title := e.Label()
		ch := choiceOf[i]
		if ch != nil {
			if ch.Options[0].Key == e.ID {
				add(&Step{Title: e.Label(), Choice: ch})
			}
			for _, o := range ch.Options {
				if o.Key == e.ID {
					title = o.Label
				}
			}
		}
		first := len(f.Steps)
		if countFields(e) <= MaxStepFields {
			add(&Step{Title: title, Parent: path, ParentChild: &cc, Children: e.Struktur, Optional: ch})
			continue
		}
		// Split a large group along its children.
		var run []form.Child
		parts := 0
		emit := func(sub string) {
			if len(run) > 0 {
				if sub == "" {
					sub = partTitle(run, parts)
				}
				add(&Step{Title: title, Subtitle: sub, Parent: path, ParentChild: &cc, Children: run, Optional: ch})
				run = nil
				parts++
			}
		}
		for _, k := range e.Struktur {
			if k.Element.Kind == form.KindGroup && k.Element.CarriesData() && countFields(k.Element) > 3 {
				if anyData(run) {
					emit("")
				}
				run = append(run, k)
				emit(k.Element.Label())
				continue
			}
			run = append(run, k)
		}
		if len(run) > 0 && !anyData(run) && len(f.Steps) > first {
			last := f.Steps[len(f.Steps)-1]
			last.Children = append(last.Children, run...)
			run = nil
		}
		emit("")
	}
	flush()
	if len(f.Steps) == 0 {
		f.add(&Step{Title: s.Title()})
	}
	if len(notes) > 0 {
		last := f.Steps[len(f.Steps)-1]
		last.Notes = append(last.Notes, notes...)
	}
	f.numberSameTitles()
	return f
}

// numberSameTitles gives steps that would carry the same heading a part
// number ("Allgemeine Angaben (Teil 2)"), so that every page title names
// its own step.
func (f *Form) numberSameTitles() {
	count := map[string]int{}
	key := func(st *Step) string { return st.Title + "\x00" + st.Subtitle }
	for _, st := range f.Steps {
		if st.Choice == nil {
			count[key(st)]++
		}
	}
	seen := map[string]int{}
	for _, st := range f.Steps {
		k := key(st)
		if st.Choice != nil || count[k] < 2 {
			continue
		}
		seen[k]++
		if st.Subtitle != "" {
			st.Subtitle += fmt.Sprintf(" (Teil %d)", seen[k])
		} else {
			st.Title += fmt.Sprintf(" (Teil %d)", seen[k])
		}
	}
}

// partTitle names a step of a split group that holds the fields between
// its large subgroups: the only data element's name if it is a group, else
// "Allgemeine Angaben" for the first part and "Weitere Angaben" for later
// ones.
func partTitle(run []form.Child, part int) string {
	var data []*form.Element
	for _, c := range run {
		if c.Element.CarriesData() {
			data = append(data, c.Element)
		}
	}
	if len(data) == 1 && data[0].Kind == form.KindGroup {
		return data[0].Label()
	}
	if part == 0 {
		return "Allgemeine Angaben"
	}
	return "Weitere Angaben"
}

// Heading is what names the step on its page and in the page title: the
// subtitle of a part of a split group ("Anschrift"), else the title.
func (st *Step) Heading() string {
	if st.Subtitle != "" {
		return st.Subtitle
	}
	return st.Title
}

func (f *Form) add(st *Step) {
	st.Index = len(f.Steps)
	f.Steps = append(f.Steps, st)
}

func anyData(cs []form.Child) bool {
	for _, c := range cs {
		if c.Element.CarriesData() {
			return true
		}
	}
	return false
}

// countFields counts the data fields below a group.
func countFields(e *form.Element) int {
	if e.Kind == form.KindField {
		if e.Feldart == form.FeldartLabel {
			return 0
		}
		return 1
	}
	n := 0
	for _, c := range e.Struktur {
		n += countFields(c.Element)
	}
	return n
}

// StepVisible reports whether a step has something to show for doc (the
// data, cleaned by the rules) under the rules' state:
//
//   - a choice step, while the rules hide not all of its groups and
//     require none of them (then they decide), and the schema's own field
//     that chooses among them (Choice.Selector) is not answered;
//   - a step of an optional group, while the group is given (the citizen
//     chose to give it, or started it) or a rule requires it;
//   - any other step, while its group is not hidden and not all its data
//     elements are.
//
// The journey skips invisible steps.
func (f *Form) StepVisible(st *Step, doc map[string]any, state *rules.State) bool {
	if st.Choice != nil {
		if sel := st.Choice.Selector; sel != nil && sel.Chosen(doc) >= 0 {
			return false // the schema's own question has decided
		}
		return len(st.Choice.Shown(state)) > 0 && !st.Choice.ruled(state)
	}
	if st.Optional != nil && st.Parent != nil {
		_, given := doc[st.Parent[0].Key]
		if !given && (state == nil || !state.Required(st.Parent)) {
			return false
		}
	}
	if state == nil {
		return true
	}
	if st.Parent != nil && state.Hidden(st.Parent) {
		return false
	}
	for _, c := range st.Children {
		if c.Element.CarriesData() && !state.Hidden(st.Parent.Key(c.Element.ID)) {
			return true
		}
	}
	return !anyData(st.Children)
}

// Next returns the index of the next visible step after i, or -1.
func (f *Form) Next(i int, doc map[string]any, state *rules.State) int {
	for j := i + 1; j < len(f.Steps); j++ {
		if f.StepVisible(f.Steps[j], doc, state) {
			return j
		}
	}
	return -1
}

// Prev returns the index of the previous visible step before i, or -1.
func (f *Form) Prev(i int, doc map[string]any, state *rules.State) int {
	for j := i - 1; j >= 0; j-- {
		if f.StepVisible(f.Steps[j], doc, state) {
			return j
		}
	}
	return -1
}

// Position returns the number of step i among the visible steps and how
// many steps are visible ("Schritt 2 von 5").
func (f *Form) Position(i int, doc map[string]any, state *rules.State) (n, total int) {
	for j, st := range f.Steps {
		if f.StepVisible(st, doc, state) || j == i {
			total++
			if j <= i {
				n = total
			}
		}
	}
	return n, total
}

// Object returns the object of doc that the step edits (the root, or the
// top-level group's object, created if absent when create is set).
func (st *Step) Object(doc map[string]any, create bool) map[string]any {
	if st.Parent == nil {
		return doc
	}
	k := st.Parent[0].Key
	if m, ok := doc[k].(map[string]any); ok {
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	doc[k] = m
	return m
}

// Contains reports whether a problem path belongs to this step. A choice
// step holds the problems of its groups themselves (none or more than one
// of alternatives given).
func (st *Step) Contains(path string) bool {
	if st.Choice != nil {
		for _, o := range st.Choice.Options {
			if path == o.Key {
				return true
			}
		}
		return false
	}
	if st.Parent != nil && path == st.Parent.String() {
		return true // the step's group itself, e.g. "required" for a group left empty
	}
	for _, c := range st.Children {
		p := st.Parent.Key(c.Element.ID).String()
		if path == p || hasPathPrefix(path, p) {
			return true
		}
	}
	return false
}

func hasPathPrefix(path, prefix string) bool {
	if len(path) <= len(prefix) || path[:len(prefix)] != prefix {
		return false
	}
	c := path[len(prefix)]
	return c == '.' || c == '['
}
