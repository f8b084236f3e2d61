// Package metrics is antrag's operator metrics in the Prometheus text
// exposition format (github.com/prometheus/client_golang): the HTTP
// requests by route, the submissions taken in, the deliveries and their
// attempts, the job queue's backlog, the database pool, the retention
// passes and the caseworker login throttle.
//
// A Metrics is its own prometheus.Registry (never the global default), so
// that only what is listed here is served, on the internal listener of
// `antrag serve --metrics-addr`. The domain packages do not import this
// package: each declares the narrow observer it calls (web.RequestObserver,
// submission.Observer, submission.RetentionObserver, delivery.Observer,
// account.LoginCounter), a nil observer observes nothing, and Metrics
// implements them all. Label values are bounded: the route is the
// http.ServeMux pattern, never the path; tenant and service are the ids of
// configured tenants and services; kinds, states, steps and results are
// fixed sets.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
)

var (
	_ submission.Observer          = (*Metrics)(nil)
	_ submission.RetentionObserver = (*Metrics)(nil)
	_ delivery.Observer            = (*Metrics)(nil)
)

// Metrics holds antrag's metrics and the registry that serves them. Its
// methods are safe for concurrent use; those of a nil *Metrics do nothing.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.HistogramVec // route, status
	submissions     *prometheus.CounterVec   // tenant, service, source
	attempts        *prometheus.CounterVec   // kind, result
	attemptDuration *prometheus.HistogramVec // kind
	deliveries      *prometheus.CounterVec   // kind, state
	deliveryAge     *prometheus.HistogramVec // kind, state
	retention       *prometheus.CounterVec   // step, result
	retentionFiles  *prometheus.CounterVec   // step
	login           map[string]prometheus.Counter
	loginHashing    prometheus.Gauge
}

// Label values of the delivery metrics for the states of package delivery.
const (
	StateDelivered = "delivered" // delivery.Delivered
	StateAccepted  = "accepted"  // delivery.Accepted
	StateRejected  = "rejected"  // delivery.Rejected
	StateFailed    = "failed"    // delivery.Failed
	StateRetrying  = "retrying"  // delivery.Pending after an attempt: tried again later
)

// New returns the metrics in a registry of their own, with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "antrag_http_request_duration_seconds",
		Help:    "Duration of HTTP requests to the public server in seconds, by route pattern (http.ServeMux pattern, \"none\" when no route matched) and status code.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "status"})
	m.submissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "antrag_submissions_total",
		Help: "Applications stored, by tenant id, service id and source (antrag: HTML journey or JSON API; fitconnect: received).",
	}, []string{"tenant", "service", "source"})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "antrag_delivery_attempts_total",
		Help: "Delivery attempts, by target kind and result (delivered, failed: given up, retrying: tried again later).",
	}, []string{"kind", "result"})
	m.attemptDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "antrag_delivery_attempt_duration_seconds",
		Help:    "Duration of one delivery attempt in seconds (preparing the parcel and sending it), by target kind.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"kind"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "antrag_deliveries_total",
		Help: "Deliveries that reached a state, by target kind and state (delivered, accepted, rejected, failed); inbox deliveries are delivered with the submission and not counted here.",
	}, []string{"kind", "state"})
	m.deliveryAge = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "antrag_delivery_age_seconds",
		Help:    "Time from submission to the state a delivery reached, in seconds, by target kind and state.",
		Buckets: []float64{1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600},
	}, []string{"kind", "state"})
	m.retention = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "antrag_retention_passes_total",
		Help: "Retention steps run (drafts: expired drafts deleted, submissions: closed applications purged, unpaid: never paid applications purged), by step and result (ok, error).",
	}, []string{"step", "result"})
	m.retentionFiles = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "antrag_retention_files_deleted_total",
		Help: "Attachment contents deleted by the retention steps, by step.",
	}, []string{"step"})
	m.reg.MustRegister(m.requests, m.submissions, m.attempts, m.attemptDuration, m.deliveries, m.deliveryAge,
		m.retention, m.retentionFiles)
	m.registerLogin()
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry of the metrics, for further collectors and
// for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records a request to the public server: its route
// pattern ("" when none matched), status code and duration. It implements
// web.RequestObserver.
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Observe(took.Seconds())
}

// Submitted counts a stored application. It implements
// submission.Observer.
func (m *Metrics) Submitted(s *submission.Submission) {
	if m == nil {
		return
	}
	source := s.Source
	if source == "" {
		source = submission.SourceAntrag
	}
	m.submissions.WithLabelValues(s.TenantID, s.ServiceID, source).Inc()
}

// Attempted records an attempt at d that took took; d.State is its
// outcome. It implements delivery.Observer.
func (m *Metrics) Attempted(d *delivery.Delivery, took time.Duration) {
	if m == nil {
		return
	}
	result := stateLabel(d.State)
	if d.State == delivery.Pending {
		result = StateRetrying
	}
	m.attempts.WithLabelValues(string(d.Target.Kind), result).Inc()
	m.attemptDuration.WithLabelValues(string(d.Target.Kind)).Observe(took.Seconds())
}

// Settled counts that d reached d.State at now, and observes its age
// since the submission. It implements delivery.Observer.
func (m *Metrics) Settled(d *delivery.Delivery, now time.Time) {
	if m == nil {
		return
	}
	state := stateLabel(d.State)
	m.deliveries.WithLabelValues(string(d.Target.Kind), state).Inc()
	if !d.CreatedAt.IsZero() {
		m.deliveryAge.WithLabelValues(string(d.Target.Kind), state).Observe(max(now.Sub(d.CreatedAt), 0).Seconds())
	}
}

// stateLabel is the label value of a delivery state.
func stateLabel(s delivery.State) string {
	switch s {
	case delivery.Delivered:
		return StateDelivered
	case delivery.Accepted:
		return StateAccepted
	case delivery.Rejected:
		return StateRejected
	case delivery.Failed:
		return StateFailed
	case delivery.Pending:
		return "pending"
	}
	return "other"
}

// RetentionStep counts a retention step and the attachment contents it
// deleted. It implements submission.RetentionObserver.
func (m *Metrics) RetentionStep(step string, filesDeleted int, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.retention.WithLabelValues(step, result).Inc()
	m.retentionFiles.WithLabelValues(step).Add(float64(filesDeleted))
}

// registerLogin registers the login counters, antrag_login_<name>_total
// for each of account.MetricNames, and the gauge antrag_login_hashing.
func (m *Metrics) registerLogin() {
	help := map[string]string{
		account.MetricAttempts:            "Caseworker logins tried.",
		account.MetricSucceeded:           "Caseworker logins that succeeded.",
		account.MetricFailed:              "Caseworker logins refused for a wrong name or password or a disabled account.",
		account.MetricBusy:                "Caseworker logins refused because all password checks were busy.",
		account.MetricThrottledNameClient: "Caseworker logins refused by the throttle: one user name from one client address.",
		account.MetricThrottledClient:     "Caseworker logins refused by the throttle: one client address, all user names.",
		account.MetricThrottledName:       "Caseworker logins refused by the throttle: one user name from clients without a known-device cookie (guessing spread over many addresses).",
		account.MetricThrottledDevice:     "Caseworker logins refused by the throttle: one user name from one known device.",
	}
	m.login = map[string]prometheus.Counter{}
	for _, name := range account.MetricNames {
		if name == account.MetricHashing {
			continue
		}
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "antrag_login_" + name + "_total", Help: help[name]})
		m.login[name] = c
		m.reg.MustRegister(c)
	}
	m.loginHashing = prometheus.NewGauge(prometheus.GaugeOpts{Name: "antrag_login_hashing", Help: "Password checks running now."})
	m.reg.MustRegister(m.loginHashing)
}

// Logins returns the receiver of the login's counters
// (account.LoginsConfig.Metrics); nil for a nil *Metrics.
func (m *Metrics) Logins() account.LoginCounter {
	if m == nil {
		return nil
	}
	return loginCounter{m}
}

type loginCounter struct{ m *Metrics }

func (l loginCounter) Add(name string, delta int64) {
	if name == account.MetricHashing {
		l.m.loginHashing.Add(float64(delta))
		return
	}
	if c := l.m.login[name]; c != nil && delta > 0 {
		c.Add(float64(delta))
	}
}

// WatchDB adds the connection pool statistics of db (sql.DBStats) as
// antrag_go_sql_* (client_golang's DB stats collector, db_name "antrag").
func (m *Metrics) WatchDB(db *sql.DB) {
	prometheus.WrapRegistererWithPrefix("antrag_", m.reg).MustRegister(collectors.NewDBStatsCollector(db, "antrag"))
}

// Backlog is the work waiting at one moment: the job queue and the
// deliveries not yet made.
type Backlog struct {
	// Jobs counts the queue's unfinished jobs by state (River's job
	// states: available, scheduled, retryable, running, pending).
	Jobs map[string]int
	// OldestJobDue is how long the job that has waited longest since it
	// was due has waited; 0 when no job is due.
	OldestJobDue time.Duration
	// PendingDeliveries counts the deliveries still to be made (state
	// ausstehend), OldestPending is the age of the oldest since its
	// submission; 0 when there is none.
	PendingDeliveries int
	OldestPending     time.Duration
}

// BacklogFunc reads the backlog; it is called at each scrape with a
// context that ends after the timeout given to WatchBacklog.
type BacklogFunc func(ctx context.Context) (Backlog, error)

// WatchBacklog adds the queue and delivery backlog, read by f at each
// scrape within timeout: antrag_queue_jobs{state},
// antrag_queue_oldest_job_due_seconds, antrag_deliveries_pending and
// antrag_delivery_oldest_pending_seconds. A failed read is logged and
// leaves the backlog out of that scrape.
func (m *Metrics) WatchBacklog(f BacklogFunc, timeout time.Duration, logger *slog.Logger) {
	m.reg.MustRegister(&backlogCollector{read: f, timeout: timeout, logger: logger})
}

var (
	queueJobsDesc = prometheus.NewDesc("antrag_queue_jobs",
		"Unfinished jobs of the delivery queue (River, table river_job), by state.", []string{"state"}, nil)
	queueOldestDesc = prometheus.NewDesc("antrag_queue_oldest_job_due_seconds",
		"How long the job that has waited longest since it was due has waited, in seconds; 0 when no job is due.", nil, nil)
	pendingDesc = prometheus.NewDesc("antrag_deliveries_pending",
		"Deliveries not yet made (queued or waiting for a retry).", nil, nil)
	pendingOldestDesc = prometheus.NewDesc("antrag_delivery_oldest_pending_seconds",
		"Age since submission of the oldest delivery not yet made, in seconds; 0 when there is none.", nil, nil)
)

// queueStates are the job states always reported, 0 when no job has them.
var queueStates = []string{"available", "scheduled", "retryable", "running", "pending"}

type backlogCollector struct {
	read    BacklogFunc
	timeout time.Duration
	logger  *slog.Logger
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueJobsDesc
	ch <- queueOldestDesc
	ch <- pendingDesc
	ch <- pendingOldestDesc
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	b, err := c.read(ctx)
	if err != nil {
		if c.logger != nil {
			c.logger.Warn("metrics: reading the backlog", "error", err.Error())
		}
		return
	}
	for _, s := range queueStates {
		ch <- prometheus.MustNewConstMetric(queueJobsDesc, prometheus.GaugeValue, float64(b.Jobs[s]), s)
	}
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, b.OldestJobDue.Seconds())
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(b.PendingDeliveries))
	ch <- prometheus.MustNewConstMetric(pendingOldestDesc, prometheus.GaugeValue, b.OldestPending.Seconds())
}
