package io.shopevents.event;

import java.math.BigDecimal;

/** Data of a {@code payment_processed} event. */
public record PaymentProcessed(String paymentId, String orderId, BigDecimal paymentAmount) {
}
