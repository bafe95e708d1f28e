package io.shopevents.rabbit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.support.DefaultMessagePropertiesConverter;
import org.springframework.amqp.rabbit.support.MessagePropertiesConverter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Where a subscription sends a message it could not process: to a retry queue, to wait there and
 * come back to it, or to the dead letters. Each publish is confirmed by the broker on the channel
 * the message was consumed on, before that channel acknowledges the original: if anything fails
 * in between, the original is redelivered (a duplicate at worst, which idempotency absorbs).
 */
@Component
public class FailedMessages {

    /** Header values up to this size stay strings (Spring AMQP's default turns longer ones into streams). */
    public static final int LONG_STRING_LIMIT = 64 * 1024;
    private static final int PERSISTENT = 2;

    private final MessagePropertiesConverter converter = new DefaultMessagePropertiesConverter(LONG_STRING_LIMIT);
    private final long confirmTimeout;

    public FailedMessages(@Value("${shop.publish.confirm-timeout}") long confirmTimeout) {
        this.confirmTimeout = confirmTimeout;
    }

    /** The converter the subscriptions' listener containers read messages with. */
    public MessagePropertiesConverter converter() {
        return converter;
    }

    /**
     * Puts the message in the retry queue of this delay; when the delay is over the broker hands it
     * back to this subscription only, with the count of attempts that have failed so far.
     */
    public void retry(Channel channel, Message message, String subscription, int failedAttempts, Duration delay)
            throws IOException {
        Map<String, Object> headers = headersOf(message);
        headers.put(FailureHeaders.SUBSCRIPTION, subscription);
        headers.put(FailureHeaders.ATTEMPTS, failedAttempts);
        headers.putIfAbsent(FailureHeaders.ROUTING_KEY, routingKeyOf(message));
        // when it will be back in the subscription's queue: what the age of waiting messages is measured from
        Instant back = Instant.now().plus(delay);
        publish(channel, "", RabbitTopology.retryQueueName(delay), message, headers, back);
    }

    /** Publishes the message, as it was consumed, to the dead letters with headers saying why; the letter's id. */
    public String deadLetter(Channel channel, Message message, String subscription, int attempts, Throwable failure,
                             String route) throws IOException {
        Map<String, Object> headers = headersOf(message);
        String letterId = letterId(message, subscription, attempts);
        headers.put(FailureHeaders.DEAD_LETTER_ID, letterId);
        headers.put(FailureHeaders.SUBSCRIPTION, subscription);
        headers.put(FailureHeaders.ATTEMPTS, attempts);
        headers.put(FailureHeaders.EXCEPTION_CLASS, failure.getClass().getName());
        headers.put(FailureHeaders.EXCEPTION_MESSAGE, FailureHeaders.cut(String.valueOf(failure.getMessage())));
        headers.put(FailureHeaders.FAILED_AT, OffsetDateTime.now(ZoneOffset.UTC).toString());
        if (route != null) {
            headers.put(FailureHeaders.FAILED_ROUTE, route);
        }
        String routingKey = routingKeyOf(message);
        headers.putIfAbsent(FailureHeaders.ROUTING_KEY, routingKey);
        publish(channel, RabbitTopology.DEAD_LETTER_EXCHANGE, routingKey, message, headers, Instant.now());
        return letterId;
    }

    private void publish(Channel channel, String exchange, String routingKey, Message message, Map<String, Object> headers,
                         Instant timestamp) throws IOException {
        MessageProperties source = message.getMessageProperties();
        AMQP.BasicProperties properties = converter.fromMessageProperties(source, StandardCharsets.UTF_8.name())
                .builder()
                .deliveryMode(PERSISTENT)
                .timestamp(Date.from(timestamp))
                .headers(headers)
                .build();
        channel.confirmSelect();
        channel.basicPublish(exchange, routingKey, properties, message.getBody());
        Confirms.await(channel, confirmTimeout, "the failed message");
    }

    /**
     * A dead letter's id: the same for the same message failed by the same subscription at the same
     * attempt, so a letter dead-lettered again (its consumer lost the connection before it could
     * acknowledge the original) is known as a copy, listed once and replayed once. Everything that
     * tells two events apart goes in: a binary-mode event's attributes (cloudEvents:* headers, its
     * source among them) and the routing key (its type) are not in the body.
     */
    /** The AMQP binding's attribute headers: cloudEvents:id, and cloudEvents_id as JMS names them. */
    private static final String CLOUDEVENTS_HEADER_PREFIX = "cloudEvents";

    static String letterId(Message message, String subscription, int attempts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Map<String, Object> headers = message.getMessageProperties().getHeaders();
            List<Object> parts = new ArrayList<>(List.of(String.valueOf(subscription),
                    String.valueOf(message.getMessageProperties().getMessageId()), attempts,
                    String.valueOf(headers.get(FailureHeaders.REPLAY_COUNT)), routingKeyOf(message)));
            new TreeMap<>(headers).forEach((name, value) -> {
                if (name.startsWith(CLOUDEVENTS_HEADER_PREFIX)) {
                    parts.add(name);
                    parts.add(String.valueOf(value));
                }
            });
            for (Object part : parts) {
                byte[] bytes = String.valueOf(part).getBytes(StandardCharsets.UTF_8);
                digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array()); // length first: no two splits alike
                digest.update(bytes);
            }
            digest.update(message.getBody());
            UUID id = UUID.nameUUIDFromBytes(digest.digest());
            return id.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static Map<String, Object> headersOf(Message message) {
        Map<String, Object> headers = new HashMap<>(message.getMessageProperties().getHeaders());
        headers.remove("x-death"); // the retry queues' own bookkeeping: it only grows
        headers.remove("x-first-death-exchange");
        headers.remove("x-first-death-queue");
        headers.remove("x-first-death-reason");
        headers.remove("x-last-death-exchange");
        headers.remove("x-last-death-queue");
        headers.remove("x-last-death-reason");
        headers.remove("x-delivery-count");
        return headers;
    }

    private static String routingKeyOf(Message message) {
        Object kept = message.getMessageProperties().getHeaders().get(FailureHeaders.ROUTING_KEY);
        if (kept != null) {
            return kept.toString();
        }
        String received = message.getMessageProperties().getReceivedRoutingKey();
        return received == null ? "" : received;
    }
}
