package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.sun.net.httpserver.HttpServer;
import io.shopevents.support.AppProcess;
import io.shopevents.support.Broker;
import io.shopevents.support.Postgres;
import io.shopevents.support.RouteFolders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ordered delivery per key ({@code orderBy: subject}): two packaged instances on one PostgreSQL
 * database and one queue; 1,000 events over 100 keys published in one sequence (runs of five of
 * one key); the partner's
 * receiver answers 503 to some events the first time (and twice to a few), so they are attempted
 * again while their keys' later events wait; the instance taking the queue is stopped midway
 * (SIGTERM) and the other takes over. The receiver checks what it is given: every key's events in
 * publish order, none lost, none delivered twice.
 */
class OrderedDeliveryIT {

    private static final int KEYS = 100;
    private static final int EVENTS = 1_000;
    private static final String NAME = "test-ordered-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final ObjectMapper mapper = new ObjectMapper();

    /** Per key, the sequence numbers the receiver answered 2xx to, in the order it got them. */
    private static final Map<String, List<Integer>> delivered = new ConcurrentHashMap<>();
    private static final Map<Integer, AtomicInteger> calls = new ConcurrentHashMap<>();
    private static final List<String> outOfOrder = new CopyOnWriteArrayList<>();
    private static final AtomicInteger deliveredCount = new AtomicInteger();
    private static HttpServer receiver;
    private static String schema;
    private static AppProcess one;
    private static AppProcess two;

    @BeforeAll
    static void twoInstancesAndAPartner() throws IOException {
        Postgres.assumeRunning();
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/ordered", exchange -> {
            try (exchange) {
                JsonNode event = mapper.readTree(exchange.getRequestBody());
                String key = event.path("subject").asText();
                int seq = Integer.parseInt(event.path("data").path("trackingCode").asText().substring(2));
                int call = calls.computeIfAbsent(seq, s -> new AtomicInteger()).incrementAndGet();
                // about one event in ten fails once, one in fifty twice: each is attempted again in place
                if ((seq % 10 == 3 && call == 1) || (seq % 50 == 7 && call <= 2)) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                List<Integer> seen = delivered.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>());
                if (!seen.isEmpty() && seen.get(seen.size() - 1) >= seq) {
                    outOfOrder.add(key + ": " + seq + " after " + seen);
                }
                seen.add(seq);
                deliveredCount.incrementAndGet();
                exchange.sendResponseHeaders(204, -1);
            }
        });
        receiver.start();

        schema = Postgres.newSchema("ordered");
        Path routes = RouteFolders.copyOfTheRoutes("ordered");
        Files.writeString(routes.resolve(NAME + ".camel.yaml"), """
                - route:
                    id: %1$s
                    from:
                      uri: subscription:%1$s
                      parameters:
                        types: order_shipped
                        orderBy: subject
                      steps:
                        - to:
                            uri: signed-webhook:ordered
                            parameters:
                              url: "{{shop.webhooks.ordered.url}}"
                              secretProperty: shop.webhooks.ordered.secret
                """.formatted(NAME));
        Map<String, String> environment = new HashMap<>(Postgres.environment(schema));
        environment.put("SHOP_ROUTES_DIR", routes.toAbsolutePath().toString());
        environment.put("SHOP_WEBHOOKS_ORDERED_URL", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/ordered");
        environment.put("SHOP_WEBHOOKS_ORDERED_SECRET", SECRET);
        environment.put("SHOP_SUBSCRIPTIONS_RETRY_DELAYS", "100ms,200ms,400ms");
        environment.put("SHOP_SUBSCRIPTIONS_RETRY_MAXATTEMPTS", "5");
        // a partner failing one call in eight would open the circuit again and again (10 s each): not what is tested here
        environment.put("SHOP_SUBSCRIPTIONS_CIRCUITBREAKER_FAILURETHRESHOLD", "1000");
        one = AppProcess.start("ordered-one", environment);
        two = AppProcess.start("ordered-two", environment);
    }

    @AfterAll
    static void stop() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        Broker.deleteQueue("shop.events." + NAME);
        if (schema != null) {
            Postgres.drop(schema);
        }
    }

    /**
     * Runs of five events of one key, each key twice 500 events apart: later events of a key that
     * waits are right behind it (in its batch) and far behind it (in later batches).
     */
    private static String key(int seq) {
        return "order-" + (seq / 5) % KEYS + "-" + NAME;
    }

    @Test
    void everyKeysEventsArriveInPublishOrderOnceAcrossRetriesAndAHandOver() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        try (Connection connection = factory.newConnection("ordered-delivery-it"); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (int seq = 0; seq < EVENTS; seq++) {
                String key = key(seq);
                byte[] body = """
                        {"specversion":"1.0","id":"%s","source":"/ordered-delivery-it","type":"order_shipped","subject":"%s",
                         "data":{"orderId":"%s","carrier":"DHL","trackingCode":"S-%04d"}}
                        """.formatted(UUID.randomUUID(), key, key, seq).getBytes(StandardCharsets.UTF_8);
                channel.basicPublish("shop.events", "order_shipped", true, new AMQP.BasicProperties.Builder()
                        .contentType("application/cloudevents+json").deliveryMode(2).build(), body);
                if (seq == EVENTS / 2) {
                    channel.waitForConfirmsOrDie(10_000);
                    // midway: the first instance stops (whether or not it is the one taking the queue)
                    await().atMost(Duration.ofSeconds(60)).until(() -> deliveredCount.get() >= EVENTS / 4);
                    assertThat(one.terminate(Duration.ofSeconds(60))).as("the first instance's exit code (SIGTERM)").isEqualTo(143);
                }
            }
            channel.waitForConfirmsOrDie(10_000);
        }

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250))
                .until(() -> delivered.values().stream().mapToInt(List::size).sum() >= EVENTS);
        assertThat(outOfOrder).as("events of one key out of publish order").isEmpty();
        Map<String, List<Integer>> expected = new HashMap<>();
        for (int seq = 0; seq < EVENTS; seq++) {
            expected.computeIfAbsent(key(seq), k -> new ArrayList<>()).add(seq);
        }
        assertThat(expected).hasSize(KEYS);
        expected.forEach((key, seqs) -> assertThat(delivered.get(key)).as(key).containsExactlyElementsOf(seqs));
        Set<Integer> failedFirst = calls.keySet().stream().filter(seq -> seq % 10 == 3).collect(java.util.stream.Collectors.toSet());
        assertThat(failedFirst).as("events the receiver failed at first").hasSize(EVENTS / 10);
    }
}
