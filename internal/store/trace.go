package store

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the OpenTelemetry tracer of the store's spans.
const tracerName = "github.com/antrag/antrag/internal/store"

// unregistered is otel's tracer provider before one is registered: while
// it is still the one, traced opens no span at all (not even a no-op one).
var unregistered = otel.GetTracerProvider()

func endNothing(*error) {}

// traced starts the span "store.<op>" of a store method (op is its name,
// e.g. "Submit"), with the tracer provider registered with otel (none
// unless `antrag serve` exports traces). The span names the database
// system and the operation only: no statement, no argument, no error text
// (driver messages may quote values). The returned func ends the span,
// marked failed if *errp is not nil; defer it with the method's named error.
func (db *DB) traced(ctx context.Context, op string) (context.Context, func(errp *error)) {
	if otel.GetTracerProvider() == unregistered {
		return ctx, endNothing
	}
	system := "sqlite"
	if db.d.name() == "postgres" {
		system = "postgresql"
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "store."+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", system), attribute.String("db.operation.name", op)))
	return ctx, func(errp *error) {
		if *errp != nil {
			span.SetStatus(codes.Error, "")
		}
		span.End()
	}
}
