package fim

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound the resources one import may take. The zero value means the
// defaults.
type Limits struct {
	MaxBytes    int64 // size of the document; default DefaultMaxBytes
	MaxDepth    int   // XML element nesting; default DefaultMaxDepth
	MaxElements int   // XML elements in the document; default DefaultMaxElements
}

// Default limits. The largest real Stammdatenschema known (S05000001323) has
// 1.4 MB, 35 000 elements and an XML depth of 25. The element limit bounds
// the memory an import takes (about 150 bytes per element).
const (
	DefaultMaxBytes    = 32 << 20
	DefaultMaxDepth    = 256
	DefaultMaxElements = 500_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	return l
}

// node is one XML element of the document, with its text and children.
// Mapping marks the nodes and attributes it takes over, so that whatever it
// leaves can be reported instead of being dropped silently.
type node struct {
	space, name string
	attrs       []xml.Attr
	text        string
	kids        []*node
	line        int

	used     bool
	attrUsed []bool
}

// child returns the first child with the local name, marked as used.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			k.used = true
			return k
		}
	}
	return nil
}

// children returns all children with the local name, marked as used.
func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			k.used = true
			out = append(out, k)
		}
	}
	return out
}

// childText returns the trimmed text of the first child with the name.
func (n *node) childText(name string) string {
	if c := n.child(name); c != nil {
		return c.value()
	}
	return ""
}

// value returns the trimmed text of the node, marking it used.
func (n *node) value() string {
	n.used = true
	return strings.TrimSpace(n.text)
}

// code returns the value of a code-typed element: the text of its child
// "code" (the element's listURI and listVersionID attributes name the code
// list and are taken as read).
func (n *node) code() string {
	n.used = true
	n.attr("listURI")
	n.attr("listVersionID")
	return n.childText("code")
}

// attr returns the value of the attribute with the local name, marked used.
func (n *node) attr(name string) string {
	for i, a := range n.attrs {
		if a.Name.Local == name {
			n.attrUsed[i] = true
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// treeReader builds the node tree from a byte stream, enforcing Limits.
// For XDatenfelder 2 and 3.0.0 it checks the structure in the same pass
// (see checker); lenient turns every structural violation into a warning.
type treeReader struct {
	limits  Limits
	lenient bool

	check *checker // set once the root element names a checked version
}

// errTooLarge is returned, with the limit, for a document above MaxBytes.
var errTooLarge = errors.New("Dokument zu groß")

type limitedReader struct {
	r     io.Reader
	n     int64 // bytes left
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("%w: mehr als %d Bytes (Grenze für XDatenfelder-Dokumente)", errTooLarge, l.limit)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// read parses the whole document. Errors are *lineError with the line where
// the parser stopped, or where the structure is wrong.
func (t *treeReader) read(r io.Reader) (*node, error) {
	lim := t.limits.withDefaults()
	d := xml.NewDecoder(bufio.NewReaderSize(&limitedReader{r: r, n: lim.MaxBytes + 1, limit: lim.MaxBytes}, 64<<10))
	d.Strict = true
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("Zeichenkodierung %q wird nicht unterstützt; FIM-Dokumente sind UTF-8", label)
	}
	var (
		root     *node
		stack    []*node
		text     strings.Builder
		elements int
		// The position after the previous token is where the next one
		// starts.
		line, col = 1, 1
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
				err = errors.New(se.Msg)
			}
			return nil, &lineError{line: line, err: fmt.Errorf("XML nicht lesbar: %w", err)}
		}
		startLine, startCol := line, col
		line, col = d.InputPos()
		switch tok := tok.(type) {
		case xml.StartElement:
			line := startLine
			if len(stack) >= lim.MaxDepth {
				return nil, &lineError{line: line, err: fmt.Errorf("Verschachtelung tiefer als %d Ebenen", lim.MaxDepth)}
			}
			if elements++; elements > lim.MaxElements {
				return nil, &lineError{line: line, err: fmt.Errorf("mehr als %d XML-Elemente", lim.MaxElements)}
			}
			n := &node{space: tok.Name.Space, name: tok.Name.Local, line: line}
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				if a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" {
					continue // xsi:schemaLocation and the like describe the file, not the schema
				}
				n.attrs = append(n.attrs, a)
			}
			n.attrUsed = make([]bool, len(n.attrs))
			if len(stack) == 0 {
				if root != nil {
					return nil, &lineError{line: line, err: errors.New("mehr als ein Wurzelelement")}
				}
				root = n
				t.check = newChecker(n.space, n.name, t.lenient)
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			if t.check != nil {
				if err := t.check.start(tok.Name, n.attrs, startLine, startCol); err != nil {
					return nil, err
				}
			}
			stack = append(stack, n)
			text.Reset()
		case xml.EndElement:
			n := stack[len(stack)-1]
			if len(n.kids) == 0 {
				n.text = text.String()
			}
			text.Reset()
			stack = stack[:len(stack)-1]
			if t.check != nil {
				if err := t.check.end(n.text); err != nil {
					return nil, err
				}
			}
		case xml.CharData:
			if len(stack) > 0 && len(stack[len(stack)-1].kids) == 0 {
				text.Write(tok)
			}
			if t.check != nil {
				if err := t.check.text(tok, startLine, startCol); err != nil {
					return nil, err
				}
			}
		}
	}
	if root == nil {
		return nil, &lineError{line: 1, err: errors.New("kein XML-Element gefunden")}
	}
	return root, nil
}

// lineError is an error at a line (and, if known, column) of the source
// document.
type lineError struct {
	line, col int
	err       error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }
