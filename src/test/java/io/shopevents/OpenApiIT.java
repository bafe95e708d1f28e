package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.client.ApiClient;
import io.shopevents.client.api.ShopApi;
import io.shopevents.client.auth.ApiKeyAuth;
import io.shopevents.client.model.BatchEvent;
import io.shopevents.client.model.BatchOutcome;
import io.shopevents.client.model.EventAccepted;
import io.shopevents.client.model.Outcome;
import io.shopevents.client.model.OrderPlaced;
import io.shopevents.client.model.OrderView;
import io.shopevents.support.IntegrationTest;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;
import org.springframework.web.client.HttpClientErrorException;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The OpenAPI document as served is usable as it is: it validates (swagger-parser), says what a
 * generator needs (security, problem+json, operation ids, required fields, enums), and a client
 * that openapi-generator made from it at build time (pom.xml, from the snapshot below, which must
 * equal the served document) places and reads an order with nothing fixed by hand.
 */
class OpenApiIT extends IntegrationTest {

    /** What the build generates the client from; this test keeps it equal to what is served. */
    static final Path SNAPSHOT = Path.of("src/test/resources/openapi/shop-events.json");

    @Test
    void servedDocumentIsTheSnapshotTheClientIsGeneratedFrom() throws Exception {
        JsonNode served = json(sendWithKey(null, java.net.http.HttpRequest.newBuilder(uri("/api/openapi.json")).GET()).body());
        Path copy = Path.of("target/openapi/served.json");
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(served));

        assertThat(served).as("the served OpenAPI document differs from " + SNAPSHOT + "; if the API changed on"
                + " purpose: cp " + copy + " " + SNAPSHOT).isEqualTo(mapper.readTree(SNAPSHOT.toFile()));
    }

    @Test
    void documentValidates() {
        String served = sendWithKey(null, java.net.http.HttpRequest.newBuilder(uri("/api/openapi.json")).GET()).body();
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(served, null, options);

        assertThat(result.getMessages()).as("swagger-parser's findings").isEmpty();
        assertThat(result.getOpenAPI().getPaths()).hasSize(18);
    }

    @Test
    void documentSaysWhatAGeneratorNeeds() {
        JsonNode doc = json(get("/api/openapi.json").body());

        assertThat(doc.at("/servers/0/url").asText()).isEqualTo("/");
        assertThat(doc.at("/components/securitySchemes/apiKey/name").asText()).isEqualTo("X-API-Key");
        assertThat(doc.at("/components/securitySchemes/bearer/scheme").asText()).isEqualTo("bearer");
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> operations = path.getValue().fields(); operations.hasNext(); ) {
                Map.Entry<String, JsonNode> operation = operations.next();
                String name = operation.getKey() + " " + path.getKey();
                JsonNode op = operation.getValue();
                if (name.equals("get /api/asyncapi.json")) {
                    assertThat(op.path("security").isArray() && op.path("security").isEmpty()).as(name + " needs no key").isTrue();
                    continue;
                }
                assertThat(op.path("security").findValuesAsText("apiKey")).as(name + " security").isNotNull();
                assertThat(op.at("/security/0").has("apiKey")).as(name + " needs the key").isTrue();
                assertThat(op.path("responses").has("401")).as(name + " 401").isTrue();
                if (!name.equals("post /api/events")) {
                    assertThat(op.path("responses").has("403")).as(name + " 403").isTrue();
                }
                op.path("responses").fields().forEachRemaining(response -> {
                    if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                        assertThat(response.getValue().at("/content/application~1problem+json/schema/$ref").asText())
                                .as(name + " " + response.getKey()).endsWith("/Problem");
                    }
                });
            }
        }
        assertThat(doc.at("/paths/~1api~1orders/post/operationId").asText()).isEqualTo("placeOrder");
        // a batch is refused a scope per event, in that event's outcome
        JsonNode batch = doc.at("/paths/~1api~1events/post");
        assertThat(batch.at("/requestBody/content/application~1cloudevents-batch+json/schema/type").asText()).isEqualTo("array");
        assertThat(batch.at("/responses/200/content/application~1json/schema/$ref").asText()).endsWith("/BatchOutcome");
        assertThat(doc.at("/components/schemas/Outcome/properties/status/description").asText()).contains("403");
        for (String post : java.util.List.of("/api/users", "/api/orders", "/api/payments", "/api/events/{type}", "/api/events",
                "/api/dead-letters/replay", "/api/subscriptions/{name}/replay")) {
            assertThat(doc.path("paths").path(post).path("post").path("parameters").findValuesAsText("name"))
                    .as("Idempotency-Key on POST " + post).contains("Idempotency-Key");
        }
        assertThat(doc.at("/paths/~1api~1orders~1{orderId}/get/operationId").asText()).isEqualTo("getOrder");
        assertThat(doc.at("/paths/~1api~1orders/post/responses/503/headers/Retry-After")).isNotNull();
        assertThat(doc.at("/paths/~1api~1orders/post/parameters").findValuesAsText("name")).contains("Idempotency-Key");
        assertThat(doc.at("/paths/~1api~1events~1{type}/post/requestBody")).isNotNull();
        assertThat(doc.at("/components/schemas/OrderPlaced/required").findValuesAsText("")).isEmpty();
        assertThat(doc.at("/components/schemas/OrderPlaced/required").toString()).contains("orderId", "userId", "orderTotal");
        assertThat(doc.at("/components/schemas/OrderView/properties/status/enum").toString())
                .contains("PLACED", "PARTIALLY_PAID", "PAID", "OVERPAID");
        assertThat(doc.at("/components/schemas/DeadLetter/properties/type/nullable").asBoolean()).isTrue();
    }

    @Test
    void aGeneratedClientPlacesAndReadsAnOrder() {
        ApiClient client = new ApiClient();
        client.setBasePath("http://127.0.0.1:" + port);
        ((ApiKeyAuth) client.getAuthentication("apiKey")).setApiKey(ALL_SCOPES_KEY);
        ShopApi api = new ShopApi(client);
        String orderId = "generated-" + UUID.randomUUID();

        EventAccepted accepted = api.placeOrder(new OrderPlaced().orderId(orderId).userId("u").orderTotal(new BigDecimal("12.34")),
                UUID.randomUUID().toString());

        assertThat(accepted.getType()).isEqualTo("order_placed");
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> api.getOrder(orderId) != null);
        OrderView order = api.getOrder(orderId);
        assertThat(order.getOrderTotal()).isEqualByComparingTo("12.34");
        assertThat(order.getStatus()).isEqualTo(OrderView.StatusEnum.PLACED);
        assertThatThrownBy(() -> api.getOrder("no-such-" + orderId)).isInstanceOf(HttpClientErrorException.NotFound.class);
    }

    @Test
    void aGeneratedClientPublishesABatch() {
        ApiClient client = new ApiClient();
        client.setBasePath("http://127.0.0.1:" + port);
        ((ApiKeyAuth) client.getAuthentication("apiKey")).setApiKey(ALL_SCOPES_KEY);
        ShopApi api = new ShopApi(client);
        String orderId = "generated-batch-" + UUID.randomUUID();
        java.util.Map<String, Object> data = java.util.Map.of("orderId", orderId, "userId", "u", "orderTotal", new BigDecimal("7.5"));

        BatchOutcome outcome = api.publishEventBatch(java.util.List.of(
                new BatchEvent().specversion(BatchEvent.SpecversionEnum._1_0).type("order_placed").data(data),
                new BatchEvent().specversion(BatchEvent.SpecversionEnum._1_0).type("order_placed").data(java.util.Map.of())),
                null);

        assertThat(outcome.getAccepted()).isEqualTo(1);
        assertThat(outcome.getEvents()).extracting(Outcome::getStatus).containsExactly(202, 400);
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> api.getOrder(orderId) != null);
    }
}
