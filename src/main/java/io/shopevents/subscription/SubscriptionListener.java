package io.shopevents.subscription;

import com.rabbitmq.client.Channel;
import io.shopevents.tracing.CorrelationIds;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.EventKey;
import io.shopevents.event.InvalidEventException;
import io.shopevents.store.ProcessedEvents;
import io.micrometer.tracing.Span;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareBatchMessageListener;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a subscription does with the messages a consumer has received, on the consumer's own
 * thread, a batch at a time:
 * <ol>
 * <li>reads each as a CloudEvent (structured or binary mode) and checks that the subscription
 * takes its type and that its data meets the type's schema; if not, it is dead-lettered; an event
 * the subscription's filter does not take is acknowledged and counted, nothing more;</li>
 * <li>applies the batch in one database transaction: for each event, under a savepoint of its
 * own, claims it for the subscription (source + id) and runs the route's steps, so a redelivered
 * event changes nothing twice, and an event whose steps fail is undone alone while the others
 * stay;</li>
 * <li>after the commit, settles each message: applied or already applied; sent to a retry queue (a
 * transient failure, attempts left: it comes back after a growing delay, and no thread waits for
 * it); dead-lettered (a permanent failure, or no attempts left). Retries and dead letters are
 * confirmed by the broker before the batch is acknowledged, all at once.</li>
 * </ol>
 * A crash before the commit leaves every message of the batch unacknowledged (the broker delivers
 * them again); after it, the claims make the redeliveries change nothing. While the circuit
 * breaker holds the subscription's downstream to be down, the batch's remaining messages are
 * parked in a retry queue without using up an attempt.
 */
final class SubscriptionListener implements ChannelAwareBatchMessageListener {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionListener.class);
    /** Exchange headers the route's steps may read. */
    static final String EVENT_TYPE_HEADER = "eventType";
    static final String ATTEMPT_HEADER = "attempt";
    static final String REPLAYS_HEADER = "replays";
    /** The longest a batch's transaction waits for a Retry-After heard while it runs; longer, the rest go back. */
    private static final Duration IN_TRANSACTION = Duration.ofSeconds(1);

    private final SubscriptionConsumer consumer;
    private final SubscriptionComponent component;
    private final SubscriptionCircuit circuit;
    private final Subscription subscription;
    /** For a subscription with orderBy: the keys held behind an event waiting for its next attempt; else null. */
    private final OrderedHolds holds;
    private final SubscriptionProperties.Retry retry;

    SubscriptionListener(SubscriptionConsumer consumer, SubscriptionComponent component, SubscriptionCircuit circuit) {
        this.consumer = consumer;
        this.component = component;
        this.circuit = circuit;
        this.subscription = consumer.subscription();
        this.retry = subscription.retry();
        this.holds = subscription.orderBy() == null ? null
                : new OrderedHolds(subscription.name(), subscription.orderBy(), component.properties.getOrderedHoldLimit());
    }

    @Override
    public void onMessageBatch(List<Message> messages, Channel channel) {
        if (holds == null) {
            take(messages, channel);
            return;
        }
        synchronized (holds) {
            holds.useChannel(channel);
            take(messages, channel);
        }
    }

    /** Events held for their key now (0 unless the subscription orders by a key). */
    int held() {
        if (holds == null) {
            return 0;
        }
        synchronized (holds) {
            return holds.size();
        }
    }

    /** An operator resumed the subscription: what is held in place is attempted now, not when its wait would end. */
    void resumed() {
        if (holds != null) {
            synchronized (holds) {
                holds.attemptAllNow(this::attemptHeld);
            }
        }
    }

    void close() {
        if (holds != null) {
            holds.close();
        }
    }

    private void take(List<Message> messages, Channel channel) {
        List<Delivery> batch = new ArrayList<>(messages.size());
        for (Message message : messages) {
            Delivery delivery = new Delivery(message);
            inContext(delivery, () -> read(delivery));
            // the trace of the call that published the event goes on here, to the settling
            delivery.span = component.tracing.startConsuming("consume " + subscription.name(),
                    message.getMessageProperties().getHeaders(), delivery.event == null ? null : delivery.event.traceparent());
            batch.add(delivery);
        }
        consumer.batchTaken(batch.size());
        ConsumerSwitch.Gate gate = consumer.gate();
        if (gate == null) {
            applyAll(batch);
        } else {
            batch.stream().filter(d -> d.outcome == Delivery.Outcome.TO_APPLY).forEach(d -> sendBack(d, gate));
        }
        for (Delivery delivery : batch) {
            inContext(delivery, () -> settle(delivery, channel));
            if (delivery.failure != null) {
                delivery.span.error(delivery.failure);
            }
            delivery.span.end();
        }
        acknowledge(batch, channel);
    }

    /** Reads and checks the message: afterwards it has an event to apply, or the reason it is refused. */
    private void read(Delivery delivery) {
        Message message = delivery.message;
        consumer.taken(Delivery.enqueuedAt(message.getMessageProperties()));
        try {
            delivery.event = component.reader.read(message.getBody(), message.getMessageProperties().getContentType(),
                    message.getMessageProperties().getHeaders());
        } catch (InvalidEventException e) {
            delivery.refused(e, Delivery.label(message));
            return;
        } catch (RuntimeException e) {
            // whatever a message holds, it fails alone: never the batch it came in
            delivery.refused(new InvalidEventException("the message cannot be read: " + describe(e)), Delivery.label(message));
            return;
        }
        CloudEvent event = delivery.event;
        delivery.what = "event " + CorrelationIds.escape(event.id()) + " (" + event.type() + ")";
        consumer.back(key(event));
        try {
            if (!subscription.takes(event.type())) {
                throw new InvalidEventException("subscription " + subscription.name() + " takes " + subscription.types().stream().sorted().toList()
                        + ", not " + event.type() + " (routing key '" + Delivery.routingKey(message)
                        + "'); publish each event with its type as the routing key");
            }
            component.reader.checkData(event);
        } catch (InvalidEventException e) {
            delivery.refused(e, delivery.what);
            return;
        } catch (RuntimeException e) {
            delivery.refused(new InvalidEventException("the event's data cannot be checked: " + describe(e)), delivery.what);
            return;
        }
        filter(delivery);
        if (holds != null && delivery.outcome == Delivery.Outcome.TO_APPLY) {
            delivery.orderKey = holds.keyOf(event);
        }
    }

    /** The subscription's filter: an event it does not take is acknowledged, not applied. */
    private void filter(Delivery delivery) {
        SubscriptionFilter filter = consumer.filter();
        if (filter.isAny()) {
            return;
        }
        Exchange exchange = consumer.createExchange(false);
        try {
            if (!filter.takes(delivery.event, exchange)) {
                delivery.outcome = Delivery.Outcome.FILTERED;
            }
        } catch (RuntimeException | StackOverflowError e) {
            // a condition that throws (or recurses without end) on this event: the filter may be what is wrong
            delivery.refused(new InvalidEventException("the subscription's " + filter + " failed on this event: "
                    + describe(e)), delivery.what);
        } finally {
            consumer.releaseExchange(exchange, false);
        }
    }

    /**
     * One transaction for the batch, a savepoint per event. If the commit itself fails, nothing of
     * the batch was applied: each event counts it as a failed attempt.
     */
    private void applyAll(List<Delivery> batch) {
        if (holds != null) {
            // a key held behind an earlier event: its later events wait too, in order
            batch.stream().filter(d -> d.outcome == Delivery.Outcome.TO_APPLY && holds.isHeld(d.orderKey)
                    && holds.first(d.orderKey) != d).forEach(d -> d.outcome = Delivery.Outcome.HELD);
        }
        List<Delivery> toApply = batch.stream().filter(d -> d.outcome == Delivery.Outcome.TO_APPLY).toList();
        if (toApply.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        try {
            if (!inTurn(toApply)) {
                return;
            }
        } catch (RuntimeException e) {
            // the shared schedule cannot be read (the database is away): nothing is delivered off pace
            toApply.forEach(d -> d.failed(e));
            return;
        }
        java.util.Set<String> waiting = new java.util.HashSet<>();
        BatchRecord after = new BatchRecord(consumer, component);
        try {
            component.transaction.executeWithoutResult(status -> {
                for (int i = 0; i < toApply.size(); i++) {
                    Delivery d = toApply.get(i);
                    if (i > 0 && !stillInTurn()) {
                        ConsumerSwitch.Gate gate = consumer.gate() != null ? consumer.gate()
                                : new ConsumerSwitch.Gate("waiting", java.time.Instant.now().plus(consumer.pace().heldBack()));
                        toApply.subList(i, toApply.size()).forEach(rest -> sendBack(rest, gate));
                        break;
                    }
                    inContext(d, () -> {
                        if (d.orderKey != null && waiting.contains(d.orderKey)) {
                            d.outcome = Delivery.Outcome.HELD;
                            return;
                        }
                        applyOne(d);
                        if (holds != null && d.orderKey != null && (d.outcome == Delivery.Outcome.PARK || willRetry(d))) {
                            waiting.add(d.orderKey);
                        }
                    });
                }
                after.record(toApply);
            });
        } catch (RuntimeException e) {
            for (Delivery delivery : toApply) {
                if (delivery.outcome == Delivery.Outcome.APPLIED || delivery.outcome == Delivery.Outcome.SKIPPED
                        || delivery.outcome == Delivery.Outcome.TO_APPLY) {
                    delivery.failed(e);
                    circuit.failed(System.nanoTime() - started, e);
                }
            }
            return;
        }
        after.committed(toApply);
    }

    /**
     * Waits for a Retry-After heard while the batch runs (by one of its calls, or another
     * consumer's); false if that is longer than the batch's transaction should wait: the rest of
     * the batch goes back to the broker (an ordered one waits in place, up to longest-hold).
     */
    private boolean stillInTurn() {
        Duration heldBack = consumer.pace().heldBack();
        if (heldBack.isZero()) {
            return true;
        }
        if (heldBack.compareTo(consumer.pace().longestHold()) > 0) {
            consumer.waitUntil(java.time.Instant.now().plus(heldBack));
            return false;
        }
        if (holds == null && heldBack.compareTo(IN_TRANSACTION) > 0) {
            return false;
        }
        return Pace.sleepUntil(System.nanoTime() + heldBack.toNanos());
    }

    /**
     * Waits for the subscription's turn before the batch's transaction (its rate limit's next slot,
     * a downstream's Retry-After); false if that is further away than a consumer holds messages:
     * they go back to the broker, and the subscription takes none until then.
     */
    private boolean inTurn(List<Delivery> toApply) {
        if (circuit.isOpen()) {
            return true; // parked without a call: no turn needed
        }
        Turn turn = consumer.pace().awaitTurn();
        if (turn.elsewhere() == null) {
            // a rate-limited subscription takes one event at a time: the turn is its
            toApply.forEach(d -> d.turn = turn);
            return true;
        }
        java.time.Instant until = java.time.Instant.now().plus(turn.elsewhere());
        consumer.waitUntil(until);
        ConsumerSwitch.Gate gate = new ConsumerSwitch.Gate("waiting", until);
        toApply.forEach(d -> sendBack(d, gate));
        return false;
    }

    /**
     * The subscription takes no events now (paused, or waiting for its pace). An ordered one holds
     * the message in place until the wait ends (a return to the queue would count as a delivery
     * towards its x-delivery-limit, once per wait); paused, or with the hold over its limit, it
     * leaves it unacknowledged, and its consumer hands everything back in order by stopping. Any
     * other message parks in a retry queue (no attempt used), whence it returns to wait in its queue.
     */
    private void sendBack(Delivery delivery, ConsumerSwitch.Gate gate) {
        Duration wait = gate.until() == null ? null : Duration.between(java.time.Instant.now(), gate.until());
        if (holds != null && delivery.orderKey != null) {
            if (wait != null && holds.mayWait(delivery, wait)) {
                delivery.outcome = Delivery.Outcome.WAIT;
                delivery.parkFor = wait;
            } else {
                delivery.outcome = Delivery.Outcome.RETURN;
            }
            return;
        }
        delivery.outcome = Delivery.Outcome.PARK;
        // waiting: back in its queue soon, to wait there with the consumers stopped (a resume finds it there)
        delivery.parkFor = wait == null ? parkingDelay() : atMost(Duration.ZERO);
    }

    private void applyOne(Delivery delivery) {
        if (!circuit.permits()) {
            delivery.outcome = Delivery.Outcome.PARK;
            return;
        }
        long started = System.nanoTime();
        delivery.attemptedAt = java.time.Instant.now();
        try {
            delivery.claim = component.savepoint.execute(status -> apply(delivery));
            delivery.outcome = delivery.claim == ProcessedEvents.Claim.CLAIMED ? Delivery.Outcome.APPLIED : Delivery.Outcome.SKIPPED;
            circuit.succeeded(System.nanoTime() - started);
        } catch (RuntimeException e) {
            Throwable failure = e instanceof RouteFailed failed ? failed.getCause() : e;
            delivery.failed(failure);
            Duration asked = RetryLaterException.askedFor(failure);
            if (asked != null && !asked.isZero()) {
                // no call of this subscription on this instance before then, this batch's next one included
                consumer.pace().asked(asked);
            }
            if (delivery.inPlace) {
                circuit.failedInPlace(System.nanoTime() - started, failure);
            } else {
                circuit.failed(System.nanoTime() - started, failure);
            }
        }
    }

    /** Under the event's savepoint: the claim, then the route's steps; a failure rolls back both. */
    private ProcessedEvents.Claim apply(Delivery delivery) {
        CloudEvent event = delivery.event;
        ProcessedEvents.Claim claim = component.processedEvents.claim(subscription.name(), event.source(), event.id());
        if (claim != ProcessedEvents.Claim.CLAIMED) {
            return claim;
        }
        Exchange exchange = consumer.createExchange(false);
        // the route's steps: the processor (and the mails or webhooks it sends, spans of their own)
        Span steps = component.tracing.startChild("route " + consumer.getRoute().getRouteId(), null);
        try {
            exchange.getMessage().setBody(event);
            // the event as it came, for steps after a transformation (a signed webhook's id and ce- headers)
            exchange.setProperty(Subscription.EVENT_PROPERTY, event);
            exchange.getMessage().setHeader(EVENT_TYPE_HEADER, event.type());
            exchange.getMessage().setHeader(ATTEMPT_HEADER, delivery.attempt);
            exchange.getMessage().setHeader(REPLAYS_HEADER, delivery.replays);
            if (delivery.turn != null) {
                exchange.setProperty(Turn.PROPERTY, delivery.turn);
            }
            exchange.setProperty(CorrelationIds.KEY, delivery.correlationId);
            try (var scope = component.tracing.inScope(steps)) {
                consumer.getProcessor().process(exchange);
            }
            if (exchange.getException() != null) {
                throw new RouteFailed(exchange.getException());
            }
        } catch (RouteFailed e) {
            steps.error(e.getCause());
            throw e;
        } catch (Exception | StackOverflowError e) {
            // a step that recursed without end (a jq transform, say) fails this event, not the consumer
            steps.error(e);
            throw new RouteFailed(e);
        } finally {
            steps.end();
            delivery.calls = DeliveryCall.of(exchange);
            consumer.releaseExchange(exchange, false);
        }
        return claim;
    }

    /** After the commit: what becomes of the message, and whether it is acknowledged or handed back. */
    private void settle(Delivery delivery, Channel channel) {
        CloudEvent event = delivery.event;
        try {
            switch (delivery.outcome) {
                case APPLIED -> {
                    component.latency.record(event, subscription.name());
                    consumer.metricsOutcome("applied");
                }
                case SKIPPED -> {
                    log.info("event {} from {} {}; subscription {} changed nothing", event.id(), event.source(),
                            delivery.claim, subscription.name());
                    consumer.metricsOutcome("skipped");
                }
                case FILTERED -> consumer.metricsOutcome("filtered");
                case RETURN -> {
                    // unacknowledged: the consumer stops, and the broker has it back, in order
                    delivery.ack = Delivery.Ack.NONE;
                    consumer.handBack();
                    consumer.metricsOutcome("returned");
                }
                case WAIT -> holdForNextAttempt(delivery, delivery.parkFor, false);
                case HELD -> {
                    // behind its key's first held event (or, if that one was settled meanwhile, attempted at once)
                    holds.hold(delivery.orderKey, delivery, Duration.ZERO, this::attemptHeld);
                    delivery.ack = Delivery.Ack.NONE;
                    consumer.metricsOutcome("held");
                }
                case REFUSED -> deadLetter(delivery, channel, null);
                case FAILED -> {
                    if (!willRetry(delivery)) {
                        heldTooLong(delivery);
                        deadLetter(delivery, channel, consumer.getRouteId());
                    } else if (holds != null && delivery.orderKey != null) {
                        holdForNextAttempt(delivery, retryDelay(delivery), true);
                    } else {
                        retry(delivery, channel);
                        consumer.retrying(key(event), event.time(), retryDelay(delivery));
                    }
                }
                case PARK -> {
                    if (holds != null && delivery.orderKey != null && !holds.mayWait(delivery, parkingDelay())) {
                        delivery.failure = new PermanentFailureException("held for its key's order while the"
                                + " subscription's circuit was open, until shop.subscriptions.ordered-hold-limit ("
                                + holds.limit().toMinutes() + " min) after it came");
                        deadLetter(delivery, channel, consumer.getRouteId());
                    } else if (holds != null && delivery.orderKey != null) {
                        holdForNextAttempt(delivery, parkingDelay(), false);
                    } else {
                        Duration parked = delivery.parkFor == null ? parkingDelay() : delivery.parkFor;
                        park(delivery, channel, parked);
                        consumer.retrying(key(event), event.time(), parked);
                    }
                }
                case TO_APPLY -> throw new IllegalStateException("not applied: " + delivery.what);
            }
        } catch (RuntimeException e) {
            // a fault of ours: back to the queue; the queue's delivery limit dead-letters it if it keeps failing
            log.error("subscription {}: message {} could not be handled; it goes back to the queue",
                    subscription.name(), delivery.message.getMessageProperties().getMessageId(), e);
            delivery.ack = Delivery.Ack.REQUEUE;
        }
    }

    /** A transient failure with attempts left (and, for a key held in place, time left). */
    private boolean willRetry(Delivery delivery) {
        if (delivery.outcome != Delivery.Outcome.FAILED || PermanentFailureException.isPermanent(delivery.failure)
                || delivery.attempt >= subscription.maxAttempts()) {
            return false;
        }
        return holds == null || delivery.orderKey == null || holds.mayWait(delivery, retryDelay(delivery));
    }

    /** Why a transient failure with attempts left is not attempted again: its key's hold would last too long. */
    private void heldTooLong(Delivery delivery) {
        if (holds != null && delivery.orderKey != null && !PermanentFailureException.isPermanent(delivery.failure)
                && delivery.attempt < subscription.maxAttempts()) {
            delivery.failure = new PermanentFailureException(delivery.failure.getMessage() + "; not attempted again:"
                    + " its next attempt (in " + retryDelay(delivery).toSeconds() + " s) would be later than"
                    + " shop.subscriptions.ordered-hold-limit (" + holds.limit().toMinutes() + " min) after it came,"
                    + " and its key's later events wait behind it", delivery.failure);
        }
    }

    /**
     * The back-off of the attempt, whatever a Retry-After asked: the subscription as a whole makes
     * no call before that ends (Pace), and a resume may end it sooner, which a message waiting out
     * the whole Retry-After in a retry queue would not see.
     */
    private Duration retryDelay(Delivery delivery) {
        return retry.delayAfter(delivery.attempt);
    }

    /**
     * Ordered: the event stays unacknowledged and is attempted again in place after the delay; its
     * key's later events wait behind it, other keys go on.
     */
    private void holdForNextAttempt(Delivery delivery, Duration delay, boolean failed) {
        if (failed) {
            log.warn("{} failed in subscription {}, attempt {} of {}: {}; attempted again in {} ms, its key's later"
                    + " events waiting behind it", delivery.what, subscription.name(), delivery.attempt,
                    subscription.maxAttempts(), describe(delivery.failure), delay.toMillis());
            delivery.attempt++;
        }
        holds.hold(delivery.orderKey, delivery, delay, this::attemptHeld);
        delivery.ack = Delivery.Ack.NONE;
        consumer.metricsOutcome(failed ? "retried" : "parked");
    }

    /**
     * The next attempt of a key's first held event, on the holds' own thread; when it is settled
     * (applied, or dead-lettered), the key's later events are applied in order until one must wait.
     */
    private void attemptHeld(String key) {
        synchronized (holds) {
            ConsumerSwitch.Gate gate = consumer.gate();
            if (gate != null && gate.until() == null) {
                return; // paused: its consumer stops, and the broker has what is held back, in order
            }
            Channel channel = holds.openChannel();
            Delivery first = holds.first(key);
            while (channel != null && first != null) {
                Delivery delivery = first;
                delivery.again();
                delivery.inPlace = true;
                delivery.span = component.tracing.startConsuming("consume " + subscription.name(),
                        delivery.message.getMessageProperties().getHeaders(), delivery.event.traceparent());
                applyAll(List.of(delivery));
                inContext(delivery, () -> settle(delivery, channel));
                delivery.span.end();
                if (delivery.ack == Delivery.Ack.NONE) {
                    return;
                }
                acknowledge(List.of(delivery), channel);
                holds.settled(key);
                first = holds.first(key);
            }
        }
    }

    private void retry(Delivery delivery, Channel channel) {
        Duration delay = retryDelay(delivery);
        log.warn("{} failed in subscription {}, attempt {} of {}: {}; it comes back in {} ms", delivery.what,
                subscription.name(), delivery.attempt, subscription.maxAttempts(), describe(delivery.failure), delay.toMillis());
        try {
            component.failedMessages.retry(channel, delivery.message, subscription.name(), delivery.attempt, delay);
            consumer.metricsOutcome("retried");
        } catch (IOException e) {
            log.warn("subscription {}: could not send {} to a retry queue ({}); it goes back to the queue",
                    subscription.name(), delivery.what, e.getMessage());
            delivery.ack = Delivery.Ack.REQUEUE;
        }
    }

    /** The downstream is held to be down: the message waits in a retry queue, its attempts untouched. */
    private void park(Delivery delivery, Channel channel, Duration delay) {
        try {
            component.failedMessages.retry(channel, delivery.message, subscription.name(), delivery.attempt - 1, delay);
            consumer.metricsOutcome("parked");
        } catch (IOException e) {
            delivery.ack = Delivery.Ack.REQUEUE;
        }
    }

    /**
     * The longest retry delay within the circuit's open time (else the shortest): back in the queue
     * by the time the subscription takes messages again, where it waits while the circuit is open.
     */
    private Duration parkingDelay() {
        return atMost(circuit.openFor());
    }

    /** The longest retry delay within this wait (else the shortest): back in the queue by its end. */
    private Duration atMost(Duration wait) {
        List<Duration> delays = retry.getDelays();
        return delays.stream().filter(d -> d.compareTo(wait) <= 0).max(Duration::compareTo)
                .orElseGet(() -> delays.stream().min(Duration::compareTo).orElseThrow());
    }

    private void deadLetter(Delivery delivery, Channel channel, String route) {
        log.warn("dead-lettered {} in subscription {} after {} attempt(s): {}", delivery.what, subscription.name(),
                delivery.attempt, delivery.failure.getMessage());
        String letterId;
        try {
            letterId = component.failedMessages.deadLetter(channel, delivery.message, subscription.name(), delivery.attempt,
                    delivery.failure, route);
            consumer.metricsOutcome("dead_lettered");
        } catch (IOException e) {
            // the queue's own dead-lettering takes it (x-death says from where): nothing is dropped
            log.warn("subscription {}: could not publish dead letter for {} ({}); rejected to the broker's"
                    + " dead-lettering instead", subscription.name(), delivery.what, e.getMessage());
            delivery.ack = Delivery.Ack.REJECT;
            return;
        }
        if (route != null) {
            exhausted(delivery, letterId);
        }
    }

    /**
     * Its steps failed for good, and the dead letter is confirmed: shop.delivery.exhausted, written
     * before the original is acknowledged (if this fails, the message comes again and is
     * dead-lettered again under the same letter id, which is the event's id too).
     */
    private void exhausted(Delivery delivery, String letterId) {
        try {
            component.transaction.executeWithoutResult(status -> component.operationalEvents.exhausted(subscription.name(),
                    delivery.event, delivery.attempt, String.valueOf(delivery.failure.getMessage()), letterId));
            component.operationalEvents.publishSoon();
        } catch (RuntimeException e) {
            log.warn("subscription {}: cannot record that it gave up on {} ({}); it comes back and is dead-lettered again",
                    subscription.name(), delivery.what, e.getMessage());
            delivery.ack = Delivery.Ack.REQUEUE;
        }
    }

    /** The whole batch with one acknowledgement when every message is settled; else one by one. */
    private void acknowledge(List<Delivery> batch, Channel channel) {
        try {
            // held messages may be below the last tag: then each on its own
            if (holds == null && batch.stream().allMatch(d -> d.ack == Delivery.Ack.ACK)) {
                channel.basicAck(batch.get(batch.size() - 1).tag, true);
                return;
            }
            for (Delivery delivery : batch) {
                switch (delivery.ack) {
                    case ACK -> channel.basicAck(delivery.tag, false);
                    case REQUEUE -> channel.basicNack(delivery.tag, false, true);
                    case REJECT -> channel.basicNack(delivery.tag, false, false);
                    case NONE -> { }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the channel is gone (connection lost): the broker redelivers what was not acknowledged
            log.warn("subscription {}: cannot acknowledge {} message(s) ({}); the broker will deliver them again",
                    subscription.name(), batch.size(), e.getMessage());
        }
    }

    /** The step with the event's correlation id and span: in its log lines, and the parent of the spans it starts. */
    private void inContext(Delivery delivery, Runnable step) {
        MDC.put(CorrelationIds.KEY, delivery.correlationId);
        try (var scope = delivery.span == null ? null : component.tracing.inScope(delivery.span)) {
            step.run();
        } finally {
            MDC.remove(CorrelationIds.KEY);
        }
    }

    /** The failure and, if another one caused it, that one too: what an operator needs to act. */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure + " (cause: " + root + ")";
    }

    private static EventKey key(CloudEvent event) {
        return EventKey.of(event);
    }

    /** A failure of the route's steps, carried out of the savepoint (which it rolls back). */
    private static final class RouteFailed extends RuntimeException {
        RouteFailed(Throwable cause) {
            super(cause);
        }
    }
}
