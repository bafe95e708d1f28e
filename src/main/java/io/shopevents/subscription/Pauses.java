package io.shopevents.subscription;

import io.shopevents.store.SubscriptionControls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Pausing and resuming a subscription by hand (POST /api/subscriptions/{name}/pause, .../resume):
 * the control row changes for every instance (each follows within shop.subscriptions.control-poll,
 * this one at once), and the operational event that tells it is written in the same transaction.
 */
@Component
public class Pauses {

    private static final Logger log = LoggerFactory.getLogger(Pauses.class);
    static final String BY_OPERATOR = "operator";

    private final SubscriptionControls controls;
    private final OperationalEvents events;
    private final SubscriptionRegistry registry;
    private final TransactionTemplate transaction;

    public Pauses(SubscriptionControls controls, OperationalEvents events, SubscriptionRegistry registry,
                  TransactionTemplate transaction) {
        this.controls = controls;
        this.events = events;
        this.registry = registry;
        this.transaction = transaction;
    }

    /** Pauses it; false if it was paused already (nothing changes then, and nothing is published). */
    public boolean pause(String subscription, String reason) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        SubscriptionControls.Control paused = transaction.execute(status -> {
            if (!controls.pause(subscription, now, BY_OPERATOR, reason == null || reason.isBlank() ? "paused by an operator" : reason)) {
                return null;
            }
            SubscriptionControls.Control row = controls.find(subscription).orElseThrow();
            events.paused(row);
            return row;
        });
        if (paused == null) {
            return false;
        }
        log.warn("subscription {} paused by an operator ({}); its events wait in its queue", subscription, paused.reason());
        registry.find(subscription).ifPresent(consumer -> consumer.pausedByHand(paused));
        events.publishSoon();
        return true;
    }

    /**
     * Resumes it, and ends any wait its downstream asked for (Retry-After), on every instance: the
     * operator says go. False if it was not paused (a wait is ended all the same).
     */
    public boolean resume(String subscription) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Optional<SubscriptionControls.Control> was = transaction.execute(status -> {
            Optional<SubscriptionControls.Control> before = controls.resume(subscription);
            before.ifPresent(row -> events.resumed(row, now));
            return before;
        });
        registry.find(subscription).ifPresent(SubscriptionConsumer::resumed);
        if (was == null || was.isEmpty()) {
            return false;
        }
        log.info("subscription {} resumed (paused {} by {})", subscription, was.get().pausedAt(), was.get().pausedBy());
        events.publishSoon();
        return true;
    }

    /** Its control row as it is now (made if missing). */
    public SubscriptionControls.Control control(String subscription) {
        return controls.ensure(subscription);
    }
}
