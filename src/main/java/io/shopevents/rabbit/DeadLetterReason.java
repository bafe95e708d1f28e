package io.shopevents.rabbit;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.springframework.stereotype.Component;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Says on a dead letter why it is there, in headers an operator sees in the management UI:
 * the exception, the route it failed in, how many times it was tried, and when.
 */
@Component("deadLetterReason")
public class DeadLetterReason implements Processor {

    public static final String EXCEPTION_CLASS = "x-exception-class";
    public static final String EXCEPTION_MESSAGE = "x-exception-message";
    public static final String FAILED_ROUTE = "x-failed-route";
    public static final String FAILED_ENDPOINT = "x-failed-endpoint";
    public static final String ATTEMPTS = "x-attempts";
    public static final String FAILED_AT = "x-failed-at";

    /** Longer exception messages are cut: a header is for reading, the log has the rest. */
    private static final int MAX_MESSAGE_LENGTH = 1000;

    /** Exchange property counting redeliveries: it survives useOriginalMessage, unlike Camel's header. */
    static final String REDELIVERIES = "shopEventsRedeliveries";

    /** The error handler's onRedelivery hook: notes each redelivery on the exchange. */
    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(REDELIVERIES, exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class));
    }

    public void describe(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Message message = exchange.getMessage();
        if (failure != null) {
            String text = String.valueOf(failure.getMessage());
            message.setHeader(EXCEPTION_CLASS, failure.getClass().getName());
            message.setHeader(EXCEPTION_MESSAGE,
                    text.length() > MAX_MESSAGE_LENGTH ? text.substring(0, MAX_MESSAGE_LENGTH) + "..." : text);
        }
        message.setHeader(FAILED_ROUTE, exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class));
        // the endpoint it was being sent to, such as a custom event's route (direct:event-<type>)
        String endpoint = exchange.getProperty(Exchange.FAILURE_ENDPOINT, String.class);
        if (endpoint != null) {
            message.setHeader(FAILED_ENDPOINT, endpoint);
        }
        int redeliveries = exchange.getProperty(REDELIVERIES, 0, Integer.class);
        message.setHeader(ATTEMPTS, redeliveries + 1);
        message.setHeader(FAILED_AT, OffsetDateTime.now(ZoneOffset.UTC).toString());
    }
}
