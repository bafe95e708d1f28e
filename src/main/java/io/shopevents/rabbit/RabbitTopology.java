package io.shopevents.rabbit;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.ExchangeBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The RabbitMQ topology of ../shared/ARCHITECTURE.md. Spring Boot's RabbitAdmin declares it
 * whenever a connection opens, so a fresh (or reset) broker shows it in the management UI at once.
 * The routes under routes/ use these names; they do not declare anything themselves.
 */
@Configuration
public class RabbitTopology {

    public static final String EXCHANGE = "shop.events";
    public static final String DISPATCH_QUEUE = "shop.events.dispatch";
    public static final String DEAD_LETTER_EXCHANGE = "shop.events.dlx";
    public static final String DEAD_LETTER_QUEUE = "shop.events.dead";

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
    Declarables shopEventsTopology(@Value("${shop.dispatch.delivery-limit}") int deliveryLimit) {
        TopicExchange events = ExchangeBuilder.topicExchange(EXCHANGE).durable(true).build();
        TopicExchange deadLetters = ExchangeBuilder.topicExchange(DEAD_LETTER_EXCHANGE).durable(true).build();
        Queue dispatch = QueueBuilder.durable(DISPATCH_QUEUE)
                .quorum()
                .deadLetterExchange(DEAD_LETTER_EXCHANGE)
                // the broker's own safety net: a message redelivered this often (a consumer that
                // crashes on it every time) is dead-lettered instead of looping forever
                .deliveryLimit(deliveryLimit)
                // dead-letter at-least-once, so not even the broker drops it on the way (needs reject-publish)
                .withArgument("x-dead-letter-strategy", "at-least-once")
                .overflow(QueueBuilder.Overflow.rejectPublish)
                .build();
        Queue dead = QueueBuilder.durable(DEAD_LETTER_QUEUE).quorum().build();
        Binding dispatchAll = BindingBuilder.bind(dispatch).to(events).with("#");
        Binding deadAll = BindingBuilder.bind(dead).to(deadLetters).with("#");
        return new Declarables(events, deadLetters, dispatch, dead, dispatchAll, deadAll);
    }
}
