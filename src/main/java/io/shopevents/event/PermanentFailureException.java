package io.shopevents.event;

import org.springframework.dao.DataIntegrityViolationException;

/**
 * A failure that no retry can mend (a body that breaks its schema, an address the mail server
 * refuses): the message is dead-lettered on the first attempt. Any other exception is taken as
 * transient and retried on the broker. Route files throw its subclass
 * {@code io.shopevents.subscription.PermanentFailureException}, the name integrators know.
 */
public class PermanentFailureException extends RuntimeException {

    public PermanentFailureException(String message) {
        super(message);
    }

    public PermanentFailureException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether this failure, or one it was caused by, is permanent: ours, or the database refusing
     * the event's data (a value too long, a constraint broken), which no retry changes. Such a
     * failure says nothing about the downstream being down, so it never opens the circuit breaker.
     */
    public static boolean isPermanent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PermanentFailureException || t instanceof DataIntegrityViolationException
                    || t instanceof java.sql.SQLDataException || t instanceof java.sql.SQLIntegrityConstraintViolationException
                    // a jq expression that fails on this event fails on every attempt
                    || t.getClass().getName().startsWith("net.thisptr.jackson.jq.exception.")
                    || t instanceof StackOverflowError) {
                return true;
            }
        }
        return false;
    }
}
