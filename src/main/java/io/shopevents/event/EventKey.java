package io.shopevents.event;

/**
 * What identifies an event (CloudEvents): its source and id, as a pair. Two producers may use the
 * same id; and no joining of the two into one string can make two events one.
 */
public record EventKey(String source, String id) {

    public static EventKey of(CloudEvent event) {
        return new EventKey(event.source(), event.id());
    }
}
