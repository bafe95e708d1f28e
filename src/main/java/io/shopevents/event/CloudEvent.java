package io.shopevents.event;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/** A CloudEvents 1.0 envelope in structured JSON form; {@code data} is the event's own payload. */
public record CloudEvent(
        String specversion,
        String id,
        String type,
        String source,
        Instant time,
        String datacontenttype,
        JsonNode data) {

    public static final String SPEC_VERSION = "1.0";
    public static final String JSON = "application/json";
}
