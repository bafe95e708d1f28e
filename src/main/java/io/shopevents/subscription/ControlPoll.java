package io.shopevents.subscription;

import io.shopevents.store.SubscriptionControls;
import io.shopevents.store.SubscriptionPaces;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Every shop.subscriptions.control-poll, each instance reads what all of them agree on, two small
 * queries: which subscriptions are paused (by an operator, or by themselves on any instance), and
 * how far ahead each one's next slot lies (a downstream's Retry-After another instance heard).
 * Each running subscription follows.
 */
@Component
public class ControlPoll {

    private static final Logger log = LoggerFactory.getLogger(ControlPoll.class);

    private final SubscriptionControls controls;
    private final SubscriptionPaces paces;
    private final SubscriptionRegistry registry;
    private volatile boolean failing;

    public ControlPoll(SubscriptionControls controls, SubscriptionPaces paces, SubscriptionRegistry registry) {
        this.controls = controls;
        this.paces = paces;
        this.registry = registry;
    }

    @Scheduled(fixedDelayString = "${shop.subscriptions.control-poll:1s}", initialDelayString = "${shop.subscriptions.control-poll:1s}")
    public void poll() {
        if (registry.names().isEmpty()) {
            return;
        }
        long readAt = System.nanoTime();
        Map<String, SubscriptionControls.Control> rows = new HashMap<>();
        Map<String, Duration> ahead;
        try {
            controls.all().forEach(row -> rows.put(row.subscription(), row));
            ahead = paces.ahead();
        } catch (DataAccessException e) {
            if (!failing) {
                log.warn("cannot read the subscriptions' pauses now ({}); each keeps what it knew", e.getMessage());
            }
            failing = true;
            return;
        }
        failing = false;
        for (SubscriptionConsumer consumer : registry.consumers()) {
            String name = consumer.subscription().name();
            try {
                consumer.controlled(rows.get(name), ahead.get(name), readAt);
            } catch (RuntimeException e) {
                // one subscription's trouble never keeps the others from following
                log.warn("subscription {}: cannot follow its control row ({})", name, e.toString());
            }
        }
    }
}
