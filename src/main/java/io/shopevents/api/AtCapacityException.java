package io.shopevents.api;

/** Refused for want of capacity (a batch whose events do not fit now): 503 with Retry-After: 1. */
public class AtCapacityException extends NotAcceptedException {

    public AtCapacityException(String message) {
        super(message);
    }
}
