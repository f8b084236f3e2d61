package web

import (
	"bytes"
	"html/template"
	"strconv"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
)

// The inputs of a step page (its groups, repeated elements and fields) are
// written by stepItems rather than by template actions: one template
// action per attribute made the template most of a step's cost. The
// markup is that of the KERN UX form components, as the step template
// had it (testdata/step_items_reference.html, which a test compares it
// with). Every value is escaped by escapeHTML (options.go) as html/template
// escapes it in the text and double-quoted attribute contexts where the
// values stand; everything else written is constant.

// stepItems returns the markup of a step's items.
func stepItems(items []*journey.Item) template.HTML {
	b := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(b)
	w := itemWriter{b: b}
	for _, it := range items {
		w.item(it)
	}
	return template.HTML(b.String())
}

type itemWriter struct{ b *bytes.Buffer }

func (w *itemWriter) s(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

// e writes v escaped.
func (w *itemWriter) e(v string) { w.b.WriteString(escapeHTML(v)) }

// when writes s if cond.
func (w *itemWriter) when(cond bool, s string) {
	if cond {
		w.b.WriteString(s)
	}
}

func (w *itemWriter) item(it *journey.Item) {
	switch it.Kind {
	case "group":
		w.fieldsetOpen(it, "kern-fieldset app-group", it.Box, true)
		w.legend(it)
		w.hint(it)
		w.s(`<div class="kern-fieldset__body">`)
		for _, c := range it.Children {
			w.item(c)
		}
		w.s("</div>\n")
		w.fieldError(it)
		w.s("</fieldset>\n")
	case "repeat":
		w.fieldsetOpen(it, "kern-fieldset app-repeat", it.Box, true)
		w.legend(it)
		w.hint(it)
		w.s(`<input type="hidden" name="`)
		w.e(it.Name)
		w.s(`#n" value="`, strconv.Itoa(len(it.Children)), "\">\n", `<div class="kern-fieldset__body">`, "\n")
		for _, en := range it.Children {
			w.s(`<fieldset class="kern-fieldset app-entry" id="`)
			w.e(en.Box)
			w.s("\">\n", `<legend class="kern-label">`)
			w.e(en.EntryLabel)
			w.s("</legend>\n", `<div class="kern-fieldset__body">`)
			for _, c := range en.Children {
				w.item(c)
			}
			w.s("</div>\n")
			if en.CanRemove {
				w.s(`<button type="submit" name="aktion" value="remove:`)
				w.e(en.Name)
				w.s(`" class="kern-btn kern-btn--secondary kern-btn--x-small"><span class="kern-label">`)
				w.e(en.EntryLabel)
				w.s(" entfernen</span></button>\n")
			}
			w.s("</fieldset>\n")
		}
		if len(it.Children) == 0 {
			w.s(`<p class="kern-body kern-body--small">Noch keine Angaben.</p>`, "\n")
		}
		w.s("</div>\n")
		if it.CanAdd {
			w.s(`<button type="submit" name="aktion" value="add:`)
			w.e(it.Name)
			w.s(`" class="kern-btn kern-btn--secondary"><span class="kern-label">`)
			w.e(it.Label)
			w.s(" hinzufügen</span></button>\n")
		}
		w.fieldError(it)
		w.s("</fieldset>\n")
	default:
		w.field(it)
	}
}

// fieldsetOpen writes a fieldset's start tag; focusable: it takes focus
// from the error summary (tabindex -1, not in the tab order).
func (w *itemWriter) fieldsetOpen(it *journey.Item, class, id string, focusable bool) {
	w.s(`<fieldset class="`, class)
	w.when(it.Error != "", " kern-fieldset--error")
	w.s(`" id="`)
	w.e(id)
	w.s(`"`)
	w.when(focusable, ` tabindex="-1"`)
	w.hidden(it)
	w.describedBy(it)
	w.s(">\n")
}

func (w *itemWriter) hidden(it *journey.Item) { w.when(it.Hidden, " hidden") }

// describedBy writes aria-describedby if the item has a hint, a proof
// note or an error.
func (w *itemWriter) describedBy(it *journey.Item) {
	if it.Hint == "" && it.Error == "" && !it.Proved {
		return
	}
	w.s(` aria-describedby="`)
	w.describedByIDs(it)
	w.s(`"`)
}

func (w *itemWriter) describedByIDs(it *journey.Item) {
	id := escapeHTML(it.ID)
	w.when(it.Hint != "", id+"-hint")
	w.when(it.Proved, " "+id+"-nachweis")
	w.when(it.Error != "", " "+id+"-error")
}

func (w *itemWriter) legend(it *journey.Item) {
	w.s(`<legend class="kern-label">`)
	w.e(it.Label)
	w.optional(it)
	w.s("</legend>\n")
}

// optional writes the "Optional" mark of a field the citizen may leave
// empty; one that a rule requires now keeps it hidden, for the browser
// to show when the rule no longer holds.
func (w *itemWriter) optional(it *journey.Item) {
	if !it.Required {
		w.s(` <span class="kern-label__optional">- Optional</span>`)
	} else if it.RuleRequired {
		w.s(`<span class="kern-label__optional" hidden> - Optional</span>`)
	}
}

func (w *itemWriter) hint(it *journey.Item) {
	if it.Hint != "" {
		w.s(`<div class="kern-hint" id="`)
		w.e(it.ID)
		w.s(`-hint">`)
		w.e(it.Hint)
		w.s("</div>")
	}
	// A value the citizen's login proved (prefill): said in text, and
	// locked where the schema demands it (the server keeps it anyway).
	if it.Proved {
		w.s(`<div class="kern-hint app-proved" id="`)
		w.e(it.ID)
		w.s(`-nachweis">Aus Ihrem Nutzerkonto übernommen`)
		w.when(it.Locked, "; diese Angabe kann hier nicht geändert werden")
		w.s(".</div>")
	}
	w.s("\n")
}

func (w *itemWriter) fieldError(it *journey.Item) {
	if it.Error == "" {
		return
	}
	w.s(`<p class="kern-error" id="`)
	w.e(it.ID)
	w.s(`-error"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><span class="kern-body">`)
	w.e(it.Error)
	w.s("</span></p>\n")
}

// invalid writes aria-invalid for an item with an error.
func (w *itemWriter) invalid(it *journey.Item) { w.when(it.Error != "", ` aria-invalid="true"`) }

// inputClass writes a KERN input class with its error modifier.
func (w *itemWriter) inputClass(it *journey.Item, class string) {
	w.s(class)
	w.when(it.Error != "", " "+class+"--error")
}

func (w *itemWriter) field(it *journey.Item) {
	switch {
	case it.Widget == journey.WHidden:
	case it.Widget == journey.WLabel:
		w.s(`<div class="app-note" id="`)
		w.e(it.Box)
		w.s(`"`)
		w.hidden(it)
		w.s(`><p class="kern-body"><strong>`)
		w.e(it.Label)
		w.s("</strong>")
		if it.ReadOnly != "" {
			w.s("<br>")
			w.e(it.ReadOnly)
		}
		w.s("</p>")
		w.hint(it)
		w.s("</div>\n")
	case it.Widget == journey.WReadonly:
		w.s(`<div class="kern-form-input" id="`)
		w.e(it.Box)
		w.s(`" role="group" aria-labelledby="`)
		w.e(it.ID)
		w.s(`-label"`)
		w.hidden(it)
		w.s(">\n", `<p class="kern-label" id="`)
		w.e(it.ID)
		w.s(`-label">`)
		w.e(it.Label)
		w.s("</p>\n", `<p class="kern-body app-readonly">`)
		if it.ReadOnly != "" {
			w.e(it.ReadOnly)
		} else {
			w.s("–")
		}
		w.s("</p>\n</div>\n")
	case it.Widget == journey.WRadios || it.Widget == journey.WYesNo:
		w.fieldsetOpen(it, "kern-fieldset", it.Box, false)
		w.legend(it)
		w.hint(it)
		w.s(`<div class="kern-fieldset__body`)
		w.when(it.Widget == journey.WYesNo, " kern-fieldset__body--horizontal")
		w.s(`">`)
		w.choiceOptions(it, "radio")
		w.s("</div>\n")
		w.fieldError(it)
		w.s("</fieldset>\n")
	case it.Widget == journey.WCheckbox && len(it.Options) > 0:
		w.fieldsetOpen(it, "kern-fieldset", it.Box, false)
		w.legend(it)
		w.hint(it)
		w.s(`<div class="kern-fieldset__body">`)
		w.choiceOptions(it, "checkbox")
		w.s("</div>\n")
		w.fieldError(it)
		w.s("</fieldset>\n")
	case it.Widget == journey.WCheckbox:
		w.checkbox(it)
	case it.Widget == journey.WDate || it.Widget == journey.WDateTime:
		w.date(it)
	case it.Widget == journey.WFile:
		w.file(it)
	case it.Widget == journey.WSelect:
		w.inputOpen(it)
		w.s(`<div class="kern-form-input__select-wrapper">`, "\n", `<select class="`)
		w.inputClass(it, "kern-form-input__select")
		w.s(`" id="`)
		w.e(it.ID)
		w.s(`" name="`)
		w.e(it.Name)
		w.s(`"`)
		w.autocomplete(it.Autocomplete)
		w.describedBy(it)
		w.invalid(it)
		w.s(">\n", `<option value=""`)
		w.when(it.Locked, " disabled")
		w.s(">Bitte auswählen</option>\n")
		w.selectOptions(it)
		w.s("</select>\n</div>\n")
		w.fieldError(it)
		w.s("</div>\n")
	case len(it.Inputs) > 0:
		w.repeatedInputs(it)
	default:
		w.inputOpen(it)
		if it.Widget == journey.WTextarea {
			w.s(`<textarea class="`)
			w.inputClass(it, "kern-form-input__input")
			w.s(`" id="`)
			w.e(it.ID)
			w.s(`" name="`)
			w.e(it.Name)
			w.s(`" rows="5"`)
			w.when(it.Locked, " readonly")
			w.autocomplete(it.Autocomplete)
			w.describedBy(it)
			w.invalid(it)
			w.s(">")
			w.e(it.Value)
			w.s("</textarea>\n")
		} else {
			w.s(`<input class="`)
			w.inputClass(it, "kern-form-input__input")
			w.when(it.Widget == journey.WTime, " kern-form-input__input--width-4")
			w.s(`" id="`)
			w.e(it.ID)
			w.s(`" name="`)
			w.e(it.Name)
			w.s(`" type="text" value="`)
			w.e(it.Value)
			w.s(`"`)
			w.when(it.Locked, " readonly")
			w.when(it.Widget == journey.WNumber, ` inputmode="decimal"`)
			w.when(it.Widget == journey.WTime, ` inputmode="numeric" placeholder="hh:mm"`)
			w.autocomplete(it.Autocomplete)
			w.describedBy(it)
			w.invalid(it)
			w.s(">\n")
		}
		w.fieldError(it)
		w.s("</div>\n")
	}
}

// inputOpen writes the start of a KERN form input with its label and
// hint.
func (w *itemWriter) inputOpen(it *journey.Item) {
	w.s(`<div class="kern-form-input`)
	w.when(it.Error != "", " kern-form-input--error")
	w.s(`" id="`)
	w.e(it.Box)
	w.s(`"`)
	w.hidden(it)
	w.s(">\n")
	w.label(it)
	w.hint(it)
}

func (w *itemWriter) label(it *journey.Item) {
	w.s(`<label class="kern-label" for="`)
	w.e(it.ID)
	w.s(`">`)
	w.e(it.Label)
	w.optional(it)
	w.s("</label>\n")
}

func (w *itemWriter) autocomplete(a string) {
	if a != "" {
		w.s(` autocomplete="`)
		w.e(a)
		w.s(`"`)
	}
}

// checkbox writes a single checkbox: an optional bool, or one that may
// repeat (Anzahl 0:n), then one checkbox for its first entry, posted under
// the entry's name as the server reads repeated fields.
func (w *itemWriter) checkbox(it *journey.Item) {
	name, id, checked := it.Name, it.ID, it.Checked
	if len(it.Inputs) > 0 {
		name, id, checked = it.Inputs[0].Name, it.Inputs[0].ID, it.Inputs[0].Value == "true"
	}
	w.s(`<div class="kern-form-check`)
	w.when(it.Error != "", " kern-form-check--error")
	w.s(` app-single-check" id="`)
	w.e(it.Box)
	w.s(`"`)
	w.hidden(it)
	w.s(">\n")
	if len(it.Inputs) > 0 {
		w.s(`<input type="hidden" name="`)
		w.e(it.Name)
		w.s(`#n" value="1">`, "\n")
	}
	w.s(`<input type="hidden" name="`)
	w.e(name)
	w.s(`#da" value="1">`, "\n", `<input class="`)
	w.inputClass(it, "kern-form-check__checkbox")
	w.s(`" type="checkbox" id="`)
	w.e(id)
	w.s(`" name="`)
	w.e(name)
	w.s(`" value="true"`)
	w.when(checked, " checked")
	w.describedBy(it)
	w.invalid(it)
	w.s(">\n", `<label class="kern-label" for="`)
	w.e(id)
	w.s(`">`)
	w.e(it.Label)
	w.optional(it)
	w.s("</label>\n")
	w.hint(it)
	w.fieldError(it)
	w.s("</div>\n")
}

// date writes a date (and time) as the day, month and year inputs of the
// KERN date pattern.
func (w *itemWriter) date(it *journey.Item) {
	w.s(`<fieldset class="kern-fieldset`)
	w.when(it.Error != "", " kern-fieldset--error")
	w.s(`" id="`)
	w.e(it.Box)
	w.s(`"`)
	w.hidden(it)
	w.s(` aria-describedby="`)
	w.e(it.ID)
	w.s("-format")
	w.when(it.Hint != "", " "+escapeHTML(it.ID)+"-hint")
	w.when(it.Proved, " "+escapeHTML(it.ID)+"-nachweis")
	w.when(it.Error != "", " "+escapeHTML(it.ID)+"-error")
	w.s("\">\n")
	w.legend(it)
	w.hint(it)
	w.s(`<div class="kern-hint" id="`)
	w.e(it.ID)
	w.s(`-format">Zum Beispiel: 27 3 2007</div>`, "\n", `<div class="kern-fieldset__body kern-fieldset__body--horizontal">`, "\n")
	part := func(suffix, label, width, auto, maxlen, value string) {
		w.s(`<div class="kern-form-input"><label class="kern-label" for="`)
		w.e(it.ID)
		w.s("-", suffix, `">`, label, "</label>\n", `<input class="`)
		w.s("kern-form-input__input kern-form-input__input--width-", width)
		w.when(it.Error != "", " kern-form-input__input--error")
		w.s(`" id="`)
		w.e(it.ID)
		w.s("-", suffix, `" name="`)
		w.e(it.Name)
		w.s(".", suffix, `" type="text" inputmode="numeric"`)
		w.when(it.Locked, " readonly")
		if auto != "" && it.Autocomplete == "bday" {
			w.s(` autocomplete="`, auto, `"`)
		}
		if maxlen != "" {
			w.s(` maxlength="`, maxlen, `"`)
		}
		w.s(` value="`)
		w.e(value)
		w.s(`"`)
		w.invalid(it)
		w.s("></div>\n")
	}
	part("tag", "Tag", "2", "bday-day", "2", it.Day)
	part("monat", "Monat", "2", "bday-month", "2", it.Month)
	part("jahr", "Jahr", "4", "bday-year", "4", it.Year)
	if it.Widget == journey.WDateTime {
		part("zeit", "Uhrzeit", "4", "", "", it.Time)
	}
	w.s("</div>\n")
	w.fieldError(it)
	w.s("</fieldset>\n")
}

// file writes an upload. The question is the group's name (role group,
// labelled by the label or, once no file may be added and the input is
// gone, by the same text without "for"), so that the uploaded files and
// their remove buttons belong to it. The list takes focus from the error
// summary when it is the field's only part left.
func (w *itemWriter) file(it *journey.Item) {
	id := escapeHTML(it.ID)
	w.s(`<div class="kern-form-input`)
	w.when(it.Error != "", " kern-form-input--error")
	w.s(` app-file" id="`)
	w.e(it.Box)
	w.s(`" role="group" aria-labelledby="`, id, `-label"`)
	w.hidden(it)
	w.s(">\n")
	if it.CanAdd {
		w.s(`<label class="kern-label" id="`, id, `-label" for="`, id, `">`)
	} else {
		w.s(`<p class="kern-label" id="`, id, `-label">`)
	}
	w.e(it.Label)
	w.optional(it)
	if it.CanAdd {
		w.s("</label>\n")
	} else {
		w.s("</p>\n")
	}
	w.hint(it)
	w.s(`<div class="kern-hint" id="`, id, `-limits">Erlaubt: `)
	w.e(mediaNames(it.Accept))
	w.s(", höchstens ")
	w.e(form.HumanSize(it.MaxSize))
	w.s(" je Datei.</div>\n")
	if len(it.Files) > 0 {
		w.s(`<ul class="kern-list app-files" id="`, id, `-dateien" aria-label="Hochgeladene Dateien"`)
		if !it.CanAdd {
			w.s(` tabindex="-1"`)
			w.describedBy(it)
		}
		w.s(">\n")
		for _, f := range it.Files {
			w.s("<li>")
			w.e(f.Filename)
			w.s(" (")
			w.e(f.Size)
			w.s(`) <button type="submit" name="aktion" value="removefile:`)
			w.e(f.AttachmentID)
			w.s(`" class="kern-btn kern-btn--tertiary kern-btn--x-small"><span class="kern-label">`)
			w.e(f.Filename)
			w.s(" entfernen</span></button></li>\n")
		}
		w.s("</ul>\n")
	}
	if it.CanAdd {
		w.s(`<input class="`)
		w.inputClass(it, "kern-form-input__input")
		w.s(`" id="`, id, `" name="`)
		w.e(it.Name)
		w.s(`" type="file" accept="`)
		w.e(it.Accept)
		w.s(`" aria-describedby="`, id, "-limits")
		w.when(len(it.Files) > 0, " "+id+"-dateien")
		w.when(it.Hint != "", " "+id+"-hint")
		w.when(it.Error != "", " "+id+"-error")
		w.s(`"`)
		w.invalid(it)
		w.s(">\n", `<p class="kern-body kern-body--small">Die Datei wird mit „Weiter“ hochgeladen.</p>`, "\n")
	}
	w.fieldError(it)
	w.s("</div>\n")
}

// repeatedInputs writes a simple field that may repeat as one numbered
// input per entry.
func (w *itemWriter) repeatedInputs(it *journey.Item) {
	w.fieldsetOpen(it, "kern-fieldset", it.Box, false)
	w.legend(it)
	w.hint(it)
	w.s(`<input type="hidden" name="`)
	w.e(it.Name)
	w.s(`#n" value="`, strconv.Itoa(len(it.Inputs)), "\">\n", `<div class="kern-fieldset__body">`, "\n")
	for i, in := range it.Inputs {
		w.s(`<div class="kern-form-input"><label class="kern-label" for="`)
		w.e(in.ID)
		w.s(`">`)
		w.e(it.Label)
		w.s(" ", strconv.Itoa(i+1), "</label>\n", `<input class="kern-form-input__input`)
		w.when(in.Invalid, " kern-form-input__input--error")
		w.s(`" id="`)
		w.e(in.ID)
		w.s(`" name="`)
		w.e(in.Name)
		w.s(`" type="text" value="`)
		w.e(in.Value)
		w.s(`"`)
		w.when(it.Widget == journey.WNumber, ` inputmode="decimal"`)
		w.autocomplete(in.Autocomplete)
		w.when(in.Invalid, ` aria-invalid="true"`)
		w.s("></div>\n")
	}
	w.s("</div>\n")
	w.fieldError(it)
	w.s("</fieldset>\n")
}
