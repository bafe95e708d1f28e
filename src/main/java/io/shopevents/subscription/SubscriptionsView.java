package io.shopevents.subscription;

import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** GET /api/subscriptions: the subscriptions this instance runs (and those removed while it runs), as they are now. */
@Component("subscriptionsView")
public class SubscriptionsView {

    @Schema(description = "A subscription: the event types it takes, its queue and how it is doing.")
    public record SubscriptionInfo(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "welcome-mail") String name,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<String> types,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "shop.events.welcome-mail") String queue,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"TAKING", "STOPPED", "RETIRED"},
                    description = "TAKING messages; STOPPED: its circuit is open or no consumer runs; RETIRED: its route"
                            + " file was removed, its queue stays and fills") String state,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int consumers,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "-1 when the broker cannot say") long messagesWaiting,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int messagesRetrying,
            @Schema(nullable = true) Double oldestWaitingSeconds,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"CLOSED", "OPEN", "HALF_OPEN"}) String circuit) {
    }

    @Schema(description = "The subscriptions, by name.")
    public record Subscriptions(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<SubscriptionInfo> subscriptions) {
    }

    private final SubscriptionRegistry registry;
    private final SubscriptionState state;

    public SubscriptionsView(SubscriptionRegistry registry, SubscriptionState state) {
        this.registry = registry;
        this.state = state;
    }

    public Subscriptions list() {
        List<SubscriptionInfo> all = new ArrayList<>();
        for (SubscriptionConsumer consumer : registry.consumers()) {
            Subscription subscription = consumer.subscription();
            Duration oldest = state.oldestWaiting(consumer);
            boolean taking = consumer.runningConsumers() > 0 && !"OPEN".equals(consumer.circuitState());
            all.add(new SubscriptionInfo(subscription.name(), subscription.types().stream().sorted().toList(), subscription.queue(),
                    taking ? "TAKING" : "STOPPED", consumer.runningConsumers(), state.queueDepth(subscription),
                    consumer.retryingCount(), oldest == null ? null : oldest.toMillis() / 1000.0, consumer.circuitState()));
        }
        registry.retired().forEach((name, subscription) -> all.add(new SubscriptionInfo(name,
                subscription.types().stream().sorted().toList(), subscription.queue(), "RETIRED", 0,
                state.queueDepth(subscription), 0, null, "CLOSED")));
        all.sort((a, b) -> a.name().compareTo(b.name()));
        return new Subscriptions(all);
    }
}
