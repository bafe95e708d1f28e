package io.shopevents.api;

/** Nothing was accepted, and a retry later may be (503 with Retry-After). */
public class NotAcceptedException extends RuntimeException {

    public NotAcceptedException(String message) {
        super(message, null, false, false);
    }
}
