package journey

import (
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/antrag/antrag/internal/form"
)

// FormValues is the inverse of ParseStep: the form fields a browser posts
// for step when the citizen enters the values of doc on it. File fields are
// returned separately, by input name, as the FileRefs in doc; a client
// uploads files for them. It serves end-to-end tests and clients that fill
// the HTML journey.
func (f *Form) FormValues(step *Step, doc map[string]any) (url.Values, map[string][]form.FileRef) {
	v := url.Values{}
	files := map[string][]form.FileRef{}
	if ch := step.Choice; ch != nil {
		switch given := ch.Given(doc); {
		case len(given) > 0 && ch.Alternatives():
			v.Set(ch.Input(), given[0].Key)
		case len(given) > 0:
			v.Set(ch.Input(), "ja")
		case !ch.Alternatives():
			v.Set(ch.Input(), "nein")
		}
		return v, files
	}
	obj := step.Object(doc, false)
	for i := range step.Children {
		encodeChild(v, files, step.Parent, &step.Children[i], valueOf(obj, step.Children[i].Element.ID))
	}
	return v, files
}

func encodeChild(v url.Values, files map[string][]form.FileRef, p form.Path, c *form.Child, val any) {
	e := c.Element
	if !e.CarriesData() {
		return
	}
	kp := p.Key(e.ID)
	w := WidgetOf(e, c.Anzahl)
	if w == WFile {
		files[kp.String()] = fileRefs(val)
		return
	}
	if !c.Anzahl.Repeats() {
		encodeOne(v, files, kp, c, val)
		return
	}
	arr, _ := val.([]any)
	if e.Kind == form.KindField && e.HasCodes() {
		for _, x := range arr {
			if s, ok := x.(string); ok {
				v.Add(kp.String(), s)
			}
		}
		return
	}
	v.Set(kp.String()+"#n", strconv.Itoa(len(arr)))
	for i, x := range arr {
		ip := kp.Index(i)
		if e.Kind == form.KindGroup {
			m, _ := x.(map[string]any)
			for j := range e.Struktur {
				encodeChild(v, files, ip, &e.Struktur[j], valueOf(m, e.Struktur[j].Element.ID))
			}
			continue
		}
		encodeScalar(v, ip, e, c.Anzahl, x)
	}
}

func encodeOne(v url.Values, files map[string][]form.FileRef, kp form.Path, c *form.Child, val any) {
	e := c.Element
	if e.Kind == form.KindGroup {
		m, _ := val.(map[string]any)
		for j := range e.Struktur {
			encodeChild(v, files, kp, &e.Struktur[j], valueOf(m, e.Struktur[j].Element.ID))
		}
		return
	}
	encodeScalar(v, kp, e, c.Anzahl, val)
}

func encodeScalar(v url.Values, p form.Path, e *form.Element, a form.Anzahl, val any) {
	name := p.String()
	switch WidgetOf(e, a) {
	case WLabel, WHidden, WReadonly:
		return
	case WCheckbox:
		v.Set(name+"#da", "1")
		if b, _ := val.(bool); b {
			v.Set(name, "true")
		}
		return
	case WDate, WDateTime:
		s, _ := val.(string)
		if len(s) >= 10 {
			v.Set(name+".tag", s[8:10])
			v.Set(name+".monat", s[5:7])
			v.Set(name+".jahr", s[0:4])
		}
		if WidgetOf(e, a) == WDateTime && len(s) >= 16 {
			v.Set(name+".zeit", s[11:16])
		}
		return
	}
	switch x := val.(type) {
	case nil:
	case bool:
		v.Set(name, strconv.FormatBool(x))
	case json.Number:
		v.Set(name, FormatNumber(x.String(), e.Datentyp == form.DatentypNumCurrency))
	case string:
		v.Set(name, x)
	}
}
