package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;

/**
 * Makes every subscription idempotent on the event (CloudEvents' source + id). The subscription
 * claims the event in the same database transaction as its effect: if the effect fails, neither
 * is kept and a redelivery tries again; once both are committed, a redelivery finds the claim and
 * changes nothing. A concurrent duplicate waits on the row lock of the first and then finds it.
 *
 * <p>The same rows let the REST edge withdraw an event whose publication the broker did not
 * confirm: it claims the event for every subscription first, so a copy that reached a queue anyway
 * is skipped, and a 503 truly means "not applied".
 */
@Repository
public class ProcessedEvents {

    /** What {@link #claim} found. */
    public enum Claim {
        CLAIMED("is new"),
        ALREADY_APPLIED("was already applied"),
        WITHDRAWN("was withdrawn: the broker never confirmed it to its publisher");

        private final String wording;

        Claim(String wording) {
            this.wording = wording;
        }

        @Override
        public String toString() {
            return wording;
        }
    }

    private final JdbcClient jdbc;
    private final TransactionTemplate transaction;

    public ProcessedEvents(JdbcClient jdbc, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /**
     * Claims the event for the subscription, inside the caller's transaction: CLAIMED means the
     * caller applies it now; anything else means it must change nothing.
     */
    public Claim claim(String subscription, String source, String eventId) {
        if (insert(subscription, source, eventId, false)) {
            return Claim.CLAIMED;
        }
        return isWithdrawn(subscription, source, eventId) ? Claim.WITHDRAWN : Claim.ALREADY_APPLIED;
    }

    /**
     * Makes sure none of these subscriptions will ever apply this event; false if one already has,
     * in which case the event took effect and nothing is withdrawn. Waits for a subscription
     * applying it right now.
     */
    public boolean withdraw(String source, String eventId, Collection<String> subscriptions) {
        return Boolean.TRUE.equals(transaction.execute(status -> {
            for (String subscription : subscriptions) {
                if (!insert(subscription, source, eventId, true)) {
                    status.setRollbackOnly();
                    return false;
                }
            }
            return true;
        }));
    }

    private boolean insert(String subscription, String source, String eventId, boolean withdrawn) {
        return jdbc.sql("""
                        INSERT INTO processed_events (subscription, event_source, event_id, processed_at, withdrawn)
                        VALUES (:subscription, :source, :eventId, :now, :withdrawn)
                        ON CONFLICT DO NOTHING""")
                .param("subscription", subscription)
                .param("source", source)
                .param("eventId", eventId)
                .param("now", Timestamp.from(Instant.now()))
                .param("withdrawn", withdrawn)
                .update() == 1;
    }

    private boolean isWithdrawn(String subscription, String source, String eventId) {
        return jdbc.sql("""
                        SELECT withdrawn FROM processed_events
                        WHERE subscription = :subscription AND event_source = :source AND event_id = :eventId""")
                .param("subscription", subscription)
                .param("source", source)
                .param("eventId", eventId)
                .query(Boolean.class)
                .optional()
                .orElse(false);
    }
}
