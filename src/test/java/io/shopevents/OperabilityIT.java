package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.amqp.core.Message;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What operators look at: correlation ids through to the consumer's log lines, metrics, health. */
@ExtendWith(OutputCaptureExtension.class)
@AutoConfigureObservability(tracing = false) // tests leave metrics export (Prometheus) off unless asked
@TestPropertySource(properties = "logging.level.io.shopevents.processor=DEBUG")
class OperabilityIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void correlationIdGoesFromTheRequestToTheMessageAndTheProcessorsLogLines(CapturedOutput output) {
        String correlationId = unique("it");
        String orderId = unique("order");
        Message published;
        HttpResponse<String> response;
        try (EventTap tap = new EventTap(rabbit)) {
            response = send(HttpRequest.newBuilder(uri("/api/orders"))
                    .header("Content-Type", "application/json")
                    .header("X-Correlation-Id", correlationId)
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}")));
            published = tap.next();
        }

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.headers().firstValue("X-Correlation-Id")).hasValue(correlationId);
        assertThat(published.getMessageProperties().getCorrelationId()).isEqualTo(correlationId);
        String processed = "order " + orderId + " placed";
        await().atMost(WAIT).until(() -> output.getOut().contains(processed));
        assertThat(output.getOut().lines().filter(line -> line.contains(processed)))
                .singleElement().asString().contains("[" + correlationId + "]");
    }

    @Test
    void callWithoutACorrelationIdGetsOne() {
        HttpResponse<String> response = get("/api/orders/" + unique("nope"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("X-Correlation-Id")).hasValueSatisfying(
                id -> assertThat(id).matches("[0-9a-f-]{36}"));
    }

    @Test
    void correlationIdThatIsNotSensibleIsReplaced() {
        String hostile = "x".repeat(200);
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/orders/" + unique("nope")))
                .header("X-Correlation-Id", hostile).GET());

        assertThat(response.headers().firstValue("X-Correlation-Id")).hasValueSatisfying(
                id -> assertThat(id).isNotEqualTo(hostile).matches("[0-9a-f-]{36}"));
    }

    @Test
    void prometheusShowsCamelRouteMetricsAndTheEventLatency() {
        String orderId = unique("order");
        assertThat(postJson("/api/orders", "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}")
                .statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);

        HttpResponse<String> metrics = get("/actuator/prometheus");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("camel_exchanges_total\\{[^}]*routeId=\"order-status\"")
                .containsPattern("shop_events_latency_seconds_count\\{[^}]*type=\"order_placed\"")
                .containsPattern("shop_subscription_consumers\\{[^}]*subscription=\"order-status\"[^}]*} 1.0")
                .containsPattern("shop_subscription_messages\\{[^}]*subscription=\"welcome-mail\"")
                .containsPattern("shop_subscription_oldest_message_age_seconds\\{[^}]*subscription=\"payment-status\"")
                .containsPattern("shop_subscription_circuit_open\\{[^}]*subscription=\"welcome-mail\"[^}]*} 0.0")
                .containsPattern("shop_subscription_events_total\\{[^}]*outcome=\"applied\"[^}]*subscription=\"order-status\"");
    }

    @Test
    void healthNamesEachPartAndReadinessLeavesMailOut() {
        JsonNode health = json(get("/actuator/health").body());
        assertThat(health.get("status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/rabbit/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/db/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/mail/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/camelHealth/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/subscriptions/status").asText()).isEqualTo("UP");
        JsonNode orderStatus = health.at("/components/subscriptions/details/order-status");
        assertThat(orderStatus.get("queue").asText()).isEqualTo("shop.events.order-status");
        assertThat(orderStatus.get("consumers").asInt()).isEqualTo(1);
        assertThat(orderStatus.get("circuit").asText()).isEqualTo("CLOSED");
        assertThat(orderStatus.has("messagesWaiting")).isTrue();
        assertThat(orderStatus.has("oldestWaitingSeconds")).isTrue();

        JsonNode readiness = json(get("/actuator/health/readiness").body());
        assertThat(readiness.get("status").asText()).isEqualTo("UP");
        assertThat(readiness.at("/components/mail").isMissingNode()).isTrue();
        assertThat(readiness.at("/components/rabbit/status").asText()).isEqualTo("UP");
    }
}
