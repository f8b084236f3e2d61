package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
)

// onBothDatabases runs fn with a harness on SQLite and, when
// ANTRAG_TEST_POSTGRES names a server, on PostgreSQL.
func onBothDatabases(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			dsn := d.NewDSN(t)
			fn(t, newHarnessWith(t, func(c *harnessConfig) { c.dsn = dsn }))
		})
	}
}

// postAPI posts body to the submissions of a form, with header pairs.
func (h *harness) postAPI(formID string, body []byte, header ...string) response {
	h.t.Helper()
	req, err := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+formID+"/submissions", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.send(h.client, req)
}

// created is the body of a 201.
type created struct{ ID, Reference, Status string }

func createdOf(t *testing.T, r response) created {
	t.Helper()
	var c created
	if r.status != http.StatusCreated {
		t.Fatalf("want 201, got %d %s", r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &c); err != nil || c.ID == "" || c.Reference == "" {
		t.Fatalf("201 body %q: %v", r.body, err)
	}
	return c
}

// apiProblem is a problem+json answer.
type apiProblem struct {
	Title      string         `json:"title"`
	Status     int            `json:"status"`
	Detail     string         `json:"detail"`
	Errors     []form.Problem `json:"errors"`
	ErrorCount int            `json:"errorCount"`
}

func fullProblemOf(t *testing.T, r response) apiProblem {
	t.Helper()
	var p apiProblem
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%d with Content-Type %q: %.300s", r.status, ct, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("problem %q: %v", r.body, err)
	}
	return p
}

func dataBody(t *testing.T, doc map[string]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"data": doc}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// freeTexts calls fn for every text value of doc whose field is plain
// text (Datentyp text) without a pattern and replaces it by what fn
// returns; maxLength is the field's limit in characters, 0 for none.
func freeTexts(sv *service, doc map[string]any, fn func(p form.Path, e *form.Element, maxLength int) string) {
	freeTextValues(sv, doc, func(p form.Path, e *form.Element, ml int, _ string) string { return fn(p, e, ml) })
}

// freeTextValues is freeTexts with the value.
func freeTextValues(sv *service, doc map[string]any, fn func(p form.Path, e *form.Element, maxLength int, value string) string) {
	var walk func(p form.Path, v any) any
	walk = func(p form.Path, v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(p.Key(k), e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(p.Index(i), e)
			}
		case string:
			e := sv.form.Schema.ElementAt(p)
			if e == nil || e.Datentyp != form.DatentypText || e.Praezisierung.Regexp() != nil || e.HasCodes() || e.EmailAddress() {
				return v
			}
			ml := 0
			if e.Praezisierung.MaxLength != nil {
				ml = *e.Praezisierung.MaxLength
			}
			if e.Praezisierung.MinLength != nil && *e.Praezisierung.MinLength > 1 {
				return v
			}
			return fn(p, e, ml, x)
		}
		return v
	}
	walk(nil, doc)
}

func submissionCount(t *testing.T, h *harness, tenantID string) int {
	t.Helper()
	list, err := h.db.ListSubmissions(context.Background(), tenantID, submission.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// The same Idempotency-Key with other data does not answer with the first
// application (whose data the second client would believe stored): it is
// a 422 problem, and the first application stays as it was. The same
// request again, even spaced differently, answers as the first time, with
// a Location that answers 200.
func TestAPIIdempotencyKeyBoundToRequest(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, h *harness) {
		const formID = "musterstadt.gewerbeanmeldung"
		sv := h.service("musterstadt", "gewerbeanmeldung")
		ex := sv.form.Example(sv.ctx)
		first := h.postAPI(formID, dataBody(t, ex), "Idempotency-Key", "schluessel-1")
		made := createdOf(t, first)
		if first.location == "" {
			t.Fatal("201 without Location")
		}
		if got := h.get(first.location); got.status != http.StatusOK || !strings.Contains(got.body, made.ID) {
			t.Errorf("GET Location %s: %d %s", first.location, got.status, got.body)
		}
		stored, err := h.db.Submission(context.Background(), sv.tenant.ID, made.ID)
		if err != nil {
			t.Fatal(err)
		}

		// The same request with other spacing: the same answer.
		var spaced bytes.Buffer
		json.Indent(&spaced, dataBody(t, ex), "", "   ")
		again := h.postAPI(formID, spaced.Bytes(), "Idempotency-Key", "schluessel-1")
		if c := createdOf(t, again); c != made || again.location != first.location {
			t.Errorf("retry: %+v at %q, want %+v at %q", c, again.location, made, first.location)
		}

		// Other data under the key: valid, invalid, empty.
		changed := sv.form.Example(sv.ctx)
		n := 0
		freeTexts(sv, changed, func(_ form.Path, _ *form.Element, _ int) string { n++; return "Anders" })
		if n == 0 {
			t.Fatal("the example has no free text to change")
		}
		if r := h.apiSubmit("musterstadt", "gewerbeanmeldung", changed); r.status != http.StatusCreated {
			t.Fatalf("the changed data is not a valid application: %d %s", r.status, r.body)
		}
		for name, body := range map[string][]byte{"valid": dataBody(t, changed), "empty": []byte(`{"data": {}}`)} {
			r := h.postAPI(formID, body, "Idempotency-Key", "schluessel-1")
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("%s data under a used key: %d %s, want 422", name, r.status, r.body)
			}
			p := fullProblemOf(t, r)
			if p.Title != "Idempotency-Key schon verwendet" || !strings.Contains(p.Detail, "anderen Daten") || len(p.Errors) != 0 ||
				strings.Contains(r.body, made.Reference) || strings.Contains(r.body, made.ID) {
				t.Errorf("%s data under a used key: %s", name, r.body)
			}
		}
		// Two applications: the keyed one and the changed one without key.
		if n := submissionCount(t, h, sv.tenant.ID); n != 2 {
			t.Errorf("%d submissions stored, want 2", n)
		}
		now, err := h.db.Submission(context.Background(), sv.tenant.ID, made.ID)
		if err != nil || !bytes.Equal(now.Data, stored.Data) || now.RequestSHA256 == "" || now.RequestSHA256 != stored.RequestSHA256 {
			t.Errorf("the first application changed: %v", err)
		}
	})
}

// Parallel requests with one key and two different bodies: one
// application is stored, every answer is either it (to the requests with
// its data) or the 422 problem (to the others), never the application for
// other data.
func TestAPIIdempotencyKeyRace(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, h *harness) {
		const formID = "musterstadt.gewerbeanmeldung"
		sv := h.service("musterstadt", "gewerbeanmeldung")
		a := sv.form.Example(sv.ctx)
		b := sv.form.Example(sv.ctx)
		freeTexts(sv, b, func(form.Path, *form.Element, int) string { return "Anders" })
		bodies := [][]byte{dataBody(t, a), dataBody(t, b)}
		const n = 12
		answers := make([]response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = h.postAPI(formID, bodies[i%2], "Idempotency-Key", "wettlauf")
			}()
		}
		wg.Wait()
		list, err := h.db.ListSubmissions(context.Background(), sv.tenant.ID, submission.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d submissions stored, want 1 (%v)", len(list), err)
		}
		winner, err := h.db.Submission(context.Background(), sv.tenant.ID, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var mismatches int
		for i, r := range answers {
			switch r.status {
			case http.StatusCreated:
				c := createdOf(t, r)
				doc, _ := form.DecodeData(bytes.NewReader(bodies[i%2]))
				doc = doc["data"].(map[string]any)
				want, _ := submission.RequestHash("POST", "/api/v1/forms/"+formID+"/submissions", doc)
				if c.ID != winner.ID || want != winner.RequestSHA256 {
					t.Errorf("request %d (body %d) answered with %+v, stored %s", i, i%2, c, winner.ID)
				}
			case http.StatusUnprocessableEntity:
				if p := fullProblemOf(t, r); p.Title != "Idempotency-Key schon verwendet" {
					t.Errorf("request %d: %s", i, r.body)
				}
				mismatches++
			default:
				t.Errorf("request %d: %d %s", i, r.status, r.body)
			}
		}
		if mismatches != n/2 {
			t.Errorf("%d answers 422, want %d (the requests with the other body)", mismatches, n/2)
		}
	})
}

// uploadSession uploads the files of the example of a form with files
// into one API upload session and returns the data and the session.
func (h *harness) uploadSession(t *testing.T, sv *service, formID string) (map[string]any, string) {
	t.Helper()
	ex := sv.form.Example(sv.ctx)
	session := ""
	replaceFiles(ex, func(ref map[string]any) map[string]any {
		name, _ := ref["filename"].(string)
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+formID+"/attachments?filename="+url.QueryEscape(name), bytes.NewReader(pdfFile(name)))
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
	if session == "" {
		t.Fatal("the example has no files")
	}
	return ex, session
}

// 20 parallel submits of one application with one upload session, a
// client retrying impatiently, with and without Idempotency-Key: each
// answer is the one stored application (201, its Location answering 200),
// none a 422 for files that the winner moved out of the session.
func TestAPIParallelSubmitsOfOneSession(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, h *harness) {
		const formID = "musterstadt.bewohnerparkausweis"
		sv := h.service("musterstadt", "bewohnerparkausweis")
		for _, key := range []string{"parallel-1", ""} {
			ex, session := h.uploadSession(t, sv, formID)
			body := dataBody(t, ex)
			const n = 20
			answers := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					hdr := []string{"Antrag-Entwurf", session}
					if key != "" {
						hdr = append(hdr, "Idempotency-Key", key)
					}
					answers[i] = h.postAPI(formID, body, hdr...)
				}()
			}
			wg.Wait()
			ids := map[string]int{}
			for i, r := range answers {
				if r.status != http.StatusCreated {
					t.Errorf("key %q, request %d: %d %s", key, i, r.status, r.body)
					continue
				}
				ids[createdOf(t, r).ID]++
				if g := h.get(r.location); g.status != http.StatusOK {
					t.Errorf("key %q: GET %s: %d", key, r.location, g.status)
				}
			}
			if len(ids) != 1 {
				t.Errorf("key %q: answered with %d applications: %v", key, len(ids), ids)
			}
		}
		if n := submissionCount(t, h, sv.tenant.ID); n != 2 {
			t.Errorf("%d submissions stored, want 2", n)
		}
	})
}

// A 422 for data with 500,000 mistakes lists the first 100 and says how
// many there are: the answer stays small, whatever the request.
func TestAPIValidationProblemsCapped(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString(`{"data": {`)
	const n = 500_000
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"X%d":1`, i)
	}
	b.WriteString(`}}`)
	r := h.postAPI("musterstadt.gewerbeanmeldung", []byte(b.String()))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d %.300s", r.status, r.body)
	}
	p := fullProblemOf(t, r)
	if len(p.Errors) != 100 || p.ErrorCount < n || !strings.Contains(p.Detail, fmt.Sprint(p.ErrorCount)) {
		t.Errorf("%d errors listed, errorCount %d, detail %q", len(p.Errors), p.ErrorCount, p.Detail)
	}
	if len(r.body) > 32<<10 {
		t.Errorf("the 422 has %d bytes for a request of %d", len(r.body), b.Len())
	}
	// A few mistakes are all listed, with their count.
	few := h.postAPI("musterstadt.gewerbeanmeldung", []byte(`{"data": {"X1": 1, "X2": 2}}`))
	if p := fullProblemOf(t, few); len(p.Errors) != p.ErrorCount || p.ErrorCount < 2 {
		t.Errorf("few: %d errors listed, errorCount %d", len(p.Errors), p.ErrorCount)
	}
}

// worstText is a text of about n bytes in canonical JSON made of what
// expands most on its way: in JSON (U+2028, '"', '\\', tab and newline
// where allowed), in HTML ('&', '<', '>', '"' and the apostrophe), in the PDF (emoji,
// printed as "[U+1F600]", and combining marks), 4-byte UTF-8. It starts
// and ends with a letter (text is trimmed).
func worstText(n int, multiline bool) string {
	unit := "&<>\"'\\\u2028😀q\u0301\u200b"
	if multiline {
		unit += "\t\n"
	}
	unitBytes := len(unit) + 5 + 1 + 1 // U+2028 as \u2028 (3→6), '"' and '\\' escaped
	if multiline {
		unitBytes += 2
	}
	var b strings.Builder
	b.WriteByte('A')
	for b.Len() < n-unitBytes-1 {
		b.WriteString(unit)
	}
	b.WriteByte('Z')
	return b.String()
}

// worstData fills every free text field of the example with worstText,
// maxLength characters where the field has a limit and an equal share of
// the budget (bytes of canonical JSON) where not.
func worstData(sv *service, budget int) map[string]any {
	ex := sv.form.Example(sv.ctx)
	free := 0
	freeTexts(sv, ex, func(_ form.Path, _ *form.Element, ml int) string {
		if ml == 0 {
			free++
		}
		return "x"
	})
	freeTexts(sv, ex, func(_ form.Path, e *form.Element, ml int) string {
		if ml == 0 {
			return worstText(budget/free, e.Multiline())
		}
		r := []rune(worstText(ml*8, e.Multiline()))
		r = r[:ml-1]
		if r[len(r)-1] < 'A' || r[len(r)-1] > 'z' {
			r[len(r)-1] = 'Z'
		}
		return string(r)
	})
	return ex
}

// readBack checks that the stored application id renders in the inbox
// (its page with every free text, the receipt PDF, the data download) and
// delivers by webhook with its data byte for byte.
func (h *harness) readBack(t *testing.T, sv *service, id string, texts []string) {
	t.Helper()
	ctx := context.Background()
	sub, err := h.db.Submission(ctx, sv.tenant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.Data) > form.MaxDataBytes {
		t.Fatalf("stored %d bytes, more than form.MaxDataBytes", len(sub.Data))
	}
	c := h.staffClient("musterstadt")
	page := h.do(c, "GET", "/intern/antraege/"+id, nil)
	if page.status != http.StatusOK {
		t.Fatalf("inbox page: %d", page.status)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page.body))
	if err != nil {
		t.Fatal(err)
	}
	shown := doc.Find("main").Text()
	for _, s := range texts {
		if !strings.Contains(shown, strings.ReplaceAll(s, "\n", "")) { // lines are <br>
			t.Errorf("the inbox page does not show a text of %d bytes", len(s))
			break
		}
	}
	pdf := h.do(c, "GET", "/intern/antraege/"+id+"/antrag.pdf", nil)
	if pdf.status != http.StatusOK || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Fatalf("receipt PDF: %d %.100q", pdf.status, pdf.body)
	}
	data := h.do(c, "GET", "/intern/antraege/"+id+"/daten.json", nil)
	if data.status != http.StatusOK || !bytes.Equal(bytes.TrimSpace([]byte(data.body)), sub.Data) {
		t.Errorf("daten.json: %d, %d bytes, stored %d", data.status, len(data.body), len(sub.Data))
	}

	secret := delivery.NewWebhookSecret()
	var got []byte
	var verr error
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if verr = webhook.Verify(secret, r.Header, body, time.Now(), 0); verr == nil {
			var p struct {
				Data struct {
					Data json.RawMessage `json:"data"`
				} `json:"data"`
			}
			verr = json.Unmarshal(body, &p)
			got = p.Data.Data
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	out, err := (&webhook.Sender{}).Send(ctx, &delivery.Parcel{
		Delivery: &delivery.Delivery{ID: uuid.NewString(), TenantID: sub.TenantID, SubmissionID: sub.ID,
			Target: delivery.Target{Kind: delivery.Webhook, URL: rcv.URL, Secret: secret}},
		Tenant: sv.tenant, Service: sv.svc, Submission: sub})
	if err != nil || out.State != delivery.Delivered || verr != nil {
		t.Fatalf("webhook: %v %v %v", out.State, err, verr)
	}
	if !bytes.Equal(got, sub.Data) {
		t.Errorf("the webhook delivered %d bytes of data, stored %d", len(got), len(sub.Data))
	}
}

// What antrag accepts it can read back. A body of "&" just under the
// request limit (which encoding/json's HTML escaping made six times as
// large, above what the reader takes) is stored one byte per "&" and
// renders in the inbox, prints and delivers.
func TestAcceptedAmpersandsReadBack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, h *harness) {
		sv := h.service("musterstadt", "gewerbeanmeldung")
		ex := sv.form.Example(sv.ctx)
		var field form.Path
		freeTexts(sv, ex, func(p form.Path, _ *form.Element, ml int) string {
			if ml == 0 && field == nil {
				field = p
				return "A"
			}
			return "x"
		})
		small := len(dataBody(t, ex))
		amps := "A" + strings.Repeat("&", 16<<20-small-1024) + "Z"
		freeTexts(sv, ex, func(p form.Path, _ *form.Element, _ int) string {
			if p.String() == field.String() {
				return amps
			}
			return "x"
		})
		made := createdOf(t, h.postAPI("musterstadt.gewerbeanmeldung", dataBody(t, ex)))
		h.readBack(t, sv, made.ID, []string{amps})
	})
}

// Every free text field at its worst (see worstText), as much as fits:
// accepted, it renders, prints, exports and delivers.
func TestAcceptedWorstCaseReadsBack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, h *harness) {
		sv := h.service("musterstadt", "gewerbeanmeldung")
		data := worstData(sv, 12<<20)
		r := h.postAPI("musterstadt.gewerbeanmeldung", dataBody(t, data))
		made := createdOf(t, r)
		stored, err := h.db.Submission(context.Background(), sv.tenant.ID, made.ID)
		if err != nil {
			t.Fatal(err)
		}
		texts := collectTexts(sv, stored.Data)
		if want := collectTexts(sv, dataBody(t, data)); len(texts) != len(want) || len(texts) < 10 {
			t.Fatalf("%d free texts stored, %d sent", len(texts), len(want))
		}
		h.readBack(t, sv, made.ID, texts)
	})
}

// collectTexts returns the free texts of canonical data, or of a request
// body {"data": …}.
func collectTexts(sv *service, data []byte) []string {
	doc, err := form.DecodeData(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	if d, ok := doc["data"].(map[string]any); ok && len(doc) == 1 {
		doc = d
	}
	var out []string
	freeTextValues(sv, doc, func(_ form.Path, _ *form.Element, _ int, v string) string {
		out = append(out, v)
		return v
	})
	return out
}

// Data whose canonical JSON is larger than what antrag reads back is
// refused at acceptance (413), whatever the request limit, and nothing is
// stored.
func TestAPIRefusesDataItCouldNotReadBack(t *testing.T) {
	h := newHarnessWith(t, func(c *harnessConfig) { c.maxAPI = 64 << 20 })
	sv := h.service("musterstadt", "gewerbeanmeldung")
	ex := sv.form.Example(sv.ctx)
	done := false
	freeTexts(sv, ex, func(_ form.Path, _ *form.Element, ml int) string {
		if ml == 0 && !done {
			done = true
			return "A" + strings.Repeat("&", form.MaxDataBytes) + "Z"
		}
		return "x"
	})
	r := h.postAPI("musterstadt.gewerbeanmeldung", dataBody(t, ex))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %.300s", r.status, r.body)
	}
	if p := fullProblemOf(t, r); !strings.Contains(p.Detail, "Antragsdaten") {
		t.Errorf("413 detail %q", p.Detail)
	}
	if n := submissionCount(t, h, sv.tenant.ID); n != 0 {
		t.Errorf("%d submissions stored", n)
	}
}
