package io.shopevents.subscription;

import io.shopevents.store.SubscriptionControls;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** GET /api/subscriptions: the subscriptions this instance runs (and those removed while it runs), as they are now. */
@Component("subscriptionsView")
public class SubscriptionsView {

    @Schema(description = "A subscription: the event types it takes, its queue and how it is doing.")
    public record SubscriptionInfo(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "welcome-mail") String name,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<String> types,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "shop.events.welcome-mail") String queue,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"TAKING", "PAUSED", "WAITING", "STOPPED", "RETIRED"},
                    description = "TAKING messages; PAUSED by an operator or by itself (see paused), its events wait in its"
                            + " queue until it is resumed; WAITING until waitingUntil for its rate limit or its downstream's"
                            + " Retry-After; STOPPED: its circuit is open or no consumer runs; RETIRED: its route file was"
                            + " removed, its queue stays and fills") String state,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int consumers,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "-1 when the broker cannot say") long messagesWaiting,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int messagesRetrying,
            @Schema(nullable = true) Double oldestWaitingSeconds,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"CLOSED", "OPEN", "HALF_OPEN"}) String circuit,
            @Schema(nullable = true, description = "Deliveries at most, across every instance, such as 10/s or 600/min", example = "10/s") String rateLimit,
            @Schema(nullable = true, description = "While it is PAUSED: since when, by whom and why") Paused paused,
            @Schema(nullable = true, description = "While attempts at its downstream fail: how many in a row, since when, the last one's reason") Failing failing,
            @Schema(nullable = true, description = "While it is WAITING: until when (RFC 3339)") String waitingUntil) {
    }

    @Schema(description = "Why a subscription is paused.")
    public record Paused(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "RFC 3339") String at,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"operator", "automatic"}) String by,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String reason) {
    }

    @Schema(description = "Attempts at a subscription's downstream that failed in a row (what pauses it by itself).")
    public record Failing(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int inARow,
            @Schema(nullable = true, description = "RFC 3339") String since,
            @Schema(nullable = true) String lastFailure) {
    }

    @Schema(description = "The subscriptions, by name.")
    public record Subscriptions(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<SubscriptionInfo> subscriptions) {
    }

    private final SubscriptionRegistry registry;
    private final SubscriptionState state;
    private final SubscriptionControls controls;

    public SubscriptionsView(SubscriptionRegistry registry, SubscriptionState state, SubscriptionControls controls) {
        this.registry = registry;
        this.state = state;
        this.controls = controls;
    }

    public Subscriptions list() {
        Map<String, SubscriptionControls.Control> rows = rows();
        List<SubscriptionInfo> all = new ArrayList<>();
        for (SubscriptionConsumer consumer : registry.consumers()) {
            all.add(info(consumer, rows.get(consumer.subscription().name())));
        }
        registry.retired().forEach((name, subscription) -> all.add(new SubscriptionInfo(name,
                subscription.types().stream().sorted().toList(), subscription.queue(), "RETIRED", 0,
                state.queueDepth(subscription), 0, null, "CLOSED", text(subscription.rateLimit()), null, null, null)));
        all.sort((a, b) -> a.name().compareTo(b.name()));
        return new Subscriptions(all);
    }

    /** One running subscription, as the list shows it; empty if none by that name runs here. */
    public Optional<SubscriptionInfo> one(String name) {
        return registry.find(name).map(consumer -> info(consumer, controls.find(name).orElse(null)));
    }

    private SubscriptionInfo info(SubscriptionConsumer consumer, SubscriptionControls.Control row) {
        Subscription subscription = consumer.subscription();
        Duration oldest = state.oldestWaiting(consumer);
        SubscriptionControls.Control paused = consumer.pausedAs();
        Instant waiting = consumer.waitingUntil();
        boolean taking = consumer.runningConsumers() > 0 && !"OPEN".equals(consumer.circuitState());
        String status = paused != null ? "PAUSED" : waiting != null ? "WAITING" : taking ? "TAKING" : "STOPPED";
        return new SubscriptionInfo(subscription.name(), subscription.types().stream().sorted().toList(), subscription.queue(),
                status, consumer.runningConsumers(), state.queueDepth(subscription),
                consumer.retryingCount(), oldest == null ? null : oldest.toMillis() / 1000.0, consumer.circuitState(),
                text(subscription.rateLimit()),
                paused == null ? null : new Paused(paused.pausedAt().toString(), paused.pausedBy(), paused.reason()),
                row == null || row.failures() == 0 ? null : new Failing(row.failures(),
                        row.failingSince() == null ? null : row.failingSince().toString(), row.lastFailure()),
                waiting == null ? null : waiting.toString());
    }

    private Map<String, SubscriptionControls.Control> rows() {
        Map<String, SubscriptionControls.Control> rows = new HashMap<>();
        try {
            controls.all().forEach(row -> rows.put(row.subscription(), row));
        } catch (DataAccessException e) {
            // the database is away: what each instance knows of its pauses still shows
        }
        return rows;
    }

    private static String text(RateLimit limit) {
        return limit == null ? null : limit.toString();
    }
}
