package io.shopevents.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.stereotype.Component;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * W3C trace context across the broker: an event carries the trace of the call that published it
 * (the AMQP headers {@code traceparent} and {@code tracestate}, and the CloudEvents distributed
 * tracing extension {@code traceparent}), and the subscription that consumes it continues that
 * trace. Spans are Micrometer Tracing's (OpenTelemetry underneath), exported over OTLP when
 * {@code management.otlp.tracing.endpoint} is set; trace and span ids are in every log line.
 */
@Component
public class EventTracing {

    public static final String TRACEPARENT = "traceparent";

    private final Tracer tracer;
    private final Propagator propagator;

    public EventTracing(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** The current span, or null outside any trace: to carry a call's trace to the thread that goes on with it. */
    public Span current() {
        return tracer.currentSpan();
    }

    /** The current span's W3C traceparent, or null outside any trace. */
    public String traceparent() {
        Span span = tracer.currentSpan();
        if (span == null) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>(4);
        propagator.inject(span.context(), carrier, Map::put);
        return carrier.get(TRACEPARENT);
    }

    /** Writes the span's trace context (traceparent, tracestate) with the setter: into message or request headers. */
    public void inject(Span span, BiConsumer<String, String> setter) {
        propagator.inject(span.context(), setter, BiConsumer::accept);
    }

    /** A span that is a child of the current one (or a new trace's first), started; kind null: internal work. */
    public Span startChild(String name, Span.Kind kind) {
        Span.Builder span = tracer.spanBuilder().name(name);
        return (kind == null ? span : span.kind(kind)).start();
    }

    /**
     * A consumer's span for a message, started: continuing the trace in its headers, else the one in
     * the event's traceparent extension, else a new trace.
     */
    public Span startConsuming(String name, Map<String, Object> headers, String eventTraceparent) {
        Map<String, Object> carrier = headers;
        if (!headers.containsKey(TRACEPARENT) && eventTraceparent != null) {
            carrier = Map.of(TRACEPARENT, eventTraceparent);
        }
        return propagator.extract(carrier, (c, key) -> {
            Object value = c.get(key);
            return value == null ? null : value.toString();
        }).name(name).kind(Span.Kind.CONSUMER).start();
    }

    /** Makes the span the current one until the scope is closed (and its ids those of the log lines). */
    public Tracer.SpanInScope inScope(Span span) {
        return tracer.withSpan(span);
    }
}
