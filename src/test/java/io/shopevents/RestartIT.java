package io.shopevents;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.shopevents.support.AppProcess;
import io.shopevents.support.Broker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged application, with its default H2 file database, killed (SIGKILL) or stopped
 * (SIGTERM) while it works, then started again on the same database: nothing queued is lost,
 * nothing accepted is lost, nothing is applied twice. No application context runs in this JVM,
 * so only the process under test consumes the subscriptions' queues. The database is read once the
 * application has exited (it holds the file while it runs).
 */
class RestartIT {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper mapper = new ObjectMapper();
    private static final Duration SHUTDOWN = Duration.ofSeconds(60);
    /** The jar runs in its default profile, local, whose development key this is. */
    private static final String LOCAL_KEY = "local-dev-key-0123456789";
    private static Connection rabbit;

    @TempDir
    static Path data;

    @BeforeAll
    static void connectToTheBroker() throws Exception {
        rabbit = new ConnectionFactory().newConnection("shop-events RestartIT"); // 127.0.0.1:5672, guest/guest
    }

    @AfterAll
    static void disconnect() throws IOException {
        rabbit.close();
    }

    @Test
    void killedWhileMessagesAreQueuedEveryOneIsProcessedOnceAfterRestart() throws Exception {
        String run = "kill-" + UUID.randomUUID();
        int events = 3000;
        Path dataDir = data.resolve("kill");
        try (AppProcess first = AppProcess.start("kill-first", environment(dataDir))) {
            publishOrders(run, events);
            // kill as soon as processing has begun: the first order published is among the first taken;
            // the consumers take batches of up to 100, so the kill lands in the middle of one
            await().atMost(Duration.ofMinutes(1)).until(() -> status(first, "/api/orders/" + run + "-0") == 200);
            first.kill();
        }
        assertThat(queueDepth("shop.events.order-status")).as("messages left in the queue when the application died").isPositive();

        try (AppProcess second = AppProcess.start("kill-second", environment(dataDir))) {
            awaitQueueWorkedOff(second, run);
            assertThat(largestBatch(second, "order-status")).as("events applied in batches, not one by one").isGreaterThan(1);
            assertThat(second.terminate(SHUTDOWN)).isEqualTo(143);
        }
        List<String> orders = query(dataDir, "SELECT order_id FROM orders WHERE order_id LIKE ?", run + "-%");
        assertThat(orders).as("every queued event applied").hasSize(events + 1).doesNotHaveDuplicates();
        List<String> applied = query(dataDir,
                "SELECT event_id FROM processed_events WHERE event_id LIKE ? AND NOT withdrawn AND subscription = 'order-status'",
                run + "-event-%");
        assertThat(applied).as("every queued event recorded as applied, once").hasSize(events);
    }

    @Test
    void sigtermWhileClientsPostFinishesInFlightWorkAndLosesNothing() throws Exception {
        String run = "term-" + UUID.randomUUID();
        Path dataDir = data.resolve("term");
        Map<String, String> answers = new ConcurrentHashMap<>();
        AtomicInteger accepted = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean terminating = new AtomicBoolean();
        Map<String, String> answersAfterSigterm = new ConcurrentHashMap<>();
        try (AppProcess first = AppProcess.start("term-first", environment(dataDir))) {
            List<Future<?>> loops = new ArrayList<>();
            AtomicInteger sequence = new AtomicInteger();
            for (int c = 0; c < 4; c++) {
                loops.add(clients.submit(() -> {
                    while (!stop.get()) {
                        String orderId = run + "-" + sequence.incrementAndGet();
                        String answer = postOrder(first, orderId);
                        (terminating.get() ? answersAfterSigterm : answers).put(orderId, answer);
                        if (answer.startsWith("202 ")) {
                            accepted.incrementAndGet();
                        }
                    }
                }));
            }
            await().atMost(Duration.ofMinutes(1)).until(() -> accepted.get() >= 300);
            terminating.set(true);
            int exit = first.terminate(SHUTDOWN);
            stop.set(true);
            for (Future<?> loop : loops) {
                loop.get(30, TimeUnit.SECONDS);
            }
            // the JVM's answer to SIGTERM once its shutdown hooks have run: 143, not a crash
            assertThat(exit).isEqualTo(143);
        } finally {
            stop.set(true);
            clients.shutdownNow();
        }

        Map<String, String> acceptedEvents = new HashMap<>();
        answers.forEach((orderId, answer) -> {
            if (answer.startsWith("202 ")) {
                acceptedEvents.put(orderId, answer.substring(4));
            }
        });
        assertThat(answers.values()).as("answers received before SIGTERM")
                .allMatch(a -> a.startsWith("202 ") || a.equals("503") || a.startsWith("no answer"));
        // A call in flight or sent while the server shuts down may meet a connection Tomcat is closing: besides
        // 503 and no answer, CI once saw 400 there (cause not pinned down). What must hold for
        // those calls is what holds for every call: a 202 is applied, nothing refused is.
        answersAfterSigterm.forEach((orderId, answer) -> {
            answers.put(orderId, answer);
            if (answer.startsWith("202 ")) {
                acceptedEvents.put(orderId, answer.substring(4));
            }
        });
        Set<String> notAccepted = new HashSet<>(answers.keySet());
        notAccepted.removeAll(acceptedEvents.keySet());

        try (AppProcess second = AppProcess.start("term-second", environment(dataDir))) {
            awaitQueueWorkedOff(second, run);
            second.terminate(SHUTDOWN);
        }
        Set<String> orders = new HashSet<>(query(dataDir, "SELECT order_id FROM orders WHERE order_id LIKE ?", run + "-%"));
        assertThat(orders).as("every accepted event applied").containsAll(acceptedEvents.keySet());
        assertThat(notAccepted).as("no call refused or left unanswered is applied").noneMatch(orders::contains);
        List<String> applied = query(dataDir,
                "SELECT event_id FROM processed_events WHERE subscription = ? AND NOT withdrawn", "order-status");
        assertThat(applied).as("every accepted event recorded as applied").containsAll(acceptedEvents.values());
    }

    // --- helpers

    private static Map<String, String> environment(Path dataDir) {
        return Map.of("SHOP_DATADIR", dataDir.toAbsolutePath().toString());
    }

    /**
     * Posts a marker order and waits until it is applied and the queues hold nothing, delivered or
     * not (redelivered messages go back to the end of the queue, behind the marker; retried ones
     * wait in the retry queues).
     */
    private static void awaitQueueWorkedOff(AppProcess app, String run) {
        String marker = run + "-marker";
        assertThat(postOrder(app, marker)).startsWith("202 ");
        await().atMost(Duration.ofMinutes(3)).until(() -> status(app, "/api/orders/" + marker) == 200);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> Broker.messagesIn(Broker.queuesMatching("shop\\.events\\.(order-status|payment-status"
                        + "|welcome-mail|retry\\..*)")) == 0);
    }

    /** "202 eventId", "503", another status code and its body, or "no answer: ..." */
    private static String postOrder(AppProcess app, String orderId) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(app.uri("/api/orders"))
                    .header("Content-Type", "application/json")
                    .header("X-API-Key", LOCAL_KEY)
                    .timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 202
                    ? "202 " + mapper.readTree(response.body()).get("eventId").asText()
                    : response.statusCode() == 503 ? "503" : response.statusCode() + " " + response.body();
        } catch (IOException e) {
            return "no answer: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no answer: interrupted";
        }
    }

    private static int status(AppProcess app, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(app.uri(path)).header("X-API-Key", LOCAL_KEY)
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The most messages the subscription has applied in one transaction since the application started. */
    private static double largestBatch(AppProcess app, String subscription) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(app.uri("/actuator/prometheus")).header("X-API-Key", LOCAL_KEY)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher max = java.util.regex.Pattern.compile(
                "^shop_subscription_batch_size_max\\{[^}]*subscription=\"" + subscription + "\"[^}]*}\\s+(\\S+)$",
                java.util.regex.Pattern.MULTILINE).matcher(metrics);
        return max.find() ? Double.parseDouble(max.group(1)) : 0;
    }

    private static void publishOrders(String run, int events) throws Exception {
        try (Channel channel = rabbit.createChannel()) {
            channel.confirmSelect();
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (int i = 0; i < events; i++) {
                String body = mapper.writeValueAsString(Map.of(
                        "specversion", "1.0", "id", run + "-event-" + i, "type", "order_placed", "source", "/tests",
                        "data", Map.of("orderId", run + "-" + i, "userId", "u", "orderTotal", 1)));
                channel.basicPublish("shop.events", "order_placed", persistent, body.getBytes(StandardCharsets.UTF_8));
            }
            channel.waitForConfirmsOrDie(60_000);
        }
    }

    private static long queueDepth(String queue) throws IOException {
        try (Channel channel = rabbit.createChannel()) {
            return channel.queueDeclarePassive(queue).getMessageCount();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException(e);
        }
    }

    /** Reads the application's H2 file database (the application must have exited). */
    private static List<String> query(Path dataDir, String sql, String parameter) throws SQLException {
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("shop-events")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;IFEXISTS=TRUE";
        try (var connection = DriverManager.getConnection(url, "sa", "");
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            List<String> values = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        }
    }
}
