package io.shopevents.subscription;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A subscription's circuit breaker (Resilience4j): after {@code failureThreshold} transient
 * failures in a row its downstream is taken to be down, and the subscription stops taking messages
 * for {@code openFor}; its messages wait in its queue. Then one message is tried: if it goes
 * through, the subscription takes messages again, else it waits once more. A permanent failure
 * (the downstream answered, and said no) does not count against the downstream.
 */
final class SubscriptionCircuit {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionCircuit.class);

    interface Switch {
        void pause();

        void resume();
    }

    private final CircuitBreaker breaker;
    private final Duration openFor;
    /** A reset by a pause or a resume: no line saying the downstream is back. */
    private volatile boolean resetting;

    SubscriptionCircuit(String subscription, SubscriptionProperties.CircuitBreaker settings, Switch consumers) {
        this.openFor = settings.getOpenFor();
        int threshold = Math.max(1, settings.getFailureThreshold());
        this.breaker = CircuitBreaker.of(subscription, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(threshold)
                .minimumNumberOfCalls(threshold)
                .failureRateThreshold(100)
                .waitDurationInOpenState(openFor)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(failure -> !PermanentFailureException.isPermanent(failure))
                .build());
        breaker.getEventPublisher().onStateTransition(event -> {
            switch (event.getStateTransition().getToState()) {
                case OPEN -> {
                    log.warn("subscription {} stops taking messages for {} s: its downstream failed {} times in a row;"
                            + " its messages wait in its queue", subscription, openFor.toSeconds(), threshold);
                    consumers.pause();
                }
                case HALF_OPEN -> {
                    log.info("subscription {} tries one message to see whether its downstream is back", subscription);
                    consumers.resume();
                }
                case CLOSED -> {
                    if (!resetting) {
                        log.info("subscription {} takes messages again: its downstream is back", subscription);
                    }
                }
                default -> {
                }
            }
        });
    }

    /** Whether a message may go to the downstream now; if true, {@link #succeeded} or {@link #failed} must follow. */
    boolean permits() {
        return breaker.tryAcquirePermission();
    }

    void succeeded(long nanos) {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }

    void failed(long nanos, Throwable failure) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
    }

    /**
     * An attempt in place (an ordered event tried again) failed. Retries of one event do not open
     * the circuit, so its permission goes back unused; but as the one trial of a half-open circuit
     * it tells that the downstream is still down. (Given back unreported, the trial's permission was
     * lost: the circuit stayed half-open, permitting nothing, and the subscription parked every event.)
     */
    void failedInPlace(long nanos, Throwable failure) {
        if (breaker.getState() == CircuitBreaker.State.HALF_OPEN) {
            breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
        } else {
            breaker.releasePermission();
        }
    }

    /** CLOSED, OPEN or HALF_OPEN. */
    String state() {
        return breaker.getState().name();
    }

    boolean isOpen() {
        return breaker.getState() == CircuitBreaker.State.OPEN;
    }

    Duration openFor() {
        return openFor;
    }

    /** Paused or resumed: it starts closed when the subscription takes events again (its downstream tried at once). */
    void reset() {
        if (breaker.getState() != CircuitBreaker.State.DISABLED && breaker.getState() != CircuitBreaker.State.CLOSED) {
            resetting = true;
            try {
                breaker.transitionToClosedState();
            } finally {
                resetting = false;
            }
        }
    }

    /** No more automatic transitions: the subscription has stopped. */
    void close() {
        breaker.transitionToDisabledState();
    }
}
