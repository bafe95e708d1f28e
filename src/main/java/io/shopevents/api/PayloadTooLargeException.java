package io.shopevents.api;

/** The request holds more than the call takes (a batch of over 1,000 events): answered with 413. */
public class PayloadTooLargeException extends RuntimeException {

    public PayloadTooLargeException(String message) {
        super(message);
    }
}
