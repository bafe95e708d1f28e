package io.shopevents.api;

/** A body in a form the call does not take: answered with 415. */
public class UnsupportedMediaTypeException extends RuntimeException {

    public UnsupportedMediaTypeException(String message) {
        super(message);
    }
}
