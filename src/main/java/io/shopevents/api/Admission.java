package io.shopevents.api;

import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import com.netflix.concurrency.limits.limiter.AbstractLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How many calls the API works on at once. Past the limit a call is refused at once (503 with
 * Retry-After) before any work is done for it, instead of waiting in a queue a checkout cannot
 * afford. The limit adapts to the measured latency (Netflix concurrency-limits): when
 * calls take longer than they do unloaded, work is queueing somewhere (the CPU, the broker), and
 * the limit comes down; when they are fast again, it goes up (Vegas by default, Gradient2 as a
 * setting: bench/README.md compares them). A batch weighs as many calls as it
 * holds events, at most half the limit (so a large batch gets in whenever the service is no more
 * than half busy, rather than never).
 */
@Component
public class Admission {

    /** What an admitted call holds until it is answered. */
    public interface Permit {
        /** Answered: the call's latency is a sample for the limit (unless it failed for want of capacity). */
        void release(boolean overloaded);

        /** Weighs this call as that many calls in all; false (and nothing taken) when they do not fit now. */
        boolean widen(int weight);
    }

    private final WeightedLimiter limiter;
    private final Counter refused;
    /** Why no call is taken now (routes being reloaded), or null. */
    private volatile String paused;

    public Admission(MeterRegistry meters,
                     @Value("${shop.api.concurrency.initial}") int initial,
                     @Value("${shop.api.concurrency.min}") int min,
                     @Value("${shop.api.concurrency.max}") int max,
                     @Value("${shop.api.concurrency.algorithm}") String algorithm) {
        this.limiter = new WeightedLimiter(limit(algorithm, initial, min, max));
        this.refused = Counter.builder("shop.api.refused").description("Calls refused at once: the service was at capacity")
                .register(meters);
        Gauge.builder("shop.api.limit", limiter, AbstractLimiter::getLimit)
                .description("Calls the API works on at once at most, as the latency allows now").register(meters);
        Gauge.builder("shop.api.inflight", limiter, AbstractLimiter::getInflight)
                .description("Calls the API works on now (a batch counts its events)").register(meters);
    }

    /**
     * Gradient2 compares the latency now with its long-term average; Vegas with the least it has
     * seen (it estimates the queue: limit x (1 - least / now)), so a queue that stays long stays
     * visible to it. Equal min and max: a fixed limit.
     */
    static com.netflix.concurrency.limits.Limit limit(String algorithm, int initial, int min, int max) {
        if (min == max) {
            return FixedLimit.of(max);
        }
        return switch (algorithm) {
            case "gradient2" -> Gradient2Limit.newBuilder().initialLimit(initial).minLimit(min).maxConcurrency(max).build();
            case "vegas" -> new AtLeast(VegasLimit.newBuilder().initialLimit(initial).maxConcurrency(max).build(), min);
            default -> throw new IllegalArgumentException("shop.api.concurrency.algorithm is gradient2 or vegas, not '"
                    + algorithm + "'");
        };
    }

    /** Vegas has no floor of its own. */
    private record AtLeast(com.netflix.concurrency.limits.Limit limit, int min) implements com.netflix.concurrency.limits.Limit {
        @Override
        public int getLimit() {
            return Math.max(min, limit.getLimit());
        }

        @Override
        public void notifyOnChange(java.util.function.Consumer<Integer> consumer) {
            limit.notifyOnChange(value -> consumer.accept(Math.max(min, value)));
        }

        @Override
        public void onSample(long startTime, long rtt, int inflight, boolean didDrop) {
            limit.onSample(startTime, rtt, inflight, didDrop);
        }
    }

    /** Whether a call arriving now would be refused: the early, cheap check ({@link AdmissionFilter}). */
    public boolean atCapacity() {
        return paused != null || limiter.getInflight() >= limiter.getLimit();
    }

    /** What a refused call is told. */
    public String refusal() {
        String why = paused;
        return why != null ? why + "; retry in a second" : "the service is at capacity; retry in a second";
    }

    /** From now on every call is refused (503, Retry-After) with this reason, until {@link #resume()}. */
    public void pause(String why) {
        paused = why;
    }

    public void resume() {
        paused = null;
    }

    /** Waits (at most this long) until no admitted call is in flight; true if none is. */
    public boolean awaitIdle(java.time.Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (limiter.getInflight() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return limiter.getInflight() == 0;
    }

    /** Counts a call refused by the early check. */
    void refusedEarly() {
        refused.increment();
    }

    /** A permit for one call, or empty when the service is at capacity (the caller answers 503). */
    public Optional<Permit> admit() {
        Optional<Limiter.Listener> first = paused != null ? Optional.empty() : limiter.acquire(null);
        if (first.isEmpty()) {
            refused.increment();
            return Optional.empty();
        }
        return Optional.of(new CallPermit(first.get()));
    }

    private final class CallPermit implements Permit {
        private final Limiter.Listener sampled;
        /** The extra weight of a batch: held, never sampled (one call, one latency). */
        private final List<Limiter.Listener> extra = new ArrayList<>();

        CallPermit(Limiter.Listener sampled) {
            this.sampled = sampled;
        }

        @Override
        public synchronized boolean widen(int weight) {
            int wanted = Math.min(weight, Math.max(1, limiter.getLimit() / 2)) - 1 - extra.size();
            List<Limiter.Listener> taken = new ArrayList<>();
            for (int i = 0; i < wanted; i++) {
                Optional<Limiter.Listener> more = limiter.acquireExtra();
                if (more.isEmpty()) {
                    taken.forEach(Limiter.Listener::onIgnore);
                    refused.increment();
                    return false;
                }
                taken.add(more.get());
            }
            extra.addAll(taken);
            return true;
        }

        @Override
        public synchronized void release(boolean overloaded) {
            extra.forEach(Limiter.Listener::onIgnore);
            extra.clear();
            if (overloaded) {
                sampled.onDropped();
            } else {
                sampled.onSuccess();
            }
        }
    }

    /** Netflix's simple limiter, plus a way to take more of the limit for a call already admitted. */
    private static final class WeightedLimiter extends AbstractLimiter<Void> {

        WeightedLimiter(com.netflix.concurrency.limits.Limit limit) {
            super(new Builder().limit(limit).named("shop-events-api"));
        }

        @Override
        public Optional<Limiter.Listener> acquire(Void context) {
            return getInflight() >= getLimit() ? createRejectedListener() : Optional.of(createListener());
        }

        Optional<Limiter.Listener> acquireExtra() {
            return getInflight() >= getLimit() ? Optional.empty() : Optional.of(createListener());
        }

        private static final class Builder extends AbstractLimiter.Builder<Builder> {
            @Override
            protected Builder self() {
                return this;
            }
        }
    }
}
