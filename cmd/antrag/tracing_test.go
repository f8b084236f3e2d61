package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
)

func TestParseServeTracing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		url   string
		ratio string // "" for the SDK's sampler
	}{
		{"off", nil, nil, "", ""},
		{"flag", nil, []string{"--otlp-endpoint", "http://127.0.0.1:4318"}, "http://127.0.0.1:4318/v1/traces", ""},
		{"flag with a path", nil, []string{"--otlp-endpoint", "https://otel.example.de/empfang/"}, "https://otel.example.de/empfang/v1/traces", ""},
		{"antrag environment", map[string]string{"ANTRAG_OTLP_ENDPOINT": "http://collector:4318", "ANTRAG_TRACE_RATIO": "0.25"}, nil,
			"http://collector:4318/v1/traces", "0.25"},
		{"flags win", map[string]string{"ANTRAG_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://b:4318", "ANTRAG_TRACE_RATIO": "0.25"},
			[]string{"--otlp-endpoint", "http://c:4318", "--trace-ratio", "1"}, "http://c:4318/v1/traces", "1"},
		{"standard base", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://b:4318"}, nil, "http://b:4318/v1/traces", ""},
		{"standard traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://b:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/spuren"},
			nil, "http://t:4318/spuren", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParseServe(t, tc.env, tc.args...)
			if c.tracing.url != tc.url {
				t.Errorf("url = %q, want %q", c.tracing.url, tc.url)
			}
			ratio := ""
			if c.tracing.ratioSet {
				ratio = fmt.Sprint(c.tracing.ratio)
			}
			if ratio != tc.ratio {
				t.Errorf("ratio = %q, want %q", ratio, tc.ratio)
			}
		})
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--otlp-endpoint", "127.0.0.1:4318"}, "--otlp-endpoint"},
		{nil, []string{"--otlp-endpoint", "grpc://collector:4317"}, "--otlp-endpoint"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector"}, nil, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{nil, []string{"--trace-ratio", "2"}, "trace-ratio"},
		{map[string]string{"ANTRAG_TRACE_RATIO": "viel"}, nil, "ANTRAG_TRACE_RATIO"},
	} {
		_, err := parseServe(tc.args, envMap(tc.env), &strings.Builder{}, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want an error naming %s", tc.env, tc.args, err, tc.want)
		}
	}
}

// keptSpans is an in-memory exporter whose spans outlive the shutdown of
// the tracer provider, which runServe does as it ends.
type keptSpans struct{ *tracetest.InMemoryExporter }

func (keptSpans) Shutdown(context.Context) error { return nil }

// TestTraceOfASubmission runs `antrag serve --demo` with tracing on (an
// in-memory exporter in place of OTLP), submits one application through
// the JSON API to Musterstadt's service that is delivered over FIT-Connect
// (the demo's test double), and waits until it is delivered: the HTTP
// request, the store's Submit and the delivery job are spans of one trace,
// in that parentage, and no span holds a submitted value, the request's
// path or the client's address.
func TestTraceOfASubmission(t *testing.T) {
	// Not parallel: it replaces newSpanExporter and otel's tracer provider.
	exp := tracetest.NewInMemoryExporter()
	old := newSpanExporter
	newSpanExporter = func(_ context.Context, url string) (sdktrace.SpanExporter, error) {
		if url != "http://127.0.0.1:4318/v1/traces" {
			t.Errorf("exporter for %q", url)
		}
		return keptSpans{exp}, nil
	}
	t.Cleanup(func() {
		newSpanExporter = old
		otel.SetTracerProvider(noop.NewTracerProvider())
	})
	dir := filepath.Join(t.TempDir(), "daten")
	s := startServe(t, map[string]string{"ANTRAG_DELIVERY_CHECK": "50ms", "ANTRAG_FITCONNECT_POLL": "1h"},
		"--data", dir, "--demo", "--otlp-endpoint", "http://127.0.0.1:4318")
	sub, err := sendFC(http.DefaultClient, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}

	key, err := sealed.LoadOrCreateKey(filepath.Join(dir, "schluessel"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "antrag.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stadt, err := db.TenantBySlug(context.Background(), "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	var ds []*delivery.Delivery
	eventually(t, waitEvent, func() (bool, string) {
		ds, err = db.Deliveries(context.Background(), stadt.ID, sub.ID)
		if err != nil {
			return false, err.Error()
		}
		return len(ds) == 1 && (ds[0].State == delivery.Delivered || ds[0].State == delivery.Accepted),
			"deliveries " + deliverytest.Format(ds)
	})
	// The spans still buffered are sent as the server stops.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	spans := exp.GetSpans()
	var server, submit, deliver *tracetest.SpanStub
	for i := range spans {
		sp := &spans[i]
		switch {
		case sp.SpanKind == trace.SpanKindServer && sp.Name == "POST /api/v1/forms/{formId}/submissions":
			server = sp
		case sp.Name == "store.Submit":
			submit = sp
		case sp.Name == "outbox.Deliver" && hasAttr(sp.Attributes, attribute.String("antrag.delivery.id", ds[0].ID)):
			deliver = sp
		}
	}
	if server == nil || submit == nil || deliver == nil {
		t.Fatalf("spans of the submission: server %v, store %v, delivery %v; all spans:\n%s",
			server != nil, submit != nil, deliver != nil, spanList(spans))
	}
	traceID := server.SpanContext.TraceID()
	if submit.SpanContext.TraceID() != traceID || deliver.SpanContext.TraceID() != traceID {
		t.Errorf("not one trace: server %s, store %s, delivery %s", traceID, submit.SpanContext.TraceID(), deliver.SpanContext.TraceID())
	}
	if submit.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("store.Submit's parent is %s, not the server span %s", submit.Parent.SpanID(), server.SpanContext.SpanID())
	}
	if deliver.Parent.SpanID() != submit.SpanContext.SpanID() {
		t.Errorf("outbox.Deliver's parent is %s, not store.Submit %s", deliver.Parent.SpanID(), submit.SpanContext.SpanID())
	}
	if !hasAttr(server.Attributes, attribute.String("http.route", "/api/v1/forms/{formId}/submissions")) {
		t.Errorf("server span attributes %v lack the route", server.Attributes)
	}
	// The store's spans of the delivery (the outcome written) are in it too.
	var updated bool
	for _, sp := range spans {
		if sp.Name == "store.UpdateDelivery" && sp.Parent.SpanID() == deliver.SpanContext.SpanID() {
			updated = true
		}
	}
	if !updated {
		t.Errorf("no store.UpdateDelivery span under the delivery; all spans:\n%s", spanList(spans))
	}

	// No personal data: no submitted value, no path, no client.
	ex, err := fcExample()
	if err != nil {
		t.Fatal(err)
	}
	values := leafStrings(ex, nil)
	if len(values) < 5 {
		t.Fatalf("the example has %d text values to look for: %v", len(values), values)
	}
	for _, sp := range spans {
		for _, kv := range sp.Attributes {
			switch kv.Key {
			case "url.path", "url.query", "url.full", "client.address", "network.peer.address", "user_agent.original":
				t.Errorf("span %q has %s = %q", sp.Name, kv.Key, kv.Value.Emit())
			}
			for _, v := range values {
				if strings.Contains(kv.Value.Emit(), v) {
					t.Errorf("span %q attribute %s = %q holds the submitted value %q", sp.Name, kv.Key, kv.Value.Emit(), v)
				}
			}
		}
		for _, v := range values {
			if strings.Contains(sp.Name, v) {
				t.Errorf("span name %q holds the submitted value %q", sp.Name, v)
			}
		}
	}
}

func hasAttr(kvs []attribute.KeyValue, want attribute.KeyValue) bool {
	return slices.Contains(kvs, want)
}

func spanList(spans tracetest.SpanStubs) string {
	var b strings.Builder
	for _, sp := range spans {
		fmt.Fprintf(&b, "  %s %s parent %s: %s %v\n", sp.SpanContext.TraceID(), sp.SpanContext.SpanID(), sp.Parent.SpanID(), sp.Name, sp.Attributes)
	}
	return b.String()
}

// leafStrings collects the text values of a JSON document of at least
// four characters (shorter ones, like "ja", may occur anywhere).
func leafStrings(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			out = leafStrings(x, out)
		}
	case []any:
		for _, x := range v {
			out = leafStrings(x, out)
		}
	case string:
		if len(v) >= 4 {
			out = append(out, v)
		}
	}
	return out
}

// TestServeExportsOverOTLP runs `antrag serve --otlp-endpoint` against an
// OTLP/HTTP receiver in the test: after a request and the shutdown, the
// receiver has that request's span (the spans still buffered are sent as
// the server stops).
func TestServeExportsOverOTLP(t *testing.T) {
	// Not parallel: it replaces otel's tracer provider.
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	var mu sync.Mutex
	var names []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if r.Method != "POST" || r.URL.Path != "/otlp/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("receiver: %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		} else if err != nil || proto.Unmarshal(body, &req) != nil {
			t.Errorf("receiver: %d bytes not an ExportTraceServiceRequest (%v)", len(body), err)
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					names = append(names, sp.Name)
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(nil)
	}))
	defer receiver.Close()
	s := startServe(t, map[string]string{"ANTRAG_OTLP_ENDPOINT": receiver.URL + "/otlp", "ANTRAG_FITCONNECT_POLL": "1h"},
		"--data", filepath.Join(t.TempDir(), "daten"))
	if resp, body := get(t, newClient(t), s.url+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("/healthz: %d %s", resp.StatusCode, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(names, "GET /healthz") {
		t.Errorf("the receiver got spans %q, not GET /healthz", names)
	}
}
