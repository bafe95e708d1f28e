package io.shopevents.event;

/** The answer to an accepted event: the broker has confirmed it. */
public record EventAccepted(String eventId, String type) {
}
