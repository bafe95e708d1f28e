package io.shopevents.event;

import io.swagger.v3.oas.annotations.media.Schema;

import java.math.BigDecimal;

/** Data of an {@code order_placed} event. Money is a decimal, never a binary float. */
@Schema(description = "An order has been placed.")
public record OrderPlaced(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minLength = 1, maxLength = 128, example = "1001",
                description = "The shop's id of the order. A whole number is taken too and kept as its text;"
                        + " no control characters, no / or \\.")
        String orderId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minLength = 1, maxLength = 128, example = "u-1001",
                description = "The user who placed it.")
        String userId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, type = "number", exclusiveMinimum = true, minimum = "0",
                maximum = "1000000000000", multipleOf = 0.0001, example = "59.90",
                description = "The order's total: greater than 0, at most 10^12, at most 4 decimal places; kept as sent.")
        BigDecimal orderTotal) {
}
