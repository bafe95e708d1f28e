package io.shopevents.subscription;

import io.shopevents.rabbit.RabbitTopology;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A consumer of some event types with a queue of its own, shop.events.&lt;name&gt;, bound to
 * shop.events once per type. Declared by a route file: {@code from: subscription:<name>?types=...}.
 * Each consumer applies what it has received in batches of up to {@code batchSize} events (never
 * more than its {@code prefetch}), waiting at most {@code batchWait} for a batch to fill. With
 * {@code orderBy} (a key: subject, an extension, data.&lt;field&gt;), its queue has a single active
 * consumer across all instances, and events of one key are applied in the order they came. With
 * {@code rateLimit}, its deliveries keep that pace across all instances; it pauses itself after
 * {@code pauseAfter} of failures (or {@code pauseAfterFailures} in a row; 0: no such limit).
 */
public record Subscription(String name, Set<String> types, int consumers, int prefetch, int maxAttempts,
                           int batchSize, Duration batchWait, String orderBy, List<Duration> retryDelays,
                           RateLimit rateLimit, Duration pauseAfter, int pauseAfterFailures) {

    /** Safe in a queue name, a metric tag and a header; no dots, so it cannot look like a retry queue. */
    public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    /** The exchange property that holds the event as it came, whatever the steps made of the body. */
    public static final String EVENT_PROPERTY = "shopEvent";
    /** Names of queues the fixed topology uses. */
    static final Set<String> RESERVED = Set.of("dead", "dlx", "unrouted", "retry", "archive", "dispatch", "operational");

    /** The exchange property where the steps list the calls they made for the event (the delivery log). */
    public static final String CALLS_PROPERTY = "shopDeliveryCalls";

    public Subscription {
        types = Set.copyOf(types);
        retryDelays = List.copyOf(retryDelays);
    }

    /** Whether events of one key are applied in the order the broker received them (orderBy). */
    public boolean ordered() {
        return orderBy != null;
    }

    public String queue() {
        return queueOf(name);
    }

    public static String queueOf(String name) {
        return RabbitTopology.EXCHANGE + "." + name;
    }

    public boolean takes(String type) {
        return types.contains(type);
    }

    /** Its retry schedule: the waits before the 1st, 2nd, ... retry, and the attempts in all. */
    SubscriptionProperties.Retry retry() {
        return new SubscriptionProperties.Retry(retryDelays, maxAttempts);
    }
}
