package outbox

import (
	"context"
	"encoding/json"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the OpenTelemetry tracer of the queue's spans.
const tracerName = "github.com/antrag/antrag/internal/store/outbox"

// traceContext is how a delivery job carries the trace of the request
// that queued it: the W3C Trace Context fields (traceparent, tracestate)
// in River's job metadata, which are not part of the job's arguments (and
// so not of its uniqueness).
var traceContext = propagation.TraceContext{}

// traceMetadata is the job metadata that carries ctx's span context, as a
// JSON object {"traceparent": …[, "tracestate": …]}; nil when ctx holds no
// valid span context (tracing is off). An unsampled one is carried too, so
// that the delivery follows the submission's sampling decision.
func traceMetadata(ctx context.Context) []byte {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	carrier := propagation.MapCarrier{}
	traceContext.Inject(ctx, carrier)
	if len(carrier) == 0 {
		return nil
	}
	b, err := json.Marshal(carrier)
	if err != nil {
		return nil
	}
	return b
}

// startDeliverySpan starts the span of one run of a delivery job, a child
// of the span that queued the job (traceMetadata) if the job carries one.
// Its attributes are identifiers only: tenant, delivery, round, attempt.
func startDeliverySpan(ctx context.Context, job *river.Job[DeliverArgs]) (context.Context, trace.Span) {
	if len(job.Metadata) > 0 {
		var carrier map[string]any
		if json.Unmarshal(job.Metadata, &carrier) == nil {
			fields := propagation.MapCarrier{}
			for _, k := range traceContext.Fields() {
				if v, ok := carrier[k].(string); ok {
					fields[k] = v
				}
			}
			ctx = traceContext.Extract(ctx, fields)
		}
	}
	return otel.Tracer(tracerName).Start(ctx, "outbox.Deliver", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("antrag.tenant.id", job.Args.TenantID),
			attribute.String("antrag.delivery.id", job.Args.DeliveryID),
			attribute.Int("antrag.delivery.round", job.Args.Round),
			attribute.Int("antrag.job.attempt", job.Attempt),
		))
}

// endSpan ends span, marking it failed if err is not nil. The error's
// text is not recorded: it may quote what a receiver answered.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, "")
	}
	span.End()
}
