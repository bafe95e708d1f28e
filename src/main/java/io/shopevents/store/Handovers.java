package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * Sends that cannot be taken back (a mail), recorded while they are in the server's hands. The
 * record is committed on its own before the send and deleted in the transaction that claims the
 * event, so it outlives only a send whose outcome was never recorded: the process stopped between
 * the two. The subscription's own transaction cannot tell that; it just rolls back and the event
 * comes again.
 */
@Repository
public class Handovers {

    private final JdbcClient jdbc;
    private final TransactionTemplate own;

    public Handovers(JdbcClient jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.own = new TransactionTemplate(transactions);
        this.own.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /** Commits the record of a hand-over starting now; if one was left by an earlier attempt, when it started. */
    public Optional<Instant> begin(String purpose, String source, String eventId, int replays) {
        return own.execute(status -> {
            int inserted = jdbc.sql("""
                            INSERT INTO handovers (purpose, event_source, event_id, replays, started_at)
                            VALUES (:purpose, :source, :eventId, :replays, :now)
                            ON CONFLICT DO NOTHING""")
                    .param("purpose", purpose).param("source", source).param("eventId", eventId).param("replays", replays)
                    .param("now", Timestamp.from(Instant.now()))
                    .update();
            if (inserted == 1) {
                return Optional.<Instant>empty();
            }
            return jdbc.sql("""
                            SELECT started_at FROM handovers
                            WHERE purpose = :purpose AND event_source = :source AND event_id = :eventId AND replays = :replays""")
                    .param("purpose", purpose).param("source", source).param("eventId", eventId).param("replays", replays)
                    .query(Timestamp.class).optional().map(Timestamp::toInstant);
        });
    }

    /** In the caller's transaction (the claim's): the send's outcome is known and recorded with it. */
    public void done(String purpose, String source, String eventId, int replays) {
        delete(purpose, source, eventId, replays);
    }

    /** On its own: the send surely did not happen (refused, unreachable), whatever the caller's transaction does. */
    public void notSent(String purpose, String source, String eventId, int replays) {
        own.executeWithoutResult(status -> delete(purpose, source, eventId, replays));
    }

    private void delete(String purpose, String source, String eventId, int replays) {
        jdbc.sql("""
                        DELETE FROM handovers
                        WHERE purpose = :purpose AND event_source = :source AND event_id = :eventId AND replays = :replays""")
                .param("purpose", purpose).param("source", source).param("eventId", eventId).param("replays", replays)
                .update();
    }
}
