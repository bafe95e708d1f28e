package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.support.Broker;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Delivery guarantees under injected faults: SMTP down, a crash before the ack, the broker dropping connections. */
class FaultsIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(FaultsIT.class);
    private static final List<String> SUBSCRIPTION_QUEUES = List.of(
            "shop.events.order-status", "shop.events.payment-status", "shop.events.welcome-mail");

    /** How often a subscription's steps reached their end for each crash-marked event. */
    private static final Map<String, AtomicInteger> crashRuns = new ConcurrentHashMap<>();

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private CamelContext camel;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private ProcessedEvents processedEvents;

    @Autowired
    private org.springframework.transaction.support.TransactionTemplate transaction;

    /** What the REST edge does before answering 503 for an event the broker did not confirm. */
    private boolean withdraw(String eventId) {
        return Boolean.TRUE.equals(transaction.execute(status -> {
            boolean withdrawn = processedEvents.withdraw("/tests", eventId, List.of("order-status", "payment-status", "welcome-mail"));
            if (!withdrawn) {
                status.setRollbackOnly();
            }
            return withdrawn;
        }));
    }

    @BeforeEach
    void crashOnceAfterTheEffectIsCommitted() throws Exception {
        // after a subscription's steps have run, an event whose id starts with "crash-" loses the
        // broker connection the first time through: the ack cannot happen, and the broker
        // redelivers the message as it would after a crash (the commit happens on the way out)
        for (String route : List.of("order-status", "payment-status", "welcome-mail")) {
            if (!camel.getRoute(route).getProperties().containsKey("advised")) {
                AdviceWith.adviceWith(camel, route, r -> r.weaveAddLast().process(this::crashOnce));
                camel.getRoute(route).getProperties().put("advised", true);
            }
        }
    }

    @AfterEach
    void smtpServerIsUpAgain() {
        if (!smtpRunning()) {
            greenMail.start();
        }
    }

    /** GreenMail drops its SMTP service on stop, so a stopped server has none. */
    private static boolean smtpRunning() {
        return greenMail.getSmtp() != null && greenMail.getSmtp().isRunning();
    }

    private void crashOnce(Exchange exchange) {
        String eventId = exchange.getMessage().getBody(io.shopevents.event.CloudEvent.class).id();
        if (eventId.startsWith("crash-") && crashRuns.computeIfAbsent(eventId, id -> new AtomicInteger()).incrementAndGet() == 1) {
            Broker.closeAllConnections();
        }
    }

    @Test
    void smtpDownForTheFirstAttemptsThenUpSendsExactlyOneMail() {
        String eventId = unique("event");
        String email = unique("flaky") + "@example.com";
        double retriedBefore = outcomes("welcome-mail", "retried");
        greenMail.stop();
        try {
            publish("user_registered", cloudEvent(eventId, "user_registered",
                    "{\"userId\":\"u\",\"username\":\"Flaky\",\"email\":\"" + email + "\"}"));
            // two attempts fail and go to the retry queues
            await().atMost(WAIT).until(() -> outcomes("welcome-mail", "retried") >= retriedBefore + 2);
        } finally {
            greenMail.start();
        }
        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        assertExactlyOneMailAndAcked(email, eventId);
    }

    @Test
    void smtpDownLongerThanTheRetryBudgetIsDeadLetteredAndReplayedOnce() {
        String eventId = unique("event");
        String email = unique("patient") + "@example.com";
        greenMail.stop();
        publish("user_registered", cloudEvent(eventId, "user_registered",
                "{\"userId\":\"u\",\"username\":\"Patient\",\"email\":\"" + email + "\"}"));

        await().atMost(WAIT).until(() -> deadLetter(eventId) != null);
        JsonNode dead = deadLetter(eventId);
        assertThat(dead.get("type").asText()).isEqualTo("user_registered");
        assertThat(dead.get("exceptionClass").asText()).isEqualTo("io.shopevents.processor.MailNotSentException");
        assertThat(dead.get("attempts").asInt()).isEqualTo(4);
        assertThat(dead.get("reason").asText()).contains("not sent");
        assertThat(mailsTo(email)).isEmpty();

        greenMail.start();
        HttpResponse<String> replay = send(java.net.http.HttpRequest.newBuilder(uri("/api/dead-letters/replay"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(json(replay.body()).get("replayed").asInt()).isPositive();

        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        assertExactlyOneMailAndAcked(email, eventId);
        assertThat(deadLetter(eventId)).as("replayed, so no longer dead").isNull();
    }

    @Test
    void listingDeadLettersLeavesThemInTheQueue() {
        String eventId = unique("event");
        publish("order_placed", cloudEvent(eventId, "order_cancelled", "{}"));

        await().atMost(WAIT).until(() -> deadLetter(eventId) != null);
        JsonNode listed = deadLetter(eventId);
        assertThat(listed.get("reason").asText()).contains("not order_cancelled");
        assertThat(listed.get("subscription").asText()).isEqualTo("order-status");
        assertThat(listed.get("attempts").asInt()).isEqualTo(1);
        // listed twice: listing does not consume
        assertThat(deadLetter(eventId)).isNotNull();
        assertThat(DeadLetters.takeIfPresent(rabbit, eventId)).isPresent();
    }

    @Test
    void badReplayLimitIs400() {
        HttpResponse<String> response = send(java.net.http.HttpRequest.newBuilder(uri("/api/dead-letters/replay?limit=lots"))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response.body()).get("detail").asText()).contains("limit");
    }

    @Test
    void crashAfterTheOrderIsCommittedAppliesNothingTwice() {
        String eventId = unique("crash");
        String orderId = unique("order");

        double skippedBefore = outcomes("order-status", "skipped");
        publish("order_placed", cloudEvent(eventId, "order_placed",
                order(orderId, "12.50")));

        // the broker redelivers after the consumer reconnects; the second delivery finds the event applied
        await().atMost(WAIT).until(() -> crashRuns.containsKey(eventId) && crashRuns.get(eventId).get() == 1);
        await().atMost(WAIT).until(() -> outcomes("order-status", "skipped") > skippedBefore);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM orders WHERE order_id = ?").param(orderId).query(Long.class).single())
                .isEqualTo(1);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM processed_events WHERE event_id = ?").param(eventId)
                .query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void crashAfterTheMailIsSentSendsNoSecondMail() {
        String eventId = unique("crash");
        String email = unique("crash") + "@example.com";

        double skippedBefore = outcomes("welcome-mail", "skipped");
        publish("user_registered", cloudEvent(eventId, "user_registered",
                "{\"userId\":\"u\",\"username\":\"Crash\",\"email\":\"" + email + "\"}"));

        await().atMost(WAIT).until(() -> crashRuns.containsKey(eventId) && crashRuns.get(eventId).get() == 1);
        await().atMost(WAIT).until(() -> outcomes("welcome-mail", "skipped") > skippedBefore);
        assertExactlyOneMailAndAcked(email, eventId);
    }

    @Test
    void consumersAndPublishersReconnectAfterTheBrokerDropsThem() {
        Broker.closeAllConnections();
        String orderId = unique("order");

        HttpResponse<String> response = postJson("/api/orders",
                order(orderId, "1"));

        assertThat(response.statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    @Test
    void connectionsDroppedWhileClientsPostEveryAcceptedEventIsAppliedOnceAndNoRefusedOne() throws Exception {
        String run = unique("drop");
        int events = 1000;
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        Map<String, String> acceptedEventIds = new ConcurrentHashMap<>();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                String orderId = run + "-" + i;
                calls.add(clients.submit(() -> {
                    HttpResponse<String> response = postJson("/api/orders",
                            order(orderId, "1"));
                    answers.put(orderId, response.statusCode());
                    if (response.statusCode() == 202) {
                        acceptedEventIds.put(orderId, json(response.body()).get("eventId").asText());
                    }
                    // mid-stream, the broker drops every connection: publishers and the consumer alike
                    if (answered.incrementAndGet() == events / 3) {
                        Broker.closeAllConnections();
                    }
                }));
            }
            for (Future<?> call : calls) {
                call.get(2, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
        }

        assertThat(answers).hasSize(events);
        assertThat(answers.values()).as("every call is accepted or refused, nothing else").isSubsetOf(202, 503);
        List<String> accepted = answers.entrySet().stream().filter(a -> a.getValue() == 202).map(Map.Entry::getKey).toList();
        List<String> refused = answers.entrySet().stream().filter(a -> a.getValue() == 503).map(Map.Entry::getKey).toList();
        assertThat(accepted).as("most calls are accepted").hasSizeGreaterThan(events / 2);
        log.info("connection drop under load: {} accepted, {} refused with 503", accepted.size(), refused.size());

        // redelivered messages go back to the queue's end: wait for every accepted event, then for
        // the queue to hold nothing, delivered or not, before looking for refused ones
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(appliedOrders(run))
                .as("every accepted event is applied").containsAll(accepted));
        await().atMost(Duration.ofMinutes(1)).until(() -> Broker.messagesIn(SUBSCRIPTION_QUEUES) == 0);
        Set<String> applied = appliedOrders(run);
        assertThat(refused).as("no refused event is applied").noneMatch(applied::contains);
        Set<String> appliedEventIds = new HashSet<>(jdbc.sql("SELECT event_id FROM processed_events WHERE subscription = 'order-status'")
                .query(String.class).list());
        assertThat(appliedEventIds).as("each accepted event id is recorded as applied").containsAll(acceptedEventIds.values());
    }

    @Test
    void withdrawnEventThatReachesTheQueueAnywayChangesNothing() {
        String eventId = unique("event");
        String orderId = unique("order");

        // what the REST edge does before answering 503 for an event the broker did not confirm
        assertThat(withdraw(eventId)).isTrue();
        publish("order_placed", cloudEvent(eventId, "order_placed",
                order(orderId, "3")));

        String later = unique("order");
        publish("order_placed", cloudEvent(unique("event"), "order_placed",
                order(later, "3")));
        await().atMost(WAIT).until(() -> get("/api/orders/" + later).statusCode() == 200);
        assertThat(get("/api/orders/" + orderId).statusCode()).isEqualTo(404);
        assertThat(DeadLetters.takeIfPresent(rabbit, eventId)).as("skipped, not dead-lettered").isEmpty();
    }

    @Test
    void appliedEventCannotBeWithdrawn() {
        String eventId = unique("event");
        String orderId = unique("order");
        publish("order_placed", cloudEvent(eventId, "order_placed",
                order(orderId, "3")));
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);

        // the REST edge then answers 202: the event has taken effect
        assertThat(withdraw(eventId)).isFalse();
        assertThat(get("/api/orders/" + orderId).statusCode()).isEqualTo(200);
    }

    @Test
    void brokerOutageGives503AndHealthDownThenEverythingRecoversByItself() {
        String orderId = unique("order");
        Broker.stop();
        try {
            // bounded well below IntegrationTest's 20 s: connection timeout plus confirm timeout at most
            HttpResponse<String> refused = send(java.net.http.HttpRequest.newBuilder(uri("/api/orders"))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(10))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            order(orderId, "1"))));
            assertThat(refused.statusCode()).isEqualTo(503);

            HttpResponse<String> health = get("/actuator/health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(json(health.body()).at("/components/rabbit/status").asText()).isEqualTo("DOWN");
        } finally {
            Broker.start();
        }

        await().atMost(Duration.ofMinutes(1)).until(() -> get("/actuator/health").statusCode() == 200);
        // the consumer has reconnected by itself: a new event is processed
        assertThat(postJson("/api/orders", order(orderId, "1"))
                .statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    @Test
    void healthIsUpWithTheBrokerAndDatabase() {
        // a test before may have left the welcome-mail circuit open (SMTP down): it closes by itself
        await().atMost(WAIT).until(() -> get("/actuator/health").statusCode() == 200);
        HttpResponse<String> response = get("/actuator/health");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode health = json(response.body());
        assertThat(health.get("status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/rabbit/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/db/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/camelHealth/status").asText()).isEqualTo("UP");
    }

    /** The data of an order_placed event (and the body of POST /api/orders). */
    private static String order(String orderId, String total) {
        return "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":" + total + "}";
    }

    private Set<String> appliedOrders(String run) {
        return new HashSet<>(jdbc.sql("SELECT order_id FROM orders WHERE order_id LIKE :run")
                .param("run", run + "-%").query(String.class).list());
    }

    /** The mail arrived once; a later event's mail proves the queue moved on; no dead letter was left. */
    private void assertExactlyOneMailAndAcked(String email, String eventId) {
        String later = unique("later") + "@example.com";
        publish("user_registered", cloudEvent(unique("event"), "user_registered",
                "{\"userId\":\"u\",\"username\":\"Later\",\"email\":\"" + later + "\"}"));
        await().atMost(WAIT).until(() -> mailsTo(later).size() == 1);
        assertThat(mailsTo(email)).hasSize(1);
        assertThat(DeadLetters.takeIfPresent(rabbit, eventId)).isEmpty();
    }

    private JsonNode deadLetter(String eventId) {
        return deadLetterListed(eventId);
    }

    private double outcomes(String subscription, String outcome) {
        Counter counter = meters.find("shop.subscription.events").tag("subscription", subscription)
                .tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }
}
