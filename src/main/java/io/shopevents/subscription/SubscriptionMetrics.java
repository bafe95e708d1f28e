package io.shopevents.subscription;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A subscription's meters, registered while it runs (Prometheus names):
 * shop_subscription_consumers, shop_subscription_messages (waiting in its queue),
 * shop_subscription_retrying (waiting in a retry queue), shop_subscription_held (ordered: held for their key),
 * shop_subscription_oldest_message_age_seconds, shop_subscription_circuit_open (1 while it is
 * not taking messages), shop_subscription_paused (1 while it is paused), shop_subscription_events_total{outcome=applied|skipped|filtered|held|retried|parked|returned|dead_lettered}
 * and shop_subscription_batch_size (messages applied in one transaction).
 */
final class SubscriptionMetrics {

    private final SubscriptionConsumer consumer;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
    private volatile DistributionSummary batches;

    SubscriptionMetrics(SubscriptionConsumer consumer, MeterRegistry registry) {
        this.consumer = consumer;
        this.registry = registry;
    }

    void register() {
        String name = consumer.subscription().name();
        SubscriptionState state = consumer.component().state;
        meters.add(Gauge.builder("shop.subscription.consumers", consumer, SubscriptionConsumer::runningConsumers)
                .description("Consumers taking messages from the subscription's queue")
                .tag("subscription", name).register(registry));
        meters.add(Gauge.builder("shop.subscription.messages", consumer, c -> state.queueDepth(c.subscription()))
                .description("Messages waiting in the subscription's queue")
                .tag("subscription", name).register(registry));
        meters.add(Gauge.builder("shop.subscription.retrying", consumer, SubscriptionConsumer::retryingCount)
                .description("Events waiting in a retry queue for the subscription (sent there by this instance)")
                .tag("subscription", name).register(registry));
        if (consumer.subscription().ordered()) {
            meters.add(Gauge.builder("shop.subscription.held", consumer, SubscriptionConsumer::heldCount)
                    .description("Events held unacknowledged for their key: behind one waiting for its next attempt, or it")
                    .tag("subscription", name).register(registry));
        }
        meters.add(Gauge.builder("shop.subscription.oldest.message.age", consumer, SubscriptionMetrics::oldestAge)
                .description("At most how long the oldest waiting message has waited (0 when none waits)")
                .baseUnit("seconds").tag("subscription", name).register(registry));
        meters.add(Gauge.builder("shop.subscription.circuit.open", consumer, c -> "OPEN".equals(c.circuitState()) ? 1 : 0)
                .description("1 while the subscription's circuit breaker keeps it from taking messages")
                .tag("subscription", name).register(registry));
        meters.add(Gauge.builder("shop.subscription.paused", consumer, c -> c.pausedAs() == null ? 0 : 1)
                .description("1 while the subscription is paused (by an operator, or by itself): its events wait in its queue")
                .tag("subscription", name).register(registry));
        batches = DistributionSummary.builder("shop.subscription.batch.size")
                .description("Messages a consumer applied in one database transaction and acknowledged together")
                .tag("subscription", name).register(registry);
        meters.add(batches);
    }

    void batch(int size) {
        DistributionSummary summary = batches;
        if (summary != null) {
            summary.record(size);
        }
    }

    void unregister() {
        meters.forEach(registry::remove);
        meters.clear();
        outcomes.values().forEach(registry::remove);
        outcomes.clear();
    }

    void outcome(String outcome) {
        outcomes.computeIfAbsent(outcome, o -> Counter.builder("shop.subscription.events")
                .description("Events a subscription took, by what became of them")
                .tag("subscription", consumer.subscription().name())
                .tag("outcome", o)
                .register(registry)).increment();
    }

    static double oldestAge(SubscriptionConsumer consumer) {
        Duration age = consumer.component().state.oldestWaiting(consumer);
        return age == null ? Double.NaN : age.toMillis() / 1000.0;
    }

    static Duration since(Instant instant) {
        return instant == null ? null : Duration.between(instant, Instant.now());
    }
}
