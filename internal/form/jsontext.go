package form

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// TextError is returned by DecodeData for a document whose text cannot be
// read as written: bytes that are not UTF-8, or a \u escape of a lone
// UTF-16 surrogate ("\ud800"). encoding/json would replace both with
// U+FFFD silently; antrag refuses them instead. Path is where the bad
// string is (the object holding it when the string is a key), Offset its
// byte offset in the document.
type TextError struct {
	Path   Path
	Offset int64
	Key    bool // the bad string is an object key
}

func (e *TextError) Error() string {
	where := "an der Stelle " + e.Path.String()
	if len(e.Path) == 0 {
		where = "auf oberster Ebene"
	}
	what := "ein Text"
	if e.Key {
		what = "ein Schlüssel"
	}
	return fmt.Sprintf("Datendokument: %s %s (Byte %d) ist keine gültige UTF-8-Zeichenfolge oder enthält ein einzelnes UTF-16-Ersatzzeichen (z. B. \\ud800)", what, where, e.Offset)
}

// Problem returns the error as a field-level problem at its path.
func (e *TextError) Problem(s *Schema) Problem {
	msg := "Diese Angabe enthält Zeichen, die nicht als Text lesbar sind (keine gültige UTF-8-Kodierung oder ein einzelnes UTF-16-Ersatzzeichen)."
	if el := s.ElementAt(e.Path); el != nil && !e.Key {
		msg = msgEncoding(el)
	}
	return Problem{Path: e.Path.String(), Code: CodeEncoding, Message: msg}
}

// ElementAt returns the element at the key path p (indexes ignored), or
// nil for a path the schema does not know.
func (s *Schema) ElementAt(p Path) *Element {
	cs := s.Struktur
	var found *Element
	for _, seg := range p {
		if seg.Key == "" {
			continue
		}
		found = nil
		for j := range cs {
			if cs[j].Element.ID == seg.Key {
				found = cs[j].Element
				break
			}
		}
		if found == nil {
			return nil
		}
		cs = found.Struktur
	}
	return found
}

// badText returns the offset of the first string literal in the JSON text
// b that holds invalid UTF-8 or a \u escape of a lone surrogate, or -1.
// It reads strings only; b's syntax is left to encoding/json.
func badText(b []byte) int {
	in := false
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if !in {
			if c == '"' {
				in, start = true, i
			}
			i++
			continue
		}
		switch {
		case c == '"':
			in = false
			i++
		case c == '\\':
			if i+1 < len(b) && b[i+1] == 'u' {
				r, ok := hex4(b, i+2)
				if ok && r >= 0xD800 && r <= 0xDBFF {
					// A high surrogate needs a low one right after it.
					if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
						if r2, ok := hex4(b, i+8); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
							i += 12
							continue
						}
					}
					return start
				}
				if ok && r >= 0xDC00 && r <= 0xDFFF {
					return start
				}
				i += 2
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				return start
			}
			i += n
		}
	}
	return -1
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// checkText returns a *TextError for the first unreadable string of the
// JSON text b, nil if there is none (or b is no valid JSON: the decoder
// reports that).
func checkText(b []byte) error {
	off := badText(b)
	if off < 0 {
		return nil
	}
	// Walk the tokens to the string at off to learn its path.
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	type frame struct {
		obj     bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	path := func() Path {
		var p Path
		for _, f := range stack {
			if f.obj {
				if !f.wantKey {
					p = p.Key(f.key)
				}
			} else {
				p = p.Index(f.index)
			}
		}
		return p
	}
	// afterValue moves the innermost container on past one value.
	afterValue := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return &TextError{Offset: int64(off)}
		}
		after := d.InputOffset()
		if _, isStr := tok.(string); isStr && int64(off) >= before && int64(off) < after {
			n := len(stack)
			isKey := n > 0 && stack[n-1].obj && stack[n-1].wantKey
			return &TextError{Path: path(), Offset: int64(off), Key: isKey}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{obj: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			afterValue()
		default:
			afterValue()
		}
	}
}
