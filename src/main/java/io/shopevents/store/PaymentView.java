package io.shopevents.store;

import java.math.BigDecimal;

/** A payment as GET /api/payments/{paymentId} shows it. */
public record PaymentView(String paymentId, String orderId, BigDecimal paymentAmount, String status) {
}
