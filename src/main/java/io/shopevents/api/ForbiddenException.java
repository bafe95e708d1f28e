package io.shopevents.api;

/** The API key lacks the scope a call (or an event of a batch) needs: answered with 403. */
public class ForbiddenException extends RuntimeException {

    public ForbiddenException(String message) {
        super(message, null, false, false);
    }
}
