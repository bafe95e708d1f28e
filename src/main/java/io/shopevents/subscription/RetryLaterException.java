package io.shopevents.subscription;

import java.time.Duration;

/**
 * A transient failure whose downstream said when to come back (HTTP {@code Retry-After}): the
 * message waits at least that long in a retry queue, and never less than the subscription's own
 * back-off for the attempt.
 */
public class RetryLaterException extends RuntimeException {

    private final Duration retryAfter;

    public RetryLaterException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** The wait asked for by this failure or one it was caused by; null if none was. */
    public static Duration askedFor(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RetryLaterException later && later.retryAfter != null) {
                return later.retryAfter;
            }
        }
        return null;
    }
}
