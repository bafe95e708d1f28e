package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.amqp.core.Message;
import org.springframework.web.util.UriUtils;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The ingress contract: one table of inputs drives both the REST edge and a subscription's own
 * check, so they cannot drift apart again. Every input the edge answers 202 is applied by its
 * subscription, stored and published as sent; every input it refuses is dead-lettered when
 * published by hand. Plus what is not about the data: ids that round-trip through a URL path,
 * bodies that are not UTF-8 JSON, requests the web server refuses, and Idempotency-Key.
 */
class IngressContractIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    /** An order's fields as JSON text (as sent), and whether the edge takes it. */
    static Stream<Arguments> orders() {
        return Stream.of(
                // amounts: a decimal, > 0, at most 4 decimal places as written, at most 10^12
                arguments("a plain amount", "\"ID\"", "59.90", null, 202),
                arguments("4 decimal places", "\"ID\"", "0.0001", null, 202),
                arguments("an exponent that fits", "\"ID\"", "1e2", null, 202),
                arguments("the largest amount", "\"ID\"", "1000000000000", null, 202),
                arguments("5 decimal places (no 0 stored)", "\"ID\"", "0.00001", "orderTotal", 400),
                arguments("trailing zeros past 4 places", "\"ID\"", "1.10000", "orderTotal", 400),
                arguments("30 decimal places (no rounding)", "\"ID\"", "1.123456789012345678901234567891", "orderTotal", 400),
                arguments("1e-400", "\"ID\"", "1e-400", "orderTotal", 400),
                arguments("1e-1000000", "\"ID\"", "1e-1000000", "orderTotal", 400),
                arguments("more than 10^12", "\"ID\"", "1000000000000.0001", "orderTotal", 400),
                arguments("zero", "\"ID\"", "0", "orderTotal", 400),
                arguments("negative", "\"ID\"", "-1", "orderTotal", 400),
                arguments("an amount as text", "\"ID\"", "\"59.90\"", "orderTotal", 400),
                // ids: strings, or whole numbers kept as their text
                arguments("a whole number id", "NUM", "1", null, 202),
                arguments("an id with a space and letters outside ASCII", "\"ID ü\"", "1", null, 202),
                arguments("an id as 1e2", "1e2", "1", "orderId", 400),
                arguments("an id as 1.0", "1.0", "1", "orderId", 400),
                arguments("an id with a slash", "\"ID/1\"", "1", "orderId", 400),
                arguments("an id with a backslash", "\"ID\\\\1\"", "1", "orderId", 400),
                arguments("an id with U+0085 (C1)", "\"ID\\u0085\"", "1", "orderId", 400),
                arguments("an id with U+2028", "\"ID\\u2028\"", "1", "orderId", 400),
                arguments("an id with a lone surrogate", "\"ID\\ud800\"", "1", "orderId", 400),
                arguments("an id with NUL", "\"ID\\u0000\"", "1", "orderId", 400),
                arguments("an id over 128 characters", "\"ID" + "x".repeat(130) + "\"", "1", "orderId", 400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("orders")
    void theEdgeAndTheSubscriptionTakeTheSameOrders(String name, String idJson, String totalJson, String badField, int status) {
        String unique = "c-" + UUID.randomUUID();
        String id = idJson.equals("NUM") ? String.valueOf(Math.abs(UUID.randomUUID().getMostSignificantBits())) : null;
        String idText = id != null ? id : idJson.replace("ID", unique);
        String body = "{\"orderId\":" + idText + ",\"userId\":\"u\",\"orderTotal\":" + totalJson + "}";

        HttpResponse<String> response;
        Message published;
        try (EventTap tap = new EventTap(rabbit)) {
            response = postJson("/api/orders", body);
            published = status == 202 ? tap.next() : null;
        }
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        if (status != 202) {
            assertProblem(response, 400);
            assertThat(json(response.body()).get("errors").findValuesAsText("field")).containsExactly(badField);
        } else {
            // applied by order-status, stored and published as sent
            JsonNode sent = json(body);
            String orderId = sent.get("orderId").asText();
            await().atMost(WAIT).until(() -> get("/api/orders/" + UriUtils.encodePathSegment(orderId, StandardCharsets.UTF_8))
                    .statusCode() == 200);
            JsonNode stored = json(get("/api/orders/" + UriUtils.encodePathSegment(orderId, StandardCharsets.UTF_8)).body());
            BigDecimal total = new BigDecimal(totalJson);
            assertThat(stored.get("orderTotal").decimalValue()).isEqualByComparingTo(total);
            JsonNode data = json(published.getBody()).get("data");
            assertThat(data.get("orderId").isTextual()).as("ids travel as text").isTrue();
            assertThat(data.get("orderId").asText()).isEqualTo(orderId);
            assertThat(data.get("orderTotal").decimalValue()).isEqualByComparingTo(total);
        }

        // the same data published by hand: the subscription decides as the edge did
        String eventId = unique("table");
        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"order_placed\","
                + "\"source\":\"/tests/table\",\"data\":" + body.replace(unique, unique + "-hand") + "}");
        if (status == 202) {
            String orderId = json(body.replace(unique, unique + "-hand")).get("orderId").asText();
            await().atMost(WAIT).until(() -> get("/api/orders/" + UriUtils.encodePathSegment(orderId, StandardCharsets.UTF_8))
                    .statusCode() == 200 || id != null);
            assertThat(DeadLetters.takeIfPresent(rabbit, eventId)).as("not dead-lettered").isEmpty();
        } else {
            assertThat(DeadLetters.take(rabbit, eventId).getProps().getHeaders().get("x-exception-message").toString())
                    .contains("data." + badField);
        }
    }

    static Stream<Arguments> users() {
        return Stream.of(
                arguments("a direction control is text, not a control", "Ann \u202Eevil", 202),
                arguments("U+0085 in the name", "Ann\u0085", 400),
                arguments("U+2029 in the name", "Ann\u2029", 400),
                arguments("DEL in the name", "Ann\u007F", 400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void userNamesAreTakenAtTheEdgeAsBySubscriptions(String name, String username, int status) throws Exception {
        String email = unique("u") + "@example.com";
        String data = "{\"userId\":\"u\",\"username\":" + mapper.writeValueAsString(username) + ",\"email\":\"" + email + "\"}";

        assertThat(postJson("/api/users", data).statusCode()).isEqualTo(status);
        if (status == 202) {
            await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        }
        String eventId = unique("table");
        publish("user_registered", "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"user_registered\","
                + "\"source\":\"/tests/table\",\"data\":" + data + "}");
        if (status == 202) {
            await().atMost(WAIT).until(() -> mailsTo(email).size() == 2);
        } else {
            assertThat(DeadLetters.take(rabbit, eventId).getProps().getHeaders().get("x-exception-message").toString())
                    .contains("data.username");
        }
    }

    @Test
    void oneJsonDocumentPerBody() {
        assertProblem(postJson("/api/orders", "{\"orderId\":\"1\",\"userId\":\"u\",\"orderTotal\":1} xyz"), 400);
        assertProblem(postJson("/api/orders", "{\"orderId\":\"1\",\"userId\":\"u\",\"orderTotal\":1}{\"orderId\":\"2\"}"), 400);
        assertProblem(postJson("/api/orders", "{\"orderId\":-0,\"userId\":\"u\",\"orderTotal\":1}"), 400);
    }

    static Stream<String> awkwardIds() {
        return Stream.of("a b", "ü-ñ-日本", "x?y", "a#b", "it's", "say \"hi\"", "50%off", "a;b", "a+b", "a&b=c", "~tilde");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("awkwardIds")
    void anyIdTheApiTakesRoundTripsThroughTheUrlPath(String awkward) throws Exception {
        String orderId = awkward + " " + UUID.randomUUID();
        String paymentId = "p " + orderId;
        assertThat(postJson("/api/orders", "{\"orderId\":" + mapper.writeValueAsString(orderId)
                + ",\"userId\":\"u\",\"orderTotal\":5}").statusCode()).isEqualTo(202);
        assertThat(postJson("/api/payments", "{\"paymentId\":" + mapper.writeValueAsString(paymentId) + ",\"orderId\":"
                + mapper.writeValueAsString(orderId) + ",\"paymentAmount\":5}").statusCode()).isEqualTo(202);

        // as any HTTP client writes a path segment: percent-encoded UTF-8
        String orderPath = "/api/orders/" + UriUtils.encodePathSegment(orderId, StandardCharsets.UTF_8);
        String paymentPath = "/api/payments/" + UriUtils.encodePathSegment(paymentId, StandardCharsets.UTF_8);
        await().atMost(WAIT).until(() -> get(orderPath).statusCode() == 200 && get(paymentPath).statusCode() == 200);
        assertThat(json(get(orderPath).body()).get("orderId").asText()).isEqualTo(orderId);
        assertThat(json(get(paymentPath).body()).get("orderId").asText()).isEqualTo(orderId);
        // and the literal text of an escape is another id
        String escapedId = UriUtils.encodePathSegment(orderId, StandardCharsets.UTF_8);
        assertThat(get("/api/orders/" + UriUtils.encodePathSegment(escapedId, StandardCharsets.UTF_8)).statusCode()).isEqualTo(404);
    }

    static Stream<Arguments> bodiesThatAreNotUtf8Json() {
        byte[] order = "{\"orderId\":\"é\",\"userId\":\"u\",\"orderTotal\":1}".getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                arguments("broken UTF-8", "application/json", null, "{\"orderId\":\"\u00ff\",\"userId\":\"u\",\"orderTotal\":1}"
                        .getBytes(StandardCharsets.ISO_8859_1), 400),
                arguments("Latin-1, said so", "application/json; charset=ISO-8859-1", null,
                        "{\"orderId\":\"é\",\"userId\":\"u\",\"orderTotal\":1}".getBytes(StandardCharsets.ISO_8859_1), 415),
                arguments("UTF-16, not said", "application/json", null,
                        "{\"orderId\":\"x\",\"userId\":\"u\",\"orderTotal\":1}".getBytes(StandardCharsets.UTF_16), 400),
                arguments("UTF-16, said so", "application/json; charset=utf-16", null,
                        "{\"orderId\":\"x\",\"userId\":\"u\",\"orderTotal\":1}".getBytes(StandardCharsets.UTF_16), 415),
                arguments("gzip", "application/json", "gzip", gzip(order), 415),
                arguments("a byte-order mark, dropped", "application/json", null, withBom(order), 202));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodiesThatAreNotUtf8Json")
    void bodyThatIsNotUtf8JsonIsA4xxNotA500(String name, String contentType, String encoding, byte[] body, int status) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/orders")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            request.header("Content-Encoding", encoding);
        }
        HttpResponse<String> response = send(request);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        if (status != 202) {
            assertProblem(response, status);
        }
    }

    static Stream<Arguments> requestsTheWebServerRefuses() {
        return Stream.of(
                arguments("a double slash", "/api//orders/x"),
                arguments("an encoded slash", "/api/orders/a%2Fb"),
                arguments("a malformed escape", "/api/orders/a%zz"),
                arguments("an encoded backslash", "/api/orders/a%5Cb"),
                arguments("path traversal", "/api/orders/%2e%2e/x"),
                // no id holds one, and PostgreSQL refuses a NUL outright (a 500 there before)
                arguments("an encoded NUL", "/api/orders/a%00b"),
                arguments("an encoded line feed", "/api/payments/a%0Ab"),
                arguments("an encoded NUL in a replay's id", "/api/subscriptions/order-status/replays/a%00"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requestsTheWebServerRefuses")
    void requestTheWebServerRefusesIsAProblemToo(String name, String path) throws Exception {
        // a raw request line: HTTP clients would tidy these paths up
        String answer = rawGet(path, "");
        assertThat(answer).startsWith("HTTP/1.1 400").containsIgnoringCase("Content-Type: application/problem+json")
                .contains("\"status\":400");
    }

    @Test
    void headersTooLargeIsAProblemToo() throws Exception {
        String answer = rawGet("/api/orders/x", "X-Big: " + "a".repeat(20_000) + "\r\n");
        assertThat(answer).startsWith("HTTP/1.1 400").containsIgnoringCase("Content-Type: application/problem+json");
    }

    @Test
    void retryWithTheSameIdempotencyKeyGetsTheSameAnswerAndNoSecondEvent() {
        String key = UUID.randomUUID().toString();
        String body = "{\"orderId\":\"" + unique("idem") + "\",\"userId\":\"u\",\"orderTotal\":1}";
        try (EventTap tap = new EventTap(rabbit)) {
            HttpResponse<String> first = postWithKey(key, body);
            HttpResponse<String> retry = postWithKey("\"" + key + "\"", body); // the draft's quoted form is the same key

            assertThat(first.statusCode()).isEqualTo(202);
            assertThat(retry.statusCode()).isEqualTo(202);
            assertThat(json(retry.body()).get("eventId").asText()).isEqualTo(json(first.body()).get("eventId").asText());
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(json(tap.next().getBody()).get("id").asText()).isEqualTo(json(first.body()).get("eventId").asText());
            assertNothingPublished(tap);
        }
    }

    @Test
    void theSameKeyWithAnotherBodyIs422() {
        String key = UUID.randomUUID().toString();
        assertThat(postWithKey(key, "{\"orderId\":\"" + unique("a") + "\",\"userId\":\"u\",\"orderTotal\":1}").statusCode())
                .isEqualTo(202);

        HttpResponse<String> other = postWithKey(key, "{\"orderId\":\"" + unique("b") + "\",\"userId\":\"u\",\"orderTotal\":1}");

        assertProblem(other, 422);
        assertThat(json(other.body()).get("detail").asText()).contains("Idempotency-Key");
    }

    @Test
    void aRefusedCallGivesItsKeyBack() {
        String key = UUID.randomUUID().toString();
        assertProblem(postWithKey(key, "{\"orderId\":\"x\",\"userId\":\"u\",\"orderTotal\":-1}"), 400);

        // corrected, with the same key
        assertThat(postWithKey(key, "{\"orderId\":\"" + unique("ok") + "\",\"userId\":\"u\",\"orderTotal\":1}").statusCode())
                .isEqualTo(202);
    }

    @Test
    void concurrentCallsWithOneKeyMakeOneEvent() throws Exception {
        String key = UUID.randomUUID().toString();
        String body = "{\"orderId\":\"" + unique("race") + "\",\"userId\":\"u\",\"orderTotal\":1}";
        Set<String> eventIds = ConcurrentHashMap.newKeySet();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (EventTap tap = new EventTap(rabbit)) {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(clients.submit(() -> {
                    HttpResponse<String> response = postWithKey(key, body);
                    if (response.statusCode() == 202) {
                        eventIds.add(json(response.body()).get("eventId").asText());
                    }
                    return response.statusCode();
                }));
            }
            for (Future<Integer> call : calls) {
                assertThat(call.get(1, TimeUnit.MINUTES)).isEqualTo(202);
            }
            assertThat(eventIds).hasSize(1);
            assertThat(json(tap.next().getBody()).get("id").asText()).isEqualTo(eventIds.iterator().next());
            assertNothingPublished(tap);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aKeyGivenTwiceIs400AndPublishesNothing() {
        String key = UUID.randomUUID().toString();
        String body = "{\"orderId\":\"" + unique("twice") + "\",\"userId\":\"u\",\"orderTotal\":1}";
        try (EventTap tap = new EventTap(rabbit)) {
            assertThat(postWithKey(key, body).statusCode()).isEqualTo(202);
            tap.next();

            // a proxy that adds a copy of the header: joined, "k,other" would be a new key, and a new event
            HttpResponse<String> twice = send(HttpRequest.newBuilder(uri("/api/orders")).header("Content-Type", "application/json")
                    .header("Idempotency-Key", key).header("Idempotency-Key", "other-" + key)
                    .POST(HttpRequest.BodyPublishers.ofString(body)));

            assertProblem(twice, 400);
            assertThat(json(twice.body()).get("detail").asText()).contains("Idempotency-Key is given 2 times");
            assertNothingPublished(tap);
        }
    }

    @Test
    void aKeyThatIsNotPrintableAsciiIs400() {
        assertProblem(postWithKey("a key with spaces", "{\"orderId\":\"1\",\"userId\":\"u\",\"orderTotal\":1}"), 400);
    }

    // --- helpers

    private HttpResponse<String> postWithKey(String key, String body) {
        return send(HttpRequest.newBuilder(uri("/api/orders")).header("Content-Type", "application/json")
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A GET written by hand on a socket, so the path reaches the server as it is. */
    private static byte[] gzip(byte[] bytes) {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream zip = new java.util.zip.GZIPOutputStream(out)) {
                zip.write(bytes);
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] withBom(byte[] bytes) {
        byte[] withBom = new byte[bytes.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(bytes, 0, withBom, 3, bytes.length);
        return withBom;
    }
}
