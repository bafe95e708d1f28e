package io.shopevents.subscription;

import io.shopevents.store.SubscriptionControls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What starts and stops a subscription's consumers: its circuit breaker, a pause (by an operator,
 * or by itself after its downstream failed long enough; on this instance or another) and a wait
 * for its pace longer than a consumer holds messages. The container is started and stopped on a
 * thread of its own, never on a listener's (stopping waits for the listeners to finish).
 */
final class ConsumerSwitch {

    private static final Logger log = LoggerFactory.getLogger(ConsumerSwitch.class);

    /** Why the subscription takes no events now: paused (until null), or waiting on the broker until a time. */
    record Gate(String why, Instant until) {
    }

    private final Subscription subscription;
    private final SimpleMessageListenerContainer container;
    private final SubscriptionCircuit circuit;
    /** A wait at most this long goes on with the consumer running, its messages held in place (ordered). */
    private final Duration waitsInPlace;
    private final ScheduledExecutorService actions;
    private final AtomicBoolean handingBack = new AtomicBoolean();
    /** Its control row while it is paused (on any instance); null while it is not. */
    private volatile SubscriptionControls.Control pause;
    /** Its messages wait on the broker until then (a wait longer than shop.subscriptions.longest-hold). */
    private volatile Instant waitingUntil;
    /** When it was set (System.nanoTime()). */
    private long waitSetAt = System.nanoTime();
    /** When this instance last paused or resumed it (System.nanoTime()): a control poll read before that is out of date. */
    private volatile long changedAt = System.nanoTime();
    private volatile boolean stopped;

    ConsumerSwitch(Subscription subscription, SimpleMessageListenerContainer container, SubscriptionCircuit circuit,
                   SubscriptionControls.Control control, Duration waitsInPlace) {
        this.subscription = subscription;
        this.container = container;
        this.circuit = circuit;
        this.waitsInPlace = waitsInPlace;
        this.pause = control != null && control.paused() ? control : null;
        this.actions = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, subscription.name() + "-control"));
    }

    /** At start: the container runs unless the subscription is paused. */
    void start() {
        if (shouldRun()) {
            container.start();
        } else {
            log.warn("subscription {} is paused ({} at {}: {}); its events wait in its queue until POST"
                    + " /api/subscriptions/{}/resume", subscription.name(), pause.pausedBy(), pause.pausedAt(),
                    pause.reason(), subscription.name());
        }
    }

    /** For good: no more starts. */
    void stop() {
        stopped = true;
        actions.shutdown();
    }

    /** Null while it may deliver; else why not. */
    Gate gate() {
        SubscriptionControls.Control paused = pause;
        if (paused != null) {
            return new Gate("paused", null);
        }
        Instant until = waitingUntil;
        return until != null && Instant.now().isBefore(until) ? new Gate("waiting", until) : null;
    }

    SubscriptionControls.Control pausedAs() {
        return pause;
    }

    private boolean shouldRun() {
        if (stopped) {
            return false;
        }
        Gate gate = gate();
        // ordered: an open circuit, or a wait short enough, holds the events in place (a return to
        // the queue counts towards its delivery limit); a pause, or a longer wait, hands them back
        boolean waitsInPlace = gate != null && gate.until() != null
                && Duration.between(Instant.now(), gate.until()).compareTo(this.waitsInPlace) < 0;
        return (gate == null || waitsInPlace) && (subscription.ordered() || !circuit.isOpen());
    }

    /** Starts or stops the container as the circuit, a pause and a wait say. */
    Future<?> reconsider() {
        try {
            return actions.submit(() -> {
                boolean run = shouldRun();
                if (run && !container.isRunning()) {
                    container.start();
                } else if (!run && !stopped && container.isRunning()) {
                    // what the consumers hold reaches the listener, which sends it back (SubscriptionListener)
                    container.stop();
                }
            });
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null); // stopping
        }
    }

    /**
     * An ordered subscription left messages unacknowledged that it will not take now: its consumer
     * stops, so that the broker has them back in order (and starts again if it may).
     */
    void handBack() {
        if (!handingBack.compareAndSet(false, true)) {
            return;
        }
        try {
            actions.execute(() -> {
                handingBack.set(false);
                if (stopped) {
                    return;
                }
                if (container.isRunning()) {
                    container.stop();
                }
                if (shouldRun()) {
                    container.start();
                }
            });
        } catch (RejectedExecutionException e) {
            handingBack.set(false);
        }
    }

    /** Paused by itself (here) or told by the control poll: it stops taking events; they wait in its queue. */
    void paused(SubscriptionControls.Control row) {
        pause = row;
        changedAt = System.nanoTime();
        // nothing is attempted while paused: its circuit rests, closed, instead of trying a message now and then
        circuit.reset();
        reconsider();
    }

    /** Paused by hand, on this instance: its consumers have stopped when the answer says so. */
    void pausedByHand(SubscriptionControls.Control row) {
        pause = row;
        changedAt = System.nanoTime();
        circuit.reset();
        await(reconsider());
    }

    /** Resumed by hand, on this instance: it takes events again, its downstream tried at once. */
    void resumed() {
        pause = null;
        waitingUntil = null;
        changedAt = System.nanoTime();
        circuit.reset();
        await(reconsider());
    }

    /** Its next slot is further away than it may hold messages for: they go back, and it takes none until then. */
    void waitUntil(Instant until) {
        synchronized (this) {
            if (waitingUntil == null || until.isAfter(waitingUntil)) {
                waitingUntil = until;
                waitSetAt = System.nanoTime();
            }
        }
        log.info("subscription {} takes no events until {} (its rate limit or its downstream's Retry-After); they"
                + " wait in its queue", subscription.name(), until);
        reconsider();
        try {
            actions.schedule(this::reconsider, Math.max(1, Duration.between(Instant.now(), until).toMillis() + 1),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /**
     * What the control poll read at {@code readAt} (System.nanoTime()): its wait lasts at most this
     * long now (shorter when an operator ended it on another instance), unless it began since.
     * True if that ended it early.
     */
    boolean waitAtMost(Duration left, long readAt) {
        Instant until = Instant.now().plus(left);
        boolean shorter;
        synchronized (this) {
            shorter = waitingUntil != null && readAt - waitSetAt > 0 && waitingUntil.isAfter(until.plusSeconds(1));
            if (shorter) {
                waitingUntil = left.isZero() ? null : until;
            }
        }
        if (shorter) {
            log.info("subscription {}: its wait ended early (resumed on another instance)", subscription.name());
            reconsider();
        }
        return shorter;
    }

    /** What the control poll read at {@code readAt} (System.nanoTime()): whether the subscription is paused. */
    void controlled(SubscriptionControls.Control row, long readAt) {
        if (readAt - changedAt < 0) {
            return; // this instance paused or resumed it since: the next poll reads that
        }
        boolean paused = row != null && row.paused();
        if (paused && pause == null) {
            log.warn("subscription {} paused ({} at {}: {}); its events wait in its queue", subscription.name(),
                    row.pausedBy(), row.pausedAt(), row.reason());
            pause = row;
            circuit.reset();
            reconsider();
        } else if (!paused && pause != null) {
            log.info("subscription {} resumed", subscription.name());
            pause = null;
            circuit.reset();
            reconsider();
        }
    }

    private void await(Future<?> change) {
        try {
            change.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("subscription {}: its consumers are slow to stop or start ({})", subscription.name(), e.toString());
        }
    }
}
