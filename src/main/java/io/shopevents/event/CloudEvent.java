package io.shopevents.event;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A CloudEvents 1.0 event as this service reads and writes it (structured JSON mode on the wire);
 * {@code data} is the event's own payload. An event is identified by {@code source} + {@code id}.
 * {@code traceparent} is the distributed tracing extension: the W3C trace context the event was
 * created in, so that its consumers continue that trace. {@code extensions} holds every other
 * attribute the producer gave ({@code dataschema}, {@code partitionkey}, its own), checked by
 * {@link ExtensionAttributes}; in JSON they sit beside the others, as the format says.
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
        String traceparent,
        @JsonIgnore Map<String, Object> extensions) {

    public static final String SPEC_VERSION = "1.0";
    public static final String JSON = "application/json";
    /** The AMQP content type of a structured-mode CloudEvent. */
    public static final String STRUCTURED_JSON = "application/cloudevents+json";

    public CloudEvent {
        extensions = extensions == null || extensions.isEmpty() ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(extensions));
    }

    /** An event without extensions. */
    public CloudEvent(String specversion, String id, String type, String source, String subject, Instant time,
                      String datacontenttype, JsonNode data, String traceparent) {
        this(specversion, id, type, source, subject, time, datacontenttype, data, traceparent, Map.of());
    }

    /** An event without the distributed tracing extension, nor any other. */
    public CloudEvent(String specversion, String id, String type, String source, String subject, Instant time,
                      String datacontenttype, JsonNode data) {
        this(specversion, id, type, source, subject, time, datacontenttype, data, null, Map.of());
    }

    /** The same event, created in this trace (W3C traceparent, the CloudEvents distributed tracing extension). */
    public CloudEvent withTraceparent(String traceparent) {
        return new CloudEvent(specversion, id, type, source, subject, time, datacontenttype, data, traceparent, extensions);
    }

    /** The extension attributes, written beside the others in JSON. */
    @JsonAnyGetter
    Map<String, Object> jsonExtensions() {
        return extensions;
    }
}
