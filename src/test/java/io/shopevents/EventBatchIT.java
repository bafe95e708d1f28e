package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * POST /api/events, a batch of CloudEvents: each event checked as a single call would be, the
 * valid ones published in order, each event's outcome in request order.
 */
class EventBatchIT extends IntegrationTest {

    private static final String BATCH = "application/cloudevents-batch+json";

    @Test
    void validAndInvalidEventsEachGetTheirOutcomeAndOnlyTheValidOnesArePublished() {
        String order = unique("batch-order");
        String user = unique("batch-user");
        String shipped = unique("batch-shipped");
        String body = "[" + String.join(",",
                event("order_placed", "{\"orderId\":\"" + order + "\",\"userId\":\"u1\",\"orderTotal\":12.50}"),
                event("order_placed", "{\"orderId\":\"" + unique("bad") + "\",\"userId\":\"u1\",\"orderTotal\":-1}"),
                "{\"specversion\":\"1.0\",\"type\":\"no_such_type\",\"data\":{}}",
                "42",
                event("user_registered", "{\"userId\":\"" + user + "\",\"username\":\"Bea\",\"email\":\"" + user + "@example.com\"}"),
                event("order_shipped", "{\"orderId\":\"" + shipped + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}"))
                + "]";

        HttpResponse<String> response;
        List<JsonNode> published = new ArrayList<>();
        try (EventTap tap = new EventTap(rabbit)) {
            response = post("/api/events", BATCH, body);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            for (int i = 0; i < 3; i++) {
                published.add(json(tap.next().getBody()));
            }
            assertNothingPublished(tap);
        }

        JsonNode answer = json(response.body());
        assertThat(answer.get("accepted").asInt()).isEqualTo(3);
        assertThat(answer.get("refused").asInt()).isEqualTo(3);
        JsonNode events = answer.get("events");
        assertThat(events).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(events.get(i).get("index").asInt()).isEqualTo(i);
        }
        assertThat(events.get(0).get("status").asInt()).isEqualTo(202);
        assertThat(events.get(1).get("status").asInt()).isEqualTo(400);
        assertThat(events.get(1).at("/problem/errors/0/field").asText()).isEqualTo("data.orderTotal");
        assertThat(events.get(2).get("status").asInt()).isEqualTo(400);
        assertThat(events.get(2).at("/problem/detail").asText()).contains("no_such_type");
        assertThat(events.get(3).get("status").asInt()).isEqualTo(400);
        assertThat(events.get(4).get("status").asInt()).isEqualTo(202);
        assertThat(events.get(5).get("status").asInt()).isEqualTo(202);
        // published in request order, each with the id its outcome gives
        assertThat(published).extracting(e -> e.get("id").asText()).containsExactly(
                events.get(0).get("eventId").asText(), events.get(4).get("eventId").asText(), events.get(5).get("eventId").asText());
        assertThat(published.get(0).at("/data/orderTotal").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(published.get(0).get("subject").asText()).isEqualTo(order);
        assertThat(published.get(0).get("source").asText()).endsWith("/api/orders");

        await().atMost(Duration.ofSeconds(20)).until(() -> get("/api/orders/" + order).statusCode() == 200);
        await().atMost(Duration.ofSeconds(20)).until(() -> !mailsTo(user + "@example.com").isEmpty());
    }

    @Test
    void eventsWrittenByTheCloudEventsSdkKeepTheirIdSourceAndTime() {
        EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        String order = unique("sdk-batch");
        String id = unique("sdk-id");
        OffsetDateTime time = OffsetDateTime.parse("2026-11-20T08:15:00Z");
        io.cloudevents.CloudEvent sdkEvent = CloudEventBuilder.v1()
                .withId(id)
                .withSource(URI.create("https://checkout.example.com/eu"))
                .withType("order_placed")
                .withTime(time)
                .withDataContentType("application/json")
                .withData(("{\"orderId\":\"" + order + "\",\"userId\":\"u9\",\"orderTotal\":99.99}").getBytes(StandardCharsets.UTF_8))
                .build();
        String body = "[" + new String(format.serialize(sdkEvent), StandardCharsets.UTF_8) + "]";

        HttpResponse<String> response = post("/api/events", BATCH, body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode outcome = json(response.body()).at("/events/0");
        assertThat(outcome.get("status").asInt()).isEqualTo(202);
        assertThat(outcome.get("eventId").asText()).isEqualTo(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/api/orders/" + order).statusCode() == 200);
        // the same event again (same source and id): accepted, and applied once
        HttpResponse<String> again = post("/api/events", BATCH, body);
        assertThat(json(again.body()).at("/events/0/status").asInt()).isEqualTo(202);
        assertThat(json(get("/api/orders/" + order).body()).get("status").asText()).isEqualTo("PLACED");
    }

    @Test
    void anEventOfATypeTheKeyHasNoScopeForIsRefusedWith403InItsOutcome() {
        // the front end's key may register users and place orders, not record payments
        String order = unique("scoped-order");
        String body = "[" + event("order_placed", "{\"orderId\":\"" + order + "\",\"userId\":\"u1\",\"orderTotal\":5}") + ","
                + event("payment_processed", "{\"paymentId\":\"" + unique("p") + "\",\"orderId\":\"" + order + "\",\"paymentAmount\":5}")
                + "]";

        HttpResponse<String> response = sendWithKey("test-key-front-end-only", HttpRequest.newBuilder(uri("/api/events"))
                .header("Content-Type", BATCH).POST(HttpRequest.BodyPublishers.ofString(body)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode events = json(response.body()).get("events");
        assertThat(events.get(0).get("status").asInt()).isEqualTo(202);
        assertThat(events.get(1).get("status").asInt()).isEqualTo(403);
        assertThat(events.get(1).at("/problem/detail").asText()).contains("payments:write");
    }

    @Test
    void moreThanAThousandEventsAreRefusedWholeWith413() {
        StringJoiner items = new StringJoiner(",", "[", "]");
        for (int i = 0; i < 1001; i++) {
            items.add(event("order_placed", "{\"orderId\":\"" + unique("o") + "\",\"userId\":\"u\",\"orderTotal\":1}"));
        }
        try (EventTap tap = new EventTap(rabbit)) {
            HttpResponse<String> response = post("/api/events", BATCH, items.toString());

            assertProblem(response, 413);
            assertThat(json(response.body()).get("detail").asText()).contains("1000");
            assertNothingPublished(tap);
        }
    }

    @Test
    void aThousandEventsAreAcceptedInOneCall() {
        StringJoiner items = new StringJoiner(",", "[", "]");
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            orders.add(unique("thousand-" + i));
            items.add(event("order_placed", "{\"orderId\":\"" + orders.get(i) + "\",\"userId\":\"u\",\"orderTotal\":1}"));
        }

        HttpResponse<String> response = post("/api/events", BATCH, items.toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response.body()).get("accepted").asInt()).isEqualTo(1000);
        await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/orders/" + orders.get(999)).statusCode() == 200
                && get("/api/orders/" + orders.get(0)).statusCode() == 200);
    }

    @Test
    void aBodyThatIsNotAnArrayOrOver1MiBIsRefusedWhole() {
        assertProblem(post("/api/events", BATCH, event("order_placed", "{\"orderId\":\"1\",\"userId\":\"u\",\"orderTotal\":1}")), 400);
        assertProblem(post("/api/events", BATCH, "[" + "\"x\",".repeat(300_000) + "\"x\"]"), 413);
        assertProblem(post("/api/events", BATCH, "[{\"specversion\":\"1.0\"}] trailing"), 400);
    }

    @Test
    void aRetriedBatchWithItsIdempotencyKeyGetsTheFirstAnswerAndPublishesNothing() {
        String key = unique("batch-key");
        String body = "[" + event("order_placed", "{\"orderId\":\"" + unique("idem") + "\",\"userId\":\"u\",\"orderTotal\":3}") + "]";
        HttpResponse<String> first = send(HttpRequest.newBuilder(uri("/api/events")).header("Content-Type", BATCH)
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(first.statusCode()).isEqualTo(200);

        try (EventTap tap = new EventTap(rabbit)) {
            HttpResponse<String> retry = send(HttpRequest.newBuilder(uri("/api/events")).header("Content-Type", BATCH)
                    .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)));

            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertNothingPublished(tap);
        }
    }

    /** A CloudEvent as a producer writes one, with neither id nor source: the service sets them. */
    private static String event(String type, String data) {
        return "{\"specversion\":\"1.0\",\"type\":\"" + type + "\",\"datacontenttype\":\"application/json\",\"data\":" + data + "}";
    }
}
