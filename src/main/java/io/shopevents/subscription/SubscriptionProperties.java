package io.shopevents.subscription;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.List;

/**
 * Defaults for every subscription (shop.subscriptions.* in application.yaml); a subscription's
 * route file may override consumers, prefetch, batchSize, batchWait, maxAttempts, the retry
 * delays (retryDelays) and when it pauses itself (pauseAfter, pauseAfterFailures) for itself.
 */
@ConfigurationProperties("shop.subscriptions")
public class SubscriptionProperties {

    /** Threads consuming each subscription's queue. */
    private int consumers = 2;
    /** Unacknowledged messages per consumer: two batches, so the next one is there when one is committed. */
    private int prefetch = 200;
    /** Events applied in one database transaction and acknowledged together (at most the prefetch). */
    private int batchSize = 100;
    /** How long a consumer waits for more events to fill a batch before it applies what it has. */
    private Duration batchWait = Duration.ofMillis(5);
    /** Deliveries after which the broker dead-letters a message by itself (a consumer that crashes on it). */
    private int deliveryLimit = 20;
    private final Retry retry = new Retry();
    private final CircuitBreaker circuitBreaker = new CircuitBreaker();
    private final Pause pause = new Pause();
    /** How often each instance reads what every instance must agree on: pauses, and the next slot of each subscription. */
    private Duration controlPoll = Duration.ofSeconds(1);
    /**
     * The longest a consumer holds messages while it waits for its subscription's next slot (a rate
     * limit, a downstream's Retry-After); a longer wait sends them back to the broker to wait there.
     */
    private Duration longestHold = Duration.ofSeconds(30);
    /** Whether every attempt of every webhook call is kept in the delivery log (shop.retention.delivery-log). */
    private boolean deliveryLog = true;

    public static class Retry {
        /** Waits before the 1st, 2nd, ... retry; the last one repeats. Each is a queue shop.events.retry.<delay>. */
        private List<Duration> delays = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30),
                Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofMinutes(30));
        /** Attempts in all, the first included, before a transiently failing event is dead-lettered. */
        private int maxAttempts = 12;

        public Retry() {
        }

        /** A subscription's own schedule (retryDelays), with the default attempts. */
        Retry(List<Duration> delays, int maxAttempts) {
            setDelays(delays);
            this.maxAttempts = maxAttempts;
        }

        public List<Duration> getDelays() {
            return delays;
        }

        public void setDelays(List<Duration> delays) {
            String problem = problem(delays);
            if (problem != null) {
                throw new IllegalArgumentException("shop.subscriptions.retry.delays: " + problem);
            }
            this.delays = List.copyOf(delays);
        }

        /** What is wrong with a retry schedule; null when nothing is. */
        static String problem(List<Duration> delays) {
            if (delays == null || delays.isEmpty() || delays.stream().anyMatch(d -> d.toMillis() < 1 || d.toMillis() > Integer.MAX_VALUE)) {
                return "one or more durations between 1 ms and 24 days";
            }
            return null;
        }

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        /** The wait after the given failed attempt (1-based). */
        public Duration delayAfter(int failedAttempt) {
            return delays.get(Math.min(Math.max(failedAttempt, 1), delays.size()) - 1);
        }
    }

    public static class CircuitBreaker {
        /** Transient failures in a row after which a subscription stops taking messages. */
        private int failureThreshold = 3;
        /** How long it stops before it tries one message again. */
        private Duration openFor = Duration.ofSeconds(10);

        public int getFailureThreshold() {
            return failureThreshold;
        }

        public void setFailureThreshold(int failureThreshold) {
            this.failureThreshold = failureThreshold;
        }

        public Duration getOpenFor() {
            return openFor;
        }

        public void setOpenFor(Duration openFor) {
            this.openFor = openFor;
        }
    }

    /**
     * When a subscription pauses itself: its steps failed (any failure but a refused message) on
     * every attempt for {@code after}, or {@code afterFailures} attempts in a row (0: only the
     * time counts). Its events then wait in its queue until an operator resumes it. The default
     * time is below what the default retry schedule takes to use up an event's attempts (about
     * 3.2 hours: eleven waits), so a downstream that is down pauses its subscription before anything is
     * dead-lettered; a subscription route may set its own (pauseAfter, pauseAfterFailures).
     */
    public static class Pause {
        private Duration after = Duration.ofHours(1);
        private int afterFailures = 0;

        public Duration getAfter() {
            return after;
        }

        public void setAfter(Duration after) {
            this.after = after;
        }

        public int getAfterFailures() {
            return afterFailures;
        }

        public void setAfterFailures(int afterFailures) {
            this.afterFailures = afterFailures;
        }
    }

    public Pause getPause() {
        return pause;
    }

    public Duration getControlPoll() {
        return controlPoll;
    }

    public void setControlPoll(Duration controlPoll) {
        this.controlPoll = controlPoll;
    }

    public Duration getLongestHold() {
        return longestHold;
    }

    public void setLongestHold(Duration longestHold) {
        this.longestHold = longestHold;
    }

    public boolean isDeliveryLog() {
        return deliveryLog;
    }

    public void setDeliveryLog(boolean deliveryLog) {
        this.deliveryLog = deliveryLog;
    }

    /**
     * How long a subscription with orderBy holds a key behind an event that keeps failing before it
     * dead-letters that event and lets the key's later events go on: below RabbitMQ's
     * consumer_timeout (30 min by default), which would take back what is held unacknowledged.
     */
    private Duration orderedHoldLimit = Duration.ofMinutes(20);

    public Duration getOrderedHoldLimit() {
        return orderedHoldLimit;
    }

    public void setOrderedHoldLimit(Duration orderedHoldLimit) {
        this.orderedHoldLimit = orderedHoldLimit;
    }

    public int getConsumers() {
        return consumers;
    }

    public void setConsumers(int consumers) {
        this.consumers = consumers;
    }

    public int getPrefetch() {
        return prefetch;
    }

    public void setPrefetch(int prefetch) {
        this.prefetch = prefetch;
    }

    public int getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    public Duration getBatchWait() {
        return batchWait;
    }

    public void setBatchWait(Duration batchWait) {
        this.batchWait = batchWait;
    }

    public int getDeliveryLimit() {
        return deliveryLimit;
    }

    public void setDeliveryLimit(int deliveryLimit) {
        this.deliveryLimit = deliveryLimit;
    }

    public Retry getRetry() {
        return retry;
    }

    public CircuitBreaker getCircuitBreaker() {
        return circuitBreaker;
    }
}
