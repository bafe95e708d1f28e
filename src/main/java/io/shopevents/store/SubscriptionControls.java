package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What every instance must agree on about a subscription (table subscription_controls): whether it
 * is paused, and the streak of failed attempts that pauses it by itself. A pause or a resume is a
 * conditional update, so of two instances deciding at once one does it, and only that one tells.
 */
@Repository
public class SubscriptionControls {

    /** A subscription's row; pausedAt null: it is not paused. */
    public record Control(String subscription, Instant pausedAt, String pausedBy, String reason, int failures,
                          Instant failingSince, String lastFailure) {

        public boolean paused() {
            return pausedAt != null;
        }
    }

    private static final int TEXT = 2000;

    private final JdbcClient jdbc;

    public SubscriptionControls(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The subscription's row, made if it has none yet (not paused, no failures). */
    public Control ensure(String subscription) {
        jdbc.sql("INSERT INTO subscription_controls (subscription, failures) VALUES (:s, 0) ON CONFLICT DO NOTHING")
                .param("s", subscription).update();
        return find(subscription).orElseThrow();
    }

    public Optional<Control> find(String subscription) {
        return jdbc.sql("SELECT * FROM subscription_controls WHERE subscription = :s")
                .param("s", subscription).query(SubscriptionControls::control).optional();
    }

    public List<Control> all() {
        return jdbc.sql("SELECT * FROM subscription_controls").query(SubscriptionControls::control).list();
    }

    /** Pauses it unless it is paused already; true if this call paused it. */
    public boolean pause(String subscription, Instant at, String by, String reason) {
        ensure(subscription);
        return jdbc.sql("""
                        UPDATE subscription_controls SET paused_at = :at, paused_by = :by, pause_reason = :reason
                        WHERE subscription = :s AND paused_at IS NULL""")
                .param("s", subscription).param("at", Timestamp.from(at)).param("by", by).param("reason", cut(reason))
                .update() == 1;
    }

    /** Resumes it if it is paused, its streak of failures forgotten; the row as it was while paused, if it was. */
    public Optional<Control> resume(String subscription) {
        Optional<Control> before = jdbc.sql("SELECT * FROM subscription_controls WHERE subscription = :s FOR UPDATE")
                .param("s", subscription).query(SubscriptionControls::control).optional();
        if (before.isEmpty() || !before.get().paused()) {
            return Optional.empty();
        }
        jdbc.sql("""
                        UPDATE subscription_controls SET paused_at = NULL, paused_by = NULL, pause_reason = NULL,
                            failures = 0, failing_since = NULL, last_failure = NULL
                        WHERE subscription = :s AND paused_at IS NOT NULL""")
                .param("s", subscription).update();
        return before;
    }

    /** Adds failed attempts to its streak (the first of them at {@code since}); the row after. */
    public Control failed(String subscription, int attempts, Instant since, String lastFailure) {
        ensure(subscription);
        jdbc.sql("""
                        UPDATE subscription_controls SET failures = failures + :n,
                            failing_since = COALESCE(failing_since, :since), last_failure = :last
                        WHERE subscription = :s""")
                .param("s", subscription).param("n", attempts).param("since", Timestamp.from(since))
                .param("last", cut(lastFailure)).update();
        return find(subscription).orElseThrow();
    }

    /** An attempt went through: the streak is over. */
    public void succeeded(String subscription) {
        jdbc.sql("""
                        UPDATE subscription_controls SET failures = 0, failing_since = NULL, last_failure = NULL
                        WHERE subscription = :s AND failures > 0""")
                .param("s", subscription).update();
    }

    private static Control control(ResultSet rs, int row) throws SQLException {
        return new Control(rs.getString("subscription"), instant(rs.getTimestamp("paused_at")), rs.getString("paused_by"),
                rs.getString("pause_reason"), rs.getInt("failures"), instant(rs.getTimestamp("failing_since")),
                rs.getString("last_failure"));
    }

    static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    static String cut(String text) {
        return text == null || text.length() <= TEXT ? text : text.substring(0, TEXT - 3) + "...";
    }
}
