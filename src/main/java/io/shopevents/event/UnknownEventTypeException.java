package io.shopevents.event;

/** An event type this service does not take there (the REST edge answers 404). */
public class UnknownEventTypeException extends RuntimeException {

    public UnknownEventTypeException(String message) {
        super(message, null, false, false);
    }
}
