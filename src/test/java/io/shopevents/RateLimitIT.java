package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.sun.net.httpserver.HttpExchange;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A rate limit held across instances: two packaged instances on one PostgreSQL database take one
 * webhook subscription with {@code rateLimit: 5/s}; a burst of 200 events reaches the queue at
 * once. The partner enforces "5 calls a second" as partners usually do (a token bucket of 5
 * refilled at 5 a second, 429 past it): it never has to refuse a call, both instances deliver,
 * the burst takes the 40 s the limit allows, and every event arrives once. Then the partner
 * answers one call 429 with Retry-After: 3, and neither instance calls it for those 3 s; then
 * with Retry-After: 3600, and a resume on one instance ends that wait on both.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class RateLimitIT {

    private static final int EVENTS = 200;
    private static final int PER_SECOND = 5;
    private static final String NAME = "test-rate-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final ObjectMapper mapper = new ObjectMapper();

    /** Each event's id, with the number of 2xx answers it got. */
    private static final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    private static final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private static final Map<String, AtomicInteger> byInstance = new ConcurrentHashMap<>();
    private static final AtomicInteger refused = new AtomicInteger();
    /** The next call is answered 429 with Retry-After: 3, once; when that answer went (ms). */
    private static final java.util.concurrent.atomic.AtomicBoolean tooManyNext = new java.util.concurrent.atomic.AtomicBoolean();
    private static final java.util.concurrent.atomic.AtomicLong answeredTooMany = new java.util.concurrent.atomic.AtomicLong();
    /** The Retry-After of that answer, in seconds. */
    private static volatile String retryAfter = "3";
    private static final String LOCAL_KEY = "local-dev-key-0123456789";
    private static final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    private static final TokenBucket partnersLimit = new TokenBucket(PER_SECOND, PER_SECOND);
    private static HttpServer receiver;
    private static String schema;
    private static AppProcess one;
    private static AppProcess two;

    /** The partner's own limit: {@code capacity} calls at once, refilled at {@code perSecond}. */
    static final class TokenBucket {
        private final double capacity;
        private final double perSecond;
        private double tokens;
        private long last = System.nanoTime();

        TokenBucket(double capacity, double perSecond) {
            this.capacity = capacity;
            this.perSecond = perSecond;
            this.tokens = capacity;
        }

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) / 1e9 * perSecond);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }

    @BeforeAll
    static void twoInstancesAndAPartner() throws Exception {
        Postgres.assumeRunning();
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        mapper.readTree("{\"warm\":true}");
        receiver.createContext("/limited", RateLimitIT::receive);
        receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        receiver.start();

        schema = Postgres.newSchema("ratelimit");
        Path routes = RouteFolders.copyOfTheRoutes("ratelimit");
        Files.writeString(routes.resolve(NAME + ".camel.yaml"), """
                - route:
                    id: %1$s
                    from:
                      uri: subscription:%1$s
                      parameters:
                        types: order_shipped
                        rateLimit: %2$d/s
                      steps:
                        - to:
                            uri: signed-webhook:limited
                            parameters:
                              url: "{{shop.webhooks.limited.url}}"
                              secretProperty: shop.webhooks.limited.secret
                              headers: "X-Instance: {{shop.test.instance}}"
                """.formatted(NAME, PER_SECOND));
        Map<String, String> environment = new HashMap<>(Postgres.environment(schema));
        environment.put("SHOP_ROUTES_DIR", routes.toAbsolutePath().toString());
        environment.put("SHOP_WEBHOOKS_LIMITED_URL", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/limited");
        environment.put("SHOP_WEBHOOKS_LIMITED_SECRET", SECRET);
        Map<String, String> first = new HashMap<>(environment);
        first.put("SHOP_TEST_INSTANCE", "one");
        Map<String, String> second = new HashMap<>(environment);
        second.put("SHOP_TEST_INSTANCE", "two");
        // both at once: a start takes a while on 2 cores
        CompletableFuture<AppProcess> starting = CompletableFuture.supplyAsync(() -> AppProcess.start("ratelimit-two", second));
        one = AppProcess.start("ratelimit-one", first);
        two = starting.get();
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

    private static void receive(HttpExchange exchange) throws IOException {
        long arrived = System.currentTimeMillis();
        try (exchange) {
            boolean within = partnersLimit.take();
            JsonNode event = mapper.readTree(exchange.getRequestBody());
            if (tooManyNext.compareAndSet(true, false)) {
                exchange.getResponseHeaders().add("Retry-After", retryAfter);
                answeredTooMany.set(System.currentTimeMillis());
                exchange.sendResponseHeaders(429, -1);
                return;
            }
            if (!within) {
                refused.incrementAndGet();
                exchange.getResponseHeaders().add("Retry-After", "1");
                exchange.sendResponseHeaders(429, -1);
                return;
            }
            arrivals.add(arrived);
            byInstance.computeIfAbsent(exchange.getRequestHeaders().getFirst("X-Instance"), i -> new AtomicInteger()).incrementAndGet();
            delivered.computeIfAbsent(event.get("id").asText(), id -> new AtomicInteger()).incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
        }
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void aBurstReachesThePartnerAtItsRateFromBothInstancesEachEventOnce() throws Exception {
        List<String> ids = publish(EVENTS, "R");


        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> delivered.size() >= EVENTS);
        assertThat(refused.get()).as("calls the partner's limit of 5 a second refused").isZero();
        assertThat(delivered.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(delivered.values()).as("deliveries per event").allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        long took = arrivals.get(arrivals.size() - 1) - arrivals.get(0);
        int busiest = 0;
        for (int i = 0, j = 0; i < arrivals.size(); i++) {
            while (arrivals.get(i) - arrivals.get(j) >= 1000) {
                j++;
            }
            busiest = Math.max(busiest, i - j + 1);
        }
        // for the record (the partner's arrivals carry the network's jitter on top of the sender's pace)
        List<String> gaps = new ArrayList<>();
        for (int i = 1; i < arrivals.size(); i++) {
            gaps.add(i + ":" + (arrivals.get(i) - arrivals.get(i - 1)));
        }
        System.out.println("RateLimitIT gaps: " + gaps);
        System.out.printf("RateLimitIT: %d calls in %d ms, by instance %s, at most %d arrivals in one second%n",
                arrivals.size(), took, byInstance, busiest);
        assertThat(took).as("ms from the first call to the last").isGreaterThanOrEqualTo((EVENTS - PER_SECOND) * 1000L / PER_SECOND);
        assertThat(byInstance.keySet()).as("instances that delivered").containsExactlyInAnyOrder("one", "two");
        assertThat(byInstance.values()).allSatisfy(count -> assertThat(count.get()).isGreaterThan(EVENTS / 10));
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void aRetryAfterHoldsBackBothInstances() throws Exception {
        int before = arrivals.size();
        tooManyNext.set(true);
        List<String> ids = publish(20, "T");
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(250))
                .until(() -> ids.stream().allMatch(delivered::containsKey));
        long refusedAt = answeredTooMany.get();
        assertThat(refusedAt).isPositive();
        // calls booked before the 429 came back (one per consumer at most, 2 on each instance) may still
        // go out; after them, none for the 3 s it asked, on either instance
        long within = arrivals.subList(before, arrivals.size()).stream()
                .filter(t -> t > refusedAt && t < refusedAt + 2_900).count();
        assertThat(within).as("calls within 3 s of the 429").isLessThanOrEqualTo(4);
        assertThat(ids).allSatisfy(id -> assertThat(delivered.get(id).get()).as(id).isEqualTo(1));
    }

    @Test
    @org.junit.jupiter.api.Order(3)
    void aResumeOnOneInstanceEndsAnHoursWaitOnBoth() throws Exception {
        retryAfter = "3600";
        answeredTooMany.set(0);
        tooManyNext.set(true);
        List<String> ids = publish(10, "H");
        // the partner asked for an hour: both instances wait (the one that heard it, the other through the schedule)
        for (AppProcess instance : List.of(one, two)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> "WAITING".equals(subscription(instance, "GET").get("state").asText()));
        }

        JsonNode resumed = subscription(two, "POST");
        assertThat(resumed.get("state").asText()).isNotEqualTo("WAITING");
        // the other instance follows within its control poll, and every event goes, once
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(250))
                .until(() -> !"WAITING".equals(subscription(one, "GET").get("state").asText()));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> ids.stream().allMatch(delivered::containsKey));
        assertThat(ids).allSatisfy(id -> assertThat(delivered.get(id).get()).as(id).isEqualTo(1));
    }

    /** The subscription as this instance has it (GET), or after resuming it there (POST). */
    private static JsonNode subscription(AppProcess instance, String method) throws Exception {
        java.net.URI uri = instance.uri("/api/subscriptions/" + NAME + (method.equals("POST") ? "/resume" : ""));
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(uri).header("X-API-Key", LOCAL_KEY)
                .timeout(Duration.ofSeconds(20));
        request = method.equals("POST") ? request.POST(java.net.http.HttpRequest.BodyPublishers.noBody()) : request.GET();
        java.net.http.HttpResponse<String> answer = http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return mapper.readTree(answer.body());
    }

    /** Publishes events straight to the exchange, confirmed; their ids. */
    private static List<String> publish(int events, String prefix) throws Exception {
        List<String> ids = new ArrayList<>();
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        try (Connection connection = factory.newConnection("rate-limit-it"); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (int seq = 0; seq < events; seq++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                byte[] body = """
                        {"specversion":"1.0","id":"%s","source":"/rate-limit-it","type":"order_shipped",
                         "data":{"orderId":"%s","carrier":"DHL","trackingCode":"%s-%04d"}}
                        """.formatted(id, NAME, prefix, seq).getBytes(StandardCharsets.UTF_8);
                channel.basicPublish("shop.events", "order_shipped", true, new AMQP.BasicProperties.Builder()
                        .contentType("application/cloudevents+json").deliveryMode(2).build(), body);
            }
            channel.waitForConfirmsOrDie(10_000);
        }
        return ids;
    }
}
