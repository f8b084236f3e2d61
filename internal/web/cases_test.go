package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// The cases of shared/cases/README.md, through the HTML form posts (and
// the JSON API where the case names it). Each test is named after its case.

// draft loads the draft behind a base path (/{tenant}/antrag/{token}).
func (h *harness) draft(sv *service, base string) *submission.Draft {
	h.t.Helper()
	tok := base[strings.LastIndex(base, "/")+1:]
	d, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, tokenHash(tok), h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// stepOf returns the 1-based number of the step that holds element id.
func (sv *service) stepOf(t *testing.T, id string) int {
	t.Helper()
	for _, st := range sv.form.Steps {
		found := st.Parent != nil && st.Parent[0].Key == id
		for _, c := range st.Children {
			if c.Element.ID == id {
				found = true
			}
			if c.Element.Kind == form.KindGroup {
				var walk func(e *form.Element)
				walk = func(e *form.Element) {
					for _, k := range e.Struktur {
						if k.Element.ID == id {
							found = true
						}
						walk(k.Element)
					}
				}
				walk(c.Element)
			}
		}
		if found {
			return st.Index + 1
		}
	}
	t.Fatalf("%s not on any step", id)
	return 0
}

// postStep posts values to step n.
func (h *harness) postStep(base string, n int, vals url.Values) response {
	return h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, n), vals, nil)
}

// stepValues returns the example's values of step n with the given changes
// (nil deletes a field).
func (sv *service) stepValues(n int, doc map[string]any, set map[string][]string) url.Values {
	vals, _ := sv.form.FormValues(sv.form.Steps[n-1], doc)
	for k, v := range set {
		if v == nil {
			vals.Del(k)
			continue
		}
		vals[k] = v
	}
	return vals
}

func hasErrorSummary(body string) bool { return strings.Contains(body, `id="fehler"`) }

// mutterschutz is S00000000371: step 2 holds "Status der Frau"
// (F17000009294: 001 schwanger, 002 stillend); schwanger shows and requires
// the expected date F17000009295 and hides the actual date F17000009296,
// stillend the other way round.
const (
	status     = "G00000002193.F17000009294"
	expected   = "G00000002193.F17000009295"
	actualDate = "G00000002193.F17000009296"
)

func TestC01HiddenFieldWithValueTakesNoPart(t *testing.T) {
	h := newHarness(t)
	// S00000000364: "WENN F00000003445 'Abweichende Ausgabestelle' = JA,
	// DANN aktiviere G00000002211 'Sitz der Ausgabestelle'; = NEIN, DANN
	// deaktiviere G00000002211." The group has required fields and is a
	// step of its own.
	sv := h.service("beispielkreis", "heimarbeit")
	base := h.start(sv)
	q, g := sv.stepOf(t, "F00000003445"), sv.stepOf(t, "G00000002211")
	// Opening the question's step: no error before the citizen acts.
	page := h.get(fmt.Sprintf("%s/schritt/%d", base, q))
	if page.status != http.StatusOK || hasErrorSummary(page.body) || strings.Contains(page.body, "kern-error") {
		t.Fatalf("step %d on opening: %d, errors shown", q, page.status)
	}
	// The group's step is skipped while the rule hides it.
	if r := h.get(fmt.Sprintf("%s/schritt/%d", base, g)); r.status != http.StatusSeeOther || strings.HasSuffix(r.location, fmt.Sprintf("/schritt/%d", g)) {
		t.Errorf("hidden step %d: %d %s", g, r.status, r.location)
	}
	// Stale, invalid values posted for the hidden group take no part in
	// validation and are not kept.
	ex := sv.form.Example(sv.ctx)
	vals := sv.stepValues(q, ex, map[string][]string{"F00000003445": {"false"}})
	vals.Set("aktion", "weiter")
	if r := h.postStep(base, q, vals); r.status != http.StatusSeeOther {
		t.Fatalf("question: %d %s", r.status, problemsOf(r.body))
	}
	stale := url.Values{"aktion": {"weiter"}, "G00000002211.F60000000243": {strings.Repeat("ü", 500)}, "G00000002211.F60000000246": {"abc"}}
	if r := h.postStep(base, g, stale); r.status != http.StatusSeeOther {
		t.Fatalf("hidden step posted: %d %s", r.status, problemsOf(r.body))
	}
	if _, ok := h.draft(sv, base).Data["G00000002211"]; ok {
		t.Error("values of the hidden group were saved")
	}
	// Answering JA shows the group's step, with its required fields.
	vals.Set("F00000003445", "true")
	if r := h.postStep(base, q, vals); r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, fmt.Sprintf("/schritt/%d", g)) {
		t.Errorf("after JA: %d %s, want step %d", r.status, r.location, g)
	}
}

func TestC02ErrorDisappearsWithItsField(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	base := h.start(sv)
	ex := sv.form.Example(sv.ctx)
	n := sv.stepOf(t, "F17000009294")
	// schwanger, without the expected date: "Weiter" fails at that field.
	vals := sv.stepValues(n, ex, map[string][]string{status: {"001"}, expected + ".tag": nil, expected + ".monat": nil, expected + ".jahr": nil})
	vals.Set("aktion", "weiter")
	resp := h.postStep(base, n, vals)
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `href="#f-G00000002193-F17000009295-tag"`) {
		t.Fatalf("first weiter: %d, no error linked to the expected date\n%s", resp.status, problemsOf(resp.body))
	}
	if !strings.Contains(resp.body, `id="f-G00000002193-F17000009295-error"`) {
		t.Error("field error not shown at the field")
	}
	// Now stillend, with an actual date and a stale expected date typed
	// before: the error is gone, "Weiter" goes on, and the stale value is
	// not kept.
	vals = sv.stepValues(n, ex, map[string][]string{status: {"002"},
		actualDate + ".tag": {"3"}, actualDate + ".monat": {"1"}, actualDate + ".jahr": {"2026"},
		expected + ".tag": {"9"}, expected + ".monat": {"9"}, expected + ".jahr": {"2026"}})
	vals.Set("aktion", "weiter")
	resp = h.postStep(base, n, vals)
	if resp.status != http.StatusSeeOther {
		t.Fatalf("second weiter: %d\n%s", resp.status, problemsOf(resp.body))
	}
	d := h.draft(sv, base)
	g := d.Data["G00000002193"].(map[string]any)
	if _, stale := g["F17000009295"]; stale || g["F17000009296"] != "2026-01-03" {
		t.Errorf("data after switching: %v", g)
	}
}

// TestC02UnreadableInputOfHiddenField: a field the answers hide still
// posts what was typed into it before (without JavaScript, or with it: the
// browser posts hidden inputs). An unreadable value there, such as 31
// February, must neither show an error nor stop "Weiter".
func TestC02UnreadableInputOfHiddenField(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	base := h.start(sv)
	ex := sv.form.Example(sv.ctx)
	n := sv.stepOf(t, "F17000009294")
	bad := map[string][]string{expected + ".tag": {"31"}, expected + ".monat": {"2"}, expected + ".jahr": {"2026"}}
	// schwanger: the date is visible and refused.
	set := map[string][]string{status: {"001"}}
	for k, v := range bad {
		set[k] = v
	}
	vals := sv.stepValues(n, ex, set)
	vals.Set("aktion", "weiter")
	if resp := h.postStep(base, n, vals); resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "kein gültiges Datum") {
		t.Fatalf("visible invalid date: %d\n%s", resp.status, problemsOf(resp.body))
	}
	// stillend: the date is hidden; the same input goes on.
	set[status] = []string{"002"}
	set[actualDate+".tag"], set[actualDate+".monat"], set[actualDate+".jahr"] = []string{"3"}, []string{"1"}, []string{"2026"}
	vals = sv.stepValues(n, ex, set)
	vals.Set("aktion", "weiter")
	resp := h.postStep(base, n, vals)
	if resp.status != http.StatusSeeOther {
		t.Fatalf("hidden invalid date blocks: %d\n%s", resp.status, problemsOf(resp.body))
	}
	g := h.draft(sv, base).Data["G00000002193"].(map[string]any)
	if _, kept := g["F17000009295"]; kept {
		t.Errorf("the hidden field's value was kept: %v", g)
	}
	// With "Aktualisieren" the page shows no error either.
	vals.Set("aktion", "aktualisieren")
	if resp := h.postStep(base, n, vals); resp.status != http.StatusSeeOther {
		t.Errorf("aktualisieren: %d\n%s", resp.status, problemsOf(resp.body))
	}
}

func TestC03HiddenRequiredRadioGroupPostedEmpty(t *testing.T) {
	h := newHarness(t)
	// S00000000362: "WENN F00000003327 'Abfrage Gesetzlicher Vertreter' =
	// NEIN, DANN deaktiviere G60000000220"; the group holds the required
	// radio group F60000000352.
	sv := h.service("musterstadt", "beschaeftigungserlaubnis")
	base := h.start(sv)
	ex := sv.form.Example(sv.ctx)
	ex["G00000002161"].(map[string]any)["F00000003327"] = false
	delete(ex["G00000002161"].(map[string]any), "G60000000220")
	n := sv.stepOf(t, "F00000003327")
	vals := sv.stepValues(n, ex, nil)
	vals.Set("G00000002161.G60000000220.F60000000352", "")
	vals.Set("aktion", "weiter")
	if resp := h.postStep(base, n, vals); resp.status != http.StatusSeeOther {
		t.Fatalf("weiter: %d\n%s", resp.status, problemsOf(resp.body))
	}
	h.fill(sv, base, ex)
	ref, _ := h.submit(base)
	sub, err := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, ref)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sub.Data, []byte("G60000000220")) || bytes.Contains(sub.Data, []byte("F60000000352")) {
		t.Error("the hidden group was delivered")
	}
}

func TestC04ServerRejectsMissingRequiredField(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	ex := sv.form.Example(sv.ctx)
	// Through the HTML journey: fill everything, then remove a required
	// field from the draft behind the browser's back; submitting fails.
	base := h.start(sv)
	h.fill(sv, base, ex)
	d := h.draft(sv, base)
	delete(d.Data["G00000002193"].(map[string]any), "F60000000227") // Familienname
	if err := h.db.SaveDraft(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	resp := h.do(h.client, "POST", base+"/absenden", url.Values{})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "Familienname") ||
		!strings.Contains(resp.body, `#f-G00000002193-F60000000227"`) { // the input, which takes focus
		t.Fatalf("HTML: %d\n%s", resp.status, problemsOf(resp.body))
	}
	// Through the JSON API, whatever the client claims.
	delete(ex["G00000002193"].(map[string]any), "F60000000227")
	stripFiles(ex)
	body, _ := json.Marshal(map[string]any{"data": ex, "valid": true})
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/beispielkreis.mutterschutz-nachtarbeit/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	r := h.send(h.client, req)
	if r.status != http.StatusBadRequest { // unknown member "valid"
		t.Fatalf("API with a claim: %d %s", r.status, r.body)
	}
	body, _ = json.Marshal(map[string]any{"data": ex})
	req, _ = http.NewRequest("POST", h.srv.URL+"/api/v1/forms/beispielkreis.mutterschutz-nachtarbeit/submissions", bytes.NewReader(body))
	r = h.send(h.client, req)
	if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("API: %d %s", r.status, r.body)
	}
	var p struct{ Errors []form.Problem }
	json.Unmarshal([]byte(r.body), &p)
	found := false
	for _, e := range p.Errors {
		if e.Path == "G00000002193.F60000000227" && e.Code == form.CodeRequired {
			found = true
		}
	}
	if !found {
		t.Errorf("no field-level error for the missing field: %s", r.body)
	}
}

// stripFiles removes file references (for API tests without uploads).
func stripFiles(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if m, ok := e.(map[string]any); ok && m["attachmentId"] != nil {
				delete(x, k)
				continue
			}
			if l, ok := e.([]any); ok && len(l) > 0 {
				if m, ok := l[0].(map[string]any); ok && m["attachmentId"] != nil {
					delete(x, k)
					continue
				}
			}
			stripFiles(e)
		}
	case []any:
		for _, e := range x {
			stripFiles(e)
		}
	}
}

func TestC05DateOnlyEverywhere(t *testing.T) {
	h := newHarness(t)
	// S00000000371: the expected date of birth F17000009295 is a date
	// field; 01.02.1990 as the citizen types it.
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	ex := sv.form.Example(sv.ctx)
	ex["G00000002193"].(map[string]any)["F17000009295"] = "1990-02-01"
	base := h.start(sv)
	h.fill(sv, base, ex)
	summary := h.get(base + "/pruefen")
	if !strings.Contains(summary.body, "01.02.1990") {
		t.Error("summary does not show 01.02.1990")
	}
	ref, _ := h.submit(base)
	sub, _ := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, ref)
	if !bytes.Contains(sub.Data, []byte(`"1990-02-01"`)) || bytes.Contains(sub.Data, []byte("1990-02-01T")) {
		t.Errorf("delivered data: %s", sub.Data)
	}
	pdf := h.get(base + "/antrag.pdf")
	if text := pdfText(t, []byte(pdf.body)); !strings.Contains(text, "01.02.1990") {
		t.Error("receipt does not show 01.02.1990")
	}
	c := h.staffClient("beispielkreis")
	// The caseworker's view reads the same, in any time zone of the server.
	if v := h.do(c, "GET", "/intern/antraege/"+sub.ID, nil); !strings.Contains(v.body, "01.02.1990") {
		t.Error("caseworker view does not show 01.02.1990")
	}
	if j := h.do(c, "GET", "/intern/antraege/"+sub.ID+"/daten.json", nil); !strings.Contains(j.body, `"1990-02-01"`) {
		t.Error("JSON download lacks the date")
	}
}

// unrouted removes every tenant's jurisdictions of the service (the demo
// routes krankheitserreger by the applicant's place), so that an
// application starts without asking for the place.
func (h *harness) unrouted(sv *service) *service {
	h.t.Helper()
	h.unroute(sv.svc)
	return sv
}

func (h *harness) unroute(svc *tenant.Service) {
	h.t.Helper()
	ctx := context.Background()
	ts, err := h.db.ListTenants(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, t := range ts {
		if t.ID != svc.TenantID && !svc.Shared {
			continue
		}
		if err := h.db.SetJurisdictions(ctx, t.ID, svc.ID, nil); err != nil {
			h.t.Fatal(err)
		}
	}
	// Nor is it delivered via FIT-Connect routing, which routes too.
	targets, err := h.db.Targets(ctx, svc.TenantID, svc.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	kept := slices.DeleteFunc(targets, func(t *delivery.Target) bool { return t.Kind == delivery.FITConnectRouting })
	if err := h.db.SetTargets(ctx, svc.TenantID, svc.ID, kept); err != nil {
		h.t.Fatal(err)
	}
}

func TestC06FileNames(t *testing.T) {
	h := newHarness(t)
	sv := h.unrouted(h.service("beispielkreis", "krankheitserreger"))
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	h.fill(sv, base, ex)
	// Upload the three names to the first repeated file field.
	var field string
	var step int
	for _, st := range sv.form.Steps {
		_, refs := sv.form.FormValues(st, ex)
		for k := range refs {
			if strings.Contains(k, "F05000018327") {
				field, step = k, st.Index+1
			}
		}
	}
	if field == "" {
		t.Fatal("no file field F05000018327")
	}
	names := []string{"Antrag (1).pdf", " Nachweis Mai 2024 .pdf", "Zeugnis_Müller.pdf"}
	var files []upload
	for _, n := range names {
		files = append(files, upload{field: field, name: n, content: pdfFile(n)})
	}
	vals, _ := sv.form.FormValues(sv.form.Steps[step-1], ex)
	vals.Set("aktion", "aktualisieren")
	if resp := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, step), vals, files); resp.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", resp.status, problemsOf(resp.body))
	}
	page := h.get(fmt.Sprintf("%s/schritt/%d", base, step))
	for _, want := range []string{"Antrag (1).pdf", "Nachweis Mai 2024 .pdf", "Zeugnis_Müller.pdf"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("step page lacks %q", want)
		}
	}
	if strings.Contains(page.body, " Nachweis Mai 2024 .pdf") {
		t.Error("leading space not trimmed")
	}
	ref, _ := h.submit(base)
	sub, _ := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, ref)
	atts, _ := h.db.ListAttachments(context.Background(), sv.tenant.ID, sub.ID)
	got := map[string]*submission.Attachment{}
	for _, a := range atts {
		got[a.Filename] = a
		if strings.Contains(a.StorageKey, "pdf") || strings.Contains(a.StorageKey, "Antrag") {
			t.Errorf("storage key %q derived from the name", a.StorageKey)
		}
	}
	c := h.staffClient("beispielkreis")
	view := h.do(c, "GET", "/intern/antraege/"+sub.ID, nil)
	for _, want := range []string{"Antrag (1).pdf", "Nachweis Mai 2024 .pdf", "Zeugnis_Müller.pdf"} {
		a := got[want]
		if a == nil {
			t.Errorf("attachment %q not stored (have %v)", want, keys(got))
			continue
		}
		if !strings.Contains(view.body, want) {
			t.Errorf("caseworker view lacks %q", want)
		}
		dl := h.do(c, "GET", "/intern/antraege/"+sub.ID+"/anhaenge/"+a.ID, nil)
		if dl.status != http.StatusOK || dl.body != string(pdfFile(strings.TrimSpace(want))) && dl.body != string(pdfFile(" "+want)) {
			t.Errorf("download of %q: %d", want, dl.status)
		}
		if cd := dl.header.Get("Content-Disposition"); !strings.Contains(cd, "filename") {
			t.Errorf("Content-Disposition %q", cd)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestC06RefusesFileByContentNotName(t *testing.T) {
	h := newHarness(t)
	sv := h.unrouted(h.service("beispielkreis", "krankheitserreger"))
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	var field string
	var step int
	for _, st := range sv.form.Steps {
		_, refs := sv.form.FormValues(st, ex)
		// The first file field in name order: map order would pick a
		// different one on every run.
		for _, k := range slices.Sorted(maps.Keys(refs)) {
			t.Logf("file field %s on step %d", k, st.Index+1)
			field, step = k, st.Index+1
			break
		}
		if field != "" {
			break
		}
	}
	vals, _ := sv.form.FormValues(sv.form.Steps[step-1], ex)
	vals.Set("aktion", "aktualisieren")
	resp := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, step), vals, []upload{{field: field, name: "rechnung.pdf", content: []byte("MZ\x90\x00 this is an executable")}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "nicht zulässigen Dateityp") {
		t.Fatalf("disguised file: %d %s", resp.status, problemsOf(resp.body))
	}
}

func TestC07Characters(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	ex := sv.form.Example(sv.ctx)
	const text = "Danke 👍 für die schnelle Bearbeitung — Grüße"
	// The first free-text field without a pattern or tight length.
	ex["G00000002193"].(map[string]any)["F60000000228"] = text // Vornamen
	base := h.start(sv)
	h.fill(sv, base, ex)
	if s := h.get(base + "/pruefen"); !strings.Contains(s.body, text) {
		t.Error("summary does not show the text unchanged")
	}
	ref, _ := h.submit(base)
	sub, _ := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, ref)
	if !bytes.Contains(sub.Data, []byte(text)) {
		t.Error("delivered JSON does not carry the text")
	}
	pdf := strings.Join(strings.Fields(pdfText(t, []byte(h.get(base+"/antrag.pdf").body))), " ")
	if !strings.Contains(pdf, "Danke [U+1F44D] für die schnelle Bearbeitung — Grüße") {
		t.Errorf("receipt text: %q", pdf)
	}
}

func TestC08RepeatingGroupEntries(t *testing.T) {
	h := newHarness(t)
	// S02000000112: "Voraussichtliche Gebäude" (G02000001438, 1:*).
	sv := h.service("beispielkreis", "cannabis-anbauvereinigung")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	n := sv.stepOf(t, "G02000001438")
	vals := sv.stepValues(n, ex, nil)
	fields := []string{}
	for k := range vals {
		rest, ok := strings.CutPrefix(k, "G02000001438[0].")
		if ok && !strings.ContainsAny(rest, ".#[") {
			if _, isText := ex["G02000001438"].([]any)[0].(map[string]any)[rest].(string); isText {
				fields = append(fields, rest)
			}
		}
	}
	slices.Sort(fields)
	if len(fields) == 0 {
		t.Fatal("no fields in the entries")
	}
	f := fields[0]
	post := func(vals url.Values, act string) response {
		vals.Set("aktion", act)
		return h.postStep(base, n, vals)
	}
	// Entry 1 filled, add entry 2.
	vals.Set("G02000001438[0]."+f, "eins")
	if r := post(vals, "add:G02000001438"); r.status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", r.status, problemsOf(r.body))
	}
	// Fill entry 2.
	vals = entryValues(vals, f, "eins", "zwei")
	if r := post(vals, "aktualisieren"); r.status != http.StatusSeeOther {
		t.Fatalf("fill 2: %d", r.status)
	}
	// Remove entry 1, add a new one.
	if r := post(vals, "remove:G02000001438[0]"); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.status)
	}
	one := h.draft(sv, base).Data["G02000001438"].([]any)
	if len(one) != 1 || one[0].(map[string]any)[f] != "zwei" {
		t.Fatalf("after removing entry 1: %v", one)
	}
	vals = entryValues(url.Values{"G02000001438#n": {"1"}}, f, "zwei")
	for k, v := range sv.stepValues(n, ex, nil) {
		if !strings.HasPrefix(k, "G02000001438") {
			vals[k] = v
		}
	}
	vals.Set("G02000001438[0]."+f, "zwei")

	if r := post(vals, "add:G02000001438"); r.status != http.StatusSeeOther {
		t.Fatalf("add again: %d", r.status)
	}
	// Go back one step and return: entries kept, in order.
	vals.Set("G02000001438#n", "2")
	vals.Set("G02000001438[1]."+f, "drei")
	if r := post(vals, "zurueck"); r.status != http.StatusSeeOther {
		t.Fatalf("zurück: %d %s", r.status, problemsOf(r.body))
	}
	page := h.get(fmt.Sprintf("%s/schritt/%d", base, n))
	i2, i3 := strings.Index(page.body, `value="zwei"`), strings.Index(page.body, `value="drei"`)
	if i2 < 0 || i3 < 0 || i2 > i3 || strings.Contains(page.body, `value="eins"`) {
		t.Fatalf("entries on the page: zwei at %d, drei at %d", i2, i3)
	}
	got := h.draft(sv, base).Data["G02000001438"].([]any)
	if len(got) != 2 || got[0].(map[string]any)[f] != "zwei" || got[1].(map[string]any)[f] != "drei" {
		t.Errorf("stored entries: %v", got)
	}
}

// entryValues sets field f of entries 0… to the values.
func entryValues(vals url.Values, f string, vs ...string) url.Values {
	out := url.Values{}
	for k, v := range vals {
		out[k] = v
	}
	out.Set("G02000001438#n", fmt.Sprint(len(vs)))
	for i, v := range vs {
		out.Set(fmt.Sprintf("G02000001438[%d].%s", i, f), v)
		for k, val := range vals {
			if strings.HasPrefix(k, "G02000001438[0].") && !strings.HasSuffix(k, "."+f) {
				out[fmt.Sprintf("G02000001438[%d].", i)+strings.TrimPrefix(k, "G02000001438[0].")] = val
			}
		}
	}
	return out
}

func TestC09DoubleSubmission(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "heimarbeit")
	base := h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	// Five quick presses of "Absenden".
	var wg sync.WaitGroup
	locs := make([]string, 5)
	for i := range locs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", h.srv.URL+base+"/absenden", strings.NewReader(""))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := h.client.Do(req)
			if err == nil {
				locs[i] = resp.Header.Get("Location")
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	for _, l := range locs {
		if l != base+"/bestaetigung" {
			t.Errorf("a press led to %q", l)
		}
	}
	// Back, and submit once more: the same confirmation.
	if r := h.do(h.client, "POST", base+"/absenden", url.Values{}); r.status != http.StatusSeeOther || r.location != base+"/bestaetigung" {
		t.Errorf("submitting again: %d %s", r.status, r.location)
	}
	ref := referenceRE.FindString(h.get(base + "/bestaetigung").body)
	list, err := h.db.ListSubmissions(context.Background(), sv.tenant.ID, submission.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Reference != ref {
		t.Fatalf("%d submissions, want exactly one with %s", len(list), ref)
	}
	// Back to a step after the confirmation: it shows the confirmation.
	if r := h.get(base + "/schritt/1"); r.status != http.StatusSeeOther || r.location != base+"/bestaetigung" {
		t.Errorf("step after submission: %d %s", r.status, r.location)
	}
}

func TestC11Numbers(t *testing.T) {
	h := newHarness(t)
	// S00000121: F00000728 "Jahresbruttobetrag der Einnahmen" is num_currency.
	sv := h.service("musterstadt", "blaue-karte-eu")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	n := sv.stepOf(t, "F00000728")
	vals := sv.stepValues(n, ex, nil)
	var name, intName string
	for k := range vals {
		if strings.HasSuffix(k, "F00000728") {
			name = k
		}
	}
	// An integer field on any step.
	var intStep int
	for _, st := range sv.form.Steps {
		v, _ := sv.form.FormValues(st, ex)
		for k := range v {
			if e := elementAt(sv, k); e != nil && e.Datentyp == form.DatentypNumInt && !e.HasCodes() {
				intName, intStep = k, st.Index+1
			}
		}
	}
	if name == "" {
		t.Fatal("currency field not on its step")
	}
	for _, tc := range []struct {
		in, want string
	}{{"1.234,56", "1234.56"}, {"1234.56", "1234.56"}, {" 42 ", "42"}} {
		vals.Set(name, tc.in)
		vals.Set("aktion", "aktualisieren")
		if r := h.postStep(base, n, vals); r.status != http.StatusSeeOther {
			t.Fatalf("%q: %d %s", tc.in, r.status, problemsOf(r.body))
		}
		b, _ := json.Marshal(h.draft(sv, base).Data)
		if !bytes.Contains(b, []byte(`"F00000728":`+tc.want)) {
			t.Errorf("%q stored as %s", tc.in, b)
		}
	}
	vals.Set(name, "1.234")
	vals.Set("aktion", "weiter")
	r := h.postStep(base, n, vals)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "mehrdeutig") || !strings.Contains(r.body, `value="1.234"`) {
		t.Errorf("ambiguous input: %d %s", r.status, problemsOf(r.body))
	}
	// Three decimals in an amount: refused, and shown as typed, never
	// rounded (not on the step, not on the summary).
	for _, in := range []string{"12,345", "1.234,567"} {
		vals.Set(name, in)
		vals.Set("aktion", "weiter")
		r = h.postStep(base, n, vals)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "zwei Nachkommastellen") || !strings.Contains(r.body, `value="`+in+`"`) {
			t.Errorf("%q: %d, shown as typed: %v; %s", in, r.status, strings.Contains(r.body, `value="`+in+`"`), problemsOf(r.body))
		}
		if sum := h.get(base + "/pruefen"); strings.Contains(sum.body, "12,35") || strings.Contains(sum.body, "1.234,57") {
			t.Errorf("%q rounded on the summary page", in)
		}
	}
	if intName != "" {
		iv := sv.stepValues(intStep, ex, nil)
		iv.Set(intName, " 42 ")
		iv.Set("aktion", "aktualisieren")
		if r := h.postStep(base, intStep, iv); r.status != http.StatusSeeOther {
			t.Fatalf("integer: %d %s", r.status, problemsOf(r.body))
		}
		b, _ := json.Marshal(h.draft(sv, base).Data)
		last := intName[strings.LastIndex(intName, ".")+1:]
		if !bytes.Contains(b, []byte(`"`+last+`":42`)) {
			t.Errorf("integer stored as %s", b)
		}
	}
}

func elementAt(sv *service, name string) *form.Element {
	var found *form.Element
	sv.form.Schema.Walk(func(p form.Path, c *form.Child) bool {
		if strings.HasSuffix(name, p[len(p)-1].Key) && c.Element.Kind == form.KindField {
			found = c.Element
		}
		return found == nil
	})
	return found
}

func TestC12SessionExpiryLosesNothing(t *testing.T) {
	h := newHarness(t)
	sv := h.service("beispielkreis", "mutterschutz-nachtarbeit")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	vals := sv.stepValues(1, ex, nil)
	vals.Set("aktion", "weiter")
	if r := h.postStep(base, 1, vals); r.status != http.StatusSeeOther {
		t.Fatalf("step 1: %d", r.status)
	}
	// Nine hours later (longer than any session), in a new browser
	// without cookies, the citizen presses "Weiter" on step 2.
	h.now = h.now.Add(9 * time.Hour)
	fresh := &http.Client{CheckRedirect: h.client.CheckRedirect}
	vals2 := sv.stepValues(2, ex, nil)
	vals2.Set("aktion", "weiter")
	var buf bytes.Buffer
	_ = buf
	req, _ := http.NewRequest("POST", h.srv.URL+base+"/schritt/2", strings.NewReader(vals2.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := h.send(fresh, req); r.status != http.StatusSeeOther {
		t.Fatalf("step 2 after 9 hours: %d %s", r.status, problemsOf(r.body))
	}
	d := h.draft(sv, base)
	if _, ok := d.Data["G00000002191"]; !ok {
		t.Error("step 1's answers were lost")
	}
	// The resume link leads back to where the citizen left off, and the
	// page says how long the draft is kept.
	if r := h.get(base); r.status != http.StatusSeeOther || !strings.Contains(r.location, "/schritt/") {
		t.Errorf("resume link: %d %s", r.status, r.location)
	}
	if r := h.get(base + "/fortsetzen"); !strings.Contains(r.body, "http://antrag.test"+base) || !strings.Contains(r.body, "fortsetzen") {
		t.Errorf("resume page lacks the link")
	}
	// After the draft's expiry it is gone, with a message that says so.
	h.now = h.now.Add(31 * 24 * time.Hour)
	r := h.get(base + "/schritt/1")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "gelöscht") {
		t.Errorf("expired draft: %d %s", r.status, r.body[:min(300, len(r.body))])
	}
	keys, err := h.db.DeleteExpiredDrafts(context.Background(), h.now)
	if err != nil {
		t.Fatal(err)
	}
	_ = keys
	if _, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, tokenHash(base[strings.LastIndex(base, "/")+1:]), h.now.Add(-40*24*time.Hour)); err == nil {
		t.Error("expired draft still stored after the janitor ran")
	}
}

// TestParallelStepPostsKeepBoth: two tabs of one draft post different
// steps at the same moment; both steps' answers are kept (each save is
// checked against the draft's revision and re-applied on a conflict).
func TestParallelStepPostsKeepBoth(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "gewerbeanmeldung")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	h.fill(sv, base, ex)
	// Two steps, each with a text field holding the example's "Beispiel".
	type target struct {
		step int
		name string
		vals url.Values
	}
	var targets []target
	for _, st := range sv.form.Steps {
		vals, _ := sv.form.FormValues(st, ex)
		for k, v := range vals {
			if len(v) == 1 && v[0] == "Beispiel" {
				targets = append(targets, target{st.Index + 1, k, vals})
				break
			}
		}
		if len(targets) == 2 {
			break
		}
	}
	if len(targets) < 2 {
		t.Fatalf("no two steps with a text field")
	}
	for round := range 10 {
		var wg sync.WaitGroup
		for i, tg := range targets {
			vals := url.Values{}
			for k, v := range tg.vals {
				vals[k] = v
			}
			vals.Set(tg.name, fmt.Sprintf("Tab%d-%d", i, round))
			vals.Set("aktion", "aktualisieren")
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := h.postStep(base, tg.step, vals)
				if req.status != http.StatusSeeOther {
					t.Errorf("round %d tab %d: %d", round, i, req.status)
				}
			}()
		}
		wg.Wait()
		b, _ := json.Marshal(h.draft(sv, base).Data)
		for i := range targets {
			if want := fmt.Sprintf(`"Tab%d-%d"`, i, round); !bytes.Contains(b, []byte(want)) {
				t.Errorf("round %d: tab %d's answer %s lost", round, i, want)
			}
		}
	}
}

// TestRequiredRepeatingGroupStartsWithItsEntries: Gewerbeanmeldung's
// Betriebsinhaber (G00000091, anzahl 1:*) shows its first entry at once;
// the citizen need not press "hinzufügen" first, and cannot remove it.
func TestRequiredRepeatingGroupStartsWithItsEntries(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "gewerbeanmeldung")
	base := h.start(sv)
	n := sv.stepOf(t, "G00000091")
	page := h.get(fmt.Sprintf("%s/schritt/%d", base, n))
	if !strings.Contains(page.body, `name="G00000091#n" value="1"`) || !strings.Contains(page.body, `name="G00000091[0].`) {
		t.Fatalf("step %d does not show the first Betriebsinhaber entry", n)
	}
	if strings.Contains(page.body, `value="remove:G00000091[0]"`) {
		t.Errorf("the only required entry can be removed")
	}
}
