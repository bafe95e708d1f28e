package io.shopevents.event;

import java.math.BigDecimal;

/** Data of an {@code order_placed} event. Money is a decimal, never a binary float. */
public record OrderPlaced(String orderId, String userId, BigDecimal orderTotal) {
}
