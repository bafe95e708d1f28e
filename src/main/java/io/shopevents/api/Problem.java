package io.shopevents.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.shopevents.event.FieldError;

import java.util.List;

/** An RFC 9457 problem detail, the body of every 4xx and 5xx answer. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String detail) {
        return new Problem("about:blank", title, status, detail, List.of());
    }
}
