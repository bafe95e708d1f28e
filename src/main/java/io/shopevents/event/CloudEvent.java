package io.shopevents.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A CloudEvents 1.0 event as this service reads and writes it (structured JSON mode on the wire);
 * {@code data} is the event's own payload. An event is identified by {@code source} + {@code id}.
 * {@code traceparent} is the distributed tracing extension: the W3C trace context the event was
 * created in, so that its consumers continue that trace.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CloudEvent(
        String specversion,
        String id,
        String type,
        String source,
        String subject,
        Instant time,
        String datacontenttype,
        JsonNode data,
        String traceparent) {

    public static final String SPEC_VERSION = "1.0";
    public static final String JSON = "application/json";
    /** The AMQP content type of a structured-mode CloudEvent. */
    public static final String STRUCTURED_JSON = "application/cloudevents+json";

    /** An event without the distributed tracing extension. */
    public CloudEvent(String specversion, String id, String type, String source, String subject, Instant time,
                      String datacontenttype, JsonNode data) {
        this(specversion, id, type, source, subject, time, datacontenttype, data, null);
    }

    /** The same event, created in this trace (W3C traceparent, the CloudEvents distributed tracing extension). */
    public CloudEvent withTraceparent(String traceparent) {
        return new CloudEvent(specversion, id, type, source, subject, time, datacontenttype, data, traceparent);
    }
}
