package io.shopevents.event;

import java.util.Arrays;
import java.util.Optional;

/**
 * The service's own events about its subscriptions, published to shop.events like any other event
 * so that a route can take them (a mail to the operator, a chat webhook). Nobody else publishes
 * them: the REST edge refuses their types, and custom types cannot begin with {@code shop.}.
 * Their data's JSON Schemas are schemas/&lt;type&gt;.json on the classpath.
 */
public enum OperationalEventType {
    SUBSCRIPTION_PAUSED("shop.subscription.paused", "when a subscription stops taking events: paused by an operator,"
            + " or by itself after its downstream failed long enough"),
    SUBSCRIPTION_RESUMED("shop.subscription.resumed", "when a paused subscription takes events again"
            + " (POST /api/subscriptions/{name}/resume)"),
    DELIVERY_EXHAUSTED("shop.delivery.exhausted", "when a subscription gives up on an event: dead-lettered after its"
            + " steps failed on every attempt, or were refused for good"),
    DELIVERY_RECOVERED("shop.delivery.recovered", "when an event a subscription had given up on is applied after all,"
            + " replayed from the dead letters");

    /** What every operational type begins with, and no other type may. */
    public static final String PREFIX = "shop.";

    private final String eventName;
    private final String when;

    OperationalEventType(String eventName, String when) {
        this.eventName = eventName;
        this.when = when;
    }

    /** When the service publishes one, in words. */
    public String when() {
        return when;
    }

    /** The CloudEvents type and the AMQP routing key. */
    public String eventName() {
        return eventName;
    }

    public static Optional<OperationalEventType> byName(String eventName) {
        return Arrays.stream(values()).filter(t -> t.eventName.equals(eventName)).findFirst();
    }

    /** Whether the type is one of these (or claims to be: begins with shop.). */
    public static boolean isOperational(String type) {
        return type != null && type.startsWith(PREFIX);
    }
}
