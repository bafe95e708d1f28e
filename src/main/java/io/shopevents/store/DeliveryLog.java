package io.shopevents.store;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every attempt of every webhook call of a subscription (table delivery_attempts), newest first
 * when read. Written in the transaction of the batch the attempts belong to; pruned by
 * {@link Bookkeeping} after shop.retention.delivery-log, a subscription at a time (its index).
 */
@Repository
public class DeliveryLog {

    /** One attempt of one call. status: the HTTP status, null when no answer came. */
    public record Attempt(long id, String subscription, String eventSource, String eventId, String eventType, int attempt,
                          Instant attemptedAt, String webhook, Integer status, String outcome, int durationMs,
                          String response) {
    }

    /** What to read: a subscription's attempts, optionally of one event, of one outcome or status, from a time, before a cursor. */
    public record Query(String subscription, String eventId, String outcome, Integer status, Instant from, Instant beforeTime,
                        Long beforeId, int limit) {
    }

    private static final int RESPONSE = 1000;
    /** Orders attempts of one instant: a random start per process, then counting (no two instances meet in practice). */
    private final java.util.concurrent.atomic.AtomicLong ids =
            new java.util.concurrent.atomic.AtomicLong(new java.security.SecureRandom().nextLong() & 0x7fffffff00000000L);

    private final JdbcClient jdbc;
    private final JdbcTemplate template;

    public DeliveryLog(JdbcClient jdbc, JdbcTemplate template) {
        this.jdbc = jdbc;
        this.template = template;
    }

    /** In the caller's transaction, in one round trip. */
    public void record(List<Attempt> attempts) {
        if (attempts.isEmpty()) {
            return;
        }
        template.batchUpdate("""
                INSERT INTO delivery_attempts (id, subscription, event_source, event_id, event_type, attempt, attempted_at,
                    webhook, status, outcome, duration_ms, response)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", attempts, attempts.size(), (ps, a) -> {
            ps.setLong(1, ids.incrementAndGet());
            ps.setString(2, a.subscription());
            ps.setString(3, a.eventSource());
            ps.setString(4, a.eventId());
            ps.setString(5, a.eventType());
            ps.setInt(6, a.attempt());
            ps.setTimestamp(7, Timestamp.from(a.attemptedAt()));
            ps.setString(8, a.webhook());
            if (a.status() == null) {
                ps.setNull(9, Types.INTEGER);
            } else {
                ps.setInt(9, a.status());
            }
            ps.setString(10, a.outcome());
            ps.setInt(11, a.durationMs());
            ps.setString(12, a.response() == null || a.response().length() <= RESPONSE ? a.response()
                    : a.response().substring(0, RESPONSE - 3) + "...");
        });
    }

    /** Deletes up to {@code batch} of the subscription's attempts older than the cutoff; how many went. */
    public int prune(String subscription, Instant cutoff, int batch) {
        return jdbc.sql("""
                        DELETE FROM delivery_attempts WHERE subscription = :s AND (attempted_at, id) IN (
                            SELECT attempted_at, id FROM delivery_attempts
                            WHERE subscription = :s AND attempted_at < :cutoff ORDER BY attempted_at LIMIT :batch)""")
                .param("s", subscription).param("cutoff", Timestamp.from(cutoff)).param("batch", batch)
                .update();
    }

    /** Up to {@code limit} attempts, newest first. */
    public List<Attempt> find(Query query) {
        StringBuilder sql = new StringBuilder("SELECT * FROM delivery_attempts WHERE subscription = :s");
        List<Object[]> params = new ArrayList<>();
        params.add(new Object[]{"s", query.subscription()});
        if (query.eventId() != null) {
            sql.append(" AND event_id = :eventId");
            params.add(new Object[]{"eventId", query.eventId()});
        }
        if (query.outcome() != null) {
            sql.append(" AND outcome = :outcome");
            params.add(new Object[]{"outcome", query.outcome()});
        }
        if (query.status() != null) {
            sql.append(" AND status = :status");
            params.add(new Object[]{"status", query.status()});
        }
        if (query.from() != null) {
            sql.append(" AND attempted_at >= :from");
            params.add(new Object[]{"from", Timestamp.from(query.from())});
        }
        if (query.beforeTime() != null) {
            // the cursor: after the last attempt of the page before, in (time, id) order
            sql.append(" AND (attempted_at < :beforeTime OR (attempted_at = :beforeTime AND id < :beforeId))");
            params.add(new Object[]{"beforeTime", Timestamp.from(query.beforeTime())});
            params.add(new Object[]{"beforeId", query.beforeId()});
        }
        sql.append(" ORDER BY attempted_at DESC, id DESC LIMIT :limit");
        params.add(new Object[]{"limit", query.limit()});
        JdbcClient.StatementSpec statement = jdbc.sql(sql.toString());
        for (Object[] param : params) {
            statement = statement.param((String) param[0], param[1]);
        }
        return statement.query(DeliveryLog::attempt).list();
    }

    private static Attempt attempt(ResultSet rs, int row) throws SQLException {
        int status = rs.getInt("status");
        return new Attempt(rs.getLong("id"), rs.getString("subscription"), rs.getString("event_source"), rs.getString("event_id"),
                rs.getString("event_type"), rs.getInt("attempt"), rs.getTimestamp("attempted_at").toInstant(),
                rs.getString("webhook"), rs.wasNull() ? null : status, rs.getString("outcome"), rs.getInt("duration_ms"),
                rs.getString("response"));
    }
}
