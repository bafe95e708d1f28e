package io.shopevents.event;

import io.swagger.v3.oas.annotations.media.Schema;

/** One bad field of an event's data; {@code field} is empty when the whole document is wrong. */
@Schema(description = "One bad field and what is wrong with it.")
public record FieldError(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "orderTotal",
                description = "The field, or empty when the whole document is wrong.") String field,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "must be greater than 0") String message) {
}
