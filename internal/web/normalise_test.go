package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
)

// findField returns the first demo service with an editable field of the
// example for which ok holds.
func findField(t *testing.T, h *harness, ok func(c candidate) bool) (*service, candidate) {
	t.Helper()
	for _, ts := range demoServices(t, h) {
		sv := h.service(ts[0], ts[1])
		for _, c := range editableFields(sv, sv.form.Example(sv.ctx)) {
			if ok(c) {
				return sv, c
			}
		}
	}
	t.Fatal("no demo service has such a field")
	return nil, candidate{}
}

// apiProblems submits the example with v at the field through the API; it
// returns the stored value when the submission is taken, else the problems.
func (h *harness) apiProblems(sv *service, c candidate, in input) (stored any, problems []form.Problem) {
	h.t.Helper()
	ok, _, val := h.throughAPI(sv, sv.form.Example(sv.ctx), c, in)
	if ok {
		return val, nil
	}
	// Again, for the whole problems (throughAPI keeps only the paths).
	doc := copyDoc(h.t, sv.form.Example(sv.ctx))
	stripFiles(doc)
	setAtPath(doc, c.path, in.api)
	body, _ := json.Marshal(map[string]any{"data": doc})
	if in.raw != "" {
		raw := in.raw
		if raw == `\xff` {
			raw = "\xff"
		}
		body = bytes.Replace(body, []byte(rawMarker), []byte(raw), 1)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+sv.tenant.Slug+"."+sv.svc.Slug+"/submissions", bytes.NewReader(body))
	r := h.send(h.client, req)
	var p struct {
		Errors []form.Problem `json:"errors"`
	}
	if r.status != http.StatusUnprocessableEntity || json.Unmarshal([]byte(r.body), &p) != nil {
		h.t.Fatalf("API: %d %s", r.status, r.body)
	}
	return nil, p.Errors
}

func problemAt(ps []form.Problem, path string) *form.Problem {
	for i := range ps {
		if ps[i].Path == path {
			return &ps[i]
		}
	}
	return nil
}

// TestAPITakesWhatHTMLTrims sends a postcode and a text with white space
// around through the API: it takes them, as the HTML form does, and stores
// them trimmed.
func TestAPITakesWhatHTMLTrims(t *testing.T) {
	h := newHarness(t)
	for _, kind := range []string{"postcode", "text"} {
		sv, c := findField(t, h, func(c candidate) bool {
			s, _ := c.value.(string)
			return c.kind == kind && (kind != "postcode" || len(strings.Trim(s, "0123456789")) == 0)
		})
		x := c.value.(string)
		for _, typed := range []string{" " + x + " ", "\t" + x + "\u00a0"} {
			stored, ps := h.apiProblems(sv, c, one("padded", typed, typed))
			if ps != nil || stored != x {
				t.Errorf("%s %s = %q: stored %q, problems %v", sv.svc.Slug, c.path, typed, stored, ps)
			}
		}
	}
}

// TestAPIPostcodeNormalised sends a German postcode as "99 084" and
// "D-99084": stored as five digits.
func TestAPIPostcodeNormalised(t *testing.T) {
	h := newHarness(t)
	sv, c := findField(t, h, func(c candidate) bool {
		s, _ := c.value.(string)
		return c.kind == "postcode" && len(strings.Trim(s, "0123456789")) == 0
	})
	x := c.value.(string)
	for _, typed := range []string{x[:2] + " " + x[2:], "D-" + x, "d " + x} {
		stored, ps := h.apiProblems(sv, c, one("postcode", typed, typed))
		if ps != nil || stored != x {
			t.Errorf("%s = %q: stored %q, problems %v", c.path, typed, stored, ps)
		}
	}
}

// TestAPIInvalidUTF8Refused sends bytes that are not UTF-8, and a lone
// surrogate escape: refused at the field, not stored as U+FFFD.
func TestAPIInvalidUTF8Refused(t *testing.T) {
	h := newHarness(t)
	sv, c := findField(t, h, func(c candidate) bool { return c.kind == "text" })
	x := c.value.(string)
	for _, raw := range []string{`\xff`, `\ud800`, `\udfff`} {
		stored, ps := h.apiProblems(sv, c, input{what: raw, api: x + rawMarker, raw: raw})
		p := problemAt(ps, c.path.String())
		if p == nil || p.Code != "encoding" || !strings.Contains(p.Message, "UTF-8") {
			t.Errorf("%s with %s: stored %q, problems %v", c.path, raw, stored, ps)
		}
	}
}

// TestXMLControlCharsRefusedInBothChannels sends a text with a control
// character: refused at the field, naming it.
func TestXMLControlCharsRefusedInBothChannels(t *testing.T) {
	h := newHarness(t)
	sv, c := findField(t, h, func(c candidate) bool { return c.kind == "text" })
	x := c.value.(string)
	for _, ctl := range []string{"\x00", "\x08", "\x0b", "\x1f", "\ufffe"} {
		v := x + ctl + "x"
		_, ps := h.apiProblems(sv, c, one("control", v, v))
		if p := problemAt(ps, c.path.String()); p == nil || p.Code != "control" || !strings.Contains(p.Message, c.e.Label()) {
			t.Errorf("API %s = %q: %v", c.path, v, ps)
		}
		base := h.start(sv)
		h.fill(sv, base, sv.form.Example(sv.ctx))
		ok, paths, _ := h.throughHTML(sv, base, sv.form.Example(sv.ctx), c, one("control", v, v))
		if ok || len(paths) != 1 || paths[0] != c.path.String() {
			t.Errorf("HTML %s = %q: accepted %v, errors %v", c.path, v, ok, paths)
		}
	}
}

// TestImpossibleDateOneError enters 31 February on a required date: the
// step shows one error for the field, not also that it is missing.
func TestImpossibleDateOneError(t *testing.T) {
	h := newHarness(t)
	sv, c := findField(t, h, func(c candidate) bool { return c.kind == "date" && c.child.Required() })
	base := h.start(sv)
	ex := sv.form.Example(sv.ctx)
	h.fill(sv, base, ex)
	for _, d := range [][3]string{{"31", "2", "1990"}, {"x", "1", "1990"}, {"1", "1", "90"}} {
		in := input{html: map[string]string{".tag": d[0], ".monat": d[1], ".jahr": d[2]}}
		ok, paths, _ := h.throughHTML(sv, base, ex, c, in)
		if ok || len(paths) != 1 || paths[0] != c.path.String() {
			t.Errorf("%s = %v: accepted %v, errors %v", c.path, d, ok, paths)
		}
	}
}

// TestYearOutOfRangeRefused runs a server that takes the years 1990 to
// 2000 only: the example's dates are refused in both channels, naming the
// range; the default range takes them.
func TestYearOutOfRangeRefused(t *testing.T) {
	h := newHarnessWith(t, func(hc *harnessConfig) { hc.years = form.YearRange{Min: 1990, Max: 2000} })
	sv, c := findField(t, h, func(c candidate) bool {
		s, _ := c.value.(string)
		return c.kind == "date" && s > "2001"
	})
	x := c.value.(string)
	_, ps := h.apiProblems(sv, c, one("date", x, x))
	if p := problemAt(ps, c.path.String()); p == nil || p.Code != "year" || !strings.Contains(p.Message, "1990 bis 2000") {
		t.Errorf("API %s = %s: %v", c.path, x, ps)
	}
	base := h.start(sv)
	ok, paths, _ := h.throughHTML(sv, base, sv.form.Example(sv.ctx), c,
		input{html: map[string]string{".tag": x[8:], ".monat": x[5:7], ".jahr": x[:4]}})
	if ok || !slices.Contains(paths, c.path.String()) {
		t.Errorf("HTML %s = %s: accepted %v, errors %v", c.path, x, ok, paths)
	}
	// Year 0000 in the default range.
	h2 := newHarness(t)
	_, ps = h2.apiProblems(sv, c, one("date", "0000"+x[4:], "0000"+x[4:]))
	if p := problemAt(ps, c.path.String()); p == nil || p.Code != "year" {
		t.Errorf("API %s = 0000%s: %v", c.path, x[4:], ps)
	}
}

// TestAPIEmailSyntaxChecked sends an address with a display name to an
// e-mail field without a pattern of its own: refused at the field.
func TestAPIEmailSyntaxChecked(t *testing.T) {
	h := newHarness(t)
	sv, c := findField(t, h, func(c candidate) bool { return c.kind == "email" && c.e.Praezisierung.Pattern == "" })
	for _, v := range []string{"Max <max@example.de>", "max.example.de", "max@"} {
		stored, ps := h.apiProblems(sv, c, one("e-mail", v, v))
		if p := problemAt(ps, c.path.String()); p == nil || p.Code != "email" {
			t.Errorf("%s = %q: stored %q, problems %v", c.path, v, stored, ps)
		}
	}
	stored, ps := h.apiProblems(sv, c, one("e-mail", " max@example.de ", " max@example.de "))
	if ps != nil || stored != "max@example.de" {
		t.Errorf("a valid address: stored %q, problems %v", stored, ps)
	}
}

// TestTextareaIsMultiline keeps the form's text areas and the fields that
// normalisation treats as multi-line the same: else a line break typed
// into a text area would be refused, or one sent to a single-line field
// kept.
func TestTextareaIsMultiline(t *testing.T) {
	if journey.TextareaFrom != form.MultilineFrom {
		t.Fatalf("journey.TextareaFrom %d, form.MultilineFrom %d", journey.TextareaFrom, form.MultilineFrom)
	}
}
