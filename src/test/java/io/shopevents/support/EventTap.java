package io.shopevents.support;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import java.util.UUID;

/**
 * An exclusive queue bound to shop.events with '#': it receives a copy of everything published
 * to the exchange from the moment it exists. Deleted on close, and by the broker when the test
 * JVM's connection closes. (Not auto-delete: that would delete it after the first receive.)
 */
public final class EventTap implements AutoCloseable {

    private static final long RECEIVE_TIMEOUT_MS = 10_000;

    private final RabbitAdmin admin;
    private final RabbitTemplate rabbit;
    private final Queue queue;

    public EventTap(RabbitTemplate rabbit) {
        this.rabbit = rabbit;
        this.admin = new RabbitAdmin(rabbit.getConnectionFactory());
        this.queue = new Queue("shop-events-test-tap-" + UUID.randomUUID(), false, true, false);
        admin.declareQueue(queue);
        admin.declareBinding(BindingBuilder.bind(queue).to(new TopicExchange("shop.events")).with("#"));
    }

    /** The next message published to shop.events, or null if none arrives within 10 s. */
    public Message next() {
        return rabbit.receive(queue.getName(), RECEIVE_TIMEOUT_MS);
    }

    @Override
    public void close() {
        admin.removeBinding(new Binding(queue.getName(), Binding.DestinationType.QUEUE, "shop.events", "#", null));
        admin.deleteQueue(queue.getName());
    }
}
