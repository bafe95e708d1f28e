package io.shopevents.store;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * When each subscription's next delivery may start, shared by every instance (table
 * subscription_paces), by the database's clock so that instances on several machines keep one
 * schedule. A rate-limited subscription books its slots here, one interval apart, under the row's
 * lock (the generic cell rate algorithm with no burst: one timestamp per subscription); a
 * downstream's Retry-After moves the next slot later for every instance.
 */
@Repository
public class SubscriptionPaces {

    /** What {@link #book} found: the delay until the first slot, and whether the slots are now booked. */
    public record Booking(Duration delay, boolean booked) {
    }

    private record Row(Instant nextSlot, Instant now) {
    }

    private final JdbcClient jdbc;
    /** Each booking commits at once, before (and apart from) the batch it is for. */
    private final TransactionTemplate own;

    public SubscriptionPaces(JdbcClient jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.own = new TransactionTemplate(transactions);
        this.own.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /**
     * Books {@code slots} slots {@code interval} apart, the first at the next free one, unless that
     * is more than {@code longest} away: then nothing is booked and the wait says how long.
     */
    public Booking book(String subscription, int slots, Duration interval, Duration longest) {
        return own.execute(status -> {
            Row row = lock(subscription);
            Instant first = row.nextSlot().isAfter(row.now()) ? row.nextSlot() : row.now();
            Duration wait = Duration.between(row.now(), first);
            if (wait.compareTo(longest) > 0) {
                return new Booking(wait, false);
            }
            update(subscription, first.plus(interval.multipliedBy(slots)));
            return new Booking(wait, true);
        });
    }

    /** No delivery of the subscription starts, on any instance, for this long from now (a Retry-After). */
    public void notBefore(String subscription, Duration wait) {
        own.executeWithoutResult(status -> {
            Row row = lock(subscription);
            Instant until = row.now().plus(wait);
            if (until.isAfter(row.nextSlot())) {
                update(subscription, until);
            }
        });
    }

    /**
     * An operator's resume: a next slot more than {@code beyond} ahead (a downstream's Retry-After;
     * a rate limit books no further than that) becomes now, for every instance.
     */
    public void endWait(String subscription, Duration beyond) {
        own.executeWithoutResult(status -> {
            Row row = lock(subscription);
            if (row.nextSlot().isAfter(row.now().plus(beyond))) {
                update(subscription, row.now());
            }
        });
    }

    /** For each subscription whose next slot lies ahead, how far ahead it is. */
    public Map<String, Duration> ahead() {
        Map<String, Duration> ahead = new HashMap<>();
        jdbc.sql("SELECT subscription, next_slot, CURRENT_TIMESTAMP AS now FROM subscription_paces WHERE next_slot > CURRENT_TIMESTAMP")
                .query(rs -> {
                    ahead.put(rs.getString("subscription"), Duration.between(
                            rs.getObject("now", OffsetDateTime.class).toInstant(),
                            rs.getObject("next_slot", OffsetDateTime.class).toInstant()));
                });
        return ahead;
    }

    private Row lock(String subscription) {
        jdbc.sql("INSERT INTO subscription_paces (subscription, next_slot) VALUES (:s, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING")
                .param("s", subscription).update();
        return jdbc.sql("SELECT next_slot, CURRENT_TIMESTAMP AS now FROM subscription_paces WHERE subscription = :s FOR UPDATE")
                .param("s", subscription)
                .query((rs, n) -> new Row(rs.getObject("next_slot", OffsetDateTime.class).toInstant(),
                        rs.getObject("now", OffsetDateTime.class).toInstant()))
                .single();
    }

    private void update(String subscription, Instant nextSlot) {
        jdbc.sql("UPDATE subscription_paces SET next_slot = :next WHERE subscription = :s")
                .param("s", subscription).param("next", nextSlot.atOffset(ZoneOffset.UTC)).update();
    }
}
