package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

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
    private final EventFates fates;

    public ProcessedEvents(JdbcClient jdbc, EventFates fates) {
        this.jdbc = jdbc;
        this.fates = fates;
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
     * In the caller's transaction: makes sure none of these subscriptions will ever apply this event,
     * and records it as withdrawn for any subscription a replay from the archive may feed later.
     * False if it took effect: a subscription applied it, or a call carrying the same event was
     * accepted (202); the caller must then roll back. Rows of an earlier withdrawal are no
     * obstacle. Waits for a subscription applying it right now (the row lock of its claim).
     */
    public boolean withdraw(String source, String eventId, Collection<String> subscriptions) {
        if (!fates.withdraw(source, eventId)) {
            return false;
        }
        for (String subscription : subscriptions) {
            if (!insert(subscription, source, eventId, true) && !isWithdrawn(subscription, source, eventId)) {
                return false;
            }
        }
        return true;
    }

    /**
     * In the caller's transaction, before a producer's resend of an event is published: an earlier
     * withdrawal of it is forgotten, so that the resend (or the earlier copy) is applied once.
     */
    public void reopen(String source, String eventId) {
        if (fates.reopen(source, eventId)) {
            jdbc.sql("DELETE FROM processed_events WHERE event_source = :source AND event_id = :eventId AND withdrawn = TRUE")
                    .param("source", source)
                    .param("eventId", eventId)
                    .update();
        }
    }

    /** Whether the event was withdrawn: its publisher heard 503, and nothing may apply it. */
    public boolean isWithdrawn(String source, String eventId) {
        return fates.isWithdrawn(source, eventId);
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
