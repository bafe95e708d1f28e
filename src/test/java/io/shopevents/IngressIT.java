package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The REST edge: accepted calls publish exactly one confirmed CloudEvent; bad ones publish nothing. */
class IngressIT extends IntegrationTest {

    private EventTap tap;

    @BeforeEach
    void tapTheExchange() {
        tap = new EventTap(rabbit);
    }

    @AfterEach
    void removeTap() {
        tap.close();
    }

    static Stream<Arguments> validCalls() {
        String id = UUID.randomUUID().toString();
        return Stream.of(
                arguments("/api/users", "user_registered",
                        "{\"userId\":\"u-" + id + "\",\"username\":\"Ann\",\"email\":\"ann-" + id + "@example.com\"}"),
                arguments("/api/orders", "order_placed",
                        "{\"orderId\":\"o-" + id + "\",\"userId\":\"u-" + id + "\",\"orderTotal\":100.10}"),
                arguments("/api/payments", "payment_processed",
                        "{\"paymentId\":\"p-" + id + "\",\"orderId\":\"o-" + id + "\",\"paymentAmount\":100.10}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validCalls")
    void validCallPublishesExactlyOneCloudEvent(String path, String type, String body) {
        HttpResponse<String> response = postJson(path, body);

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode answer = json(response.body());
        assertThat(answer.get("type").asText()).isEqualTo(type);
        String eventId = answer.get("eventId").asText();

        Message message = tap.next();
        assertThat(message).as("the published message").isNotNull();
        assertThat(message.getMessageProperties().getReceivedRoutingKey()).isEqualTo(type);
        assertThat(message.getMessageProperties().getReceivedDeliveryMode()).isEqualTo(MessageDeliveryMode.PERSISTENT);
        assertThat(message.getMessageProperties().getContentType()).isEqualTo("application/cloudevents+json");
        assertThat(message.getMessageProperties().getMessageId()).isEqualTo(eventId);

        JsonNode event = json(message.getBody());
        assertThat(event.get("specversion").asText()).isEqualTo("1.0");
        assertThat(event.get("id").asText()).isEqualTo(eventId);
        assertThat(event.get("type").asText()).isEqualTo(type);
        // an absolute URI naming this instance's API (CloudEvents: source + id identify the event)
        assertThat(java.net.URI.create(event.get("source").asText()).isAbsolute()).isTrue();
        assertThat(event.get("source").asText()).endsWith(path);
        String subjectField = switch (type) {
            case "user_registered" -> "userId";
            case "order_placed" -> "orderId";
            default -> "paymentId";
        };
        assertThat(event.get("subject").asText()).isEqualTo(json(body).get(subjectField).asText());
        assertThat(event.get("datacontenttype").asText()).isEqualTo("application/json");
        assertThat(Instant.parse(event.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(event.get("data")).isEqualTo(json(body));

        // exactly one: the next message is the marker of assertNothingPublished
        assertNothingPublished();
    }

    @Test
    void numericIdsAreKeptAsTextAndMoneyAsDecimal() {
        HttpResponse<String> response = postJson("/api/orders", "{\"orderId\":42,\"userId\":7,\"orderTotal\":0.10}");

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode data = json(tap.next().getBody()).get("data");
        assertThat(data.get("orderId").isTextual()).isTrue();
        assertThat(data.get("orderId").asText()).isEqualTo("42");
        assertThat(data.get("userId").asText()).isEqualTo("7");
        assertThat(data.get("orderTotal").decimalValue()).isEqualByComparingTo("0.10");
        assertThat(data.get("orderTotal").toString()).isEqualTo("0.10");
    }

    static Stream<Arguments> invalidBodies() {
        String longId = "x".repeat(129);
        return Stream.of(
                arguments("missing field", "/api/orders", "{\"orderId\":\"1\",\"userId\":\"1\"}", List.of("orderTotal")),
                arguments("every missing field", "/api/users", "{}", List.of("email", "userId", "username")),
                arguments("wrong type", "/api/orders", "{\"orderId\":true,\"userId\":\"1\",\"orderTotal\":1}", List.of("orderId")),
                arguments("amount not a number", "/api/payments",
                        "{\"paymentId\":\"1\",\"orderId\":\"1\",\"paymentAmount\":\"ten\"}", List.of("paymentAmount")),
                arguments("zero amount", "/api/orders", "{\"orderId\":\"1\",\"userId\":\"1\",\"orderTotal\":0}", List.of("orderTotal")),
                arguments("negative amount", "/api/payments",
                        "{\"paymentId\":\"1\",\"orderId\":\"1\",\"paymentAmount\":-5.5}", List.of("paymentAmount")),
                arguments("malformed email", "/api/users",
                        "{\"userId\":\"1\",\"username\":\"Ann\",\"email\":\"ann.example.com\"}", List.of("email")),
                arguments("CR/LF in username", "/api/users",
                        "{\"userId\":\"1\",\"username\":\"Ann\\r\\nBcc: all@example.com\",\"email\":\"ann@example.com\"}",
                        List.of("username")),
                arguments("CR/LF in email", "/api/users",
                        "{\"userId\":\"1\",\"username\":\"Ann\",\"email\":\"ann@example.com\\r\\nBcc: all@example.com\"}",
                        List.of("email")),
                arguments("id over 128 characters", "/api/orders",
                        "{\"orderId\":\"" + longId + "\",\"userId\":\"1\",\"orderTotal\":1}", List.of("orderId")),
                arguments("several bad fields at once", "/api/orders",
                        "{\"orderId\":\"\",\"userId\":{},\"orderTotal\":-1}", List.of("orderId", "orderTotal", "userId")),
                arguments("unknown field", "/api/orders",
                        "{\"orderId\":\"1\",\"userId\":\"1\",\"orderTotal\":1,\"ordertotal\":2}", List.of("ordertotal")),
                arguments("not an object", "/api/orders", "[1,2]", List.of("")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidBodies")
    void invalidBodyIs400NamingEachBadFieldAndPublishesNothing(String name, String path, String body, List<String> fields) {
        HttpResponse<String> response = postJson(path, body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertProblem(response, 400);
        List<String> named = json(response.body()).get("errors").findValuesAsText("field");
        assertThat(named).containsAll(fields).allMatch(fields::contains);
        assertNothingPublished();
    }

    @Test
    void malformedJsonIs400() {
        HttpResponse<String> response = postJson("/api/orders", "{\"orderId\": \"1\",");

        assertProblem(response, 400);
        assertThat(json(response.body()).get("detail").asText()).contains("not valid JSON");
        assertNothingPublished();
    }

    @Test
    void bodyThatIsNotJsonIs415() {
        HttpResponse<String> response = post("/api/orders", "text/plain", "orderId=1&userId=1&orderTotal=1");

        assertProblem(response, 415);
        assertNothingPublished();
    }

    @Test
    void bodyWithoutContentTypeIs415() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/orders"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"1\",\"userId\":\"1\",\"orderTotal\":1}")));

        assertProblem(response, 415);
        assertNothingPublished();
    }

    @Test
    void bodyOver64KiBIs413() {
        String body = "{\"orderId\":\"1\",\"userId\":\"1\",\"orderTotal\":1,\"pad\":\"" + "x".repeat(64 * 1024) + "\"}";

        assertProblem(postJson("/api/orders", body), 413);
        assertNothingPublished();
    }

    @Test
    void chunkedBodyOver64KiBIs413() {
        byte[] chunk = "x".repeat(1024).getBytes();
        // no Content-Length: the body streams in chunks and must be cut off at the limit
        HttpRequest.BodyPublisher chunked = HttpRequest.BodyPublishers.ofInputStream(() ->
                new java.io.SequenceInputStream(java.util.Collections.enumeration(
                        Stream.generate(() -> (java.io.InputStream) new java.io.ByteArrayInputStream(chunk))
                                .limit(100).toList())));
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/orders"))
                .header("Content-Type", "application/json").POST(chunked));

        assertProblem(response, 413);
        assertNothingPublished();
    }

    @Test
    void unknownOrderIs404Problem() {
        assertProblem(get("/api/orders/" + UUID.randomUUID()), 404);
        assertProblem(get("/api/payments/" + UUID.randomUUID()), 404);
    }

    @Test
    void openApiDocumentDescribesEveryEndpointWithSchemas() {
        HttpResponse<String> response = get("/api/openapi.json");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode doc = json(response.body());
        assertThat(doc.get("paths").has("/api/users")).isTrue();
        assertThat(doc.at("/paths/~1api~1orders/post/requestBody/content/application~1json/schema/$ref").asText())
                .endsWith("OrderPlaced");
        assertThat(doc.at("/paths/~1api~1payments/post/responses/202/content/application~1json/schema/$ref").asText())
                .endsWith("EventAccepted");
        assertThat(doc.at("/paths/~1api~1orders~1{orderId}/get/responses/200/content/application~1json/schema/$ref").asText())
                .endsWith("OrderView");
        assertThat(doc.at("/paths/~1api~1payments~1{paymentId}/get/responses/404").isMissingNode()).isFalse();
        assertThat(doc.at("/components/schemas/OrderPlaced/properties").has("orderTotal")).isTrue();
        assertThat(doc.at("/components/schemas/Problem/properties").has("errors")).isTrue();
    }

    private void assertNothingPublished() {
        assertNothingPublished(tap);
    }
}
