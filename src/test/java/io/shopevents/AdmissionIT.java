package io.shopevents;

import io.shopevents.api.Admission;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Past its capacity the service refuses at once instead of queueing: 503 with Retry-After and a
 * problem+json body, before any work is done for the call (nothing published); the calls it admits
 * are all applied; its probes answer on their own port whatever the API's load; and clients that
 * send their bodies slowly hold no thread and stop nobody else. A small fixed limit (8) here, so
 * that it can be filled.
 */
@TestPropertySource(properties = {"shop.api.concurrency.min=8", "shop.api.concurrency.max=8", "shop.api.body-timeout=2s"})
class AdmissionIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<Admission.Permit> held = new ArrayList<>();
    private final List<Socket> slow = new ArrayList<>();

    @Autowired
    private Admission admission;

    @AfterEach
    void letGo() throws IOException {
        held.forEach(permit -> permit.release(false));
        held.clear();
        for (Socket socket : slow) {
            socket.close();
        }
        slow.clear();
    }

    @Test
    void atCapacityEveryCallIsRefusedAtOnceWithRetryAfterAndNothingIsPublished() {
        fill();
        try (EventTap tap = new EventTap(rabbit)) {
            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> refused = postJson("/api/orders", order(unique("refused")));
                assertProblem(refused, 503);
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(json(refused.body()).get("detail").asText()).contains("capacity");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("refused at once, not queued").isLessThan(Duration.ofSeconds(5));
            // the probes answer on their own port meanwhile
            assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
            assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
            letGo();
            assertNothingPublished(tap);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFloodGetsEach202AppliedAndNo503Applied() throws Exception {
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(64);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String orderId = unique("flood");
                calls.add(clients.submit(() -> answers.put(orderId, postJson("/api/orders", order(orderId)).statusCode())));
            }
            for (Future<?> call : calls) {
                call.get(1, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(answers.values()).as("each call accepted or refused, nothing else").allMatch(s -> s == 202 || s == 503);
        List<String> accepted = answers.entrySet().stream().filter(e -> e.getValue() == 202).map(Map.Entry::getKey).toList();
        List<String> refused = answers.entrySet().stream().filter(e -> e.getValue() == 503).map(Map.Entry::getKey).toList();
        assertThat(accepted).isNotEmpty();
        await().atMost(WAIT).until(() -> accepted.stream().allMatch(id -> get("/api/orders/" + id).statusCode() == 200));
        assertThat(refused).as("a refused call never takes effect").allMatch(id -> get("/api/orders/" + id).statusCode() == 404);
    }

    @Test
    void slowBodiesHoldNoThreadAndStopNobody() throws Exception {
        // more than the 200 request threads the service used to have, each sending one byte of its body
        openSlowBodies(250, "X-API-Key: " + ALL_SCOPES_KEY + "\r\nContent-Type: application/json\r\n", 100);
        String orderId = aCallGoesThroughWithin2Seconds();
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
        // and a slow body is refused once shop.api.body-timeout (2 s here) is over, the connection closed
        String answer = read(slow.get(0));
        assertThat(answer).startsWith("HTTP/1.1 408").contains("application/problem+json");
    }

    @Test
    void aCallWithoutAKeyIsRefusedBeforeItsBodyIsRead() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            // a body is announced and never sent: the answer must not wait for it
            socket.getOutputStream().write(("POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertThat(read(socket)).startsWith("HTTP/1.1 401");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"no key", "a body that is not JSON"})
    void refusedSlowBodiesHoldNoThreadEither(String refusal) throws Exception {
        // more than the 32 request threads: each is refused (401, 415) before its body, which then comes a byte at a time
        String headers = refusal.equals("no key") ? "Content-Type: application/json\r\n"
                : "X-API-Key: " + ALL_SCOPES_KEY + "\r\nContent-Type: text/plain\r\n";
        openSlowBodies(48, headers, 60000);
        aCallGoesThroughWithin2Seconds();
        for (Socket socket : slow) {
            assertThat(read(socket)).startsWith(refusal.equals("no key") ? "HTTP/1.1 401" : "HTTP/1.1 415");
        }
    }

    /** Connections that send their headers (these, announcing a body of this length) and one byte of the body. */
    private void openSlowBodies(int connections, String headers, int contentLength) throws IOException {
        for (int i = 0; i < connections; i++) {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.getOutputStream().write(("POST /api/orders HTTP/1.1\r\nHost: localhost\r\n" + headers
                    + "Content-Length: " + contentLength + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            slow.add(socket);
        }
    }

    /** A normal order meanwhile: 202 within 2 s. Its id. */
    private String aCallGoesThroughWithin2Seconds() {
        long started = System.nanoTime();
        String orderId = unique("meanwhile");
        assertThat(postJson("/api/orders", order(orderId)).statusCode()).isEqualTo(202);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        return orderId;
    }

    /** Takes every place the limit has, as calls in flight would. */
    private void fill() {
        while (true) {
            var permit = admission.admit();
            if (permit.isEmpty()) {
                return;
            }
            held.add(permit.get());
        }
    }

    /** The status line and headers of the answer on this connection. */
    private static String read(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.toString().endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString();
    }

    private static String order(String orderId) {
        return "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}";
    }
}
