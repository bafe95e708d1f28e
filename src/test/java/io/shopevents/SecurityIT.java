package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.amqp.core.Message;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Only callers with an API key holding the right scope get in (application-test.yaml has the keys). */
@ExtendWith(OutputCaptureExtension.class)
@AutoConfigureObservability(tracing = false)
class SecurityIT extends IntegrationTest {

    private static final String FRONT_END_KEY = "test-key-front-end-only";
    private static final String ORDER = "{\"orderId\":\"%s\",\"userId\":\"u\",\"orderTotal\":1}";

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "POST, /api/orders",
            "POST, /api/users",
            "POST, /api/payments",
            "POST, /api/events/order_shipped",
            "GET, /api/orders/1",
            "GET, /api/payments/1",
            "GET, /api/dead-letters",
            "POST, /api/dead-letters/replay",
            "GET, /actuator/prometheus"})
    void withoutAKeyEveryCallIs401(String method, String path) {
        HttpResponse<String> response = sendWithKey(null, request(method, path));

        assertProblem(response, 401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                value -> assertThat(value).contains("X-API-Key"));
    }

    @Test
    void unknownKeyIs401AndPublishesNothing() {
        try (EventTap tap = new EventTap(rabbit)) {
            HttpResponse<String> response = sendWithKey("not-a-key-anyone-was-given", request("POST", "/api/orders"));

            assertProblem(response, 401);
            assertThat(json(response.body()).get("detail").asText()).contains("not known");
            assertNothingPublished(tap);
        }
    }

    @Test
    void keyWithoutTheScopeIs403AndPublishesNothing() {
        try (EventTap tap = new EventTap(rabbit)) {
            HttpResponse<String> payment = sendWithKey(FRONT_END_KEY, HttpRequest.newBuilder(uri("/api/payments"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"paymentId\":\"p\",\"orderId\":\"o\",\"paymentAmount\":1}")));

            assertProblem(payment, 403);
            assertThat(json(payment.body()).get("detail").asText()).contains("POST /api/payments");
            assertNothingPublished(tap);
        }
        assertProblem(sendWithKey(FRONT_END_KEY, request("GET", "/api/orders/1")), 403);
        assertProblem(sendWithKey(FRONT_END_KEY, request("GET", "/api/dead-letters")), 403);
        assertProblem(sendWithKey(FRONT_END_KEY, request("GET", "/actuator/prometheus")), 403);
    }

    @Test
    void keyWithTheScopeGetsIn() {
        HttpResponse<String> order = sendWithKey(FRONT_END_KEY, request("POST", "/api/orders"));

        assertThat(order.statusCode()).isEqualTo(202);
    }

    @Test
    void keyAsBearerTokenGetsIn() {
        HttpResponse<String> order = sendWithKey(null, request("POST", "/api/orders")
                .header("Authorization", "Bearer " + FRONT_END_KEY));

        assertThat(order.statusCode()).isEqualTo(202);
    }

    @Test
    void openApiDocumentHealthAndInfoNeedNoKey() {
        assertThat(sendWithKey(null, request("GET", "/api/openapi.json")).statusCode()).isEqualTo(200);
        assertThat(sendWithKey(null, request("GET", "/actuator/health")).statusCode()).isEqualTo(200);
        assertThat(sendWithKey(null, request("GET", "/actuator/health/readiness")).statusCode()).isEqualTo(200);
        assertThat(sendWithKey(null, request("GET", "/actuator/info")).statusCode()).isEqualTo(200);
    }

    @Test
    void healthNamesItsPartsOnlyToAKeyWithTheOperatorsScope() {
        JsonNode anonymous = json(sendWithKey(null, request("GET", "/actuator/health")).body());
        JsonNode frontEnd = json(sendWithKey(FRONT_END_KEY, request("GET", "/actuator/health")).body());
        JsonNode operator = json(sendWithKey(ALL_SCOPES_KEY, request("GET", "/actuator/health")).body());

        // hosts, ports, versions and paths are for operators (metrics:read)
        assertThat(anonymous.get("status").asText()).isEqualTo("UP");
        assertThat(anonymous.has("components")).isFalse();
        assertThat(frontEnd.has("components")).isFalse();
        assertThat(operator.at("/components/rabbit/details").isMissingNode()).isFalse();
    }

    @Test
    void theKeyGoesNeitherOnTheMessageNorIntoTheLog(CapturedOutput output) {
        Message published;
        try (EventTap tap = new EventTap(rabbit)) {
            assertThat(sendWithKey(FRONT_END_KEY, request("POST", "/api/orders")).statusCode()).isEqualTo(202);
            published = tap.next();
        }
        // a failing call too: the error paths log the most
        sendWithKey(FRONT_END_KEY, HttpRequest.newBuilder(uri("/api/orders"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{broken")));

        assertThat(published.getMessageProperties().getHeaders()).doesNotContainKeys("X-API-Key", "Authorization");
        assertThat(new String(published.getBody())).doesNotContain(FRONT_END_KEY);
        assertThat(output.getAll()).doesNotContain(FRONT_END_KEY);
    }

    private HttpRequest.Builder request(String method, String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
        return "POST".equals(method)
                ? request.header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(ORDER.formatted(unique("order"))))
                : request.GET();
    }
}
