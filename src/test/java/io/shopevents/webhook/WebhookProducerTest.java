package io.shopevents.webhook;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpServer;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.PermanentFailureException;
import io.shopevents.subscription.RetryLaterException;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What each answer of a receiver means, and which route options are refused, against a real HTTP
 * server in this JVM (WebhookIT runs the whole subscription).
 */
class WebhookProducerTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer receiver;
    private DefaultCamelContext camel;
    private MockEnvironment environment;

    @BeforeEach
    void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        receiver.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            switch (exchange.getRequestURI().getPath()) {
                case "/moved" -> exchange.getResponseHeaders().add("Location", "http://127.0.0.1:1/elsewhere");
                case "/busy" -> exchange.getResponseHeaders().add("Retry-After", "7");
                case "/hang" -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                default -> { }
            }
            int status = switch (exchange.getRequestURI().getPath()) {
                case "/moved" -> 302;
                case "/busy" -> 429;
                case "/down" -> 503;
                case "/bad" -> 422;
                default -> 204;
            };
            byte[] answer = status == 204 ? new byte[0] : ("answer " + status).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
            exchange.close();
        });
        receiver.start();
        environment = new MockEnvironment().withProperty("hook.secret", SECRET);
        camel = new DefaultCamelContext();
        camel.addComponent("signed-webhook", new WebhookComponent(JsonMapper.builder().addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build(), environment));
        camel.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        receiver.stop(0);
        camel.stop();
    }

    @Test
    void a2xxIsDelivered() throws Exception {
        send("/ok", 2000);
    }

    @Test
    void aRedirectIsNotFollowedAndIsPermanent() {
        assertThatThrownBy(() -> send("/moved", 2000)).isInstanceOf(PermanentFailureException.class)
                .hasMessageContaining("answered 302").hasMessageContaining("redirects are not followed");
    }

    @Test
    void anotherClientErrorIsPermanentWithTheAnswer() {
        assertThatThrownBy(() -> send("/bad", 2000)).isInstanceOf(PermanentFailureException.class)
                .hasMessageContaining("answered 422: answer 422");
    }

    @Test
    void tooManyRequestsIsRetriedNoSoonerThanRetryAfter() {
        assertThatThrownBy(() -> send("/busy", 2000)).isInstanceOfSatisfying(RetryLaterException.class,
                e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(7)));
    }

    @Test
    void aServerErrorIsRetried() {
        assertThatThrownBy(() -> send("/down", 2000)).isInstanceOfSatisfying(RetryLaterException.class,
                e -> assertThat(e).hasMessageContaining("answered 503"));
    }

    @Test
    void aReceiverThatHangsIsATimeoutAndRetried() {
        assertThatThrownBy(() -> send("/hang", 300)).isInstanceOf(RetryLaterException.class)
                .hasMessageContaining("did not answer within 300 ms");
    }

    @Test
    void aSecretWrittenInTheRouteIsRefused() {
        assertThatThrownBy(() -> camel.getEndpoint("signed-webhook:t?url=http://127.0.0.1:1/&secret=abc"))
                .hasRootCauseMessage("signed-webhook:t: a secret is never written in a route file; put it in the"
                        + " configuration (an environment variable or a secrets file) and name its key with secretProperty");
    }

    @Test
    void aMissingSecretOrAnUnsupportedUrlIsRefused() {
        assertThatThrownBy(() -> camel.getEndpoint("signed-webhook:t?url=http://127.0.0.1:1/"))
                .rootCause().hasMessageContaining("needs secretProperty");
        assertThatThrownBy(() -> camel.getEndpoint("signed-webhook:t?url=http://127.0.0.1:1/&secretProperty=no.such.key"))
                .rootCause().hasMessageContaining("the configuration has no no.such.key")
                .hasMessageContaining("environment variable NO_SUCH_KEY");
        assertThatThrownBy(() -> camel.getEndpoint("signed-webhook:t?url=ftp://example.com/&secretProperty=hook.secret"))
                .rootCause().hasMessageContaining("must be an http or https URL");
    }

    private void send(String path, int timeout) throws Exception {
        Endpoint endpoint = camel.getEndpoint("signed-webhook:t?url=http://127.0.0.1:" + receiver.getAddress().getPort()
                + path + "&secretProperty=hook.secret&timeout=" + timeout);
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(new CloudEvent("1.0", "e-1", "order_placed", "/test", null, Instant.now(),
                CloudEvent.JSON, JsonMapper.builder().build().readTree("{\"orderId\":\"1\"}")));
        endpoint.createProducer().process(exchange);
    }
}
