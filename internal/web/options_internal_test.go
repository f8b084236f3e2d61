package web

import (
	"bytes"
	"html/template"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/journey"
)

// The choices as template actions wrote them before options.go: the
// reference the Go code must match byte for byte, escaping included.
const optionsReference = `{{define "select"}}{{$it := .}}{{range .Options}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}{{if and $it.Locked (not .Selected)}} disabled{{end}}>{{.Label}}</option>
      {{end}}{{end}}` +
	`{{define "radio"}}{{$it := .}}{{range .Options}}
    <div class="kern-form-check{{if $it.Error}} kern-form-check--error{{end}}">
      <input class="kern-form-check__radio{{if $it.Error}} kern-form-check__radio--error{{end}}" type="radio" id="{{.ID}}" name="{{$it.Name}}" value="{{.Value}}"{{if .Selected}} checked{{end}}{{if and $it.Locked (not .Selected)}} disabled{{end}}{{if $it.Error}} aria-invalid="true"{{end}}>
      <label class="kern-label" for="{{.ID}}">{{.Label}}</label>
    </div>
  {{end}}{{end}}` +
	`{{define "checkbox"}}{{$it := .}}{{range .Options}}
    <div class="kern-form-check{{if $it.Error}} kern-form-check--error{{end}}">
      <input class="kern-form-check__checkbox{{if $it.Error}} kern-form-check__checkbox--error{{end}}" type="checkbox" id="{{.ID}}" name="{{$it.Name}}" value="{{.Value}}"{{if .Selected}} checked{{end}}{{if $it.Consent}} data-einzeln{{end}}{{if $it.Error}} aria-invalid="true"{{end}}>
      <label class="kern-label" for="{{.ID}}">{{.Label}}</label>
    </div>
  {{end}}{{end}}`

func TestChoicesMatchTemplate(t *testing.T) {
	ref := template.Must(template.New("ref").Parse(optionsReference))
	hostile := []journey.Option{
		{Value: `a"b`, Label: `<script>alert(1)</script>`, ID: `x"><img src=x onerror=alert(1)>`},
		{Value: "ä & ö", Label: "Straße 'Nord' & <Süd>", ID: "f-1", Selected: true},
		{Value: "", Label: "", ID: "f-2"},
	}
	for _, it := range []*journey.Item{
		{Name: `G1.F1"<`, Options: hostile},
		{Name: "G1.F2", Options: hostile, Error: "Bitte wählen", Locked: true},
		{Name: "G1.F3", Options: hostile, Consent: true},
		{Name: "G1.F4"},
	} {
		for _, kind := range []string{"select", "radio", "checkbox"} {
			var want strings.Builder
			if err := ref.ExecuteTemplate(&want, kind, it); err != nil {
				t.Fatal(err)
			}
			w := itemWriter{b: new(bytes.Buffer)}
			if kind == "select" {
				w.selectOptions(it)
			} else {
				w.choiceOptions(it, kind)
			}
			if got := w.b.String(); got != want.String() {
				t.Errorf("%s of %q:\n got %s\nwant %s", kind, it.Name, got, want.String())
			}
		}
	}
}
