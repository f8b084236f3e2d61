package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
)

// Optional groups (Anzahl 0:1) are optional in both channels: a citizen
// says "keine Angaben" and is not asked for their fields, a group left
// empty is absent, and of alternative groups the citizen gives one.

// apiSubmit sends doc (without files) to the JSON API of the service.
func (h *harness) apiSubmit(tenantSlug, slug string, doc map[string]any) response {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"data": doc})
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+tenantSlug+"."+slug+"/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return h.send(h.client, req)
}

// problemCodes reads the field-level problems of a problem+json answer.
func problemCodes(t *testing.T, body string) map[string]string {
	t.Helper()
	var p struct {
		Errors []form.Problem `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("problem details: %v\n%s", err, body)
	}
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Path] = e.Code
	}
	return out
}

// choiceStep returns the choice step for the top-level group id.
func choiceStep(t *testing.T, sv *service, id string) *journey.Step {
	t.Helper()
	for _, st := range sv.form.Steps {
		if st.Choice == nil {
			continue
		}
		for _, o := range st.Choice.Options {
			if o.Key == id {
				return st
			}
		}
	}
	t.Fatalf("no choice step for %s", id)
	return nil
}

// dropOptional removes from doc every optional element (Anzahl 0:…) that
// neither a rule nor a set of alternatives needs, as a citizen leaves out
// what does not apply, and returns doc.
func dropOptional(sv *service, doc map[string]any) map[string]any {
	var walk func(cs []form.Child, obj map[string]any)
	walk = func(cs []form.Child, obj map[string]any) {
		for i := range cs {
			c := &cs[i]
			v, ok := obj[c.Element.ID]
			if !ok {
				continue
			}
			// An optional checkbox is always answered (unticked is false).
			checkbox := c.Element.Kind == form.KindField && journey.WidgetOf(c.Element, c.Anzahl) == journey.WCheckbox
			if c.Anzahl.Min == 0 && !checkbox {
				delete(obj, c.Element.ID)
				if ps, _ := sv.form.Rules.Validate(doc, sv.ctx); len(ps) == 0 {
					continue
				}
				obj[c.Element.ID] = v // needed: keep it
			}
			if m, isObj := v.(map[string]any); isObj && c.Element.Kind == form.KindGroup {
				walk(c.Element.Struktur, m)
			}
		}
	}
	walk(sv.form.Schema.Struktur, doc)
	return doc
}

func deepCopyDoc(doc map[string]any) map[string]any {
	b, _ := json.Marshal(doc)
	out, _ := form.DecodeData(bytes.NewReader(b))
	return out
}

// TestOptionalGroupCanBeSkipped: in Bewohnerparkausweis, a citizen who
// holds the vehicle skips "Angaben zur Fahrzeughalterin, zum
// Fahrzeughalter" (G05000499, Anzahl 0:1) with "keine Angaben"; the group
// is then absent, and sending works in both channels. A rule makes the
// group required for another holder: then it is asked, without a choice.
func TestOptionalGroupCanBeSkipped(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	const holder = "G05000499"
	st := choiceStep(t, sv, holder)
	if st.Choice.Alternatives() {
		t.Fatalf("choice for %s offers alternatives", holder)
	}
	doc := sv.form.Example(sv.ctx)
	delete(doc, holder)
	// The applicant holds the vehicle: the first code of the holder field.
	vehicle := doc["G05000477"].(map[string]any)
	codes := elementAt(sv, "F05001047").Codes()
	vehicle["F05001047"] = codes[0].Code
	if ps, _ := sv.form.Rules.Validate(doc, sv.ctx); len(ps) > 0 {
		t.Fatalf("test document does not pass: %v", ps)
	}

	base := h.start(sv)
	choice := fmt.Sprintf("%s/schritt/%d", base, st.Index+1)
	// Before the choice steps: fill them.
	for _, s := range sv.form.Steps[:st.Index] {
		vals, _ := sv.form.FormValues(s, doc)
		vals.Set("aktion", "weiter")
		if r := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, s.Index+1), vals, nil); r.status != http.StatusSeeOther {
			t.Fatalf("step %d: %d %s", s.Index+1, r.status, problemsOf(r.body))
		}
	}
	page := h.get(choice)
	if page.status != http.StatusOK {
		t.Fatalf("choice step: %d", page.status)
	}
	for _, want := range []string{`name="` + holder + `" value="ja"`, `name="` + holder + `" value="nein"`, "Ja, Angaben machen", "Nein, keine Angaben"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("choice step lacks %q", want)
		}
	}
	// "Weiter" without a choice asks for one, once.
	r := h.postMultipart(choice, url.Values{"aktion": {"weiter"}}, nil)
	if r.status != http.StatusUnprocessableEntity || strings.Count(problemsOf(r.body), "Bitte wählen Sie aus") != 1 {
		t.Fatalf("no choice: %d %q", r.status, problemsOf(r.body))
	}
	// "Keine Angaben" goes on to the summary: the group's step is skipped.
	r = h.postMultipart(choice, url.Values{"aktion": {"weiter"}, holder: {"nein"}}, nil)
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/pruefen") {
		t.Fatalf("keine Angaben: %d %q %s", r.status, r.location, problemsOf(r.body))
	}
	if r := h.get(fmt.Sprintf("%s/schritt/%d", base, st.Index+2)); r.status != http.StatusSeeOther {
		t.Errorf("the skipped group's step is shown: %d", r.status)
	}
	ref, _ := h.submit(base)
	_, stored := h.storedAs(t, sv, ref, doc)
	if _, ok := stored[holder]; ok {
		t.Errorf("stored data has the skipped group")
	}
	// The API takes the same document.
	if r := h.apiSubmit("musterstadt", "bewohnerparkausweis", doc); r.status != http.StatusCreated {
		t.Errorf("API: %d %s", r.status, r.body)
	}

	// "Angaben machen", then an empty post: now the group's fields apply.
	base = h.start(sv)
	for _, s := range sv.form.Steps[:st.Index] {
		vals, _ := sv.form.FormValues(s, doc)
		vals.Set("aktion", "weiter")
		h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, s.Index+1), vals, nil)
	}
	r = h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, st.Index+1), url.Values{"aktion": {"weiter"}, holder: {"ja"}}, nil)
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, fmt.Sprintf("/schritt/%d", st.Index+2)) {
		t.Fatalf("Angaben machen: %d %q", r.status, r.location)
	}
	r = h.postMultipart(r.location, url.Values{"aktion": {"weiter"}}, nil)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty group after Angaben machen: %d", r.status)
	}

	// Another holder: a rule requires the group; no choice is asked.
	other := deepCopyDoc(doc)
	other["G05000477"].(map[string]any)["F05001047"] = "02"
	state, clean := sv.form.Rules.Evaluate(other, sv.ctx)
	if sv.form.StepVisible(st, clean, state) {
		t.Errorf("choice shown although a rule requires the group")
	}
	group := sv.form.Steps[st.Index+1]
	if !sv.form.StepVisible(group, clean, state) {
		t.Errorf("required group's step is skipped")
	}
	if r := h.apiSubmit("musterstadt", "bewohnerparkausweis", other); r.status != http.StatusUnprocessableEntity || problemCodes(t, r.body)[holder] != form.CodeRequired {
		t.Errorf("API without the required group: %d %s", r.status, r.body)
	}
}

// TestAlternativeBranchesPickOne: Immobiliardarlehensvermittler offers a
// natural and a legal person as two optional top-level groups both named
// "Person". The citizen picks one on a choice step labelled from the
// schema; the other branch's steps are skipped. The API refuses neither
// branch and both, as the HTML journey does.
func TestAlternativeBranchesPickOne(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "immobiliardarlehensvermittler")
	alts := form.Alternatives(sv.form.Schema.Struktur)
	if len(alts) != 1 {
		t.Fatalf("alternatives: %v", alts)
	}
	nat := sv.form.Schema.Struktur[alts[0][0]].Element.ID
	jur := sv.form.Schema.Struktur[alts[0][1]].Element.ID
	st := choiceStep(t, sv, nat)
	if !st.Choice.Alternatives() {
		t.Fatal("not a choice between alternatives")
	}

	// A private person fills only what applies: the natural person's
	// branch, and no optional group a rule does not ask for.
	doc := sv.form.Example(sv.ctx)
	stripFiles(doc)
	doc = dropOptional(sv, doc)
	if _, ok := doc[jur]; ok {
		t.Fatal("example has both branches")
	}
	if ps, _ := sv.form.Rules.Validate(doc, sv.ctx); len(ps) > 0 {
		t.Fatalf("minimal document: %v", ps)
	}

	base := h.start(sv)
	page := h.get(fmt.Sprintf("%s/schritt/%d", base, st.Index+1))
	for _, want := range []string{">Natürliche Person<", ">Juristische Person<", `value="` + nat + `"`, `value="` + jur + `"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("choice step lacks %q", want)
		}
	}
	h.fill(sv, base, doc)
	ref, _ := h.submit(base)
	h.storedAs(t, sv, ref, doc)
	// The legal person's steps were not on the way.
	visible := 0
	state, clean := sv.form.Rules.Evaluate(doc, sv.ctx)
	for _, s := range sv.form.Steps {
		if sv.form.StepVisible(s, clean, state) {
			visible++
			if s.Parent != nil && s.Parent[0].Key == jur {
				t.Errorf("step %d of the other branch is visible", s.Index+1)
			}
		}
	}
	t.Logf("%d of %d steps for a private person", visible, len(sv.form.Steps))

	if r := h.apiSubmit("beispielkreis", "immobiliardarlehensvermittler", doc); r.status != http.StatusCreated {
		t.Errorf("API, one branch: %d %s", r.status, r.body)
	}
	neither := deepCopyDoc(doc)
	delete(neither, nat)
	r := h.apiSubmit("beispielkreis", "immobiliardarlehensvermittler", neither)
	if r.status != http.StatusUnprocessableEntity || problemCodes(t, r.body)[nat] != form.CodeAlternative {
		t.Errorf("API, neither branch: %d %s", r.status, r.body)
	}
	both := deepCopyDoc(doc)
	both[jur] = map[string]any{"F05000016306": "001"}
	r = h.apiSubmit("beispielkreis", "immobiliardarlehensvermittler", both)
	if r.status != http.StatusUnprocessableEntity || problemCodes(t, r.body)[jur] != form.CodeAlternative {
		t.Errorf("API, both branches: %d %s", r.status, r.body)
	}
	// The schema asks itself: "natürliche oder juristische Person?"
	// (F05000016480). Its answer decides the branch; an answer that
	// contradicts the branch given is refused.
	contra := deepCopyDoc(doc)
	contra["G05000010320"].(map[string]any)["F05000016480"] = "02"
	r = h.apiSubmit("beispielkreis", "immobiliardarlehensvermittler", contra)
	if r.status != http.StatusUnprocessableEntity || problemCodes(t, r.body)[nat] != form.CodeAlternative {
		t.Errorf("API, branch contradicting the schema's own question: %d %s", r.status, r.body)
	}
	state, clean = sv.form.Rules.Evaluate(doc, sv.ctx)
	if sv.form.StepVisible(st, clean, state) {
		t.Errorf("the choice step is asked although the schema's question is answered")
	}
	// The HTML journey: choosing nothing on the choice step is refused.
	base = h.start(sv)
	r = h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, st.Index+1), url.Values{"aktion": {"weiter"}}, nil)
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("no branch chosen: %d", r.status)
	}
}

// TestResumeLinkOfSentApplication: the resume page (/fortsetzen) of an
// application already sent says it was sent, and a resume link copied
// with a trailing slash works.
func TestResumeLinkOfSentApplication(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	base := h.start(sv)
	if r := h.get(base + "/"); r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/schritt/1") {
		t.Errorf("resume link with a trailing slash: %d %q", r.status, r.location)
	}
	h.fill(sv, base, sv.form.Example(sv.ctx))
	h.submit(base)
	r := h.get(base + "/fortsetzen")
	if r.status == http.StatusSeeOther {
		r = h.get(r.location)
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, "Antrag eingegangen") || strings.Contains(r.body, "Später fortsetzen") {
		t.Errorf("/fortsetzen after sending: %d, does not say it was sent", r.status)
	}
	if r := h.get(base + "/"); r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/bestaetigung") {
		t.Errorf("resume link with a trailing slash after sending: %d %q", r.status, r.location)
	}
}

var stepOfTotalRE = regexp.MustCompile(`\(Schritt (\d+) von (\d+)\)`)

// TestStepNumbersAgree: the start page, the step pages, the summary's
// list of unfinished steps and its error list count the same steps: the
// ones the citizen sees, without choice steps and branches the answers
// skip.
func TestStepNumbersAgree(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	const holder = "G05000499"
	start := h.get("/musterstadt/dienste/" + sv.svc.Slug)
	base := h.start(sv)
	first := h.get(base + "/schritt/1")
	m := stepOfTotalRE.FindStringSubmatch(first.body)
	if m == nil {
		t.Fatal("step 1 without its number")
	}
	if want := "mindestens " + m[2] + " Schritte"; !strings.Contains(start.body, want) {
		t.Errorf("start page does not say %q (step 1 says %s)", want, m[0])
	}
	// Another holder: a rule requires the group, whose step is then
	// unfinished.
	doc := sv.form.Example(sv.ctx)
	delete(doc, holder)
	doc["G05000477"].(map[string]any)["F05001047"] = "02"
	choice := choiceStep(t, sv, holder)
	for _, st := range sv.form.Steps[:choice.Index] {
		vals, _ := sv.form.FormValues(st, doc)
		vals.Set("aktion", "weiter")
		if r := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, st.Index+1), vals, nil); r.status != http.StatusSeeOther {
			t.Fatalf("step %d: %d %s", st.Index+1, r.status, problemsOf(r.body))
		}
	}
	group := h.get(fmt.Sprintf("%s/schritt/%d", base, choice.Index+2))
	gm := stepOfTotalRE.FindStringSubmatch(group.body)
	if group.status != http.StatusOK || gm == nil {
		t.Fatalf("the required group's step: %d", group.status)
	}
	summary := h.get(base + "/pruefen")
	if want := "Schritt " + gm[1] + ": "; !strings.Contains(summary.body, "Noch nicht vollständig") || !strings.Contains(summary.body, want) {
		t.Errorf("summary does not list the unfinished step as %q", want)
	}
	r := h.do(h.client, "POST", base+"/absenden", url.Values{})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("send with the group missing: %d", r.status)
	}
	if want := "Schritt " + gm[1] + " ("; !strings.Contains(problemsOf(r.body), want) {
		t.Errorf("send errors %q do not name %q", problemsOf(r.body), want)
	}
	// The choice step's button does not promise the summary: what follows
	// depends on the choice.
	h2 := h.get(fmt.Sprintf("%s/schritt/%d", h.start(sv), choice.Index+1))
	if strings.Contains(h2.body, "Weiter zur Übersicht") {
		t.Errorf("choice step offers „Weiter zur Übersicht“")
	}
}

// TestAPIOptionalGroupSentEmptyIsAbsent: the API takes an optional group
// sent without values ({} or blank strings) as absent, as the forms take
// one left empty; numbers are stored in one spelling.
func TestAPIOptionalGroupSentEmptyIsAbsent(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	doc := sv.form.Example(sv.ctx)
	delete(doc, "G05000499")
	vehicle := doc["G05000477"].(map[string]any)
	vehicle["F05001047"] = elementAt(sv, "F05001047").Codes()[0].Code
	vehicle["F05001062"] = json.Number("1.50E1")
	for _, empty := range []any{map[string]any{}, map[string]any{"F05001346": "", "F05001345": " "}} {
		doc["G05000493"].(map[string]any)["G05000599"] = empty
		r := h.apiSubmit("musterstadt", "bewohnerparkausweis", doc)
		if r.status != http.StatusCreated {
			t.Fatalf("API with %v: %d %s", empty, r.status, r.body)
		}
		var created struct{ Reference string }
		json.Unmarshal([]byte(r.body), &created)
		want := deepCopyDoc(doc)
		delete(want["G05000493"].(map[string]any), "G05000599")
		want["G05000477"].(map[string]any)["F05001062"] = json.Number("15")
		h.storedAs(t, sv, created.Reference, want)
	}
}
