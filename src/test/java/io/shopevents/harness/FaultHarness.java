package io.shopevents.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import io.shopevents.support.AppProcess;
import io.shopevents.support.Broker;
import io.shopevents.support.Postgres;
import io.shopevents.support.SmtpRelay;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.awaitility.Awaitility.await;

/**
 * One randomized run against the packaged application: a seeded sequence of calls (single events,
 * batches, keyed calls and their retries, a custom type whose subscription fails now and then,
 * archive replays), with faults in between (kill -9 and restart, SIGTERM and restart, every AMQP
 * connection closed, the mail server down, hung or slow to confirm). Then it checks what the
 * database, the mail server and the broker hold against what each call was answered:
 * <ul>
 * <li>every event answered 202 is applied exactly once by each subscription that takes it;</li>
 * <li>nothing answered 4xx or 503 is applied; nothing unanswered is applied twice;</li>
 * <li>each accepted user gets one welcome mail (none when the server refuses the address for good;
 * none or one for a mail in doubt, dead-lettered when a stop or a slow server left its outcome
 * unknown), never two;</li>
 * <li>the queues are drained and every dead letter says why.</li>
 * </ul>
 * A failure names the seed; {@code -Dharness.seeds=<seed>} runs that run again.
 */
final class FaultHarness implements AutoCloseable {

    private final long seed;
    private final Random random;
    private final String run;
    private final String schema;
    private final Path routes;
    private final SmtpRelay relay;
    private final GreenMail mail;
    private final List<Calls.Call> calls = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final Instant started = Instant.now();
    private volatile AppProcess app;
    private int kills;
    private int restarts;
    private int faults;

    FaultHarness(long seed, Path routes, SmtpRelay relay, GreenMail mail) {
        this.seed = seed;
        this.random = new Random(seed);
        this.run = "h" + Long.toHexString(seed) + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
        this.schema = Postgres.newSchema("harness");
        this.routes = routes;
        this.relay = relay;
        this.mail = mail;
    }

    /**
     * The run: {@code steps} calls sent by two clients at once while faults strike (a seed fixes the
     * calls and the faults, not their exact timing), then the calls left without an answer sent again.
     */
    void run(int steps) {
        app = start();
        for (int n = 0; n < steps; n++) {
            calls.add(Calls.random(random, run, n));
        }
        java.util.concurrent.ConcurrentLinkedQueue<Calls.Call> toSend = new java.util.concurrent.ConcurrentLinkedQueue<>(calls);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            Random client = new Random(seed + c + 1);
            Thread thread = new Thread(() -> {
                Calls.Call call;
                while ((call = toSend.poll()) != null) {
                    pace(Duration.ofMillis(20 + client.nextInt(100))); // a shop's calls come one after another
                    Calls.send(call, base());
                    if (call.key != null && client.nextInt(4) == 0) {
                        Calls.send(call, base()); // a keyed retry, answered or not the first time
                    }
                }
            }, "harness-client-" + c);
            clients.add(thread);
            thread.start();
        }
        // faults strike while the clients send, every 0.3 to 1.5 s
        while (clients.stream().anyMatch(Thread::isAlive)) {
            pace(Duration.ofMillis(300 + random.nextInt(1200)));
            if (clients.stream().anyMatch(Thread::isAlive)) {
                if (random.nextInt(5) == 0) {
                    replayTheArchive();
                } else {
                    fault();
                }
            }
        }
        relay.mode(SmtpRelay.Mode.UP);
        relay.confirmAfter(Duration.ZERO);
        retryUnanswered();
    }

    private void fault() {
        faults++;
        switch (random.nextInt(6)) {
            case 0 -> {
                log.add("kill -9");
                kills++;
                app.kill();
                app = start();
            }
            case 1 -> {
                log.add("SIGTERM");
                app.terminate(Duration.ofSeconds(60));
                app = start();
            }
            case 2 -> {
                log.add("every AMQP connection closed");
                Broker.closeAllConnections();
            }
            case 3 -> {
                SmtpRelay.Mode mode = random.nextBoolean() ? SmtpRelay.Mode.DOWN : SmtpRelay.Mode.HUNG;
                log.add("mail server " + mode);
                relay.mode(mode);
            }
            case 4 -> {
                // slower than shop.mail.data-timeout (3 s here) now and then: the mail is in doubt, dead-lettered
                Duration delay = Duration.ofMillis(random.nextBoolean() ? 1500 : 4000);
                log.add("mail server confirms after " + delay.toMillis() + " ms");
                relay.confirmAfter(delay);
            }
            default -> {
                log.add("mail server back to normal");
                relay.mode(SmtpRelay.Mode.UP);
                relay.confirmAfter(Duration.ZERO);
            }
        }
    }

    /** A keyed call without a definite answer is sent again until it has one, as a client would. */
    private void retryUnanswered() {
        for (Calls.Call call : calls) {
            if (call.key == null) {
                continue;
            }
            // as a client would: again after a pause, until it is answered
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                if (!call.answered) {
                    Calls.send(call, base());
                }
                return call.answered;
            });
        }
    }

    private void replayTheArchive() {
        if (!app.isAlive()) {
            return;
        }
        try {
            HttpResponse<String> replay = post("/api/subscriptions/test-harness-flaky/replay",
                    "{\"from\":\"" + this.started.minusSeconds(2) + "\"}");
            log.add("archive replay into test-harness-flaky: " + replay.statusCode());
        } catch (java.io.UncheckedIOException e) {
            log.add("archive replay into test-harness-flaky: no answer");
        }
    }

    /** Checks every promise; throws naming the seed and what broke. */
    void verify() {
        List<String> broken = new ArrayList<>();
        awaitQuiet();
        Map<String, Integer> deadLetters = new HashMap<>();
        for (JsonNode letter : Calls.json(get("/api/dead-letters?limit=1000").body()).get("deadLetters")) {
            if (letter.path("reason").asText("").isBlank()) {
                broken.add("a dead letter without a reason: " + letter);
            }
            deadLetters.merge(letter.path("subscription").asText() + " " + letter.path("eventId").asText(), 1, Integer::sum);
        }
        try (Connection db = DriverManager.getConnection(Postgres.URL + "?currentSchema=" + schema, "postgres", "")) {
            Map<String, Integer> mails = mailsByAddress();
            int duplicates = 0;
            for (Calls.Call call : calls) {
                for (Calls.Item item : call.items) {
                    String what = item.type + " " + item.dataId + " (" + describe(call, item) + ")";
                    if (item.status == 202) {
                        for (String subscription : subscriptionsOf(item.type)) {
                            // settled once: applied, or dead-lettered with its reason (an address refused for
                            // good, a mail in doubt), never both, never twice
                            int applied = count(db, "SELECT COUNT(*) FROM processed_events WHERE subscription = ? AND event_id = ?"
                                    + " AND NOT withdrawn", subscription, item.eventId);
                            int dead = deadLetters.getOrDefault(subscription + " " + item.eventId, 0);
                            if (applied + dead != 1) {
                                broken.add(what + ": answered 202, applied " + applied + " times by " + subscription
                                        + " and dead-lettered " + dead + " times");
                            }
                        }
                        if (item.type.equals("user_registered")) {
                            int got = mails.getOrDefault(item.email(), 0);
                            int expected = item.dataId.startsWith("refused-") ? 0 : 1;
                            boolean inDoubt = deadLetters.getOrDefault("welcome-mail " + item.eventId, 0) > 0;
                            if (got > expected) {
                                duplicates += got - expected;
                            }
                            if (got < expected && !inDoubt) {
                                broken.add(what + ": answered 202, " + got + " welcome mails");
                            }
                        }
                    } else if (item.status != 0) {
                        if (applied(db, mails, item) > 0) {
                            broken.add(what + ": answered " + item.status + ", yet applied");
                        }
                    } else if (applied(db, mails, item) > 1) {
                        broken.add(what + ": never answered, and applied " + applied(db, mails, item) + " times");
                    }
                }
            }
            if (duplicates > 0) {
                broken.add(duplicates + " welcome mails sent twice (after " + kills + " kills)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        if (!broken.isEmpty()) {
            throw new AssertionError("seed " + seed + " (replay: -Dharness.seeds=" + seed + "), faults " + log + ":\n  "
                    + String.join("\n  ", broken));
        }
    }

    /** How often the item took effect, by what it was about (for items whose event id is not known). */
    private int applied(Connection db, Map<String, Integer> mails, Calls.Item item) {
        return switch (item.type) {
            case "order_placed" -> count(db, "SELECT COUNT(*) FROM orders WHERE order_id = ?", item.dataId);
            case "payment_processed" -> count(db, "SELECT COUNT(*) FROM payments WHERE payment_id = ?", item.dataId);
            case "user_registered" -> mails.getOrDefault(item.email(), 0);
            default -> 0; // a shipment leaves no trace but its claim, which needs the event id
        };
    }

    private static List<String> subscriptionsOf(String type) {
        return switch (type) {
            case "order_placed" -> List.of("order-status");
            case "payment_processed" -> List.of("payment-status");
            case "user_registered" -> List.of("welcome-mail");
            default -> List.of("order-shipped", "test-harness-flaky");
        };
    }

    /** Until every subscription's queue and the retry queues are empty, and the archive replays are done. */
    private void awaitQuiet() {
        List<String> queues = new ArrayList<>(Broker.queuesMatching("shop\\.events\\.retry\\..+"));
        queues.addAll(List.of("shop.events.order-status", "shop.events.payment-status", "shop.events.welcome-mail",
                "shop.events.order-shipped", "shop.events.test-harness-flaky"));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> Broker.messagesIn(queues) == 0);
    }

    private Map<String, Integer> mailsByAddress() {
        Map<String, Integer> byAddress = new HashMap<>();
        for (MimeMessage message : mail.getReceivedMessages()) {
            try {
                for (var to : message.getRecipients(RecipientType.TO)) {
                    byAddress.merge(to.toString(), 1, Integer::sum);
                }
            } catch (MessagingException e) {
                throw new IllegalStateException(e);
            }
        }
        return byAddress;
    }

    private static int count(Connection db, String sql, String... parameters) {
        try (var statement = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Calls.Call call, Calls.Item item) {
        return (call.batch() ? "in a batch of " + call.items.size() : "single") + (call.key != null ? ", keyed" : "")
                + ", sent " + call.sent + "x, event " + item.eventId;
    }

    /** What the run did, for the log. */
    String summary() {
        long events = calls.stream().mapToLong(c -> c.items.size()).sum();
        long accepted = calls.stream().flatMap(c -> c.items.stream()).filter(i -> i.status == 202).count();
        return "seed " + seed + ": " + calls.size() + " calls, " + events + " events (" + accepted + " accepted), "
                + faults + " faults " + log + ", " + restarts + " restarts";
    }

    private AppProcess start() {
        restarts++;
        Map<String, String> environment = new HashMap<>(Postgres.environment(schema));
        environment.put("MAIL_SMTP_PORT", String.valueOf(relay.port()));
        environment.put("SHOP_ROUTES_DIR", routes.toString());
        environment.put("SHOP_ROUTES_RELOAD", "false");
        environment.put("SHOP_MAIL_TIMEOUT", "1000");
        environment.put("SHOP_MAIL_DATATIMEOUT", "3s");
        environment.put("SHOP_IDEMPOTENCY_ABANDONEDAFTER", "5s");
        environment.put("SHOP_SUBSCRIPTIONS_RETRY_DELAYS", "200ms,500ms,1s");
        environment.put("SHOP_SUBSCRIPTIONS_RETRY_MAXATTEMPTS", "40");
        environment.put("SHOP_SUBSCRIPTIONS_CIRCUITBREAKER_OPENFOR", "1s");
        return AppProcess.start("harness-" + run + "-" + restarts, environment);
    }

    /** The run's dead letters go with it (those whose body names the run): the broker is left as the run found it. */
    private void removeDeadLettersOfTheRun() {
        try (com.rabbitmq.client.Connection connection = new com.rabbitmq.client.ConnectionFactory().newConnection("shop-events harness");
             com.rabbitmq.client.Channel channel = connection.createChannel()) {
            List<Long> others = new ArrayList<>();
            com.rabbitmq.client.GetResponse response;
            while ((response = channel.basicGet("shop.events.dead", false)) != null) {
                if (new String(response.getBody(), java.nio.charset.StandardCharsets.UTF_8).contains(run)) {
                    channel.basicAck(response.getEnvelope().getDeliveryTag(), false);
                } else {
                    others.add(response.getEnvelope().getDeliveryTag());
                }
            }
            for (long tag : others) {
                channel.basicNack(tag, false, true);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot remove the run's dead letters", e);
        }
    }

    /** The time between two faults: pacing the run, not waiting for anything to happen. */
    private static void pace(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private URI base() {
        return app.uri("/");
    }

    private HttpResponse<String> get(String path) {
        return exchange(HttpRequest.newBuilder(app.uri(path)).header("X-API-Key", Calls.KEY).GET().build());
    }

    private HttpResponse<String> post(String path, String body) {
        return exchange(HttpRequest.newBuilder(app.uri(path)).header("X-API-Key", Calls.KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> exchange(HttpRequest request) {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (app != null) {
            app.close();
        }
        Postgres.drop(schema);
        removeDeadLettersOfTheRun();
        relay.mode(SmtpRelay.Mode.UP);
        relay.confirmAfter(Duration.ZERO);
    }
}
