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
 * eventId.
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
}
