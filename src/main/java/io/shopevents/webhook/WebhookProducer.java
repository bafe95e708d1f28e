package io.shopevents.webhook;

import io.shopevents.event.CloudEvent;
import io.shopevents.event.PermanentFailureException;
import io.shopevents.subscription.DeliveryCall;
import io.shopevents.subscription.RetryLaterException;
import io.shopevents.subscription.Subscription;
import io.shopevents.subscription.Turn;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultProducer;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;

/**
 * POSTs the subscription's event as a structured CloudEvent, signed (Standard Webhooks), and reads
 * the answer. If the steps before it reshaped the body (a jq transform), that JSON is sent instead,
 * as the data of a binary-mode CloudEvent (ce- headers of the event), signed the same way. The
 * answer: 2xx delivered; 408, 429, 5xx, a timeout or no connection are transient (the message
 * comes back after the subscription's back-off, or later if the receiver's {@code Retry-After}
 * asks for it); any other status, a redirect included (never followed), is permanent: the event is
 * dead-lettered at once with the status and the start of the receiver's answer.
 */
class WebhookProducer extends DefaultProducer {

    private static final List<String> TRACE_HEADERS = List.of("traceparent", "tracestate");

    private static final int EXCERPT_BYTES = 300;
    private static final Duration LONGEST_RETRY_AFTER = Duration.ofDays(1);

    private final WebhookEndpoint endpoint;

    WebhookProducer(WebhookEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Object payload = exchange.getMessage().getBody();
        CloudEvent event = payload instanceof CloudEvent as ? as : exchange.getProperty(Subscription.EVENT_PROPERTY, CloudEvent.class);
        if (event == null) {
            throw new PermanentFailureException("signed-webhook:" + endpoint.name() + " sends a subscription's events;"
                    + " this exchange has none (use it in the steps of a subscription: route)");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.target()).timeout(endpoint.timeout());
        byte[] body;
        if (payload instanceof CloudEvent) {
            body = endpoint.getComponent().mapper.writeValueAsBytes(event);
            request.header("Content-Type", CloudEvent.STRUCTURED_JSON);
        } else {
            // the steps reshaped it (a jq transform, say): their JSON is the data of a binary-mode CloudEvent
            body = payload instanceof String text ? text.getBytes(StandardCharsets.UTF_8)
                    : payload instanceof byte[] bytes ? bytes : endpoint.getComponent().mapper.writeValueAsBytes(payload);
            request.header("Content-Type", CloudEvent.JSON);
            BinaryModeHeaders.of(event).forEach(request::header);
        }
        String id = webhookId(event);
        long timestamp = Instant.now().getEpochSecond();
        request.header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", endpoint.signature().sign(id, timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        endpoint.extraHeaders().forEach(request::header);
        // the trace goes on at the receiver (W3C trace context, set by tracing.OutgoingCallTracing)
        for (String name : TRACE_HEADERS) {
            String value = exchange.getIn().getHeader(name, String.class);
            if (value != null) {
                request.header(name, value);
            }
        }
        String to = "webhook " + endpoint.name() + " (" + endpoint.target() + ")";
        // a rate-limited subscription's slot, taken right before the call
        Turn.beforeCall(exchange);
        Instant at = Instant.now();
        long started = System.nanoTime();
        HttpResponse<InputStream> response;
        try {
            response = endpoint.client().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            String why = "did not answer within " + endpoint.timeout().toMillis() + " ms";
            logged(exchange, at, started, null, DeliveryCall.Outcome.FAILED, why);
            throw new RetryLaterException(to + " " + why, null);
        } catch (IOException e) {
            String why = "could not be reached: " + e;
            logged(exchange, at, started, null, DeliveryCall.Outcome.FAILED, why);
            throw new RetryLaterException(to + " " + why, null);
        }
        int status = response.statusCode();
        String excerpt = excerpt(response.body());
        if (status >= 200 && status < 300) {
            logged(exchange, at, started, status, DeliveryCall.Outcome.DELIVERED, excerpt);
            return;
        }
        String answered = to + " answered " + status + (excerpt.isEmpty() ? "" : ": " + excerpt);
        if (status == 408 || status == 429 || status >= 500) {
            logged(exchange, at, started, status, DeliveryCall.Outcome.FAILED, excerpt);
            throw new RetryLaterException(answered, retryAfter(response));
        }
        logged(exchange, at, started, status, DeliveryCall.Outcome.REFUSED, excerpt);
        throw new PermanentFailureException(answered + (status >= 300 && status < 400 ? " (redirects are not followed)" : ""));
    }

    /** The call, for the subscription's delivery log. */
    private void logged(Exchange exchange, Instant at, long started, Integer status, DeliveryCall.Outcome outcome, String response) {
        long millis = (System.nanoTime() - started) / 1_000_000;
        DeliveryCall.record(exchange, new DeliveryCall(endpoint.name(), at, status, outcome, millis,
                response == null || response.isEmpty() ? null : response));
    }

    /**
     * One id per event, the same on every attempt, for the receiver to recognise a delivery it has
     * had (an event is identified by its source and id together).
     */
    static String webhookId(CloudEvent event) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest((event.source() + "\n" + event.id()).getBytes(StandardCharsets.UTF_8));
            return "evt_" + HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The start of the answer, on one line, without control characters (it goes into logs and dead letters). */
    private static String excerpt(InputStream body) {
        try (body) {
            String text = new String(body.readNBytes(EXCERPT_BYTES), StandardCharsets.UTF_8);
            return text.replaceAll("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+", " ").strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Retry-After as seconds or an HTTP date; null if absent or not understood. */
    static Duration retryAfter(HttpResponse<?> response) {
        String value = response.headers().firstValue("Retry-After").map(String::strip).orElse(null);
        if (value == null || value.isEmpty()) {
            return null;
        }
        Duration asked;
        if (value.chars().allMatch(Character::isDigit)) {
            asked = value.length() > 6 ? LONGEST_RETRY_AFTER : Duration.ofSeconds(Long.parseLong(value));
        } else {
            try {
                asked = Duration.between(Instant.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        if (asked.isNegative()) {
            return Duration.ZERO;
        }
        return asked.compareTo(LONGEST_RETRY_AFTER) > 0 ? LONGEST_RETRY_AFTER : asked;
    }
}
