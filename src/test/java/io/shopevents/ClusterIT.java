package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.shopevents.support.AppProcess;
import io.shopevents.support.Postgres;
import io.shopevents.support.RabbitCluster;
import jakarta.mail.Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Beyond one machine: two packaged instances on one PostgreSQL database against a 3-node RabbitMQ
 * cluster (quorum queues replicated on the three). Under load, the node holding the queues'
 * leaders is stopped; one instance is killed (SIGKILL); both instances are restarted one after the
 * other. Each time: every 202 is applied exactly once, no 503 is applied, no welcome mail is sent
 * twice (one the killed instance was handing over is dead-lettered as in doubt), nothing else is
 * dead-lettered, and the queues end empty.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final Logger log = LoggerFactory.getLogger(ClusterIT.class);
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper mapper = new ObjectMapper();
    private static final String LOCAL_KEY = "local-dev-key-0123456789";
    private static final Duration SETTLED = Duration.ofMinutes(3);

    private static RabbitCluster cluster;
    private static GreenMail mail;
    private static String schema;
    private static Map<String, String> environment;
    private static volatile AppProcess one;
    private static volatile AppProcess two;

    @BeforeAll
    static void twoInstancesOnACluster() {
        Postgres.assumeRunning();
        int smtpPort = IntegrationTestPorts.free();
        mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        cluster = RabbitCluster.start();
        schema = Postgres.newSchema("cluster");
        environment = new HashMap<>(Postgres.environment(schema));
        environment.put("SPRING_RABBITMQ_ADDRESSES", cluster.addresses());
        environment.put("MAIL_SMTP_PORT", String.valueOf(smtpPort));
        one = AppProcess.start("cluster-one", environment);
        two = AppProcess.start("cluster-two", environment);
    }

    @AfterAll
    static void stopEverything() {
        for (AppProcess app : new AppProcess[] {one, two}) {
            if (app != null) {
                app.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
        if (schema != null) {
            Postgres.drop(schema);
        }
        if (mail != null) {
            mail.stop();
        }
    }

    @Test
    @Order(1)
    void theNodeHoldingTheLeadersStopsUnderLoad() throws Exception {
        int leader = cluster.leaderOf("shop.events.order-status");
        Load load = new Load("leader");
        load.run(600, answered -> {
            if (answered == 200) {
                log.info("stopping rabbit{}@localhost, which holds the leader of shop.events.order-status", leader);
                cluster.stopNode(leader);
            }
        });
        cluster.startNode(leader);
        verify(load, 0);
    }

    @Test
    @Order(2)
    void oneInstanceIsKilledUnderLoad() throws Exception {
        Load load = new Load("kill");
        try {
            load.run(800, answered -> {
                if (answered == 250) {
                    log.info("killing cluster-one (SIGKILL)");
                    one.kill();
                }
            });
            // a welcome mail the killed instance was handing to the SMTP server (its hand-over
            // recorded, its claim not committed) is dead-lettered as in doubt by the survivor, never
            // sent again: at most one per welcome-mail consumer of the killed instance (2, prefetch 1)
            verify(load, 2);
        } finally {
            one = AppProcess.start("cluster-one-again", environment);
        }
    }

    @Test
    @Order(3)
    void bothInstancesAreRestartedOneAfterTheOtherUnderLoad() throws Exception {
        Load load = new Load("rolling");
        ExecutorService restarts = Executors.newSingleThreadExecutor();
        try {
            Future<?> rolling = restarts.submit(() -> {
                await().atMost(Duration.ofMinutes(1)).until(() -> load.answered.get() >= 100);
                log.info("restarting cluster-one");
                assertThat(one.terminate(Duration.ofSeconds(60))).isEqualTo(143);
                one = AppProcess.start("cluster-one-rolled", environment);
                log.info("restarting cluster-two");
                assertThat(two.terminate(Duration.ofSeconds(60))).isEqualTo(143);
                two = AppProcess.start("cluster-two-rolled", environment);
                return null;
            });
            load.runUntil(rolling, 400);
            rolling.get(5, TimeUnit.MINUTES);
        } finally {
            restarts.shutdownNow();
        }
        verify(load, 0);
    }

    // --- the load: orders and user registrations, each with an Idempotency-Key, from four clients

    enum Kind { ACCEPTED, REFUSED, UNKNOWN }

    record Outcome(Kind kind, String eventId, boolean user) {
    }

    static final class Load {
        final String run = UUID.randomUUID().toString().substring(0, 8);
        final String name;
        final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
        final AtomicInteger answered = new AtomicInteger();
        private final AtomicInteger next = new AtomicInteger();

        Load(String name) {
            this.name = name;
        }

        void run(int requests, IntConsumer progress) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> calls = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    calls.add(clients.submit(() -> {
                        send(next.getAndIncrement());
                        progress.accept(answered.incrementAndGet());
                    }));
                }
                for (Future<?> call : calls) {
                    call.get(5, TimeUnit.MINUTES);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                clients.shutdownNow();
            }
        }

        /** Sends until the other work is done, and at least this many requests. */
        void runUntil(Future<?> other, int atLeast) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> loops = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    loops.add(clients.submit(() -> {
                        while (!other.isDone() || next.get() < atLeast) {
                            send(next.getAndIncrement());
                            answered.incrementAndGet();
                        }
                    }));
                }
                for (Future<?> loop : loops) {
                    loop.get(10, TimeUnit.MINUTES);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                clients.shutdownNow();
            }
        }

        String id(int i) {
            return name + "-" + run + "-" + i;
        }

        /**
         * One call; a refused connection (the instance is down: nothing was sent) goes to the other
         * instance with the same Idempotency-Key, as behind a load balancer.
         */
        private void send(int i) {
            boolean user = i % 5 == 0;
            String id = id(i);
            String path = user ? "/api/users" : "/api/orders";
            String body = user ? "{\"userId\":\"" + id + "\",\"username\":\"U\",\"email\":\"" + id + "@example.com\"}"
                    : "{\"orderId\":\"" + id + "\",\"userId\":\"u\",\"orderTotal\":1}";
            String key = UUID.randomUUID().toString();
            Instant deadline = Instant.now().plusSeconds(120);
            for (int attempt = 0; Instant.now().isBefore(deadline); attempt++) {
                AppProcess instance = (attempt + i) % 2 == 0 ? one : two;
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(instance.uri(path))
                            .header("Content-Type", "application/json").header("X-API-Key", LOCAL_KEY)
                            .header("Idempotency-Key", key).timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 202) {
                        outcomes.put(id, new Outcome(Kind.ACCEPTED, mapper.readTree(response.body()).get("eventId").asText(), user));
                    } else if (response.statusCode() == 503) {
                        outcomes.put(id, new Outcome(Kind.REFUSED, null, user));
                    } else {
                        outcomes.put(id, new Outcome(Kind.UNKNOWN, null, user));
                        log.warn("{}: {} {}", id, response.statusCode(), response.body());
                    }
                    return;
                } catch (ConnectException e) {
                    pause(); // not sent: try the other instance
                } catch (IOException e) {
                    outcomes.put(id, new Outcome(Kind.UNKNOWN, null, user)); // sent, no answer: it may or may not count
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            outcomes.put(id, new Outcome(Kind.UNKNOWN, null, user));
        }

        private static void pause() {
            try {
                Thread.sleep(100); // a client's back-off before the next instance
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // --- what must hold after each fault

    /**
     * Every 202 applied once, no 503 applied, one mail per accepted user (none or one for a mail in
     * flight at a crash, dead-lettered as in doubt), never two, queues empty (those letters taken).
     */
    private void verify(Load load, int mailsInFlightAtACrash) throws Exception {
        Map<Kind, Long> tally = new HashMap<>();
        load.outcomes.values().forEach(o -> tally.merge(o.kind(), 1L, Long::sum));
        log.info("{}: {} calls: {}", load.name, load.outcomes.size(), tally);
        List<String> acceptedOrders = ids(load, Kind.ACCEPTED, false);
        List<String> acceptedUsers = ids(load, Kind.ACCEPTED, true);
        assertThat(acceptedOrders.size() + acceptedUsers.size()).as("most calls are accepted")
                .isGreaterThan(load.outcomes.size() / 2);

        await().atMost(SETTLED).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(orders(load)).as("every accepted order is applied").containsAll(acceptedOrders));
        Set<String> inDoubt = new HashSet<>();
        await().atMost(SETTLED).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            inDoubt.clear();
            inDoubt.addAll(mailsInDoubt());
            assertThat(acceptedUsers).as("every accepted user has a mail, or one in doubt")
                    .allMatch(id -> mailsTo(id) >= 1 || inDoubt.contains(id));
        });
        assertThat(inDoubt).as("mails in doubt: only those in flight at a crash").hasSizeLessThanOrEqualTo(mailsInFlightAtACrash);
        takeDeadLetters(inDoubt.size());
        await().atMost(SETTLED).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(cluster.messages()).as("the queues hold nothing").allSatisfy((queue, count) -> {
                    // the archive and the last operational events are kept on purpose
                    if (!queue.equals("shop.events.archive") && !queue.equals("shop.events.operational")) {
                        assertThat(count).as(queue).isZero();
                    }
                }));

        Set<String> applied = new HashSet<>(orders(load));
        assertThat(ids(load, Kind.REFUSED, false)).as("no refused order is applied").noneMatch(applied::contains);
        List<String> twice = acceptedUsers.stream().filter(user -> mailsTo(user) > 1).toList();
        log.info("{}: {} accepted users, each with one mail, but in doubt (dead-lettered): {}", load.name,
                acceptedUsers.size(), inDoubt);
        assertThat(twice).as("users with more than one mail").isEmpty();
        for (String user : ids(load, Kind.REFUSED, true)) {
            assertThat(mailsTo(user)).as("mails to refused " + user).isZero();
        }
        for (String user : ids(load, Kind.UNKNOWN, true)) {
            assertThat(mailsTo(user)).as("mails to unanswered " + user).isLessThanOrEqualTo(1);
        }
        List<String> eventIds = load.outcomes.values().stream().filter(o -> o.kind() == Kind.ACCEPTED && !o.user())
                .map(Outcome::eventId).toList();
        assertThat(appliedOnce(eventIds)).as("each accepted order event is recorded as applied once").isEqualTo(eventIds.size());
    }

    /** The users whose welcome mail the survivor dead-lettered as in doubt (the letters name the user). */
    private Set<String> mailsInDoubt() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(two.uri("/api/dead-letters?subscription=welcome-mail"))
                .header("X-API-Key", LOCAL_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Set<String> users = new HashSet<>();
        for (JsonNode letter : mapper.readTree(response.body()).get("deadLetters")) {
            assertThat(letter.path("exceptionClass").asText()).as(letter.toString())
                    .isEqualTo("io.shopevents.processor.MailInDoubtException");
            java.util.regex.Matcher user = java.util.regex.Pattern.compile("for user (\\S+) ").matcher(letter.path("reason").asText());
            assertThat(user.find()).as(letter.toString()).isTrue();
            users.add(user.group(1));
        }
        return users;
    }

    /** Takes the letters checked above off the dead-letter queue, so that the next fault starts from none. */
    private void takeDeadLetters(int letters) {
        if (letters > 0) {
            assertThat(cluster.messages().get("shop.events.dead")).as("only the letters in doubt").isEqualTo(letters);
            cluster.purge("shop.events.dead");
        }
    }

    private static List<String> ids(Load load, Kind kind, boolean user) {
        return load.outcomes.entrySet().stream().filter(e -> e.getValue().kind() == kind && e.getValue().user() == user)
                .map(Map.Entry::getKey).toList();
    }

    private static long mailsTo(String id) {
        String address = id + "@example.com";
        return java.util.Arrays.stream(mail.getReceivedMessages()).filter(m -> {
            try {
                for (Address to : m.getAllRecipients()) {
                    if (to.toString().equals(address)) {
                        return true;
                    }
                }
                return false;
            } catch (jakarta.mail.MessagingException e) {
                throw new IllegalStateException(e);
            }
        }).count();
    }

    private static List<String> orders(Load load) throws SQLException {
        return query("SELECT order_id FROM orders WHERE order_id LIKE ?", load.name + "-" + load.run + "-%");
    }

    private static long appliedOnce(List<String> eventIds) throws SQLException {
        Set<String> recorded = new HashSet<>(query("SELECT event_id FROM processed_events WHERE subscription = 'order-status'"
                + " AND NOT withdrawn AND event_id LIKE ?", "%"));
        return eventIds.stream().filter(recorded::contains).count();
    }

    private static List<String> query(String sql, String parameter) throws SQLException {
        try (var connection = DriverManager.getConnection(Postgres.URL + "?currentSchema=" + schema, "postgres", "");
             var statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            List<String> values = new ArrayList<>();
            try (var rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        }
    }

    /** A free port, outside the Spring test support (no application context runs in this JVM). */
    private static final class IntegrationTestPorts {
        static int free() {
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
