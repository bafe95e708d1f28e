package io.shopevents.subscription;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.stereotype.Component;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * /actuator/health → components.subscriptions: each subscription's consumers, messages waiting,
 * the age of the oldest, its circuit, and a pause. DOWN while a subscription is not taking
 * messages (its circuit is open, none of its consumers runs, or it paused itself because its
 * downstream kept failing); a pause by an operator is a decision, not a fault, and leaves it UP.
 * Not part of readiness: the API still takes events, which wait in that subscription's queue.
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
            var paused = consumer.pausedAs();
            if (paused != null) {
                allTaking &= "operator".equals(paused.pausedBy());
                continue;
            }
            if (consumer.waitingUntil() != null) {
                continue; // its rate limit, or its downstream's Retry-After: it takes messages again then
            }
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
