package rules

import (
	"fmt"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// node is one element occurrence in the schema tree.
type node struct {
	el       *form.Element // nil for the schema root
	anzahl   form.Anzahl
	path     string // ids joined by "/"; "" for the root
	parent   *node
	children []*node
	order    int // document order
}

func (n *node) repeats() bool { return n.el != nil && n.anzahl.Repeats() }

// index gives rules access to the schema tree by path and by id.
type index struct {
	root   *node
	byPath map[string]*node
	byID   map[string][]*node // every occurrence of an id, document order
	xdf3   bool
}

func newIndex(s *form.Schema) *index {
	ix := &index{byPath: map[string]*node{}, byID: map[string][]*node{}, xdf3: s.XDFVersion == "3.0.0"}
	ix.root = &node{}
	ix.byPath[""] = ix.root
	order := 0
	var add func(parent *node, cs []form.Child)
	add = func(parent *node, cs []form.Child) {
		for i := range cs {
			c := &cs[i]
			p := c.Element.ID
			if parent.path != "" {
				p = parent.path + "/" + p
			}
			order++
			n := &node{el: c.Element, anzahl: c.Anzahl, path: p, parent: parent, order: order}
			parent.children = append(parent.children, n)
			ix.byPath[p] = n
			ix.byID[c.Element.ID] = append(ix.byID[c.Element.ID], n)
			if c.Element.Kind == form.KindGroup {
				add(n, c.Element.Struktur)
			}
		}
	}
	add(ix.root, s.Struktur)
	return ix
}

// resolve finds the element a reference in a rule means, seen from the
// element that carries the rule: the nearest occurrence, searching the
// carrier's subtree first, then that of each ancestor. A dotted reference
// "G1.F2" resolves G1 so, then F2 within G1. An XDatenfelder 2 id in an
// XDatenfelder 3 schema (G60000086 for G60000000086) is converted.
func (ix *index) resolve(scope *node, ref string) (*node, error) {
	parts := strings.Split(ref, ".")
	var cur *node
	for i, id := range parts {
		var found *node
		if i == 0 {
			for s := scope; s != nil && found == nil; s = s.parent {
				found = findBelow(s, id)
				if found == nil && ix.xdf3 {
					found = findBelow(s, xdf2to3(id))
				}
			}
		} else {
			found = findBelow(cur, id)
			if found == nil && ix.xdf3 {
				found = findBelow(cur, xdf2to3(id))
			}
		}
		if found == nil {
			if i == 0 {
				return nil, fmt.Errorf("%s kommt im Schema nicht vor", id)
			}
			return nil, fmt.Errorf("%s kommt in %s nicht vor", id, cur.el.ID)
		}
		cur = found
	}
	return cur, nil
}

// findBelow searches n (itself included) and its subtree breadth first.
func findBelow(n *node, id string) *node {
	queue := []*node{n}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c.el != nil && c.el.ID == id {
			return c
		}
		queue = append(queue, c.children...)
	}
	return nil
}

// xdf2to3 converts an XDatenfelder 2 id (letter, 2-digit number range,
// 6 digits) to XDatenfelder 3 (letter, number range, 9 digits).
func xdf2to3(id string) string {
	if len(id) != 9 {
		return id
	}
	return id[:3] + "000" + id[3:]
}

// labelsOf returns the names under which rule texts mention an element.
func (ix *index) labelsOf(id string) []string {
	ns := ix.byID[id]
	if len(ns) == 0 && ix.xdf3 {
		ns = ix.byID[xdf2to3(id)]
	}
	if len(ns) == 0 {
		return nil
	}
	e := ns[0].el
	return []string{e.Name, e.BezeichnungEingabe, e.BezeichnungAusgabe}
}

// dataFields returns the fields below n that carry data, in document order.
func dataFields(n *node) []*node {
	var out []*node
	var walk func(*node)
	walk = func(c *node) {
		for _, k := range c.children {
			if k.el.Kind == form.KindField {
				if k.el.Feldart != form.FeldartLabel {
					out = append(out, k)
				}
				continue
			}
			walk(k)
		}
	}
	walk(n)
	return out
}

func lastID(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
