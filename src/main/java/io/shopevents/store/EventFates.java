package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;

/**
 * What its caller heard about an event, decided once per source + id: ACCEPTED (202) or WITHDRAWN
 * (503). The primary key makes the two exclusive, so of two calls carrying the same CloudEvent the
 * first decision wins and the other follows it. Used for events whose id the producer chose (a
 * resend is the same event); withdrawals of any event are recorded here too, for replays.
 */
@Repository
public class EventFates {

    private static final String ACCEPTED = "ACCEPTED";
    private static final String WITHDRAWN = "WITHDRAWN";

    private final JdbcClient jdbc;

    public EventFates(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** After the broker's confirm: true if the event stays accepted, false if a call withdrew it first. */
    public boolean accept(String source, String eventId) {
        return insert(source, eventId, ACCEPTED) || !WITHDRAWN.equals(fate(source, eventId));
    }

    /** Before a withdrawal: true if the event may be withdrawn, false if a call accepted it first. */
    public boolean withdraw(String source, String eventId) {
        return insert(source, eventId, WITHDRAWN) || WITHDRAWN.equals(fate(source, eventId));
    }

    /** Before a resend is published: forgets an earlier withdrawal. True if there was one. */
    public boolean reopen(String source, String eventId) {
        return jdbc.sql("DELETE FROM event_fates WHERE event_source = :source AND event_id = :eventId AND fate = 'WITHDRAWN'")
                .param("source", source)
                .param("eventId", eventId)
                .update() > 0;
    }

    public boolean isWithdrawn(String source, String eventId) {
        return WITHDRAWN.equals(fate(source, eventId));
    }

    private boolean insert(String source, String eventId, String fate) {
        return jdbc.sql("""
                        INSERT INTO event_fates (event_source, event_id, fate, decided_at)
                        VALUES (:source, :eventId, :fate, :now)
                        ON CONFLICT DO NOTHING""")
                .param("source", source)
                .param("eventId", eventId)
                .param("fate", fate)
                .param("now", Timestamp.from(Instant.now()))
                .update() == 1;
    }

    private String fate(String source, String eventId) {
        return jdbc.sql("SELECT fate FROM event_fates WHERE event_source = :source AND event_id = :eventId")
                .param("source", source)
                .param("eventId", eventId)
                .query(String.class)
                .optional()
                .orElse(null);
    }
}
