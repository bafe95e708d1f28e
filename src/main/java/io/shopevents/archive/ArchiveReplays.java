package io.shopevents.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import io.shopevents.api.BadRequestException;
import io.shopevents.api.ConflictException;
import io.shopevents.api.NotFoundException;
import io.shopevents.api.PathParameters;
import io.shopevents.api.UnprocessableException;
import io.shopevents.event.CloudEventReader;
import io.shopevents.event.EventKey;
import io.shopevents.event.InvalidEventException;
import io.shopevents.event.JsonDocuments;
import io.shopevents.rabbit.ArchiveProperties;
import io.shopevents.rabbit.RabbitConnections;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.subscription.Subscription;
import io.shopevents.subscription.SubscriptionRegistry;
import io.swagger.v3.oas.annotations.media.Schema;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Replays archived events into one subscription: {@code POST /api/subscriptions/{name}/replay}
 * with a time range (and optionally event types) reads the stream shop.events.archive from the
 * range's start and sends each event of the range that the subscription takes to its queue only,
 * never through shop.events (which would hand it to every subscription again), at
 * shop.archive.replay-rate events a second. The call answers at once with where to follow the
 * replay; the instance that took it runs it and records its progress in the database, where any
 * instance shows it. Events the subscription applied before are skipped by it (source + id), so a
 * replay of a range twice applies nothing twice; a new subscription gets its back-fill.
 */
@Component("archiveReplays")
public class ArchiveReplays {

    private static final Logger log = LoggerFactory.getLogger(ArchiveReplays.class);
    /** A replay not heard of for this long was running on an instance that stopped. */
    private static final Duration ABANDONED = Duration.ofSeconds(60);
    private static final int CONFIRM_BATCH = ArchiveStream.ACK_BATCH;
    static final String REPLAY_HEADER = "x-replayed-from-archive";
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    @Schema(description = "Which archived events to replay into the subscription.")
    public record ArchiveReplayRequest(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "date-time", example = "2026-11-25T10:00:00Z",
                    description = "The range's start: events the broker received at or after it (to the second; the event's"
                            + " own time plays no part).") String from,
            @Schema(format = "date-time", example = "2026-11-25T11:00:00Z",
                    description = "The range's end: events the broker received before it; when left out, the archive's end when the replay starts.") String to,
            @Schema(description = "Only these event types (all the subscription takes when left out).") List<String> types) {
    }

    @Schema(description = "A replay of archived events into one subscription, and how far it got.")
    public record Replay(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String id,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String subscription,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "date-time") String from,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "date-time") String to,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<String> types,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"RUNNING", "DONE", "FAILED", "ABANDONED"},
                    description = "ABANDONED: the instance running it stopped; start it again (nothing is applied twice).")
            String status,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Events sent to the subscription's queue.") long sent,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Archived events of the range it does not take.") long skipped,
            @Schema(nullable = true, description = "What the replay could not do: the part of the range the archive no longer holds, a failure.")
            String note,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "date-time") String startedAt,
            @Schema(nullable = true, format = "date-time") String finishedAt) {
    }

    private final RabbitConnections connections;
    private final ProcessedEvents processedEvents;
    private final JdbcClient jdbc;
    private final ObjectMapper mapper;
    private final CloudEventReader reader;
    private final SubscriptionRegistry subscriptions;
    private final PathParameters pathParameters;
    private final ArchiveProperties archive;
    private final ExecutorService runner = Executors.newFixedThreadPool(2, r -> {
        Thread thread = new Thread(r, "archive-replay");
        thread.setDaemon(true);
        return thread;
    });

    public ArchiveReplays(RabbitConnections connections, ProcessedEvents processedEvents, JdbcClient jdbc, ObjectMapper mapper, CloudEventReader reader,
                          SubscriptionRegistry subscriptions, PathParameters pathParameters, ArchiveProperties archive) {
        this.connections = connections;
        this.processedEvents = processedEvents;
        this.jdbc = jdbc;
        this.mapper = mapper;
        this.reader = reader;
        this.subscriptions = subscriptions;
        this.pathParameters = pathParameters;
        this.archive = archive;
    }

    /** Starts a replay; the answer (202) says where to follow it. */
    public Replay start(@Header("name") String rawName, @Body byte[] body, Exchange exchange) {
        if (!archive.enabled()) {
            throw new ConflictException("there is no archive to replay from (shop.archive.enabled is false)");
        }
        Subscription subscription = running(pathParameters.decode(rawName));
        ArchiveReplayRequest request = request(body);
        Instant from = instant("from", request.from());
        Instant to = request.to() == null ? Instant.now() : instant("to", request.to());
        if (!from.isBefore(to)) {
            throw new BadRequestException("from must be before to");
        }
        Set<String> types = new LinkedHashSet<>(request.types() == null || request.types().isEmpty()
                ? subscription.types().stream().sorted().toList() : request.types());
        List<String> notTaken = types.stream().filter(t -> !subscription.takes(t)).toList();
        if (!notTaken.isEmpty()) {
            throw new BadRequestException("subscription " + subscription.name() + " does not take " + notTaken
                    + "; it takes " + subscription.types().stream().sorted().toList());
        }
        Instant archiveStart = firstArchived();
        if (archiveStart == null) {
            throw new UnprocessableException("the archive holds no events yet");
        }
        if (to.isBefore(archiveStart)) {
            throw new UnprocessableException("the range ends before the archive's oldest event (" + archiveStart
                    + "): events older than the archive's retention (shop.archive.max-age, " + archive.maxAge()
                    + ") are gone");
        }
        String note = from.isBefore(archiveStart) ? "the archive starts at " + archiveStart + ": events of the range"
                + " before it are gone (retention " + archive.maxAge() + ")" : null;
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now();
        jdbc.sql("""
                        INSERT INTO replays (id, subscription, from_time, to_time, types, status, note, started_at, updated_at)
                        VALUES (:id, :subscription, :from, :to, :types, 'RUNNING', :note, :now, :now)""")
                .param("id", id).param("subscription", subscription.name())
                .param("from", Timestamp.from(from)).param("to", Timestamp.from(to))
                .param("types", String.join(",", types)).param("note", note).param("now", Timestamp.from(now))
                .update();
        // without an end, the range ends where the archive does when the replay starts: an end of
        // "now" would be cut to the second and miss what came in the second the call was made
        Instant end = request.to() == null ? null : to;
        runner.execute(() -> run(id, subscription, from, end, types));
        exchange.getMessage().setHeader("Location", "/api/subscriptions/" + subscription.name() + "/replays/" + id);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return find(subscription.name(), id);
    }

    /** A replay and how far it got, from any instance. */
    public Replay get(@Header("name") String rawName, @Header("id") String rawId) {
        return find(pathParameters.decode(rawName), pathParameters.decode(rawId));
    }

    private Replay find(String subscription, String id) {
        return jdbc.sql("""
                        SELECT id, subscription, from_time, to_time, types, status, sent, skipped, note, started_at,
                               updated_at, finished_at FROM replays WHERE id = :id AND subscription = :subscription""")
                .param("id", id).param("subscription", subscription)
                .query((rs, n) -> {
                    String status = rs.getString("status");
                    if ("RUNNING".equals(status) && rs.getTimestamp("updated_at").toInstant().isBefore(Instant.now().minus(ABANDONED))) {
                        status = "ABANDONED";
                    }
                    Timestamp finished = rs.getTimestamp("finished_at");
                    return new Replay(rs.getString("id"), rs.getString("subscription"),
                            rs.getTimestamp("from_time").toInstant().toString(), rs.getTimestamp("to_time").toInstant().toString(),
                            List.of(rs.getString("types").split(",")), status, rs.getLong("sent"), rs.getLong("skipped"),
                            rs.getString("note"), rs.getTimestamp("started_at").toInstant().toString(),
                            finished == null ? null : finished.toInstant().toString());
                })
                .optional()
                .orElseThrow(() -> new NotFoundException("no replay " + id + " of subscription " + subscription));
    }

    /**
     * Reads the range from the archive and sends what the subscription takes to its queue. The range
     * is the archive's own: from the first event the broker received at {@code from} (to the second,
     * the precision of AMQP times) to the first it received at {@code to}, exclusive; an event's own
     * {@code time}, which its producer chose, plays no part. Without {@code to}, the range ends where
     * the archive ends when the replay starts. Events withdrawn at publication (their
     * callers heard 503) are skipped: a replay never applies what was refused.
     */
    private void run(String id, Subscription subscription, Instant from, Instant to, Set<String> types) {
        long sent = 0;
        long skipped = 0;
        long lastSaved = System.nanoTime();
        long nanosPerEvent = TimeUnit.SECONDS.toNanos(1) / archive.replayRate();
        long started = System.nanoTime();
        Channel channel = null;
        try {
            channel = connections.operationChannel();
            // a stream gives a consumer nothing without a prefetch limit
            channel.basicQos(CONFIRM_BATCH * 2);
            Long end = to == null ? ArchiveStream.end(channel) : ArchiveStream.offsetAt(channel, to);
            channel.confirmSelect();
            ArchiveStream range = new ArchiveStream(channel, Date.from(from));
            int unconfirmed = 0;
            ArchiveStream.Delivery delivery;
            while ((delivery = range.next()) != null) {
                Long offset = delivery.offset();
                if (end != null && offset != null && offset >= end) {
                    break; // the first event received at the range's end: the range is over
                }
                Map<String, Object> headers = delivery.headers();
                String type = reader.typeOf(delivery.body(), headers);
                EventKey key = reader.keyOf(delivery.body(), headers);
                if (type == null || !types.contains(type) || (key != null && processedEvents.isWithdrawn(key.source(), key.id()))) {
                    skipped++;
                } else {
                    Map<String, Object> copy = new HashMap<>(headers);
                    copy.remove("x-stream-offset");
                    copy.put(REPLAY_HEADER, id);
                    channel.basicPublish("", subscription.queue(), delivery.properties().builder().headers(copy).build(), delivery.body());
                    sent++;
                    if (++unconfirmed == CONFIRM_BATCH) {
                        channel.waitForConfirmsOrDie(30_000);
                        unconfirmed = 0;
                    }
                    pace(started, sent, nanosPerEvent);
                }
                range.taken(delivery);
                if (System.nanoTime() - lastSaved > TimeUnit.SECONDS.toNanos(1)) {
                    progress(id, sent, skipped);
                    lastSaved = System.nanoTime();
                }
            }
            if (unconfirmed > 0) {
                channel.waitForConfirmsOrDie(30_000);
            }
            range.cancel();
            finish(id, "DONE", sent, skipped, null);
            log.info("replay {} into subscription {}: {} events sent, {} skipped", id, subscription.name(), sent, skipped);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish(id, "FAILED", sent, skipped, "interrupted");
        } catch (IOException | TimeoutException | RuntimeException e) {
            log.warn("replay {} into subscription {} failed after {} events: {}", id, subscription.name(), sent, e.toString());
            finish(id, "FAILED", sent, skipped, "failed after " + sent + " events: " + e.getMessage() + "; start it again"
                    + " (events applied before are skipped)");
        } finally {
            if (channel != null) {
                RabbitConnections.close(channel);
            }
        }
    }

    /** When the archive's oldest event was published; null when the archive is empty. */
    private Instant firstArchived() {
        Channel channel = null;
        try {
            channel = connections.operationChannel();
            channel.basicQos(1);
            ArchiveStream stream = new ArchiveStream(channel, "first");
            ArchiveStream.Delivery first = stream.next();
            stream.cancel();
            if (first == null) {
                return null;
            }
            Instant time = first.properties().getTimestamp() != null ? first.properties().getTimestamp().toInstant()
                    : reader.timeOf(first.body(), first.headers());
            return time != null ? time : Instant.EPOCH;
        } catch (IOException | RuntimeException e) {
            throw new ConflictException("the archive cannot be read now: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConflictException("interrupted while reading the archive");
        } finally {
            if (channel != null) {
                RabbitConnections.close(channel);
            }
        }
    }

    private Subscription running(String name) {
        if (name == null || !Subscription.NAME.matcher(name).matches()) {
            throw new BadRequestException("a subscription's name is lower case letters, digits and '-'");
        }
        return subscriptions.find(name).map(c -> c.subscription())
                .orElseThrow(() -> new NotFoundException("no subscription " + name + " runs here (GET /api/subscriptions lists them)"));
    }

    private ArchiveReplayRequest request(byte[] body) {
        if (body == null || body.length == 0) {
            throw new BadRequestException("the body must say the range: {\"from\":\"2026-11-25T10:00:00Z\",\"to\":\"...\"}");
        }
        try {
            JsonNode json = JsonDocuments.read(mapper, body, "the body");
            if (!json.isObject()) {
                throw new BadRequestException("the body must be a JSON object with from (and to, types)");
            }
            ArchiveReplayRequest request = mapper.treeToValue(json, ArchiveReplayRequest.class);
            if (request.types() != null && request.types().stream().anyMatch(t -> t == null || t.isBlank())) {
                throw new BadRequestException("each of types must be an event type (a string)");
            }
            return request;
        } catch (InvalidEventException e) {
            throw new BadRequestException(e.getMessage());
        } catch (IOException e) {
            throw new BadRequestException("the body must be {\"from\":\"<date-time>\",\"to\":\"<date-time>\",\"types\":[...]}: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static Instant instant(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new BadRequestException(field + " is required (an RFC 3339 date-time, such as 2026-11-25T10:00:00Z)");
        }
        try {
            Instant instant = OffsetDateTime.parse(value).toInstant();
            if (instant.isBefore(Instant.EPOCH) || instant.isAfter(LATEST)) {
                throw new BadRequestException(field + " must lie between 1970 and 9999");
            }
            return instant;
        } catch (DateTimeParseException e) {
            throw new BadRequestException(field + " must be an RFC 3339 date-time, such as 2026-11-25T10:00:00Z");
        }
    }

    private static void pace(long started, long sent, long nanosPerEvent) throws InterruptedException {
        long ahead = started + sent * nanosPerEvent - System.nanoTime();
        if (ahead > 0) {
            TimeUnit.NANOSECONDS.sleep(ahead); // a background job's own rate limit
        }
    }

    private void progress(String id, long sent, long skipped) {
        jdbc.sql("UPDATE replays SET sent = :sent, skipped = :skipped, updated_at = :now WHERE id = :id")
                .param("sent", sent).param("skipped", skipped).param("now", Timestamp.from(Instant.now())).param("id", id)
                .update();
    }

    private void finish(String id, String status, long sent, long skipped, String failure) {
        jdbc.sql("""
                        UPDATE replays SET status = :status, sent = :sent, skipped = :skipped, updated_at = :now,
                               finished_at = :now, note = COALESCE(:failure, note) WHERE id = :id""")
                .param("status", status).param("sent", sent).param("skipped", skipped)
                .param("now", Timestamp.from(Instant.now())).param("failure", failure).param("id", id)
                .update();
    }
}
