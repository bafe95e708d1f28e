package io.shopevents.subscription;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.stereotype.Component;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * /actuator/health → components.subscriptions: each subscription's consumers, messages waiting,
 * the age of the oldest, and its circuit. DOWN while a subscription is not taking messages (its
 * circuit is open, or none of its consumers runs). Not part of readiness: the API still takes
 * events, which wait in that subscription's queue.
 */
@Component("subscriptions")
public class SubscriptionsHealthIndicator extends AbstractHealthIndicator {

    private final SubscriptionRegistry registry;
    private final SubscriptionState state;

    public SubscriptionsHealthIndicator(SubscriptionRegistry registry, SubscriptionState state) {
        this.registry = registry;
        this.state = state;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean allTaking = true;
        for (SubscriptionConsumer consumer : registry.consumers()) {
            builder.withDetail(consumer.subscription().name(), state.details(consumer));
            // HALF_OPEN takes messages again (the next one tells whether the downstream is back)
            allTaking &= consumer.runningConsumers() > 0 && !"OPEN".equals(consumer.circuitState());
        }
        // route files removed while the service runs: nobody takes from their queues, which keep filling
        Map<String, Object> retired = new LinkedHashMap<>();
        registry.retired().forEach((name, subscription) -> retired.put(name, Map.of("queue", subscription.queue(),
                "messagesWaiting", state.queueDepth(subscription))));
        if (!retired.isEmpty()) {
            builder.withDetail("retired", retired);
        }
        if (allTaking) {
            builder.up();
        } else {
            builder.down();
        }
    }
}
