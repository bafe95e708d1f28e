package io.shopevents.store;

import java.math.BigDecimal;

/**
 * An order as GET /api/orders/{orderId} shows it: {@code amountPaid} is the sum of its processed
 * payments; {@code status} is PLACED (nothing paid), PARTIALLY_PAID, PAID (paid = total) or
 * OVERPAID (paid more than the total).
 */
public record OrderView(String orderId, String userId, BigDecimal orderTotal, BigDecimal amountPaid, String status) {
}
