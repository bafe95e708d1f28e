package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.GetResponse;
import io.shopevents.api.UnconfirmedEvents;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.EventIds;
import io.shopevents.event.EventSources;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The edges of "every 202 applied exactly once, a 503 never": each case here is one an adversarial
 * tester broke (issue #21), kept broken-proof.
 */
class ExactlyOnceIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String BATCH = "application/cloudevents-batch+json";
    private static final Set<String> failedByTheDatabase = ConcurrentHashMap.newKeySet();

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private TransactionTemplate transaction;

    @Autowired
    private ProcessedEvents processedEvents;

    @Autowired
    private EventSources sources;

    @Autowired
    private CamelContext camel;

    @Autowired
    private UnconfirmedEvents unconfirmed;

    @Test
    void aKeyedBatchKeepsItsWholeAnswerAndItsRetryPublishesNothing() {
        // 60 outcomes are far more than the 4,000 characters an answer used to be allowed
        String run = unique("big");
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            items.add("{\"specversion\":\"1.0\",\"type\":\"user_registered\",\"data\":{\"userId\":\"" + run + "-" + i
                    + "\",\"username\":\"U\",\"email\":\"" + run + "-" + i + "@example.com\"}}");
        }
        String body = "[" + String.join(",", items) + "]";
        String key = unique("batch-key");

        HttpResponse<String> first = keyed("/api/events", BATCH, key, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(json(first.body()).get("accepted").asInt()).as(first.body()).isEqualTo(60);
        await().atMost(Duration.ofSeconds(60)).until(() -> mailsTo(run + "-59@example.com").size() == 1
                && mailsTo(run + "-0@example.com").size() == 1);

        try (EventTap tap = new EventTap(rabbit)) {
            HttpResponse<String> retry = keyed("/api/events", BATCH, key, body);
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertNothingPublished(tap);
        }
    }

    @Test
    void aRetryOfACallThatNeverAnsweredPublishesTheSameEventWhichIsAppliedOnce() {
        String user = unique("takeover");
        String email = user + "@example.com";
        String body = "{\"userId\":\"" + user + "\",\"username\":\"Ann\",\"email\":\"" + email + "\"}";
        String key = unique("key");
        HttpResponse<String> first = keyed("/api/users", "application/json", key, body);
        assertThat(first.statusCode()).isEqualTo(202);
        String eventId = json(first.body()).get("eventId").asText();
        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);

        // as its process left it had it been killed after publishing, before answering
        abandon(key);
        HttpResponse<String> retry = keyed("/api/users", "application/json", key, body);

        assertThat(retry.statusCode()).isEqualTo(202);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).as("run again, not replayed").isEmpty();
        assertThat(json(retry.body()).get("eventId").asText()).as("the same event, published again").isEqualTo(eventId);
        String marker = unique("marker") + "@example.com";
        assertThat(postJson("/api/users", "{\"userId\":\"m\",\"username\":\"M\",\"email\":\"" + marker + "\"}").statusCode())
                .isEqualTo(202);
        await().atMost(WAIT).until(() -> mailsTo(marker).size() == 1);
        assertThat(mailsTo(email)).as("one welcome mail, not two").hasSize(1);
    }

    @Test
    void aRetryOfACallWhoseEventWasWithdrawnIsRefusedAndTheNextAttemptIsANewEvent() {
        String orderId = unique("withdrawn");
        String body = "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":5}";
        String key = unique("key");
        String seed = UUID.randomUUID().toString();
        String withdrawnId = EventIds.of(seed, 0);
        // the first call's process withdrew its unconfirmed event (its caller would have heard 503),
        // then died before giving the key back
        jdbc.sql("""
                        INSERT INTO idempotency_keys (caller, idem_key, request_hash, claim, seed, claimed_at)
                        VALUES ('test-all-scopes', :key, :hash, :claim, :seed, :at)""")
                .param("key", key).param("hash", requestHash("/api/orders", body)).param("claim", UUID.randomUUID().toString())
                .param("seed", seed).param("at", Timestamp.from(Instant.now().minus(Duration.ofMinutes(2)))).update();
        transaction.executeWithoutResult(status -> processedEvents.withdraw(sources.of("/orders"), withdrawnId,
                List.of("order-status", "payment-status", "welcome-mail")));

        HttpResponse<String> retry = keyed("/api/orders", "application/json", key, body);
        assertProblem(retry, 503);
        assertThat(retry.headers().firstValue("Retry-After")).isPresent();

        HttpResponse<String> again = keyed("/api/orders", "application/json", key, body);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
        assertThat(json(again.body()).get("eventId").asText()).isNotEqualTo(withdrawnId);
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    @Test
    void aCloudEventResentAfterA503IsAppliedOnce() {
        String id = unique("resent");
        String orderId = unique("resent-order");
        // two sends the broker did not confirm: both withdrawn, both callers heard 503
        assertThat(unconfirmed.fateOf("/tests", id, "test: not confirmed", new DefaultExchange(camel)))
                .isEqualTo(UnconfirmedEvents.Fate.WITHDRAWN);
        assertThat(unconfirmed.fateOf("/tests", id, "test: not confirmed", new DefaultExchange(camel)))
                .as("an earlier withdrawal is not an effect").isEqualTo(UnconfirmedEvents.Fate.WITHDRAWN);

        HttpResponse<String> resend = structured(order("/tests", id, orderId));

        assertThat(resend.statusCode()).as(resend.body()).isEqualTo(202);
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    @Test
    void aResendTheBrokerDoesNotConfirmCannotWithdrawTheEventAcceptedBefore() throws Exception {
        String id = unique("accepted");
        String orderId = unique("accepted-order");
        camel.getRouteController().stopRoute("order-status");
        try {
            // accepted, and waiting in its queue while nothing consumes it
            HttpResponse<String> first = structured(order("/tests", id, orderId));
            assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
            // a resend of the same event whose confirm never came
            assertThat(unconfirmed.fateOf("/tests", id, "test: not confirmed", new DefaultExchange(camel)))
                    .as("accepted before: the resend is answered 202 too").isEqualTo(UnconfirmedEvents.Fate.APPLIED);
        } finally {
            camel.getRouteController().startRoute("order-status");
        }
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    @Test
    void aKeyedReplayOfManyUnknownDeadLettersIsAnsweredAndKept() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            ids.add("\"" + UUID.randomUUID() + "\"");
        }
        String body = "{\"ids\":[" + String.join(",", ids) + "]}";
        String key = unique("replay-key");

        HttpResponse<String> first = keyed("/api/dead-letters/replay", "application/json", key, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(json(first.body()).get("notReplayed")).hasSize(60);
        HttpResponse<String> retry = keyed("/api/dead-letters/replay", "application/json", key, body);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    }

    @Test
    void aKeyReusedWithAnotherQueryIsAnotherCallAndRefused() {
        String body = "{\"ids\":[\"" + UUID.randomUUID() + "\"]}";
        String key = unique("query-key");

        HttpResponse<String> first = keyed("/api/dead-letters/replay?subscription=order-status", "application/json", key, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        HttpResponse<String> other = keyed("/api/dead-letters/replay?subscription=welcome-mail", "application/json", key, body);
        assertProblem(other, 422);
    }

    @Test
    void twoEventsWhoseSourceAndIdJoinToTheSameTextAreTwoEvents() {
        String run = unique("pair");
        String body = "[" + order("/a", "b c", run + "-1") + "," + order("/a b", "c", run + "-2") + "]";

        HttpResponse<String> response = post("/api/events", BATCH, body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).get("accepted").asInt()).as(response.body()).isEqualTo(2);
        await().atMost(WAIT).until(() -> get("/api/orders/" + run + "-1").statusCode() == 200
                && get("/api/orders/" + run + "-2").statusCode() == 200);
    }

    @Test
    void idsOfCharactersOutsideTheBasicPlaneAreAppliedAndReadBack() {
        // 100 characters, 200 UTF-16 units: within the 128-character limit, as the edge counts
        String orderId = "😀".repeat(90) + UUID.randomUUID().toString().substring(0, 8);
        String eventId = "😀".repeat(100);
        String body = "[{\"specversion\":\"1.0\",\"type\":\"order_placed\",\"id\":\"" + eventId + "\",\"source\":\"/tests/"
                + UUID.randomUUID() + "\",\"data\":{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}}]";

        HttpResponse<String> response = post("/api/events", BATCH, body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response.body()).get("accepted").asInt()).as(response.body()).isEqualTo(1);
        String path = "/api/orders/" + org.springframework.web.util.UriUtils.encodePathSegment(orderId, StandardCharsets.UTF_8);
        await().atMost(WAIT).until(() -> get(path).statusCode() == 200);
        assertThat(json(get(path).body()).get("orderId").asText()).isEqualTo(orderId);
    }

    @Test
    void timesNoMachineCouldHaveAreRefusedAtTheEdgeAndByEverySubscription() {
        for (String time : List.of("1700-01-01T00:00:00Z", "2099-01-01T00:00:00Z")) {
            String body = "[{\"specversion\":\"1.0\",\"type\":\"order_placed\",\"time\":\"" + time
                    + "\",\"data\":{\"orderId\":\"t\",\"userId\":\"u\",\"orderTotal\":1}}]";
            JsonNode outcome = json(post("/api/events", BATCH, body).body()).get("events").get(0);
            assertThat(outcome.get("status").asInt()).as(time).isEqualTo(400);
            assertThat(outcome.at("/problem/errors/0/field").asText()).isEqualTo("time");
        }

        String eventId = unique("old");
        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"order_placed\",\"source\":\"/tests\","
                + "\"time\":\"1700-01-01T00:00:00Z\",\"data\":{\"orderId\":\"" + eventId + "\",\"userId\":\"u\",\"orderTotal\":1}}");
        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(dead.getProps().getHeaders().get("x-exception-message").toString()).contains("time");
        // and the subscription goes on
        String later = unique("later");
        publish("order_placed", cloudEvent(unique("event"), "order_placed",
                "{\"orderId\":\"" + later + "\",\"userId\":\"u\",\"orderTotal\":1}"));
        await().atMost(WAIT).until(() -> get("/api/orders/" + later).statusCode() == 200);
    }

    @Test
    void dataTheDatabaseRefusesIsDeadLetteredAtOnceAndLeavesTheCircuitClosed() throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("subscription:test-data-errors?types=order_shipped").routeId("test-data-errors").process(exchange -> {
                    CloudEvent event = exchange.getMessage().getBody(CloudEvent.class);
                    if (event.data().path("carrier").asText().equals("TOO-LONG")) {
                        failedByTheDatabase.add(event.id());
                        throw new DataIntegrityViolationException("value too long for column \"carrier\"");
                    }
                });
            }
        });
        try {
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String eventId = unique("too-long");
                bad.add(eventId);
                publish("order_shipped", cloudEvent(eventId, "order_shipped",
                        "{\"orderId\":\"1\",\"carrier\":\"TOO-LONG\",\"trackingCode\":\"JJD0001\"}"));
            }
            for (String eventId : bad) {
                GetResponse dead = DeadLetters.take(rabbit, eventId);
                assertThat(dead.getProps().getHeaders().get("x-attempts").toString()).as("no retries").isEqualTo("1");
                assertThat(dead.getProps().getHeaders().get("subscription").toString()).isEqualTo("test-data-errors");
            }
            assertThat(failedByTheDatabase).containsAll(bad);
            JsonNode subscription = subscription("test-data-errors");
            assertThat(subscription.get("circuit").asText()).as("a data error says nothing about the downstream").isEqualTo("CLOSED");
        } finally {
            camel.getRouteController().stopRoute("test-data-errors");
            camel.removeRoute("test-data-errors");
        }
    }

    private JsonNode subscription(String name) {
        for (JsonNode subscription : json(get("/api/subscriptions").body()).get("subscriptions")) {
            if (subscription.get("name").asText().equals(name)) {
                return subscription;
            }
        }
        throw new AssertionError("no subscription " + name);
    }

    /** The key's row as the process that claimed it would leave it if it had been killed before answering. */
    private void abandon(String key) {
        assertThat(jdbc.sql("""
                        UPDATE idempotency_keys SET status = NULL, response = NULL, claimed_at = :at
                        WHERE caller = 'test-all-scopes' AND idem_key = :key""")
                .param("at", Timestamp.from(Instant.now().minus(Duration.ofMinutes(2)))).param("key", key).update()).isEqualTo(1);
    }

    /** What IdempotencyKeys compares a retry with: method, path and body. */
    private static String requestHash(String path, String body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("POST " + path + "\n").getBytes(StandardCharsets.UTF_8));
            digest.update(body.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> structured(String event) {
        return send(HttpRequest.newBuilder(uri("/api/events")).header("Content-Type", "application/cloudevents+json")
                .POST(HttpRequest.BodyPublishers.ofString(event)));
    }

    private HttpResponse<String> keyed(String path, String contentType, String key, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType).header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static String order(String source, String id, String orderId) {
        return "{\"specversion\":\"1.0\",\"type\":\"order_placed\",\"source\":\"" + source + "\",\"id\":\"" + id
                + "\",\"data\":{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}}";
    }
}
