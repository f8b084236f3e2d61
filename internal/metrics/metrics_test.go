package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
)

// TestNilMetrics: a nil *Metrics observes nothing and does not panic, so
// that servers and tests without metrics need no checks.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("GET /healthz", 200, time.Millisecond)
	m.Submitted(&submission.Submission{})
	m.Attempted(&delivery.Delivery{}, time.Second)
	m.Settled(&delivery.Delivery{}, time.Now())
	m.RetentionStep(submission.RetentionDrafts, 1, nil)
	if m.Logins() != nil {
		t.Error("a nil *Metrics has login counters")
	}
}

// TestLabels: the label values are the route pattern ("none" without
// one), the English delivery states, and ok or error.
func TestLabels(t *testing.T) {
	m := New()
	m.ObserveRequest("", 404, time.Millisecond)
	m.ObserveRequest("GET /{tenant}/{$}", 200, time.Millisecond)
	if n := testutil.CollectAndCount(m.requests); n != 2 {
		t.Errorf("%d request series, want 2", n)
	}
	if body := get(t, m); !strings.Contains(body, `antrag_http_request_duration_seconds_count{route="none",status="404"} 1`+"\n") {
		t.Errorf("a request without a route is not counted as route none")
	}
	now := time.Now()
	d := &delivery.Delivery{Target: delivery.Target{Kind: delivery.Webhook}, State: delivery.Pending, CreatedAt: now.Add(-time.Minute)}
	m.Attempted(d, time.Second)
	d.State = delivery.Delivered
	m.Attempted(d, time.Second)
	m.Settled(d, now)
	d.State = delivery.Rejected
	m.Settled(d, now)
	for _, c := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.attempts.WithLabelValues("webhook", StateRetrying)), 1, "attempts retrying"},
		{testutil.ToFloat64(m.attempts.WithLabelValues("webhook", StateDelivered)), 1, "attempts delivered"},
		{testutil.ToFloat64(m.deliveries.WithLabelValues("webhook", StateDelivered)), 1, "deliveries delivered"},
		{testutil.ToFloat64(m.deliveries.WithLabelValues("webhook", StateRejected)), 1, "deliveries rejected"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	m.RetentionStep(submission.RetentionDrafts, 3, nil)
	m.RetentionStep(submission.RetentionUnpaid, 0, errors.New("kaputt"))
	if got := testutil.ToFloat64(m.retention.WithLabelValues("unpaid", "error")); got != 1 {
		t.Errorf("failed step counted %v times", got)
	}
	if got := testutil.ToFloat64(m.retentionFiles.WithLabelValues("drafts")); got != 3 {
		t.Errorf("%v files deleted, want 3", got)
	}
	m.Submitted(&submission.Submission{TenantID: "t", ServiceID: "s"})
	if got := testutil.ToFloat64(m.submissions.WithLabelValues("t", "s", submission.SourceAntrag)); got != 1 {
		t.Errorf("submission without a source counted %v times as antrag", got)
	}
}

// TestLoginCounters: the login's counters keep their meaning; hashing is
// a gauge that goes back down.
func TestLoginCounters(t *testing.T) {
	m := New()
	l := m.Logins()
	for _, name := range account.MetricNames {
		l.Add(name, 0)
	}
	l.Add(account.MetricThrottledName, 1)
	l.Add(account.MetricHashing, 1)
	l.Add(account.MetricHashing, 1)
	l.Add(account.MetricHashing, -1)
	if got := testutil.ToFloat64(m.login[account.MetricThrottledName]); got != 1 {
		t.Errorf("throttled_name %v", got)
	}
	if got := testutil.ToFloat64(m.loginHashing); got != 1 {
		t.Errorf("hashing %v, want 1", got)
	}
}

// TestBacklog: the backlog is read at each scrape; a failed read leaves
// it out of that scrape instead of failing the scrape.
func TestBacklog(t *testing.T) {
	m := New()
	fail := true
	m.WatchBacklog(func(ctx context.Context) (Backlog, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the backlog is read without a deadline")
		}
		if fail {
			return Backlog{}, errors.New("die Datenbank schläft")
		}
		return Backlog{Jobs: map[string]int{"available": 2}, OldestJobDue: 3 * time.Second, PendingDeliveries: 4, OldestPending: time.Minute}, nil
	}, time.Second, nil)
	body := get(t, m)
	if strings.Contains(body, "antrag_queue_jobs") {
		t.Errorf("a failed read is served:\n%s", body)
	}
	fail = false
	body = get(t, m)
	for _, want := range []string{`antrag_queue_jobs{state="available"} 2`, `antrag_queue_jobs{state="running"} 0`,
		"antrag_queue_oldest_job_due_seconds 3", "antrag_deliveries_pending 4", "antrag_delivery_oldest_pending_seconds 60"} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("lacks %q", want)
		}
	}
}

func get(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}
