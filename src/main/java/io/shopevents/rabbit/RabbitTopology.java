package io.shopevents.rabbit;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.ExchangeBuilder;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.core.HeadersExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixed part of the RabbitMQ topology (docs/architecture.md); each subscription adds its
 * own queue and bindings when it starts (SubscriptionTopology). Spring Boot's RabbitAdmin declares
 * this part whenever a connection opens, so a fresh (or reset) broker shows it at once.
 * <pre>
 *   shop.events (topic) --type--> shop.events.&lt;subscription&gt;      (one quorum queue each)
 *        | nothing bound for the type (alternate exchange)
 *        v
 *   shop.events.unrouted (fanout) --> shop.events.dlx (topic) --#--> shop.events.dead
 *        |                                                 (and --> shop.events.archive, below)
 *   shop.events --each subscribed type--> shop.events.archive (stream: every event, for replays)
 *   shop.events --shop.#--> shop.events.operational (the last 1,000 operational events, to look at)
 *
 *   shop.events.retry.&lt;delay&gt; (quorum, message TTL) --expired--> shop.events.retry (headers)
 *        --subscription=&lt;name&gt;--> shop.events.&lt;name&gt;      (back to that subscription only)
 * </pre>
 */
@Configuration
public class RabbitTopology {

    public static final String EXCHANGE = "shop.events";
    public static final String UNROUTED_EXCHANGE = "shop.events.unrouted";
    public static final String DEAD_LETTER_EXCHANGE = "shop.events.dlx";
    public static final String DEAD_LETTER_QUEUE = "shop.events.dead";
    /** Where expired retries go: a headers exchange that hands each back to its own subscription. */
    public static final String RETRY_EXCHANGE = "shop.events.retry";
    /** Every event, for replays into a subscription: a stream, bound for every type a subscription takes. */
    public static final String ARCHIVE = "shop.events.archive";
    /**
     * The last operational events (shop.subscription.paused, ...), for a look in the management UI:
     * bound for shop.#, so that one no subscription takes is not an unrouted event; the oldest go
     * when it holds OPERATIONAL_KEPT. Routes take them from queues of their own, like any event.
     */
    public static final String OPERATIONAL_QUEUE = "shop.events.operational";
    static final int OPERATIONAL_KEPT = 1000;
    /** The queue of the topology before subscriptions (one queue for everything); drained at start. */
    public static final String LEGACY_DISPATCH_QUEUE = "shop.events.dispatch";

    /**
     * Declares the topology on every new connection. A queue that already exists with other
     * arguments (say, another delivery limit) is kept as it is, with a warning, instead of
     * failing every declaration: change a live queue's settings with a policy.
     */
    @Bean
    RabbitAdmin rabbitAdmin(ConnectionFactory connectionFactory) {
        RabbitAdmin admin = new RabbitAdmin(connectionFactory);
        admin.setIgnoreDeclarationExceptions(true);
        return admin;
    }

    @Bean
    Declarables shopEventsTopology(@Value("${shop.subscriptions.retry.delays}") List<Duration> retryDelays,
                                   ArchiveProperties archive) {
        List<Declarable> declarables = new ArrayList<>();
        declarables.add(events());
        FanoutExchange unrouted = ExchangeBuilder.fanoutExchange(UNROUTED_EXCHANGE).durable(true).build();
        TopicExchange deadLetters = ExchangeBuilder.topicExchange(DEAD_LETTER_EXCHANGE).durable(true).build();
        Queue dead = QueueBuilder.durable(DEAD_LETTER_QUEUE).quorum().build();
        declarables.addAll(List.of(unrouted, deadLetters, dead,
                BindingBuilder.bind(deadLetters).to(unrouted),
                BindingBuilder.bind(dead).to(deadLetters).with("#")));
        Queue operational = QueueBuilder.durable(OPERATIONAL_QUEUE).quorum().maxLength(OPERATIONAL_KEPT)
                .overflow(QueueBuilder.Overflow.dropHead).build();
        declarables.addAll(List.of(operational, BindingBuilder.bind(operational).to(events()).with("shop.#")));
        HeadersExchange retry = ExchangeBuilder.headersExchange(RETRY_EXCHANGE).durable(true).build();
        declarables.add(retry);
        for (Duration delay : retryDelays) {
            declarables.add(retryQueue(delay));
        }
        if (archive.enabled()) {
            // not bound with #: that would route every event, and the alternate exchange would never
            // see one that no subscription takes; each subscription binds it for its own types
            // (SubscriptionTopology), and what no subscription takes comes through the unrouted exchange
            Queue stream = QueueBuilder.durable(ARCHIVE).stream()
                    .withArgument("x-max-age", archive.maxAge())
                    .withArgument("x-max-length-bytes", archive.maxBytes())
                    .build();
            declarables.add(stream);
            declarables.add(BindingBuilder.bind(stream).to(unrouted));
        }
        return new Declarables(declarables);
    }

    /** The exchange every event is published to; what no subscription takes goes to the alternate exchange. */
    static TopicExchange events() {
        return ExchangeBuilder.topicExchange(EXCHANGE).durable(true).alternate(UNROUTED_EXCHANGE).build();
    }

    /**
     * A queue where a failed message waits out its delay: it has no consumer; when the message
     * expires the broker dead-letters it (at least once) to the retry exchange, which routes it
     * by its subscription header back to the one subscription that failed it.
     */
    public static Queue retryQueue(Duration delay) {
        return QueueBuilder.durable(retryQueueName(delay))
                .quorum()
                .ttl((int) delay.toMillis())
                .deadLetterExchange(RETRY_EXCHANGE)
                .withArgument("x-dead-letter-strategy", "at-least-once")
                .overflow(QueueBuilder.Overflow.rejectPublish)
                .build();
    }

    /** shop.events.retry.500ms, shop.events.retry.5s, shop.events.retry.2m: readable in the management UI. */
    public static String retryQueueName(Duration delay) {
        long ms = delay.toMillis();
        String name = ms % 60_000 == 0 ? ms / 60_000 + "m" : ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
        return RETRY_EXCHANGE + "." + name;
    }
}
