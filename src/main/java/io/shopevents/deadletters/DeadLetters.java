package io.shopevents.deadletters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.api.BadRequestException;
import io.shopevents.api.QueryParameters;
import io.shopevents.subscription.Subscription;
import io.swagger.v3.oas.annotations.media.Schema;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * GET /api/dead-letters and POST /api/dead-letters/replay: the dead letters (shop.events.dead) for
 * operators, listed without consuming them or changing their order, and replayed, each to the
 * subscription that failed it only. How the queue is read without changing it is
 * {@link DeadLetterScan}'s; what a letter says, {@link DeadLetterReader}'s; sending letters back,
 * {@link DeadLetterSender}'s.
 */
@Component("deadLetters")
public class DeadLetters {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
    private static final int DEFAULT_LIST_LIMIT = 100;
    private static final int MAX_LIST_LIMIT = 1000;

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

    private final DeadLetterScan scans;
    private final DeadLetterSender sender;
    private final ObjectMapper mapper;
    private final Duration timeLimit;

    public DeadLetters(DeadLetterScan scans, DeadLetterSender sender, ObjectMapper mapper,
                       @Value("${shop.dead-letters.time-limit}") Duration timeLimit) {
        this.scans = scans;
        this.sender = sender;
        this.mapper = mapper;
        this.timeLimit = timeLimit;
    }

    /** Up to limit dead letters (of the subscription, if one is named), oldest first; the queue is left as it was. */
    public Listing list(@Header("subscription") String subscription, @Header("limit") String limit) {
        int max = QueryParameters.limit(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        String wanted = subscriptionParameter(subscription);
        return scans.withEveryLetter(scan -> {
            List<DeadLetter> matching = scan.letters().stream().filter(h -> matches(h, wanted)).map(DeadLetterScan.Held::letter).toList();
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
        Integer max = limit == null || limit.isBlank() ? null : QueryParameters.limit(limit, 0, Integer.MAX_VALUE);
        Instant deadline = Instant.now().plus(timeLimit);
        return scans.withEveryLetter(scan -> {
            List<DeadLetterScan.Held> chosen = scan.letters().stream()
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
            int replayed = sender.send(scan, chosen, deadline, notReplayed);
            log.info("replayed {} dead letters ({} not replayed); {} left", replayed, notReplayed.size(), scan.count() - replayed);
            return new Replayed(replayed, scan.count() - replayed, replayed == chosen.size() && scan.complete(), notReplayed);
        });
    }

    private static boolean matches(DeadLetterScan.Held held, String subscription) {
        return subscription == null || subscription.equals(held.letter().subscription());
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
            json = io.shopevents.event.JsonDocuments.read(mapper, body, "the body");
        } catch (io.shopevents.event.InvalidEventException e) {
            throw new BadRequestException(expected + " (" + e.getMessage() + ")");
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
}
