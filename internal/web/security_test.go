package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// TestCrossSiteFormPostsRefused sends the state-changing posts of the
// citizen and the caseworker as a foreign site would: all are refused and
// nothing changes.
func TestCrossSiteFormPostsRefused(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "gewerbeanmeldung")
	base := h.start(sv)
	sub, _ := h.sendExample("musterstadt", "waffenbesitzkarte")
	staff := h.staffClient("musterstadt")
	before := h.draft(sv, base)

	cross := func(c *http.Client, path string, vals url.Values) int {
		req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(vals.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://boese.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		return h.send(c, req).status
	}
	step1, _ := sv.form.FormValues(sv.form.Steps[0], sv.form.Example(sv.ctx))
	step1.Set("aktion", "weiter")
	for _, c := range []struct {
		client *http.Client
		path   string
		vals   url.Values
	}{
		{h.client, "/musterstadt/dienste/gewerbeanmeldung", url.Values{}},
		{h.client, base + "/schritt/1", step1},
		{h.client, base + "/absenden", url.Values{}},
		{h.client, "/intern/anmelden", url.Values{"benutzername": {"sachbearbeitung-musterstadt"}, "passwort": {"Demo-Passwort-2026"}}},
		{staff, "/intern/antraege/" + sub.ID + "/status", url.Values{"status": {"abgeschlossen"}}},
	} {
		if got := cross(c.client, c.path, c.vals); got != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", c.path, got)
		}
	}
	after := h.draft(sv, base)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || len(after.Data) != len(before.Data) {
		t.Errorf("the draft changed through a cross-site post")
	}
	if got, _ := h.db.Submission(context.Background(), sub.TenantID, sub.ID); got.Status != sub.Status {
		t.Errorf("status changed through a cross-site post")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "gewerbeanmeldung")
	base := h.start(sv)
	for _, p := range []string{"/", "/musterstadt/", base + "/schritt/1", "/intern/anmelden", "/gibt-es-nicht"} {
		r := h.get(p)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", p, k, got, want)
			}
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=\"") || strings.Contains(r.body, " onclick=") {
			t.Errorf("%s: inline script or style, which the policy blocks", p)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a cookie for a visitor", p)
		}
	}
	// Pages with personal data are not cached.
	if cc := h.get(base + "/schritt/1").header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("step Cache-Control %q", cc)
	}
	// HSTS when the public URL is https, even behind a proxy.
	if got := h.get("/").header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS on an http installation: %q", got)
	}
	hs := newHarnessWith(t, func(c *harnessConfig) { c.baseURL = "https://antrag.example.de" })
	if got := hs.get("/").header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("no HSTS with an https base URL: %q", got)
	}
}

// TestBodyLimits sends bodies beyond the limits: each gets a clear 413,
// and the draft keeps what it had.
func TestBodyLimits(t *testing.T) {
	h := newHarnessWith(t, func(c *harnessConfig) {
		c.maxForm, c.maxUpload, c.maxAPI = 64<<10, 256<<10, 64<<10
	})
	sv := h.service("musterstadt", "gewerbeanmeldung")
	base := h.start(sv)
	ex := sv.form.Example(sv.ctx)
	vals, _ := sv.form.FormValues(sv.form.Steps[0], ex)
	vals.Set("aktion", "weiter")
	if r := h.postStep(base, 1, vals); r.status != http.StatusSeeOther {
		t.Fatalf("step 1: %d", r.status)
	}
	saved := h.draft(sv, base)

	big := url.Values{"aktion": {"weiter"}, "x": {strings.Repeat("a", 70<<10)}}
	r := h.postStep(base, 1, big)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "zu groß") {
		t.Errorf("oversized step post: %d %s", r.status, problemsOf(r.body))
	}
	r = h.postMultipart(base+"/schritt/1", url.Values{"aktion": {"aktualisieren"}},
		[]upload{{field: "x", name: "gross.pdf", content: append(pdfFile("x"), bytes.Repeat([]byte{' '}, 400<<10)...)}})
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d", r.status)
	}
	if after := h.draft(sv, base); fmt.Sprint(after.Data) != fmt.Sprint(saved.Data) {
		t.Errorf("an oversized post changed the draft")
	}

	body, _ := json.Marshal(map[string]any{"data": map[string]any{"F1": strings.Repeat("a", 70<<10)}})
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.gewerbeanmeldung/submissions", bytes.NewReader(body))
	r = h.send(h.client, req)
	if r.status != http.StatusRequestEntityTooLarge || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("oversized API request: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

// TestAPIBadRequests: malformed requests get problem+json, never a 500.
func TestAPIBadRequests(t *testing.T) {
	h := newHarness(t)
	post := func(formID, body string) response {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+formID+"/submissions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return h.send(h.client, req)
	}
	for _, c := range []struct {
		form, body string
		status     int
	}{
		{"musterstadt.gewerbeanmeldung", `{"data": `, http.StatusBadRequest},
		{"musterstadt.gewerbeanmeldung", `[1,2]`, http.StatusBadRequest},
		{"musterstadt.gewerbeanmeldung", `{"data": {}, "extra": 1}`, http.StatusBadRequest},
		{"musterstadt.gewerbeanmeldung", `{}`, http.StatusBadRequest},
		{"musterstadt.gewerbeanmeldung", `{"data": "text"}`, http.StatusBadRequest},
		{"musterstadt.gewerbeanmeldung", `{"data": {}}`, http.StatusUnprocessableEntity},
		{"musterstadt.gewerbeanmeldung", `{"data": {"F00000008": 1e999}}`, http.StatusUnprocessableEntity},
		{"musterstadt.gewerbeanmeldung", `{"data": {"F00000008": "2026-02-30"}}`, http.StatusUnprocessableEntity},
		{"musterstadt.gewerbeanmeldung", `{"data": {}} trailing <script>`, http.StatusBadRequest},
		{"musterstadt.gewerbeanmeldung", `{"data": {}}{"data": {}}`, http.StatusBadRequest},
		{"musterstadt.gibtsnicht", `{"data": {}}`, http.StatusNotFound},
		{"gewerbeanmeldung", `{"data": {}}`, http.StatusNotFound},
		{"nirgendwo.gewerbeanmeldung", `{"data": {}}`, http.StatusNotFound},
	} {
		r := post(c.form, c.body)
		var p struct {
			Title  string
			Status int
		}
		if r.status != c.status || r.header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal([]byte(r.body), &p) != nil || p.Status != c.status || p.Title == "" {
			t.Errorf("%s %s: %d %s %s", c.form, c.body, r.status, r.header.Get("Content-Type"), r.body)
		}
		if leaks(r.body) {
			t.Errorf("%s %s: the problem shows internals: %s", c.form, c.body, r.body)
		}
	}
	// A session token of another tenant's form, and one that is unknown.
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.bewohnerparkausweis/attachments?filename=a.pdf", bytes.NewReader(pdfFile("a")))
	up := h.send(h.client, req)
	session := up.header.Get("Antrag-Entwurf")
	for _, formID := range []string{"beispielkreis.asbest-anzeige", "musterstadt.blaue-karte-eu"} {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+formID+"/submissions", strings.NewReader(`{"data": {}}`))
		req.Header.Set("Antrag-Entwurf", session)
		r := h.send(h.client, req)
		if r.status < 400 || r.status >= 500 || leaks(r.body) || !strings.Contains(r.body, "Antrag-Entwurf") {
			t.Errorf("foreign session on %s: %d %s", formID, r.status, r.body)
		}
	}
}

// leaks reports whether a client-facing text shows implementation details.
func leaks(body string) bool {
	for _, s := range []string{"sqlite", "sql:", "json:", "Go value", "struct {", "no rows", "goroutine"} {
		if strings.Contains(body, s) {
			return true
		}
	}
	return regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).MatchString(body)
}

// TestHostilePaths: unknown tenants, services, tokens and steps are 404
// pages, never errors.
func TestHostilePaths(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "gewerbeanmeldung")
	base := h.start(sv)
	for _, p := range []string{
		"/nirgendwo/", "/musterstadt/dienste/gibtsnicht", "/musterstadt/antrag/falsch/schritt/1",
		base + "/schritt/0", base + "/schritt/999", base + "/schritt/-1", base + "/schritt/1x",
		"/musterstadt/antrag/" + strings.Repeat("A", 5000) + "/pruefen", "/intern/antraege/x", "/static/vendor/../../go.mod",
		// Another tenant's draft through this tenant's path.
		strings.Replace(base, "/musterstadt/", "/beispielkreis/", 1) + "/schritt/1",
	} {
		r := h.get(p)
		if p == "/intern/antraege/x" {
			if r.status != http.StatusSeeOther {
				t.Errorf("%s: %d", p, r.status)
			}
			continue
		}
		for range 2 { // the mux cleans the path, then adds the slash of a tenant's page
			if p == "/static/vendor/../../go.mod" && r.status == http.StatusTemporaryRedirect {
				r = h.get(r.location)
			}
		}
		if r.status != http.StatusNotFound {
			t.Errorf("%.80s: %d, want 404", p, r.status)
		}
	}
}

// TestLogsCarryNoPersonalData runs whole applications and then searches the
// server's log (at debug level) for the answers, the resume links, the
// file names and the Vorgangsnummer.
func TestLogsCarryNoPersonalData(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	// A step with errors and an unknown token, which are logged as failures.
	h.postStep(base, 1, url.Values{"aktion": {"weiter"}})
	h.get(strings.Replace(base, "/antrag/", "/antrag/x", 1) + "/schritt/1")
	h.fill(sv, base, ex)
	ref, _ := h.submit(base)
	logs := h.logs.String()
	if !strings.Contains(logs, `route="POST /{tenant}/antrag/{token}/schritt/{n}"`) {
		t.Fatalf("request log lacks the route pattern:\n%.2000s", logs)
	}
	tok := base[strings.LastIndex(base, "/")+1:]
	secrets := []string{tok, ref}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if len(x) >= 6 {
				secrets = append(secrets, x)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(ex)
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains %q", s)
		}
	}
}

// TestNewFormVersionKeepsJourneysInProgress publishes a new version of a
// form while a draft is open: the draft finishes on its version, a new
// draft gets the new one, and each submission records its version.
func TestNewFormVersionKeepsJourneysInProgress(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sv := h.service("musterstadt", "gewerbeanmeldung")
	ex := sv.form.Example(sv.ctx)
	oldBase := h.start(sv)
	h.fill(sv, oldBase, ex)

	// Version 2: the same schema with the first question renamed.
	label := sv.form.Answers(ex, nil, true)[0].Items[0].Label
	v1, err := h.db.FormVersion(ctx, sv.tenant.ID, sv.svc.FormVersionID)
	if err != nil {
		t.Fatal(err)
	}
	xdf := bytes.ReplaceAll(v1.XDF, []byte(">"+label+"<"), []byte(">"+label+" (neu)<"))
	if bytes.Equal(xdf, v1.XDF) {
		t.Fatalf("label %q not in the XDF", label)
	}
	v2 := &tenant.FormVersion{TenantID: sv.tenant.ID, ServiceID: sv.svc.ID, FIMID: v1.FIMID, FIMVersion: v1.FIMVersion, Name: v1.Name, XDF: xdf}
	if err := h.db.PublishFormVersion(ctx, sv.tenant.ID, v2); err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.ID == v1.ID {
		t.Fatalf("published version %d", v2.Version)
	}

	old := h.get(oldBase + "/pruefen")
	if old.status != http.StatusOK || strings.Contains(old.body, label+" (neu)") {
		t.Errorf("the draft in progress changed to the new version")
	}
	oldRef, _ := h.submit(oldBase)
	sv2 := h.service("musterstadt", "gewerbeanmeldung")
	newBase := h.start(sv2)
	h.fill(sv2, newBase, ex)
	if p := h.get(newBase + "/pruefen"); !strings.Contains(p.body, label+" (neu)") {
		t.Errorf("a new draft does not use the new version")
	}
	newRef, _ := h.submit(newBase)
	for ref, want := range map[string]string{oldRef: v1.ID, newRef: v2.ID} {
		sub, err := h.db.SubmissionByReference(ctx, sv.tenant.ID, ref)
		if err != nil {
			t.Fatal(err)
		}
		if sub.FormVersionID != want {
			t.Errorf("submission %s has version %s, want %s", ref, sub.FormVersionID, want)
		}
	}
	// The original XDatenfelder file is kept with each version.
	if got, _ := h.db.FormVersion(ctx, sv.tenant.ID, v1.ID); !bytes.Equal(got.XDF, v1.XDF) {
		t.Errorf("version 1 lost its XDF")
	}
}

// TestExpiredDraftIsGone: after the draft period the link answers that the
// application is gone, and the janitor's deletion removes the draft and its
// attachments.
func TestExpiredDraftIsGone(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	base := h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	d := h.draft(sv, base)
	atts := attachmentIDsOf(d.Data)
	if len(atts) == 0 {
		t.Fatalf("the draft has no attachments")
	}
	h.now = h.now.Add(31 * 24 * time.Hour)
	r := h.get(base + "/schritt/1")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "Antrag nicht gefunden") || !strings.Contains(r.body, "30 Tage") {
		t.Errorf("expired draft: %d", r.status)
	}
	keys, err := h.db.DeleteExpiredDrafts(context.Background(), h.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(atts) {
		t.Errorf("deleted %d attachment keys, want %d", len(keys), len(atts))
	}
	if _, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, d.TokenHash, h.now.Add(-40*24*time.Hour)); !errors.Is(err, apperr.NotFound) {
		t.Errorf("the draft is still stored (%v)", err)
	}
	for _, id := range atts {
		if _, err := h.db.Attachment(context.Background(), sv.tenant.ID, id); !errors.Is(err, apperr.NotFound) {
			t.Errorf("attachment %s still stored (%v)", id, err)
		}
	}
}

// TestUploadLimitsPerDraft: an anonymous client cannot fill the disk
// through one upload session or one draft, and a form without file fields
// takes no uploads at all.
func TestUploadLimitsPerDraft(t *testing.T) {
	h := newHarness(t)
	send := func(formID, session string, i int) response {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/forms/%s/attachments?filename=n%d.pdf", h.srv.URL, formID, i),
			bytes.NewReader(pdfFile(fmt.Sprint(i))))
		if session != "" {
			req.Header.Set("Antrag-Entwurf", session)
		}
		return h.send(h.client, req)
	}
	if r := send("musterstadt.gewerbeanmeldung", "", 0); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "keine Dateien") {
		t.Errorf("upload to a form without file fields: %d %s", r.status, r.body)
	}
	// Bewohnerparkausweis has 2 single-file fields: a session holds at
	// most 20 files.
	session := ""
	for i := range 25 {
		r := send("musterstadt.bewohnerparkausweis", session, i)
		if i < 20 {
			if r.status != http.StatusCreated {
				t.Fatalf("upload %d: %d %s", i, r.status, r.body)
			}
			session = r.header.Get("Antrag-Entwurf")
			continue
		}
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "zu viele Dateien") {
			t.Errorf("upload %d beyond the limit: %d %s", i, r.status, r.body)
		}
	}
	sv := h.service("musterstadt", "bewohnerparkausweis")
	d, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, tokenHash(session), h.now)
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := h.db.DraftAttachmentUsage(context.Background(), sv.tenant.ID, d.ID); n != 20 {
		t.Errorf("%d files stored, want 20", n)
	}
	// The session lives a day, not the 30 days of a citizen's draft.
	if life := d.ExpiresAt.Sub(d.CreatedAt); life > 24*time.Hour {
		t.Errorf("upload session lives %s", life)
	}
	// In the HTML journey a new file in a single-file field replaces the
	// old one, whose bytes are deleted: uploading again and again holds one.
	base := h.start(sv)
	n := sv.stepOf(t, "F05001248")
	var field string
	_, refs := sv.form.FormValues(sv.form.Steps[n-1], sv.form.Example(sv.ctx))
	for k := range refs {
		if strings.HasSuffix(k, "F05001248") {
			field = k
		}
	}
	if field == "" {
		t.Fatalf("file field F05001248 not on step %d", n)
	}
	for i := range 5 {
		r := h.postMultipart(fmt.Sprintf("%s/schritt/%d", base, n), url.Values{"aktion": {"aktualisieren"}},
			[]upload{{field: field, name: fmt.Sprintf("n%d.pdf", i), content: pdfFile(fmt.Sprint(i))}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("html upload %d: %d %s", i, r.status, problemsOf(r.body))
		}
	}
	if n, _, _ := h.db.DraftAttachmentUsage(context.Background(), sv.tenant.ID, h.draft(sv, base).ID); n != 1 {
		t.Errorf("html uploads: %d files held for a single-file field, want 1", n)
	}
}
