package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/loadgen"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/web/apicontract"
)

// Two `antrag serve` processes share one PostgreSQL database and one
// S3-compatible store (issue 6): applications sent to either are stored
// once, delivered once, their attachments are served by both, and a draft
// started on one continues on the other.

const (
	mpTenant  = "musterstadt"
	mpService = "bewohnerparkausweis"
	mpForm    = mpTenant + "." + mpService
	// mpMarker is in every attachment's plain text, and must be in no
	// object of the bucket.
	mpMarker = "Klartext-Nachweis"
)

// mpApp is one application as the citizen made it.
type mpApp struct {
	index     int
	proc      int    // 0: A, 1: B (for HTML drafts: where it was started)
	key       string // Idempotency-Key ("" for HTML drafts)
	body      []byte // the API request's body
	html      bool
	id        string
	reference string
	files     map[string]string // attachment id → content (API: from the upload answer)
	contents  []string          // the contents uploaded, sorted
}

// mpHook is a webhook receiver that verifies signatures and records what
// arrives, by webhook-id.
type mpHook struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	posts  map[string]int      // webhook-id → POSTs
	data   map[string]mpHookIn // webhook-id → the first payload
	bad    int
}

type mpHookIn struct {
	submissionID, reference string
	contents                []string // attachment contents, sorted
}

func (h *mpHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := webhook.Verify(h.secret, r.Header, body, time.Now(), 0); err != nil {
		h.bad++
		h.t.Errorf("webhook signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.HeaderID)
	h.posts[id]++
	if h.posts[id] == 1 {
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			h.t.Errorf("webhook %s: payload: %v", id, err)
		}
		in := mpHookIn{submissionID: p.Data.SubmissionID, reference: p.Data.Reference}
		for _, a := range p.Data.Attachments {
			in.contents = append(in.contents, string(a.Content))
		}
		sort.Strings(in.contents)
		h.data[id] = in
	}
	w.WriteHeader(http.StatusNoContent)
}

// counts returns the distinct webhook-ids and the POSTs in all.
func (h *mpHook) counts() (distinct, posts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.posts {
		posts += n
	}
	return len(h.posts), posts
}

// mpContent is a small PDF-like attachment, unique to tag.
func mpContent(tag string) string {
	return "%PDF-1.4\n% " + mpMarker + " " + tag + "\n" + strings.Repeat("Nachweis "+tag+" ", 8) +
		"\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
}

// mpFiles copies doc, replacing each file reference (an object with
// attachmentId and filename) by what f returns for it.
func mpFiles(v any, f func(map[string]any) (any, error)) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["attachmentId"]; ok {
			if _, ok := x["filename"]; ok {
				return f(x)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := mpFiles(e, f)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := mpFiles(e, f)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// mpUpload uploads a file (small, unique) for each file reference of the
// example to base and returns the data with the server's references and
// the upload session's token.
func mpUpload(c *http.Client, base string, example map[string]any, app *mpApp) (any, string, error) {
	api := base + "/api/v1/forms/" + mpForm
	draft := ""
	n := 0
	app.files = map[string]string{}
	data, err := mpFiles(example, func(ref map[string]any) (any, error) {
		n++
		name, _ := ref["filename"].(string)
		content := mpContent(fmt.Sprintf("api-%d-%d", app.index, n))
		req, _ := http.NewRequest("POST", api+"/attachments?filename="+url.QueryEscape(name), strings.NewReader(content))
		req.Header.Set("Content-Type", "application/octet-stream")
		if draft != "" {
			req.Header.Set("Antrag-Entwurf", draft)
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("upload: %d %s", resp.StatusCode, body)
		}
		var up struct {
			Draft string         `json:"draft"`
			File  map[string]any `json:"file"`
		}
		if err := json.Unmarshal(body, &up); err != nil {
			return nil, fmt.Errorf("upload: %v: %s", err, body)
		}
		draft = up.Draft
		id, _ := up.File["attachmentId"].(string)
		app.files[id] = content
		app.contents = append(app.contents, content)
		return up.File, nil
	})
	sort.Strings(app.contents)
	return data, draft, err
}

// mpAPI sends application app through the JSON API of base: each file of
// the example is uploaded (to base), then the data is submitted with the
// application's Idempotency-Key.
func mpAPI(c *http.Client, base string, example map[string]any, app *mpApp) error {
	data, draft, err := mpUpload(c, base, example, app)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"data": data})
	app.body = body
	sub, status, answer, err := mpSubmit(c, base, body, draft, app.key)
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("submit: %d %s", status, answer)
	}
	app.id, app.reference = sub.ID, sub.Reference
	return nil
}

func mpSubmit(c *http.Client, base string, body []byte, draft, key string) (apiSubmission, int, string, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/forms/"+mpForm+"/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if draft != "" {
		req.Header.Set("Antrag-Entwurf", draft)
	}
	resp, err := c.Do(req)
	if err != nil {
		return apiSubmission{}, 0, "", err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	var s apiSubmission
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(rb, &s); err != nil || s.ID == "" || s.Reference == "" {
			return s, resp.StatusCode, string(rb), fmt.Errorf("submit: 201 without id and reference: %s", rb)
		}
	}
	return s, resp.StatusCode, string(rb), nil
}

var (
	mpStepRE      = regexp.MustCompile(`/schritt/(\d+)$`)
	mpReferenceRE = regexp.MustCompile(`class="[^"]*\bapp-reference\b[^"]*">\s*([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\s*<`)
)

// mpBrowser sends a request as a browser without JavaScript on the site.
func mpBrowser(c *http.Client, method, base, path, contentType string, body []byte) (int, string, string, error) {
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	if method == "POST" {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", base)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if u, perr := url.Parse(loc); perr == nil && u.IsAbs() {
		loc = u.RequestURI()
	}
	return resp.StatusCode, loc, string(b), err
}

// mpHTML makes application app through the HTML journey: it starts the
// draft and posts the first switchAfter visible steps on bases[0], then
// continues the remaining steps, the summary and "absenden" on bases[1]
// with the same draft URL. It returns how many steps were posted on each.
func mpHTML(c *http.Client, bases [2]string, svc *loadgen.Service, app *mpApp, switchAfter int) ([2]int, error) {
	var posted [2]int
	f := svc.Form
	startPath := "/" + mpTenant + "/dienste/" + mpService
	status, loc, body, err := mpBrowser(c, "POST", bases[0], startPath, "application/x-www-form-urlencoded", nil)
	if err != nil {
		return posted, err
	}
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "/schritt/1") {
		return posted, fmt.Errorf("start: %d %q %.300s", status, loc, body)
	}
	draftPath := strings.TrimSuffix(loc, "/schritt/1")
	next := loc
	proc := 0
	for range 2*len(f.Steps) + 2 {
		if posted[0] >= switchAfter {
			proc = 1
		}
		base := bases[proc]
		if strings.HasSuffix(next, "/pruefen") {
			break
		}
		status, loc, body, err := mpBrowser(c, "GET", base, next, "", nil)
		if err != nil {
			return posted, err
		}
		if status == http.StatusSeeOther { // a step the answers hide
			next = loc
			continue
		}
		m := mpStepRE.FindStringSubmatch(next)
		if status != http.StatusOK || m == nil {
			return posted, fmt.Errorf("GET %s on %s: %d %.300s", next, base, status, body)
		}
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(f.Steps) {
			return posted, fmt.Errorf("GET %s: no step page", next)
		}
		post, ctype := stepPost(f, f.Steps[n-1], svc.Example, func(field string, i int) string {
			content := mpContent(fmt.Sprintf("html-%d-%s-%d", app.index, field, i))
			app.contents = append(app.contents, content)
			return content
		})
		status, loc, body, err = mpBrowser(c, "POST", base, next, ctype, post)
		if err != nil {
			return posted, err
		}
		if status != http.StatusSeeOther {
			return posted, fmt.Errorf("POST %s on %s (Weiter): %d %.500s", next, base, status, body)
		}
		posted[proc]++
		next = loc
	}
	sort.Strings(app.contents)
	if !strings.HasSuffix(next, "/pruefen") {
		return posted, fmt.Errorf("summary not reached after %d steps", len(f.Steps))
	}
	base := bases[1]
	status, _, body, err = mpBrowser(c, "GET", base, draftPath+"/pruefen", "", nil)
	if err != nil {
		return posted, err
	}
	if status != http.StatusOK {
		return posted, fmt.Errorf("summary on %s: %d %.300s", base, status, body)
	}
	// The summary on the second process names the files uploaded on the
	// first.
	for field, refs := range mpExampleFiles(svc) {
		for _, name := range refs {
			if !strings.Contains(body, name) {
				return posted, fmt.Errorf("summary on %s lacks file %q of %s", base, name, field)
			}
		}
	}
	status, loc, body, err = mpBrowser(c, "POST", base, draftPath+"/absenden", "application/x-www-form-urlencoded", nil)
	if err != nil {
		return posted, err
	}
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "/bestaetigung") {
		return posted, fmt.Errorf("absenden on %s: %d %q %.300s", base, status, loc, body)
	}
	// The confirmation is served by either process.
	for _, b := range bases {
		status, _, body, err = mpBrowser(c, "GET", b, loc, "", nil)
		if err != nil {
			return posted, err
		}
		m := mpReferenceRE.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			return posted, fmt.Errorf("confirmation on %s: %d, no reference", b, status)
		}
		if app.reference != "" && app.reference != m[1] {
			return posted, fmt.Errorf("confirmation on %s: reference %s, on the other %s", b, m[1], app.reference)
		}
		app.reference = m[1]
	}
	return posted, nil
}

// mpExampleFiles are the file names of the example by field.
func mpExampleFiles(svc *loadgen.Service) map[string][]string {
	out := map[string][]string{}
	for _, st := range svc.Form.Steps {
		_, files := svc.Form.FormValues(st, svc.Example)
		for field, refs := range files {
			for _, r := range refs {
				out[field] = append(out[field], r.Filename)
			}
		}
	}
	return out
}

// TestMultiProcessPostgresS3 starts two `antrag serve` processes on one
// PostgreSQL database and one S3-compatible store and submits 1,000
// applications alternately to both: every application is stored once,
// every delivery is delivered exactly once, every attachment is
// retrievable from either process, and a draft started on one process
// continues on the other.
func TestMultiProcessPostgresS3(t *testing.T) {
	if testing.Short() {
		t.Skip("two antrag processes and 1,000 applications; takes about 25 s")
	}
	const (
		total       = 1000 // applications through the JSON API
		htmlDrafts  = 5    // through the HTML journey, started on A, finished on B
		workers     = 12
		sampleEvery = total / 50 // attachments downloaded for every 20th
	)
	start := time.Now()
	pgURL := storetest.NewPostgresDatabase(t)

	backend := s3mem.New()
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3srv.Close)
	hook := &mpHook{t: t, posts: map[string]int{}, data: map[string]mpHookIn{}}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)

	dataKey := newDataKey(t)
	envFor := func() map[string]string {
		return map[string]string{
			"ANTRAG_DB":                   pgURL,
			"ANTRAG_DATA_KEY":             dataKey,
			"ANTRAG_DATA":                 t.TempDir(), // per process
			"ANTRAG_S3_ENDPOINT":          strings.TrimPrefix(s3srv.URL, "http://"),
			"ANTRAG_S3_BUCKET":            "antrag",
			"ANTRAG_S3_ACCESS_KEY":        "zugang",
			"ANTRAG_S3_SECRET_KEY":        "geheim",
			"ANTRAG_S3_TLS":               "false",
			"ANTRAG_S3_CREATE_BUCKET":     "1",
			"ANTRAG_DELIVERY_CHECK":       "50ms",
			"ANTRAG_DELIVERY_FIRST_RETRY": "100ms",
			"ANTRAG_LOG_LEVEL":            "warn",
			"ANTRAG_UPLOADS_PER_CLIENT":   "1000", // all citizens of the test upload from loopback
		}
	}

	// Seed the demo into PostgreSQL once, then give Bewohnerparkausweis
	// the inbox and a webhook.
	seedEnv := envFor()
	seed := startServe(t, seedEnv, "--demo")
	if err := seed.stop(); err != nil {
		t.Fatalf("seeding the demo: %v\n%s", err, seed.stderr.String())
	}
	{
		// Its demo fee would hold the applications until paid.
		key, err := sealed.ParseKey(dataKey)
		if err != nil {
			t.Fatal(err)
		}
		box, err := sealed.New(key)
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(context.Background(), pgURL, box)
		if err != nil {
			t.Fatal(err)
		}
		withoutFee(t, db, mpTenant, mpService)
		db.Close()
	}
	out, errOut, err := runCmd(t, seedEnv, "service", "targets", "--tenant", mpTenant, "--slug", mpService,
		"--inbox", "--webhook", hookSrv.URL+"/eingang")
	if err != nil {
		t.Fatalf("service targets: %v\n%s%s", err, out, errOut)
	}
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(out)
	if secret == "" {
		t.Fatalf("no webhook secret printed:\n%s", out)
	}
	hook.mu.Lock()
	hook.secret = secret
	hook.mu.Unlock()

	// The two processes.
	var procs [2]*antragProcess
	var bases [2]string
	for i := range procs {
		addr := freeAddr(t)
		bases[i] = "http://" + addr
		procs[i] = startAntrag(t, &fcInstallation{env: envFor()}, addr)
	}
	ready := time.Now()
	t.Logf("database seeded and processes A (%s) and B (%s) ready after %v", bases[0], bases[1], ready.Sub(start).Round(time.Millisecond))

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 4*workers, 2*workers
	// The timeout only ends a request that hangs: 12 citizens on a loaded
	// machine may wait long for an answer, and a failed request fails the
	// test.
	// Exchanges with the JSON API are checked against its OpenAPI document.
	contract := &apicontract.Transport{Next: tr, Fail: func(err error) { t.Errorf("API contract: %v", err) }}
	client := &http.Client{Transport: contract, Timeout: waitLong,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	svc, err := loadgen.PrepareService(context.Background(), client, bases[0], mpForm, "", "")
	if err != nil {
		t.Fatal(err)
	}
	runID := make([]byte, 4)
	rand.Read(runID)

	// HTML drafts: started on A, continued on B after 1, 2, … steps.
	apps := make([]*mpApp, total+htmlDrafts)
	htmlDone := make(chan struct{})
	var htmlPosted [][2]int
	go func() {
		defer close(htmlDone)
		for k := range htmlDrafts {
			app := &mpApp{index: total + k, html: true}
			posted, err := mpHTML(client, bases, svc, app, 1+k%max(1, len(svc.Form.Steps)-1))
			if err != nil {
				t.Errorf("HTML draft %d: %v", k, err)
				return
			}
			apps[app.index] = app
			htmlPosted = append(htmlPosted, posted)
		}
	}()

	// API applications, alternately to A and B. Every 50th is sent again
	// with its Idempotency-Key to the other process afterwards, every
	// 100th (+25) to both at once.
	var (
		next                                  atomic.Int64
		failed                                atomic.Int64
		replays, concurrent, lost409, lost422 atomic.Int64
		wg                                    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || failed.Load() > 10 {
					return
				}
				app := &mpApp{index: i, proc: i % 2, key: fmt.Sprintf("multi-%s-%d", hex.EncodeToString(runID), i)}
				var err error
				if i%100 == 25 {
					err = mpConcurrentTwice(client, bases, svc.Example, app, func(status int) {
						if status == http.StatusConflict {
							lost409.Add(1)
						} else {
							lost422.Add(1)
						}
					})
					concurrent.Add(1)
				} else {
					err = mpAPI(client, bases[app.proc], svc.Example, app)
				}
				if err == nil && i%50 == 0 {
					// A retry reaching the other process answers as the first
					// time; other data under the key is refused there too.
					var s apiSubmission
					var status int
					var body string
					s, status, body, err = mpSubmit(client, bases[1-app.proc], app.body, "", app.key)
					if err == nil && (status != http.StatusCreated || s.ID != app.id || s.Reference != app.reference) {
						err = fmt.Errorf("retry with Idempotency-Key on the other process: %d %s, first answer %s %s", status, body, app.id, app.reference)
					}
					if err == nil {
						_, status, body, err = mpSubmit(client, bases[1-app.proc], []byte(`{"data":{}}`), "", app.key)
						if err == nil && status != http.StatusUnprocessableEntity {
							err = fmt.Errorf("other data with a used Idempotency-Key on the other process: %d %s", status, body)
						}
					}
					replays.Add(1)
				}
				if err != nil {
					failed.Add(1)
					t.Errorf("application %d on %c: %v", i, 'A'+app.proc, err)
					continue
				}
				apps[i] = app
			}
		}()
	}
	wg.Wait()
	<-htmlDone
	submitted := time.Now()
	if t.Failed() {
		t.Fatalf("submissions failed\nA:\n%s\nB:\n%s", tail(procs[0].output.String(), 30), tail(procs[1].output.String(), 30))
	}
	t.Logf("%d applications through the API (%d retried on the other process, %d sent to both at once, of those %d answered 409 and %d 422 first) and %d HTML drafts in %v (%.0f/s)",
		total, replays.Load(), concurrent.Load(), lost409.Load(), lost422.Load(), htmlDrafts, submitted.Sub(ready).Round(time.Millisecond),
		float64(total+htmlDrafts)/submitted.Sub(ready).Seconds())
	t.Logf("HTML drafts: steps posted on A and B: %v (form has %d steps)", htmlPosted, len(svc.Form.Steps))
	for _, p := range htmlPosted {
		if p[0] == 0 || p[1] == 0 {
			t.Errorf("an HTML draft was not continued on the other process: steps posted %v", p)
		}
	}

	// Open the database as a third party.
	key, err := sealed.ParseKey(dataKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, pgURL, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	stadt, err := db.TenantBySlug(ctx, mpTenant)
	if err != nil {
		t.Fatal(err)
	}
	service, err := db.ServiceBySlug(ctx, stadt.ID, mpService)
	if err != nil {
		t.Fatal(err)
	}

	// Wait until every webhook delivery is done.
	want := total + htmlDrafts
	var counts map[delivery.State]int
	eventually(t, waitLong, func() (bool, string) {
		counts, err = db.DeliveryCounts(ctx, stadt.ID)
		distinct, posts := hook.counts()
		return err == nil && distinct >= want && counts[delivery.Pending] == 0,
			fmt.Sprintf("webhook got %d ids in %d POSTs of %d; deliveries %v %v", distinct, posts, want, counts, err)
	})
	delivered := time.Now()
	// A late duplicate would arrive now. The pause is what is tested, not a
	// wait for an event: on a loaded machine a duplicate may come later
	// and go unnoticed, but no test fails because of the load.
	time.Sleep(500 * time.Millisecond)
	distinct, posts := hook.counts()
	t.Logf("deliveries done %v after the last submission: webhook got %d ids in %d POSTs; Musterstadt's deliveries %v",
		delivered.Sub(submitted).Round(time.Millisecond), distinct, posts, counts)

	// Every application is stored once, under the id and reference its
	// citizen got.
	subs, err := db.ListSubmissions(ctx, stadt.ID, submission.Filter{ServiceID: service.ID, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*submission.Submission{}
	byRef := map[string]*submission.Submission{}
	byKey := map[string]int{}
	for _, s := range subs {
		if byID[s.ID] != nil {
			t.Errorf("submission %s listed twice", s.ID)
		}
		if byRef[s.Reference] != nil {
			t.Errorf("reference %s stored twice (%s, %s)", s.Reference, byRef[s.Reference].ID, s.ID)
		}
		byID[s.ID], byRef[s.Reference] = s, s
		if s.IdempotencyKey != "" {
			byKey[s.IdempotencyKey]++
		}
	}
	if len(subs) != want {
		t.Errorf("%d applications stored, want %d", len(subs), want)
	}
	seenID := map[string]bool{}
	for _, app := range apps {
		if app == nil {
			t.Fatalf("an application was not recorded")
		}
		s := byRef[app.reference]
		switch {
		case s == nil:
			t.Errorf("application %d (%s) is not stored", app.index, app.reference)
			continue
		case app.html:
			app.id = s.ID
		case s.ID != app.id:
			t.Errorf("application %d: stored as %s, the citizen got %s", app.index, s.ID, app.id)
		}
		if seenID[app.id] {
			t.Errorf("two applications got the id %s", app.id)
		}
		seenID[app.id] = true
		if !app.html && (s.IdempotencyKey != app.key || byKey[app.key] != 1) {
			t.Errorf("application %d: idempotency key %q stored %d times (as %q)", app.index, app.key, byKey[app.key], s.IdempotencyKey)
		}
	}

	// Every delivery is delivered exactly once: one inbox and one webhook
	// delivery per application, each delivered, the webhook one under its
	// own webhook-id, POSTed once, with the application's data and files.
	webhookIDs := map[string]bool{}
	attempts := 0
	for _, app := range apps {
		ds, err := db.Deliveries(ctx, stadt.ID, app.id)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[delivery.Kind]int{}
		for _, d := range ds {
			kinds[d.Target.Kind]++
			if d.State != delivery.Delivered {
				t.Errorf("application %d: %s delivery %s is %s", app.index, d.Target.Kind, d.ID, d.State)
			}
			if d.Target.Kind != delivery.Webhook {
				continue
			}
			attempts += d.Attempts
			if d.Attempts != 1 {
				t.Errorf("application %d: webhook delivery %s took %d attempts", app.index, d.ID, d.Attempts)
			}
			webhookIDs[d.ID] = true
			hook.mu.Lock()
			n, in := hook.posts[d.ID], hook.data[d.ID]
			hook.mu.Unlock()
			switch {
			case n == 0:
				t.Errorf("application %d: webhook delivery %s never arrived", app.index, d.ID)
			case n > 1:
				t.Errorf("application %d: webhook delivery %s arrived %d times", app.index, d.ID, n)
			}
			if n > 0 && (in.submissionID != app.id || in.reference != app.reference || !slices.Equal(in.contents, app.contents)) {
				t.Errorf("application %d: webhook %s carried %s %s with %d files, want %s %s with %d",
					app.index, d.ID, in.submissionID, in.reference, len(in.contents), app.id, app.reference, len(app.contents))
			}
		}
		if len(ds) != 2 || kinds[delivery.Inbox] != 1 || kinds[delivery.Webhook] != 1 {
			t.Errorf("application %d: deliveries %v, want one inbox and one webhook", app.index, kinds)
		}
	}
	hook.mu.Lock()
	dups := 0
	for id, n := range hook.posts {
		if !webhookIDs[id] {
			t.Errorf("webhook-id %s is no delivery of the applications", id)
		}
		dups += n - 1
	}
	bad := hook.bad
	hook.mu.Unlock()
	if dups != 0 || bad != 0 {
		t.Errorf("webhook: %d duplicate POSTs, %d with a bad signature", dups, bad)
	}
	t.Logf("%d stored, %d webhook deliveries in %d attempts, %d distinct webhook-ids, %d duplicate POSTs", len(subs), len(webhookIDs), attempts, distinct, dups)
	mpJobs(t, db)

	// The bucket holds every attachment, sealed.
	objects, err := backend.ListBucket("antrag", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	inBucket := map[string]bool{}
	for _, o := range objects.Contents {
		inBucket[o.Key] = true
		obj, err := backend.GetObject("antrag", o.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		if bytes.Contains(b, []byte(mpMarker)) || bytes.Contains(b, []byte("%PDF")) {
			t.Errorf("object %s holds an attachment in plain text", o.Key)
		}
	}
	wantFiles := 0
	for _, app := range apps {
		wantFiles += len(app.contents)
	}

	// Attachments are retrievable from either process: a sample of the
	// API applications and all HTML ones, as Musterstadt's caseworker
	// (logged in once per process).
	var staff [2]*http.Client
	for i, base := range bases {
		staff[i] = newClient(t)
		if resp := login(t, staff[i], base, demo.Users[mpTenant], demo.Password); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login on %c: %d", 'A'+i, resp.StatusCode)
		}
	}
	downloads, checked, stored := 0, 0, 0
	for _, app := range apps {
		atts, err := db.ListAttachments(ctx, stadt.ID, app.id)
		if err != nil {
			t.Fatal(err)
		}
		stored += len(atts)
		for _, a := range atts {
			if !inBucket[a.StorageKey] {
				t.Errorf("application %d: attachment %s (%s) not in the bucket", app.index, a.ID, a.StorageKey)
			}
		}
		if len(atts) != len(app.contents) {
			t.Errorf("application %d: %d attachments stored, %d uploaded", app.index, len(atts), len(app.contents))
			continue
		}
		if !app.html && app.index%sampleEvery != 0 {
			continue
		}
		checked++
		for i, c := range staff {
			var got []string
			for _, a := range atts {
				if !app.html && app.files[a.ID] == "" {
					t.Errorf("application %d: attachment %s was not uploaded for it", app.index, a.ID)
				}
				resp, body := get(t, c, bases[i]+"/intern/antraege/"+app.id+"/anhaenge/"+a.ID)
				downloads++
				if resp.StatusCode != http.StatusOK {
					t.Errorf("application %d: attachment %s from %c: %d", app.index, a.ID, 'A'+i, resp.StatusCode)
					continue
				}
				if !app.html && body != app.files[a.ID] {
					t.Errorf("application %d: attachment %s from %c differs (%d bytes)", app.index, a.ID, 'A'+i, len(body))
				}
				got = append(got, body)
			}
			sort.Strings(got)
			if !slices.Equal(got, app.contents) {
				t.Errorf("application %d (html %v): attachments from %c differ from those uploaded", app.index, app.html, 'A'+i)
			}
		}
	}
	if stored != wantFiles || len(inBucket) < wantFiles {
		t.Errorf("%d attachments stored, %d objects in the bucket, %d uploaded", stored, len(inBucket), wantFiles)
	}
	t.Logf("%d attachments stored, %d objects in the bucket (sealed); %d downloads of %d applications' attachments from A and B matched",
		stored, len(inBucket), downloads, checked)

	for i, p := range procs {
		p.terminate()
		if out := p.output.String(); strings.Contains(out, "panic:") || strings.Contains(out, "DATA RACE") || strings.Contains(out, "level=ERROR") {
			t.Errorf("output of %c:\n%s", 'A'+i, tail(out, 60))
		}
	}
	t.Logf("in all %v: setup %v, submitting %v, delivering %v, checks %v", time.Since(start).Round(time.Millisecond),
		ready.Sub(start).Round(time.Millisecond), submitted.Sub(ready).Round(time.Millisecond),
		delivered.Sub(submitted).Round(time.Millisecond), time.Since(delivered).Round(time.Millisecond))
}

// mpConcurrentTwice uploads app's files to its process and submits the
// application to both processes at once with the same Idempotency-Key:
// both answers name the same submission.
func mpConcurrentTwice(c *http.Client, bases [2]string, example map[string]any, app *mpApp, lost func(status int)) error {
	data, draft, err := mpUpload(c, bases[app.proc], example, app)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"data": data})
	app.body = body
	type result struct {
		s      apiSubmission
		status int
		body   string
		err    error
	}
	var res [2]result
	var wg sync.WaitGroup
	for i := range bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &res[i]
			r.s, r.status, r.body, r.err = mpSubmit(c, bases[i], body, draft, app.key)
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.err != nil {
			return fmt.Errorf("submit to %c: %v", 'A'+i, r.err)
		}
		switch r.status {
		case http.StatusCreated:
			if app.id == "" {
				app.id, app.reference = r.s.ID, r.s.Reference
			} else if r.s.ID != app.id || r.s.Reference != app.reference {
				return fmt.Errorf("the same Idempotency-Key gave %s %s on one process and %s %s on the other", app.id, app.reference, r.s.ID, r.s.Reference)
			}
		case http.StatusConflict, http.StatusUnprocessableEntity:
			// The loser of the race must answer as the first request
			// (apiSubmit looks the key up again when the upload session
			// was used meanwhile); a 409 or 422 here is a bug.
			lost(r.status)
			return fmt.Errorf("submit to %c raced the other process and answered %d instead of the first answer: %s", 'A'+i, r.status, r.body)
		default:
			return fmt.Errorf("submit to %c: %d %s", 'A'+i, r.status, r.body)
		}
	}
	if app.id == "" {
		return fmt.Errorf("no process accepted the application: %d %s / %d %s", res[0].status, res[0].body, res[1].status, res[1].body)
	}
	for i, r := range res {
		if r.status == http.StatusCreated {
			continue
		}
		s, status, answer, err := mpSubmit(c, bases[i], body, draft, app.key)
		if err != nil {
			return err
		}
		if status != http.StatusCreated || s.ID != app.id || s.Reference != app.reference {
			return fmt.Errorf("retry on %c after %d: %d %s, first answer %s %s", 'A'+i, r.status, status, answer, app.id, app.reference)
		}
	}
	return nil
}

// mpJobs logs River's jobs by kind and state and fails on any job not
// completed.
func mpJobs(t *testing.T, db *store.DB) {
	t.Helper()
	rows, err := db.SQL().QueryContext(context.Background(), `SELECT kind, state::text, attempt, count(*) FROM river_job GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
	if err != nil {
		t.Logf("river_job: %v", err)
		return
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var kind, state string
		var attempt, n int
		if err := rows.Scan(&kind, &state, &attempt, &n); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %s attempt %d: %d", kind, state, attempt, n))
		if state != "completed" {
			t.Errorf("River job %s is %s (attempt %d): %d", kind, state, attempt, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("River jobs: %s", strings.Join(lines, "; "))
	// Which process ran the deliveries (River's client ids).
	rows, err = db.SQL().QueryContext(context.Background(), `SELECT coalesce(attempted_by[array_length(attempted_by, 1)], ''), count(*)
		FROM river_job WHERE kind = 'antrag_deliver' GROUP BY 1 ORDER BY 1`)
	if err != nil {
		t.Logf("river_job: %v", err)
		return
	}
	defer rows.Close()
	var by []string
	for rows.Next() {
		var client string
		var n int
		if err := rows.Scan(&client, &n); err != nil {
			t.Fatal(err)
		}
		by = append(by, fmt.Sprintf("%d", n))
	}
	t.Logf("delivery jobs run by %d processes: %s", len(by), strings.Join(by, " + "))
}

// stepPost is the multipart body (and its content type) of "Weiter" on a
// step with the answers of doc; content gives each uploaded file's bytes
// by field and index.
func stepPost(f *journey.Form, st *journey.Step, doc map[string]any, content func(field string, i int) string) ([]byte, string) {
	vals, files := f.FormValues(st, doc)
	vals.Set("aktion", "weiter")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for field, refs := range files {
		for i, r := range refs {
			w, _ := mw.CreateFormFile(field, r.Filename)
			w.Write([]byte(content(field, i)))
		}
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
