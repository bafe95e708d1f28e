package io.shopevents.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the integration tests: the whole application on a random port against the real
 * RabbitMQ broker, with GreenMail as its SMTP server. Subclasses that keep this configuration
 * share one application context.
 */
@CamelSpringBootTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
public abstract class IntegrationTest {

    /** The API key of application-test.yaml with every scope. */
    protected static final String ALL_SCOPES_KEY = "test-key-with-every-scope";

    /** One SMTP server for the whole test JVM, on a free port. */
    private static final int SMTP_PORT = freePort();
    protected static final GreenMail greenMail = startGreenMail();

    protected static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    protected int port;

    /** Health and metrics (/actuator) are on a port of their own (management.server.port). */
    @LocalManagementPort
    protected int managementPort;

    @Autowired
    protected ObjectMapper mapper;

    @Autowired
    protected RabbitTemplate rabbit;

    /** Where the test JVM's GreenMail takes mail. */
    protected static int greenMailPort() {
        return SMTP_PORT;
    }

    /** The SMTP port the application is given; a test class of its own may point it elsewhere (static init). */
    protected static volatile int applicationSmtpPort = SMTP_PORT;

    @DynamicPropertySource
    static void smtpServer(DynamicPropertyRegistry registry) {
        registry.add("mail.smtp.port", () -> applicationSmtpPort);
    }

    protected HttpResponse<String> post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    protected HttpResponse<String> postJson(String path, String body) {
        return post(path, "application/json", body);
    }

    protected HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** Sends with the test key that holds every scope (application-test.yaml). */
    protected HttpResponse<String> send(HttpRequest.Builder request) {
        return sendWithKey(ALL_SCOPES_KEY, request);
    }

    /** Sends with this API key, or with none when it is null. */
    protected HttpResponse<String> sendWithKey(String apiKey, HttpRequest.Builder request) {
        if (apiKey != null) {
            request.header("X-API-Key", apiKey);
        }
        try {
            // a bound on every call: a request that hangs fails the test instead of the build
            return http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A GET whose target goes on the wire as written (java.net.URI would refuse or tidy it up),
     * with the all-scopes key and these extra header lines ("Name: value\r\n" each); the whole answer.
     */
    protected String rawGet(String target, String extraHeaders) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + ALL_SCOPES_KEY
                    + "\r\n" + extraHeaders + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The API's address for /api paths, the management port's for /actuator. */
    protected URI uri(String path) {
        return URI.create("http://127.0.0.1:" + (path.startsWith("/actuator") ? managementPort : port) + path);
    }

    protected JsonNode json(String body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected JsonNode json(byte[] body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes as an operator would from the management UI: only a routing key and a body. Waits
     * for the broker's confirm, so that messages published one after the other are queued in that
     * order (the template may take another channel for each).
     */
    protected void publish(String routingKey, String body) {
        rabbit.invoke(operations -> {
            operations.send("shop.events", routingKey, new Message(body.getBytes(StandardCharsets.UTF_8), new MessageProperties()));
            operations.waitForConfirmsOrDie(10_000);
            return null;
        });
    }

    protected static String cloudEvent(String id, String type, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"source\":\"/tests\","
                + "\"time\":\"2026-11-24T12:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":" + data + "}";
    }

    /** An answer with this status and an RFC 9457 problem+json body saying so. */
    protected void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = json(response.body());
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("title").asText()).isNotBlank();
    }

    /**
     * Proves a negative without waiting: publish a valid event after the call under test; had the
     * call published anything, it would have been confirmed (so queued) before its answer, and
     * would arrive in the tap before this marker event.
     */
    protected void assertNothingPublished(EventTap tap) {
        String marker = unique("marker");
        HttpResponse<String> response = postJson("/api/orders",
                "{\"orderId\":\"" + marker + "\",\"userId\":\"1\",\"orderTotal\":1}");
        assertThat(response.statusCode()).isEqualTo(202);
        Message next = tap.next();
        assertThat(next).isNotNull();
        assertThat(json(next.getBody()).at("/data/orderId").asText())
                .as("the first message published after the call under test").isEqualTo(marker);
    }

    /** The dead letter of this event as GET /api/dead-letters lists it, or null when there is none. */
    protected JsonNode deadLetterListed(String eventId) {
        HttpResponse<String> response = get("/api/dead-letters?limit=1000");
        assertThat(response.statusCode()).isEqualTo(200);
        for (JsonNode letter : json(response.body()).get("deadLetters")) {
            if (eventId.equals(letter.path("eventId").asText())) {
                return letter;
            }
        }
        return null;
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    /** The mails GreenMail has received for this address. */
    protected static List<MimeMessage> mailsTo(String email) {
        return mailsTo(greenMail, email);
    }

    /** The mails this SMTP server has received for this address. */
    protected static List<MimeMessage> mailsTo(GreenMail server, String email) {
        return Arrays.stream(server.getReceivedMessages())
                .filter(m -> {
                    try {
                        return Arrays.stream(m.getRecipients(RecipientType.TO)).anyMatch(a -> a.toString().equals(email));
                    } catch (MessagingException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
    }

    private static GreenMail startGreenMail() {
        GreenMail server = new GreenMail(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        server.start();
        // no shutdown hook to stop it: it must outlive the application context, which finishes the
        // mails in flight when the JVM exits (a race with such a hook dead-lettered them)
        return server;
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
