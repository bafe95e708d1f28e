package io.shopevents.subscription;

import com.rabbitmq.client.Channel;
import io.shopevents.api.CorrelationIds;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.InvalidEventException;
import io.shopevents.rabbit.FailureHeaders;
import io.shopevents.store.ProcessedEvents;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a subscription does with each message from its queue, on the consumer's own thread:
 * <ol>
 * <li>reads it as a CloudEvent (structured or binary mode) and checks that the subscription takes
 * its type and that its data meets the type's schema; if not, it is dead-lettered at once;</li>
 * <li>claims the event (source + id) for the subscription and runs the route's steps, both in one
 * database transaction, so a redelivered event changes nothing twice;</li>
 * <li>acknowledges it, after one of: applied (committed); already applied; sent to a retry queue
 * (a transient failure, attempts left: it comes back after a growing delay, and no thread waits
 * for it); dead-lettered (a permanent failure, or no attempts left). Retry and dead letter are
 * confirmed by the broker before the acknowledgement.</li>
 * </ol>
 * While the circuit breaker holds the subscription's downstream to be down, a message that
 * arrives anyway is parked in a retry queue without using up an attempt.
 */
final class SubscriptionListener implements ChannelAwareMessageListener {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionListener.class);
    /** Exchange headers the route's steps may read. */
    static final String EVENT_TYPE_HEADER = "eventType";
    static final String ATTEMPT_HEADER = "attempt";

    private final SubscriptionConsumer consumer;
    private final SubscriptionComponent component;
    private final SubscriptionCircuit circuit;
    private final Subscription subscription;

    SubscriptionListener(SubscriptionConsumer consumer, SubscriptionComponent component, SubscriptionCircuit circuit) {
        this.consumer = consumer;
        this.component = component;
        this.circuit = circuit;
        this.subscription = consumer.subscription();
    }

    @Override
    public void onMessage(Message message, Channel channel) {
        MessageProperties properties = message.getMessageProperties();
        long tag = properties.getDeliveryTag();
        consumer.taken(enqueuedAt(properties));
        String correlationId = CorrelationIds.forMessage(properties.getCorrelationId(), properties.getMessageId());
        MDC.put(CorrelationIds.KEY, correlationId);
        try {
            handle(message, channel, correlationId);
        } catch (RetryNotPublished e) {
            log.warn("subscription {}: could not send message {} to a retry queue ({}); it goes back to the queue",
                    subscription.name(), properties.getMessageId(), e.getCause().getMessage());
            nack(channel, tag, true);
            return;
        } catch (DeadLetterNotPublished e) {
            // the queue's own dead-lettering takes it (x-death says from where): nothing is dropped
            log.warn("subscription {}: could not publish dead letter for message {} ({}); rejected to the broker's"
                    + " dead-lettering instead", subscription.name(), properties.getMessageId(), e.getCause().getMessage());
            nack(channel, tag, false);
            return;
        } catch (RuntimeException e) {
            // a fault of ours: back to the queue; the queue's delivery limit dead-letters it if it keeps failing
            log.error("subscription {}: message {} could not be handled; it goes back to the queue",
                    subscription.name(), properties.getMessageId(), e);
            nack(channel, tag, true);
            return;
        } finally {
            MDC.remove(CorrelationIds.KEY);
        }
        try {
            channel.basicAck(tag, false);
        } catch (IOException | RuntimeException e) {
            // the channel is gone (connection lost): the broker redelivers what was not acknowledged
            log.warn("subscription {}: cannot acknowledge message {} ({}); the broker will deliver it again",
                    subscription.name(), properties.getMessageId(), e.getMessage());
        }
    }

    private void handle(Message message, Channel channel, String correlationId) throws DeadLetterNotPublished, RetryNotPublished {
        int failedBefore = failedAttempts(message.getMessageProperties());
        int attempt = failedBefore + 1;
        CloudEvent event;
        try {
            event = component.reader.read(message.getBody(), message.getMessageProperties().getContentType(),
                    message.getMessageProperties().getHeaders());
        } catch (InvalidEventException e) {
            deadLetter(message, channel, attempt, e, null, label(message));
            return;
        }
        consumer.back(key(event));
        try {
            if (!subscription.takes(event.type())) {
                throw new InvalidEventException("subscription " + subscription.name() + " takes " + subscription.types().stream().sorted().toList()
                        + ", not " + event.type() + " (routing key '" + routingKey(message)
                        + "'); publish each event with its type as the routing key");
            }
            component.reader.checkData(event);
        } catch (InvalidEventException e) {
            deadLetter(message, channel, attempt, e, null, "event " + CorrelationIds.escape(event.id()) + " (" + event.type() + ")");
            return;
        }
        if (!circuit.permits()) {
            park(message, channel, failedBefore);
            consumer.retrying(key(event), event.time());
            return;
        }
        long started = System.nanoTime();
        ProcessedEvents.Claim outcome;
        try {
            outcome = component.transaction.execute(status -> apply(event, correlationId, attempt));
            circuit.succeeded(System.nanoTime() - started);
        } catch (RuntimeException e) {
            Throwable failure = e instanceof RouteFailed failed ? failed.getCause() : e;
            circuit.failed(System.nanoTime() - started, failure);
            if (PermanentFailureException.isPermanent(failure) || attempt >= subscription.maxAttempts()) {
                deadLetter(message, channel, attempt, failure, consumer.getRouteId(), "event " + event.id() + " (" + event.type() + ")");
            } else {
                retry(message, channel, event, attempt, failure);
                consumer.retrying(key(event), event.time());
            }
            return;
        }
        if (outcome == ProcessedEvents.Claim.CLAIMED) {
            component.latency.record(event, subscription.name());
            consumer.metricsOutcome("applied");
        } else {
            log.info("event {} from {} {}; subscription {} changed nothing", event.id(), event.source(), outcome,
                    subscription.name());
            consumer.metricsOutcome("skipped");
        }
    }

    /** In the caller's transaction: the claim, then the route's steps; a failure rolls both back. */
    private ProcessedEvents.Claim apply(CloudEvent event, String correlationId, int attempt) {
        ProcessedEvents.Claim claim = component.processedEvents.claim(subscription.name(), event.source(), event.id());
        if (claim != ProcessedEvents.Claim.CLAIMED) {
            return claim;
        }
        Exchange exchange = consumer.createExchange(false);
        try {
            exchange.getMessage().setBody(event);
            exchange.getMessage().setHeader(EVENT_TYPE_HEADER, event.type());
            exchange.getMessage().setHeader(ATTEMPT_HEADER, attempt);
            exchange.setProperty(CorrelationIds.KEY, correlationId);
            consumer.getProcessor().process(exchange);
            if (exchange.getException() != null) {
                throw new RouteFailed(exchange.getException());
            }
        } catch (RouteFailed e) {
            throw e;
        } catch (Exception e) {
            throw new RouteFailed(e);
        } finally {
            consumer.releaseExchange(exchange, false);
        }
        return claim;
    }

    private void retry(Message message, Channel channel, CloudEvent event, int attempt, Throwable failure)
            throws RetryNotPublished {
        Duration delay = component.properties.getRetry().delayAfter(attempt);
        log.warn("event {} ({}) failed in subscription {}, attempt {} of {}: {}; it comes back in {} ms",
                event.id(), event.type(), subscription.name(), attempt, subscription.maxAttempts(), describe(failure),
                delay.toMillis());
        try {
            component.failedMessages.retry(channel, message, subscription.name(), attempt, delay);
        } catch (IOException e) {
            throw new RetryNotPublished(e);
        }
        consumer.metricsOutcome("retried");
    }

    /** The downstream is held to be down: the message waits in a retry queue, its attempts untouched. */
    private void park(Message message, Channel channel, int failedBefore) throws RetryNotPublished {
        Duration delay = parkingDelay();
        try {
            component.failedMessages.retry(channel, message, subscription.name(), failedBefore, delay);
        } catch (IOException e) {
            throw new RetryNotPublished(e);
        }
        consumer.metricsOutcome("parked");
    }

    /**
     * The longest retry delay within the circuit's open time (else the shortest): back in the queue
     * by the time the subscription takes messages again, where it waits while the circuit is open.
     */
    private Duration parkingDelay() {
        Duration openFor = circuit.openFor();
        List<Duration> delays = component.properties.getRetry().getDelays();
        return delays.stream().filter(d -> d.compareTo(openFor) <= 0).max(Duration::compareTo)
                .orElseGet(() -> delays.stream().min(Duration::compareTo).orElseThrow());
    }

    private void deadLetter(Message message, Channel channel, int attempts, Throwable failure, String route, String what)
            throws DeadLetterNotPublished {
        log.warn("dead-lettered {} in subscription {} after {} attempt(s): {}", what, subscription.name(), attempts,
                failure.getMessage());
        try {
            component.failedMessages.deadLetter(channel, message, subscription.name(), attempts, failure, route);
        } catch (IOException e) {
            throw new DeadLetterNotPublished(e);
        }
        consumer.metricsOutcome("dead_lettered");
    }

    /** The failure and, if another one caused it, that one too: what an operator needs to act. */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure + " (cause: " + root + ")";
    }

    private static String key(CloudEvent event) {
        return event.source() + " " + event.id();
    }

    /** The routing key the event was published with (kept in a header while it goes round the retry queues). */
    private static String routingKey(Message message) {
        Object kept = message.getMessageProperties().getHeaders().get(FailureHeaders.ROUTING_KEY);
        return kept != null ? kept.toString() : message.getMessageProperties().getReceivedRoutingKey();
    }

    /** A message that could not be read, as the log names it. */
    private static String label(Message message) {
        String id = message.getMessageProperties().getMessageId();
        return id == null ? "a message without message_id" : "message " + CorrelationIds.escape(id);
    }

    private static void nack(Channel channel, long tag, boolean requeue) {
        try {
            channel.basicNack(tag, false, requeue);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot reject message {} ({}); the broker will deliver it again", tag, e.getMessage());
        }
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

    private static Instant enqueuedAt(MessageProperties properties) {
        return properties.getTimestamp() != null ? properties.getTimestamp().toInstant() : Instant.now();
    }

    /** A failure of the route's steps, carried out of the transaction (which it rolls back). */
    private static final class RouteFailed extends RuntimeException {
        RouteFailed(Throwable cause) {
            super(cause);
        }
    }

    private static final class RetryNotPublished extends Exception {
        RetryNotPublished(IOException cause) {
            super(cause);
        }
    }

    private static final class DeadLetterNotPublished extends Exception {
        DeadLetterNotPublished(IOException cause) {
            super(cause);
        }
    }
}
