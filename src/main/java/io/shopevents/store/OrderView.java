package io.shopevents.store;

import java.math.BigDecimal;

/** An order as GET /api/orders/{orderId} shows it. */
public record OrderView(String orderId, String userId, BigDecimal orderTotal, String status) {
}
