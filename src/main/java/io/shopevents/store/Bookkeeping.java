package io.shopevents.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

/**
 * Keeps the bookkeeping bounded: the claims of applied events (processed_events) are kept for
 * shop.retention.processed-events (7 days), Idempotency-Keys for shop.idempotency.retention
 * (24 h), replay records for 7 days, the delivery log for shop.retention.delivery-log (7 days). Older rows are deleted in small batches, every minute, by
 * every instance: two instances deleting at once only find fewer rows to delete.
 *
 * <p>The window is a promise: an event redelivered within it is recognised and changes nothing;
 * one redelivered (or replayed) after it would be applied again.
 */
@Component
public class Bookkeeping {

    private static final Logger log = LoggerFactory.getLogger(Bookkeeping.class);
    private static final Duration REPLAYS = Duration.ofDays(7);

    private final JdbcClient jdbc;
    private final Duration processedEvents;
    private final Duration idempotencyKeys;
    private final Duration deliveryLogRetention;
    private final DeliveryLog deliveryLog;
    private final int batch;

    public Bookkeeping(JdbcClient jdbc, @Value("${shop.retention.processed-events}") Duration processedEvents,
                       @Value("${shop.idempotency.retention}") Duration idempotencyKeys,
                       @Value("${shop.retention.delivery-log}") Duration deliveryLogRetention,
                       @Value("${shop.retention.batch}") int batch, DeliveryLog deliveryLog) {
        this.jdbc = jdbc;
        this.deliveryLogRetention = deliveryLogRetention;
        this.deliveryLog = deliveryLog;
        this.processedEvents = processedEvents;
        this.idempotencyKeys = idempotencyKeys;
        this.batch = batch;
    }

    @Scheduled(fixedDelayString = "${shop.retention.every}", initialDelayString = "${shop.retention.every}")
    public void prune() {
        try {
            pruneNow(Instant.now());
        } catch (RuntimeException e) {
            log.warn("old bookkeeping rows could not be deleted now ({}); trying again later", e.getMessage());
        }
    }

    /** Deletes what is older than its window at this time; returns how many rows went. At most 100 batches a call. */
    public long pruneNow(Instant now) {
        long deleted = 0;
        for (int i = 0; i < 100; i++) {
            int rows = jdbc.sql("""
                            DELETE FROM processed_events WHERE (subscription, event_source, event_id) IN (
                                SELECT subscription, event_source, event_id FROM processed_events
                                WHERE processed_at < :cutoff LIMIT :batch)""")
                    .param("cutoff", Timestamp.from(now.minus(processedEvents)))
                    .param("batch", batch)
                    .update();
            rows += jdbc.sql("""
                            DELETE FROM idempotency_keys WHERE (caller, idem_key) IN (
                                SELECT caller, idem_key FROM idempotency_keys WHERE claimed_at < :cutoff LIMIT :batch)""")
                    .param("cutoff", Timestamp.from(now.minus(idempotencyKeys)))
                    .param("batch", batch)
                    .update();
            // an accepted event's fate matters as long as a resend could meet its claims; withdrawals stay for replays
            rows += jdbc.sql("""
                            DELETE FROM event_fates WHERE (event_source, event_id) IN (
                                SELECT event_source, event_id FROM event_fates
                                WHERE fate = 'ACCEPTED' AND decided_at < :cutoff LIMIT :batch)""")
                    .param("cutoff", Timestamp.from(now.minus(processedEvents)))
                    .param("batch", batch)
                    .update();
            // a hand-over left by a stop: its event was dead-lettered long since
            rows += jdbc.sql("""
                            DELETE FROM handovers WHERE (purpose, event_source, event_id, replays) IN (
                                SELECT purpose, event_source, event_id, replays FROM handovers
                                WHERE started_at < :cutoff LIMIT :batch)""")
                    .param("cutoff", Timestamp.from(now.minus(processedEvents)))
                    .param("batch", batch)
                    .update();
            rows += jdbc.sql("DELETE FROM replays WHERE id IN (SELECT id FROM replays WHERE started_at < :cutoff LIMIT :batch)")
                    .param("cutoff", Timestamp.from(now.minus(REPLAYS)))
                    .param("batch", batch)
                    .update();
            // a subscription at a time, along the log's one index; every subscription that ever ran has a control row
            for (String subscription : jdbc.sql("SELECT subscription FROM subscription_controls").query(String.class).list()) {
                rows += deliveryLog.prune(subscription, now.minus(deliveryLogRetention), batch);
            }
            deleted += rows;
            if (rows == 0) {
                break;
            }
        }
        if (deleted > 0) {
            log.info("deleted {} bookkeeping rows older than their retention window", deleted);
        }
        return deleted;
    }
}
