package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The service's own events waiting to be published (table operational_events): written in the
 * transaction of what they tell, published and confirmed by the broker, then deleted. An instance
 * claims a row before publishing it; a claim older than {@code stale} (its instance died) is taken
 * over, so an event may be published twice, never lost.
 */
@Repository
public class OutgoingEvents {

    /** A row: the event as JSON. */
    public record Outgoing(String id, String type, String body) {
    }

    private final JdbcClient jdbc;

    public OutgoingEvents(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** In the caller's transaction; an event with this id written before stays as it is. */
    public void add(String id, String type, String body) {
        jdbc.sql("""
                        INSERT INTO operational_events (event_id, event_type, body, created_at)
                        VALUES (:id, :type, :body, :now) ON CONFLICT DO NOTHING""")
                .param("id", id).param("type", type).param("body", body).param("now", Timestamp.from(Instant.now()))
                .update();
    }

    /** Up to {@code limit} events nobody is publishing, oldest first, now claimed by the caller. */
    public List<Outgoing> claim(int limit, Duration stale) {
        Instant now = Instant.now();
        List<Outgoing> candidates = jdbc.sql("""
                        SELECT event_id, event_type, body FROM operational_events
                        WHERE claimed_at IS NULL OR claimed_at < :stale ORDER BY created_at LIMIT :limit""")
                .param("stale", Timestamp.from(now.minus(stale))).param("limit", limit)
                .query((rs, n) -> new Outgoing(rs.getString("event_id"), rs.getString("event_type"), rs.getString("body")))
                .list();
        return candidates.stream().filter(c -> jdbc.sql("""
                        UPDATE operational_events SET claimed_at = :now
                        WHERE event_id = :id AND (claimed_at IS NULL OR claimed_at < :stale)""")
                .param("id", c.id()).param("now", Timestamp.from(now)).param("stale", Timestamp.from(now.minus(stale)))
                .update() == 1).toList();
    }

    /** Published and confirmed. */
    public void delete(String id) {
        jdbc.sql("DELETE FROM operational_events WHERE event_id = :id").param("id", id).update();
    }

    /** Not published after all (the broker did not confirm it): another try soon, by any instance. */
    public void release(String id) {
        jdbc.sql("UPDATE operational_events SET claimed_at = NULL WHERE event_id = :id").param("id", id).update();
    }

    /** Events waiting to be published. */
    public long waiting() {
        return jdbc.sql("SELECT COUNT(*) FROM operational_events").query(Long.class).single();
    }
}
