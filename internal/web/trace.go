package web

import (
	"context"
	"net/http"
	"net/url"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Traced wraps the server's handler h (the outermost one) in OpenTelemetry
// HTTP server spans (otelhttp), with the tracer provider registered with
// otel. A span is named by the route pattern the request matched ("POST
// /api/v1/forms/{formId}/submissions"), never by its path, which may hold
// a resume or payment token; the span carries no path, no query, no client
// address and no user agent (personal data), and never a form value. A
// trace context the client sends (W3C traceparent) is linked, not
// continued: the server is public, so every request starts its own trace
// and sampling decision.
func Traced(h http.Handler) http.Handler {
	tc := propagation.TraceContext{}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orig, ok := r.Context().Value(untracedKey{}).(*http.Request)
		if !ok {
			orig = r
		}
		h.ServeHTTP(w, orig.WithContext(r.Context()))
	})
	traced := otelhttp.NewHandler(inner, "antrag",
		otelhttp.WithPublicEndpointFn(func(*http.Request) bool { return true }),
		otelhttp.WithPropagators(tc),
		// Metrics are not otelhttp's business here.
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// otelhttp takes its attributes from the request it is given: a copy
		// without what identifies the client or may hold a token. The
		// handler gets the original request, with the span's context.
		bare := new(http.Request)
		*bare = *r
		bare.RemoteAddr = ""
		bare.URL = &url.URL{}
		bare.Header = http.Header{}
		for _, k := range tc.Fields() {
			if v := r.Header.Values(k); len(v) > 0 {
				bare.Header[http.CanonicalHeaderKey(k)] = v
			}
		}
		bare = bare.WithContext(context.WithValue(r.Context(), untracedKey{}, r))
		traced.ServeHTTP(w, bare)
	})
}

// untracedKey holds, in the context of the request otelhttp sees, the
// request as it came in.
type untracedKey struct{}

// nameSpan names the request's server span (Traced) by the route pattern
// that matched (logRequests); it does nothing without one.
func nameSpan(ctx context.Context, method, route string) {
	span := trace.SpanFromContext(ctx)
	if route == "" || !span.IsRecording() {
		return
	}
	if routePath(route) == route { // a pattern without method
		span.SetName(method + " " + route)
	} else {
		span.SetName(route)
	}
	span.SetAttributes(attribute.String("http.route", routePath(route)))
}
