package io.shopevents.event;

import java.util.Arrays;
import java.util.Optional;

/** The shop's event types, named as the shop names them; the name is also the routing key. */
public enum EventType {
    USER_REGISTERED("user_registered", "/users", "userId", UserRegistered.class),
    ORDER_PLACED("order_placed", "/orders", "orderId", OrderPlaced.class),
    PAYMENT_PROCESSED("payment_processed", "/payments", "paymentId", PaymentProcessed.class);

    private final String eventName;
    private final String path;
    private final String subjectField;
    private final Class<? extends Record> dataType;

    EventType(String eventName, String path, String subjectField, Class<? extends Record> dataType) {
        this.eventName = eventName;
        this.path = path;
        this.subjectField = subjectField;
        this.dataType = dataType;
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
