package journey

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
)

// Widget is how a field is presented.
type Widget string

// Widgets.
const (
	WText     Widget = "text"     // <input type=text>
	WTextarea Widget = "textarea" // text with maxLength above 200
	WNumber   Widget = "number"   // text input with inputmode decimal/numeric, German notation
	WDate     Widget = "date"     // day, month, year inputs
	WTime     Widget = "time"     // hh:mm
	WDateTime Widget = "datetime" // day, month, year and hh:mm
	WRadios   Widget = "radios"   // select with up to MaxRadios options
	WSelect   Widget = "select"   // select with more options
	WCheckbox Widget = "checkbox" // optional bool
	WYesNo    Widget = "yesno"    // required bool: Ja / Nein radios
	WFile     Widget = "file"     // upload
	WLabel    Widget = "label"    // feldart label: static text
	WReadonly Widget = "readonly" // feldart locked: shown, not editable
	WHidden   Widget = "hidden"   // feldart hidden: not shown
)

// MaxRadios is the most options shown as radio buttons; more make a
// <select>.
const MaxRadios = 7

// TextareaFrom is the maxLength above which text gets a textarea.
const TextareaFrom = 200

// WidgetOf chooses the widget of a field (feldart, datentyp, Anzahl).
func WidgetOf(e *form.Element, a form.Anzahl) Widget {
	switch e.Feldart {
	case form.FeldartLabel:
		return WLabel
	case form.FeldartHidden:
		return WHidden
	case form.FeldartLocked:
		return WReadonly
	}
	if e.HasCodes() {
		if len(e.Codes()) <= MaxRadios {
			return WRadios
		}
		return WSelect
	}
	switch e.Datentyp {
	case form.DatentypNum, form.DatentypNumInt, form.DatentypNumCurrency:
		return WNumber
	case form.DatentypDate:
		return WDate
	case form.DatentypTime:
		return WTime
	case form.DatentypDateTime:
		return WDateTime
	case form.DatentypBool:
		if a.Required() {
			return WYesNo
		}
		return WCheckbox
	case form.DatentypFile, form.DatentypObj:
		return WFile
	}
	if ml := e.Praezisierung.MaxLength; ml != nil && *ml > TextareaFrom {
		return WTextarea
	}
	return WText
}

// Item is one element of a step as a page shows it: a group (fieldset), a
// repeated element with its entries, or a field.
type Item struct {
	Kind    string // "group", "repeat", "entry", "field"
	Element *form.Element
	Anzahl  form.Anzahl
	Path    form.Path // key path; for an entry, with its index
	Name    string    // input name: Path.String()
	ID      string    // HTML id of the input
	Box     string    // HTML id of the element's container (rules show and hide it)
	Anchor  string    // HTML id an error summary links to: an element that exists and takes focus
	Label   string
	Hint    string

	Required bool // statically or by a rule
	// RuleRequired: required only because a rule says so now; the page
	// keeps a hidden "Optional" mark that the browser shows when the
	// rule no longer holds.
	RuleRequired bool
	Hidden       bool // by a rule: rendered with the hidden attribute
	Error        string

	// Field.
	Widget   Widget
	Value    string // text value (raw input after a parse problem)
	Day      string
	Month    string
	Year     string
	Time     string
	Options  []Option
	Checked  bool // checkbox
	Files    []File
	Accept   string // for <input type=file>
	MaxSize  int64
	CanAdd   bool // repeat: another entry may be added; file: another upload
	Slots    int  // repeated simple field: number of inputs
	Inputs   []Input
	ReadOnly string // locked: the value to show
	// Consent: a code list with a single value, shown as one checkbox
	// whose value is the code (Widget WCheckbox, one Option).
	Consent bool
	// Autocomplete is the HTML autofill field name of the input ("" for
	// none; see Autocomplete). A date of birth has "bday" here and its
	// parts get "bday-day", "bday-month" and "bday-year".
	Autocomplete string
	// Proved: the value is the one the citizen's login proved (prefill);
	// Locked: and it may not be changed (vorbefuellung verpflichtend).
	Proved, Locked bool

	// Group and repeat.
	Children []*Item
	// Entry.
	Index      int
	EntryLabel string // "Kind 2"
	CanRemove  bool
}

// Option is a choice of a select field.
type Option struct {
	Value, Label string
	Selected     bool
	ID           string
}

// Input is one input of a repeated simple field.
type Input struct {
	Name, ID, Value string
	Invalid         bool   // this input, or the field as a whole, has an error
	Autocomplete    string // autofill field name, on the first input ("additional-name" after a given name)
}

// FilesID is the HTML id of the list of a file field's uploaded files.
func FilesID(p form.Path) string { return HTMLID(p) + "-dateien" }

// File is an uploaded file shown on a step.
type File struct {
	AttachmentID string
	Filename     string
	Size         string // "1,2 MB"
}

// View is what a step page shows.
type View struct {
	Step     *Step
	Items    []*Item
	Problems form.Problems // in page order
	// RulesJSON is the configuration of the client-side show/hide
	// (Form.ClientRules, which BuildView leaves to the caller: a page
	// that shows no form, or shows a revision it showed before, need not
	// make it); "" when the step has no conditional elements.
	RulesJSON string
}

// HTMLID turns a key path into an HTML id: "f-G1-0-F2".
func HTMLID(p form.Path) string {
	var b strings.Builder
	b.WriteString("f")
	for _, s := range p {
		b.WriteByte('-')
		if s.Key == "" {
			b.WriteString(strconv.Itoa(s.Index))
		} else {
			b.WriteString(s.Key)
		}
	}
	return b.String()
}

// BoxID is the HTML id of an element's container.
func BoxID(p form.Path) string { return HTMLID(p) + "-feld" }

// BuildView describes step st for rendering. doc is the draft's data
// (already cleaned by the rules), st the rules' state for it, raw holds the
// inputs as typed where they could not be read (by input name), and
// problems the problems to show.
func (f *Form) BuildView(step *Step, doc map[string]any, state *rules.State, raw map[string]string, problems form.Problems) *View {
	b := &viewBuilder{doc: doc, state: state, raw: raw, errs: map[string]string{}}
	for _, p := range problems {
		if _, dup := b.errs[p.Path]; !dup {
			b.errs[p.Path] = p.Message
		}
	}
	obj := step.Object(doc, false)
	v := &View{Step: step}
	if step.Choice != nil {
		v.Items = append(v.Items, b.choice(step.Choice))
	}
	subject := SubjectUnknown
	if step.ParentChild != nil {
		subject = SubjectOf(step.ParentChild.Element, true)
	}
	v.Items = append(v.Items, b.items(step.Parent, step.Children, obj, subject)...)
	// Problems in page order, so that the error summary follows the page.
	seen := map[string]bool{}
	var walk func(its []*Item)
	walk = func(its []*Item) {
		for _, it := range its {
			for _, p := range problems {
				if !seen[p.Path+p.Message] && (p.Path == it.Name || (it.Kind == "field" && hasPathPrefix(p.Path, it.Name))) {
					seen[p.Path+p.Message] = true
					v.Problems = append(v.Problems, form.Problem{Path: it.Anchor, Code: p.Code, Message: p.Message})
				}
			}
			walk(it.Children)
		}
	}
	walk(v.Items)
	// A problem of no element on the page (the step's own group left
	// empty) links to the step's first field.
	first := ""
	var firstField func(its []*Item) bool
	firstField = func(its []*Item) bool {
		for _, it := range its {
			if it.Hidden {
				continue
			}
			if it.Kind == "field" && it.Widget != WLabel && it.Widget != WReadonly && it.Widget != WHidden {
				first = it.Anchor
				return true
			}
			if firstField(it.Children) {
				return true
			}
		}
		return false
	}
	firstField(v.Items)
	for _, p := range problems {
		if !seen[p.Path+p.Message] {
			anchor := first
			if anchor == "" {
				anchor = BoxID(form.ParsePath(p.Path))
			}
			v.Problems = append(v.Problems, form.Problem{Path: anchor, Code: p.Code, Message: p.Message})
		}
	}
	return v
}

type viewBuilder struct {
	doc   map[string]any
	state *rules.State
	raw   map[string]string
	errs  map[string]string
}

// items describes the struktur entries children of the object obj at
// parent; subject is whom the enclosing groups are about. Sibling groups
// with the same label get labels that tell them apart
// (form.SameLabelGroups).
func (b *viewBuilder) items(parent form.Path, children []form.Child, obj map[string]any, subject Subject) []*Item {
	var out []*Item
	distinct := form.SameLabelGroups(children)
	for i := range children {
		if it := b.item(parent, &children[i], obj, subject); it != nil {
			if l, ok := distinct[i]; ok {
				it.Label = l
			}
			out = append(out, it)
		}
	}
	return out
}

// item describes struktur entry c below parent; subject is whom the
// enclosing groups are about.
func (b *viewBuilder) item(parent form.Path, c *form.Child, obj map[string]any, subject Subject) *Item {
	e := c.Element
	kp := parent.Key(e.ID)
	if e.Kind == form.KindGroup {
		subject = subject.Within(SubjectOf(e, len(parent) == 0))
	}
	if _, fixed := b.fixed(kp); fixed {
		return nil
	}
	it := &Item{Element: e, Anzahl: c.Anzahl, Path: kp, Name: kp.String(), ID: HTMLID(kp), Box: BoxID(kp), Label: e.Label(),
		Hint: strings.TrimSpace(e.HilfetextEingabe), Error: b.errs[kp.String()]}
	it.Anchor = it.Box
	if b.state != nil {
		it.Hidden = b.state.Hidden(kp)
		it.Required = c.Required() || b.state.Required(kp)
		it.RuleRequired = !c.Required() && b.state.Required(kp)
	} else {
		it.Required = c.Required()
	}
	val := obj[e.ID]
	if c.Anzahl.Repeats() && e.Kind == form.KindGroup {
		it.Kind = "repeat"
		arr, _ := val.([]any)
		// A group that must occur n times shows n entries from the start
		// (at most 20), so that the citizen need not add them first.
		shown := max(len(arr), min(c.Anzahl.Min, 20))
		for i := range shown {
			var entry any
			if i < len(arr) {
				entry = arr[i]
			}
			ep := kp.Index(i)
			en := &Item{Kind: "entry", Element: e, Path: ep, Name: ep.String(), ID: HTMLID(ep), Box: BoxID(ep), Anchor: BoxID(ep), Index: i,
				EntryLabel: fmt.Sprintf("%s %d", e.Label(), i+1), CanRemove: shown > c.Anzahl.Min,
				Error: b.errs[ep.String()]}
			m, _ := entry.(map[string]any)
			en.Children = b.items(ep, e.Struktur, m, subject)
			it.Children = append(it.Children, en)
		}
		it.CanAdd = c.Anzahl.Max == form.Unbounded || shown < c.Anzahl.Max
		return it
	}
	if e.Kind == form.KindGroup {
		it.Kind = "group"
		m, _ := val.(map[string]any)
		it.Children = b.items(kp, e.Struktur, m, subject)
		return it
	}
	it.Kind = "field"
	it.Widget = WidgetOf(e, c.Anzahl)
	it.Autocomplete = Autocomplete(subject, e)
	b.field(it, c, val)
	it.Anchor = anchorOf(it)
	return it
}

// choice describes a choice step's question as a radio group named
// Choice.Input: "Ja, Angaben machen" / "Nein, keine Angaben" for an
// optional group, one radio per alternative otherwise. The given group is
// selected; raw (after a problem, or as the web layer suggests) wins.
func (b *viewBuilder) choice(ch *Choice) *Item {
	kp := form.Path{}.Key(ch.Input())
	it := &Item{Kind: "field", Widget: WRadios, Element: ch.Options[0].Child.Element, Anzahl: form.Anzahl{Min: 1, Max: 1},
		Path: kp, Name: kp.String(), ID: HTMLID(kp), Box: BoxID(kp), Label: ch.Question(), Required: true,
		Error: b.errs[kp.String()]}
	sel := ""
	if given := ch.Given(b.doc); len(given) > 0 {
		sel = given[0].Key
		if !ch.Alternatives() {
			sel = "ja"
		}
	}
	if r, ok := b.raw[it.Name]; ok {
		sel = r
	}
	if ch.Alternatives() {
		for i, o := range ch.Shown(b.state) {
			it.Options = append(it.Options, Option{Value: o.Key, Label: o.Label, Selected: sel == o.Key, ID: fmt.Sprintf("%s-%d", it.ID, i)})
		}
		it.Hint = "Machen Sie Angaben zu genau einer Möglichkeit."
	} else {
		it.Hint = strings.TrimSpace(ch.Options[0].Child.Element.HilfetextEingabe)
		it.Options = []Option{
			{Value: "ja", Label: "Ja, Angaben machen", Selected: sel == "ja", ID: it.ID + "-0"},
			{Value: "nein", Label: "Nein, keine Angaben", Selected: sel == "nein", ID: it.ID + "-1"},
		}
	}
	if len(ch.Given(b.doc)) > 0 {
		note := "Wenn Sie Ihre Auswahl ändern, werden die Angaben zur bisherigen Auswahl gelöscht."
		if it.Hint != "" {
			note = it.Hint + " " + note
		}
		it.Hint = note
	}
	it.Anchor = it.Options[0].ID
	return it
}

// anchorOf returns the id of the element an error summary links to, one
// that the page renders and that takes focus: the first radio button or
// checkbox, the select itself (its options have no id), the day of a date,
// the first of several inputs, the file input, or the list of uploaded
// files when no more may be added (the list is focusable then).
func anchorOf(it *Item) string {
	switch {
	case it.Widget == WSelect:
		return it.ID
	case it.Widget == WDate || it.Widget == WDateTime:
		return it.ID + "-tag"
	case it.Widget == WFile:
		if it.CanAdd {
			return it.ID
		}
		return FilesID(it.Path)
	case it.Widget == WLabel || it.Widget == WReadonly || it.Widget == WHidden:
		return it.Box
	case len(it.Options) > 0:
		return it.Options[0].ID
	case len(it.Inputs) > 0:
		return it.Inputs[0].ID
	}
	return it.ID
}

func (b *viewBuilder) fixed(p form.Path) (any, bool) {
	if b.state == nil {
		return nil, false
	}
	return b.state.Fixed(p)
}

// field fills the widget's values from the data, or from raw input.
func (b *viewBuilder) field(it *Item, c *form.Child, val any) {
	e := it.Element
	name := it.Name
	rawOr := func(n, v string) string {
		if r, ok := b.raw[n]; ok {
			return r
		}
		return v
	}
	if c.Anzahl.Repeats() && it.Widget != WFile {
		// A repeated simple field: one input per value, and one empty
		// input more while the maximum allows.
		arr, _ := val.([]any)
		n := len(arr)
		if c.Anzahl.Max == form.Unbounded || n < c.Anzahl.Max {
			n++
		}
		n = max(n, c.Anzahl.Min, 1)
		for i := range n {
			var v any
			if i < len(arr) {
				v = arr[i]
			}
			ip := it.Path.Index(i)
			in := Input{Name: ip.String(), ID: HTMLID(ip), Value: rawOr(ip.String(), display(e, v))}
			if msg, ok := b.errs[ip.String()]; ok {
				in.Invalid = true
				if it.Error == "" {
					it.Error = msg
				}
			}
			switch {
			case i == 0:
				in.Autocomplete = it.Autocomplete
			case it.Autocomplete == "given-name":
				in.Autocomplete = "additional-name"
			}
			it.Inputs = append(it.Inputs, in)
		}
		if _, whole := b.errs[it.Name]; whole {
			for i := range it.Inputs {
				it.Inputs[i].Invalid = true
			}
		}
		it.Slots = n
		if it.Widget == WRadios || it.Widget == WSelect {
			// Several choices of one list: offer them as checkboxes.
			it.Widget = WCheckbox
			chosen := map[string]bool{}
			for _, v := range arr {
				if s, ok := v.(string); ok {
					chosen[s] = true
				}
			}
			for i, w := range e.Codes() {
				it.Options = append(it.Options, Option{Value: w.Code, Label: w.Name, Selected: chosen[w.Code], ID: fmt.Sprintf("%s-%d", it.ID, i)})
			}
		}
		return
	}
	switch it.Widget {
	case WDate, WDateTime:
		s, _ := val.(string)
		if len(s) >= 10 {
			it.Year, it.Month, it.Day = strings.TrimLeft(s[0:4], "0"), strings.TrimLeft(s[5:7], "0"), strings.TrimLeft(s[8:10], "0")
		}
		if it.Widget == WDateTime && len(s) >= 16 {
			it.Time = s[11:16]
		}
		it.Day, it.Month, it.Year = rawOr(name+".tag", it.Day), rawOr(name+".monat", it.Month), rawOr(name+".jahr", it.Year)
		it.Time = rawOr(name+".zeit", it.Time)
	case WRadios, WSelect:
		s, _ := val.(string)
		s = rawOr(name, s)
		for i, w := range e.Codes() {
			it.Options = append(it.Options, Option{Value: w.Code, Label: w.Name, Selected: w.Code == s, ID: fmt.Sprintf("%s-%d", it.ID, i)})
		}
		if len(it.Options) == 1 {
			// A consent ("Ich stimme zu."): one checkbox that can be
			// unchecked again, posting the code under the field's name
			// as the radio button did.
			it.Widget, it.Consent = WCheckbox, true
		}
	case WYesNo:
		s := ""
		if v, ok := val.(bool); ok {
			s = strconv.FormatBool(v)
		}
		s = rawOr(name, s)
		it.Options = []Option{
			{Value: "true", Label: "Ja", Selected: s == "true", ID: it.ID + "-ja"},
			{Value: "false", Label: "Nein", Selected: s == "false", ID: it.ID + "-nein"},
		}
	case WCheckbox:
		v, _ := val.(bool)
		it.Checked = v
	case WFile:
		for _, ref := range fileRefs(val) {
			it.Files = append(it.Files, File{AttachmentID: ref.AttachmentID, Filename: ref.Filename, Size: form.HumanSize(ref.Size)})
		}
		it.Hint = withoutSizeLimit(it.Hint)
		it.Accept = strings.Join(e.Praezisierung.MediaTypes, ",")
		if it.Accept == "" {
			it.Accept = strings.Join(DefaultMediaTypes, ",")
		}
		it.MaxSize = MaxFileSize(e)
		max := 1
		if c.Anzahl.Repeats() {
			max = c.Anzahl.Max
		}
		it.CanAdd = max == form.Unbounded || len(it.Files) < max
	case WReadonly:
		it.ReadOnly = display(e, val)
		if it.ReadOnly == "" {
			it.ReadOnly = e.Inhalt
		}
	case WLabel:
		it.ReadOnly = e.Inhalt
	default:
		it.Value = rawOr(name, display(e, val))
	}
}

// display renders a stored value for an input: numbers the German way.
func display(e *form.Element, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return FormatNumber(x.String(), e.Datentyp == form.DatentypNumCurrency)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// fileRefs reads FileRef values (one or a list) from data.
func fileRefs(v any) []form.FileRef {
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	var out []form.FileRef
	for _, item := range list {
		if ref, ok := form.FileRefOf(item); ok {
			out = append(out, ref)
		}
	}
	return out
}

// sizeLimitRE matches a size limit stated in a hint: "(Dateigröße max.
// 2 MB)", "maximal 5 MB", "höchstens 500 KB".
var sizeLimitRE = regexp.MustCompile(`(?i)\s*\(?\s*(dateigröße\s*:?\s*)?(max\.|maximal|höchstens|bis zu)\s*\d+([.,]\d+)?\s*(kb|mb|gb|byte)\b\s*\)?`)

// spaceBeforePunct removes a space left before a full stop or comma.
var spaceBeforePunct = strings.NewReplacer(" .", ".", " ,", ",")

// withoutSizeLimit removes a size limit stated in a file field's hint: the
// page states the limit the server enforces (MaxFileSize) next to it, and
// two different limits would contradict each other.
func withoutSizeLimit(hint string) string {
	out := strings.Join(strings.Fields(sizeLimitRE.ReplaceAllString(hint, " ")), " ")
	return spaceBeforePunct.Replace(out)
}
