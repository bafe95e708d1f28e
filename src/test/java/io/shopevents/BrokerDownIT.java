package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** With no broker to confirm, an event is not accepted: 503 with a problem body, not a hanging request. */
class BrokerDownIT extends IntegrationTest {

    @DynamicPropertySource
    static void brokerOnAClosedPort(DynamicPropertyRegistry registry) {
        int closedPort = freePort();
        registry.add("spring.rabbitmq.port", () -> closedPort);
    }

    @Test
    void postAnswers503WithinTheRequestTimeout() {
        // IntegrationTest bounds every call at 20 s: a hang fails here as a timeout
        HttpResponse<String> response = postJson("/api/orders", "{\"orderId\":\"1\",\"userId\":\"1\",\"orderTotal\":1}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        JsonNode problem = json(response.body());
        assertThat(problem.get("status").asInt()).isEqualTo(503);
        assertThat(problem.get("detail").asText()).contains("broker");
    }

    @Test
    void aBatchNoneOfWhoseEventsTheBrokerConfirmedIs503() {
        HttpResponse<String> response = post("/api/events", "application/cloudevents-batch+json",
                "[{\"specversion\":\"1.0\",\"type\":\"order_placed\",\"data\":{\"orderId\":\"b1\",\"userId\":\"u\",\"orderTotal\":1}}]");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(json(response.body()).get("detail").asText()).contains("broker");
    }

    @Test
    void healthIsDownWhileTheBrokerIsUnreachable() {
        HttpResponse<String> response = get("/actuator/health");

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode health = json(response.body());
        assertThat(health.get("status").asText()).isEqualTo("DOWN");
        assertThat(health.at("/components/rabbit/status").asText()).isEqualTo("DOWN");
    }

    @Test
    void badInputIsStill400WithoutBroker() {
        HttpResponse<String> response = postJson("/api/orders", "{\"orderId\":\"1\"}");

        assertThat(response.statusCode()).isEqualTo(400);
    }
}
