package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/metrics"
)

// scrape reads GET /metrics of the internal listener at addr.
func scrape(t *testing.T, addr string) families {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics is not the text exposition format: %v", err)
	}
	return fams
}

// families are the metric families of one scrape, by name.
type families map[string]*dto.MetricFamily

// value is the sum over the series of the family name whose labels
// include want: a counter's or gauge's value, a histogram's count. ok is
// false when the family is missing.
func (f families) value(name string, want map[string]string) (v float64, ok bool) {
	fam := f[name]
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, w := range want {
			if labels[k] != w {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return v, true
}

// TestMetricsListener: the internal listener serves the metrics and the
// runtime profiles, but neither the command line (pprof's cmdline) nor
// expvar's /debug/vars, which show any password in --db.
func TestMetricsListener(t *testing.T) {
	a := &app{logger: slog.New(slog.DiscardHandler), metrics: metrics.New()}
	addr, stop, err := a.serveMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	fams := scrape(t, addr)
	for _, name := range []string{"antrag_login_attempts_total", "antrag_login_throttled_name_total", "antrag_login_hashing", "go_goroutines"} {
		if _, ok := fams.value(name, nil); !ok {
			t.Errorf("GET /metrics lacks %s", name)
		}
	}
	for path, want := range map[string]int{
		"/debug/pprof/":                   http.StatusOK,
		"/debug/pprof/goroutine?debug=1":  http.StatusOK,
		"/debug/pprof/heap":               http.StatusOK,
		"/debug/pprof/profile?seconds=1":  http.StatusOK,
		"/debug/pprof/cmdline":            http.StatusNotFound,
		"/debug/vars":                     http.StatusNotFound,
		"/debug/pprof/nichtda":            http.StatusNotFound,
		"/metrics?format=nichts":          http.StatusOK,
		"/":                               http.StatusNotFound,
		"/debug/pprof/symbol?0x401000":    http.StatusOK,
		"/debug/pprof/trace?seconds=0.01": http.StatusOK,
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s on the metrics listener: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestServeMetricsNotPublic: `antrag serve --metrics-addr` serves the
// metrics and pprof on the internal listener only; the public server
// answers neither.
func TestServeMetricsNotPublic(t *testing.T) {
	t.Parallel()
	s := startServe(t, nil, "--data", filepath.Join(t.TempDir(), "daten"), "--metrics-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`msg="metrics served" address=(\S+)`).FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("the log does not say where the metrics are served:\n%s", s.stderr.String())
	}
	internal := "http://" + m[1]
	c := newClient(t)
	// (/metrics is redirected to /metrics/, a tenant's address, which
	// does not exist.)
	for _, path := range []string{"/metrics", "/metrics/", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline", "/debug/vars"} {
		resp, body := get(t, c, s.url+path)
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusTemporaryRedirect ||
			strings.Contains(body, "# HELP") || strings.Contains(body, "goroutine") {
			t.Errorf("public GET %s: %d, want 404 (or a redirect to a tenant's address)", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		if resp, _ := get(t, c, internal+path); resp.StatusCode != http.StatusOK {
			t.Errorf("internal GET %s: %d, want 200", path, resp.StatusCode)
		}
	}
	// The public server's requests are counted there, by route pattern.
	get(t, c, s.url+"/healthz")
	fams := scrape(t, m[1])
	if v, _ := fams.value("antrag_http_request_duration_seconds", map[string]string{"route": "GET /healthz", "status": "200"}); v < 1 {
		t.Errorf("GET /healthz not counted: %v", v)
	}
}

// TestMetricsMove runs an installation (the demo, on SQLite) with its
// metrics listener and checks that each of antrag's metrics is served
// with its help text and moves when its event happens: a request, a
// submission, a queued job and a pending delivery, a delivery attempt
// that fails and one that succeeds, a retention pass, a throttled login,
// and the database pool in use.
func TestMetricsMove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The webhook fails once, then takes the delivery.
	var hooks atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if hooks.Add(1) == 1 {
			http.Error(w, "gleich wieder", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	c := mustParseServe(t, map[string]string{"ANTRAG_DELIVERY_FIRST_RETRY": "10ms", "ANTRAG_DELIVERY_CHECK": "50ms"},
		"--data", filepath.Join(t.TempDir(), "daten"), "--demo")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.baseURL = defaultBaseURL(ln.Addr())
	a, err := openApp(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	hs := &http.Server{Handler: a.server}
	go hs.Serve(ln)
	defer hs.Close()
	addr, stop, err := a.serveMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	tn, err := a.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := a.db.ServiceBySlug(ctx, tn.ID, "gewerbeanmeldung")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.SetTargets(ctx, tn.ID, svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
		{Kind: delivery.Webhook, URL: receiver.URL + "/antrag", Secret: delivery.NewWebhookSecret()}}); err != nil {
		t.Fatal(err)
	}

	before := scrape(t, addr)
	for name, fam := range before {
		if strings.HasPrefix(name, "antrag_") && fam.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
	type series struct {
		name   string
		labels map[string]string
	}
	// moved checks that each series grew since before (a histogram: its
	// count), and returns the scrape.
	moved := func(before families, what string, ss ...series) families {
		t.Helper()
		now := scrape(t, addr)
		for _, s := range ss {
			was, _ := before.value(s.name, s.labels)
			is, ok := now.value(s.name, s.labels)
			if !ok || is <= was {
				t.Errorf("%s: %s%v did not move (%v → %v, present %v)", what, s.name, s.labels, was, is, ok)
			}
		}
		return now
	}

	// A request, by its route pattern.
	client := newClient(t)
	get(t, client, c.baseURL+"/healthz")
	after := moved(before, "a request", series{"antrag_http_request_duration_seconds", map[string]string{"route": "GET /healthz", "status": "200"}})

	// A submission through the JSON API; the queue does not run yet, so
	// that its job waits, and its webhook delivery with it.
	code, _, body := submitGewerbe(t, client, c.baseURL, "metrics-1")
	if code != http.StatusCreated {
		t.Fatalf("submission: %d %s", code, body)
	}
	after = moved(after, "a submission",
		series{"antrag_submissions_total", map[string]string{"tenant": tn.ID, "service": svc.ID, "source": "antrag"}},
		series{"antrag_http_request_duration_seconds", map[string]string{"route": "POST /api/v1/forms/{formId}/submissions", "status": "201"}},
		series{"antrag_queue_jobs", map[string]string{"state": "available"}},
		series{"antrag_deliveries_pending", nil})
	for _, name := range []string{"antrag_queue_oldest_job_due_seconds", "antrag_delivery_oldest_pending_seconds"} {
		if v, ok := after.value(name, nil); !ok || v < 0 {
			t.Errorf("%s: %v, present %v", name, v, ok)
		}
	}

	// The queue delivers: one attempt fails, the next succeeds.
	q, err := a.startQueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop(context.Background())
	deadline := time.Now().Add(waitLong)
	for {
		f := scrape(t, addr)
		if v, _ := f.value("antrag_deliveries_total", map[string]string{"kind": "webhook", "state": "delivered"}); v >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook delivery was not counted within %v (%d requests)", waitLong, hooks.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	after = moved(after, "a delivery",
		series{"antrag_delivery_attempts_total", map[string]string{"kind": "webhook", "result": "retrying"}},
		series{"antrag_delivery_attempts_total", map[string]string{"kind": "webhook", "result": "delivered"}},
		series{"antrag_delivery_attempt_duration_seconds", map[string]string{"kind": "webhook"}},
		series{"antrag_deliveries_total", map[string]string{"kind": "webhook", "state": "delivered"}},
		series{"antrag_delivery_age_seconds", map[string]string{"kind": "webhook", "state": "delivered"}})
	if v, _ := after.value("antrag_deliveries_pending", nil); v != 0 {
		t.Errorf("%v deliveries pending after the delivery", v)
	}

	// A retention pass (the janitor's, which this test runs itself).
	a.sweep(ctx, time.Now())
	after = moved(after, "a retention pass",
		series{"antrag_retention_passes_total", map[string]string{"step": "drafts", "result": "ok"}},
		series{"antrag_retention_passes_total", map[string]string{"step": "submissions", "result": "ok"}})
	if _, ok := after.value("antrag_retention_files_deleted_total", map[string]string{"step": "drafts"}); !ok {
		t.Error("antrag_retention_files_deleted_total is missing")
	}

	// Wrong passwords for one name from one client until the throttle
	// refuses (DefaultLimits.NameClient: 5 at once).
	for i := range 8 {
		form := url.Values{"benutzername": {demoUser}, "passwort": {fmt.Sprintf("falsch-%d", i)}}
		req, err := http.NewRequest("POST", c.baseURL+"/intern/anmelden", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.baseURL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		do(t, client, req)
	}
	after = moved(after, "a throttled login",
		series{"antrag_login_attempts_total", nil},
		series{"antrag_login_failed_total", nil},
		series{"antrag_login_throttled_name_client_total", nil})
	if v, ok := after.value("antrag_login_hashing", nil); !ok || v != 0 {
		t.Errorf("antrag_login_hashing %v after the logins, present %v", v, ok)
	}

	// The database pool: every connection held, and one more asked for,
	// which waits.
	pool := a.db.SQL()
	held := make([]*sql.Conn, pool.Stats().MaxOpenConnections)
	if len(held) == 0 {
		t.Fatal("the pool has no limit")
	}
	for i := range held {
		if held[i], err = pool.Conn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waits := pool.Stats().WaitCount
	waited := make(chan error, 1)
	go func() { waited <- pool.PingContext(ctx) }()
	for pool.Stats().WaitCount == waits {
		select {
		case err := <-waited:
			t.Fatalf("a query did not wait for a connection of the full pool: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	busy := moved(after, "a full pool",
		series{"antrag_go_sql_in_use_connections", map[string]string{"db_name": "antrag"}},
		series{"antrag_go_sql_wait_count_total", map[string]string{"db_name": "antrag"}})
	if v, _ := busy.value("antrag_go_sql_in_use_connections", nil); int(v) != len(held) {
		t.Errorf("%v connections in use, want %d", v, len(held))
	}
	for _, c := range held {
		c.Close()
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"antrag_go_sql_open_connections", "antrag_go_sql_max_open_connections", "antrag_go_sql_idle_connections",
		"antrag_go_sql_wait_duration_seconds_total"} {
		if _, ok := busy.value(name, map[string]string{"db_name": "antrag"}); !ok {
			t.Errorf("%s is missing", name)
		}
	}
}
