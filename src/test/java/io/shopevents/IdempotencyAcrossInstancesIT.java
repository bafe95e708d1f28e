package io.shopevents;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.support.AppProcess;
import io.shopevents.support.Postgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An Idempotency-Key holds across instances: two packaged instances on one PostgreSQL database
 * get the same key, at once, from eight clients; there is one event, and every client gets its
 * eventId. A call whose first run never answered, taken over by a retry on the other instance,
 * publishes the very same event (source and id), though each instance names a source of its own.
 */
class IdempotencyAcrossInstancesIT {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper mapper = new ObjectMapper();
    private static final String LOCAL_KEY = "local-dev-key-0123456789";
    private static String schema;
    private static AppProcess one;
    private static AppProcess two;

    @BeforeAll
    static void twoInstancesOnOneDatabase() {
        Postgres.assumeRunning();
        schema = Postgres.newSchema("idem");
        Map<String, String> environment = new HashMap<>(Postgres.environment(schema));
        one = AppProcess.start("idempotency-one", environment);
        two = AppProcess.start("idempotency-two", environment);
    }

    @AfterAll
    static void stop() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
        if (schema != null) {
            Postgres.drop(schema);
        }
    }

    @Test
    void oneKeySentToTwoInstancesAtOnceMakesOneEvent() throws Exception {
        String key = UUID.randomUUID().toString();
        String orderId = "idem-" + UUID.randomUUID();
        String body = "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}";
        Set<String> eventIds = ConcurrentHashMap.newKeySet();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                AppProcess instance = i % 2 == 0 ? one : two;
                calls.add(clients.submit(() -> {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(instance.uri("/api/orders"))
                            .header("Content-Type", "application/json").header("X-API-Key", LOCAL_KEY)
                            .header("Idempotency-Key", key).timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 202) {
                        eventIds.add(mapper.readTree(response.body()).get("eventId").asText());
                    }
                    return response.statusCode();
                }));
            }
            for (Future<Integer> call : calls) {
                assertThat(call.get(1, TimeUnit.MINUTES)).isEqualTo(202);
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(eventIds).as("one event, the same answer for every client").hasSize(1);
        // and one order applied, once: its event recorded once by order-status
        try (var connection = java.sql.DriverManager.getConnection(Postgres.URL + "?currentSchema=" + schema, "postgres", "");
             var statement = connection.prepareStatement("SELECT COUNT(*) FROM processed_events WHERE event_id = ? AND subscription = 'order-status'")) {
            statement.setString(1, eventIds.iterator().next());
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                try (var rows = statement.executeQuery()) {
                    rows.next();
                    return rows.getLong(1) == 1;
                }
            });
        }
        assertThat(http.send(HttpRequest.newBuilder(one.uri("/api/orders/" + orderId)).header("X-API-Key", LOCAL_KEY).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
    }

    @Test
    void aRetryOnTheOtherInstanceTakingOverAnUnansweredCallPublishesTheSameEvent() throws Exception {
        String key = UUID.randomUUID().toString();
        String body = "{\"orderId\":\"idem-" + UUID.randomUUID() + "\",\"userId\":\"u\",\"orderTotal\":1}";
        try (com.rabbitmq.client.Connection connection = new com.rabbitmq.client.ConnectionFactory().newConnection("idempotency test");
             com.rabbitmq.client.Channel channel = connection.createChannel()) {
            String published = channel.queueDeclare().getQueue(); // exclusive, gone with the connection
            channel.queueBind(published, "shop.events", "order_placed");
            String first = eventIdOf(keyedOrder(one, key, body));
            // as if the first run had died before keeping its answer (its claim is old, no answer kept)
            try (var db = java.sql.DriverManager.getConnection(Postgres.URL + "?currentSchema=" + schema, "postgres", "");
                 var statement = db.prepareStatement("UPDATE idempotency_keys SET status = NULL, response = NULL,"
                         + " claimed_at = claimed_at - INTERVAL '1 hour' WHERE idem_key = ?")) {
                statement.setString(1, key);
                assertThat(statement.executeUpdate()).isEqualTo(1);
            }
            String second = eventIdOf(keyedOrder(two, key, body));

            assertThat(second).isEqualTo(first);
            List<String> identities = new ArrayList<>();
            for (com.rabbitmq.client.GetResponse message; (message = channel.basicGet(published, true)) != null; ) {
                var event = mapper.readTree(message.getBody());
                if (event.path("id").asText().equals(first)) {
                    identities.add(event.path("source").asText() + " " + event.path("id").asText());
                }
            }
            assertThat(identities).as("published twice, as the same event").hasSize(2);
            assertThat(identities.get(1)).isEqualTo(identities.get(0));
        }
    }

    private static HttpResponse<String> keyedOrder(AppProcess instance, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(instance.uri("/api/orders"))
                .header("Content-Type", "application/json").header("X-API-Key", LOCAL_KEY)
                .header("Idempotency-Key", key).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String eventIdOf(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return mapper.readTree(response.body()).get("eventId").asText();
    }
}
