package web

import (
	"strings"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/journey"
)

// The choices of a field (a select's options, a group of radios or
// checkboxes) are written here rather than by template actions: a code
// list may have hundreds of values, and three template actions per value
// were most of a step page's cost. Every value written is escaped by
// escapeHTML as html/template escapes it in the text and quoted-attribute
// contexts these values stand in; the markup around them is constant.

// selectOptions writes the <option> elements of the select field it, one
// per line, after its "Bitte auswählen".
func (w *itemWriter) selectOptions(it *journey.Item) {
	b := w.b
	for _, o := range it.Options {
		b.WriteString(`<option value="`)
		b.WriteString(escapeHTML(o.Value))
		b.WriteByte('"')
		if o.Selected {
			b.WriteString(` selected`)
		}
		if it.Locked && !o.Selected {
			b.WriteString(` disabled`)
		}
		b.WriteByte('>')
		b.WriteString(escapeHTML(o.Label))
		b.WriteString("</option>\n      ")
	}
}

// choiceOptions writes the inputs of the radio group or checkbox group
// it, each in its KERN form-check with its label; kind is "radio" or
// "checkbox".
func (w *itemWriter) choiceOptions(it *journey.Item, kind string) {
	if kind != "radio" {
		kind = "checkbox"
	}
	b := w.b
	for _, o := range it.Options {
		id := escapeHTML(o.ID)
		b.WriteString("\n    <div class=\"kern-form-check")
		if it.Error != "" {
			b.WriteString(" kern-form-check--error")
		}
		b.WriteString("\">\n      <input class=\"kern-form-check__")
		b.WriteString(kind)
		if it.Error != "" {
			b.WriteString(" kern-form-check__")
			b.WriteString(kind)
			b.WriteString("--error")
		}
		b.WriteString(`" type="`)
		b.WriteString(kind)
		b.WriteString(`" id="`)
		b.WriteString(id)
		b.WriteString(`" name="`)
		b.WriteString(escapeHTML(it.Name))
		b.WriteString(`" value="`)
		b.WriteString(escapeHTML(o.Value))
		b.WriteByte('"')
		if o.Selected {
			b.WriteString(` checked`)
		}
		if kind == "radio" && it.Locked && !o.Selected {
			b.WriteString(` disabled`)
		}
		if kind == "checkbox" && it.Consent {
			b.WriteString(` data-einzeln`)
		}
		if it.Error != "" {
			b.WriteString(` aria-invalid="true"`)
		}
		b.WriteString(">\n      <label class=\"kern-label\" for=\"")
		b.WriteString(id)
		b.WriteString(`">`)
		b.WriteString(escapeHTML(o.Label))
		b.WriteString("</label>\n    </div>\n  ")
	}
}

// escapeHTML escapes s for HTML text and for a double-quoted attribute
// value as html/template's HTML escaper does: " & ' + < > as character
// references (+ against UTF-7 sniffing) and NUL as U+FFFD.
func escapeHTML(s string) string {
	i := strings.IndexAny(s, "\"&'+<>\x00")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch r {
		case '"':
			b.WriteString("&#34;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '+':
			b.WriteString("&#43;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case 0:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
