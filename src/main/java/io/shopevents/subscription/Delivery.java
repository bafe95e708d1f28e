package io.shopevents.subscription;

import io.micrometer.tracing.Span;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.InvalidEventException;
import io.shopevents.rabbit.FailureHeaders;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.tracing.CorrelationIds;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;

import java.time.Instant;

/** One message of a subscription's batch, what it says about itself, and what became of it. */
final class Delivery {

    final Message message;
    final long tag;
    final String correlationId;
    /** This attempt's number (a subscription with orderBy attempts a held event again in place). */
    int attempt;
    /** How often an operator replayed it from the dead letters. */
    final int replays;
    CloudEvent event;
    /** Its key, for a subscription with orderBy (null: none, or no such subscription). */
    String orderKey;
    /** When this consumer received it: a held message must be settled within the hold limit of this. */
    final java.time.Instant receivedAt = java.time.Instant.now();
    /** Attempted again in place (ordered): its failures say nothing new about the downstream. */
    boolean inPlace;
    String what;
    Outcome outcome = Outcome.TO_APPLY;
    ProcessedEvents.Claim claim;
    Throwable failure;
    Ack ack = Ack.ACK;
    /** Parked (not attempted): how long it waits in a retry queue; null: as the circuit says. */
    java.time.Duration parkFor;
    /** When its steps were last run, and the calls they made (the delivery log). */
    Instant attemptedAt;
    java.util.List<DeliveryCall> calls = java.util.List.of();
    /** Its turn in a rate-limited subscription's pace, taken by the call its steps make. */
    Turn turn;
    /** The consumer's span: from reading to settling. */
    Span span;

    Delivery(Message message) {
        MessageProperties properties = message.getMessageProperties();
        this.message = message;
        this.tag = properties.getDeliveryTag();
        this.correlationId = CorrelationIds.forMessage(properties.getCorrelationId(), properties.getMessageId());
        this.attempt = failedAttempts(properties) + 1;
        this.replays = properties.getHeaders().get(FailureHeaders.REPLAY_COUNT) instanceof Number n ? Math.max(0, n.intValue()) : 0;
    }

    void refused(InvalidEventException reason, String what) {
        this.outcome = Outcome.REFUSED;
        this.failure = reason;
        this.what = what;
    }

    /** Ready to be applied again (a held event's next attempt). */
    void again() {
        outcome = Outcome.TO_APPLY;
        failure = null;
        claim = null;
        ack = Ack.ACK;
        parkFor = null;
        calls = java.util.List.of();
    }

    void failed(Throwable failure) {
        this.outcome = Outcome.FAILED;
        this.failure = failure;
    }

    /** The routing key the event was published with (kept in a header while it goes round the retry queues). */
    static String routingKey(Message message) {
        Object kept = message.getMessageProperties().getHeaders().get(FailureHeaders.ROUTING_KEY);
        return kept != null ? kept.toString() : message.getMessageProperties().getReceivedRoutingKey();
    }

    /** A message that could not be read, as the log names it. */
    static String label(Message message) {
        String id = message.getMessageProperties().getMessageId();
        return id == null ? "a message without message_id" : "message " + CorrelationIds.escape(id);
    }

    /** Our own count of failed attempts; whatever a hand-published message says there, never below 0. */
    static int failedAttempts(MessageProperties properties) {
        Object value = properties.getHeaders().get(FailureHeaders.ATTEMPTS);
        if (value instanceof Number number) {
            return (int) Math.max(0, Math.min(number.longValue(), 1_000_000));
        }
        if (value != null) {
            try {
                return Math.max(0, Math.min(Integer.parseInt(value.toString().strip()), 1_000_000));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    static Instant enqueuedAt(MessageProperties properties) {
        return properties.getTimestamp() != null ? properties.getTimestamp().toInstant() : Instant.now();
    }

    /** RETURN: not taken now (paused, or waiting for its pace); an ordered subscription's consumer hands it back. */
    /** WAIT: held in place until the subscription's wait ends (ordered); RETURN: handed back to the queue (ordered). */
    enum Outcome { TO_APPLY, APPLIED, SKIPPED, FAILED, REFUSED, PARK, FILTERED, HELD, WAIT, RETURN }

    /** NONE: held, unacknowledged, for a later attempt in place (or until the consumer stops). */
    enum Ack { ACK, REQUEUE, REJECT, NONE }
}
