package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.RouteFolders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live route reloading, on a copy of routes/ in a temporary folder: saved changes take effect in
 * the running application; a file with an error is refused and the routes keep running.
 */
@ExtendWith(OutputCaptureExtension.class)
class RouteReloadIT extends IntegrationTest {

    private static final Duration RELOADED = Duration.ofSeconds(30);
    private static final Path routes = RouteFolders.copyOfTheRoutes("route-reload");

    @DynamicPropertySource
    static void reloadTheCopy(DynamicPropertyRegistry registry) {
        registry.add("shop.routes.dir", routes::toString);
        registry.add("shop.routes.reload", () -> "true");
    }

    @Test
    void newRouteFileTakesEffectWithoutRestart(CapturedOutput output) {
        assertThat(get("/api/hello").statusCode()).isEqualTo(404);

        writeAndAwaitReload(output, "hello.camel.yaml", helloRest("hello", "Hello!"));

        assertThat(get("/api/hello").body()).isEqualTo("Hello!");
        assertTheShippedRoutesStillWork();
    }

    @Test
    void editedRouteFileChangesWhatTheRouteDoes(CapturedOutput output) {
        writeAndAwaitReload(output, "greeting.camel.yaml", helloRest("greeting", "Hi"));
        assertThat(get("/api/greeting").body()).isEqualTo("Hi");

        writeAndAwaitReload(output, "greeting.camel.yaml", helloRest("greeting", "Good morning"));

        assertThat(get("/api/greeting").body()).isEqualTo("Good morning");
        assertTheShippedRoutesStillWork();
    }

    @Test
    void fileWithAnErrorIsRefusedNamingFileAndLineAndTheRoutesKeepRunning(CapturedOutput output) {
        writeAndAwaitReload(output, "welcome.camel.yaml", helloRest("welcome", "Welcome"));

        writeRoute("welcome.camel.yaml", helloRest("welcome", "Changed").replace("setBody:", "setBdy:"));

        await().atMost(RELOADED).until(() -> output.getOut().contains("Route file refused"));
        assertThat(output.getOut()).contains(file("welcome.camel.yaml") + ":10: ").contains("setBdy");
        assertThat(get("/api/welcome").body()).as("the route as it was").isEqualTo("Welcome");
        assertTheShippedRoutesStillWork();
    }

    @Test
    void fileThatFailsToStartIsRolledBack(CapturedOutput output) {
        writeAndAwaitReload(output, "farewell.camel.yaml", helloRest("farewell", "Bye"));

        // valid YAML DSL, but the bean does not exist: only starting the route finds out
        writeRoute("farewell.camel.yaml", helloRest("farewell", "Bye").replace(
                "- setBody: { constant: \"Bye\" }", "- bean: { ref: noSuchBean }"));

        await().atMost(RELOADED).until(() -> output.getOut().contains("put back the routes that ran before"));
        assertThat(output.getOut()).contains("noSuchBean");
        assertThat(get("/api/farewell").body()).isEqualTo("Bye");
        assertTheShippedRoutesStillWork();
    }

    @Test
    void editedShippedRouteFileChangesWhatItDoes(CapturedOutput output) throws IOException {
        String shipped = Files.readString(routes.resolve("order-shipped.camel.yaml"));
        writeAndAwaitReload(output, "order-shipped.camel.yaml", shipped.replace("shipped with", "sent off with"));

        String orderId = unique("order");
        publishShipped(orderId);

        await().atMost(RELOADED).until(() -> output.getOut().contains("order " + orderId + " sent off with DHL"));
        assertThat(output.getOut()).doesNotContain("order " + orderId + " shipped with");
    }

    @Test
    void subscriptionFileAddedAtRunTimeGetsItsQueueAndBindingsAndRemovingItStopsIt(CapturedOutput output) throws IOException {
        String name = "test-reload-" + UUID.randomUUID().toString().substring(0, 8);
        String queue = "shop.events." + name;
        try {
            writeAndAwaitReload(output, name + ".camel.yaml", """
                    - route:
                        id: %1$s
                        from:
                          uri: subscription:%1$s
                          parameters:
                            types: order_shipped
                          steps:
                            - log: "%1$s took order ${body.data.path('orderId').asText()}"
                    """.formatted(name));
            assertThat(Broker.queuesMatching(java.util.regex.Pattern.quote(queue))).as("its queue").containsExactly(queue);

            String orderId = unique("order");
            publishShipped(orderId);
            await().atMost(RELOADED).until(() -> output.getOut().contains(name + " took order " + orderId));

            Files.delete(routes.resolve(name + ".camel.yaml"));
            String removed = "Route files removed: [" + file(name + ".camel.yaml") + "]";
            await().atMost(RELOADED).until(() -> output.getOut().contains(removed));

            String later = unique("order");
            publishShipped(later);
            // the shipped order-shipped subscription takes it; the removed one no longer consumes, and its
            // queue keeps the event for whoever puts the file back
            await().atMost(RELOADED).until(() -> output.getOut().contains("order " + later + " shipped with"));
            await().atMost(RELOADED).until(() -> Broker.messagesIn(queue) == 1);
            assertThat(output.getOut()).doesNotContain(name + " took order " + later);
        } finally {
            Broker.deleteQueue(queue);
        }
    }

    @Test
    void aBadFilterIsRefusedNamingFileAndLineAndTheSubscriptionKeepsItsFilter(CapturedOutput output) throws IOException {
        String name = "test-filter-" + UUID.randomUUID().toString().substring(0, 8);
        String route = """
                - route:
                    id: %1$s
                    from:
                      uri: subscription:%1$s
                      parameters:
                        types: order_placed
                        jq: ".data.orderTotal > 1000"
                      steps:
                        - log: "%1$s took order ${body.data.path('orderId').asText()}"
                """.formatted(name);
        try {
            writeAndAwaitReload(output, name + ".camel.yaml", route);

            writeRoute(name + ".camel.yaml", route.replace("jq: \".data.orderTotal > 1000\"",
                    "filter: \"source LIKE '%shop-eu%' AND AND type = 'x'\""));
            await().atMost(RELOADED).until(() -> output.getOut().contains("Route file refused"));
            assertThat(output.getOut()).contains(file(name + ".camel.yaml") + ":7: ").contains("CloudEvents SQL");

            String small = unique("order");
            String big = unique("order");
            assertThat(postJson("/api/orders", "{\"orderId\":\"" + small + "\",\"userId\":\"u\",\"orderTotal\":5}")
                    .statusCode()).isEqualTo(202);
            assertThat(postJson("/api/orders", "{\"orderId\":\"" + big + "\",\"userId\":\"u\",\"orderTotal\":2000}")
                    .statusCode()).isEqualTo(202);
            // the subscription as it was: its jq condition still holds
            await().atMost(RELOADED).until(() -> output.getOut().contains(name + " took order " + big));
            await().atMost(RELOADED).until(() -> Broker.messagesIn("shop.events." + name) == 0);
            assertThat(output.getOut()).doesNotContain(name + " took order " + small);
        } finally {
            removeSubscription(name);
        }
    }

    @Test
    void aSubscriptionBuiltFromTheKameletIsReplacedWithItsFileAndRemovedWithIt(CapturedOutput output) throws IOException {
        String name = "test-kamelet-" + UUID.randomUUID().toString().substring(0, 8);
        String route = """
                - route:
                    id: %1$s
                    from:
                      uri: kamelet:shop-subscription-source
                      parameters:
                        name: %1$s
                        types: order_shipped
                      steps:
                        - log: "%1$s took order ${body.data.path('orderId').asText()}"
                """.formatted(name);
        try {
            writeAndAwaitReload(output, name + ".camel.yaml", route);
            String first = unique("order");
            publishShipped(first);
            await().atMost(RELOADED).until(() -> output.getOut().contains(name + " took order " + first));

            // edited: the Kamelet's route (the consumer) is replaced too, not left running beside the new one
            writeAndAwaitReload(output, name + ".camel.yaml", route.replace(" took order ", " now takes order "));
            // one consumer per subscription in the tests (application-test.yaml)
            await().atMost(RELOADED).until(() -> Broker.consumerTags("shop.events." + name).size() == 1);
            assertThat(Broker.consumerTags("shop.events." + name)).as("consumers after the edit").hasSize(1);
            String second = unique("order");
            publishShipped(second);
            await().atMost(RELOADED).until(() -> output.getOut().contains(name + " now takes order " + second));
            assertThat(output.getOut()).doesNotContain(name + " took order " + second);

            Files.delete(routes.resolve(name + ".camel.yaml"));
            await().atMost(RELOADED).until(() -> output.getOut().contains("Route files removed: [" + file(name + ".camel.yaml") + "]"));
            await().atMost(RELOADED).until(() -> Broker.consumerTags("shop.events." + name).isEmpty());
        } finally {
            removeSubscription(name);
        }
    }

    @Test
    void aRemovalInAChangeRefusedForAnotherFileIsTakenWithTheNextChange(CapturedOutput output) throws IOException {
        String name = "test-keep-" + UUID.randomUUID().toString().substring(0, 8);
        String bad = "test-bad-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            writeAndAwaitReload(output, name + ".camel.yaml", subscriptionLogging(name));
            await().atMost(RELOADED).until(() -> Broker.consumerTags("shop.events." + name).size() == 1);

            // one change: a file removed and another written with a mistake
            Files.delete(routes.resolve(name + ".camel.yaml"));
            writeRoute(bad + ".camel.yaml", subscriptionLogging(bad).replace("types: order_shipped",
                    "types: order_shipped\n        jq: \".data.[\""));
            await().atMost(RELOADED).until(() -> output.getOut().contains(file(bad + ".camel.yaml") + ":7: jq"));
            assertThat(Broker.consumerTags("shop.events." + name)).as("refused: the removal waits").hasSize(1);

            writeRoute(bad + ".camel.yaml", subscriptionLogging(bad));
            await().atMost(RELOADED).until(() -> Broker.consumerTags("shop.events." + bad).size() == 1);
            // the removal came with it, though nothing touched that file since
            await().atMost(RELOADED).until(() -> Broker.consumerTags("shop.events." + name).isEmpty());
        } finally {
            removeSubscription(name);
            removeSubscription(bad);
        }
    }

    @Test
    void aSecondFileForOneSubscriptionIsRefusedAndTheFirstKeepsConsuming(CapturedOutput output) throws IOException {
        String name = "test-twice-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            writeAndAwaitReload(output, name + ".camel.yaml", subscriptionLogging(name));
            String second = """
                    - route:
                        id: %1$s-again
                        from:
                          uri: kamelet:shop-subscription-source
                          parameters:
                            name: %1$s
                            types: order_shipped
                          steps:
                            - log: "again"
                    """.formatted(name);
            writeRoute(name + "-again.camel.yaml", second);
            await().atMost(RELOADED).until(() -> output.getOut().contains(file(name + "-again.camel.yaml") + ":4: subscription '"
                    + name + "' is consumed by"));
            assertThat(Broker.consumerTags("shop.events." + name)).as("the first file's consumer").hasSize(1);

            String orderId = unique("order");
            publishShipped(orderId);
            await().atMost(RELOADED).until(() -> output.getOut().contains(name + " took order " + orderId));
        } finally {
            Files.deleteIfExists(routes.resolve(name + "-again.camel.yaml"));
            removeSubscription(name);
        }
    }

    /** An order_shipped event of this order, published to shop.events as an operator would. */
    private void publishShipped(String orderId) {
        publish("order_shipped", cloudEvent(unique("event"), "order_shipped",
                "{\"orderId\":\"" + orderId + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}"));
    }

    /** The test subscription's file and queue gone, whatever the test left. */
    private static void removeSubscription(String name) throws IOException {
        Files.deleteIfExists(routes.resolve(name + ".camel.yaml"));
        Broker.deleteQueue("shop.events." + name);
    }

    private static String subscriptionLogging(String name) {
        return """
                - route:
                    id: %1$s
                    from:
                      uri: subscription:%1$s
                      parameters:
                        types: order_shipped
                      steps:
                        - log: "%1$s took order ${body.data.path('orderId').asText()}"
                """.formatted(name);
    }

    @Test
    void aRouteIdThatIsTakenIsRefusedAndEverySubscriptionKeepsConsuming(CapturedOutput output) throws IOException {
        String copy = Files.readString(routes.resolve("order-shipped.camel.yaml"))
                .replace("id: order-shipped", "id: order-status")
                .replace("subscription:order-shipped", "subscription:test-copy-of-order-shipped");
        writeRoute("copy-of-order-shipped.camel.yaml", copy);

        await().atMost(RELOADED).until(() -> output.getOut().contains("route id 'order-status' is taken by"));
        JsonNode refused = json(get("/api/route-files").body()).get("lastRefused");
        assertThat(refused.get("outcome").asText()).isEqualTo("REFUSED");
        int line = copy.lines().toList().indexOf("    id: order-status") + 1;
        assertThat(refused.get("problems").get(0).asText()).contains(file("copy-of-order-shipped.camel.yaml") + ":" + line + ": ")
                .contains("'order-status' is taken by " + file("order-status.camel.yaml"));
        for (JsonNode subscription : json(get("/api/subscriptions").body()).get("subscriptions")) {
            if (java.util.Set.of("order-status", "payment-status", "welcome-mail", "order-shipped").contains(subscription.get("name").asText())) {
                assertThat(subscription.get("state").asText()).as(subscription.toString()).isEqualTo("TAKING");
            }
        }
        assertTheShippedRoutesStillWork();
        Files.delete(routes.resolve("copy-of-order-shipped.camel.yaml"));
        await().atMost(RELOADED).until(() -> output.getOut().contains(
                "Route files removed: [" + file("copy-of-order-shipped.camel.yaml") + "]"));
    }

    private static final int PUBLISH_RELOADS = 3;

    @Test
    void reloadsDuringASteadyStreamOfCallsAnswerNo500AndHoldNoCall(CapturedOutput output) throws Exception {
        java.util.Map<String, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean going = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        Thread stream = new Thread(() -> {
            while (going.get()) {
                String orderId = unique("stream");
                long started = System.nanoTime();
                try {
                    java.net.http.HttpResponse<String> response = client.send(java.net.http.HttpRequest.newBuilder(uri("/api/orders"))
                            .header("Content-Type", "application/json").header("X-API-Key", ALL_SCOPES_KEY)
                            .timeout(Duration.ofSeconds(2))
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                    "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    answers.put(orderId, response.statusCode());
                    if (response.statusCode() == 503 && response.headers().firstValue("Retry-After").isEmpty()) {
                        problems.add("503 without Retry-After: " + response.body());
                    } else if (response.statusCode() != 202 && response.statusCode() != 503) {
                        problems.add(response.statusCode() + ": " + response.body());
                    }
                } catch (Exception e) {
                    problems.add("no answer within 2 s (" + e + ") after " + (System.nanoTime() - started) / 1_000_000 + " ms");
                }
                try {
                    Thread.sleep(10); // a steady stream, about 50 calls a second
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "steady-stream");
        stream.start();
        try {
            // a subscription's file: only its routes are replaced
            String shipped = Files.readString(routes.resolve("order-shipped.camel.yaml"));
            writeAndAwaitReload(output, "order-shipped.camel.yaml", shipped + "\n# changed while calls stream in\n");
            // a file with REST definitions: the whole set, the API refusing meanwhile
            writeAndAwaitReload(output, "stream-hello.camel.yaml", helloRest("stream-hello", "Hello"));
            writeAndAwaitReload(output, "order-shipped.camel.yaml", shipped);
            // routes the API's own routes call: replaced alone, the API refusing meanwhile
            // (several times: a call must be in flight at the moment it is replaced to find the gap)
            String publish = Files.readString(routes.resolve("publish.camel.yaml"));
            for (int i = 0; i < PUBLISH_RELOADS - 1; i++) {
                writeAndAwaitReload(output, "publish.camel.yaml", publish + "\n# changed while calls stream in " + i + "\n");
            }
            writeAndAwaitReload(output, "publish.camel.yaml", publish);
        } finally {
            going.set(false);
            stream.join();
        }
        assertThat(problems).as("every call answered within 2 s, 202 or 503 with Retry-After").isEmpty();
        long refused = answers.values().stream().filter(status -> status == 503).count();
        // behind the gate: the whole set once (stream-hello), publish.camel.yaml each time; about 100 calls a second
        int gatedReloads = 1 + PUBLISH_RELOADS;
        assertThat(refused).as("503s while reloads behind the gate ran: a second or two of calls at most each")
                .isLessThan(100L * gatedReloads);
        java.util.List<String> accepted = answers.entrySet().stream().filter(e -> e.getValue() == 202).map(java.util.Map.Entry::getKey).toList();
        await().atMost(RELOADED).until(() -> accepted.stream().allMatch(id -> get("/api/orders/" + id).statusCode() == 200));
    }

    /** A GET endpoint answering a constant text: behaviour a test can see from outside. */
    private static String helloRest(String name, String answer) {
        return """
                - rest:
                    path: /api/%1$s
                    get:
                      - to: direct:%1$s
                - route:
                    id: %1$s
                    from:
                      uri: direct:%1$s
                      steps:
                        - setBody: { constant: "%2$s" }
                """.formatted(name, answer);
    }

    private void assertTheShippedRoutesStillWork() {
        String orderId = unique("order");
        assertThat(postJson("/api/orders", "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}")
                .statusCode()).isEqualTo(202);
        await().atMost(RELOADED).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
        // and their error answers: the route configurations came back with them
        assertProblem(get("/api/orders/" + unique("nope")), 404);
        assertProblem(postJson("/api/orders", "{\"orderId\":\"1\",\"orderTotal\":-5}"), 400);
    }

    /** Writes a route file and waits until the reload it causes has finished (requests during one may fail). */
    private static void writeAndAwaitReload(CapturedOutput output, String name, String content) {
        String reloaded = "Routes reloaded after a change to [" + file(name) + "]";
        long before = occurrences(output.getOut(), reloaded);
        writeRoute(name, content);
        await().atMost(RELOADED).until(() -> occurrences(output.getOut(), reloaded) > before);
    }

    private static long occurrences(String text, String part) {
        return text.lines().filter(line -> line.contains(part)).count();
    }

    /** As the reload strategy names it in the log. */
    private static Path file(String name) {
        return routes.resolve(name).toAbsolutePath().normalize();
    }

    private static void writeRoute(String name, String content) {
        try {
            Files.writeString(routes.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
