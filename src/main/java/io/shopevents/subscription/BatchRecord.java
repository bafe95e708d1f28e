package io.shopevents.subscription;

import io.shopevents.store.DeliveryLog;
import io.shopevents.store.SubscriptionControls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a batch leaves behind besides its effects, written in its transaction: each webhook call
 * in the delivery log, the attempts in the failure streak (which may pause the subscription), a
 * recovered event's operational event. Then, after the commit, what follows from them. A failure
 * here never fails the batch; a batch with nothing of the sort writes nothing.
 */
final class BatchRecord {

    private static final Logger log = LoggerFactory.getLogger(BatchRecord.class);

    private final SubscriptionConsumer consumer;
    private final SubscriptionComponent component;
    private final Subscription subscription;
    private SubscriptionControls.Control paused;
    private boolean wroteEvents;

    BatchRecord(SubscriptionConsumer consumer, SubscriptionComponent component) {
        this.consumer = consumer;
        this.component = component;
        this.subscription = consumer.subscription();
    }

    /** In the batch's transaction, after its events' savepoints: what they did, kept even if their effects were undone. */
    void record(List<Delivery> batch) {
        List<DeliveryLog.Attempt> calls = new ArrayList<>();
        List<FailureStreak.Attempt> attempts = new ArrayList<>();
        List<Delivery> recovered = new ArrayList<>();
        for (Delivery d : batch) {
            if (component.properties.isDeliveryLog()) {
                for (DeliveryCall call : d.calls) {
                    calls.add(new DeliveryLog.Attempt(0, subscription.name(), d.event.source(), d.event.id(), d.event.type(),
                            d.attempt, call.at(), call.webhook(), call.status(), call.outcome().name(),
                            (int) Math.min(Integer.MAX_VALUE, call.durationMs()), call.response()));
                }
            }
            if (d.outcome == Delivery.Outcome.APPLIED) {
                attempts.add(new FailureStreak.Attempt(true, d.attemptedAt, null));
                if (d.replays > 0) {
                    recovered.add(d);
                }
            } else if (d.outcome == Delivery.Outcome.FAILED) {
                attempts.add(new FailureStreak.Attempt(false, d.attemptedAt, SubscriptionListener.describe(d.failure)));
            }
        }
        if (calls.isEmpty() && recovered.isEmpty() && !consumer.streak().writes(attempts)) {
            return; // the common batch of a subscription without webhooks: nothing to write
        }
        try {
            component.savepoint.executeWithoutResult(status -> {
                component.deliveryLog.record(calls);
                recovered.forEach(d -> component.operationalEvents.recovered(subscription.name(), d.event, d.replays));
                paused = consumer.streak().record(attempts);
                if (paused != null) {
                    component.operationalEvents.paused(paused);
                }
            });
            wroteEvents = paused != null || !recovered.isEmpty();
        } catch (RuntimeException e) {
            log.warn("subscription {}: the delivery log and failure streak of a batch could not be written ({})",
                    subscription.name(), SubscriptionListener.describe(e));
            paused = null;
            wroteEvents = false;
        }
    }

    /** After the commit: a pause takes effect here at once, a downstream's Retry-After for every instance. */
    void committed(List<Delivery> batch) {
        if (paused != null) {
            log.warn("subscription {} paused itself: {}; its events wait in its queue until POST"
                    + " /api/subscriptions/{}/resume", subscription.name(), paused.reason(), subscription.name());
            consumer.paused(paused);
        }
        if (wroteEvents) {
            component.operationalEvents.publishSoon();
        }
        batch.stream().map(d -> d.outcome == Delivery.Outcome.FAILED ? RetryLaterException.askedFor(d.failure) : null)
                .filter(Objects::nonNull).filter(asked -> !asked.isZero())
                .max(Duration::compareTo).ifPresent(asked -> {
                    try {
                        consumer.pace().share(asked);
                    } catch (RuntimeException e) {
                        log.warn("subscription {}: cannot share its downstream's Retry-After with other instances ({})",
                                subscription.name(), e.getMessage());
                    }
                });
    }
}
