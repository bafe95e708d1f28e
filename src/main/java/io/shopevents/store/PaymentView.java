package io.shopevents.store;

import io.swagger.v3.oas.annotations.media.Schema;

import java.math.BigDecimal;

/** A payment as GET /api/payments/{paymentId} shows it. */
@Schema(description = "A processed payment.")
public record PaymentView(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "p-1001") String paymentId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "1001") String orderId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, type = "number", example = "59.90") BigDecimal paymentAmount,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"PROCESSED"}) String status) {
}
