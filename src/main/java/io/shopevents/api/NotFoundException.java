package io.shopevents.api;

/** Asked for something the store does not know: answered with 404. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }
}
