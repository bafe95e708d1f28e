package io.shopevents.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.shopevents.event.FieldError;
import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/** An RFC 9457 problem detail, the body of every 4xx and 5xx answer. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@Schema(description = "An RFC 9457 problem detail (application/problem+json).")
public record Problem(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "about:blank") String type,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "Bad Request") String title,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "400") int status,
        @Schema(example = "the request has invalid fields") String detail,
        @Schema(description = "Each bad field of a 400, when the body was the problem.") List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String detail) {
        return new Problem("about:blank", title, status, detail, List.of());
    }
}
