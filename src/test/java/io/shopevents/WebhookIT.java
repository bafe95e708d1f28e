package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.RouteFolders;
import io.shopevents.support.WebhookRoutes;
import org.apache.camel.CamelContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.test.annotation.DirtiesContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Webhook subscriptions written in YAML only (signed-webhook:), delivering to a real HTTP receiver
 * in this JVM: signed as Standard Webhooks says (checked here from the specification), retried on
 * 5xx, dead-lettered at once on 410, and a receiver that hangs delays no other subscription.
 */
@DirtiesContext
// tracing is off in Spring Boot's tests unless asked for: here the trace context goes on to the receiver
@AutoConfigureObservability(metrics = false)
class WebhookIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] KEY = randomKey();
    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);
    private static final List<Call> calls = new CopyOnWriteArrayList<>();
    private static final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    private static final CountDownLatch releaseHungCalls = new CountDownLatch(1);
    private static final HttpServer receiver = WebhookRoutes.startReceiver(WebhookIT::receive);
    private static final Path routes = routesWithWebhooks();

    record Call(String path, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    @DynamicPropertySource
    static void webhookRoutes(DynamicPropertyRegistry registry) {
        registry.add("shop.routes.dir", routes::toString);
        registry.add("test.receiver", () -> "http://127.0.0.1:" + receiver.getAddress().getPort());
        registry.add("shop.webhooks.test.secret", () -> SECRET);
    }

    /** The application's Camel, for the clean-up after the last test. */
    private static CamelContext camel;

    @Autowired
    void camel(CamelContext context) {
        camel = context;
    }

    /**
     * The webhook subscriptions stop, then their queues go: left bound to shop.events, they would
     * take the events of the test classes that follow.
     */
    @AfterAll
    static void removeTheWebhookSubscriptions() throws Exception {
        for (String route : List.of("test-hook-orders", "test-hook-flaky", "test-hook-gone", "test-hook-hung")) {
            camel.getRouteController().stopRoute(route);
            Broker.deleteQueue("shop.events." + route);
        }
        releaseHungCalls.countDown();
        receiver.stop(0);
    }

    @Test
    void eachEventArrivesOnceAsASignedCloudEvent() throws Exception {
        String orderId = unique("order");
        assertThat(postJson("/api/orders", order(orderId)).statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> callsFor("/orders", orderId).size() == 1);
        Call call = callsFor("/orders", orderId).get(0);
        assertThat(call.header("Content-Type")).isEqualTo("application/cloudevents+json");
        assertThat(call.header("X-Shop")).isEqualTo("test shop");
        assertThat(verifies(call)).as("the Standard Webhooks signature verifies").isTrue();
        assertThat(call.header("traceparent")).as("the trace goes on at the receiver")
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        JsonNode event = json(call.body());
        assertThat(event.get("specversion").asText()).isEqualTo("1.0");
        assertThat(event.get("type").asText()).isEqualTo("order_placed");
        assertThat(event.at("/data/orderId").asText()).isEqualTo(orderId);

        // a second event, then the first must still have been called once only
        String later = unique("order");
        postJson("/api/orders", order(later));
        await().atMost(WAIT).until(() -> callsFor("/orders", later).size() == 1);
        assertThat(callsFor("/orders", orderId)).hasSize(1);
    }

    @Test
    void aCloudEventsExtensionsReachTheReceiverAsTheyWereSent() {
        String orderId = unique("order");
        String eventId = unique("with-extensions");
        HttpResponse<String> answer = post("/api/events", "application/cloudevents+json", "{\"specversion\":\"1.0\",\"id\":\""
                + eventId + "\",\"source\":\"https://partner.example/x\",\"type\":\"order_placed\",\"partitionkey\":\""
                + orderId + "\",\"priority\":7,\"rush\":true,\"data\":" + order(orderId) + "}");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);

        await().atMost(WAIT).until(() -> callsFor("/orders", orderId).size() == 1);
        JsonNode event = json(callsFor("/orders", orderId).get(0).body());
        assertThat(event.get("id").asText()).isEqualTo(eventId);
        assertThat(event.get("source").asText()).isEqualTo("https://partner.example/x");
        assertThat(event.get("partitionkey").asText()).isEqualTo(orderId);
        assertThat(event.get("priority").isInt()).isTrue();
        assertThat(event.get("priority").asInt()).isEqualTo(7);
        assertThat(event.get("rush").asBoolean()).isTrue();
    }

    @Test
    void aSignatureMadeWithAnotherSecretDoesNotVerify() {
        String orderId = unique("order");
        postJson("/api/orders", order(orderId));
        await().atMost(WAIT).until(() -> callsFor("/orders", orderId).size() == 1);
        Call call = callsFor("/orders", orderId).get(0);
        byte[] tampered = new String(call.body(), StandardCharsets.UTF_8).replace(orderId, orderId + "x")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(verifies(new Call(call.path(), call.headers(), tampered))).isFalse();
    }

    @Test
    void aServerErrorIsRetriedWithTheSameWebhookIdAndThenDelivered() {
        String orderId = unique("order");
        postJson("/api/orders", order(orderId));
        assertThat(postJson("/api/payments", "{\"paymentId\":\"" + unique("payment") + "\",\"orderId\":\"" + orderId
                + "\",\"paymentAmount\":12.50}").statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> callsFor("/flaky", orderId).size() == 2);
        List<Call> attempts = callsFor("/flaky", orderId);
        assertThat(attempts.get(0).header("webhook-id")).isEqualTo(attempts.get(1).header("webhook-id"));
        assertThat(attempts).allMatch(WebhookIT::verifies);
        assertThat(deadLetterListed(json(attempts.get(0).body()).get("id").asText())).isNull();
    }

    @Test
    void aGoneReceiverIsDeadLetteredAtOnceWithItsStatusAndAnswer() {
        String orderId = unique("order");
        var response = postJson("/api/events/order_shipped",
                "{\"orderId\":\"" + orderId + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}");
        assertThat(response.statusCode()).isEqualTo(202);
        String eventId = json(response.body()).get("eventId").asText();

        await().atMost(WAIT).until(() -> deadLetterListed(eventId) != null);
        JsonNode letter = deadLetterListed(eventId);
        assertThat(letter.get("subscription").asText()).isEqualTo("test-hook-gone");
        assertThat(letter.get("attempts").asInt()).isEqualTo(1);
        assertThat(letter.get("reason").asText()).contains("answered 410").contains("this hook was removed")
                .as("the answer's line break does not reach logs or letters").doesNotContain("\r", "\n");
        assertThat(callsFor("/gone", orderId)).hasSize(1);
    }

    @Test
    void aHungReceiverDelaysNoOtherSubscription() {
        String userId = unique("user");
        assertThat(postJson("/api/users", "{\"userId\":\"" + userId + "\",\"username\":\"Hung\",\"email\":\""
                + userId + "@example.com\"}").statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> !callsFor("/hang", userId).isEmpty());

        // the hung call holds its subscription only: orders go through to their webhook and their status
        String orderId = unique("order");
        postJson("/api/orders", order(orderId));
        await().atMost(Duration.ofSeconds(10)).until(() -> callsFor("/orders", orderId).size() == 1
                && get("/api/orders/" + orderId).statusCode() == 200);
        // the mail's own subscription goes on meanwhile (it may come a moment after the order)
        await().atMost(Duration.ofSeconds(10)).until(() -> mailsTo(userId + "@example.com").size() == 1);
    }

    // --- the receiver and the routes

    /** The Standard Webhooks verification, written from the specification. */
    private static boolean verifies(Call call) {
        try {
            String id = call.header("webhook-id");
            String timestamp = call.header("webhook-timestamp");
            if (id == null || timestamp == null || Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
                return false;
            }
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            byte[] expected = mac.doFinal(call.body());
            for (String signature : call.header("webhook-signature").split(" ")) {
                if (signature.startsWith("v1,")
                        && MessageDigest.isEqual(expected, Base64.getDecoder().decode(signature.substring(3)))) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    private static List<Call> callsFor(String path, String mentioning) {
        return calls.stream().filter(c -> c.path().equals(path))
                .filter(c -> new String(c.body(), StandardCharsets.UTF_8).contains(mentioning)).toList();
    }

    private static String order(String orderId) {
        return "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":12.50}";
    }


    private static void receive(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Call call = new Call(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()), body);
        calls.add(call);
        switch (call.path()) {
            case "/flaky" -> {
                if (failedOnce.add(call.header("webhook-id"))) {
                    WebhookRoutes.answer(exchange, 500, "try again");
                } else {
                    WebhookRoutes.answer(exchange, 204, "");
                }
            }
            case "/gone" -> WebhookRoutes.answer(exchange, 410, "this hook was removed\r\nFAKE LOG LINE");
            case "/hang" -> {
                try {
                    releaseHungCalls.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
            }
            default -> WebhookRoutes.answer(exchange, 200, "{\"ok\":true}");
        }
    }

    private static Path routesWithWebhooks() {
        try {
            Path copy = RouteFolders.copyOfTheRoutes("webhook-routes");
            webhook(copy, "test-hook-orders", "order_placed", "/orders", 5000, "X-Shop: test shop");
            webhook(copy, "test-hook-flaky", "payment_processed", "/flaky", 5000, null);
            webhook(copy, "test-hook-gone", "order_shipped", "/gone", 5000, null);
            webhook(copy, "test-hook-hung", "user_registered", "/hang", 500, null);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void webhook(Path routes, String name, String types, String path, int timeout, String headers)
            throws IOException {
        WebhookRoutes.write(routes, name, types, path, List.of(),
                headers == null ? List.of("timeout: " + timeout) : List.of("timeout: " + timeout, "headers: \"" + headers + "\""));
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }
}
