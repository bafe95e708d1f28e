package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.RouteFolders;
import io.shopevents.support.WebhookRoutes;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Webhook subscriptions that run themselves, against a real HTTP receiver in this JVM: a partner
 * that is down pauses its (ordered) subscription, which tells a route subscribed to the
 * operational events, dead-letters nothing, and after a resume delivers every waiting event once,
 * in order; an operator pauses and resumes any subscription (mail included); the delivery log
 * keeps each attempt (retried on the subscription's own schedule); a dead letter's giving up and recovery are operational events; a 429's
 * Retry-After holds back the whole subscription.
 */
@DirtiesContext
class WebhookOperationsIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final List<String> ROUTES = List.of("test-ops-pausing", "test-ops-twice", "test-ops-flip",
            "test-ops-slowed", "test-ops-held", "test-ops-alerts");

    /** The partner of test-ops-pausing: answers 503 while down. */
    private static final AtomicBoolean partnerDown = new AtomicBoolean();
    /** Per key, the sequence numbers the partner took (2xx), in the order it got them. */
    private static final Map<String, List<Integer>> taken = new ConcurrentHashMap<>();
    private static final AtomicLong downCalls = new AtomicLong();
    private static final Set<String> failedTwice = ConcurrentHashMap.newKeySet();
    private static final Map<String, Integer> twiceCalls = new ConcurrentHashMap<>();
    private static final AtomicBoolean flipGone = new AtomicBoolean(true);
    /** The arrival of each call at /slowed, and when the one answered 429 was answered (ms). */
    private static final List<Long> slowedArrivals = new CopyOnWriteArrayList<>();
    private static final AtomicLong answered429 = new AtomicLong();
    private static final AtomicBoolean slowDownNext = new AtomicBoolean();
    private static final List<JsonNode> operational = new CopyOnWriteArrayList<>();
    /** The partner of test-ops-held: asks for an hour's wait once, then takes every call. */
    private static final AtomicBoolean askedForAnHour = new AtomicBoolean();
    private static final Set<String> heldTaken = ConcurrentHashMap.newKeySet();
    private static final HttpServer receiver = WebhookRoutes.startReceiver(WebhookOperationsIT::receive);
    private static final Path routes = routesWithWebhooks();

    private static CamelContext camel;

    @DynamicPropertySource
    static void webhookRoutes(DynamicPropertyRegistry registry) {
        registry.add("shop.routes.dir", routes::toString);
        registry.add("test.receiver", () -> "http://127.0.0.1:" + receiver.getAddress().getPort());
        registry.add("shop.webhooks.test.secret", () -> SECRET);
    }

    @Autowired
    void camel(CamelContext context) {
        camel = context;
    }

    @AfterAll
    static void removeTheTestSubscriptions() throws Exception {
        for (String route : ROUTES) {
            camel.getRouteController().stopRoute(route);
            Broker.deleteQueue("shop.events." + route);
        }
        receiver.stop(0);
    }

    @Test
    void aPartnerDownPausesItsSubscriptionWhichDeadLettersNothingAndDeliversEverythingInOrderOnceResumed() {
        partnerDown.set(true);
        int keys = 3;
        int perKey = 4;
        List<String> keyNames = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            keyNames.add(unique("key"));
        }
        List<String> eventIds = new ArrayList<>();
        for (int seq = 0; seq < keys * perKey; seq++) {
            String key = keyNames.get(seq % keys);
            HttpResponse<String> answer = postJson("/api/events/order_shipped", "{\"orderId\":\"" + key
                    + "\",\"carrier\":\"DHL\",\"trackingCode\":\"S-" + String.format("%04d", seq) + "\"}");
            assertThat(answer.statusCode()).isEqualTo(202);
            eventIds.add(json(answer.body()).get("eventId").asText());
        }

        // three attempts in a row failed: it pauses itself, and says so
        await().atMost(WAIT).until(() -> "PAUSED".equals(subscription("test-ops-pausing").path("state").asText()));
        JsonNode paused = subscription("test-ops-pausing");
        assertThat(paused.at("/paused/by").asText()).isEqualTo("automatic");
        assertThat(paused.at("/paused/reason").asText()).contains("3 attempts in a row failed").contains("answered 503");
        await().atMost(WAIT).until(() -> operationalEvent("shop.subscription.paused", "test-ops-pausing") != null);
        JsonNode told = operationalEvent("shop.subscription.paused", "test-ops-pausing");
        assertThat(told.get("source").asText()).endsWith("/api/subscriptions/test-ops-pausing");
        assertThat(told.at("/data/pausedBy").asText()).isEqualTo("automatic");
        assertThat(told.at("/data/consecutiveFailures").asInt()).isGreaterThanOrEqualTo(3);

        // paused: nothing reaches the partner, nothing is dead-lettered, everything waits
        long callsWhilePaused = downCalls.get();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> downCalls.get() == callsWhilePaused);
        assertThat(eventIds).allSatisfy(id -> assertThat(deadLetterListed(id)).as("dead letter of " + id).isNull());

        partnerDown.set(false);
        HttpResponse<String> resumed = post("/api/subscriptions/test-ops-pausing/resume", "application/json", "");
        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(json(resumed.body()).path("paused").isNull()).isTrue();

        await().atMost(WAIT).until(() -> keyNames.stream().mapToInt(k -> taken.getOrDefault(k, List.of()).size()).sum() == keys * perKey);
        for (int k = 0; k < keys; k++) {
            List<Integer> expected = new ArrayList<>();
            for (int seq = k; seq < keys * perKey; seq += keys) {
                expected.add(seq);
            }
            assertThat(taken.get(keyNames.get(k))).as("key %d: each event once, in publish order", k).containsExactlyElementsOf(expected);
        }
        await().atMost(WAIT).until(() -> operationalEvent("shop.subscription.resumed", "test-ops-pausing") != null);
        assertThat(subscription("test-ops-pausing").path("state").asText()).isEqualTo("TAKING");
        assertThat(eventIds).allSatisfy(id -> assertThat(deadLetterListed(id)).isNull());
    }

    @Test
    void anOperatorPausesAndResumesAnySubscriptionTheMailIncluded() throws Exception {
        String userId = unique("paused-mail");
        try {
            HttpResponse<String> pause = post("/api/subscriptions/welcome-mail/pause", "application/json",
                    "{\"reason\":\"the mail server's maintenance\"}");
            assertThat(pause.statusCode()).isEqualTo(200);
            assertThat(json(pause.body()).get("state").asText()).isEqualTo("PAUSED");
            assertThat(json(pause.body()).at("/paused/by").asText()).isEqualTo("operator");
            assertThat(json(pause.body()).at("/paused/reason").asText()).isEqualTo("the mail server's maintenance");
            // a second pause changes nothing and tells nobody
            assertThat(post("/api/subscriptions/welcome-mail/pause", "application/json", "").statusCode()).isEqualTo(200);

            assertThat(postJson("/api/users", "{\"userId\":\"" + userId + "\",\"username\":\"Pat\",\"email\":\""
                    + userId + "@example.com\"}").statusCode()).isEqualTo(202);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> mailsTo(userId + "@example.com").isEmpty());
            assertThat(subscription("welcome-mail").path("state").asText()).isEqualTo("PAUSED");
            await().atMost(WAIT).until(() -> operationalEvent("shop.subscription.paused", "welcome-mail") != null);
            // a pause survives the subscription's restart: it starts paused
            camel.getRouteController().stopRoute("welcome-mail");
            camel.getRouteController().startRoute("welcome-mail");
            assertThat(subscription("welcome-mail").path("state").asText()).isEqualTo("PAUSED");
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> mailsTo(userId + "@example.com").isEmpty());
        } finally {
            assertThat(post("/api/subscriptions/welcome-mail/resume", "application/json", "").statusCode()).isEqualTo(200);
        }
        await().atMost(WAIT).until(() -> mailsTo(userId + "@example.com").size() == 1);
        await().atMost(WAIT).until(() -> operationalEvent("shop.subscription.resumed", "welcome-mail") != null);
        assertThat(operational.stream().filter(e -> e.get("type").asText().equals("shop.subscription.paused")
                && e.get("subject").asText().equals("welcome-mail")).count()).as("one paused event for one pause").isEqualTo(1);
        assertThat(subscription("welcome-mail").path("state").asText()).isEqualTo("TAKING");
    }

    @Test
    void pausingIsRefusedClearly() {
        assertProblem(post("/api/subscriptions/no-such-thing/pause", "application/json", ""), 404);
        assertProblem(get("/api/subscriptions/no-such-thing"), 404);
        assertProblem(post("/api/subscriptions/Not_A_Name/pause", "application/json", ""), 400);
        assertProblem(post("/api/subscriptions/welcome-mail/pause", "application/json", "{\"why\":\"x\"}"), 400);
        assertProblem(post("/api/subscriptions/welcome-mail/pause", "application/json", "{\"reason\":\"a\\nb\"}"), 400);
        // half a character, which would be stored and told as '?'
        assertProblem(post("/api/subscriptions/welcome-mail/pause", "application/json", "{\"reason\":\"\\ud800x\"}"), 400);
        assertProblem(sendWithKey("test-key-front-end-only", HttpRequest.newBuilder(uri("/api/subscriptions/welcome-mail/pause"))
                .POST(HttpRequest.BodyPublishers.noBody())), 403);
        assertThat(subscription("welcome-mail").path("state").asText()).isEqualTo("TAKING");
    }

    @Test
    void noProducerPublishesTheServicesOwnEvents() {
        HttpResponse<String> forged = post("/api/events", "application/cloudevents+json", "{\"specversion\":\"1.0\",\"id\":\""
                + unique("forged") + "\",\"source\":\"/x\",\"type\":\"shop.subscription.paused\",\"data\":{\"subscription\":"
                + "\"welcome-mail\",\"pausedAt\":\"2026-12-06T10:00:00Z\",\"pausedBy\":\"operator\",\"reason\":\"x\"}}");
        assertProblem(forged, 400);
        assertThat(json(forged.body()).at("/errors/0/field").asText()).isEqualTo("type");
        assertThat(json(forged.body()).at("/errors/0/message").asText()).contains("published by the service itself");
    }

    @Test
    void theDeliveryLogShowsEachAttemptOfAnEventThatFailedTwiceThenWentThrough() throws IOException {
        String orderId = unique("order");
        HttpResponse<String> answer = postJson("/api/payments", "{\"paymentId\":\"" + unique("payment") + "\",\"orderId\":\""
                + orderId + "\",\"paymentAmount\":12.50}");
        String eventId = json(answer.body()).get("eventId").asText();

        await().atMost(WAIT).until(() -> deliveries("eventId=" + eventId).size() == 3);
        List<JsonNode> attempts = deliveries("eventId=" + eventId);
        // newest first
        assertThat(attempts).extracting(a -> a.get("attempt").asInt()).containsExactly(3, 2, 1);
        assertThat(attempts).extracting(a -> a.get("status").asInt()).containsExactly(200, 500, 500);
        assertThat(attempts).extracting(a -> a.get("outcome").asText()).containsExactly("DELIVERED", "FAILED", "FAILED");
        assertThat(attempts.get(1).get("response").asText()).isEqualTo("try again");
        // each retry after the subscription's own delay (retryDelays: 400ms)
        for (int i = 0; i < 2; i++) {
            java.time.Instant later = java.time.Instant.parse(attempts.get(i).get("attemptedAt").asText());
            java.time.Instant earlier = java.time.Instant.parse(attempts.get(i + 1).get("attemptedAt").asText());
            assertThat(Duration.between(earlier, later)).as("between attempts %d and %d", 2 - i, 3 - i)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(390));
        }
        assertThat(attempts).allSatisfy(a -> {
            assertThat(a.get("eventType").asText()).isEqualTo("payment_processed");
            assertThat(a.get("webhook").asText()).isEqualTo("test-ops-twice");
            assertThat(a.get("durationMs").asInt()).isGreaterThanOrEqualTo(0);
        });
        assertThat(deliveries("eventId=" + eventId + "&status=failed")).hasSize(2);
        assertThat(deliveries("eventId=" + eventId + "&status=500")).hasSize(2);
        assertThat(deliveries("eventId=" + eventId + "&status=delivered")).hasSize(1);

        // a page at a time: next holds the filters and where the page ends
        JsonNode first = json(get("/api/subscriptions/test-ops-twice/deliveries?eventId=" + eventId + "&limit=2").body());
        assertThat(first.get("deliveries")).hasSize(2);
        JsonNode second = json(get(first.get("next").asText()).body());
        assertThat(second.get("deliveries")).hasSize(1);
        assertThat(second.at("/deliveries/0/attempt").asInt()).isEqualTo(1);
        assertThat(second.get("next").isNull()).isTrue();

        assertProblem(get("/api/subscriptions/test-ops-twice/deliveries?status=sometimes"), 400);
        assertProblem(get("/api/subscriptions/test-ops-twice/deliveries?from=yesterday"), 400);
        assertProblem(get("/api/subscriptions/test-ops-twice/deliveries?cursor=nonsense"), 400);
        assertProblem(get("/api/subscriptions/test-ops-twice/deliveries?limit=0"), 400);
        // a NUL PostgreSQL refuses outright, digits of other scripts, an escape the server would drop
        assertProblem(get("/api/subscriptions/test-ops-twice/deliveries?eventId=a%00b"), 400);
        assertProblem(get("/api/subscriptions/test-ops-twice/deliveries?limit=%EF%BC%91"), 400);
        // java.net.URI refuses to hold it: sent as curl would
        assertThat(rawGet("/api/subscriptions/test-ops-twice/deliveries?cursor=%%%", ""))
                .startsWith("HTTP/1.1 400").contains("application/problem+json");
        assertProblem(get("/api/dead-letters?limit=%D9%A1"), 400);
    }

    @Test
    void anEventGivenUpOnAndRecoveredAfterAReplayIsToldAsOperationalEvents() {
        String userId = unique("flip");
        HttpResponse<String> answer = postJson("/api/users", "{\"userId\":\"" + userId + "\",\"username\":\"Flip\",\"email\":\""
                + userId + "@example.com\"}");
        String eventId = json(answer.body()).get("eventId").asText();

        await().atMost(WAIT).until(() -> exhaustedFor(eventId) != null);
        JsonNode exhausted = exhaustedFor(eventId);
        JsonNode letter = deadLetterListed(eventId);
        assertThat(letter).isNotNull();
        assertThat(exhausted.at("/data/subscription").asText()).isEqualTo("test-ops-flip");
        assertThat(exhausted.at("/data/attempts").asInt()).isEqualTo(1);
        assertThat(exhausted.at("/data/reason").asText()).contains("answered 410");
        assertThat(exhausted.at("/data/deadLetterId").asText()).isEqualTo(letter.get("id").asText());

        flipGone.set(false);
        HttpResponse<String> replay = post("/api/dead-letters/replay?subscription=test-ops-flip", "application/json",
                "{\"ids\":[\"" + letter.get("id").asText() + "\"]}");
        assertThat(replay.statusCode()).isEqualTo(200);
        await().atMost(WAIT).until(() -> operational.stream().anyMatch(e -> e.get("type").asText().equals("shop.delivery.recovered")
                && e.at("/data/eventId").asText().equals(eventId)));
        JsonNode recovered = operational.stream().filter(e -> e.get("type").asText().equals("shop.delivery.recovered")
                && e.at("/data/eventId").asText().equals(eventId)).findFirst().orElseThrow();
        assertThat(recovered.at("/data/replays").asInt()).isEqualTo(1);
        assertThat(recovered.get("subject").asText()).isEqualTo("test-ops-flip");
    }

    @Test
    void aRetryAfterHoldsBackTheWholeSubscription() {
        slowDownNext.set(true);
        int before = slowedArrivals.size();
        for (int i = 0; i < 6; i++) {
            assertThat(postJson("/api/orders", "{\"orderId\":\"" + unique("slowed") + "\",\"userId\":\"u\",\"orderTotal\":1}")
                    .statusCode()).isEqualTo(202);
        }
        // while it holds back, the subscription says so
        JsonNode waiting = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> subscription("test-ops-slowed"), s -> s.get("state").asText().equals("WAITING"));
        assertThat(java.time.Instant.parse(waiting.get("waitingUntil").asText())).isAfter(java.time.Instant.now().minusSeconds(1));
        await().atMost(WAIT).until(() -> slowedArrivals.size() >= before + 7);
        long refusedAt = answered429.get();
        assertThat(refusedAt).isPositive();
        // the other consumer may have had one call on its way; every other waited for the Retry-After (2 s)
        long early = slowedArrivals.stream().filter(t -> t > refusedAt && t < refusedAt + 1_900).count();
        assertThat(early).as("calls within 2 s of the 429").isLessThanOrEqualTo(1);
    }

    @Test
    void aResumeEndsTheWaitAPartnerAskedFor() {
        String userId = unique("held");
        assertThat(postJson("/api/users", "{\"userId\":\"" + userId + "\",\"username\":\"Held\",\"email\":\""
                + userId + "@example.com\"}").statusCode()).isEqualTo(202);
        // the partner asked for an hour: the subscription waits, its event in its queue
        JsonNode waiting = await().atMost(WAIT).until(() -> subscription("test-ops-held"),
                s -> s.get("state").asText().equals("WAITING"));
        assertThat(Instant.parse(waiting.get("waitingUntil").asText())).isAfter(Instant.now().plus(Duration.ofMinutes(50)));

        // the operator knows better
        HttpResponse<String> resumed = post("/api/subscriptions/test-ops-held/resume", "application/json", "");
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        assertThat(json(resumed.body()).get("state").asText()).isEqualTo("TAKING");
        assertThat(json(resumed.body()).get("waitingUntil").isNull()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> heldTaken.contains(userId));
    }

    // --- what the service tells and keeps

    private JsonNode subscription(String name) {
        HttpResponse<String> one = get("/api/subscriptions/" + name);
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        JsonNode listed = null;
        for (JsonNode s : json(get("/api/subscriptions").body()).get("subscriptions")) {
            if (s.get("name").asText().equals(name)) {
                listed = s;
            }
        }
        assertThat(listed).as("in the list").isNotNull();
        return json(one.body());
    }

    private List<JsonNode> deliveries(String query) {
        HttpResponse<String> response = get("/api/subscriptions/test-ops-twice/deliveries?" + query);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> list = new ArrayList<>();
        json(response.body()).get("deliveries").forEach(list::add);
        return list;
    }

    private static JsonNode operationalEvent(String type, String subscription) {
        return operational.stream().filter(e -> e.get("type").asText().equals(type)
                && e.at("/data/subscription").asText().equals(subscription)).findFirst().orElse(null);
    }

    private static JsonNode exhaustedFor(String eventId) {
        return operational.stream().filter(e -> e.get("type").asText().equals("shop.delivery.exhausted")
                && e.at("/data/eventId").asText().equals(eventId)).findFirst().orElse(null);
    }

    // --- the receiver and the routes


    private static void receive(HttpExchange exchange) throws IOException {
        long arrived = System.currentTimeMillis();
        byte[] body = exchange.getRequestBody().readAllBytes();
        JsonNode event = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
        String webhookId = exchange.getRequestHeaders().getFirst("webhook-id");
        switch (exchange.getRequestURI().getPath()) {
            case "/down" -> {
                downCalls.incrementAndGet();
                if (partnerDown.get()) {
                    WebhookRoutes.answer(exchange, 503, "down for maintenance");
                    return;
                }
                taken.computeIfAbsent(event.at("/data/orderId").asText(), k -> new CopyOnWriteArrayList<>())
                        .add(Integer.parseInt(event.at("/data/trackingCode").asText().substring(2)));
                WebhookRoutes.answer(exchange, 204, "");
            }
            case "/twice" -> {
                int call = twiceCalls.merge(webhookId, 1, Integer::sum);
                if (call <= 2) {
                    failedTwice.add(webhookId);
                    WebhookRoutes.answer(exchange, 500, "try again");
                } else {
                    WebhookRoutes.answer(exchange, 200, "{\"ok\":true}");
                }
            }
            case "/flip" -> {
                // only the users of the test about giving up: the others' welcome events go through
                boolean gone = flipGone.get() && event.at("/data/userId").asText().startsWith("flip-");
                WebhookRoutes.answer(exchange, gone ? 410 : 204, gone ? "gone for now" : "");
            }
            case "/slowed" -> {
                slowedArrivals.add(arrived);
                if (slowDownNext.compareAndSet(true, false)) {
                    exchange.getResponseHeaders().add("Retry-After", "2");
                    answered429.set(System.currentTimeMillis());
                    WebhookRoutes.answer(exchange, 429, "slow down");
                } else {
                    WebhookRoutes.answer(exchange, 204, "");
                }
            }
            case "/held" -> {
                if (askedForAnHour.compareAndSet(false, true)) {
                    exchange.getResponseHeaders().add("Retry-After", "3600");
                    WebhookRoutes.answer(exchange, 503, "back in an hour");
                    return;
                }
                heldTaken.add(event.at("/data/userId").asText());
                WebhookRoutes.answer(exchange, 204, "");
            }
            case "/ops" -> {
                operational.add(event);
                WebhookRoutes.answer(exchange, 204, "");
            }
            default -> WebhookRoutes.answer(exchange, 404, "no such hook");
        }
    }

    private static Path routesWithWebhooks() {
        try {
            Path copy = RouteFolders.copyOfTheRoutes("webhook-operations-routes");
            webhook(copy, "test-ops-pausing", "order_shipped", "/down", "orderBy: data.orderId", "pauseAfterFailures: 3");
            // its own retry schedule: 400 ms before each retry (the tests' default begins 100 ms, 200 ms)
            webhook(copy, "test-ops-twice", "payment_processed", "/twice", "retryDelays: 400ms");
            webhook(copy, "test-ops-flip", "user_registered", "/flip");
            webhook(copy, "test-ops-slowed", "order_placed", "/slowed", "consumers: 2");
            webhook(copy, "test-ops-held", "user_registered", "/held");
            webhook(copy, "test-ops-alerts", "shop.subscription.paused,shop.subscription.resumed,shop.delivery.exhausted,"
                    + "shop.delivery.recovered", "/ops");
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void webhook(Path routes, String name, String types, String path, String... options) throws IOException {
        WebhookRoutes.write(routes, name, types, path, List.of(options), List.of());
    }
}
