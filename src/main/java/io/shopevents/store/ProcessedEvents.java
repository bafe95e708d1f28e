package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;

/**
 * Makes each processor idempotent on the event id. The id is recorded in the same database
 * transaction as the processor's effect: if the effect fails, neither is kept and a redelivery
 * tries again; once both are committed, a redelivery finds the id and changes nothing.
 * A concurrent duplicate waits on the row lock of the first and then finds the id.
 */
@Repository
public class ProcessedEvents {

    private final JdbcClient jdbc;
    private final TransactionTemplate transaction;

    public ProcessedEvents(JdbcClient jdbc, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /** Runs the effect unless this processor has already applied this event; true when it ran. */
    public boolean once(String processor, String eventId, Runnable effect) {
        Boolean applied = transaction.execute(status -> {
            int claimed = jdbc.sql("""
                            INSERT INTO processed_events (processor, event_id, processed_at)
                            VALUES (:processor, :eventId, :now)
                            ON CONFLICT DO NOTHING""")
                    .param("processor", processor)
                    .param("eventId", eventId)
                    .param("now", Timestamp.from(Instant.now()))
                    .update();
            if (claimed == 0) {
                return false;
            }
            effect.run();
            return true;
        });
        return Boolean.TRUE.equals(applied);
    }

    /** Whether this processor has applied this event. */
    public boolean contains(String processor, String eventId) {
        return jdbc.sql("SELECT COUNT(*) FROM processed_events WHERE processor = :processor AND event_id = :eventId")
                .param("processor", processor)
                .param("eventId", eventId)
                .query(Long.class)
                .single() > 0;
    }
}
