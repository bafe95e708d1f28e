package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes each processor idempotent on the event id. The id is recorded in the same database
 * transaction as the processor's effect: if the effect fails, neither is kept and a redelivery
 * tries again; once both are committed, a redelivery finds the id and changes nothing.
 * A concurrent duplicate waits on the row lock of the first and then finds the id.
 *
 * <p>The same rows let the REST edge withdraw an event whose publication the broker did not
 * confirm: it claims the id for every processor first, so a copy that reached the queue anyway
 * is skipped, and a 503 truly means "not applied".
 */
@Repository
public class ProcessedEvents {

    /** What {@link #once} did with an event. */
    public enum Outcome {
        APPLIED("was applied"),
        ALREADY_APPLIED("was already applied"),
        WITHDRAWN("was withdrawn: the broker never confirmed it to its publisher");

        private final String wording;

        Outcome(String wording) {
            this.wording = wording;
        }

        @Override
        public String toString() {
            return wording;
        }
    }

    private final JdbcClient jdbc;
    private final TransactionTemplate transaction;
    private final Set<String> processors = ConcurrentHashMap.newKeySet();

    public ProcessedEvents(JdbcClient jdbc, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /** Each processor names itself once, at start, so that a withdrawal covers it. */
    public void register(String processor) {
        processors.add(processor);
    }

    /** Runs the effect unless this processor has already applied this event, or it was withdrawn. */
    public Outcome once(String processor, String eventId, Runnable effect) {
        return transaction.execute(status -> {
            if (claim(processor, eventId, false)) {
                effect.run();
                return Outcome.APPLIED;
            }
            return isWithdrawn(processor, eventId) ? Outcome.WITHDRAWN : Outcome.ALREADY_APPLIED;
        });
    }

    /**
     * Makes sure no processor will ever apply this event; false if one already has, in which case
     * the event took effect and nothing is withdrawn. Waits for a processor applying it right now.
     */
    public boolean withdraw(String eventId) {
        return Boolean.TRUE.equals(transaction.execute(status -> {
            for (String processor : processors) {
                if (!claim(processor, eventId, true)) {
                    status.setRollbackOnly();
                    return false;
                }
            }
            return true;
        }));
    }

    private boolean claim(String processor, String eventId, boolean withdrawn) {
        return jdbc.sql("""
                        INSERT INTO processed_events (processor, event_id, processed_at, withdrawn)
                        VALUES (:processor, :eventId, :now, :withdrawn)
                        ON CONFLICT DO NOTHING""")
                .param("processor", processor)
                .param("eventId", eventId)
                .param("now", Timestamp.from(Instant.now()))
                .param("withdrawn", withdrawn)
                .update() == 1;
    }

    private boolean isWithdrawn(String processor, String eventId) {
        return jdbc.sql("SELECT withdrawn FROM processed_events WHERE processor = :processor AND event_id = :eventId")
                .param("processor", processor)
                .param("eventId", eventId)
                .query(Boolean.class)
                .optional()
                .orElse(false);
    }
}
