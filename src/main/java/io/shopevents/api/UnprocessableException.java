package io.shopevents.api;

/** A request that is well-formed but cannot be done as asked (a reused Idempotency-Key): answered with 422. */
public class UnprocessableException extends RuntimeException {

    public UnprocessableException(String message) {
        super(message);
    }
}
