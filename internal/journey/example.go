package journey

import (
	"time"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
)

// Example returns a data document that passes the schema and the rules for
// the context: the schema's example (form.Schema.Example), with the values
// of hidden elements removed, rule-required elements filled, and values
// that break a rule's validation removed or, for a required date, moved
// later. It serves demos and tests that fill a service end to end.
func (f *Form) Example(ctx rules.Context) map[string]any {
	doc := f.Schema.Example()
	for range 50 {
		ps, clean := f.Rules.Validate(doc, ctx)
		doc = clean
		if len(ps) == 0 {
			return doc
		}
		changed := false
		for _, p := range ps {
			if f.repair(doc, p) {
				changed = true
			}
		}
		if !changed {
			return doc
		}
	}
	return doc
}

// repair changes doc so that problem p goes away; it reports whether it
// changed anything.
func (f *Form) repair(doc map[string]any, p form.Problem) bool {
	path := form.ParsePath(p.Path)
	c := f.childAt(path)
	if c == nil {
		return false
	}
	parent, key := locate(doc, keyPath(path), true)
	if parent == nil {
		return false
	}
	switch p.Code {
	case form.CodeRequired:
		if _, present := parent[key]; present && path[len(path)-1].Key != "" {
			return false
		}
		parent[key] = form.ExampleValue(keyPath(path), c)
		return true
	case "rule":
		if !c.Required() {
			if _, present := parent[key]; present {
				delete(parent, key)
				return true
			}
		}
		if s, ok := parent[key].(string); ok && c.Element.Datentyp == form.DatentypDate {
			if t, ok := form.ParseDate(s); ok {
				parent[key] = t.Add(24 * time.Hour).Format(time.DateOnly)
				return true
			}
		}
	}
	return false
}

// keyPath drops a trailing index: the path of the element's key.
func keyPath(p form.Path) form.Path {
	if len(p) > 0 && p[len(p)-1].Key == "" {
		return p[:len(p)-1]
	}
	return p
}

// childAt finds the struktur entry of the element at a path.
func (f *Form) childAt(p form.Path) *form.Child {
	children := f.Schema.Struktur
	var found *form.Child
	for _, s := range p {
		if s.Key == "" {
			continue
		}
		found = nil
		for i := range children {
			if children[i].Element.ID == s.Key {
				found = &children[i]
				break
			}
		}
		if found == nil {
			return nil
		}
		children = found.Element.Struktur
	}
	return found
}
