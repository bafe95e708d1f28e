package io.shopevents.routetests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import io.shopevents.routetests.RouteTestFile.Case;
import io.shopevents.routetests.RouteTestFile.Location;
import io.shopevents.routetests.RouteTestFile.Step;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.awaitility.core.ConditionTimeoutException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * Runs the tests of a route test file against the running application: sends what each test
 * sends (REST calls, messages published by hand), then waits for each expectation in turn (a REST
 * answer, a mail in GreenMail, a dead letter, a webhook call, a log line) until it holds or its time is up. A
 * failure is an AssertionError that starts with the file and line of the step that failed.
 */
final class RouteTestRunner {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z][A-Za-z0-9_-]*)}");

    /** Sends a request with this API key (none when null): IntegrationTest's sendWithKey. */
    interface Http {
        HttpResponse<String> send(String apiKey, HttpRequest.Builder request);
    }

    private final Http http;
    private final URI base;
    private final String apiKey;
    private final RabbitTemplate rabbit;
    private final GreenMail greenMail;
    private final WebhookReceiver receiver;
    private final ObjectMapper mapper;
    private final LogLines logs;

    RouteTestRunner(Http http, URI base, String apiKey, RabbitTemplate rabbit, GreenMail greenMail, WebhookReceiver receiver, LogLines logs,
                    ObjectMapper mapper) {
        this.logs = logs;
        this.base = base;
        this.apiKey = apiKey;
        this.http = http;
        this.rabbit = rabbit;
        this.greenMail = greenMail;
        this.receiver = receiver;
        this.mapper = mapper;
    }

    /**
     * What {@code ${name}} stands for in one test: {@code ${receiver}} is the webhook receiver's
     * address; any other name a value of its own, the same wherever the test writes it, new in
     * every run (so runs against the same broker and database do not meet).
     */
    static Object resolve(Object value, Map<String, String> names, String receiver) {
        if (value instanceof String text) {
            Matcher matcher = PLACEHOLDER.matcher(text);
            StringBuilder resolved = new StringBuilder();
            while (matcher.find()) {
                String name = matcher.group(1);
                String replacement = name.equals("receiver") ? receiver
                        : names.computeIfAbsent(name, n -> n + "-" + UUID.randomUUID().toString().substring(0, 8));
                matcher.appendReplacement(resolved, Matcher.quoteReplacement(replacement));
            }
            return matcher.appendTail(resolved).toString();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> resolved = new java.util.LinkedHashMap<>();
            map.forEach((key, item) -> resolved.put(String.valueOf(key), resolve(item, names, receiver)));
            return resolved;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(item -> resolve(item, names, receiver)).toList();
        }
        return value;
    }

    void run(Case test) {
        Map<String, String> names = new HashMap<>();
        for (Step step : test.send()) {
            atStep(step, () -> send(step, resolvedFields(step, names)));
        }
        for (Step step : test.expect()) {
            atStep(step, () -> expect(test, step, resolvedFields(step, names)));
        }
    }

    private void expect(Case test, Step step, Map<String, Object> fields) {
        AtomicReference<String> lastMismatch = new AtomicReference<>();
        try {
            await().atMost(test.within()).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        lastMismatch.set(mismatch(step.kind(), fields));
                        return lastMismatch.get() == null;
                    });
        } catch (ConditionTimeoutException e) {
            throw failure(step.location(), lastMismatch.get() + " (waited " + test.within().toMillis() + " ms)");
        }
    }

    /** A step that cannot run (a field of the wrong kind, a broker that refuses) fails with its file and line too. */
    private static void atStep(Step step, Runnable run) {
        try {
            run.run();
        } catch (AssertionError e) {
            throw e;
        } catch (ClassCastException | NullPointerException e) {
            throw failure(step.location(), step.kind() + ": a field is missing or of the wrong kind (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw failure(step.location(), step.kind() + " failed: " + e);
        }
    }

    private Map<String, Object> resolvedFields(Step step, Map<String, String> names) {
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) resolve(step.fields(), names, receiver.baseUrl());
        return fields;
    }

    // --- what a test sends

    private void send(Step step, Map<String, Object> fields) {
        switch (step.kind()) {
            case "post" -> post(step.location(), fields);
            case "publish" -> publish(fields);
            default -> throw new IllegalStateException(step.kind());
        }
    }

    private void post(Location location, Map<String, Object> fields) {
        String path = (String) fields.get("post");
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(fields.get("body"))));
        Map<String, Object> headers = headers(fields);
        headers.forEach((name, value) -> request.setHeader(name, String.valueOf(value)));
        boolean ownKey = headers.keySet().stream().anyMatch("X-API-Key"::equalsIgnoreCase);
        HttpResponse<String> response = http.send(ownKey ? null : apiKey, request);
        long expected = fields.containsKey("status") ? ((Number) fields.get("status")).longValue() : 202;
        if (response.statusCode() != expected) {
            throw failure(location, "POST " + path + " answered " + response.statusCode() + ", expected " + expected
                    + ": " + response.body());
        }
    }

    private void publish(Map<String, Object> fields) {
        MessageProperties properties = new MessageProperties();
        headers(fields).forEach(properties::setHeader);
        Message message = new Message(body(fields.get("body")).getBytes(StandardCharsets.UTF_8), properties);
        rabbit.invoke(operations -> {
            operations.send("shop.events", (String) fields.get("publish"), message);
            operations.waitForConfirmsOrDie(10_000);
            return null;
        });
    }

    // --- what must follow: null when it holds, else what is seen instead

    private String mismatch(String kind, Map<String, Object> fields) {
        return switch (kind) {
            case "get" -> getMismatch(fields);
            case "mail" -> mailMismatch(fields);
            case "deadLetter" -> deadLetterMismatch(fields);
            case "webhook" -> webhookMismatch(fields);
            case "log" -> logs.containing((String) fields.get("log")).isEmpty() ? "no log line contains '" + fields.get("log") + "'" : null;
            default -> throw new IllegalStateException(kind);
        };
    }

    private String getMismatch(Map<String, Object> fields) {
        String path = (String) fields.get("get");
        HttpResponse<String> response = http.send(apiKey, HttpRequest.newBuilder(base.resolve(path)).GET());
        long expected = fields.containsKey("status") ? ((Number) fields.get("status")).longValue() : 200;
        if (response.statusCode() != expected) {
            return "GET " + path + " answered " + response.statusCode() + ", expected " + expected + ": " + response.body();
        }
        if (!fields.containsKey("body")) {
            return null;
        }
        String differs = differs(fields.get("body"), json(response.body()), "");
        return differs == null ? null : "GET " + path + ": " + differs;
    }

    private String mailMismatch(Map<String, Object> fields) {
        String to = (String) fields.get("mail");
        List<MimeMessage> mails = Arrays.stream(greenMail.getReceivedMessages()).filter(m -> sentTo(m, to)).toList();
        List<MimeMessage> matching = mails.stream().filter(m -> mailHolds(fields, m)).toList();
        if (fields.containsKey("count")) {
            return count(fields, matching.size(), "mails to " + to + (mails.size() == matching.size() ? "" : " like that"));
        }
        if (!matching.isEmpty()) {
            return null;
        }
        if (mails.isEmpty()) {
            return "no mail to " + to;
        }
        return "the mails to " + to + " are " + mails.stream().map(m -> "'" + subject(m) + "'").toList()
                + ", expected subject '" + fields.getOrDefault("subject", "(any)") + "'"
                + (fields.containsKey("text") ? " and text '" + fields.get("text") + "'" : "");
    }

    private static boolean mailHolds(Map<String, Object> fields, MimeMessage mail) {
        return (!fields.containsKey("subject") || fields.get("subject").equals(subject(mail)))
                && (!fields.containsKey("text") || GreenMailUtil.getBody(mail).contains((String) fields.get("text")));
    }

    private String deadLetterMismatch(Map<String, Object> fields) {
        String eventId = (String) fields.get("deadLetter");
        String query = fields.containsKey("subscription") ? "&subscription=" + fields.get("subscription") : "";
        HttpResponse<String> response = http.send(apiKey, HttpRequest.newBuilder(base.resolve("/api/dead-letters?limit=1000" + query)).GET());
        if (response.statusCode() != 200) {
            return "GET /api/dead-letters answered " + response.statusCode() + ": " + response.body();
        }
        String seen = null;
        for (JsonNode letter : json(response.body()).path("deadLetters")) {
            if (!eventId.equals(letter.path("eventId").asText())) {
                continue;
            }
            // an event dead-lettered by more than one subscription has a letter from each
            if (fields.containsKey("subscription") && !fields.get("subscription").equals(letter.path("subscription").asText())) {
                seen = seen != null ? seen : "the dead letter of " + eventId + " is from subscription " + letter.path("subscription").asText()
                        + ", expected " + fields.get("subscription");
                continue;
            }
            if (fields.containsKey("reason") && !letter.path("reason").asText().contains((String) fields.get("reason"))) {
                seen = "the dead letter of " + eventId + " says '" + letter.path("reason").asText() + "', expected it to contain '"
                        + fields.get("reason") + "'";
                continue;
            }
            return null;
        }
        if (seen != null) {
            return seen;
        }
        return "no dead letter of event " + eventId;
    }

    private String webhookMismatch(Map<String, Object> fields) {
        String path = (String) fields.get("webhook");
        List<WebhookReceiver.Call> all = receiver.callsTo(path);
        List<WebhookReceiver.Call> calls = all.stream()
                .filter(call -> !fields.containsKey("body") || differs(fields.get("body"), json(call.body()), "") == null)
                .filter(call -> headersHold(fields, call))
                .filter(call -> !fields.containsKey("secret") || signedWith(String.valueOf(fields.get("secret")), call))
                .toList();
        if (fields.containsKey("count")) {
            return count(fields, calls.size(), "webhook calls to " + path + (all.size() == calls.size() ? "" : " like that"));
        }
        if (!calls.isEmpty()) {
            return null;
        }
        if (all.isEmpty()) {
            return "no webhook call to " + path;
        }
        WebhookReceiver.Call last = all.get(all.size() - 1);
        String body = fields.containsKey("body") ? differs(fields.get("body"), json(last.body()), "") : null;
        if (body == null && headersHold(fields, last)) {
            return "no webhook call to " + path + " like that; the last of " + all.size()
                    + ": its webhook-signature does not verify with the secret given";
        }
        return "no webhook call to " + path + " like that; the last of " + all.size() + ": "
                + (body != null ? body : "headers " + last.headers());
    }

    /** Each header written is there, its value containing the one written (case of the name ignored). */
    private static boolean headersHold(Map<String, Object> fields, WebhookReceiver.Call call) {
        return headers(fields).entrySet().stream().allMatch(expected -> call.headers().entrySet().stream()
                .anyMatch(h -> h.getKey().equalsIgnoreCase(expected.getKey())
                        && h.getValue().stream().anyMatch(v -> v.contains(String.valueOf(expected.getValue())))));
    }

    /** The Standard Webhooks library's own check of the signature (and of the timestamp's age). */
    private static boolean signedWith(String secret, WebhookReceiver.Call call) {
        Map<String, List<String>> headers = new java.util.HashMap<>();
        call.headers().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT), values));
        try {
            new com.standardwebhooks.Webhook(secret).verify(new String(call.body(), java.nio.charset.StandardCharsets.UTF_8), headers);
            return true;
        } catch (com.standardwebhooks.exceptions.WebhookVerificationException e) {
            return false;
        }
    }

    private static String count(Map<String, Object> fields, int actual, String what) {
        if (fields.containsKey("count") && ((Number) fields.get("count")).longValue() != actual) {
            return actual + " " + what + ", expected " + fields.get("count");
        }
        return null;
    }

    /**
     * Where the JSON differs from what is expected, or null: every key written must be there with
     * that value (keys not written are not checked); numbers compare as numbers (59.9 = 59.90);
     * lists must match item by item.
     */
    static String differs(Object expected, JsonNode actual, String at) {
        String where = at.isEmpty() ? "/" : at;
        if (expected instanceof Map<?, ?> map) {
            if (!actual.isObject()) {
                return where + " is " + actual + ", expected an object";
            }
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                JsonNode field = actual.get(String.valueOf(entry.getKey()));
                String path = at + "/" + entry.getKey();
                if (field == null) {
                    return path + " is missing, expected " + entry.getValue();
                }
                String differs = differs(entry.getValue(), field, path);
                if (differs != null) {
                    return differs;
                }
            }
            return null;
        }
        if (expected instanceof List<?> list) {
            if (!actual.isArray() || actual.size() != list.size()) {
                return where + " is " + actual + ", expected " + list.size() + " items";
            }
            Iterator<JsonNode> items = actual.elements();
            for (int i = 0; i < list.size(); i++) {
                String differs = differs(list.get(i), items.next(), at + "/" + i);
                if (differs != null) {
                    return differs;
                }
            }
            return null;
        }
        if (expected == null) {
            return actual.isNull() ? null : where + " is " + actual + ", expected null";
        }
        if (expected instanceof Number number && actual.isNumber()) {
            return new BigDecimal(number.toString()).compareTo(actual.decimalValue()) == 0 ? null
                    : where + " is " + actual + ", expected " + number;
        }
        String actualText = actual.isValueNode() ? actual.asText() : actual.toString();
        return String.valueOf(expected).equals(actualText) ? null : where + " is " + actual + ", expected " + expected;
    }

    // --- plumbing

    private String body(Object body) {
        if (body == null) {
            return "";
        }
        if (body instanceof String text) {
            return text;
        }
        try {
            return mapper.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> headers(Map<String, Object> fields) {
        Object headers = fields.get("headers");
        return headers instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    private JsonNode json(String body) {
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            return mapper.getNodeFactory().textNode(body);
        }
    }

    private JsonNode json(byte[] body) {
        return json(new String(body, StandardCharsets.UTF_8));
    }

    private static boolean sentTo(MimeMessage mail, String to) {
        try {
            return mail.getRecipients(RecipientType.TO) != null
                    && Arrays.stream(mail.getRecipients(RecipientType.TO)).anyMatch(a -> a.toString().equals(to));
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String subject(MimeMessage mail) {
        try {
            return mail.getSubject();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static AssertionError failure(Location location, String message) {
        return new AssertionError(location + ": " + message);
    }
}
