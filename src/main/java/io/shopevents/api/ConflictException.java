package io.shopevents.api;

/** The request cannot run now because another one holds what it needs: answered with 409. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
