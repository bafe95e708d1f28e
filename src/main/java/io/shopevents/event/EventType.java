package io.shopevents.event;

import java.util.Arrays;
import java.util.Optional;

/** The shop's event types, named as the shop names them; the name is also the routing key. */
public enum EventType {
    USER_REGISTERED("user_registered", "/users", "userId", UserRegistered.class, "users:write"),
    ORDER_PLACED("order_placed", "/orders", "orderId", OrderPlaced.class, "orders:write"),
    PAYMENT_PROCESSED("payment_processed", "/payments", "paymentId", PaymentProcessed.class, "payments:write");

    /** The scope that publishes events of a custom type (POST /api/events/{type}). */
    public static final String CUSTOM_WRITE_SCOPE = "events:write";

    private final String eventName;
    private final String path;
    private final String subjectField;
    private final Class<? extends Record> dataType;
    private final String writeScope;

    EventType(String eventName, String path, String subjectField, Class<? extends Record> dataType, String writeScope) {
        this.eventName = eventName;
        this.path = path;
        this.subjectField = subjectField;
        this.dataType = dataType;
        this.writeScope = writeScope;
    }

    /** The API key scope that publishes events of this type. */
    public String writeScope() {
        return writeScope;
    }

    /** The CloudEvents {@code type} and the AMQP routing key. */
    public String eventName() {
        return eventName;
    }

    /** Where the API takes events of this type, under /api; the events' source ends with it. */
    public String path() {
        return path;
    }

    /** The data field whose value is the event's CloudEvents {@code subject}: the user's, order's or payment's id. */
    public String subjectField() {
        return subjectField;
    }

    public Class<? extends Record> dataType() {
        return dataType;
    }

    public static Optional<EventType> byName(String eventName) {
        return Arrays.stream(values()).filter(t -> t.eventName.equals(eventName)).findFirst();
    }
}
