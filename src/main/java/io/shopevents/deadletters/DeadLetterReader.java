package io.shopevents.deadletters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import io.shopevents.deadletters.DeadLetters.DeadLetter;
import io.shopevents.event.CloudEventReader;
import io.shopevents.rabbit.FailureHeaders;
import io.shopevents.rabbit.RabbitTopology;
import io.shopevents.subscription.Subscription;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What a dead letter says: the headers the subscription that failed it wrote (subscription, reason,
 * attempts, when), or for a message the broker dead-lettered itself, what its x-death header says,
 * or for one no subscription took, that it was unrouted.
 */
@Component
class DeadLetterReader {

    private final ObjectMapper mapper;
    private final CloudEventReader reader;

    DeadLetterReader(ObjectMapper mapper, CloudEventReader reader) {
        this.mapper = mapper;
        this.reader = reader;
    }

    DeadLetterScan.Held described(DeadLetterScan.Held raw, int position) {
        AMQP.BasicProperties properties = raw.properties();
        Map<String, Object> headers = properties.getHeaders() == null ? Map.of() : properties.getHeaders();
        Map<String, Object> death = firstDeath(headers);
        // the header is ours only on a message that went through our queues; on an unrouted one a producer set it
        String subscription = headers.containsKey(FailureHeaders.DEAD_LETTER_ID) || death != null
                ? text(headers.get(FailureHeaders.SUBSCRIPTION)) : null;
        if (subscription == null && death != null) {
            subscription = subscriptionOfQueue(text(death.get("queue")));
        }
        JsonNode json = parse(raw.body());
        String routingKey = text(headers.get(FailureHeaders.ROUTING_KEY));
        if (routingKey == null) {
            routingKey = raw.envelope().getRoutingKey();
        }
        String reason;
        if (headers.containsKey(FailureHeaders.EXCEPTION_MESSAGE)) {
            reason = text(headers.get(FailureHeaders.EXCEPTION_MESSAGE));
        } else if (death != null) {
            reason = "dead-lettered by the broker from " + text(death.get("queue")) + " (" + text(death.get("reason"))
                    + (subscription == null ? "" : "; delivered too often, its consumer may crash on it") + ")";
        } else {
            reason = "unrouted: no subscription takes events with routing key '" + routingKey + "'";
        }
        Instant failedAt = instant(headers.get(FailureHeaders.FAILED_AT));
        if (failedAt == null && death != null && death.get("time") instanceof Date time) {
            failedAt = time.toInstant();
        }
        if (failedAt == null && properties.getTimestamp() != null) {
            failedAt = properties.getTimestamp().toInstant();
        }
        Object attempts = headers.get(FailureHeaders.ATTEMPTS);
        Object replays = headers.get(FailureHeaders.REPLAY_COUNT);
        DeadLetter letter = new DeadLetter(
                letterId(headers, death, raw, routingKey),
                properties.getMessageId() != null ? properties.getMessageId() : jsonText(json, "id", headers, "id"),
                jsonText(json, "source", headers, "source"),
                reader.typeOf(raw.body(), headers),
                subscription,
                routingKey,
                reason,
                text(headers.get(FailureHeaders.EXCEPTION_CLASS)),
                attempts instanceof Number n ? n.intValue() : null,
                failedAt == null ? null : failedAt.toString(),
                replays instanceof Number n ? n.intValue() : 0);
        return new DeadLetterScan.Held(raw.tag(), properties, raw.envelope(), raw.body(), position, letter, failedAt);
    }

    /** A dead letter's own id: ours, or for one the broker dead-lettered, a digest of what makes it unique. */
    private static String letterId(Map<String, Object> headers, Map<String, Object> death, DeadLetterScan.Held raw, String routingKey) {
        Object id = headers.get(FailureHeaders.DEAD_LETTER_ID);
        if (id != null) {
            return id.toString();
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(String.valueOf(death == null ? null : death.get("queue")).getBytes(StandardCharsets.UTF_8));
            digest.update(String.valueOf(death == null ? null : death.get("time") instanceof Date d ? d.getTime() : null)
                    .getBytes(StandardCharsets.UTF_8));
            digest.update(String.valueOf(raw.properties().getMessageId()).getBytes(StandardCharsets.UTF_8));
            digest.update(routingKey.getBytes(StandardCharsets.UTF_8));
            digest.update(raw.body());
            return HexFormat.of().formatHex(digest.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstDeath(Map<String, Object> headers) {
        if (headers.get("x-death") instanceof List<?> deaths && !deaths.isEmpty() && deaths.get(deaths.size() - 1) instanceof Map<?, ?> death) {
            return (Map<String, Object>) death;
        }
        return null;
    }

    /** shop.events.welcome-mail → welcome-mail; the fixed queues name no subscription. */
    private static String subscriptionOfQueue(String queue) {
        String prefix = RabbitTopology.EXCHANGE + ".";
        if (queue == null || !queue.startsWith(prefix)) {
            return null;
        }
        String name = queue.substring(prefix.length());
        return Subscription.NAME.matcher(name).matches() && !RabbitTopology.LEGACY_DISPATCH_QUEUE.equals(queue) ? name : null;
    }

    private String jsonText(JsonNode json, String field, Map<String, Object> headers, String attribute) {
        if (json != null && json.path(field).isTextual()) {
            return json.get(field).asText();
        }
        Object binary = headers.get("cloudEvents:" + attribute);
        if (binary == null) {
            binary = headers.get("cloudEvents_" + attribute);
        }
        return text(binary);
    }

    private JsonNode parse(byte[] body) {
        try {
            return mapper.readTree(body);
        } catch (IOException | RuntimeException e) {
            return null; // a dead letter need not be JSON: that may be why it is dead
        }
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static Instant instant(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.toString()).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

}
