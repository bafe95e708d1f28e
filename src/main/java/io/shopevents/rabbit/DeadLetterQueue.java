package io.shopevents.rabbit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.shopevents.api.BadRequestException;
import io.shopevents.api.ConflictException;
import io.shopevents.event.CloudEventReader;
import io.shopevents.subscription.Subscription;
import io.swagger.v3.oas.annotations.media.Schema;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Operations on shop.events.dead for operators: list the dead letters without consuming them or
 * changing their order, and replay them, each to the subscription that failed it only.
 *
 * <p>A quorum queue cannot be read without taking its messages, and puts a message given back at
 * its end. So both operations take every dead letter (up to shop.dead-letters.scan-limit) with an
 * exclusive consumer, and give back all they do not replay in the order they came: with every
 * message taken and given back in order, the queue's order is what it was. A replayed letter is
 * removed only once the broker has confirmed its copy. Only one such operation runs at a time
 * (an exclusive consumer: across instances too).
 */
@Component("deadLetterQueue")
public class DeadLetterQueue {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterQueue.class);
    private static final int DEFAULT_LIST_LIMIT = 100;
    private static final int MAX_LIST_LIMIT = 1000;
    /** Dead letters taken at once are held in memory; beyond this a listing says it is not complete. */
    private static final long MAX_SCAN_BYTES = 32L * 1024 * 1024;
    private static final int CONFIRM_BATCH = 200;

    @Schema(description = "A dead letter: a message a subscription could not process, and why. What a message"
            + " that is not a CloudEvent does not say is null.")
    public record DeadLetter(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "The letter's own id, for replay.") String id,
            @Schema(nullable = true, description = "The event's id (CloudEvents id).") String eventId,
            @Schema(nullable = true) String source,
            @Schema(nullable = true, example = "user_registered") String type,
            @Schema(nullable = true, example = "welcome-mail",
                    description = "The subscription that failed it; null for an event no subscription takes (unrouted).")
            String subscription,
            @Schema(nullable = true) String routingKey,
            @Schema(nullable = true) String reason,
            @Schema(nullable = true) String exceptionClass,
            @Schema(nullable = true) Integer attempts,
            @Schema(nullable = true, format = "date-time") String failedAt,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int replays) {
    }

    /** {@code count}: dead letters in the queue; {@code matching}: those of the subscription asked for. */
    @Schema(description = "Dead letters, oldest first.")
    public record Listing(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Dead letters in the queue.") long count,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Those of the subscription asked for.") int matching,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "False when more were there than one listing looks at.") boolean complete,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<DeadLetter> deadLetters) {
    }

    @Schema(description = "A dead letter that was asked for and not replayed, and why.")
    public record NotReplayed(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String id,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String reason) {
    }

    @Schema(description = "Which dead letters to replay (the body is optional: without it, the oldest limit or all).")
    public record DeadLetterIds(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Ids of dead letters, as listed (1 to 10000).")
            List<String> ids) {
    }

    @Schema(description = "What a replay did.")
    public record Replayed(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int replayed,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) long remaining,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "False when it stopped at its time limit or did not see every letter: call again.") boolean complete,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<NotReplayed> notReplayed) {
    }

    private record Held(long tag, AMQP.BasicProperties properties, Envelope envelope, byte[] body, int position,
                        DeadLetter letter, Instant failedAt) {
    }

    private final RabbitConnections connections;
    private final RabbitAdmin admin;
    private final ObjectMapper mapper;
    private final CloudEventReader reader;
    private final long confirmTimeout;
    private final int scanLimit;
    private final Duration timeLimit;
    private final ReentrantLock oneAtATime = new ReentrantLock();

    public DeadLetterQueue(RabbitConnections connections, RabbitAdmin admin, ObjectMapper mapper, CloudEventReader reader,
                           @Value("${shop.publish.confirm-timeout}") long confirmTimeout,
                           @Value("${shop.dead-letters.scan-limit}") int scanLimit,
                           @Value("${shop.dead-letters.time-limit}") Duration timeLimit) {
        this.connections = connections;
        this.admin = admin;
        this.mapper = mapper;
        this.reader = reader;
        this.confirmTimeout = confirmTimeout;
        this.scanLimit = Math.min(Math.max(scanLimit, 1), 65_535);
        this.timeLimit = timeLimit;
    }

    /** Up to limit dead letters (of the subscription, if one is named), oldest first; the queue is left as it was. */
    public Listing list(@Header("subscription") String subscription, @Header("limit") String limit) {
        int max = limit(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        String wanted = subscriptionParameter(subscription);
        return withEveryLetter(scan -> {
            List<DeadLetter> matching = scan.letters().stream().filter(h -> matches(h, wanted)).map(Held::letter).toList();
            return new Listing(scan.count(), matching.size(), scan.complete(), matching.stream().limit(max).toList());
        });
    }

    /**
     * Sends dead letters back for another try, each to its own subscription's queue (a letter no
     * subscription took goes to shop.events again): those whose ids the body names
     * ({@code {"ids":[...]}}), else the oldest limit, else all (of the subscription, if one is named).
     */
    public Replayed replay(@Header("subscription") String subscription, @Header("limit") String limit, @Body byte[] body) {
        String wanted = subscriptionParameter(subscription);
        Set<String> ids = ids(body);
        Integer max = limit == null || limit.isBlank() ? null : limit(limit, 0, Integer.MAX_VALUE);
        Instant deadline = Instant.now().plus(timeLimit);
        return withEveryLetter(scan -> {
            List<Held> chosen = scan.letters().stream()
                    .filter(h -> matches(h, wanted))
                    .filter(h -> ids == null || ids.contains(h.letter().id()))
                    .limit(max == null ? Long.MAX_VALUE : max)
                    .toList();
            List<NotReplayed> notReplayed = new ArrayList<>();
            if (ids != null) {
                Set<String> found = new LinkedHashSet<>();
                chosen.forEach(h -> found.add(h.letter().id()));
                ids.stream().filter(id -> !found.contains(id))
                        .forEach(id -> notReplayed.add(new NotReplayed(id, "no such dead letter"
                                + (wanted == null ? "" : " of subscription " + wanted) + (scan.complete() ? "" : " among those looked at"))));
            }
            int replayed = send(scan, chosen, deadline, notReplayed);
            log.info("replayed {} dead letters ({} not replayed); {} left", replayed, notReplayed.size(), scan.count() - replayed);
            return new Replayed(replayed, scan.count() - replayed, replayed == chosen.size() && scan.complete(), notReplayed);
        });
    }

    /** Publishes each letter to its subscription, confirmed in batches, and removes those confirmed. */
    private int send(Scan scan, List<Held> chosen, Instant deadline, List<NotReplayed> notReplayed) throws IOException {
        Channel channel = scan.channel();
        Map<String, Boolean> queues = new HashMap<>();
        channel.confirmSelect();
        int replayed = 0;
        List<Held> unconfirmed = new ArrayList<>();
        for (Held held : chosen) {
            if (Instant.now().isAfter(deadline)) {
                notReplayed.add(new NotReplayed(held.letter().id(), "the replay's time limit was reached; call again"));
                continue;
            }
            String subscription = held.letter().subscription();
            if (subscription != null && !queues.computeIfAbsent(subscription, s -> admin.getQueueInfo(Subscription.queueOf(s)) != null)) {
                notReplayed.add(new NotReplayed(held.letter().id(), "subscription " + subscription + " has no queue "
                        + Subscription.queueOf(subscription) + " (its route file was removed?)"));
                continue;
            }
            Map<String, Object> headers = new HashMap<>(held.properties().getHeaders() == null ? Map.of() : held.properties().getHeaders());
            FailureHeaders.OF_A_FAILURE.forEach(headers::remove);
            headers.put(FailureHeaders.REPLAY_COUNT, held.letter().replays() + 1);
            AMQP.BasicProperties properties = held.properties().builder().headers(headers).timestamp(new Date()).build();
            if (subscription != null) {
                channel.basicPublish("", Subscription.queueOf(subscription), properties, held.body());
            } else {
                channel.basicPublish(RabbitTopology.EXCHANGE, held.letter().routingKey(), properties, held.body());
            }
            unconfirmed.add(held);
            if (unconfirmed.size() == CONFIRM_BATCH) {
                replayed += confirmAndRemove(scan, unconfirmed);
            }
        }
        return replayed + confirmAndRemove(scan, unconfirmed);
    }

    private int confirmAndRemove(Scan scan, List<Held> unconfirmed) throws IOException {
        Channel channel = scan.channel();
        if (unconfirmed.isEmpty()) {
            return 0;
        }
        try {
            channel.waitForConfirmsOrDie(confirmTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the broker's confirm", e);
        } catch (TimeoutException e) {
            throw new IOException("the broker did not confirm replayed messages in time", e);
        }
        // only now is it safe to let go of the dead letters
        for (Held held : unconfirmed) {
            // and every copy of the letter (a consumer that lost its connection after dead-lettering one)
            for (Held copy : scan.copies().getOrDefault(held.letter().id(), List.of(held))) {
                channel.basicAck(copy.tag(), false);
                scan.unacknowledged().remove(copy.tag());
            }
        }
        int count = unconfirmed.size();
        unconfirmed.clear();
        return count;
    }

    /** The dead letters taken; a letter acknowledged (replayed) leaves {@code unacknowledged}. */
    /**
     * The dead letters taken: each letter once, its copies (the same letter id, dead-lettered again
     * when a consumer lost its connection before it could acknowledge) under {@code copies}.
     */
    private record Scan(Channel channel, List<Held> letters, Map<String, List<Held>> copies, long count, boolean complete,
                        Set<Long> unacknowledged) {
    }

    @FunctionalInterface
    private interface Work<T> {
        T on(Scan scan) throws IOException;
    }

    /**
     * Takes every dead letter (up to the scan limit) with an exclusive consumer, sorted oldest first,
     * does the work, and gives back all it did not acknowledge, in the order they came.
     */
    private <T> T withEveryLetter(Work<T> work) {
        boolean locked;
        try {
            locked = oneAtATime.tryLock(timeLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConflictException("interrupted while waiting for another dead-letter operation");
        }
        if (!locked) {
            throw new ConflictException("another listing or replay of the dead letters is running; try again");
        }
        try {
            Channel channel = connections.operationChannel();
            try {
                return scan(channel, work);
            } catch (IOException e) {
                throw new org.springframework.amqp.AmqpIOException(e);
            } finally {
                RabbitConnections.close(channel);
            }
        } finally {
            oneAtATime.unlock();
        }
    }

    private <T> T scan(Channel channel, Work<T> work) throws IOException {
        long count = channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE);
        int want = (int) Math.min(count, scanLimit);
        if (want == 0) {
            return work.on(new Scan(channel, List.of(), Map.of(), count, true, new LinkedHashSet<>()));
        }
        LinkedBlockingQueue<Held> arrived = new LinkedBlockingQueue<>();
        channel.basicQos(want);
        String tag;
        try {
            tag = channel.basicConsume(RabbitTopology.DEAD_LETTER_QUEUE, false, "shop-events:dead-letters:" + UUID.randomUUID(),
                    false, true, null, new DefaultConsumer(channel) {
                        @Override
                        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                            arrived.add(new Held(envelope.getDeliveryTag(), properties, envelope, body, 0, null, null));
                        }
                    });
        } catch (IOException e) {
            throw new ConflictException("another listing or replay of the dead letters is running (on this or another"
                    + " instance); try again");
        }
        List<Held> taken = new ArrayList<>();
        Set<Long> unacknowledged = new LinkedHashSet<>();
        boolean complete = want == count;
        try {
            long bytes = 0;
            Instant quiet = Instant.now().plusSeconds(2);
            while (taken.size() < want && Instant.now().isBefore(quiet)) {
                Held held = arrived.poll(100, TimeUnit.MILLISECONDS);
                if (held != null) {
                    unacknowledged.add(held.tag());
                    taken.add(described(held, taken.size()));
                    bytes += held.body().length;
                    quiet = Instant.now().plusSeconds(2);
                    if (bytes > MAX_SCAN_BYTES) {
                        complete = false;
                        break;
                    }
                }
            }
            List<Held> sorted = new ArrayList<>(taken);
            sorted.sort(Comparator.comparing(Held::failedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                    .thenComparingInt(Held::position));
            Map<String, List<Held>> copies = new java.util.LinkedHashMap<>();
            sorted.forEach(held -> copies.computeIfAbsent(held.letter().id(), id -> new ArrayList<>()).add(held));
            List<Held> letters = copies.values().stream().map(same -> same.get(0)).toList();
            return work.on(new Scan(channel, letters, copies, count, complete && taken.size() == count, unacknowledged));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while taking the dead letters", e);
        } finally {
            channel.basicCancel(tag);
            arrived.forEach(late -> unacknowledged.add(late.tag()));
            // give back, in the order they came, every letter not replayed
            if (!unacknowledged.isEmpty() && channel.isOpen()) {
                channel.basicNack(unacknowledged.stream().mapToLong(Long::longValue).max().orElseThrow(), true, true);
                awaitGivenBack(channel, unacknowledged.size());
            }
        }
    }

    /**
     * A nack is asynchronous: the queue counts the letters again a moment later. The next listing
     * (on any channel) starts from the queue's count, so this one ends only once they are counted.
     */
    private static void awaitGivenBack(Channel channel, int givenBack) throws IOException {
        Instant deadline = Instant.now().plusSeconds(2);
        while (channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE) < givenBack && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private Held described(Held raw, int position) {
        AMQP.BasicProperties properties = raw.properties();
        Map<String, Object> headers = properties.getHeaders() == null ? Map.of() : properties.getHeaders();
        Map<String, Object> death = firstDeath(headers);
        String subscription = text(headers.get(FailureHeaders.SUBSCRIPTION));
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
        return new Held(raw.tag(), properties, raw.envelope(), raw.body(), position, letter, failedAt);
    }

    /** A dead letter's own id: ours, or for one the broker dead-lettered, a digest of what makes it unique. */
    private static String letterId(Map<String, Object> headers, Map<String, Object> death, Held raw, String routingKey) {
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

    private static boolean matches(Held held, String subscription) {
        return subscription == null || subscription.equals(held.letter().subscription());
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

    /** The ids a replay's body names; null for no body at all (replay by limit, or all). Anything else is a 400. */
    private Set<String> ids(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        String expected = "the body must be {\"ids\":[\"<dead letter id>\", ...]} with 1 to 10000 ids, or no body at all"
                + " to replay the oldest limit (or all)";
        JsonNode json;
        try {
            json = mapper.readTree(body);
        } catch (IOException e) {
            throw new BadRequestException(expected);
        }
        // 0, "x", [], true, null and {} are not a list of ids: replaying everything for them would be a surprise
        JsonNode ids = json == null ? null : json.get("ids");
        if (json == null || !json.isObject() || json.size() != 1 || ids == null || !ids.isArray() || ids.isEmpty()
                || ids.size() > 10_000) {
            throw new BadRequestException(expected);
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (JsonNode id : ids) {
            if (!id.isTextual() || id.asText().isBlank()) {
                throw new BadRequestException("each of ids must be a dead letter's id (a string)");
            }
            wanted.add(id.asText());
        }
        return wanted;
    }

    private static String subscriptionParameter(String subscription) {
        if (subscription == null || subscription.isBlank()) {
            return null;
        }
        if (!Subscription.NAME.matcher(subscription).matches()) {
            throw new BadRequestException("subscription must be a subscription's name (lower case letters, digits, '-')");
        }
        return subscription;
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
