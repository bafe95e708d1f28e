package io.shopevents.operations;

import io.shopevents.api.BadRequestException;
import io.shopevents.api.PathParameters;
import io.shopevents.api.QueryParameters;
import io.shopevents.store.DeliveryLog;
import io.shopevents.subscription.Subscription;
import io.swagger.v3.oas.annotations.media.Schema;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriUtils;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * GET /api/subscriptions/{name}/deliveries: the delivery log, newest attempt first, a page at a
 * time: every webhook call of the subscription, optionally of one event ({@code eventId}), of one
 * outcome or HTTP status ({@code status}), from a time on ({@code from}). {@code next} is the
 * address of the next page (the same filters and a cursor), null on the last one.
 */
@Component("deliveryLogQueries")
public class DeliveryLogQueries {

    @Schema(description = "One attempt of one webhook call.")
    public record Delivery(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String eventId,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String eventSource,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String eventType,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "1 for the first attempt") int attempt,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "When the call started (RFC 3339)") String attemptedAt,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "The signed-webhook: endpoint's name") String webhook,
            @Schema(nullable = true, description = "The HTTP status; null when no answer came (timeout, no connection)") Integer status,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"DELIVERED", "FAILED", "REFUSED"},
                    description = "DELIVERED (2xx); FAILED: attempted again later (408, 429, 5xx, no answer); REFUSED: for good (any other status)") String outcome,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int durationMs,
            @Schema(nullable = true, description = "The start of the answer (300 bytes, one line), or why there was none") String response) {
    }

    @Schema(description = "A page of the delivery log, newest attempt first.")
    public record DeliveryPage(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Delivery> deliveries,
            @Schema(nullable = true, description = "The next page's address (the same filters, a cursor); null on the last page") String next) {
    }

    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 1000;
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final DeliveryLog log;
    private final PathParameters pathParameters;

    public DeliveryLogQueries(DeliveryLog log, PathParameters pathParameters) {
        this.log = log;
        this.pathParameters = pathParameters;
    }

    public DeliveryPage deliveries(@Header("name") String rawName, @Header("eventId") String eventId,
                                   @Header("status") String status, @Header("from") String from,
                                   @Header("limit") String limit, @Header("cursor") String cursor) {
        String name = pathParameters.decode(rawName);
        if (name == null || !Subscription.NAME.matcher(name).matches()) {
            throw new BadRequestException("a subscription's name is lower case letters, digits and '-'");
        }
        String outcome = null;
        Integer code = null;
        if (status != null && !status.isBlank()) {
            String wanted = status.strip();
            if (wanted.matches("[1-5][0-9][0-9]")) {
                code = Integer.valueOf(wanted);
            } else if (List.of("delivered", "failed", "refused").contains(wanted.toLowerCase(Locale.ROOT))) {
                outcome = wanted.toUpperCase(Locale.ROOT);
            } else {
                throw new BadRequestException("status is delivered, failed, refused or an HTTP status such as 429, not '" + wanted + "'");
            }
        }
        int size = QueryParameters.limit(limit, DEFAULT_LIMIT, MAX_LIMIT);
        Instant fromTime = from == null || from.isBlank() ? null : instant("from", from.strip());
        Instant beforeTime = null;
        Long beforeId = null;
        if (cursor != null && !cursor.isBlank()) {
            String[] parts = decodeCursor(cursor.strip());
            beforeTime = instant("cursor", parts[0]);
            beforeId = Long.valueOf(parts[1]);
        }
        String event = QueryParameters.text("eventId", eventId);
        List<DeliveryLog.Attempt> attempts = log.find(new DeliveryLog.Query(name, event, outcome, code, fromTime,
                beforeTime, beforeId, size + 1));
        List<Delivery> page = attempts.stream().limit(size).map(DeliveryLogQueries::delivery).toList();
        String next = null;
        if (attempts.size() > size) {
            DeliveryLog.Attempt last = attempts.get(size - 1);
            Map<String, String> query = new LinkedHashMap<>();
            query.put("eventId", event);
            query.put("status", status == null || status.isBlank() ? null : status.strip());
            query.put("from", fromTime == null ? null : fromTime.toString());
            query.put("limit", limit == null || limit.isBlank() ? null : String.valueOf(size));
            query.put("cursor", encodeCursor(last));
            next = "/api/subscriptions/" + name + "/deliveries?" + query.entrySet().stream().filter(e -> e.getValue() != null)
                    .map(e -> e.getKey() + "=" + UriUtils.encodeQueryParam(e.getValue(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining("&"));
        }
        return new DeliveryPage(page, next);
    }

    private static Delivery delivery(DeliveryLog.Attempt a) {
        return new Delivery(a.eventId(), a.eventSource(), a.eventType(), a.attempt(), a.attemptedAt().toString(), a.webhook(),
                a.status(), a.outcome(), a.durationMs(), a.response());
    }

    private static String encodeCursor(DeliveryLog.Attempt last) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.attemptedAt() + "|" + last.id()).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decodeCursor(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|");
            if (parts.length == 2 && parts[1].matches("-?\\d{1,19}")) {
                Long.parseLong(parts[1]);
                return parts;
            }
        } catch (IllegalArgumentException e) {
            // said below
        }
        throw new BadRequestException("cursor is not one this service gave (take next from the page before)");
    }

    private static Instant instant(String field, String value) {
        try {
            Instant instant = OffsetDateTime.parse(value).toInstant();
            if (!instant.isBefore(Instant.EPOCH) && !instant.isAfter(LATEST)) {
                return instant;
            }
        } catch (DateTimeParseException e) {
            // said below
        }
        throw new BadRequestException(field + " must be an RFC 3339 date-time between 1970 and 9999, such as 2026-12-06T10:00:00Z");
    }
}
