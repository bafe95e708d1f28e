package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.shopevents.event.CloudEvent;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The archive gives a subscription the history it missed: 1,000 events are published, then a
 * subscription of their type is added; a replay of the range sends all of them to it (and to no
 * other subscription), a second replay of the range applies nothing twice, and a range the archive
 * no longer holds is refused saying so.
 */
class ArchiveReplayIT extends IntegrationTest {

    private static final int EVENTS = 1000;
    private static final Map<String, AtomicInteger> applied = new ConcurrentHashMap<>();
    private static final Set<String> appliedByTestTimes = ConcurrentHashMap.newKeySet();
    private static final Set<String> appliedByTestNow = ConcurrentHashMap.newKeySet();

    @Autowired
    private CamelContext camel;

    @Autowired
    private MeterRegistry meters;

    @Test
    void aSubscriptionAddedLaterGetsTheEventsItMissedOnceAndNobodyElseGetsThemAgain() throws Exception {
        Instant start = Instant.now().minusSeconds(1);
        String run = unique("archived");
        List<String> eventIds = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < EVENTS; i++) {
                String body = "{\"orderId\":\"" + run + "-" + i + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}";
                calls.add(clients.submit(() -> postJson("/api/events/order_shipped", body)));
            }
            for (Future<HttpResponse<String>> call : calls) {
                HttpResponse<String> response = call.get(2, TimeUnit.MINUTES);
                assertThat(response.statusCode()).isEqualTo(202);
                eventIds.add(json(response.body()).get("eventId").asText());
            }
        } finally {
            clients.shutdownNow();
        }
        // the shipped order-shipped subscription has them all, before the new one exists
        await().atMost(Duration.ofSeconds(60)).until(() -> deliveries("order-shipped") >= EVENTS);
        await().atMost(Duration.ofSeconds(30)).until(() -> io.shopevents.support.Broker.messagesIn("shop.events.order-shipped") == 0);
        double shippedBefore = deliveries("order-shipped");

        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("subscription:test-backfill?types=order_shipped").routeId("test-backfill").process(exchange ->
                        applied.computeIfAbsent(exchange.getMessage().getBody(CloudEvent.class).id(), id -> new AtomicInteger())
                                .incrementAndGet());
            }
        });
        JsonNode first = replay("{\"from\":\"" + start + "\"}");

        assertThat(first.get("status").asText()).isEqualTo("DONE");
        assertThat(first.get("sent").asLong()).isGreaterThanOrEqualTo(EVENTS);
        await().atMost(Duration.ofSeconds(60)).until(() -> eventIds.stream().allMatch(applied::containsKey));
        assertThat(eventIds).allMatch(id -> applied.get(id).get() == 1);
        assertThat(deliveries("order-shipped")).as("the other subscription got nothing again").isEqualTo(shippedBefore);

        double skippedBefore = outcome("test-backfill", "skipped");
        JsonNode second = replay("{\"from\":\"" + start + "\",\"types\":[\"order_shipped\"]}");
        assertThat(second.get("sent").asLong()).isGreaterThanOrEqualTo(EVENTS);
        await().atMost(Duration.ofSeconds(60)).until(() -> outcome("test-backfill", "skipped") >= skippedBefore + EVENTS);
        assertThat(eventIds).as("nothing applied twice").allMatch(id -> applied.get(id).get() == 1);
        assertThat(deliveries("order-shipped")).isEqualTo(shippedBefore);
    }

    @Autowired
    private io.shopevents.store.ProcessedEvents processedEvents;

    @Autowired
    private org.springframework.transaction.support.TransactionTemplate transaction;

    @Test
    void aReplayFollowsTheArchiveNeverATimeAProducerWroteAndSkipsWhatWasWithdrawn() throws Exception {
        Instant start = Instant.now().minusSeconds(1);
        String run = unique("times");
        // an event whose publication was not confirmed: its caller heard 503, so nothing may apply it
        String withdrawn = run + "-withdrawn";
        transaction.executeWithoutResult(status -> processedEvents.withdraw("/tests", withdrawn,
                List.of("order-status", "payment-status", "welcome-mail", "order-shipped")));
        publish("order_shipped", shipped(withdrawn, "2026-11-27T10:00:00Z"));
        List<String> valid = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            if (i == 5) {
                // a time in the future, in the middle of the history: it must not end the range
                publish("order_shipped", shipped(run + "-future", "2099-01-01T00:00:00Z"));
            }
            valid.add(run + "-" + i);
            publish("order_shipped", shipped(run + "-" + i, "2026-11-27T10:00:00Z"));
        }
        io.shopevents.support.DeadLetters.take(rabbit, run + "-future");
        await().atMost(Duration.ofSeconds(30)).until(() -> io.shopevents.support.Broker.messagesIn("shop.events.order-shipped") == 0);
        Set<String> tagsBefore = io.shopevents.support.Broker.consumerTags("shop.events.order-status");

        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("subscription:test-times?types=order_shipped").routeId("test-times").process(exchange ->
                        appliedByTestTimes.add(exchange.getMessage().getBody(CloudEvent.class).id()));
            }
        });
        HttpResponse<String> started = post("/api/subscriptions/test-times/replay", "{\"from\":\"" + start + "\"}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> json(get(location).body()).get("status").asText().equals("DONE"));

        await().atMost(Duration.ofSeconds(30)).until(() -> appliedByTestTimes.containsAll(valid));
        io.shopevents.support.DeadLetters.take(rabbit, run + "-future");
        assertThat(appliedByTestTimes).as("withdrawn: never applied, not even by a subscription added later").doesNotContain(withdrawn);
        assertThat(json(get(location).body()).get("skipped").asLong()).isGreaterThanOrEqualTo(1);

        // reading the dead letters after a replay leaves every other consumer where it was
        for (int i = 0; i < 3; i++) {
            assertThat(get("/api/dead-letters?limit=10").statusCode()).isEqualTo(200);
        }
        assertThat(io.shopevents.support.Broker.consumerTags("shop.events.order-status")).isEqualTo(tagsBefore);
    }

    @Test
    void aReplayWithoutAnEndTakesWhatCameInTheSecondItWasAskedFor() throws Exception {
        // AMQP times have seconds: an end of "now" cut to the second would leave this event out
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> Instant.now().getNano() < 100_000_000);
        Instant from = Instant.now().minusSeconds(1);
        String eventId = unique("same-second");
        publish("order_shipped", shipped(eventId, "2026-11-27T10:00:00Z"));
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("subscription:test-now?types=order_shipped").routeId("test-now").process(exchange ->
                        appliedByTestNow.add(exchange.getMessage().getBody(CloudEvent.class).id()));
            }
        });
        HttpResponse<String> started = post("/api/subscriptions/test-now/replay", "{\"from\":\"" + from + "\"}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(30)).until(() -> appliedByTestNow.contains(eventId));
    }

    @Test
    void aRangeTheArchiveNoLongerHoldsIsRefusedSayingSo() {
        HttpResponse<String> response = post("/api/subscriptions/order-shipped/replay",
                "{\"from\":\"2020-01-01T00:00:00Z\",\"to\":\"2020-01-02T00:00:00Z\"}");

        assertProblem(response, 422);
        assertThat(json(response.body()).get("detail").asText()).contains("archive").contains("retention");
    }

    @Test
    void replayIntoAnUnknownSubscriptionOrWithANonsenseRangeIsRefused() {
        assertProblem(post("/api/subscriptions/no-such-one/replay", "{\"from\":\"2026-01-01T00:00:00Z\"}"), 404);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"yesterday\"}"), 400);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"2026-01-02T00:00:00Z\",\"to\":\"2026-01-01T00:00:00Z\"}"), 400);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"2026-01-01T00:00:00Z\",\"types\":[\"order_placed\"]}"), 400);
        // a list that names no type is not "every type", and no archive holds a time before 1970 or after 9999
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"2026-01-01T00:00:00Z\",\"types\":[null]}"), 400);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"2026-01-01T00:00:00Z\",\"types\":[\"\"]}"), 400);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"-999999999-01-01T00:00:00Z\"}"), 400);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":\"2026-01-01T00:00:00Z\",\"to\":\"+999999999-12-31T23:59:59Z\"}"), 400);
        assertProblem(post("/api/subscriptions/order-shipped/replay", "{\"from\":1e2147483648}"), 400);
    }

    @Test
    void subscriptionsAreListedWithTheirTypesAndState() {
        JsonNode list = json(get("/api/subscriptions").body());

        assertThat(list.get("subscriptions").findValuesAsText("name")).contains("order-status", "payment-status", "welcome-mail");
        JsonNode welcome = null;
        for (JsonNode subscription : list.get("subscriptions")) {
            if (subscription.get("name").asText().equals("welcome-mail")) {
                welcome = subscription;
            }
        }
        assertThat(welcome).isNotNull();
        assertThat(welcome.get("types").toString()).isEqualTo("[\"user_registered\"]");
        assertThat(welcome.get("queue").asText()).isEqualTo("shop.events.welcome-mail");
        assertThat(welcome.get("state").asText()).isEqualTo("TAKING");
    }

    private JsonNode replay(String body) {
        HttpResponse<String> started = post("/api/subscriptions/test-backfill/replay", body);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/api/subscriptions/test-backfill/replays/");
        await().atMost(Duration.ofSeconds(90)).until(() -> !json(get(location).body()).get("status").asText().equals("RUNNING"));
        return json(get(location).body());
    }

    private static String shipped(String eventId, String time) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"order_shipped\",\"source\":\"/tests\",\"time\":\""
                + time + "\",\"data\":{\"orderId\":\"1\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}}";
    }

    private HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private double deliveries(String subscription) {
        return meters.find("shop.subscription.events").tag("subscription", subscription).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private double outcome(String subscription, String outcome) {
        Counter counter = meters.find("shop.subscription.events").tag("subscription", subscription).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }
}
