package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /api/asyncapi.json: a valid AsyncAPI 3.0 document (checked against the specification's own
 * JSON Schema) of the running configuration, a subscription added at run time included.
 */
class AsyncApiIT extends IntegrationTest {

    @Autowired
    private CamelContext camel;

    @Test
    void theDocumentIsValidAsyncApiAndNeedsNoKey() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/asyncapi.json")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));

        assertThat(violations(json(response.body()))).isEmpty();
    }

    @Test
    void everyEventTypeIsAChannelWithItsSchemaInTheEnvelope() {
        JsonNode doc = document();
        for (String type : List.of("user_registered", "order_placed", "payment_processed", "order_shipped")) {
            JsonNode channel = doc.at("/channels/" + type);
            assertThat(channel.path("address").asText()).as(type).isEqualTo(type);
            assertThat(channel.at("/bindings/amqp/exchange/name").asText()).isEqualTo("shop.events");
            assertThat(doc.at("/operations/publish-" + type + "/action").asText()).isEqualTo("send");
            JsonNode payload = doc.at("/components/schemas/" + type);
            assertThat(payload.at("/required").toString()).contains("specversion", "id", "source", "type");
            assertThat(payload.at("/properties/data/type").asText()).as(type + "'s data schema").isEqualTo("object");
        }
        assertThat(doc.at("/components/schemas/order_placed/properties/data/properties/orderTotal").isMissingNode()).isFalse();
        assertThat(doc.at("/channels/dead-letters/address").asText()).isEqualTo("shop.events.dead");
    }

    @Test
    void everySubscriptionIsAnOperationOnItsQueueAndOneAddedAtRunTimeAppears() throws Exception {
        JsonNode before = document();
        for (String subscription : List.of("order-status", "payment-status", "welcome-mail", "order-shipped")) {
            assertThat(before.at("/channels/subscription-" + subscription + "/address").asText())
                    .isEqualTo("shop.events." + subscription);
            assertThat(before.at("/operations/subscription-" + subscription + "/action").asText()).isEqualTo("receive");
        }
        assertThat(before.at("/channels/subscription-welcome-mail/messages/user_registered/$ref").asText())
                .isEqualTo("#/components/messages/user_registered");
        assertThat(before.at("/channels/subscription-test-catalog").isMissingNode()).isTrue();

        String name = "test-catalog";
        try {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString(name + ".camel.yaml", """
                    - route:
                        id: %1$s
                        from:
                          uri: subscription:%1$s
                          parameters:
                            types: order_placed,order_shipped
                          steps:
                            - log: "catalogued ${body.id}"
                    """.formatted(name)));

            JsonNode after = document();
            assertThat(after.at("/channels/subscription-" + name + "/address").asText()).isEqualTo("shop.events." + name);
            List<String> taken = new ArrayList<>();
            after.at("/channels/subscription-" + name + "/messages").fieldNames().forEachRemaining(taken::add);
            assertThat(taken).containsExactly("order_placed", "order_shipped");
            assertThat(violations(after)).isEmpty();
        } finally {
            camel.getRouteController().stopRoute(name);
            camel.removeRoute(name);
            Broker.deleteQueue("shop.events." + name);
        }
    }

    private JsonNode document() {
        HttpResponse<String> response = get("/api/asyncapi.json");
        assertThat(response.statusCode()).isEqualTo(200);
        return json(response.body());
    }

    private static Set<ValidationMessage> violations(JsonNode document) throws Exception {
        try (InputStream schema = AsyncApiIT.class.getResourceAsStream("/asyncapi/asyncapi-3.0.0.schema.json")) {
            JsonSchema asyncApi = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schema);
            return asyncApi.validate(document);
        }
    }
}
