import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Open-loop load for bench/run.sh: requests arrive at a fixed rate whatever the answers do (each
 * arrival is a new virtual user sending one request), so a slow answer delays nobody else's
 * request and the latencies include any queueing. System properties:
 * <ul>
 * <li>{@code base}, {@code key}: where the app is and its API key;</li>
 * <li>{@code kind}: {@code orders} (POST /api/orders), {@code mix} (per 10 requests: 2 users,
 * 5 orders, 3 payments, as bench/events.lua), {@code batch} (POST /api/events with {@code batch}
 * order_placed events each);</li>
 * <li>{@code rate} requests per second, for {@code warmup} seconds (not measured: request name
 * "warmup"), then for {@code duration} seconds (request name "measured"); {@code run}: prefix of every id.</li>
 * </ul>
 */
public class ShopEventsSimulation extends Simulation {

    private static final String BASE = System.getProperty("base", "http://127.0.0.1:18080");
    private static final String KEY = System.getProperty("key", "local-dev-key-0123456789");
    private static final String KIND = System.getProperty("kind", "orders");
    private static final double RATE = Double.parseDouble(System.getProperty("rate", "1000"));
    private static final int DURATION = Integer.parseInt(System.getProperty("duration", "30"));
    private static final int WARMUP = Integer.parseInt(System.getProperty("warmup", "10"));
    private static final int BATCH = Integer.parseInt(System.getProperty("batch", "100"));
    private static final String RUN = System.getProperty("run", "gatling-" + System.currentTimeMillis());
    private static final AtomicLong counter = new AtomicLong();

    private final HttpProtocolBuilder protocol = http.baseUrl(BASE)
            .header("X-API-Key", KEY)
            .contentTypeHeader("application/json")
            .acceptHeader("application/json")
            // each arrival is a client of its own: one connection, one request, closed. With one
            // pool shared by all (shareConnections), Gatling opened a connection per waiting request
            // whenever answers slowed, kept them open and idle, and filled Tomcat's max-connections
            // with them (bench/README.md, "the open-loop collapse")
            .header("Connection", "close")
            .disableCaching()
            .disableWarmUp();

    {
        // the first WARMUP seconds at the same rate are not measured (request name "warmup"): they
        // let this JVM compile its hot code, which would otherwise take CPU from the app under test
        ScenarioBuilder warmup = scenario("warmup").exec(session -> choose(session).set("phase", "warmup")).exec(request());
        ScenarioBuilder measured = scenario(KIND).exec(session -> choose(session).set("phase", "measured")).exec(request());
        setUp(warmup.injectOpen(constantUsersPerSec(RATE).during(WARMUP))
                .andThen(measured.injectOpen(constantUsersPerSec(RATE).during(DURATION))))
                .protocols(protocol);
    }

    /** What this arrival sends: its request's name, path and body. */
    private static Session choose(Session session) {
        long n = counter.incrementAndGet();
        String name;
        String path;
        String body;
        if (KIND.equals("batch")) {
            return session.set("name", "batch").set("path", "/api/events").set("body", batch(n));
        }
        long slot = KIND.equals("mix") ? n % 10 : 2;
        if (slot < 2) {
            name = "user";
            path = "/api/users";
            body = "{\"userId\":\"" + RUN + "-" + n + "\",\"username\":\"Bench User " + n + "\",\"email\":\""
                    + RUN + "-" + n + "@bench.example.com\"}";
        } else if (slot < 7) {
            name = "order";
            path = "/api/orders";
            body = order(n);
        } else {
            name = "payment";
            path = "/api/payments";
            body = "{\"paymentId\":\"" + RUN + "-" + n + "\",\"orderId\":\"" + RUN + "-" + (n - 3)
                    + "\",\"paymentAmount\":" + (n % 500 + 1) + ".90}";
        }
        return session.set("name", name).set("path", path).set("body", body);
    }

    private static HttpRequestActionBuilder request() {
        if (KIND.equals("batch")) {
            return http("#{phase}").post("#{path}")
                    .header("Content-Type", "application/cloudevents-batch+json")
                    .body(StringBody("#{body}"))
                    .check(status().is(200), jsonPath("$.accepted").ofInt().is(BATCH));
        }
        if (KIND.equals("liveness")) {
            return http("#{phase}").get("/actuator/health/liveness").check(status().is(200));
        }
        if (!KIND.equals("orders") && !KIND.equals("mix")) {
            throw new IllegalArgumentException("kind is orders, mix, batch or liveness, not " + KIND);
        }
        return http("#{phase}").post("#{path}").body(StringBody("#{body}")).check(status().is(202));
    }

    private static String order(long n) {
        return "{\"orderId\":\"" + RUN + "-" + n + "\",\"userId\":\"u-" + (n % 1000) + "\",\"orderTotal\":" + (n % 500 + 1) + ".90}";
    }

    /** BATCH order_placed events; n is the batch's number. */
    private static String batch(long n) {
        StringJoiner events = new StringJoiner(",", "[", "]");
        for (int i = 0; i < BATCH; i++) {
            String id = RUN + "-" + n + "-" + i;
            events.add("{\"specversion\":\"1.0\",\"type\":\"order_placed\",\"data\":{\"orderId\":\"" + id
                    + "\",\"userId\":\"u-" + (i % 1000) + "\",\"orderTotal\":" + (i % 500 + 1) + ".90}}");
        }
        return events.toString();
    }
}
