package form

import (
	"strconv"
	"strings"
)

// Path addresses a value in a data document: element ids without version,
// and 0-based indexes into repeated elements. Its string form is dotted, as
// FIM rules write paths, with indexes in brackets:
// "G60000000086.F60000000243" or "G00000001[1].F00000002".
type Path []PathStep

// PathStep is one step of a Path: a key, or an index when Key is empty.
type PathStep struct {
	Key   string
	Index int
}

// ValueAt returns the value at p in a data document, or nil where the
// document has none (a missing key, an index past the end, or a step
// through a value that is not a group or a list).
func ValueAt(doc map[string]any, p Path) any {
	var cur any = doc
	for _, s := range p {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[s.Key]
		case []any:
			if s.Key != "" || s.Index >= len(c) {
				return nil
			}
			cur = c[s.Index]
		default:
			return nil
		}
	}
	return cur
}

// Key returns a new path extended by an element id.
func (p Path) Key(id string) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, PathStep{Key: id})
}

// Index returns a new path extended by an array index.
func (p Path) Index(i int) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, PathStep{Index: i})
}

// String formats the path as "G1[0].F2".
func (p Path) String() string {
	switch len(p) {
	case 0:
		return ""
	case 1:
		if p[0].Key != "" {
			return p[0].Key
		}
	}
	n := 0
	for _, s := range p {
		n += len(s.Key) + 4
	}
	b := make([]byte, 0, n)
	for i, s := range p {
		if s.Key == "" {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.Index), 10)
			b = append(b, ']')
			continue
		}
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, s.Key...)
	}
	return string(b)
}

// ParsePath reads the string form of a path ("G1[0].F2") back; what is
// not a key or a bracketed index is left out.
func ParsePath(s string) Path {
	var p Path
	for _, part := range strings.Split(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			p = p.Key(key)
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if err != nil {
				break
			}
			p = p.Index(n)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p
}

// pointerEscaper escapes a JSON Pointer's reference token (RFC 6901,
// section 3).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Pointer formats the path as a JSON Pointer (RFC 6901), "/G1/0/F2".
func (p Path) Pointer() string {
	var b strings.Builder
	for _, s := range p {
		b.WriteByte('/')
		if s.Key == "" {
			b.WriteString(strconv.Itoa(s.Index))
		} else {
			b.WriteString(pointerEscaper.Replace(s.Key))
		}
	}
	return b.String()
}
