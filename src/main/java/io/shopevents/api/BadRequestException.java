package io.shopevents.api;

/** A request parameter that makes no sense: answered with 400. */
public class BadRequestException extends RuntimeException {

    public BadRequestException(String message) {
        super(message);
    }
}
