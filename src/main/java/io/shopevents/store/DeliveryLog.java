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
 * {@link Bookkeeping} after shop.retention.delivery-log.
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
                INSERT INTO delivery_attempts (subscription, event_source, event_id, event_type, attempt, attempted_at,
                    webhook, status, outcome, duration_ms, response)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", attempts, attempts.size(), (ps, a) -> {
            ps.setString(1, a.subscription());
            ps.setString(2, a.eventSource());
            ps.setString(3, a.eventId());
            ps.setString(4, a.eventType());
            ps.setInt(5, a.attempt());
            ps.setTimestamp(6, Timestamp.from(a.attemptedAt()));
            ps.setString(7, a.webhook());
            if (a.status() == null) {
                ps.setNull(8, Types.INTEGER);
            } else {
                ps.setInt(8, a.status());
            }
            ps.setString(9, a.outcome());
            ps.setInt(10, a.durationMs());
            ps.setString(11, a.response() == null || a.response().length() <= RESPONSE ? a.response()
                    : a.response().substring(0, RESPONSE - 3) + "...");
        });
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
