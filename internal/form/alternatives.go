package form

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Alternatives: a Stammdatenschema models "one of several" without a rule
// when it places optional Datenfeldgruppen side by side at its top level
// that carry the same label, e.g. "Person" (Anzahl 0:1) for a natural
// person and "Person" (Anzahl 0:1) for a legal person. A citizen cannot
// tell such groups apart and is not meant to fill both: they are
// alternatives, and exactly one of them is given. XDatenfelder has no
// construct for a choice (XDatenfelder 3.0.0, section "Struktur": only
// Anzahl per entry), so the schema's structure is the only evidence.
// Deeper in a schema, same-label groups are only told apart
// (SameLabelGroups): there rules of the schema often decide among them
// (per Land, say), and a demand of one would be a guess.

// Alternative is a set of alternative groups among the entries of one
// struktur: the indexes of the entries, in document order (at least two).
type Alternative []int

// Alternatives finds the sets of alternative groups among children: runs
// of consecutive Datenfeldgruppen that carry data, occur at most once, are
// optional (Anzahl 0:1), and have the same label (Element.Label, compared
// without case and surrounding space). Entries without data (labels)
// between them do not break a run.
func Alternatives(children []Child) []Alternative {
	var out []Alternative
	var run Alternative
	flush := func() {
		if len(run) >= 2 {
			out = append(out, run)
		}
		run = nil
	}
	for i := range children {
		c := &children[i]
		e := c.Element
		if !e.CarriesData() {
			continue
		}
		if !optionalGroup(c) {
			flush()
			continue
		}
		if len(run) > 0 && labelKey(children[run[0]].Element) != labelKey(e) {
			flush()
		}
		run = append(run, i)
	}
	flush()
	return out
}

// optionalGroup reports whether c is a Datenfeldgruppe that carries data
// and occurs at most once, possibly not at all.
func optionalGroup(c *Child) bool {
	return c.Element.Kind == KindGroup && c.Element.CarriesData() && c.Anzahl.Min == 0 && c.Anzahl.Max == 1
}

func labelKey(e *Element) string { return strings.ToLower(strings.TrimSpace(e.Label())) }

// qualifierRE finds a trailing parenthesised qualifier: "Person (juristische
// Person)" → "juristische Person".
var qualifierRE = regexp.MustCompile(`\(([^()]{2,60})\)\s*$`)

// DistinctLabels returns a label per entry of group that tells the entries
// apart, for entries whose own labels are equal (see Alternatives, and
// sibling groups with the same legend). group holds indexes into children.
// The labels are taken from the schema, in this order:
//
//  1. a qualifier in parentheses that is particular to the entry: in its
//     own name or label, or the most frequent one among the names of its
//     descendants ("Angaben Unternehmen (Natürliche Person)"), and not
//     found in the other entries; the label is the qualifier when it
//     contains the shared label ("Natürliche Person"), else "label
//     (qualifier)";
//  2. the entry's name, where the names differ;
//  3. the label of its first descendant that the others do not have
//     ("Person – Angaben zum Unternehmen");
//  4. a number ("Person 2").
//
// The result has one label per entry of group, all different.
func DistinctLabels(children []Child, group []int) []string {
	n := len(group)
	labels := make([]string, n)
	if n == 0 {
		return labels
	}
	base := strings.TrimSpace(children[group[0]].Element.Label())
	// 1. Qualifiers.
	display := map[string]string{} // a qualifier as first written
	quals := make([]map[string]int, n)
	first := make([]map[string]int, n)
	own := make([]string, n)
	for k, i := range group {
		e := children[i].Element
		quals[k], first[k] = map[string]int{}, map[string]int{}
		order := 0
		add := func(s string, weight int) {
			m := qualifierRE.FindStringSubmatch(s)
			if m == nil {
				return
			}
			q := strings.TrimSpace(m[1])
			key := strings.ToLower(q)
			if _, ok := display[key]; !ok {
				display[key] = q
			}
			if _, seen := first[k][key]; !seen {
				first[k][key] = order
				order++
			}
			quals[k][key] += weight
			if weight > 1 && own[k] == "" {
				own[k] = q
			}
		}
		add(e.Name, 1000)
		add(e.Label(), 1000)
		walkElements(e.Struktur, func(d *Element) {
			add(d.Name, 1)
			add(d.BezeichnungEingabe, 1)
		})
	}
	for k := range group {
		best, bestN, bestOrder := "", 0, 0
		for q, cnt := range quals[k] {
			shared := false
			for o := range group {
				if o != k && quals[o][q] > 0 {
					shared = true
					break
				}
			}
			if shared {
				continue
			}
			if cnt > bestN || cnt == bestN && first[k][q] < bestOrder {
				best, bestN, bestOrder = q, cnt, first[k][q]
			}
		}
		if best == "" {
			continue
		}
		q := display[best]
		if own[k] != "" && strings.EqualFold(own[k], best) {
			q = own[k]
		}
		if strings.Contains(strings.ToLower(q), strings.ToLower(base)) && base != "" {
			labels[k] = upperFirst(q)
		} else {
			labels[k] = fmt.Sprintf("%s (%s)", base, q)
		}
	}
	if distinct(labels) {
		return labels
	}
	// 2. Names.
	for k, i := range group {
		labels[k] = strings.TrimSpace(children[i].Element.Name)
	}
	if distinct(labels) {
		return labels
	}
	// 3. The first descendant label the others lack.
	for k, i := range group {
		labels[k] = ""
		walkElements(children[i].Element.Struktur, func(d *Element) {
			if labels[k] != "" || !d.CarriesData() {
				return
			}
			l := strings.TrimSpace(d.Label())
			for o, j := range group {
				if o != k && hasLabel(children[j].Element.Struktur, l) {
					return
				}
			}
			labels[k] = base + " – " + l
		})
	}
	if distinct(labels) {
		return labels
	}
	// 4. Numbers.
	for k := range group {
		labels[k] = fmt.Sprintf("%s %d", base, k+1)
	}
	return labels
}

func distinct(labels []string) bool {
	seen := map[string]bool{}
	for _, l := range labels {
		key := strings.ToLower(l)
		if l == "" || seen[key] {
			return false
		}
		seen[key] = true
	}
	return true
}

func hasLabel(cs []Child, l string) bool {
	found := false
	walkElements(cs, func(d *Element) {
		if strings.EqualFold(strings.TrimSpace(d.Label()), l) {
			found = true
		}
	})
	return found
}

// walkElements calls fn for every element below cs, depth first.
func walkElements(cs []Child, fn func(e *Element)) {
	for i := range cs {
		fn(cs[i].Element)
		walkElements(cs[i].Element.Struktur, fn)
	}
}

func upperFirst(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// SameLabelGroups returns, for the entries of children that share their
// label with a sibling Datenfeldgruppe, a label that tells them apart (see
// DistinctLabels), by index. Entries with a label of their own are not in
// the map.
func SameLabelGroups(children []Child) map[int]string {
	byLabel := map[string][]int{}
	var order []string
	for i := range children {
		e := children[i].Element
		if e.Kind != KindGroup || !e.CarriesData() {
			continue
		}
		k := labelKey(e)
		if _, ok := byLabel[k]; !ok {
			order = append(order, k)
		}
		byLabel[k] = append(byLabel[k], i)
	}
	out := map[int]string{}
	for _, k := range order {
		g := byLabel[k]
		if len(g) < 2 {
			continue
		}
		for j, l := range DistinctLabels(children, g) {
			out[g[j]] = l
		}
	}
	return out
}

// Selector is a Datenfeld that chooses among top-level alternatives: a
// select field outside them, occurring once, whose codes name the
// alternatives one to one ("01 Natürliche Person", "02 Juristische
// Person" for the groups told apart as "Natürliche Person" and
// "Juristische Person", by DistinctLabels or by their own labels or
// names). Its answer decides which group is given.
type Selector struct {
	Path  Path           // key path of the field, through groups that occur once
	Field *Element       // the select Datenfeld
	Group map[string]int // code → index of the alternative group in Schema.Struktur
}

// SelectorOf finds the Selector of the top-level alternatives alt of s,
// or nil if no field, or more than one, names them.
func (s *Schema) SelectorOf(alt Alternative) *Selector { return selectorOf(s.Struktur, alt) }

// selectors caches selectorOf by the first element of the root struktur
// and the alternative's first index: schemas do not change once imported.
var selectors sync.Map // selectorKey → *Selector (nil for none)

type selectorKey struct {
	first *Element
	at    int
}

func cachedSelector(root []Child, alt Alternative) *Selector {
	key := selectorKey{root[0].Element, alt[0]}
	if v, ok := selectors.Load(key); ok {
		return v.(*Selector)
	}
	sel := selectorOf(root, alt)
	selectors.Store(key, sel)
	return sel
}

func selectorOf(root []Child, alt Alternative) *Selector {
	names := make([]map[string]bool, len(alt))
	labels := DistinctLabels(root, alt)
	for k, i := range alt {
		e := root[i].Element
		names[k] = map[string]bool{labelKeyOf(labels[k]): true, labelKeyOf(e.Name): true, labelKeyOf(e.Label()): true}
	}
	inAlt := map[int]bool{}
	for _, i := range alt {
		inAlt[i] = true
	}
	var found []*Selector
	var walk func(p Path, cs []Child, top bool)
	walk = func(p Path, cs []Child, top bool) {
		for i := range cs {
			c := &cs[i]
			if top && inAlt[i] || c.Anzahl.Repeats() {
				continue
			}
			e := c.Element
			kp := p.Key(e.ID)
			if e.Kind == KindGroup {
				walk(kp, e.Struktur, false)
				continue
			}
			codes := e.Codes()
			if !e.HasCodes() || len(codes) != len(alt) {
				continue
			}
			sel := &Selector{Path: kp, Field: e, Group: map[string]int{}}
			used := map[int]bool{}
			for _, w := range codes {
				for k := range alt {
					if !used[k] && names[k][labelKeyOf(w.Name)] {
						used[k] = true
						sel.Group[w.Code] = alt[k]
						break
					}
				}
			}
			if len(sel.Group) == len(alt) {
				found = append(found, sel)
			}
		}
	}
	walk(nil, root, true)
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

func labelKeyOf(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Value returns the selector's code in doc, or "" if it has none.
func (sel *Selector) Value(doc map[string]any) string {
	var cur any = doc
	for _, seg := range sel.Path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[seg.Key]
	}
	v, _ := cur.(string)
	return v
}

// Chosen returns the index in Schema.Struktur of the alternative the
// selector's answer in doc names, or -1.
func (sel *Selector) Chosen(doc map[string]any) int {
	if i, ok := sel.Group[sel.Value(doc)]; ok {
		return i
	}
	return -1
}
