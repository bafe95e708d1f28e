package io.shopevents.subscription;

import io.shopevents.event.EventKey;
import io.shopevents.store.SubscriptionControls;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.dao.DataAccessException;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Consumes a subscription's queue for its route: declares the queue and its bindings, then runs a
 * listener container with {@code consumers} threads of its own (so that many really work at once),
 * each holding at most {@code prefetch} unacknowledged messages and handing them to the listener
 * in batches. The circuit breaker, a pause (by an operator, or by itself after its downstream
 * failed long enough) and a long wait for its pace stop and start the container; stopping the
 * route stops it for good.
 */
public class SubscriptionConsumer extends DefaultConsumer {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionConsumer.class);

    private final SubscriptionComponent component;
    private final Subscription subscription;
    private final SubscriptionMetrics metrics;
    private final SubscriptionFilter filter;
    private SimpleMessageListenerContainer container;
    private SubscriptionListener listener;
    private SubscriptionCircuit circuit;
    /** Starts and stops the container: the circuit, pauses, waits. */
    private volatile ConsumerSwitch consumerSwitch;
    private Pace pace;
    private FailureStreak streak;
    /** When the message taken last had entered the queue (for the age of the oldest waiting message). */
    private volatile Instant lastTakenEnqueuedAt;
    /** Events this instance sent to a retry queue: when they were published, and when they are due back in the queue. */
    private final Map<EventKey, Retrying> retrying = new ConcurrentHashMap<>();

    private record Retrying(Instant publishedAt, Instant dueBack) {
    }

    /** How long after its due time an event not taken back here is forgotten (another instance took it). */
    private static final Duration FORGET_AFTER = Duration.ofHours(1);
    private volatile Instant startedAt;

    SubscriptionConsumer(SubscriptionEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.component = endpoint.getComponent();
        this.subscription = endpoint.subscription();
        this.filter = endpoint.contentFilter();
        this.metrics = new SubscriptionMetrics(this, component.meters);
    }

    public Subscription subscription() {
        return subscription;
    }

    SubscriptionFilter filter() {
        return filter;
    }

    SubscriptionComponent component() {
        return component;
    }

    void batchTaken(int size) {
        metrics.batch(size);
    }

    void metricsOutcome(String outcome) {
        metrics.outcome(outcome);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        startedAt = Instant.now();
        component.registry.register(this);
        try {
            component.topology.declare(subscription);
            var queue = component.admin.getQueueInfo(subscription.queue());
            component.oneInstancePerH2.check(subscription.queue(), queue == null ? 0 : queue.getConsumerCount());
        } catch (AmqpException e) {
            // the broker is away: the container keeps trying, and the queue is declared when a connection opens
            log.warn("subscription {}: cannot declare its queue now ({}); it will be once the broker is reachable",
                    subscription.name(), e.getMessage());
        }
        pace = new Pace(subscription.name(), subscription.rateLimit(), component.paces, component.properties.getLongestHold());
        streak = new FailureStreak(subscription, component.controls);
        SubscriptionControls.Control control = null;
        try {
            control = component.controls.ensure(subscription.name());
            streak.seen(control);
        } catch (DataAccessException e) {
            log.warn("subscription {}: cannot read whether it is paused now ({}); the control poll will tell",
                    subscription.name(), e.getMessage());
        }
        // ordered: the circuit does not stop its consumer (what is held would go back to the queue,
        // each delivery counted again); the events park in place instead
        circuit = new SubscriptionCircuit(subscription.name(), component.properties.getCircuitBreaker(),
                new SubscriptionCircuit.Switch() {
                    @Override
                    public void pause() {
                        consumerSwitch.reconsider();
                    }

                    @Override
                    public void resume() {
                        consumerSwitch.reconsider();
                    }
                });
        listener = new SubscriptionListener(this, component, circuit);
        container = newContainer(listener);
        consumerSwitch = new ConsumerSwitch(subscription, container, circuit, control,
                // half the hold limit: a message received just before still may wait that long in place
                subscription.ordered() ? component.properties.getOrderedHoldLimit().dividedBy(2) : Duration.ZERO);
        consumerSwitch.start();
        metrics.register();
        log.info("subscription {} consumes {} (types {}, {}{}) with {} consumers, prefetch {}, batches of up to {} within {} ms",
                subscription.name(), subscription.queue(), subscription.types(), filter,
                subscription.ordered() ? ", in order by " + subscription.orderBy() : "",
                subscription.ordered() ? 1 : subscription.consumers(),
                subscription.prefetch(), subscription.batchSize(), subscription.batchWait().toMillis());
    }

    @Override
    protected void doStop() throws Exception {
        try {
            if (consumerSwitch != null) {
                consumerSwitch.stop();
            }
            if (circuit != null) {
                circuit.close();
            }
            if (listener != null) {
                // an attempt of a held event in progress finishes first; none starts after
                listener.close();
            }
            if (container != null) {
                container.stop();
                container.destroy();
            }
        } finally {
            metrics.unregister();
            // stopped while Camel goes on: its route file was removed (or replaced): its queue stays
            component.registry.unregister(this, !getEndpoint().getCamelContext().isStopping());
            super.doStop();
        }
    }

    private SimpleMessageListenerContainer newContainer(SubscriptionListener listener) {
        SimpleMessageListenerContainer c = new SimpleMessageListenerContainer(component.connectionFactory);
        c.setQueueNames(subscription.queue());
        // ordered: one consumer is active at a time across every instance; more here would only wait
        c.setConcurrentConsumers(subscription.ordered() ? 1 : subscription.consumers());
        c.setPrefetchCount(subscription.prefetch());
        // the listener gets what the consumer holds, up to batchSize messages, gathered for at most
        // batchWait: a batch fills at once under load and does not wait long when messages trickle in
        c.setConsumerBatchEnabled(true);
        c.setBatchSize(subscription.batchSize());
        c.setReceiveTimeout(subscription.batchWait().toMillis());
        c.setBatchReceiveTimeout(subscription.batchWait().toMillis());
        c.setAcknowledgeMode(AcknowledgeMode.MANUAL);
        c.setMessageListener(listener);
        c.setMessagePropertiesConverter(component.failedMessages.converter());
        // a thread of its own per consumer, named after the subscription: welcome-mail-1, welcome-mail-2, ...
        c.setTaskExecutor(new SimpleAsyncTaskExecutor(subscription.name() + "-"));
        // the queue may not be there yet (broker away at start): keep trying instead of giving up
        c.setMissingQueuesFatal(false);
        c.setConsumerTagStrategy(queue -> "shop-events:" + subscription.name() + ":" + java.util.UUID.randomUUID());
        c.setShutdownTimeout(30_000);
        // ordered: a stop closes the channel without cancelling the consumer first, so the broker takes
        // back every unacknowledged message at once, in order. After a cancel, RabbitMQ hands a message
        // it delivered meanwhile back at once, ahead of the older ones held (WebhookOperationsIT saw it)
        c.setForceStop(subscription.ordered());
        c.setAutoStartup(false);
        c.afterPropertiesSet();
        return c;
    }

    /** Null while it may deliver; else why not (paused, or waiting for its pace on the broker). */
    ConsumerSwitch.Gate gate() {
        return consumerSwitch.gate();
    }

    /** An ordered subscription left messages unacknowledged that it will not take now: the broker has them back, in order. */
    void handBack() {
        consumerSwitch.handBack();
    }

    /** Paused by itself: it stops taking events; they wait in its queue. */
    void paused(SubscriptionControls.Control row) {
        consumerSwitch.paused(row);
    }

    /** Paused by hand, on this instance: its consumers have stopped when this returns. */
    void pausedByHand(SubscriptionControls.Control row) {
        consumerSwitch.pausedByHand(row);
    }

    /** Resumed by hand, on this instance: its consumers run when this returns. */
    void resumed() {
        pace.endWait();
        consumerSwitch.resumed();
        listener.resumed();
    }

    /** Its next slot is further away than it may hold messages for: they go back, and it takes none until then. */
    void waitUntil(Instant until) {
        consumerSwitch.waitUntil(until);
    }

    /** What the control poll read (at {@code readAt}, System.nanoTime()): its row, and how far ahead its next slot lies. */
    void controlled(SubscriptionControls.Control row, Duration ahead, long readAt) {
        ConsumerSwitch s = consumerSwitch;
        if (s == null) {
            return; // still starting: it reads its row itself
        }
        streak.seen(row);
        pace.ahead(ahead, readAt);
        // a wait the schedule no longer holds (an operator resumed it on another instance) ends here too
        Duration heldBack = pace.heldBack();
        if (s.waitAtMost(ahead != null && ahead.compareTo(heldBack) > 0 ? ahead : heldBack, readAt)) {
            listener.resumed();
        }
        s.controlled(row, readAt);
    }

    /** Its control row while it is paused; null while it is not. */
    public SubscriptionControls.Control pausedAs() {
        ConsumerSwitch s = consumerSwitch;
        return s == null ? null : s.pausedAs();
    }

    /** Until when it takes no events to respect its pace; null when it does. */
    public Instant waitingUntil() {
        ConsumerSwitch s = consumerSwitch;
        ConsumerSwitch.Gate gate = s == null ? null : s.gate();
        Instant until = gate == null ? null : gate.until();
        Pace p = pace;
        Duration heldBack = p == null ? Duration.ZERO : p.heldBack();
        Instant asked = heldBack.isZero() ? null : Instant.now().plus(heldBack);
        return until == null || (asked != null && asked.isAfter(until)) ? asked : until;
    }

    Pace pace() {
        return pace;
    }

    FailureStreak streak() {
        return streak;
    }

    /** Consumers taking messages right now (0 while the circuit is open or the broker is away). */
    public int runningConsumers() {
        SimpleMessageListenerContainer c = container;
        return c == null || !c.isRunning() ? 0 : c.getActiveConsumerCount();
    }

    /** CLOSED, OPEN or HALF_OPEN. */
    public String circuitState() {
        SubscriptionCircuit c = circuit;
        return c == null ? "CLOSED" : c.state();
    }

    void taken(Instant enqueuedAt) {
        lastTakenEnqueuedAt = enqueuedAt;
    }

    /** The event is waiting in a retry queue (retried, or parked) for this long. */
    void retrying(EventKey event, Instant publishedAt, Duration delay) {
        retrying.put(event, new Retrying(publishedAt == null ? Instant.now() : publishedAt, Instant.now().plus(delay)));
    }

    /** The event is back from its retry queue. */
    void back(EventKey event) {
        retrying.remove(event);
    }

    /** Events held unacknowledged for their key's turn (a subscription with orderBy), on this instance. */
    public int heldCount() {
        SubscriptionListener l = listener;
        return l == null ? 0 : l.held();
    }

    /**
     * Events waiting in a retry queue for this subscription (sent there by this instance); once due
     * back they wait in its queue and count as waiting there, not here.
     */
    public int retryingCount() {
        Instant now = Instant.now();
        retrying.values().removeIf(r -> r.dueBack().plus(FORGET_AFTER).isBefore(now));
        return (int) retrying.values().stream().filter(r -> r.dueBack().isAfter(now)).count();
    }

    /** When the oldest event waiting in a retry queue for this subscription was published; null when none waits. */
    public Instant oldestRetryingSince() {
        Instant now = Instant.now();
        return retrying.values().stream().filter(r -> r.dueBack().isAfter(now)).map(Retrying::publishedAt)
                .min(Instant::compareTo).orElse(null);
    }

    /**
     * An upper bound of how long the oldest message waiting in the queue has waited: the messages
     * waiting entered the queue after the one taken last, so none has waited longer than it would
     * have. Null when nothing has been taken since the subscription started.
     */
    public Instant oldestWaitingSince() {
        return lastTakenEnqueuedAt;
    }

    Instant startedAt() {
        return startedAt;
    }
}
