package io.shopevents.subscription;

/**
 * A failure that no retry can mend (a body that breaks its schema, an address the mail server
 * refuses): the message is dead-lettered on the first attempt. Any other exception is taken as
 * transient and retried on the broker. A route file can throw it too:
 * {@code throwException: { exceptionType: io.shopevents.subscription.PermanentFailureException, message: ... }}.
 */
public class PermanentFailureException extends RuntimeException {

    public PermanentFailureException(String message) {
        super(message);
    }

    public PermanentFailureException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether this failure, or one it was caused by, is permanent. */
    public static boolean isPermanent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PermanentFailureException) {
                return true;
            }
        }
        return false;
    }
}
