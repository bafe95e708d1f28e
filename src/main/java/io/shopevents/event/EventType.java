package io.shopevents.event;

import java.util.Arrays;
import java.util.Optional;

/** The shop's event types, named as the shop names them; the name is also the routing key. */
public enum EventType {
    USER_REGISTERED("user_registered", "/api/users", UserRegistered.class),
    ORDER_PLACED("order_placed", "/api/orders", OrderPlaced.class),
    PAYMENT_PROCESSED("payment_processed", "/api/payments", PaymentProcessed.class);

    private final String eventName;
    private final String source;
    private final Class<? extends Record> dataType;

    EventType(String eventName, String source, Class<? extends Record> dataType) {
        this.eventName = eventName;
        this.source = source;
        this.dataType = dataType;
    }

    /** The CloudEvents {@code type} and the AMQP routing key. */
    public String eventName() {
        return eventName;
    }

    /** The CloudEvents {@code source} of events accepted over REST. */
    public String source() {
        return source;
    }

    public Class<? extends Record> dataType() {
        return dataType;
    }

    public static Optional<EventType> byName(String eventName) {
        return Arrays.stream(values()).filter(t -> t.eventName.equals(eventName)).findFirst();
    }
}
