package io.shopevents.rabbit;

import io.shopevents.event.CloudEvent;

/**
 * One event on its way to the exchange, and whether the broker confirmed it: {@link EventPublisher}
 * publishes a list of them in order on one channel and fills in each one's outcome.
 */
public final class Publication {

    private final CloudEvent event;
    private volatile boolean confirmed;
    private volatile String failure;

    public Publication(CloudEvent event) {
        this.event = event;
    }

    public CloudEvent event() {
        return event;
    }

    /** The broker has taken the event for good (publisher confirm). */
    public boolean confirmed() {
        return confirmed;
    }

    /** Why it was not confirmed (a nack, a timeout, the connection lost); null when confirmed. */
    public String failure() {
        return failure;
    }

    void confirmed(boolean confirmed, String failure) {
        this.confirmed = confirmed;
        this.failure = confirmed ? null : failure;
    }
}
