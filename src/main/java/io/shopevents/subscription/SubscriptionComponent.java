package io.shopevents.subscription;

import io.micrometer.core.instrument.MeterRegistry;
import io.shopevents.event.CloudEventReader;
import io.shopevents.event.EventDataValidator;
import io.shopevents.rabbit.FailedMessages;
import io.shopevents.store.ProcessedEvents;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.Map;

/**
 * The Camel component behind {@code from: subscription:<name>} in a route file: the route's steps
 * receive each event of the types the subscription takes, from its own queue. See
 * {@link SubscriptionEndpoint} for the options and {@link SubscriptionListener} for what happens
 * to each message.
 */
@Component("subscription")
@EnableConfigurationProperties({SubscriptionProperties.class, io.shopevents.rabbit.ArchiveProperties.class})
public class SubscriptionComponent extends DefaultComponent {

    final ConnectionFactory connectionFactory;
    final SubscriptionTopology topology;
    final SubscriptionRegistry registry;
    final SubscriptionProperties properties;
    final CloudEventReader reader;
    final EventDataValidator knownTypes;
    final ProcessedEvents processedEvents;
    final TransactionTemplate transaction;
    /** Inside {@link #transaction}: one event's work, undone alone if it fails (a JDBC savepoint). */
    final TransactionTemplate savepoint;
    final FailedMessages failedMessages;
    final EventLatency latency;
    final MeterRegistry meters;
    final SubscriptionState state;
    final org.springframework.amqp.rabbit.core.RabbitAdmin admin;
    final io.shopevents.store.OneInstancePerH2 oneInstancePerH2;
    final io.shopevents.tracing.EventTracing tracing;
    final io.shopevents.store.SubscriptionControls controls;
    final io.shopevents.store.SubscriptionPaces paces;
    final io.shopevents.store.DeliveryLog deliveryLog;
    final OperationalEvents operationalEvents;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper;

    public SubscriptionComponent(ConnectionFactory connectionFactory, SubscriptionTopology topology,
                                 SubscriptionRegistry registry, SubscriptionProperties properties,
                                 CloudEventReader reader, EventDataValidator knownTypes,
                                 ProcessedEvents processedEvents, TransactionTemplate transaction,
                                 FailedMessages failedMessages, EventLatency latency, MeterRegistry meters,
                                 SubscriptionState state, org.springframework.amqp.rabbit.core.RabbitAdmin admin,
                                 io.shopevents.store.OneInstancePerH2 oneInstancePerH2,
                                 io.shopevents.tracing.EventTracing tracing,
                                 com.fasterxml.jackson.databind.ObjectMapper mapper,
                                 io.shopevents.store.SubscriptionControls controls, io.shopevents.store.SubscriptionPaces paces,
                                 io.shopevents.store.DeliveryLog deliveryLog, OperationalEvents operationalEvents) {
        this.tracing = tracing;
        this.controls = controls;
        this.paces = paces;
        this.deliveryLog = deliveryLog;
        this.operationalEvents = operationalEvents;
        this.mapper = mapper;
        this.connectionFactory = connectionFactory;
        this.topology = topology;
        this.registry = registry;
        this.properties = properties;
        this.reader = reader;
        this.knownTypes = knownTypes;
        this.processedEvents = processedEvents;
        this.transaction = transaction;
        this.savepoint = new TransactionTemplate(transaction.getTransactionManager());
        this.savepoint.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
        this.failedMessages = failedMessages;
        this.latency = latency;
        this.meters = meters;
        this.state = state;
        this.admin = admin;
        this.oneInstancePerH2 = oneInstancePerH2;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        EventConverters.register(getCamelContext(), mapper);
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        SubscriptionEndpoint endpoint = new SubscriptionEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        endpoint.checkOptions();
        return endpoint;
    }
}
