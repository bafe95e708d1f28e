package io.shopevents.subscription;

import io.shopevents.store.SubscriptionControls;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A subscription's attempts at its downstream, counted for every instance in its control row: the
 * failures in a row since the last attempt that went through, and since when. When they reach the
 * subscription's limits (pauseAfterFailures in a row, or pauseAfter of nothing but failures) it
 * pauses itself. Only batches with a failure, or the first success after some, write.
 */
final class FailureStreak {

    /** One attempt: went through, or failed (when, and what it said). */
    record Attempt(boolean succeeded, Instant at, String failure) {
    }

    private final Subscription subscription;
    private final SubscriptionControls controls;
    /** Whether the row may hold failures (this instance's, or another's the control poll saw). */
    private volatile boolean mayBeFailing = true;

    FailureStreak(Subscription subscription, SubscriptionControls controls) {
        this.subscription = subscription;
        this.controls = controls;
    }

    /** Whether {@link #record} of these attempts writes anything: a failure, or a success while the row may hold failures. */
    boolean writes(List<Attempt> attempts) {
        return attempts.stream().anyMatch(a -> !a.succeeded()) || (mayBeFailing && !attempts.isEmpty());
    }

    /** In the batch's transaction: its attempts, in order; the row if they paused the subscription. */
    SubscriptionControls.Control record(List<Attempt> attempts) {
        int lastSuccess = -1;
        for (int i = 0; i < attempts.size(); i++) {
            if (attempts.get(i).succeeded()) {
                lastSuccess = i;
            }
        }
        if (lastSuccess >= 0 && mayBeFailing) {
            controls.succeeded(subscription.name());
            mayBeFailing = false;
        }
        List<Attempt> failures = attempts.subList(lastSuccess + 1, attempts.size());
        if (failures.isEmpty()) {
            return null;
        }
        mayBeFailing = true;
        Attempt last = failures.get(failures.size() - 1);
        SubscriptionControls.Control row = controls.failed(subscription.name(), failures.size(), failures.get(0).at(), last.failure());
        String why = reason(row, last.at());
        if (row.paused() || why == null || !controls.pause(subscription.name(), last.at(), "automatic", why)) {
            return null;
        }
        return controls.find(subscription.name()).orElseThrow();
    }

    /** Why the streak pauses the subscription now; null if it does not. */
    private String reason(SubscriptionControls.Control row, Instant now) {
        if (subscription.pauseAfterFailures() > 0 && row.failures() >= subscription.pauseAfterFailures()) {
            return row.failures() + " attempts in a row failed (pauseAfterFailures " + subscription.pauseAfterFailures()
                    + "); the last: " + row.lastFailure();
        }
        Duration failing = row.failingSince() == null ? Duration.ZERO : Duration.between(row.failingSince(), now);
        if (!subscription.pauseAfter().isZero() && failing.compareTo(subscription.pauseAfter()) >= 0) {
            return "every attempt failed for " + words(failing) + " (pauseAfter " + words(subscription.pauseAfter())
                    + ", " + row.failures() + " attempts); the last: " + row.lastFailure();
        }
        return null;
    }

    /** The control poll saw the row. */
    void seen(SubscriptionControls.Control row) {
        if (row != null && row.failures() > 0) {
            mayBeFailing = true;
        }
    }

    static String words(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds < 120) {
            return seconds + " s";
        }
        return seconds < 7200 ? seconds / 60 + " min" : seconds / 3600 + " h";
    }
}
