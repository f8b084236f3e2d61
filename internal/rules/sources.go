package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// Origin says where a compiled rule's behaviour comes from.
type Origin string

// Origins, in rising precedence: a correction wins over a translation, a
// translation over the free text.
const (
	// FromText: compiled from the regel's free text (freitextRegel in
	// XDatenfelder 3, definition in 2) by Compile.
	FromText Origin = "freitext"
	// FromTranslation: taken from FITKO's machine-readable translation of
	// the rules of the element that carries the regel (FIM portal
	// GET /api/v1/translated-rules/{fim_id}/{fim_version}).
	FromTranslation Origin = "translation"
	// FromCorrection: replaced by an operator's Correction.
	FromCorrection Origin = "correction"
)

// Sources are the inputs besides the schema that decide what a regel does:
// FITKO's translations of the rules of single elements, and operator
// corrections of single regeln.
type Sources struct {
	// Translations maps "<element id>@<element version>" (e.g.
	// "G17000001234@1.2.0"; "<id>/<version>" is read the same) to the FIM
	// portal's answer for that element. The element is the one that
	// carries the rules: a Datenfeldgruppe or Datenfeld, or the
	// Stammdatenschema itself (its id and version) for the schema's own
	// rules. An empty list counts as "not translated".
	Translations map[string][]Translated `json:"translations,omitempty"`
	// Corrections replace single regeln; see Correction.
	Corrections []Correction `json:"corrections,omitempty"`
}

// Correction is an operator's replacement for one regel (id and version),
// wherever the schema carries it. It wins over the translation and the free
// text. Effects and Translated may both be given; their effects add up. A
// correction without either says that the regel has no behaviour
// (informational).
type Correction struct {
	Rule    string `json:"rule"`    // regel id, e.g. R05000015207
	Version string `json:"version"` // regel version, e.g. 1.0.0
	// Effects in antrag's own shape (see Effect). Targets and the "var"s of
	// When and Check are schema paths, ids joined by "/" ("G…/F…"); a path
	// is first looked up below the regel's carrier (relative), then from
	// the schema root (absolute), so that a regel carried at several
	// places acts at each place on its own elements. The context variables
	// VarToday and VarBundesland may be read as well.
	Effects []Effect `json:"effects,omitempty"`
	// Translated effects in FITKO's shape; "self." is the regel's carrier.
	Translated []Translated `json:"translated,omitempty"`
	// Note is the operator's reason, shown with the rule.
	Note string `json:"note,omitempty"`
}

// CompileWith compiles every regel of the schema at every place that
// carries one, like Compile, and takes the behaviour of a regel from the
// strongest source that has it:
//
//  1. a Correction for the regel (id and version): Origin FromCorrection.
//     If it is invalid, the regel is Unsupported with the reason: a wrong
//     correction never falls back silently to the behaviour it was meant
//     to replace.
//  2. a translation for the carrying element (Sources.Translations, key
//     "<id>@<version>" of the carrier): Origin FromTranslation, Status
//     Compiled for every regel of the element. The translation is a list
//     of effects per element, without regel ids; each effect is attached
//     to the element's regel whose free text mentions most of the
//     effect's elements (the target counting twice), ties and effects
//     matching none going to the element's first regel. A regel left
//     without effects is compiled with none, and says so in Reason. The
//     translation is taken whole or not at all: if one entry cannot be
//     used (an unknown effect or operator, an element not found, a value
//     that does not fit its field, a contradiction), every regel of the
//     element is compiled from its free text instead, and Reason says why
//     the translation was not used.
//  3. the free text: Origin FromText.
//
// Translated effects attached to a regel that a correction replaces go
// with it.
//
// A nil src behaves as Compile. Problems of src that concern no regel (a
// translation for an element that is not in the schema or carries no regel,
// a correction for a regel the schema lacks) change nothing here;
// Sources.Check reports them.
func CompileWith(s *form.Schema, src *Sources) *Program {
	ix := newIndex(s)
	p := &Program{Schema: s, index: ix}
	ss := newSourceSet(src)
	for _, c := range carriers(s, ix) {
		p.Rules = append(p.Rules, ss.place(ix, c)...)
	}
	p.prepare()
	return p
}

// carrier is one place in the schema that carries regeln.
type carrier struct {
	scope  *node
	key    string // "<id>@<version>" of the carrying element or schema
	regeln []form.Regel
}

// carriers lists the places that carry regeln, in document order: the
// schema first, then each element occurrence.
func carriers(s *form.Schema, ix *index) []carrier {
	var out []carrier
	if len(s.Regeln) > 0 {
		out = append(out, carrier{scope: ix.root, key: s.ID + "@" + s.Version, regeln: s.Regeln})
	}
	s.Walk(func(path form.Path, c *form.Child) bool {
		if len(c.Element.Regeln) == 0 {
			return true
		}
		ids := make([]string, 0, len(path))
		for _, st := range path {
			ids = append(ids, st.Key)
		}
		out = append(out, carrier{scope: ix.byPath[strings.Join(ids, "/")], key: c.Element.ID + "@" + c.Element.Version,
			regeln: c.Element.Regeln})
		return true
	})
	return out
}

// sourceSet is Sources prepared for lookups.
type sourceSet struct {
	translations map[string][]Translated
	corrections  map[string][]Correction // "<regel id>@<version>"
}

func newSourceSet(src *Sources) *sourceSet {
	ss := &sourceSet{translations: map[string][]Translated{}, corrections: map[string][]Correction{}}
	if src == nil {
		return ss
	}
	for k, list := range src.Translations {
		if len(list) > 0 {
			k = normKey(k)
			ss.translations[k] = append(ss.translations[k], list...)
		}
	}
	for _, c := range src.Corrections {
		k := strings.TrimSpace(c.Rule) + "@" + strings.TrimSpace(c.Version)
		ss.corrections[k] = append(ss.corrections[k], c)
	}
	return ss
}

// normKey turns "<id>/<version>" into "<id>@<version>" and trims spaces.
func normKey(k string) string {
	k = strings.TrimSpace(k)
	if !strings.Contains(k, "@") {
		if i := strings.IndexByte(k, '/'); i >= 0 {
			k = k[:i] + "@" + k[i+1:]
		}
	}
	return k
}

// splitKey splits "<id>@<version>".
func splitKey(k string) (id, version string, ok bool) {
	id, version, ok = strings.Cut(normKey(k), "@")
	return id, version, ok && id != "" && version != "" && !strings.ContainsAny(version, "@/")
}

// place compiles the regeln of one carrier.
func (ss *sourceSet) place(ix *index, c carrier) []*Rule {
	var translated []*Rule
	var trErr error
	if list := ss.translations[c.key]; len(list) > 0 {
		translated, trErr = translateRegeln(ix, c, list)
	}
	out := make([]*Rule, len(c.regeln))
	for i, r := range c.regeln {
		switch {
		case len(ss.corrections[r.ID+"@"+r.Version]) > 0:
			out[i] = correctRule(ix, c.scope, r, ss.corrections[r.ID+"@"+r.Version])
		case translated != nil:
			out[i] = translated[i]
		default:
			rule := compileRule(ix, c.scope, r)
			rule.Origin = FromText
			if trErr != nil {
				note := fmt.Sprintf("Die maschinenlesbare Übersetzung von %s ist nicht verwendbar: %v", c.key, trErr)
				if rule.Reason == "" {
					rule.Reason = note + " Die Regel ist aus dem Freitext übersetzt."
				} else {
					rule.Reason = strings.TrimSpace(rule.Reason) + " " + note
				}
			}
			out[i] = rule
		}
	}
	return out
}

// finish collects a rule's variables and checks that they can be read and
// that the rule does not contradict itself, as compileRule does for the
// free text.
func finish(ix *index, scope *node, r *Rule) error {
	r.Vars = nil
	for _, e := range r.Effects {
		for _, v := range append(varsOf(e.When), varsOf(e.Check)...) {
			if !slices.Contains(r.Vars, v) {
				r.Vars = append(r.Vars, v)
			}
		}
	}
	if err := checkVars(ix, scope, r); err != nil {
		return err
	}
	if msg := contradiction(ix, r); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// translateRegeln builds the rules of one carrier from its translation, or
// says why the translation cannot be used.
func translateRegeln(ix *index, c carrier, list []Translated) ([]*Rule, error) {
	type converted struct {
		effect Effect
		ids    []string // target first
	}
	conv := make([]converted, len(list))
	all := &Rule{Scope: c.scope.path}
	for i, t := range list {
		e, ids, err := convertTranslated(ix, c.scope, t)
		if err != nil {
			return nil, fmt.Errorf("Eintrag %d (%s %s): %w", i+1, clip(t.Effect), clip(t.Target), err)
		}
		conv[i] = converted{e, ids}
		all.Effects = append(all.Effects, e)
	}
	if err := finish(ix, c.scope, all); err != nil {
		return nil, err
	}
	mentions := make([]map[string]bool, len(c.regeln))
	for i, r := range c.regeln {
		mentions[i] = mentionedIDs(ix, r.FreitextRegel+" "+r.Name)
	}
	out := make([]*Rule, len(c.regeln))
	for i, r := range c.regeln {
		out[i] = &Rule{ID: r.ID, Version: r.Version, Name: r.Name, Scope: c.scope.path, Text: strings.TrimSpace(r.FreitextRegel),
			Origin: FromTranslation, Status: Compiled}
	}
	for _, cv := range conv {
		best, bestScore := 0, 0
		for i := range c.regeln {
			score := 0
			for j, id := range cv.ids {
				if mentions[i][id] {
					score++
					if j == 0 {
						score++
					}
				}
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		out[best].Effects = append(out[best].Effects, cv.effect)
	}
	for _, r := range out {
		if err := finish(ix, c.scope, r); err != nil {
			return nil, err
		}
		if len(r.Effects) == 0 {
			r.Reason = fmt.Sprintf("Die maschinenlesbare Übersetzung von %s ordnet dieser Regel keine Wirkung zu; die Wirkungen des Elements tragen seine anderen Regeln.", c.key)
		}
	}
	return out, nil
}

var mentionRE = regexp.MustCompile(`[FGS][0-9]{5,}`)

// mentionedIDs returns the element ids a regel's text names, in the form
// the schema uses (an XDatenfelder 2 id in a 3 schema converted).
func mentionedIDs(ix *index, text string) map[string]bool {
	out := map[string]bool{}
	for _, id := range mentionRE.FindAllString(text, -1) {
		out[id] = true
		if ix.xdf3 {
			out[xdf2to3(id)] = true
		}
	}
	return out
}

// Check reports every problem of src with respect to schema s, in German,
// joined with errors.Join; nil if there is none:
//
//   - a translation key that is not "<id>@<version>", names an element (or
//     the schema) not in s or in another version, or names one that
//     carries no regel;
//   - a translated entry with an unknown effect or condition operator, an
//     identifier that names no element, a literal that does not fit its
//     field (a code of the field's Codeliste, a truth value for a bool
//     field, a number for a numeric field), or a contradiction;
//   - a correction without a regel id, for a regel s does not carry (or
//     carries in another version), given twice, or with an effect of an
//     unknown kind, a target or variable not in s, a JSON Logic operator
//     the evaluator does not know, or a literal that does not fit its
//     field.
//
// Check(nil) is nil.
func (src *Sources) Check(s *form.Schema) error {
	if src == nil {
		return nil
	}
	ix := newIndex(s)
	cs := carriers(s, ix)
	var errs []error
	seen := map[string]bool{}
	add := func(err error) {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			errs = append(errs, err)
		}
	}
	keys := make([]string, 0, len(src.Translations))
	for k := range src.Translations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(checkTranslation(s, ix, cs, k, src.Translations[k]))
	}
	count := map[string]int{}
	for _, c := range src.Corrections {
		count[strings.TrimSpace(c.Rule)+"@"+strings.TrimSpace(c.Version)]++
	}
	for i, c := range src.Corrections {
		k := strings.TrimSpace(c.Rule) + "@" + strings.TrimSpace(c.Version)
		if count[k] > 1 {
			add(fmt.Errorf("Korrektur %d: für die Regel %s liegen %d Korrekturen vor; es darf nur eine geben.", i+1, k, count[k]))
		}
		for _, err := range checkCorrection(ix, cs, c) {
			add(fmt.Errorf("Korrektur %d (%s): %w", i+1, k, err))
		}
	}
	return errors.Join(errs...)
}

func checkTranslation(s *form.Schema, ix *index, cs []carrier, key string, list []Translated) error {
	id, version, ok := splitKey(key)
	if !ok {
		return fmt.Errorf("Übersetzung „%s“: der Schlüssel hat nicht die Form <id>@<version>.", key)
	}
	k := id + "@" + version
	var versions []string
	if s.ID == id {
		versions = append(versions, s.Version)
	}
	for _, n := range ix.byID[id] {
		if !slices.Contains(versions, n.el.Version) {
			versions = append(versions, n.el.Version)
		}
	}
	switch {
	case len(versions) == 0:
		return fmt.Errorf("Übersetzung %s: %s kommt im Schema nicht vor.", k, id)
	case !slices.Contains(versions, version):
		return fmt.Errorf("Übersetzung %s: %s kommt im Schema nur in Version %s vor.", k, id, strings.Join(versions, ", "))
	}
	var errs []error
	carried := false
	for _, c := range cs {
		if c.key != k {
			continue
		}
		carried = true
		if len(list) == 0 {
			continue
		}
		if _, err := translateRegeln(ix, c, list); err != nil {
			errs = append(errs, fmt.Errorf("Übersetzung %s (an %s): %w", k, placeName(c.scope), err))
		}
	}
	if !carried {
		return fmt.Errorf("Übersetzung %s: %s trägt keine Regel; die Übersetzung bliebe ohne Wirkung.", k, id)
	}
	return errors.Join(errs...)
}

func checkCorrection(ix *index, cs []carrier, c Correction) []error {
	id, version := strings.TrimSpace(c.Rule), strings.TrimSpace(c.Version)
	if id == "" {
		return []error{errors.New("die Regel-ID („rule“) fehlt.")}
	}
	var errs []error
	var versions []string
	found := false
	for _, cr := range cs {
		for _, r := range cr.regeln {
			if r.ID != id {
				continue
			}
			if r.Version != version {
				if !slices.Contains(versions, r.Version) {
					versions = append(versions, r.Version)
				}
				continue
			}
			found = true
			rule := correctRule(ix, cr.scope, r, []Correction{c})
			if rule.Status == Unsupported {
				errs = append(errs, fmt.Errorf("an %s: %s", placeName(cr.scope), rule.Reason))
			}
		}
	}
	if !found {
		if len(versions) > 0 {
			return []error{fmt.Errorf("das Schema enthält die Regel %s nur in Version %s.", id, strings.Join(versions, ", "))}
		}
		return []error{fmt.Errorf("das Schema enthält keine Regel %s.", id)}
	}
	return errs
}

// placeName names a carrier for messages: its schema path, or
// "Stammdatenschema".
func placeName(n *node) string {
	if n == nil || n.path == "" {
		return "Stammdatenschema"
	}
	return n.path
}

// ForSchema returns the part of src that concerns schema s: the
// translations of elements (or the schema) that occur in s in any version,
// and the corrections of regeln whose id occurs in s in any version. A
// shared directory of translations can so be checked against one schema
// without reporting every other schema's elements. ForSchema(nil) is nil.
func (src *Sources) ForSchema(s *form.Schema) *Sources {
	if src == nil {
		return nil
	}
	ix := newIndex(s)
	out := &Sources{}
	for k, list := range src.Translations {
		id, _, _ := splitKey(k)
		if id == s.ID || len(ix.byID[id]) > 0 {
			if out.Translations == nil {
				out.Translations = map[string][]Translated{}
			}
			out.Translations[k] = list
		}
	}
	regeln := map[string]bool{}
	for _, c := range carriers(s, ix) {
		for _, r := range c.regeln {
			regeln[r.ID] = true
		}
	}
	for _, c := range src.Corrections {
		if regeln[strings.TrimSpace(c.Rule)] {
			out.Corrections = append(out.Corrections, c)
		}
	}
	return out
}
