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
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
    /** Starts and stops the container (the circuit, pauses, waits): never on a listener's own thread. */
    private ScheduledExecutorService actions;
    private Pace pace;
    private FailureStreak streak;
    /** Its control row while it is paused (on any instance); null while it is not. */
    private volatile SubscriptionControls.Control pause;
    /** Its messages wait on the broker until then (a wait longer than shop.subscriptions.longest-hold). */
    private volatile Instant waitingUntil;
    /** When this instance last paused or resumed it (System.nanoTime()): a control poll read before that is out of date. */
    private volatile long changedAt = System.nanoTime();
    private volatile boolean stopping;
    /** When the message taken last had entered the queue (for the age of the oldest waiting message). */
    private volatile Instant lastTakenEnqueuedAt;
    /** Events this instance sent to a retry queue and has not taken back yet, with when they were published. */
    private final Map<EventKey, Instant> retrying = new ConcurrentHashMap<>();
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
        stopping = false;
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
        try {
            SubscriptionControls.Control row = component.controls.ensure(subscription.name());
            pause = row.paused() ? row : null;
            streak.seen(row);
        } catch (DataAccessException e) {
            log.warn("subscription {}: cannot read whether it is paused now ({}); the control poll will tell",
                    subscription.name(), e.getMessage());
        }
        actions = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, subscription.name() + "-control"));
        // ordered: the circuit does not stop its consumer (what is held would go back to the queue,
        // each delivery counted again); the events park in place instead
        circuit = new SubscriptionCircuit(subscription.name(), component.properties.getCircuitBreaker(),
                new SubscriptionCircuit.Switch() {
                    @Override
                    public void pause() {
                        reconsider();
                    }

                    @Override
                    public void resume() {
                        reconsider();
                    }
                });
        listener = new SubscriptionListener(this, component, circuit);
        container = newContainer(listener);
        if (shouldRun()) {
            container.start();
        } else {
            log.warn("subscription {} is paused ({} at {}: {}); its events wait in its queue until POST"
                    + " /api/subscriptions/{}/resume", subscription.name(), pause.pausedBy(), pause.pausedAt(),
                    pause.reason(), subscription.name());
        }
        metrics.register();
        log.info("subscription {} consumes {} (types {}, {}{}) with {} consumers, prefetch {}, batches of up to {} within {} ms",
                subscription.name(), subscription.queue(), subscription.types(), filter,
                subscription.ordered() ? ", in order by " + subscription.orderBy() : "",
                subscription.ordered() ? 1 : subscription.consumers(),
                subscription.prefetch(), subscription.batchSize(), subscription.batchWait().toMillis());
    }

    @Override
    protected void doStop() throws Exception {
        stopping = true;
        try {
            if (circuit != null) {
                circuit.close();
            }
            if (actions != null) {
                actions.shutdown();
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
        c.setAutoStartup(false);
        c.afterPropertiesSet();
        return c;
    }

    /** Why the subscription takes no events now: paused (until null), or waiting on the broker until a time. */
    record Gate(String why, Instant until) {
    }

    /** Null while it may deliver; else why not. */
    Gate gate() {
        SubscriptionControls.Control paused = pause;
        if (paused != null) {
            return new Gate("paused", null);
        }
        Instant until = waitingUntil;
        return until != null && Instant.now().isBefore(until) ? new Gate("waiting", until) : null;
    }

    private boolean shouldRun() {
        // ordered: an open circuit parks the events in place
        return !stopping && gate() == null && (subscription.ordered() || !circuit.isOpen());
    }

    /** Starts or stops the container as the circuit, a pause or a wait say, on the control thread. */
    private java.util.concurrent.Future<?> reconsider() {
        try {
            return actions.submit(() -> {
                boolean run = shouldRun();
                if (run && !container.isRunning()) {
                    container.start();
                } else if (!run && !stopping && container.isRunning()) {
                    // what the consumers hold reaches the listener, which sends it back (SubscriptionListener)
                    container.stop();
                }
            });
        } catch (RejectedExecutionException e) {
            return java.util.concurrent.CompletableFuture.completedFuture(null); // stopping
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean handingBack = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * An ordered subscription left messages unacknowledged that it will not take now: its consumer
     * stops, so that the broker has them back in order (and starts again if it may).
     */
    void handBack() {
        if (!handingBack.compareAndSet(false, true)) {
            return;
        }
        try {
            actions.execute(() -> {
                handingBack.set(false);
                if (stopping) {
                    return;
                }
                if (container.isRunning()) {
                    container.stop();
                }
                if (shouldRun()) {
                    container.start();
                }
            });
        } catch (RejectedExecutionException e) {
            handingBack.set(false);
        }
    }

    /** Paused (here, or on another instance): it stops taking events; they wait in its queue. */
    void paused(SubscriptionControls.Control row) {
        pause = row;
        changedAt = System.nanoTime();
        reconsider();
    }

    /** Paused by hand, on this instance: its consumers have stopped when the answer says so. */
    void pausedByHand(SubscriptionControls.Control row) {
        pause = row;
        changedAt = System.nanoTime();
        awaitConsumers(reconsider());
    }

    /** Resumed: it takes events again (unless its circuit or a wait says otherwise). */
    void resumed() {
        pause = null;
        changedAt = System.nanoTime();
        circuit.reset();
        // by hand, on this instance: its consumers run when the answer says so
        awaitConsumers(reconsider());
    }

    private void awaitConsumers(java.util.concurrent.Future<?> change) {
        try {
            change.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("subscription {}: its consumers are slow to stop or start ({})", subscription.name(), e.toString());
        }
    }

    /** Its next slot is further away than it may hold messages for: they go back, and it takes none until then. */
    void waitUntil(Instant until) {
        synchronized (this) {
            if (waitingUntil == null || until.isAfter(waitingUntil)) {
                waitingUntil = until;
            }
        }
        log.info("subscription {} takes no events until {} (its rate limit or its downstream's Retry-After); they"
                + " wait in its queue", subscription.name(), until);
        reconsider();
        try {
            actions.schedule(() -> {
                        reconsider();
                    }, Math.max(1, Duration.between(Instant.now(), until).toMillis() + 1),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** What the control poll read (at {@code readAt}, System.nanoTime()): its row, and how far ahead its next slot lies. */
    void controlled(SubscriptionControls.Control row, Duration ahead, long readAt) {
        if (readAt - changedAt < 0) {
            return; // this instance paused or resumed it since: the next poll reads that
        }
        streak.seen(row);
        pace.ahead(ahead);
        boolean paused = row != null && row.paused();
        if (paused && pause == null) {
            log.warn("subscription {} paused ({} at {}: {}); its events wait in its queue", subscription.name(),
                    row.pausedBy(), row.pausedAt(), row.reason());
            pause = row;
            reconsider();
        } else if (!paused && pause != null) {
            log.info("subscription {} resumed", subscription.name());
            pause = null;
            circuit.reset();
            reconsider();
        }
    }

    /** Its control row while it is paused; null while it is not. */
    public SubscriptionControls.Control pausedAs() {
        return pause;
    }

    /** Until when it takes no events to respect its pace; null when it does. */
    public Instant waitingUntil() {
        Gate gate = gate();
        return gate == null ? null : gate.until();
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

    /** The event is waiting in a retry queue (retried, or parked while the circuit is open). */
    void retrying(EventKey event, Instant publishedAt) {
        retrying.put(event, publishedAt == null ? Instant.now() : publishedAt);
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

    /** Events waiting in the retry queues for this subscription (sent there by this instance). */
    public int retryingCount() {
        return retrying.size();
    }

    /** When the oldest event waiting in a retry queue for this subscription was published; null when none waits. */
    public Instant oldestRetryingSince() {
        return retrying.values().stream().min(Instant::compareTo).orElse(null);
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
