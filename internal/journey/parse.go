package journey

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/rules"
)

// DefaultMediaTypes are the file types a file field accepts when the
// schema names none: PDF, JPEG and PNG.
var DefaultMediaTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// DefaultMaxFileSize is the size limit of a file field without maxSize.
const DefaultMaxFileSize = 10_000_000

// MaxFileSize returns the size limit in bytes of a file field.
func MaxFileSize(e *form.Element) int64 {
	if e.Praezisierung.MaxSize > 0 {
		return e.Praezisierung.MaxSize
	}
	return DefaultMaxFileSize
}

// AllowedMediaTypes returns the media types a file field accepts.
func AllowedMediaTypes(e *form.Element) []string {
	if len(e.Praezisierung.MediaTypes) > 0 {
		return e.Praezisierung.MediaTypes
	}
	return DefaultMediaTypes
}

// Action is what the citizen asked for with a step's buttons.
type Action struct {
	Kind string    // "weiter", "zurueck", "aktualisieren", "speichern", "add", "remove", "removefile"
	Path form.Path // add: the repeated element; remove: the entry
	ID   string    // removefile: the attachment id
}

// ParseAction reads the "aktion" field of a post: weiter, zurueck,
// aktualisieren, speichern, add:<path>, remove:<path>, removefile:<id>.
// Anything else is "aktualisieren", which only saves and shows the step
// again.
func ParseAction(v string) Action {
	kind, arg, _ := strings.Cut(v, ":")
	switch kind {
	case "weiter", "zurueck", "aktualisieren", "speichern":
		return Action{Kind: kind}
	case "add", "remove":
		if arg != "" {
			return Action{Kind: kind, Path: form.ParsePath(arg)}
		}
	case "removefile":
		if arg != "" {
			return Action{Kind: kind, ID: arg}
		}
	}
	return Action{Kind: "aktualisieren"}
}

// Post is a parsed step post.
type Post struct {
	// Data is the whole document with the step's answers replaced and the
	// rules applied (hidden values removed), ready to be saved.
	Data map[string]any
	// State is the rules' outcome for Data.
	State *rules.State
	// Raw holds inputs that could not be read, by input name, so that the
	// page can show them again as typed.
	Raw map[string]string
	// Problems are the step's parse problems (always) and validation
	// problems (for "weiter").
	Problems form.Problems
	// Removed lists attachments the citizen removed on this step.
	Removed []string
}

// ParseStep reads the answers of one step from a form post into doc (a
// copy is changed; doc stays as it was), applies an add or remove action,
// evaluates the rules, and, for "weiter", validates the step. uploads holds
// the files received on this post by input name, as FileRefs; uploadProblems
// the problems of uploads that were refused.
func (f *Form) ParseStep(step *Step, doc map[string]any, vals url.Values, act Action, uploads map[string][]form.FileRef, uploadProblems form.Problems, ctx rules.Context) *Post {
	p := &parser{vals: vals, raw: map[string]string{}, uploads: uploads, schema: f.Schema}
	data := form.CopyData(doc)
	if step.Choice != nil {
		return f.parseChoice(step, data, vals, act, ctx)
	}
	// Values a rule fixes are not read from the post.
	st0, _ := f.Rules.Evaluate(data, ctx)
	p.state = st0
	old := step.Object(data, false)
	obj := step.Object(data, true)
	for i := range step.Children {
		c := &step.Children[i]
		if !c.Element.CarriesData() {
			continue
		}
		kp := step.Parent.Key(c.Element.ID)
		if v, ok := p.child(kp, c, valueOf(old, c.Element.ID)); ok {
			obj[c.Element.ID] = v
		} else {
			delete(obj, c.Element.ID)
		}
	}
	if step.Parent != nil && step.Optional == nil && untouched(step.ParentChild.Element.Struktur, obj) && !step.ParentChild.Anzahl.Required() {
		delete(data, step.Parent[0].Key)
	}
	p.removed = append(p.removed, f.applySelectors(data)...)
	switch act.Kind {
	case "add":
		addEntry(data, act.Path)
	case "remove":
		removeEntry(data, act.Path)
	case "removefile":
		if removeFile(data, act.ID) {
			p.removed = append(p.removed, act.ID)
		}
	}
	state, clean := f.Rules.Evaluate(data, ctx)
	// What the answers now hide takes no part: neither its unreadable
	// input nor its error may hold the citizen up (cases C01, C02).
	var problems form.Problems
	for _, pr := range append(p.problems, uploadProblems...) {
		if !hiddenUnder(state, pr.Path) {
			problems = append(problems, pr)
		}
	}
	for name := range p.raw {
		if hiddenUnder(state, name) {
			delete(p.raw, name)
		}
	}
	post := &Post{Data: clean, State: state, Raw: p.raw, Problems: problems, Removed: p.removed}
	if act.Kind == "weiter" {
		// A value that could not be read has its problem already; the
		// validation would only add that it is missing.
		post.Problems = post.Problems.Merge(f.ValidateStep(step, clean, state))
	}
	return post
}

// ValidateStep checks the step's part of doc under the rules' state: the
// schema's checks, rule-required elements and the rules' validations that
// concern the step.
func (f *Form) ValidateStep(step *Step, doc map[string]any, state *rules.State) form.Problems {
	if !f.StepVisible(step, doc, state) {
		return nil
	}
	if step.Choice != nil {
		return f.validateChoice(step, doc, state)
	}
	obj := step.Object(doc, false)
	if obj == nil {
		obj = map[string]any{}
	}
	var ps form.Problems
	if step.Parent != nil {
		if _, present := doc[step.Parent[0].Key]; !present && !step.ParentChild.Anzahl.Required() && !state.Required(step.Parent) {
			return nil // an optional group left out entirely
		}
	}
	ps = append(ps, form.ValidatePart(step.Parent, step.Children, obj, state)...)
	var rs form.Problems
	for _, pr := range state.Problems() {
		if step.Contains(pr.Path) {
			rs = append(rs, pr)
		}
	}
	return ps.Merge(rs)
}

// hiddenUnder reports whether the rules hide the element at path (a
// form.Path string such as "G1[0].F2", or an input name below it such as
// "G1[0].F2.tag") or any element that contains it.
func hiddenUnder(state *rules.State, path string) bool {
	if state == nil {
		return false
	}
	hidden := state.HiddenPaths()
	if len(hidden) == 0 {
		return false
	}
	for _, h := range hidden {
		if path == h || strings.HasPrefix(path, h) && (path[len(h)] == '.' || path[len(h)] == '[') {
			return true
		}
	}
	return false
}

// untouched reports whether obj, the value of a group with the struktur
// children, holds nothing the citizen entered: no value other than an
// unticked optional checkbox, a value the schema fixes (Inhalt of a locked
// or hidden field), or groups and entries that are themselves untouched.
func untouched(children []form.Child, obj map[string]any) bool {
	for i := range children {
		c := &children[i]
		v, ok := obj[c.Element.ID]
		if !ok {
			continue
		}
		e := c.Element
		if e.Kind == form.KindGroup {
			entries, isList := v.([]any)
			if !isList {
				entries = []any{v}
			}
			for _, en := range entries {
				if !untouched(e.Struktur, asObject(en)) {
					return false
				}
			}
			continue
		}
		switch WidgetOf(e, c.Anzahl) {
		case WCheckbox:
			if b, isBool := v.(bool); isBool && !b {
				continue
			}
		case WHidden, WReadonly, WLabel:
			continue
		}
		return false
	}
	return true
}

// parseChoice applies a choice step's post: the chosen group is given
// (an empty object where the citizen has not filled it yet, so that its
// steps follow and its required fields apply), the others are removed
// with their answers and files. Without a choice, "weiter" is a problem;
// the other actions keep the data as it was.
func (f *Form) parseChoice(step *Step, data map[string]any, vals url.Values, act Action, ctx rules.Context) *Post {
	ch := step.Choice
	post := &Post{Raw: map[string]string{}}
	v := vals.Get(ch.Input())
	keep := ""
	valid := false
	switch {
	case !ch.Alternatives() && v == "ja":
		keep, valid = ch.Options[0].Key, true
	case !ch.Alternatives() && v == "nein":
		valid = true
	case ch.Alternatives():
		for _, o := range ch.Options {
			if v == o.Key {
				keep, valid = o.Key, true
			}
		}
	}
	if valid {
		post.Removed = ch.give(data, keep)
	}
	state, clean := f.Rules.Evaluate(data, ctx)
	post.Data, post.State = clean, state
	if act.Kind == "weiter" {
		if !valid {
			msg := "Bitte wählen Sie aus, ob Sie Angaben zu „" + ch.Options[0].Label + "“ machen."
			if ch.Alternatives() {
				msg = "Bitte wählen Sie aus, zu welcher Möglichkeit Sie Angaben machen."
			}
			post.Problems = append(post.Problems, form.Problem{Path: ch.Options[0].Key, Code: form.CodeRequired, Message: msg})
		} else {
			post.Problems = append(post.Problems, f.ValidateStep(step, clean, state)...)
		}
	}
	return post
}

// applySelectors gives, for each set of alternatives whose choosing field
// (Choice.Selector) is answered in data, the group the answer names (an
// empty object if the citizen has not filled it yet) and removes the
// others with their answers; it returns the attachments removed with them.
func (f *Form) applySelectors(data map[string]any) []string {
	var removed []string
	for _, st := range f.Steps {
		ch := st.Choice
		if ch == nil || ch.Selector == nil {
			continue
		}
		k := ch.Selector.Chosen(data)
		if k < 0 {
			continue
		}
		removed = append(removed, ch.give(data, f.Schema.Struktur[k].Element.ID)...)
	}
	return removed
}

// give makes the option with key keep the given one in data (an empty
// object if the citizen has not filled it yet; keep "" gives none) and
// removes the other options' groups with their answers. It returns the
// attachments removed with them.
func (c *Choice) give(data map[string]any, keep string) []string {
	var removed []string
	for _, o := range c.Options {
		if o.Key == keep {
			if _, ok := data[o.Key]; !ok {
				data[o.Key] = map[string]any{}
			}
			continue
		}
		if old, ok := data[o.Key]; ok {
			for _, ref := range form.FileRefs(old) {
				removed = append(removed, ref.AttachmentID)
			}
			delete(data, o.Key)
		}
	}
	return removed
}

// validateChoice checks a choice step: of alternatives, exactly one
// group is given (the schema's own check, form.CodeAlternative).
func (f *Form) validateChoice(step *Step, doc map[string]any, state *rules.State) form.Problems {
	var ps form.Problems
	for _, pr := range f.Schema.ValidateAlternatives(doc, state) {
		if step.Contains(pr.Path) {
			ps = append(ps, pr)
		}
	}
	return ps
}

type parser struct {
	vals     url.Values
	raw      map[string]string
	problems form.Problems
	uploads  map[string][]form.FileRef
	removed  []string
	state    *rules.State
	schema   *form.Schema
}

func valueOf(obj map[string]any, key string) any {
	if obj == nil {
		return nil
	}
	return obj[key]
}

func (p *parser) problem(path form.Path, code, msg string) {
	p.problems = append(p.problems, form.Problem{Path: path.String(), Code: code, Message: msg})
}

// child reads one struktur entry at key path kp; old is its stored value.
func (p *parser) child(kp form.Path, c *form.Child, old any) (any, bool) {
	e := c.Element
	if _, fixed := p.state.Fixed(kp); fixed {
		return old, old != nil
	}
	if e.Kind == form.KindField && WidgetOf(e, c.Anzahl) == WFile {
		return p.files(kp, c, old)
	}
	if !c.Anzahl.Repeats() {
		return p.one(kp, c, old)
	}
	oldArr, _ := old.([]any)
	if e.Kind == form.KindField && e.HasCodes() {
		// Several choices of one list, posted as checkboxes.
		var out []any
		for _, v := range p.vals[kp.String()] {
			if v, ok := p.text(kp, e, v); ok {
				out = append(out, v)
			}
		}
		return out, len(out) > 0
	}
	n := len(oldArr)
	if s := p.vals.Get(kp.String() + "#n"); s != "" {
		if k, err := strconv.Atoi(s); err == nil && k >= 0 && k <= 1000 {
			n = k
		}
	}
	var out []any
	for i := range n {
		var o any
		if i < len(oldArr) {
			o = oldArr[i]
		}
		ip := kp.Index(i)
		if e.Kind == form.KindGroup {
			m := p.object(ip, e.Struktur, asObject(o))
			out = append(out, m) // an entry stays, even empty: the citizen added it
			continue
		}
		if v, ok := p.scalar(ip, e, c.Anzahl, o); ok {
			out = append(out, v)
		}
	}
	return out, len(out) > 0
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func (p *parser) one(kp form.Path, c *form.Child, old any) (any, bool) {
	e := c.Element
	if e.Kind == form.KindGroup {
		m := p.object(kp, e.Struktur, asObject(old))
		// An optional group the citizen has not started is absent: its
		// required fields apply only once something is filled in.
		if !c.Anzahl.Required() && !p.state.Required(kp) && untouched(e.Struktur, m) {
			return nil, false
		}
		return m, true
	}
	return p.scalar(kp, e, c.Anzahl, old)
}

func (p *parser) object(path form.Path, children []form.Child, old map[string]any) map[string]any {
	m := map[string]any{}
	for i := range children {
		c := &children[i]
		if !c.Element.CarriesData() {
			continue
		}
		if v, ok := p.child(path.Key(c.Element.ID), c, valueOf(old, c.Element.ID)); ok {
			m[c.Element.ID] = v
		}
	}
	return m
}

// scalar reads one field value at path.
func (p *parser) scalar(path form.Path, e *form.Element, a form.Anzahl, old any) (any, bool) {
	name := path.String()
	switch WidgetOf(e, a) {
	case WLabel:
		return nil, false
	case WHidden, WReadonly:
		// Not editable: the schema's Inhalt, or what was there.
		if e.Inhalt != "" {
			return typedInhalt(e), true
		}
		return old, old != nil
	case WCheckbox:
		if !p.vals.Has(name+"#da") && !p.vals.Has(name) {
			return old, old != nil
		}
		return p.vals.Get(name) == "true", true
	case WYesNo:
		switch p.vals.Get(name) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	case WNumber:
		s := strings.TrimSpace(p.vals.Get(name))
		if s == "" {
			return nil, false
		}
		n, err := ParseNumber(s)
		if err != nil {
			p.raw[name] = s
			msg := fmt.Sprintf("„%s“ muss eine Zahl sein, zum Beispiel 1234 oder 1.234,56.", e.Label())
			if e.Datentyp == form.DatentypNumInt {
				msg = fmt.Sprintf("„%s“ muss eine ganze Zahl sein, zum Beispiel 42 oder 1234.", e.Label())
			}
			if errors.Is(err, ErrAmbiguousNumber) {
				msg = fmt.Sprintf("„%s“: „%s“ ist mehrdeutig. Schreiben Sie Tausender ohne Punkt (1234) und Nachkommastellen mit Komma (1,234).", e.Label(), s)
			}
			p.problem(path, form.CodeType, msg)
			return nil, false
		}
		if c, ok := form.CanonicalNumber(json.Number(n)); ok {
			return c, true // the spelling the API stores too
		}
		return json.Number(n), true
	case WDate:
		return p.date(path, e)
	case WTime:
		s := strings.TrimSpace(p.vals.Get(name))
		if s == "" {
			return nil, false
		}
		t, ok := normalizeTime(s)
		if !ok {
			p.raw[name] = s
			p.problem(path, form.CodeFormat, fmt.Sprintf("„%s“ ist keine gültige Uhrzeit. Geben Sie Stunden und Minuten an, zum Beispiel 14:30.", e.Label()))
			return nil, false
		}
		return t, true
	case WDateTime:
		d, ok := p.date(path, e)
		if !ok {
			return nil, false
		}
		s := strings.TrimSpace(p.vals.Get(name + ".zeit"))
		t, tok := normalizeTime(s)
		if !tok {
			p.raw[name+".zeit"] = s
			p.problem(path, form.CodeFormat, fmt.Sprintf("„%s“: Bitte geben Sie auch die Uhrzeit an, zum Beispiel 14:30.", e.Label()))
			return nil, false
		}
		when, err := time.ParseInLocation("2006-01-02 15:04", d.(string)+" "+t, localtime.Berlin)
		if err != nil {
			return nil, false
		}
		return when.Format(time.RFC3339), true
	}
	// Text, and select fields (a code, or free text when the list is
	// missing).
	return p.text(path, e, p.vals.Get(name))
}

// text reads a text or code value as the JSON API does (form.NormalizeString).
func (p *parser) text(path form.Path, e *form.Element, s string) (any, bool) {
	s, ierr := form.NormalizeString(e, p.schema.ParentOf(path), s)
	if ierr != nil {
		p.problem(path, ierr.Code, ierr.Message)
		return nil, false
	}
	return s, s != ""
}

// date reads the day, month and year inputs of a date field.
func (p *parser) date(path form.Path, e *form.Element) (any, bool) {
	name := path.String()
	d := strings.TrimSpace(p.vals.Get(name + ".tag"))
	m := strings.TrimSpace(p.vals.Get(name + ".monat"))
	y := strings.TrimSpace(p.vals.Get(name + ".jahr"))
	if d == "" && m == "" && y == "" {
		return nil, false
	}
	// Day and month with or without a leading zero ("3" or "03"); the year
	// with four digits: "90" could be 1990 or 2090, so it is refused.
	// The year's range is checked with the data (form.YearRange).
	dn, err1 := strconv.Atoi(d)
	mn, err2 := strconv.Atoi(m)
	yn, err3 := strconv.Atoi(y)
	p.raw[name+".tag"], p.raw[name+".monat"], p.raw[name+".jahr"] = d, m, y
	if err1 == nil && err2 == nil && err3 == nil && len(d) <= 2 && len(m) <= 2 {
		if len(y) < 4 {
			p.problem(path, form.CodeFormat, fmt.Sprintf("„%s“: Bitte geben Sie das Jahr vierstellig an, zum Beispiel 1990 statt 90.", e.Label()))
			return nil, false
		}
		t := time.Date(yn, time.Month(mn), dn, 0, 0, 0, 0, time.UTC)
		if len(y) == 4 && t.Day() == dn && int(t.Month()) == mn && t.Year() == yn {
			delete(p.raw, name+".tag")
			delete(p.raw, name+".monat")
			delete(p.raw, name+".jahr")
			return t.Format(time.DateOnly), true
		}
	}
	p.problem(path, form.CodeFormat, fmt.Sprintf("„%s“ ist kein gültiges Datum. Geben Sie Tag, Monat und Jahr (vierstellig) an, zum Beispiel 27 3 2007.", e.Label()))
	return nil, false
}

// files keeps the stored file references of a field and adds this post's
// uploads. A single-file field takes the newest upload.
func (p *parser) files(kp form.Path, c *form.Child, old any) (any, bool) {
	refs := fileRefs(old)
	for _, up := range p.uploads[kp.String()] {
		if !c.Anzahl.Repeats() {
			for _, r := range refs {
				p.removed = append(p.removed, r.AttachmentID)
			}
			refs = nil
		}
		refs = append(refs, up)
	}
	if len(refs) == 0 {
		return nil, false
	}
	if !c.Anzahl.Repeats() {
		return refs[len(refs)-1].Value(), true
	}
	var out []any
	for _, r := range refs {
		out = append(out, r.Value())
	}
	return out, true
}

func typedInhalt(e *form.Element) any {
	switch {
	case e.Datentyp.Numeric():
		if n, err := ParseNumber(e.Inhalt); err == nil {
			return json.Number(n)
		}
	case e.Datentyp == form.DatentypBool:
		return strings.EqualFold(e.Inhalt, "true") || strings.EqualFold(e.Inhalt, "ja")
	}
	return e.Inhalt
}

// normalizeTime accepts "14:30", "14.30", "9:05" and "14:30:15".
func normalizeTime(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ".", ":")
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(layout), true
		}
	}
	if t, err := time.Parse("15:04", "0"+s); err == nil && len(s) == 4 {
		return t.Format("15:04"), true
	}
	return "", false
}

// addEntry appends an empty entry to the repeated group at key path p.
func addEntry(doc map[string]any, p form.Path) {
	parent, key := locate(doc, p, true)
	if parent == nil {
		return
	}
	arr, _ := parent[key].([]any)
	parent[key] = append(arr, map[string]any{})
}

// removeEntry deletes the entry at path p ("G1[2]").
func removeEntry(doc map[string]any, p form.Path) {
	if len(p) < 2 || p[len(p)-1].Key != "" {
		return
	}
	idx := p[len(p)-1].Index
	parent, key := locate(doc, p[:len(p)-1], false)
	if parent == nil {
		return
	}
	arr, _ := parent[key].([]any)
	if idx < 0 || idx >= len(arr) {
		return
	}
	arr = append(arr[:idx:idx], arr[idx+1:]...)
	if len(arr) == 0 {
		delete(parent, key)
		return
	}
	parent[key] = arr
}

// locate returns the object holding the last key of p, and that key.
func locate(doc map[string]any, p form.Path, create bool) (map[string]any, string) {
	if len(p) == 0 || p[len(p)-1].Key == "" {
		return nil, ""
	}
	var cur any = doc
	for i, s := range p[:len(p)-1] {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[s.Key]
			if !ok && create && (i+1 >= len(p)-1 || p[i+1].Key != "") {
				m := map[string]any{}
				c[s.Key] = m
				next = m
			}
			cur = next
		case []any:
			if s.Key != "" || s.Index >= len(c) {
				return nil, ""
			}
			cur = c[s.Index]
		default:
			return nil, ""
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, ""
	}
	return m, p[len(p)-1].Key
}

// removeFile deletes the FileRef with the attachment id anywhere in doc.
func removeFile(doc map[string]any, id string) bool {
	found := false
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		for k, v := range m {
			switch x := v.(type) {
			case map[string]any:
				if x["attachmentId"] == id {
					delete(m, k)
					found = true
					continue
				}
				walk(x)
			case []any:
				kept := x[:0:0]
				for _, item := range x {
					if im, ok := item.(map[string]any); ok {
						if im["attachmentId"] == id {
							found = true
							continue
						}
						walk(im)
					}
					kept = append(kept, item)
				}
				if len(kept) == 0 {
					delete(m, k)
				} else {
					m[k] = kept
				}
			}
		}
	}
	walk(doc)
	return found
}
