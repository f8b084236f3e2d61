package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/antrag/antrag/internal/web"
)

// traceConfig is the tracing part of serveConfig: OpenTelemetry spans of
// requests, store transactions and deliveries, sent over OTLP/HTTP. Off
// unless an endpoint is configured.
type traceConfig struct {
	base     string  // --otlp-endpoint, ANTRAG_OTLP_ENDPOINT: the receiver's base URL
	url      string  // where spans are posted (…/v1/traces); "": no tracing
	ratio    float64 // share of requests traced, 0 to 1
	ratioSet bool    // else the SDK's sampler (OTEL_TRACES_SAMPLER, else every request)
}

// tracingFlags defines the tracing flags of `antrag serve`.
func tracingFlags(fs *flag.FlagSet, tc *traceConfig, getenv func(string) string) error {
	ratio := func(s string) error {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r < 0 || r > 1 {
			return fmt.Errorf("%q: ein Anteil von 0 bis 1, z. B. 0.1", s)
		}
		tc.ratio, tc.ratioSet = r, true
		return nil
	}
	if v := getenv("ANTRAG_TRACE_RATIO"); v != "" {
		if err := ratio(v); err != nil {
			return usageError{"ANTRAG_TRACE_RATIO=" + err.Error()}
		}
	}
	fs.StringVar(&tc.base, "otlp-endpoint", getenv("ANTRAG_OTLP_ENDPOINT"),
		"OpenTelemetry: Basisadresse eines OTLP/HTTP-Empfängers für Traces, z. B. http://127.0.0.1:4318 (Standard: OTEL_EXPORTER_OTLP_ENDPOINT, sonst keine Traces)")
	fs.Func("trace-ratio", "OpenTelemetry: Anteil der Anfragen mit Trace, 0 bis 1 (Standard: OTEL_TRACES_SAMPLER, sonst alle)", ratio)
	return nil
}

// resolve sets tc.url after the flags are parsed: --otlp-endpoint (or
// ANTRAG_OTLP_ENDPOINT), else the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// (the full URL), else OTEL_EXPORTER_OTLP_ENDPOINT. A base URL gets the
// path /v1/traces appended (OTLP/HTTP, OpenTelemetry Protocol Exporter
// specification, "Endpoint URLs for OTLP/HTTP").
func (tc *traceConfig) resolve(getenv func(string) string) error {
	full, base, name := "", tc.base, "--otlp-endpoint"
	if base == "" {
		if full = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); full != "" {
			name = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
		} else if base = getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base != "" {
			name = "OTEL_EXPORTER_OTLP_ENDPOINT"
		}
	}
	if base != "" {
		full = strings.TrimSuffix(base, "/") + "/v1/traces"
	}
	if full == "" {
		return nil
	}
	u, err := url.Parse(full)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("%s %q: eine Adresse wie http://127.0.0.1:4318", name, strings.TrimSuffix(full, "/v1/traces"))}
	}
	tc.url = u.String()
	return nil
}

// newSpanExporter makes the exporter that posts spans to url (OTLP/HTTP,
// protobuf). The exporter also reads the standard OTEL_EXPORTER_OTLP_*
// variables of the process, e.g. OTEL_EXPORTER_OTLP_HEADERS for a token.
// Tests replace it.
var newSpanExporter = func(ctx context.Context, url string) (sdktrace.SpanExporter, error) {
	return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(url))
}

// startTracing registers the tracer provider with otel when tracing is
// configured (else otel keeps its no-op provider and nothing is traced),
// and returns the func that sends the spans still buffered and stops it.
// The resource is service.name "antrag", unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise.
func startTracing(ctx context.Context, tc traceConfig, logger *slog.Logger) (shutdown func(context.Context) error, err error) {
	if tc.url == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := newSpanExporter(ctx, tc.url)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry: %w", err)
	}
	res, err := resource.Merge(resource.NewSchemaless(attribute.String("service.name", "antrag")), resource.Environment())
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if tc.ratioSet {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(tc.ratio))))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("OpenTelemetry", "error", err.Error())
	}))
	otel.SetTracerProvider(tp)
	endpoint := tc.url
	if u, err := url.Parse(tc.url); err == nil {
		endpoint = u.Redacted()
	}
	logger.Info("traces exported", "endpoint", endpoint)
	return tp.Shutdown, nil
}

// wrap puts h in HTTP server spans when tracing is configured.
func (tc traceConfig) wrap(h http.Handler) http.Handler {
	if tc.url == "" {
		return h
	}
	return web.Traced(h)
}
