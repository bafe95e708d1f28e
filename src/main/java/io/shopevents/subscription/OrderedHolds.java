package io.shopevents.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import io.shopevents.event.CloudEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Per-key order for a subscription with {@code orderBy}: the keys whose first event waits for its
 * next attempt, and the later events of each such key, in the order they came. Held messages stay
 * unacknowledged on the broker (its single active consumer keeps them), so a consumer that stops
 * or dies hands them all back, in order, to the next one. Other keys go on. Used under its own
 * lock by the listener's thread and by the thread that runs the next attempts.
 */
final class OrderedHolds {

    /** subject, source, type, an extension attribute's name, or data.&lt;field&gt;[.&lt;field&gt;...]. */
    static final Pattern ORDER_BY = Pattern.compile("[a-z0-9]{1,20}|data(\\.[A-Za-z0-9_-]+)+");
    /** Attributes every event has a value of its own for (or none at all): no key orders by them. */
    private static final java.util.Set<String> NOT_KEYS = java.util.Set.of("id", "time", "specversion",
            "datacontenttype", "data", "traceparent");

    /** What is wrong with orderBy; null when it names a key. */
    static String problem(String orderBy) {
        if (!ORDER_BY.matcher(orderBy).matches()) {
            return "orderBy is the key events are ordered by: subject, source, type, an extension attribute's name"
                    + " (partitionkey), or data.<field>, not '" + orderBy + "'";
        }
        if (NOT_KEYS.contains(orderBy)) {
            return "orderBy: " + orderBy + " orders nothing (every event has its own, or it is not one value);"
                    + " use subject, source, type, an extension attribute, or data.<field>";
        }
        return null;
    }

    /** A key's waiting events, the first the one to attempt next. */
    private static final class Hold {
        final Deque<Delivery> waiting = new ArrayDeque<>();
        ScheduledFuture<?> next;
    }

    private final String orderBy;
    private final Duration limit;
    private final ScheduledThreadPoolExecutor attempts;
    private final Map<String, Hold> holds = new HashMap<>();
    private Channel channel;

    OrderedHolds(String subscription, String orderBy, Duration limit) {
        this.orderBy = orderBy;
        this.limit = limit;
        this.attempts = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, subscription + "-ordered");
            thread.setDaemon(true);
            return thread;
        });
        // stopping: attempts not yet due are dropped (what is held goes back to the queue, in order)
        attempts.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** The event's key; null if it has none (it is then applied as it comes, held by nothing). */
    String keyOf(CloudEvent event) {
        switch (orderBy) {
            case "subject" -> {
                return event.subject();
            }
            case "source" -> {
                return event.source();
            }
            case "type" -> {
                return event.type();
            }
            default -> {
            }
        }
        if (orderBy.startsWith("data.")) {
            JsonNode value = event.data() == null ? null : event.data().at("/" + orderBy.substring(5).replace('.', '/'));
            return value == null || value.isMissingNode() || value.isNull() || value.isContainerNode() ? null : value.asText();
        }
        Object extension = event.extensions().get(orderBy);
        return extension == null ? null : extension.toString();
    }

    /**
     * The channel the messages came on. A new one means the old one closed: what it held went back
     * to the queue and comes again in order, so nothing held before is held any more.
     */
    void useChannel(Channel current) {
        if (current != channel) {
            holds.values().forEach(hold -> cancel(hold));
            holds.clear();
            channel = current;
        }
    }

    /** The channel the held messages are to be acknowledged on, if it is still open. */
    Channel openChannel() {
        return channel != null && channel.isOpen() ? channel : null;
    }

    boolean isHeld(String key) {
        return key != null && holds.containsKey(key);
    }

    /**
     * The event's next attempt in {@code delay}: it is its key's first waiting event (a key not yet
     * held is held from now), or it waits behind the first.
     */
    void hold(String key, Delivery delivery, Duration delay, Consumer<String> attempt) {
        Hold hold = holds.computeIfAbsent(key, k -> new Hold());
        if (hold.waiting.isEmpty()) {
            hold.waiting.addFirst(delivery);
        } else if (hold.waiting.peekFirst() != delivery) {
            hold.waiting.addLast(delivery);
            return;
        }
        cancel(hold);
        try {
            hold.next = attempts.schedule(() -> attempt.accept(key), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping: it stays unacknowledged, and goes back to the queue with the channel
        }
    }

    /**
     * Whether the event may wait {@code delay} more and still be settled within the limit of when it
     * was received (the broker takes back a message left unacknowledged too long).
     */
    boolean mayWait(Delivery delivery, Duration delay) {
        return Duration.between(delivery.receivedAt, Instant.now().plus(delay)).compareTo(limit) <= 0;
    }

    Duration limit() {
        return limit;
    }

    Delivery first(String key) {
        Hold hold = holds.get(key);
        return hold == null ? null : hold.waiting.peekFirst();
    }

    /** The key's first event is settled: the next waits no more; the key is free when none waits. */
    void settled(String key) {
        Hold hold = holds.get(key);
        if (hold != null) {
            hold.waiting.pollFirst();
            if (hold.waiting.isEmpty()) {
                cancel(hold);
                holds.remove(key);
            }
        }
    }

    /** Every held key's next attempt now (an operator resumed the subscription). */
    void attemptAllNow(Consumer<String> attempt) {
        for (Map.Entry<String, Hold> entry : holds.entrySet()) {
            cancel(entry.getValue());
            try {
                entry.getValue().next = attempts.schedule(() -> attempt.accept(entry.getKey()), 0, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return; // stopping
            }
        }
    }

    /** Events held now, the first of each key included. */
    int size() {
        return holds.values().stream().mapToInt(h -> h.waiting.size()).sum();
    }

    /** No attempt starts any more; one in progress may finish (its webhook call is not cut off). */
    void close() {
        attempts.shutdown();
        try {
            attempts.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void cancel(Hold hold) {
        if (hold.next != null) {
            hold.next.cancel(false);
        }
    }
}
