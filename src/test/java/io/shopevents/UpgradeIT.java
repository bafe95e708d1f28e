package io.shopevents;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upgrading from the topology before subscriptions loses nothing: messages an older version left
 * in shop.events.dispatch are moved to shop.events at start, reach the subscription of their type
 * and are applied; the old queue is then deleted.
 */
class UpgradeIT extends IntegrationTest {

    private static final String RUN = "upgrade-" + UUID.randomUUID();
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Before the application starts: the queue as the older version declared it, with three events in it. */
    @BeforeAll
    static void anOlderVersionLeftEventsInItsDispatchQueue() throws Exception {
        try (Connection connection = new ConnectionFactory().newConnection("shop-events UpgradeIT");
             Channel channel = connection.createChannel()) {
            channel.queueDeclare("shop.events.dispatch", true, false, false, Map.of("x-queue-type", "quorum",
                    "x-dead-letter-exchange", "shop.events.dlx", "x-delivery-limit", 10));
            channel.confirmSelect();
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            // the old dispatch route read the type from the body, whatever the routing key said
            publish(channel, persistent, cloudEvent(RUN + "-1", "order_placed",
                    "{\"orderId\":\"" + RUN + "\",\"userId\":\"u\",\"orderTotal\":5}"));
            publish(channel, persistent, cloudEvent(RUN + "-2", "payment_processed",
                    "{\"paymentId\":\"" + RUN + "\",\"orderId\":\"" + RUN + "\",\"paymentAmount\":5}"));
            publish(channel, persistent, cloudEvent(RUN + "-3", "user_registered",
                    "{\"userId\":\"u\",\"username\":\"Old\",\"email\":\"" + RUN + "@example.com\"}"));
            channel.waitForConfirmsOrDie(10_000);
        }
    }

    private static void publish(Channel channel, AMQP.BasicProperties properties, String body) throws Exception {
        channel.basicPublish("", "shop.events.dispatch", properties, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void eventsLeftInTheOldDispatchQueueAreAppliedAndTheQueueIsDeleted() {
        await().atMost(WAIT).until(() -> get("/api/orders/" + RUN).statusCode() == 200);
        await().atMost(WAIT).until(() -> json(get("/api/orders/" + RUN).body()).get("status").asText().equals("PAID"));
        await().atMost(WAIT).until(() -> mailsTo(RUN + "@example.com").size() == 1);
        await().atMost(WAIT).until(() -> Broker.queuesMatching("shop\\.events\\.dispatch").isEmpty());
        assertThat(get("/api/payments/" + RUN).statusCode()).isEqualTo(200);
    }
}
