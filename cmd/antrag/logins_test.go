package main

import (
	"expvar"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/account"
)

// TestMetricsServesLoginCounters: --metrics-addr serves the login's
// counters in the Prometheus text format, and nothing else.
func TestMetricsServesLoginCounters(t *testing.T) {
	m := new(expvar.Map)
	for _, n := range account.MetricNames {
		m.Add(n, 0)
	}
	m.Add(account.MetricThrottledName, 7)
	a := &app{logger: slog.New(slog.DiscardHandler), loginMetrics: m}
	addr, stop, err := a.serveMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{"# TYPE antrag_login_throttled_name counter\nantrag_login_throttled_name 7\n", "antrag_login_attempts 0\n", "# TYPE antrag_login_hashing gauge"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics lacks %q:\n%s", want, body)
		}
	}
	if resp, err := http.Get("http://" + addr + "/debug/vars"); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("the metrics address serves /debug/vars (the command line, with any password in --db)")
	}
}

func TestServeLoginFlags(t *testing.T) {
	c, err := parseServe([]string{"--login-hashes", "3", "--metrics-addr", "127.0.0.1:9090"}, envMap(nil), io.Discard, io.Discard)
	if err != nil || c.loginHashes != 3 || c.metricsAddr != "127.0.0.1:9090" {
		t.Errorf("parseServe: %+v, %v", c, err)
	}
	if c, err := parseServe(nil, envMap(map[string]string{"ANTRAG_LOGIN_HASHES": "2"}), io.Discard, io.Discard); err != nil || c.loginHashes != 2 {
		t.Errorf("ANTRAG_LOGIN_HASHES=2: %v", err)
	}
	for _, env := range []map[string]string{{"ANTRAG_LOGIN_HASHES": "zwei"}, {"ANTRAG_LOGIN_HASHES": "-1"}} {
		if _, err := parseServe(nil, envMap(env), io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}
