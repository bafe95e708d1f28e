package io.shopevents.rabbit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.shopevents.event.CloudEventReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Brings a broker that an older version of shop-events used up to this topology, losing nothing:
 * <ul>
 * <li>shop.events without its alternate exchange (arguments of an exchange cannot change) is
 * deleted and declared again; the subscriptions then bind their queues to it anew;</li>
 * <li>shop.events.dispatch, the one queue of the topology before subscriptions, is unbound, and the
 * messages still in it are published again to shop.events (each confirmed before it is taken out),
 * so each reaches the subscriptions of its type; the empty queue is then deleted.</li>
 * </ul>
 */
@Component
public class TopologyUpgrade {

    private static final Logger log = LoggerFactory.getLogger(TopologyUpgrade.class);

    private final RabbitTemplate rabbit;
    private final RabbitAdmin admin;
    private final CloudEventReader reader;
    private final long confirmTimeout;
    private volatile boolean exchangeChecked;

    public TopologyUpgrade(RabbitTemplate rabbit, RabbitAdmin admin, CloudEventReader reader,
                           @Value("${shop.publish.confirm-timeout}") long confirmTimeout) {
        this.rabbit = rabbit;
        this.admin = admin;
        this.reader = reader;
        this.confirmTimeout = confirmTimeout;
    }

    /** Makes sure shop.events has its alternate exchange; once per process, before the first subscription binds. */
    public synchronized void ensureExchange() {
        if (exchangeChecked) {
            return;
        }
        boolean current = Boolean.TRUE.equals(rabbit.execute(channel -> {
            try {
                channel.exchangeDeclare(RabbitTopology.EXCHANGE, "topic", true, false,
                        Map.of("alternate-exchange", RabbitTopology.UNROUTED_EXCHANGE));
                return true;
            } catch (IOException e) {
                return false; // PRECONDITION_FAILED: it exists with other arguments (the channel is closed)
            }
        }));
        if (!current) {
            log.warn("{} was declared without its alternate exchange by an older version: declaring it again"
                    + " (bindings of queues other than shop-events' own must be made again)", RabbitTopology.EXCHANGE);
            admin.deleteExchange(RabbitTopology.EXCHANGE);
            admin.initialize();
        }
        exchangeChecked = true;
    }

    /**
     * Moves what is left in shop.events.dispatch to shop.events; returns how many messages moved.
     * Run once the subscriptions have bound their queues.
     */
    public int drainLegacyDispatchQueue() {
        if (!exists(RabbitTopology.LEGACY_DISPATCH_QUEUE)) {
            return 0;
        }
        admin.removeBinding(new org.springframework.amqp.core.Binding(RabbitTopology.LEGACY_DISPATCH_QUEUE,
                org.springframework.amqp.core.Binding.DestinationType.QUEUE, RabbitTopology.EXCHANGE, "#", null));
        int moved = rabbit.execute(channel -> {
            channel.confirmSelect();
            int count = 0;
            GetResponse response;
            while ((response = channel.basicGet(RabbitTopology.LEGACY_DISPATCH_QUEUE, false)) != null) {
                AMQP.BasicProperties properties = response.getProps();
                Map<String, Object> headers = properties.getHeaders() == null ? new HashMap<>() : new HashMap<>(properties.getHeaders());
                headers.remove("x-delivery-count");
                // routing is by type now: the old queue took everything whatever its routing key said
                String type = reader.typeOf(response.getBody(), headers);
                String routingKey = type != null ? type : response.getEnvelope().getRoutingKey();
                channel.basicPublish(RabbitTopology.EXCHANGE, routingKey, properties.builder().headers(headers).build(),
                        response.getBody());
                waitForConfirm(channel);
                channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
                count++;
            }
            return count;
        });
        var info = admin.getQueueInfo(RabbitTopology.LEGACY_DISPATCH_QUEUE);
        if (info != null && (info.getConsumerCount() > 0 || info.getMessageCount() > 0)) {
            log.warn("moved {} messages from {} to {}; the queue is not deleted: {} consumer(s) of an older version"
                    + " still take from it, and {} messages are in it; stop the older instances and start this one"
                    + " again (README, upgrading)", moved, RabbitTopology.LEGACY_DISPATCH_QUEUE, RabbitTopology.EXCHANGE,
                    info.getConsumerCount(), info.getMessageCount());
            return moved;
        }
        try {
            // quorum queues (3.10) cannot be deleted "if unused" or "if empty": both were looked at above,
            // and nothing is bound to it any more
            rabbit.execute(channel -> channel.queueDelete(RabbitTopology.LEGACY_DISPATCH_QUEUE));
            log.info("moved {} messages from {} (the topology before subscriptions) to {}, and deleted it",
                    moved, RabbitTopology.LEGACY_DISPATCH_QUEUE, RabbitTopology.EXCHANGE);
        } catch (AmqpException e) {
            log.warn("moved {} messages from {} to {}; the queue is not deleted ({})", moved,
                    RabbitTopology.LEGACY_DISPATCH_QUEUE, RabbitTopology.EXCHANGE, e.getMessage());
        }
        return moved;
    }

    private boolean exists(String queue) {
        return admin.getQueueInfo(queue) != null;
    }

    private void waitForConfirm(Channel channel) throws IOException {
        Confirms.await(channel, confirmTimeout, "the moved messages");
    }
}
