package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.GetResponse;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

import java.net.http.HttpResponse;
import java.util.List;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An event type added without Java: order_shipped (application.yaml, schemas/order_shipped.json,
 * routes/order-shipped.camel.yaml) and, for the test only, parcel_lost, configured with a schema
 * but no subscription, and parcel_damaged, whose subscription always fails.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "shop.custom-events.types=order_shipped,parcel_lost,parcel_damaged",
        "shop.custom-events.schema-dir=src/test/resources/custom-schemas"})
@Import(CustomEventsIT.FailingCustomRoute.class)
class CustomEventsIT extends IntegrationTest {

    /** A subscription whose call to the outside always fails, as an integrator's HTTP call might. */
    @TestConfiguration
    static class FailingCustomRoute {
        @Bean
        RouteBuilder parcelDamagedRoute() {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    from("subscription:test-parcel-damaged?types=parcel_damaged").routeId("test-parcel-damaged")
                            .throwException(new IllegalStateException("the carrier's API is down"));
                }
            };
        }
    }

    @Test
    void configuredTypeMeetingItsSchemaIsPublishedAndReachesItsRoute(CapturedOutput output) {
        String orderId = unique("order");
        Message published;
        HttpResponse<String> response;
        try (EventTap tap = new EventTap(rabbit)) {
            response = postJson("/api/events/order_shipped",
                    "{\"orderId\":\"" + orderId + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}");
            published = tap.next();
        }

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response.body()).get("type").asText()).isEqualTo("order_shipped");
        assertThat(published.getMessageProperties().getReceivedRoutingKey()).isEqualTo("order_shipped");
        JsonNode event = json(published.getBody());
        assertThat(event.get("source").asText()).startsWith("http://").endsWith("/api/events/order_shipped");
        assertThat(event.at("/data/orderId").asText()).isEqualTo(orderId);
        // what routes/order-shipped.yaml does with it
        await().atMost(Duration.ofSeconds(20)).until(() -> output.getOut().contains(
                "order " + orderId + " shipped with DHL, tracking JJD0001"));
        assertThat(DeadLetters.takeIfPresent(rabbit, orderId)).isEmpty();
    }

    @Test
    void dataBreakingTheSchemaIs400NamingTheField() {
        HttpResponse<String> response = postJson("/api/events/order_shipped",
                "{\"orderId\":\"1\",\"carrier\":\"DHL\",\"trackingCode\":\"no spaces please\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        List<String> fields = json(response.body()).get("errors").findValuesAsText("field");
        assertThat(fields).containsExactly("trackingCode");
    }

    @Test
    void typeThatIsNotConfiguredIs404() {
        HttpResponse<String> response = postJson("/api/events/order_cancelled", "{\"orderId\":\"1\"}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(json(response.body()).get("detail").asText()).contains("order_cancelled");
    }

    @Test
    void builtInTypeIsSentToItsOwnEndpoint() {
        HttpResponse<String> response = postJson("/api/events/order_placed",
                "{\"orderId\":\"1\",\"userId\":\"1\",\"orderTotal\":1}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(json(response.body()).get("detail").asText()).contains("POST /api/orders");
    }

    @Test
    void customEventPublishedByHandIsValidatedLikeAtTheEdge() {
        String eventId = unique("event");

        publish("order_shipped", cloudEvent(eventId, "order_shipped", "{\"orderId\":\"1\",\"carrier\":\"DHL\"}"));

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(dead.getProps().getHeaders().get("x-exception-message").toString()).contains("data.trackingCode");
    }

    @Test
    void customSubscriptionThatFailsIsRetriedThenDeadLetteredWithItsReason() {
        String eventId = unique("event");

        publish("parcel_damaged", cloudEvent(eventId, "parcel_damaged", "{\"orderId\":\"1\"}"));

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(dead.getProps().getHeaders().get("x-exception-message").toString()).contains("carrier's API is down");
        assertThat(dead.getProps().getHeaders().get("subscription").toString()).isEqualTo("test-parcel-damaged");
        assertThat(dead.getProps().getHeaders().get("x-failed-route").toString()).isEqualTo("test-parcel-damaged");
        assertThat(dead.getProps().getHeaders().get("x-attempts").toString()).isEqualTo("4");
        assertThat(new String(dead.getBody(), java.nio.charset.StandardCharsets.UTF_8)).contains(eventId);
    }

    @Test
    void configuredTypeThatNoSubscriptionTakesIsDeadLetteredAsUnrouted() {
        String eventId = unique("event");

        // a producer's header that happens to be named as ours says nothing about where it failed
        MessageProperties properties = new MessageProperties();
        properties.setHeader("subscription", "order-status");
        rabbit.invoke(operations -> {
            operations.send("shop.events", "parcel_lost", new Message(cloudEvent(eventId, "parcel_lost", "{\"orderId\":\"1\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8), properties));
            operations.waitForConfirmsOrDie(10_000);
            return null;
        });

        await().atMost(Duration.ofSeconds(20)).until(() -> deadLetterListed(eventId) != null);
        JsonNode listed = deadLetterListed(eventId);
        assertThat(listed.get("reason").asText()).contains("unrouted").contains("parcel_lost");
        assertThat(listed.get("subscription").isNull()).isTrue();
        assertThat(listed.get("type").asText()).isEqualTo("parcel_lost");
        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("parcel_lost");
    }
}
