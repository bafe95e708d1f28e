package io.shopevents.event;

import io.swagger.v3.oas.annotations.media.Schema;

import java.math.BigDecimal;

/** Data of a {@code payment_processed} event. */
@Schema(description = "A payment has been processed; it counts towards its order.")
public record PaymentProcessed(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minLength = 1, maxLength = 128, example = "p-1001",
                description = "The shop's id of the payment. A whole number is taken too and kept as its text.")
        String paymentId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minLength = 1, maxLength = 128, example = "1001",
                description = "The order it pays (it may not be known yet).")
        String orderId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, type = "number", exclusiveMinimum = true, minimum = "0",
                maximum = "1000000000000", multipleOf = 0.0001, example = "59.90",
                description = "The amount paid: greater than 0, at most 10^12, at most 4 decimal places; kept as sent.")
        BigDecimal paymentAmount) {
}
