package io.shopevents.subscription;

import io.shopevents.event.EventDataValidator;
import io.shopevents.rabbit.ArchiveProperties;
import io.shopevents.rabbit.FailureHeaders;
import io.shopevents.rabbit.RabbitTopology;
import io.shopevents.rabbit.TopologyUpgrade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * A subscription's own part of the topology: its durable quorum queue shop.events.&lt;name&gt; (with a
 * single active consumer if it orders by a key), one
 * binding to shop.events per event type it takes, and the binding that brings its retries back.
 * Declared when the subscription starts, and again whenever a connection opens (a broker that
 * was reset gets them back). Bindings of known types the subscription no longer takes are removed.
 */
@Component
public class SubscriptionTopology {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionTopology.class);

    private final RabbitAdmin admin;
    private final TopologyUpgrade upgrade;
    private final EventDataValidator knownTypes;
    private final SubscriptionProperties properties;
    private final ArchiveProperties archive;
    private final SubscriptionRegistry registry;

    public SubscriptionTopology(RabbitAdmin admin, TopologyUpgrade upgrade, ConnectionFactory connectionFactory,
                                SubscriptionRegistry registry, EventDataValidator knownTypes,
                                SubscriptionProperties properties, ArchiveProperties archive) {
        this.admin = admin;
        this.upgrade = upgrade;
        this.archive = archive;
        this.registry = registry;
        this.knownTypes = knownTypes;
        this.properties = properties;
        // added after RabbitAdmin's own listener (admin is initialized before it is injected here), so
        // the exchanges exist when the subscriptions bind to them
        connectionFactory.addConnectionListener(connection -> registry.all().forEach(this::declareQuietly));
    }

    /** Declares the subscription's queue and bindings; fails if the broker cannot be reached. */
    public void declare(Subscription subscription) {
        upgrade.ensureExchange();
        QueueBuilder builder = QueueBuilder.durable(subscription.queue());
        if (subscription.ordered()) {
            // one consumer at a time across every instance takes the queue, in order; the others wait
            builder.singleActiveConsumer();
        }
        Queue queue = builder
                .quorum()
                .deadLetterExchange(RabbitTopology.DEAD_LETTER_EXCHANGE)
                // the broker's own safety net: a message delivered this often (a consumer that
                // crashes on it every time) is dead-lettered instead of looping forever
                .deliveryLimit(properties.getDeliveryLimit())
                // dead-letter at least once, so not even the broker drops it on the way (needs reject-publish)
                .withArgument("x-dead-letter-strategy", "at-least-once")
                .overflow(QueueBuilder.Overflow.rejectPublish)
                .build();
        try {
            // on a channel of its own: RabbitAdmin would log a queue declared with other arguments and go on
            admin.getRabbitTemplate().execute(channel -> channel.queueDeclare(queue.getName(), true, false, false,
                    queue.getArguments()));
        } catch (AmqpException e) {
            if (!String.valueOf(SubscriptionFilter.deepest(e)).contains("PRECONDITION_FAILED")) {
                throw e;
            }
            if (!String.valueOf(SubscriptionFilter.deepest(e)).contains("inequivalent arg 'x-single-active-consumer'")) {
                // another argument set when it was first declared (a delivery limit, say): it keeps that one
                log.info("queue {} keeps the arguments it was declared with ({})", queue.getName(), SubscriptionFilter.deepest(e));
                admin.declareQueue(queue);
            } else {
                throw new IllegalStateException("subscription " + subscription.name() + ": its queue " + queue.getName()
                        + (subscription.ordered() ? " was declared without orderBy; an ordered subscription needs a queue of"
                        + " its own with a single active consumer: use a new name, or drain and delete the queue"
                        : " was declared with orderBy (a single active consumer); without it, use a new name, or"
                        + " drain and delete the queue"), e);
            }
        }
        for (String type : subscription.types()) {
            admin.declareBinding(new Binding(queue.getName(), Binding.DestinationType.QUEUE, RabbitTopology.EXCHANGE, type, null));
        }
        for (String type : knownTypes.types()) {
            if (!subscription.takes(type)) {
                admin.removeBinding(new Binding(queue.getName(), Binding.DestinationType.QUEUE, RabbitTopology.EXCHANGE, type, null));
            }
        }
        // its own retry schedule may wait in queues the shared one does not have
        subscription.retryDelays().stream().filter(d -> !properties.getRetry().getDelays().contains(d))
                .forEach(d -> admin.declareQueue(RabbitTopology.retryQueue(d)));
        admin.declareBinding(new Binding(queue.getName(), Binding.DestinationType.QUEUE, RabbitTopology.RETRY_EXCHANGE, "",
                Map.of("x-match", "all", FailureHeaders.SUBSCRIPTION, subscription.name())));
        if (archive.enabled()) {
            for (String type : subscription.types()) {
                admin.declareBinding(new Binding(RabbitTopology.ARCHIVE, Binding.DestinationType.QUEUE, RabbitTopology.EXCHANGE, type, null));
            }
        }
    }

    /**
     * The archive takes the types some subscription takes, and nothing else: a type nobody takes
     * must reach the alternate exchange (and, through it, the dead letters and the archive). Run
     * once the subscriptions have started; removes the archive's bindings of known types no
     * running subscription takes (left by a subscription that is gone).
     */
    public void reconcileArchive() {
        if (!archive.enabled()) {
            return;
        }
        java.util.Set<String> taken = new java.util.HashSet<>();
        registry.all().forEach(s -> taken.addAll(s.types()));
        registry.retired().values().forEach(s -> taken.addAll(s.types()));
        for (String type : knownTypes.types()) {
            if (!taken.contains(type)) {
                admin.removeBinding(new Binding(RabbitTopology.ARCHIVE, Binding.DestinationType.QUEUE, RabbitTopology.EXCHANGE, type, null));
            }
        }
    }

    private void declareQuietly(Subscription subscription) {
        try {
            declare(subscription);
        } catch (AmqpException e) {
            log.warn("cannot declare the queue of subscription {} now ({}); it will be when a connection opens",
                    subscription.name(), e.getMessage());
        } catch (IllegalStateException e) {
            log.error("cannot declare the queue of subscription {}: {}", subscription.name(), e.getMessage());
        }
    }
}
