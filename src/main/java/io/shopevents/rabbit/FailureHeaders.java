package io.shopevents.rabbit;

import java.util.Set;

/**
 * Headers that say on a message how its processing went, for the operator who finds it in the
 * management UI and for the dead-letter API. A retried message carries the first three; a dead
 * letter all of them.
 */
public final class FailureHeaders {

    /**
     * The subscription that failed it (and, on a retried message, the one it goes back to). Not
     * x-: a headers exchange (shop.events.retry routes on it) ignores headers that begin with x-.
     */
    public static final String SUBSCRIPTION = "subscription";
    /** How many attempts have failed so far; our own count, not RabbitMQ's x-death (its counting changed in 3.13). */
    public static final String ATTEMPTS = "x-attempts";
    /** The routing key the event was published with, kept while it goes through the retry queues. */
    public static final String ROUTING_KEY = "x-routing-key";
    public static final String EXCEPTION_CLASS = "x-exception-class";
    public static final String EXCEPTION_MESSAGE = "x-exception-message";
    /** The route of the subscription, when the failure came from its steps. */
    public static final String FAILED_ROUTE = "x-failed-route";
    public static final String FAILED_AT = "x-failed-at";
    /** A dead letter's own id (several subscriptions may dead-letter the same event). */
    public static final String DEAD_LETTER_ID = "x-dead-letter-id";
    public static final String REPLAY_COUNT = "x-replay-count";

    /** What a replayed message leaves behind: its next attempts start afresh. */
    public static final Set<String> OF_A_FAILURE = Set.of(ATTEMPTS, EXCEPTION_CLASS, EXCEPTION_MESSAGE, FAILED_ROUTE, FAILED_AT,
            DEAD_LETTER_ID, "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
            "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count");

    /** Longer exception messages are cut: a header is for reading, the log has the rest. */
    static final int MAX_MESSAGE_LENGTH = 1000;

    private FailureHeaders() {
    }

    static String cut(String text) {
        return text.length() > MAX_MESSAGE_LENGTH ? text.substring(0, MAX_MESSAGE_LENGTH) + "..." : text;
    }
}
