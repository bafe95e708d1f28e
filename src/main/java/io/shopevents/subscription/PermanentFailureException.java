package io.shopevents.subscription;

/**
 * What a route's steps throw for a failure that no retry can mend: the event is dead-lettered at
 * once, with the message as its reason. In a route file:
 * {@code throwException: { exceptionType: io.shopevents.subscription.PermanentFailureException, message: ... }}.
 */
public class PermanentFailureException extends io.shopevents.event.PermanentFailureException {

    public PermanentFailureException(String message) {
        super(message);
    }

    public PermanentFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
