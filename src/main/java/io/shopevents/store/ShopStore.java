package io.shopevents.store;

import io.shopevents.event.OrderPlaced;
import io.shopevents.event.PaymentProcessed;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * Orders and payments. An order's status is not stored but derived from the sum of its processed
 * payments: PLACED (none), PARTIALLY_PAID, PAID (exactly its total), OVERPAID. So the end state
 * is the same whatever the order the events arrive in, and concurrent consumers cannot race each
 * other into a wrong status; a payment is recorded once (by its id), so a redelivery never counts
 * it twice.
 */
@Repository("shopStore")
public class ShopStore {

    private final JdbcClient jdbc;

    public ShopStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records the order; the first order_placed for an order id wins. True if it was new. */
    public boolean placeOrder(OrderPlaced order) {
        return jdbc.sql("""
                        INSERT INTO orders (order_id, user_id, order_total, placed_at)
                        VALUES (:orderId, :userId, :orderTotal, :now)
                        ON CONFLICT DO NOTHING""")
                .param("orderId", order.orderId())
                .param("userId", order.userId())
                .param("orderTotal", order.orderTotal())
                .param("now", Timestamp.from(Instant.now()))
                .update() == 1;
    }

    /** Records the payment, which counts towards its order. True if it was new. */
    public boolean recordPayment(PaymentProcessed payment) {
        return jdbc.sql("""
                        INSERT INTO payments (payment_id, order_id, payment_amount, processed_at)
                        VALUES (:paymentId, :orderId, :paymentAmount, :now)
                        ON CONFLICT DO NOTHING""")
                .param("paymentId", payment.paymentId())
                .param("orderId", payment.orderId())
                .param("paymentAmount", payment.paymentAmount())
                .param("now", Timestamp.from(Instant.now()))
                .update() == 1;
    }

    /** The order with what has been paid for it, if it has been placed. */
    public Optional<OrderView> order(String orderId) {
        return jdbc.sql("""
                        SELECT o.order_id, o.user_id, o.order_total,
                               (SELECT COALESCE(SUM(p.payment_amount), 0) FROM payments p WHERE p.order_id = o.order_id)
                                   AS amount_paid
                        FROM orders o WHERE o.order_id = :orderId""")
                .param("orderId", orderId)
                .query((rs, n) -> {
                    BigDecimal total = rs.getBigDecimal("order_total");
                    BigDecimal paid = rs.getBigDecimal("amount_paid");
                    return new OrderView(rs.getString("order_id"), rs.getString("user_id"), money(total), money(paid),
                            status(total, paid));
                })
                .optional();
    }

    static String status(BigDecimal total, BigDecimal paid) {
        if (paid.signum() == 0) {
            return "PLACED";
        }
        int compared = paid.compareTo(total);
        return compared < 0 ? "PARTIALLY_PAID" : compared == 0 ? "PAID" : "OVERPAID";
    }

    /** The payment, if it has been processed. */
    public Optional<PaymentView> payment(String paymentId) {
        return jdbc.sql("SELECT payment_id, order_id, payment_amount FROM payments WHERE payment_id = :paymentId")
                .param("paymentId", paymentId)
                .query((rs, n) -> new PaymentView(rs.getString("payment_id"), rs.getString("order_id"),
                        money(rs.getBigDecimal("payment_amount")), "PROCESSED"))
                .optional();
    }

    /** Amounts are kept to 4 decimal places; shown with at least 2 (100.00, 19.99, 0.1234). */
    private static BigDecimal money(BigDecimal stored) {
        BigDecimal exact = stored.stripTrailingZeros();
        return exact.scale() < 2 ? exact.setScale(2) : exact;
    }
}
