package io.shopevents.rabbit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.shopevents.api.BadRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Operations on shop.events.dead for operators: list what is there without consuming it, and
 * replay messages to shop.events for another try. A replayed message is removed from the dead
 * letters only once the broker has confirmed its republication; if anything fails on the way,
 * the channel closes and the broker puts it back.
 */
@Component("deadLetterQueue")
public class DeadLetterQueue {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterQueue.class);
    private static final int DEFAULT_LIST_LIMIT = 100;
    private static final int MAX_LIST_LIMIT = 1000;
    private static final String REPLAY_COUNT = "x-replay-count";
    /** Headers about the last failure: they do not travel with a replayed message. */
    private static final Set<String> FAILURE_HEADERS = Set.of(DeadLetterReason.EXCEPTION_CLASS,
            DeadLetterReason.EXCEPTION_MESSAGE, DeadLetterReason.FAILED_ROUTE, DeadLetterReason.FAILED_ENDPOINT,
            DeadLetterReason.ATTEMPTS,
            DeadLetterReason.FAILED_AT, "x-death", "x-first-death-exchange", "x-first-death-queue",
            "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
            "x-delivery-count");

    public record DeadLetter(String id, String type, String routingKey, String reason, String exceptionClass,
                             Integer attempts, String failedAt, int replays) {
    }

    public record Listing(long count, List<DeadLetter> deadLetters) {
    }

    public record Replayed(int replayed, long remaining) {
    }

    private final RabbitTemplate rabbit;
    private final ObjectMapper mapper;
    private final long confirmTimeout;

    public DeadLetterQueue(RabbitTemplate rabbit, ObjectMapper mapper,
                           @Value("${shop.publish.confirm-timeout}") long confirmTimeout) {
        this.rabbit = rabbit;
        this.mapper = mapper;
        this.confirmTimeout = confirmTimeout;
    }

    /** Up to limit dead letters, oldest first, left in the queue; count is how many the queue holds. */
    public Listing list(String limit) {
        int max = limit(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        return rabbit.execute(channel -> {
            long count = channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE);
            List<DeadLetter> letters = new ArrayList<>();
            List<Long> held = new ArrayList<>();
            try {
                GetResponse response;
                while (letters.size() < max
                        && (response = channel.basicGet(RabbitTopology.DEAD_LETTER_QUEUE, false)) != null) {
                    held.add(response.getEnvelope().getDeliveryTag());
                    letters.add(describe(response));
                }
            } finally {
                // give every message back, as it was, in one go
                if (!held.isEmpty()) {
                    channel.basicNack(held.get(held.size() - 1), true, true);
                }
            }
            return new Listing(count, letters);
        });
    }

    /**
     * Moves up to limit dead letters (default: as many as the queue holds now, so messages that
     * fail again during the replay are not taken twice) back to shop.events, each with its
     * original routing key, body and properties, less the failure headers.
     */
    public Replayed replay(String limit) {
        Integer requested = limit == null || limit.isBlank() ? null : limit(limit, 0, Integer.MAX_VALUE);
        return rabbit.execute(channel -> {
            long present = channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE);
            int max = requested != null ? requested : (int) Math.min(present, Integer.MAX_VALUE);
            channel.confirmSelect();
            int replayed = 0;
            GetResponse response;
            while (replayed < max && (response = channel.basicGet(RabbitTopology.DEAD_LETTER_QUEUE, false)) != null) {
                republish(channel, response);
                replayed++;
            }
            long remaining = channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE);
            log.info("replayed {} dead letters to {}; {} left", replayed, RabbitTopology.EXCHANGE, remaining);
            return new Replayed(replayed, remaining);
        });
    }

    private void republish(Channel channel, GetResponse response) throws IOException {
        AMQP.BasicProperties original = response.getProps();
        Map<String, Object> headers = new HashMap<>(original.getHeaders() == null ? Map.of() : original.getHeaders());
        FAILURE_HEADERS.forEach(headers::remove);
        headers.put(REPLAY_COUNT, replays(original) + 1);
        channel.basicPublish(RabbitTopology.EXCHANGE, response.getEnvelope().getRoutingKey(),
                original.builder().headers(headers).build(), response.getBody());
        try {
            channel.waitForConfirmsOrDie(confirmTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the broker's confirm", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the broker did not confirm a replayed message in time", e);
        }
        // only now is it safe to let go of the dead letter
        channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
    }

    private DeadLetter describe(GetResponse response) {
        AMQP.BasicProperties props = response.getProps();
        Map<String, Object> headers = props.getHeaders() == null ? Map.of() : props.getHeaders();
        JsonNode event = parse(response.getBody());
        String id = props.getMessageId() != null ? props.getMessageId() : text(event, "id");
        String reason = headers.containsKey(DeadLetterReason.EXCEPTION_MESSAGE)
                ? String.valueOf(headers.get(DeadLetterReason.EXCEPTION_MESSAGE))
                : headers.containsKey("x-first-death-reason")
                ? "dead-lettered by the broker: " + headers.get("x-first-death-reason")
                : null;
        return new DeadLetter(id, text(event, "type"), response.getEnvelope().getRoutingKey(), reason,
                headers.get(DeadLetterReason.EXCEPTION_CLASS) == null ? null
                        : String.valueOf(headers.get(DeadLetterReason.EXCEPTION_CLASS)),
                headers.get(DeadLetterReason.ATTEMPTS) instanceof Number n ? n.intValue() : null,
                headers.get(DeadLetterReason.FAILED_AT) == null ? null
                        : String.valueOf(headers.get(DeadLetterReason.FAILED_AT)),
                replays(props));
    }

    private static int replays(AMQP.BasicProperties props) {
        Object count = props.getHeaders() == null ? null : props.getHeaders().get(REPLAY_COUNT);
        return count instanceof Number n ? n.intValue() : 0;
    }

    private JsonNode parse(byte[] body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            return null; // a dead letter need not be JSON: that may be why it is dead
        }
    }

    private static String text(JsonNode event, String field) {
        return event != null && event.path(field).isTextual() ? event.get(field).asText() : null;
    }

    private static int limit(String value, int byDefault, int max) {
        if (value == null || value.isBlank()) {
            return byDefault;
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit < 1 || limit > max) {
                throw new BadRequestException("limit must be between 1 and " + max);
            }
            return limit;
        } catch (NumberFormatException e) {
            throw new BadRequestException("limit must be a whole number, not '" + value + "'");
        }
    }
}
