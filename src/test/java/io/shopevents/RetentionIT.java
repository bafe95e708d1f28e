package io.shopevents;

import io.shopevents.store.Bookkeeping;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bounded bookkeeping: claims of applied events older than the retention window (7 days),
 * Idempotency-Keys older than theirs (24 h) and delivery log entries older than theirs (7 days) are
 * deleted; within the window a redelivered event is still recognised.
 */
class RetentionIT extends IntegrationTest {

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private Bookkeeping bookkeeping;

    @Test
    void rowsOlderThanTheWindowGoAndARedeliveryWithinItIsStillRecognised() {
        String old = unique("old");
        String oldKey = unique("key");
        jdbc.sql("INSERT INTO processed_events (subscription, event_source, event_id, processed_at) VALUES ('order-status', '/tests', :id, :at)")
                .param("id", old).param("at", Timestamp.from(Instant.now().minus(Duration.ofDays(8)))).update();
        jdbc.sql("""
                        INSERT INTO idempotency_keys (caller, idem_key, request_hash, claim, status, response, claimed_at)
                        VALUES ('test', :key, 'h', 'c', 202, '{}', :at)""")
                .param("key", oldKey).param("at", Timestamp.from(Instant.now().minus(Duration.ofHours(25)))).update();
        // the delivery log: an attempt 8 days old goes, one of yesterday stays
        String oldAttempt = unique("old-attempt");
        String recentAttempt = unique("recent-attempt");
        jdbc.sql("INSERT INTO subscription_controls (subscription, failures) VALUES ('order-status', 0) ON CONFLICT DO NOTHING").update();
        for (var attempt : java.util.Map.of(oldAttempt, Duration.ofDays(8), recentAttempt, Duration.ofDays(1)).entrySet()) {
            jdbc.sql("""
                            INSERT INTO delivery_attempts (id, subscription, event_source, event_id, event_type, attempt, attempted_at,
                                webhook, status, outcome, duration_ms) VALUES (1, 'order-status', '/tests', :id, 'order_placed', 1, :at,
                                'partner', 204, 'DELIVERED', 3)""")
                    .param("id", attempt.getKey()).param("at", Timestamp.from(Instant.now().minus(attempt.getValue()))).update();
        }
        String eventId = unique("event");
        String orderId = unique("order");
        String event = cloudEvent(eventId, "order_placed", "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}");
        publish("order_placed", event);
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/api/orders/" + orderId).statusCode() == 200);

        assertThat(bookkeeping.pruneNow(Instant.now())).isGreaterThanOrEqualTo(3);
        assertThat(count("SELECT COUNT(*) FROM delivery_attempts WHERE event_id = ?", oldAttempt)).as("the log's old attempt").isZero();
        assertThat(count("SELECT COUNT(*) FROM delivery_attempts WHERE event_id = ?", recentAttempt)).as("yesterday's attempt").isEqualTo(1);

        assertThat(count("SELECT COUNT(*) FROM processed_events WHERE event_id = ?", old)).isZero();
        assertThat(count("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = ?", oldKey)).isZero();
        assertThat(count("SELECT COUNT(*) FROM processed_events WHERE event_id = ?", eventId)).as("within the window").isEqualTo(1);
        // redelivered with other data: recognised by its source and id, so nothing changes
        String other = unique("order");
        publish("order_placed", event.replace(orderId, other));
        String later = unique("order");
        publish("order_placed", cloudEvent(unique("event"), "order_placed", "{\"orderId\":\"" + later + "\",\"userId\":\"u\",\"orderTotal\":1}"));
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/api/orders/" + later).statusCode() == 200);
        assertThat(get("/api/orders/" + other).statusCode()).isEqualTo(404);
    }

    private long count(String sql, String value) {
        return jdbc.sql(sql).param(value).query(Long.class).single();
    }
}
