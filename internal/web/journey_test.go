package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/tenant"
)

// demoServices lists every service of the demo catalogue as tenant/slug.
// demoServiceList returns the services a demo tenant owns.
func demoServiceList(t *testing.T, h *harness, slug string) []*tenant.Service {
	t.Helper()
	ctx := context.Background()
	tn, err := h.db.TenantBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := h.db.ListServices(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	var own []*tenant.Service
	for _, s := range svcs {
		if s.TenantID == tn.ID {
			own = append(own, s)
		}
	}
	return own
}

func demoServices(t *testing.T, h *harness) [][2]string {
	t.Helper()
	ctx := context.Background()
	var out [][2]string
	for _, slug := range []string{"musterstadt", "beispielkreis"} {
		tn, err := h.db.TenantBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		svcs, err := h.db.ListServices(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range svcs {
			if s.TenantID == tn.ID {
				out = append(out, [2]string{slug, s.Slug})
				// The demo routes its EfA service by the applicant's
				// place; the tests that take every demo service go
				// through the forms alone, without routing
				// (demo_routing_test.go checks that it is routed).
				h.unroute(s)
			}
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d demo services", len(out))
	}
	return out
}

// TestEveryDemoServiceThroughHTML fills and submits every demo service
// through the HTML form posts with the data of `antrag fim example` (made
// to satisfy the rules), then checks the summary, the confirmation, the
// stored canonical data, the receipt PDF and the caseworker's inbox.
func TestEveryDemoServiceThroughHTML(t *testing.T) {
	h := newHarness(t)
	staff := map[string]*http.Client{}
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			ex := sv.form.Example(sv.ctx)
			base := h.start(sv)
			h.fill(sv, base, ex)
			summary := h.get(base + "/pruefen")
			if !strings.Contains(summary.body, "Angaben prüfen") || !strings.Contains(summary.body, "Antrag absenden</h2>") {
				t.Fatalf("summary page incomplete: %d %s", summary.status, problemsOf(summary.body))
			}
			ref, conf := h.submit(base)
			if !strings.Contains(conf, "Ihr Antrag ist eingegangen") || !strings.Contains(conf, "Eingegangen") {
				t.Errorf("confirmation page incomplete")
			}

			// The stored data is the example, with the uploaded files.
			sub, stored := h.storedAs(t, sv, ref, ex)
			if ps, _ := sv.form.Rules.Validate(stored, sv.ctx); len(ps) > 0 {
				t.Errorf("stored data fails validation: %v", ps)
			}

			// The receipt PDF.
			resp := h.get(base + "/antrag.pdf")
			if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("receipt: %d %s", resp.status, resp.header.Get("Content-Type"))
			}
			text := pdfText(t, []byte(resp.body))
			for _, want := range []string{ref, "Antragsbestätigung", sub.DataSHA256[:16]} {
				if !strings.Contains(strings.ReplaceAll(text, "\n", ""), want) {
					t.Errorf("receipt lacks %q", want)
				}
			}
			if secs := sv.form.Answers(stored, nil, true); len(secs) > 0 && len(secs[0].Items) > 0 {
				label := secs[0].Items[0].Label
				if !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(label), " ")) {
					t.Errorf("receipt lacks the first question %q", label)
				}
			}

			// The caseworker of the receiving tenant sees it; the other
			// tenant's caseworker does not.
			c := staff[ts[0]]
			if c == nil {
				c = h.staffClient(ts[0])
				staff[ts[0]] = c
			}
			inbox := h.do(c, "GET", "/intern/", nil)
			if inbox.status != http.StatusOK || !strings.Contains(inbox.body, ref) {
				t.Fatalf("inbox of %s lacks %s (%d)", ts[0], ref, inbox.status)
			}
			view := h.do(c, "GET", "/intern/antraege/"+sub.ID, nil)
			if view.status != http.StatusOK || !strings.Contains(view.body, ref) || !strings.Contains(view.body, "eingereicht") {
				t.Fatalf("submission view: %d", view.status)
			}
			other := "beispielkreis"
			if ts[0] == other {
				other = "musterstadt"
			}
			oc := staff[other]
			if oc == nil {
				oc = h.staffClient(other)
				staff[other] = oc
			}
			if r := h.do(oc, "GET", "/intern/antraege/"+sub.ID, nil); r.status != http.StatusNotFound {
				t.Errorf("the other tenant's caseworker gets %d for this submission", r.status)
			}
		})
	}
}

// TestEveryDemoServiceThroughAPI submits every demo service through the
// JSON API with the same example data, uploading its files first.
func TestEveryDemoServiceThroughAPI(t *testing.T) {
	h := newHarness(t)
	resp := h.get("/api/v1/services")
	var list []struct {
		ID   string `json:"id"`
		Form struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
		} `json:"form"`
		Leistungsschluessel string `json:"leistungsschluessel"`
	}
	if err := json.Unmarshal([]byte(resp.body), &list); err != nil || len(list) < 15 {
		t.Fatalf("services: %v (%d)", err, len(list))
	}
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			id := ts[0] + "." + ts[1]
			schema := h.get("/api/v1/forms/" + id + "/schema")
			if schema.status != http.StatusOK || !strings.Contains(schema.body, `"$schema":"https://json-schema.org/draft/2020-12/schema"`) {
				t.Fatalf("schema: %d", schema.status)
			}
			ex := sv.form.Example(sv.ctx)
			session := ""
			replaceFiles(ex, func(ref map[string]any) map[string]any {
				name, _ := ref["filename"].(string)
				req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+id+"/attachments?filename="+url.QueryEscape(name), bytes.NewReader(pdfFile(name)))
				if session != "" {
					req.Header.Set("Antrag-Entwurf", session)
				}
				r := h.send(h.client, req)
				if r.status != http.StatusCreated {
					t.Fatalf("upload: %d %s", r.status, r.body)
				}
				var out struct {
					Draft string         `json:"draft"`
					File  map[string]any `json:"file"`
				}
				json.Unmarshal([]byte(r.body), &out)
				session = out.Draft
				return out.File
			})
			body, _ := json.Marshal(map[string]any{"data": ex})
			post := func() response {
				req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+id+"/submissions", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "test-"+id)
				if session != "" {
					req.Header.Set("Antrag-Entwurf", session)
				}
				return h.send(h.client, req)
			}
			r := post()
			if r.status != http.StatusCreated {
				t.Fatalf("submit: %d %s", r.status, r.body)
			}
			var created struct{ ID, Reference, Status string }
			json.Unmarshal([]byte(r.body), &created)
			if !referenceRE.MatchString(created.Reference) || created.Status != "eingegangen" {
				t.Fatalf("answer: %s", r.body)
			}
			// A retry with the same key gives the same submission.
			r2 := post()
			var again struct{ ID, Reference string }
			json.Unmarshal([]byte(r2.body), &again)
			if r2.status != http.StatusCreated || again.ID != created.ID || again.Reference != created.Reference {
				t.Fatalf("retry: %d %s", r2.status, r2.body)
			}
			// The upload session cannot serve a second application.
			if session != "" {
				req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+id+"/submissions", bytes.NewReader(body))
				req.Header.Set("Idempotency-Key", "zweiter-"+id)
				req.Header.Set("Antrag-Entwurf", session)
				if r3 := h.send(h.client, req); r3.status != http.StatusConflict || !strings.Contains(r3.body, created.Reference) {
					t.Errorf("second application with a used session: %d %s", r3.status, r3.body)
				}
			}
			sub, err := h.db.Submission(context.Background(), sv.tenant.ID, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			atts, _ := h.db.ListAttachments(context.Background(), sv.tenant.ID, sub.ID)
			if n := len(attachmentIDsOf(ex)); len(atts) != n {
				t.Errorf("%d attachments stored, %d sent", len(atts), n)
			}
		})
	}
}

func replaceFiles(v any, fn func(map[string]any) map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if m, ok := e.(map[string]any); ok && m["attachmentId"] != nil {
				x[k] = fn(m)
				continue
			}
			replaceFiles(e, fn)
		}
	case []any:
		for i, e := range x {
			if m, ok := e.(map[string]any); ok && m["attachmentId"] != nil {
				x[i] = fn(m)
				continue
			}
			replaceFiles(e, fn)
		}
	}
}

func attachmentIDsOf(v any) []string {
	var out []string
	replaceFiles(v, func(m map[string]any) map[string]any {
		out = append(out, m["attachmentId"].(string))
		return m
	})
	return out
}

// TestSummaryErrorsLinkToTheirStep sends every demo service empty from
// the summary page: each error names its step and links into it.
func TestSummaryErrorsLinkToTheirStep(t *testing.T) {
	h := newHarness(t)
	link := regexp.MustCompile(`<li><a class="kern-link" href="([^"]*)">([^<]*)</a></li>`)
	for _, ts := range demoServices(t, h) {
		sv := h.service(ts[0], ts[1])
		base := h.start(sv)
		r := h.do(h.client, "POST", base+"/absenden", url.Values{})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: empty submission: %d", ts[1], r.status)
			continue
		}
		summary := r.body
		if i := strings.Index(summary, `id="fehler"`); i >= 0 {
			summary = summary[i:]
			if j := strings.Index(summary, "</ul>"); j >= 0 {
				summary = summary[:j]
			}
		}
		ms := link.FindAllStringSubmatch(summary, -1)
		if len(ms) == 0 {
			t.Errorf("%s: no error links", ts[1])
		}
		for _, m := range ms {
			if !regexp.MustCompile(`/schritt/\d+#`).MatchString(m[1]) || !strings.HasPrefix(html.UnescapeString(m[2]), "Schritt ") {
				t.Errorf("%s: error %q links to %s", ts[1], m[2], m[1])
			}
		}
	}
}
