package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
)

// Both channels, the HTML journey and the JSON API, take the same data:
// what a citizen types into the form and what an integrator sends as JSON
// must reach the same verdict and be stored alike.

// paritySeed seeds the generator of TestHTMLAndAPIAgree; a failure prints
// it.
const paritySeed = 20261207

// maxParityFields is the number of fields sampled per service.
const maxParityFields = 8

// input is one value as both channels get it: html are the form inputs
// (by name suffix: "" for the field's own input, ".tag", ".monat", ".jahr"
// for a date), api the JSON value; raw, when set, replaces the marker
// rawMarker in the JSON text of the request (bytes JSON cannot encode).
type input struct {
	what string
	html map[string]string
	api  any
	raw  string
}

const rawMarker = "RAW-MARKER-7f3c"

// candidate is a field of the example document that a citizen can edit.
type candidate struct {
	path  form.Path
	e     *form.Element
	child *form.Child
	step  *journey.Step
	value any
	kind  string
}

// TestHTMLAndAPIAgree feeds every demo service, field by field, with inputs
// per kind of field (text with surrounding white space, control
// characters, invalid UTF-8, postcodes in several spellings, codes in
// another case, dates valid, impossible, of year 0000 and out of range,
// German and malformed numbers, e-mail addresses, booleans), each through
// the HTML form and the JSON API, into the service's valid example. Both
// must accept, or both refuse with a problem at the field; what they
// accept they store alike.
func TestHTMLAndAPIAgree(t *testing.T) {
	h := newHarness(t)
	rng := rand.New(rand.NewPCG(paritySeed, 1))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d", paritySeed)
		}
	})
	var pairs, accepted, refused int
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			ex := sv.form.Example(sv.ctx)
			base := h.start(sv)
			h.fill(sv, base, ex)
			for _, c := range sampleFields(sv, ex, rng) {
				for _, in := range inputsFor(c, rng) {
					pairs++
					hOK, hPaths, hVal := h.throughHTML(sv, base, ex, c, in)
					aOK, aPaths, aVal := h.throughAPI(sv, ex, c, in)
					where := fmt.Sprintf("%s (%s) %s: html %q, api %#v", c.path, c.kind, in.what, in.html, in.api)
					switch {
					case hOK != aOK:
						t.Errorf("%s: HTML accepts=%v (problems at %v), API accepts=%v (problems at %v)", where, hOK, hPaths, aOK, aPaths)
					case !hOK && (!slices.Contains(hPaths, c.path.String()) || !slices.Contains(aPaths, c.path.String())):
						t.Errorf("%s: refused, but not both at the field: HTML %v, API %v", where, hPaths, aPaths)
					case hOK && !equalJSON(hVal, aVal):
						t.Errorf("%s: stored differently: HTML %#v, API %#v", where, hVal, aVal)
					}
					if hOK {
						accepted++
					} else {
						refused++
					}
				}
			}
		})
	}
	h.t = t
	if accepted == 0 || refused == 0 {
		t.Fatalf("inputs not telling: %d pairs, %d accepted, %d refused", pairs, accepted, refused)
	}
	t.Logf("%d pairs: %d accepted, %d refused by both channels", pairs, accepted, refused)
}

// sampleFields picks up to maxParityFields editable, visible fields of the
// example, at most two of each kind, in random order.
func sampleFields(sv *service, ex map[string]any, rng *rand.Rand) []candidate {
	all := editableFields(sv, ex)
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var out []candidate
	per := map[string]int{}
	for _, c := range all {
		if per[c.kind] < 2 && len(out) < maxParityFields {
			per[c.kind]++
			out = append(out, c)
		}
	}
	return out
}

// editableFields lists the fields of the example, outside repetitions
// beyond the first entry, that a citizen edits on a visible step.
func editableFields(sv *service, ex map[string]any) []candidate {
	state, clean := sv.form.Rules.Evaluate(ex, sv.ctx)
	hidden := state.HiddenPaths()
	var all []candidate
	for _, st := range sv.form.Steps {
		if !sv.form.StepVisible(st, clean, state) {
			continue
		}
		obj := st.Object(ex, false)
		if obj == nil {
			continue
		}
		var walk func(p form.Path, parent *form.Element, cs []form.Child, obj map[string]any)
		walk = func(p form.Path, parent *form.Element, cs []form.Child, obj map[string]any) {
			for i := range cs {
				c := &cs[i]
				e := c.Element
				v, ok := obj[e.ID]
				if !ok {
					continue
				}
				cp := p.Key(e.ID)
				if e.Kind == form.KindGroup {
					if arr, isArr := v.([]any); isArr && len(arr) > 0 {
						v, cp = arr[0], cp.Index(0)
					}
					if m, isObj := v.(map[string]any); isObj {
						walk(cp, e, e.Struktur, m)
					}
					continue
				}
				if c.Anzahl.Repeats() || under(cp.String(), hidden) {
					continue
				}
				if _, fixed := state.Fixed(cp); fixed {
					continue
				}
				kind := kindOf(e, parent, c)
				if kind == "" {
					continue
				}
				all = append(all, candidate{path: cp, e: e, child: c, step: st, value: v, kind: kind})
			}
		}
		walk(st.Parent, nil, st.Children, obj)
	}
	return all
}

func under(path string, hidden []string) bool {
	for _, h := range hidden {
		if path == h || strings.HasPrefix(path, h+".") || strings.HasPrefix(path, h+"[") {
			return true
		}
	}
	return false
}

func kindOf(e *form.Element, parent *form.Element, c *form.Child) string {
	switch journey.WidgetOf(e, c.Anzahl) {
	case journey.WRadios, journey.WSelect:
		return "code"
	case journey.WNumber:
		return "number"
	case journey.WDate:
		return "date"
	case journey.WTime:
		return "time"
	case journey.WYesNo, journey.WCheckbox:
		return "bool"
	case journey.WText, journey.WTextarea:
		// Told by name, independently of package form's own judgement.
		name := strings.ToLower(e.Name)
		switch {
		case strings.HasPrefix(name, "postleitzahl") && !strings.Contains(name, "ausland") &&
			(parent == nil || !strings.Contains(strings.ToLower(parent.Name), "ausland")):
			return "postcode"
		case strings.HasPrefix(strings.ReplaceAll(name, "-", ""), "email"):
			return "email"
		}
		return "text"
	}
	return ""
}

var blanks = []string{" ", "  ", "\t", "\u00a0", " \u00a0 "}

func pad(rng *rand.Rand, s string) string {
	return blanks[rng.IntN(len(blanks))] + s + blanks[rng.IntN(len(blanks))]
}

// one is an input whose HTML form has one input.
func one(what, typed string, api any) input {
	return input{what: what, html: map[string]string{"": typed}, api: api}
}

func inputsFor(c candidate, rng *rand.Rand) []input {
	switch c.kind {
	case "text", "postcode", "email":
		x, _ := c.value.(string)
		p := pad(rng, x)
		ins := []input{
			one("surrounding white space", p, p),
			one("control character", x[:len(x)/2]+"\x01"+x[len(x)/2:], x[:len(x)/2]+"\x01"+x[len(x)/2:]),
			{what: "invalid UTF-8", html: map[string]string{"": x + "\xff"}, api: x + rawMarker, raw: `\xff`},
			{what: "lone surrogate", html: map[string]string{"": x + "\xed\xa0\x80"}, api: x + rawMarker, raw: `\ud800`},
		}
		switch c.kind {
		case "postcode":
			if len(x) == 5 {
				ins = append(ins, one("postcode with a space", x[:2]+" "+x[2:], x[:2]+" "+x[2:]),
					one("postcode with D-", "D-"+x, "D-"+x))
			}
		case "email":
			ins = append(ins, one("e-mail with display name", "Max <"+x+">", "Max <"+x+">"),
				one("not an e-mail address", "max.example.de", "max.example.de"))
		default:
			if journey.WidgetOf(c.e, c.child.Anzahl) == journey.WTextarea {
				ins = append(ins, one("Windows line breaks", x+"\r\nzweite Zeile", x+"\r\nzweite Zeile"))
			}
		}
		return ins
	case "code":
		x, _ := c.value.(string)
		ins := []input{one("padded code", pad(rng, x), pad(rng, x))}
		if l := strings.ToLower(x); l != x {
			ins = append(ins, one("code in lower case", l, l))
		}
		if u := strings.ToUpper(x); u != x {
			ins = append(ins, one("code in upper case", u, u))
		}
		return ins
	case "number":
		n := fmt.Sprint(c.value)
		german := strings.Replace(n, ".", ",", 1)
		return []input{
			one("German number", pad(rng, german), json.Number(n)),
			one("malformed number", n+"x", n+"x"),
		}
	case "date":
		x, _ := c.value.(string)
		if len(x) != 10 {
			return nil
		}
		y, m, d := x[:4], x[5:7], x[8:10]
		date := func(what, dd, mm, yy string, api any) input {
			return input{what: what, html: map[string]string{".tag": dd, ".monat": mm, ".jahr": yy}, api: api}
		}
		return []input{
			date("valid date without leading zeros", strings.TrimPrefix(d, "0"), strings.TrimPrefix(m, "0"), y, x),
			date("valid date padded", pad(rng, d), pad(rng, m), pad(rng, y), x),
			date("impossible date", "31", "02", y, y+"-02-31"),
			date("year 0000", d, m, "0000", "0000-"+m+"-"+d),
			date("year out of range", d, m, "2500", "2500-"+m+"-"+d),
			date("two-digit year", d, m, y[2:], y[2:]+"-"+m+"-"+d),
		}
	case "time":
		x, _ := c.value.(string)
		return []input{one("padded time", pad(rng, x), x)}
	case "bool":
		b, _ := c.value.(bool)
		typed := ""
		if b || journey.WidgetOf(c.e, c.child.Anzahl) == journey.WYesNo {
			typed = fmt.Sprint(b)
		}
		return []input{one("boolean", typed, b)}
	}
	return nil
}

var anchorRE = regexp.MustCompile(`<li><a class="kern-link" href="#([^"]*)">`)

// throughHTML posts the step of c with the example's values and in for the
// field, with "weiter". It reports whether the step was accepted, else the
// paths of the fields with an error (among the step's candidates), and the
// value the draft then holds at the field.
func (h *harness) throughHTML(sv *service, base string, ex map[string]any, c candidate, in input) (bool, []string, any) {
	h.t.Helper()
	vals, _ := sv.form.FormValues(c.step, ex)
	name := c.path.String()
	for suffix, v := range in.html {
		vals.Set(name+suffix, v)
	}
	if journey.WidgetOf(c.e, c.child.Anzahl) == journey.WCheckbox {
		vals.Set(name+"#da", "1")
	}
	vals.Set("aktion", "weiter")
	resp := h.postStep(base, c.step.Index+1, vals)
	if resp.status == http.StatusSeeOther {
		return true, nil, valueAtPath(h.draft(sv, base).Data, c.path)
	}
	if !hasErrorSummary(resp.body) {
		h.t.Fatalf("%s: step %d answered %d without an error summary", name, c.step.Index+1, resp.status)
	}
	var paths []string
	id := journey.HTMLID(c.path)
	for _, m := range anchorRE.FindAllStringSubmatch(resp.body, -1) {
		a := m[1]
		if a == id || strings.HasPrefix(a, id+"-") && len(a) > len(id)+1 && !strings.ContainsAny(a[len(id)+1:len(id)+2], "FG") {
			paths = append(paths, name)
		} else {
			paths = append(paths, "#"+a)
		}
	}
	return false, paths, nil
}

// throughAPI submits the example with in at the field, uploading its
// files in a fresh session. It reports whether the submission was taken,
// else the paths of the problems, and the stored value at the field.
func (h *harness) throughAPI(sv *service, ex map[string]any, c candidate, in input) (bool, []string, any) {
	h.t.Helper()
	doc := copyDoc(h.t, ex)
	setAtPath(doc, c.path, in.api)
	id := sv.tenant.Slug + "." + sv.svc.Slug
	session := ""
	replaceFiles(doc, func(ref map[string]any) map[string]any {
		name, _ := ref["filename"].(string)
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+id+"/attachments?filename="+url.QueryEscape(name), bytes.NewReader(pdfFile(name)))
		if session != "" {
			req.Header.Set("Antrag-Entwurf", session)
		}
		r := h.send(h.client, req)
		var out struct {
			Draft string         `json:"draft"`
			File  map[string]any `json:"file"`
		}
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &out) != nil {
			h.t.Fatalf("upload: %d %s", r.status, r.body)
		}
		session = out.Draft
		return out.File
	})
	body, err := json.Marshal(map[string]any{"data": doc})
	if err != nil {
		h.t.Fatal(err)
	}
	if in.raw != "" {
		raw := in.raw
		if raw == `\xff` {
			raw = "\xff"
		}
		body = bytes.Replace(body, []byte(rawMarker), []byte(raw), 1)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+id+"/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("Antrag-Entwurf", session)
	}
	r := h.send(h.client, req)
	switch r.status {
	case http.StatusCreated:
		var created struct{ ID string }
		json.Unmarshal([]byte(r.body), &created)
		sub, err := h.db.Submission(context.Background(), sv.tenant.ID, created.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		stored, err := form.DecodeData(bytes.NewReader(sub.Data))
		if err != nil {
			h.t.Fatal(err)
		}
		return true, nil, valueAtPath(stored, c.path)
	case http.StatusUnprocessableEntity:
		var p struct {
			Errors []form.Problem `json:"errors"`
		}
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			h.t.Fatalf("problem: %v %s", err, r.body)
		}
		var paths []string
		for _, e := range p.Errors {
			paths = append(paths, e.Path)
		}
		return false, paths, nil
	}
	return false, []string{fmt.Sprintf("status %d: %.200s", r.status, r.body)}, nil
}

func copyDoc(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := form.DecodeData(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func valueAtPath(doc map[string]any, p form.Path) any {
	var cur any = doc
	for _, s := range p {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[s.Key]
		case []any:
			if s.Index >= len(x) {
				return nil
			}
			cur = x[s.Index]
		default:
			return nil
		}
	}
	return cur
}

func setAtPath(doc map[string]any, p form.Path, v any) {
	var cur any = doc
	for i, s := range p {
		last := i == len(p)-1
		switch x := cur.(type) {
		case map[string]any:
			if last {
				x[s.Key] = v
				return
			}
			cur = x[s.Key]
		case []any:
			if last {
				x[s.Index] = v
				return
			}
			cur = x[s.Index]
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
