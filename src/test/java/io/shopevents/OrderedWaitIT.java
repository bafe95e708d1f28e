package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An ordered subscription whose partner keeps asking it to wait (429 with a Retry-After longer
 * than a consumer holds messages) holds its events in place meanwhile: handing them back to the
 * queue at every wait counted each time as a delivery towards the queue's x-delivery-limit, and
 * the broker dead-lettered events that had waited a few times (an adversary's finding; here the
 * limit is 3, the waits 6). Every event arrives once, in order, and none is dead-lettered. And an
 * ordered subscription whose circuit breaker opened takes events again once its downstream is back.
 */
@DirtiesContext
class OrderedWaitIT extends IntegrationTest {

    private static final String NAME = "test-ordered-wait";
    private static final String DOWN = "test-ordered-down";
    private static final int WAITS = 6;

    private static final AtomicInteger calls = new AtomicInteger();
    private static final AtomicInteger slowDowns = new AtomicInteger();
    /** Per key, the sequence numbers the partner took (2xx), in the order it got them. */
    private static final Map<String, List<Integer>> taken = new ConcurrentHashMap<>();
    /** The partner of test-ordered-down answers 503 until then (ms). */
    private static volatile long downUntil;
    private static final Map<String, List<String>> takenAfterDown = new ConcurrentHashMap<>();
    private static final HttpServer receiver = WebhookRoutes.startReceiver(OrderedWaitIT::receive);
    private static final Path routes = routeFolder();

    private static CamelContext camel;

    @DynamicPropertySource
    static void shortHoldsAndALowDeliveryLimit(DynamicPropertyRegistry registry) {
        registry.add("shop.routes.dir", routes::toString);
        registry.add("test.receiver", () -> "http://127.0.0.1:" + receiver.getAddress().getPort());
        registry.add("shop.webhooks.test.secret", () -> "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        // a Retry-After of 2 s is longer than a consumer holds messages: the subscription waits
        registry.add("shop.subscriptions.longest-hold", () -> "1s");
        registry.add("shop.subscriptions.delivery-limit", () -> "3");
    }

    @Autowired
    void camel(CamelContext context) {
        camel = context;
    }

    @AfterAll
    static void removeTheTestSubscription() throws Exception {
        for (String name : List.of(NAME, DOWN)) {
            camel.getRouteController().stopRoute(name);
            Broker.deleteQueue("shop.events." + name);
        }
        receiver.stop(0);
    }

    @Test
    void aPartnerThatKeepsAskingToWaitGetsEveryEventOnceInOrderAndNoneIsDeadLettered() {
        List<String> keys = List.of(unique("wait-a"), unique("wait-b"), unique("wait-c"));
        int events = 12;
        List<String> eventIds = new ArrayList<>();
        for (int seq = 0; seq < events; seq++) {
            var answer = postJson("/api/events/order_shipped", "{\"orderId\":\"" + keys.get(seq % keys.size())
                    + "\",\"carrier\":\"DHL\",\"trackingCode\":\"S-" + String.format("%04d", seq) + "\"}");
            assertThat(answer.statusCode()).isEqualTo(202);
            eventIds.add(json(answer.body()).get("eventId").asText());
        }

        await().atMost(Duration.ofSeconds(60))
                .until(() -> taken.values().stream().mapToInt(List::size).sum() >= events);

        assertThat(slowDowns.get()).as("waits asked for").isEqualTo(WAITS);
        for (int k = 0; k < keys.size(); k++) {
            List<Integer> expected = new ArrayList<>();
            for (int seq = k; seq < events; seq += keys.size()) {
                expected.add(seq);
            }
            assertThat(taken.get(keys.get(k))).as("key %s, in order, each once", k).isEqualTo(expected);
        }
        JsonNode deadLetters = json(get("/api/dead-letters?limit=1000&subscription=" + NAME).body());
        assertThat(deadLetters.get("deadLetters").findValuesAsText("eventId")).as(deadLetters.toString())
                .doesNotContainAnyElementsOf(eventIds);
    }

    /**
     * The partner is down for 4 s: the circuit opens (3 failures in a row, 1 s here), and its
     * half-open trial is an event tried again in place. That trial's failure went unreported, so
     * the circuit stayed half-open, permitting nothing: every event of the subscription parked
     * until its hold limit (20 min), then was dead-lettered, and so on for good.
     */
    @Test
    void afterItsCircuitOpenedAnOrderedSubscriptionDeliversEverythingOnceTheDownstreamIsBack() {
        downUntil = System.currentTimeMillis() + 4_000;
        List<String> orders = List.of(unique("down-a"), unique("down-b"), unique("down-c"), unique("down-d"));
        for (int seq = 0; seq < 8; seq++) {
            assertThat(postJson("/api/payments", "{\"paymentId\":\"" + unique("p" + seq) + "\",\"orderId\":\""
                    + orders.get(seq % 4) + "\",\"paymentAmount\":" + (seq + 1) + "}").statusCode()).isEqualTo(202);
        }

        await().atMost(Duration.ofSeconds(30))
                .until(() -> takenAfterDown.values().stream().mapToInt(List::size).sum() >= 8);
        for (int k = 0; k < 4; k++) {
            assertThat(takenAfterDown.get(orders.get(k))).as("in order, each once")
                    .containsExactly(String.valueOf(k + 1), String.valueOf(k + 5));
        }
    }


    private static void receive(HttpExchange exchange) throws IOException {
        JsonNode event = new ObjectMapper().readTree(exchange.getRequestBody().readAllBytes());
        if (exchange.getRequestURI().getPath().equals("/down")) {
            if (System.currentTimeMillis() < downUntil) {
                WebhookRoutes.answer(exchange, 503, "down");
                return;
            }
            takenAfterDown.computeIfAbsent(event.at("/data/orderId").asText(), k -> new CopyOnWriteArrayList<>())
                    .add(event.at("/data/paymentAmount").asText());
            WebhookRoutes.answer(exchange, 204, "");
            return;
        }
        if (calls.incrementAndGet() <= WAITS) {
            slowDowns.incrementAndGet();
            exchange.getResponseHeaders().add("Retry-After", "2");
            WebhookRoutes.answer(exchange, 429, "slow down");
            return;
        }
        taken.computeIfAbsent(event.at("/data/orderId").asText(), k -> new CopyOnWriteArrayList<>())
                .add(Integer.parseInt(event.at("/data/trackingCode").asText().substring(2)));
        WebhookRoutes.answer(exchange, 204, "");
    }

    private static Path routeFolder() {
        try {
            Path copy = RouteFolders.copyOfTheRoutes("ordered-wait-routes");
            // the low delivery limit is for this test's queue alone, declared anew: the other
            // subscriptions do not run here (a queue declared now would keep the limit for good)
            for (String other : List.of("order-shipped", "order-status", "payment-status", "welcome-mail")) {
                java.nio.file.Files.delete(copy.resolve(other + ".camel.yaml"));
            }
            Broker.deleteQueue("shop.events." + NAME);
            Broker.deleteQueue("shop.events." + DOWN);
            WebhookRoutes.write(copy, DOWN, "payment_processed", "/down", List.of("orderBy: data.orderId", "maxAttempts: 100"),
                    List.of());
            WebhookRoutes.write(copy, NAME, "order_shipped", "/wait", List.of("orderBy: data.orderId", "maxAttempts: 20"),
                    List.of());
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
