package io.shopevents.subscription;

import org.apache.camel.Exchange;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One call a subscription's steps made to deliver its event (a signed webhook's POST), for the
 * delivery log: when, to which webhook, the HTTP status (null: no answer), what it meant, how long
 * it took, and the start of the answer or why there was none.
 */
public record DeliveryCall(String webhook, Instant at, Integer status, Outcome outcome, long durationMs, String response) {

    /** DELIVERED: 2xx; FAILED: attempted again later (408, 429, 5xx, no answer); REFUSED: for good. */
    public enum Outcome { DELIVERED, FAILED, REFUSED }

    /** Adds the call to the event's exchange, where the subscription finds it after the steps. */
    @SuppressWarnings("unchecked")
    public static void record(Exchange exchange, DeliveryCall call) {
        List<DeliveryCall> calls = exchange.getProperty(Subscription.CALLS_PROPERTY, List.class);
        if (calls == null) {
            calls = new ArrayList<>(1);
            exchange.setProperty(Subscription.CALLS_PROPERTY, calls);
        }
        calls.add(call);
    }

    @SuppressWarnings("unchecked")
    static List<DeliveryCall> of(Exchange exchange) {
        List<DeliveryCall> calls = exchange.getProperty(Subscription.CALLS_PROPERTY, List.class);
        return calls == null ? List.of() : List.copyOf(calls);
    }
}
