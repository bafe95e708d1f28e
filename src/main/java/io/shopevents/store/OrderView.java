package io.shopevents.store;

import io.swagger.v3.oas.annotations.media.Schema;

import java.math.BigDecimal;

/**
 * An order as GET /api/orders/{orderId} shows it: {@code amountPaid} is the sum of its processed
 * payments; {@code status} is PLACED (nothing paid), PARTIALLY_PAID, PAID (paid = total) or
 * OVERPAID (paid more than the total).
 */
@Schema(description = "An order, with what has been paid for it.")
public record OrderView(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "1001") String orderId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "u-1001") String userId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, type = "number", example = "59.90") BigDecimal orderTotal,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, type = "number", example = "59.90",
                description = "The sum of its processed payments.") BigDecimal amountPaid,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"PLACED", "PARTIALLY_PAID", "PAID", "OVERPAID"},
                description = "PLACED: nothing paid; PARTIALLY_PAID: less than the total; PAID: the total; OVERPAID: more.")
        String status) {
}
