package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/store/storetest"
)

// The fixture of the rule sources tests (testdata/rulesources/SOURCES.md):
// G1 asks whether a dog is kept (F1, codes 001 Ja / 002 Nein) and its
// name (F2); G2 its breed (F3). Both Regeln are unsupported as free text.
// translated.json makes F2 required when F1 = 001 (R1, translation);
// corrections.json hides F3 unless F1 = 001 and requires it then (R2).
const (
	rsDir  = "testdata/rulesources"
	rsXDF  = rsDir + "/S99000000001.xml"
	rsG1   = "G99000000001"
	rsG2   = "G99000000002"
	rsF1   = "F99000000001"
	rsF2   = "F99000000002"
	rsF3   = "F99000000003"
	rsR1   = "R99000000001"
	rsR2   = "R99000000002"
	rsSlug = "hundehaltung"
)

// TestRuleSourcesEndToEnd publishes the fixture with translated rules and
// a correction and proves, through the HTML journey and the JSON API of a
// running server, that the form behaves as they say, where their
// conditions hold and where not; that publishing refuses unacknowledged
// unsupported Regeln; that `antrag service rules` changes corrections as
// new form versions, refuses invalid ones in German and keeps an audit
// trail; and that a draft keeps the version it began with. On SQLite, and
// on PostgreSQL when ANTRAG_TEST_POSTGRES names a server.
func TestRuleSourcesEndToEnd(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testRuleSources(t, map[string]string{"ANTRAG_DATA": filepath.Join(t.TempDir(), "daten"), "ANTRAG_CONFIG_RECHECK": "0"})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := storetest.NewPostgresDatabase(t)
		testRuleSources(t, map[string]string{"ANTRAG_DATA": filepath.Join(t.TempDir(), "daten"), "ANTRAG_DB": db, "ANTRAG_CONFIG_RECHECK": "0"})
	})
}

// testRuleSources publishes with the command line (another process) while
// the server runs; env has the server look for such changes on every
// request (ANTRAG_CONFIG_RECHECK=0), so that each shows at once.
func testRuleSources(t *testing.T, env map[string]string) {
	cmd := func(args ...string) (string, error) {
		t.Helper()
		out, stderr, err := runUserOut(t, env, "", args...)
		return out + stderr, err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cmd(args...)
		if err != nil {
			t.Fatalf("antrag %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	if err := startServe(t, env).stop(); err != nil {
		t.Fatal(err)
	}
	must("tenant", "add", "--slug", "erfurt", "--name", "Stadt Erfurt", "--ars", "160510000000", "--authority", "Ordnungsamt Erfurt")
	publish := func(extra ...string) (string, error) {
		t.Helper()
		return cmd(append(append([]string{"service", "publish", "--tenant", "erfurt", "--slug", rsSlug, "--operator", "m.muster"}, extra...), rsXDF)...)
	}
	version := func() string {
		t.Helper()
		for line := range strings.Lines(must("service", "list", "--tenant", "erfurt")) {
			if f := strings.Fields(line); len(f) > 2 && f[1] == rsSlug {
				return f[2]
			}
		}
		return "-"
	}

	// Unsupported Regeln refuse the publication, each listed with its
	// version, name, reason and line; nothing is stored, not even the
	// service.
	out, err := publish()
	if err == nil {
		t.Fatalf("publish without acknowledgement succeeded:\n%s", out)
	}
	for _, want := range []string{"nicht veröffentlicht", rsR1 + " 1.0.0 „Name des Hundes“ (Zeile ", rsR2 + " 1.0.0 „Rasse des Hundes“", "Satz nicht verstanden", "--acknowledge-unsupported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	if v := version(); v != "-" {
		t.Fatalf("a refused publication left the service at version %s", v)
	}
	// Acknowledging one of two is not enough; an unknown Regel is an error.
	if _, err := publish("--acknowledge-unsupported=" + rsR1); err == nil || !strings.Contains(err.Error(), rsR2) || strings.Contains(err.Error(), rsR1+" 1.0.0") {
		t.Errorf("publish acknowledging only %s: %v", rsR1, err)
	}
	if _, err := publish("--acknowledge-unsupported=R99000000099"); err == nil || !strings.Contains(err.Error(), "Regel R99000000099 gibt es im Schema S99000000001") {
		t.Errorf("publish acknowledging an unknown Regel: %v", err)
	}
	out = must(append([]string{"service", "publish", "--tenant", "erfurt", "--slug", rsSlug, "--operator", "m.muster",
		"--acknowledge-unsupported=" + rsR1 + "," + rsR2 + "@1.0.0"}, rsXDF)...)
	if !strings.Contains(out, "Formularversion 1") || !strings.Contains(out, "bestätigt: "+rsR1+"@1.0.0, "+rsR2+"@1.0.0") {
		t.Errorf("acknowledged publish:\n%s", out)
	}

	// Rule sources that do not fit the schema publish nothing.
	bad := filepath.Join(t.TempDir(), "falsch.json")
	writeFile(t, bad, `[{"rule": "R99000000077", "version": "1.0.0", "effects": [{"effect": "require", "target": "`+rsF2+`"}]}]`)
	if _, err := publish("--corrections", bad); err == nil || !strings.Contains(err.Error(), "keine Regel R99000000077") {
		t.Errorf("publish with a correction of an unknown Regel: %v", err)
	}
	badTr := filepath.Join(t.TempDir(), "uebersetzung.json")
	writeFile(t, badTr, `{"G99000000055@1.0.0": [{"effect": "require", "target": "self.`+rsF2+`"}]}`)
	if _, err := publish("--translated-rules", badTr); err == nil || !strings.Contains(err.Error(), "G99000000055") {
		t.Errorf("publish with a translation of an unknown element: %v", err)
	}
	if v := version(); v != "1" {
		t.Fatalf("refused publications: version %s, want 1", v)
	}

	// With the translation and the correction nothing stays unsupported.
	out, err = publish("--translated-rules", rsDir+"/translated.json", "--corrections", rsDir+"/corrections.json")
	if err != nil || !strings.Contains(out, "Formularversion 2") {
		t.Fatalf("publish with rule sources: %v\n%s", err, out)
	}
	list := must("service", "rules", "list", "--tenant", "erfurt", "--slug", rsSlug)
	wantRuleRow(t, list, rsR1, "compiled", "translation")
	wantRuleRow(t, list, rsR2, "compiled", "correction")

	s := startServe(t, env)
	c := newClient(t)
	api := func(data string) (int, []form.Problem) {
		t.Helper()
		req, err := http.NewRequest("POST", s.url+"/api/v1/forms/erfurt."+rsSlug+"/submissions", strings.NewReader(`{"data":`+data+`}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, body := do(t, c, req)
		var p struct {
			Errors []form.Problem `json:"errors"`
		}
		if resp.StatusCode != http.StatusCreated {
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatalf("answer %d: %v: %s", resp.StatusCode, err, body)
			}
		}
		return resp.StatusCode, p.Errors
	}
	for _, tc := range []struct {
		name, data string
		want       []string // "path code" of the problems; nil: accepted
	}{
		{"dog without name (translation)", `{"G99000000001":{"F99000000001":"001"},"G99000000002":{"F99000000003":"Dackel"}}`,
			[]string{"G99000000001.F99000000002 required"}},
		{"dog without breed (correction)", `{"G99000000001":{"F99000000001":"001","F99000000002":"Bello"},"G99000000002":{}}`,
			[]string{"G99000000002.F99000000003 required"}},
		{"dog with name and breed", `{"G99000000001":{"F99000000001":"001","F99000000002":"Bello"},"G99000000002":{"F99000000003":"Dackel"}}`, nil},
		{"no dog: name and breed not asked", `{"G99000000001":{"F99000000001":"002"},"G99000000002":{}}`, nil},
		{"no dog: a breed given is dropped, not refused", `{"G99000000001":{"F99000000001":"002"},"G99000000002":{"F99000000003":"Dackel"}}`, nil},
	} {
		status, problems := api(tc.data)
		var got []string
		for _, p := range problems {
			got = append(got, p.Path+" "+p.Code)
		}
		if tc.want == nil && status != http.StatusCreated || tc.want != nil && (status != http.StatusUnprocessableEntity || !slices.Equal(got, tc.want)) {
			t.Errorf("API, %s: %d %q, want %q", tc.name, status, got, tc.want)
		}
	}

	// The HTML journey of version 2.
	f := preparedForm(t, rsDir+"/translated.json", rsDir+"/corrections.json")
	dogNo := html1(t, c, s.url, f, map[string]any{rsF1: "002"})
	if status, loc := dogNo.get(t, 2); status != http.StatusSeeOther || !strings.HasSuffix(loc, "/pruefen") {
		t.Errorf("no dog: step 2 (breed, hidden by the correction) answers %d %q, want a redirect to the summary", status, loc)
	}
	noName := html1(t, c, s.url, f, map[string]any{rsF1: "001"})
	if noName.status != http.StatusUnprocessableEntity && noName.status != http.StatusOK || !strings.Contains(noName.summary, "Name des Hundes") {
		t.Errorf("dog without name: %d, error summary %q", noName.status, noName.summary)
	}
	dog := html1(t, c, s.url, f, map[string]any{rsF1: "001", rsF2: "Bello"})
	if dog.status != http.StatusSeeOther {
		t.Fatalf("dog with name: step 1 answers %d, errors %q", dog.status, dog.summary)
	}
	if status, body := dog.page(t, 2); status != http.StatusOK || !hasInput(t, body, f, rsF3) {
		t.Errorf("dog: step 2 answers %d, breed input shown: %v", status, hasInput(t, body, f, rsF3))
	}
	if status, summary := dog.post(t, 2, map[string]any{}); status == http.StatusSeeOther || !strings.Contains(summary, "Rasse des Hundes") {
		t.Errorf("dog without breed: step 2 answers %d, error summary %q", status, summary)
	}

	// Removing the correction publishes a version in which R2 takes the
	// translation of its element, which gives it no effect: the breed is
	// no longer hidden, while the draft begun on version 2 keeps it hidden.
	if _, err := cmd("service", "rules", "remove", "--tenant", "erfurt", "--slug", rsSlug, "--rule", "R99000000066"); err == nil ||
		!strings.Contains(err.Error(), "für Regel R99000000066 gibt es in Formularversion 2 keine Korrektur") {
		t.Errorf("remove of a Regel without correction: %v", err)
	}
	out = must("service", "rules", "remove", "--tenant", "erfurt", "--slug", rsSlug, "--operator", "m.muster", "--rule", rsR2,
		"--note", "Satzung gilt nicht mehr")
	if !strings.Contains(out, "Formularversion 3 (vorher 2") {
		t.Errorf("remove:\n%s", out)
	}
	wantRuleRow(t, must("service", "rules", "list", "--tenant", "erfurt", "--slug", rsSlug), rsR2, "compiled", "translation")
	if status, loc := dogNo.get(t, 2); status != http.StatusSeeOther || !strings.HasSuffix(loc, "/pruefen") {
		t.Errorf("the draft begun on version 2 lost its version: step 2 answers %d %q", status, loc)
	}
	f3 := preparedForm(t, rsDir+"/translated.json", "")
	dogNo3 := html1(t, c, s.url, f3, map[string]any{rsF1: "002"})
	if status, body := dogNo3.page(t, 2); status != http.StatusOK || !hasInput(t, body, f3, rsF3) {
		t.Errorf("version 3, no dog: step 2 answers %d; without the correction the breed shows", status)
	}
	if status, problems := api(`{"G99000000001":{"F99000000001":"001","F99000000002":"Bello"},"G99000000002":{}}`); status != http.StatusCreated {
		t.Errorf("version 3: a dog without breed is refused (%d %v), though the correction is gone", status, problems)
	}

	// Invalid corrections change nothing and say why in German.
	for _, tc := range []struct{ file, want string }{
		{"correction-unknown.json", "keine Regel R99000000077"},
		{"correction-type.json", `Feld "effects"`},
		{"correction-target.json", "F12345678901"},
	} {
		_, err := cmd("service", "rules", "set", "--tenant", "erfurt", "--slug", rsSlug, filepath.Join(rsDir, tc.file))
		if err == nil || !strings.Contains(err.Error(), "nichts geändert") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rules set %s: %v, want %q", tc.file, err, tc.want)
		}
	}
	if v := version(); v != "3" {
		t.Errorf("after refused changes the version is %s, want 3", v)
	}

	// A correction of R1 replaces its translation; R2 stays acknowledged.
	out = must("service", "rules", "set", "--tenant", "erfurt", "--slug", rsSlug, "--operator", "a.admin", rsDir+"/correction-name.json")
	if !strings.Contains(out, "Korrektur für Regel "+rsR1+"@1.0.0 gesetzt") || !strings.Contains(out, "Formularversion 4 (vorher 3") {
		t.Errorf("rules set:\n%s", out)
	}
	wantRuleRow(t, must("service", "rules", "list", "--tenant", "erfurt", "--slug", rsSlug), rsR1, "compiled", "correction")
	if status, problems := api(`{"G99000000001":{"F99000000001":"001"},"G99000000002":{}}`); status != http.StatusUnprocessableEntity ||
		len(problems) != 1 || problems[0].Path != rsG1+"."+rsF2 {
		t.Errorf("version 4, dog without name: %d %v", status, problems)
	}
	if status, problems := api(`{"G99000000001":{"F99000000001":"002"},"G99000000002":{}}`); status != http.StatusCreated {
		t.Errorf("version 4, no dog: %d %v", status, problems)
	}

	// The audit trail: who, what, from which version to which, why.
	log := must("service", "rules", "log", "--tenant", "erfurt", "--slug", rsSlug)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`m\.muster +veröffentlicht +- +- +1 +S99000000001 1\.0\.0; nicht unterstützt, bestätigt: R99000000001@1\.0\.0, R99000000002@1\.0\.0\n`),
		regexp.MustCompile(`m\.muster +veröffentlicht +- +1 +2 +S99000000001 1\.0\.0; Übersetzungen für 1 Element\(e\); Korrekturen: R99000000002@1\.0\.0\n`),
		regexp.MustCompile(`m\.muster +korrektur_entfernt +R99000000002 +2 +3 +Satzung gilt nicht mehr\n`),
		regexp.MustCompile(`a\.admin +korrektur_gesetzt +R99000000001@1\.0\.0 +3 +4 +Name immer Pflicht, wenn ein Hund gehalten wird \(Satzung § 3\)\n`),
	} {
		if !want.MatchString(log) {
			t.Errorf("audit trail lacks %s:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "\n"); n != 5 {
		t.Errorf("audit trail has %d lines, want a header and 4 entries:\n%s", n, log)
	}

	// A publication takes only the sources given to it, and says which
	// corrections of the version it replaces it lacks.
	out, err = publish("--acknowledge-unsupported")
	if err != nil || !strings.Contains(out, "Formularversion 5") ||
		!strings.Contains(out, "Hinweis: Formularversion 4 hatte Korrekturen, die diese Version nicht hat: "+rsR1+"@1.0.0") {
		t.Errorf("publish without the corrections of the version before: %v\n%s", err, out)
	}

	// Without a translation, removing a correction leaves its Regel
	// unsupported again: that needs acknowledging, while the Regel
	// acknowledged for the version the change is made on stays so.
	const slug2 = "hundehaltung-korrigiert"
	must("service", "publish", "--tenant", "erfurt", "--slug", slug2, "--operator", "m.muster",
		"--corrections", rsDir+"/corrections.json", "--acknowledge-unsupported="+rsR1, rsXDF)
	_, err = cmd("service", "rules", "remove", "--tenant", "erfurt", "--slug", slug2, "--operator", "m.muster", "--rule", rsR2+"@1.0.0")
	if err == nil || !strings.Contains(err.Error(), rsR2+" 1.0.0 „Rasse des Hundes“") || strings.Contains(err.Error(), rsR1+" 1.0.0") {
		t.Errorf("remove leaving %s unsupported without acknowledgement: %v", rsR2, err)
	}
	must("service", "rules", "remove", "--tenant", "erfurt", "--slug", slug2, "--operator", "m.muster", "--rule", rsR2+"@1.0.0",
		"--acknowledge-unsupported="+rsR2)
	list = must("service", "rules", "list", "--tenant", "erfurt", "--slug", slug2)
	wantRuleRow(t, list, rsR1, "unsupported (bestätigt)", "freitext")
	wantRuleRow(t, list, rsR2, "unsupported (bestätigt)", "freitext")
}

// wantRuleRow checks the row of `antrag service rules list` for a Regel.
func wantRuleRow(t *testing.T, list, id, status, origin string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + id + ` +1\.0\.0 +` + regexp.QuoteMeta(status) + ` +` + origin + ` `)
	if !re.MatchString(list) {
		t.Errorf("rules list: want %s %s from %s:\n%s", id, status, origin, list)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// preparedForm is the fixture's form with the given sources, to name the
// journey's inputs as the server does.
func preparedForm(t *testing.T, translated, corrections string) *journey.Form {
	t.Helper()
	xdf, err := os.ReadFile(rsXDF)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	src := &rules.Sources{}
	if translated != "" {
		if src.Translations, err = rules.LoadTranslations(translated); err != nil {
			t.Fatal(err)
		}
	}
	if corrections != "" {
		if src.Corrections, err = rules.LoadCorrections(corrections); err != nil {
			t.Fatal(err)
		}
	}
	c, err := catalog.Prepare(xdf, rsXDF, cat, src)
	if err != nil {
		t.Fatal(err)
	}
	return journey.NewFormWith(c.Schema, src)
}

// htmlDraft is a draft of the HTML journey whose first step was posted.
type htmlDraft struct {
	c       *http.Client
	base    string // server URL
	path    string // the draft's path
	f       *journey.Form
	status  int    // of posting step 1
	summary string // the error summary's text after posting step 1
}

// html1 starts a draft of the fixture's service and posts step 1 with the
// answers of G1 (field id → value).
func html1(t *testing.T, c *http.Client, base string, f *journey.Form, g1 map[string]any) *htmlDraft {
	t.Helper()
	status, loc, body, err := mpBrowser(c, "POST", base, "/erfurt/dienste/"+rsSlug, "application/x-www-form-urlencoded", nil)
	if err != nil || status != http.StatusSeeOther || !strings.HasSuffix(loc, "/schritt/1") {
		t.Fatalf("start: %v %d %q %.300s", err, status, loc, body)
	}
	d := &htmlDraft{c: c, base: base, path: strings.TrimSuffix(loc, "/schritt/1"), f: f}
	d.status, d.summary = d.post(t, 1, g1)
	return d
}

// post posts step n with the answers of its group (field id → value) and
// returns the status and the error summary's text.
func (d *htmlDraft) post(t *testing.T, n int, answers map[string]any) (int, string) {
	t.Helper()
	group := []string{rsG1, rsG2}[n-1]
	vals, _ := d.f.FormValues(d.f.Steps[n-1], map[string]any{group: answers})
	vals.Set("aktion", "weiter")
	status, _, body, err := mpBrowser(d.c, "POST", d.base, d.path+"/schritt/"+string(rune('0'+n)), "application/x-www-form-urlencoded", []byte(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return status, strings.Join(strings.Fields(doc.Find(".app-errorsummary a").Text()), " ")
}

// get asks for step n and returns the status and the redirect's target.
func (d *htmlDraft) get(t *testing.T, n int) (int, string) {
	t.Helper()
	status, loc, _, err := mpBrowser(d.c, "GET", d.base, d.path+"/schritt/"+string(rune('0'+n)), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return status, loc
}

// page asks for step n and returns the status and the page.
func (d *htmlDraft) page(t *testing.T, n int) (int, string) {
	t.Helper()
	status, _, body, err := mpBrowser(d.c, "GET", d.base, d.path+"/schritt/"+string(rune('0'+n)), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// hasInput reports whether the page has the input of G2's field id.
func hasInput(t *testing.T, body string, f *journey.Form, id string) bool {
	t.Helper()
	vals, _ := f.FormValues(f.Steps[1], map[string]any{rsG2: map[string]any{id: "x"}})
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name := range vals {
		if doc.Find(`[name="`+name+`"]`).Length() > 0 {
			return true
		}
	}
	return false
}

// TestPublishTranslatedRulesLibrary: translated rules from a directory or
// from ANTRAG_TRANSLATED_RULES are a library for many schemas, of which a
// publication takes its schema's elements; an element of the schema in
// another version than the schema's is still refused.
func TestPublishTranslatedRulesLibrary(t *testing.T) {
	t.Parallel()
	lib := t.TempDir()
	tr, err := os.ReadFile(rsDir + "/translated.json")
	if err != nil {
		t.Fatal(err)
	}
	var byKey map[string]json.RawMessage
	if err := json.Unmarshal(tr, &byKey); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(lib, "G99000000001_1.0.0.json"), string(byKey["G99000000001@1.0.0"]))
	writeFile(t, filepath.Join(lib, "G00000000123_2.0.0.json"), `[{"effect": "require", "target": "self.F00000000456"}]`)
	env := map[string]string{"ANTRAG_DATA": filepath.Join(t.TempDir(), "daten"), "ANTRAG_TRANSLATED_RULES": lib}
	if err := startServe(t, env).stop(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runUserOut(t, env, "", "tenant", "add", "--slug", "erfurt", "--name", "Stadt Erfurt", "--authority", "Ordnungsamt"); err != nil {
		t.Fatal(err)
	}
	publish := func(env map[string]string, extra ...string) (string, error) {
		out, stderr, err := runUserOut(t, env, "", append(append([]string{"service", "publish", "--tenant", "erfurt", "--slug", rsSlug,
			"--operator", "m.muster"}, extra...), rsXDF)...)
		return out + stderr, err
	}
	// From the environment: the translation of G1 is the source of both
	// its Regeln (the other element's file is not this schema's), so
	// nothing stays unsupported.
	out, err := publish(env)
	if err != nil || !strings.Contains(out, "Formularversion 1") {
		t.Fatalf("publish with the library: %v\n%s", err, out)
	}
	list, _, err := runUserOut(t, env, "", "service", "rules", "list", "--tenant", "erfurt", "--slug", rsSlug)
	if err != nil {
		t.Fatal(err)
	}
	wantRuleRow(t, list, rsR1, "compiled", "translation")
	wantRuleRow(t, list, rsR2, "compiled", "translation")
	if !strings.Contains(list, "Übersetzungen für 1 Element(e)") {
		t.Errorf("rules list header:\n%s", list)
	}

	// A directory given as --translated-rules is read the same; a
	// translation of the schema's element in another version is refused.
	writeFile(t, filepath.Join(lib, "G99000000001_9.9.9.json"), string(byKey["G99000000001@1.0.0"]))
	plain := map[string]string{"ANTRAG_DATA": env["ANTRAG_DATA"]}
	if out, err := publish(plain, "--translated-rules", lib, "--acknowledge-unsupported"); err == nil || !strings.Contains(err.Error(), "G99000000001@9.9.9") {
		t.Errorf("publish with a wrong version in the directory: %v\n%s", err, out)
	}
}

// TestDemoAcknowledgesByName: the demo publishes its samples with the
// unsupported Regeln acknowledged one by one, stored with the version and
// named in the audit trail (a publication of the demo catalogue) under
// the demo's name.
func TestDemoAcknowledgesByName(t *testing.T) {
	t.Parallel()
	dir := seedDemo(t)
	list, _, err := runUserOut(t, nil, "", "service", "rules", "list", "--data", dir, "--tenant", "beispielkreis", "--slug", "asbest-anzeige")
	if err != nil {
		t.Fatal(err)
	}
	unsupported := regexp.MustCompile(`(?m)^(R\d+) +(\S+) +unsupported(.*)$`).FindAllStringSubmatch(list, -1)
	if len(unsupported) == 0 {
		t.Skip("the sample has no unsupported Regel any more")
	}
	var keys []string
	for _, m := range unsupported {
		if !strings.HasPrefix(m[3], " (bestätigt)") {
			t.Errorf("%s %s unsupported, not acknowledged:\n%s", m[1], m[2], list)
		}
		keys = append(keys, m[1]+"@"+m[2])
	}
	log, _, err := runUserOut(t, nil, "", "service", "rules", "log", "--data", dir, "--tenant", "beispielkreis", "--slug", "asbest-anzeige")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Demo +veröffentlicht +- +- +1 +Katalog: S00000186 1\.0; nicht unterstützt, bestätigt: ` + regexp.QuoteMeta(strings.Join(keys, ", ")) + `\n`).MatchString(log) {
		t.Errorf("audit trail of the demo service (%q):\n%s", keys, log)
	}
}
