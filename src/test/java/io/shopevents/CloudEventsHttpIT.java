package io.shopevents;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.beans.factory.annotation.Autowired;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Any CloudEvents producer, as it is: the official Java SDK's HTTP binding sends one event in
 * structured mode, one in binary mode and a batch to POST /api/events; each is applied once with
 * the id, source and extension attributes it was sent with, and the same event sent twice is
 * applied once. The typed endpoints refuse ce-* headers rather than ignore them; every 415 is the
 * project's own; extensions that break the spec's rules are refused naming them, at the edge and
 * over AMQP.
 */
class CloudEventsHttpIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SUBSCRIPTION = "test-cloudevents";
    /** What the test subscription applied, by event id. */
    private static final Map<String, List<io.shopevents.event.CloudEvent>> applied = new ConcurrentHashMap<>();

    @Autowired
    private CamelContext camel;

    @Autowired
    private MeterRegistry meters;

    @BeforeEach
    void subscribe() throws Exception {
        if (camel.getRoute(SUBSCRIPTION) == null) {
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("subscription:" + SUBSCRIPTION + "?types=order_placed").routeId(SUBSCRIPTION).process(exchange -> {
                        io.shopevents.event.CloudEvent event = exchange.getMessage().getBody(io.shopevents.event.CloudEvent.class);
                        applied.computeIfAbsent(event.id(), id -> new CopyOnWriteArrayList<>()).add(event);
                    });
                }
            });
        }
    }

    @Test
    void theSdksStructuredBinaryAndBatchEventsAreAppliedOnceWithTheirIdSourceAndExtensions() {
        CloudEvent structured = order("structured").build();
        CloudEvent binary = order("binary").build();
        CloudEvent first = order("batch").build();
        CloudEvent second = order("batch").build();

        assertThat(sendStructured(structured).statusCode()).isEqualTo(202);
        HttpResponse<String> binaryAnswer = sendBinary(binary);
        assertThat(binaryAnswer.statusCode()).as(binaryAnswer.body()).isEqualTo(202);
        assertThat(json(binaryAnswer.body()).get("eventId").asText()).isEqualTo(binary.getId());
        HttpResponse<String> batch = post("/api/events", "application/cloudevents-batch+json", "[" + serialized(first) + ","
                + serialized(second) + "]");
        assertThat(batch.statusCode()).isEqualTo(200);
        assertThat(json(batch.body()).get("accepted").asInt()).isEqualTo(2);

        for (CloudEvent sent : List.of(structured, binary, first, second)) {
            await().atMost(WAIT).until(() -> applied.containsKey(sent.getId()));
            assertThat(applied.get(sent.getId())).hasSize(1);
            io.shopevents.event.CloudEvent event = applied.get(sent.getId()).get(0);
            assertThat(event.source()).isEqualTo(sent.getSource().toString());
            assertThat(event.extensions()).containsEntry("partitionkey", sent.getExtension("partitionkey"));
            assertThat(get("/api/orders/" + sent.getSubject()).statusCode()).isEqualTo(200);
        }
        // in structured mode an extension keeps its JSON type; binary mode over HTTP has only text
        assertThat(applied.get(structured.getId()).get(0).extensions()).containsEntry("priority", 7).containsEntry("rush", true);
        assertThat(applied.get(binary.getId()).get(0).extensions()).containsEntry("priority", "7").containsEntry("rush", "true");
    }

    @Test
    void theSameEventSentTwiceIsAppliedOnce() {
        CloudEvent event = order("twice").build();
        double skipped = outcome("skipped");

        assertThat(sendStructured(event).statusCode()).isEqualTo(202);
        assertThat(sendBinary(event).statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> outcome("skipped") >= skipped + 1);
        assertThat(applied.get(event.getId())).hasSize(1);
    }

    @Test
    void binaryModeHeadersArePercentDecodedAndAKeyedRetryMustCarryTheSameAttributes() {
        String orderId = unique("order");
        String eventId = unique("encoded");
        HttpRequest.Builder request = binaryRequest(eventId, orderId).header("ce-city", "M%C3%BCnchen")
                .header("Idempotency-Key", eventId);
        assertThat(send(request).statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> applied.containsKey(eventId));
        assertThat(applied.get(eventId).get(0).extensions()).containsEntry("city", "München");

        // the same body and key with another ce-id is another request
        HttpResponse<String> other = send(binaryRequest(eventId + "-other", orderId).header("ce-city", "M%C3%BCnchen")
                .header("Idempotency-Key", eventId));
        assertProblem(other, 422);
        // and so with another Content-Type, which is the event's datacontenttype
        HttpResponse<String> otherType = send(binaryRequest(eventId, orderId).header("ce-city", "M%C3%BCnchen")
                .setHeader("Content-Type", "application/vnd.shop+json").header("Idempotency-Key", eventId));
        assertProblem(otherType, 422);
    }

    @Test
    void extensionsThatBreakTheSpecsRulesAreRefusedNamingThem() {
        HttpResponse<String> response = post("/api/events", "application/cloudevents+json", "{\"specversion\":\"1.0\","
                + "\"type\":\"order_placed\",\"myExt\":\"x\",\"ratio\":1.5,\"nested\":{\"a\":1},\"toolong\":\""
                + "x".repeat(1025) + "\",\"data\":{\"orderId\":\"" + unique("order") + "\",\"userId\":\"u\",\"orderTotal\":1}}");

        assertProblem(response, 400);
        assertThat(json(response.body()).get("errors").findValuesAsText("field"))
                .containsExactlyInAnyOrder("myExt", "ratio", "nested", "toolong");
    }

    @Test
    void theTypedEndpointsRefuseCeHeadersAndEvery415IsTheProjectsOwn() {
        HttpResponse<String> typed = send(HttpRequest.newBuilder(uri("/api/orders")).header("Content-Type", "application/json")
                .header("ce-id", "x-1").header("ce-source", "/shop")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"" + unique("order") + "\",\"userId\":\"u\",\"orderTotal\":1}")));
        assertProblem(typed, 400);
        assertThat(json(typed.body()).get("detail").asText()).contains("POST /api/events").contains("ce-id");

        HttpResponse<String> plain = postJson("/api/events", "{\"orderId\":\"1\"}");
        assertProblem(plain, 415);
        assertThat(json(plain.body()).get("detail").asText()).contains("application/cloudevents+json").contains("ce-specversion");

        HttpResponse<String> structuredToTyped = post("/api/orders", "application/cloudevents+json", "{}");
        assertProblem(structuredToTyped, 415);
        assertThat(json(structuredToTyped.body()).get("detail").asText()).contains("POST /api/events");
        assertThat(json(structuredToTyped.body()).has("instance")).as("Spring's own wording is gone").isFalse();

        HttpResponse<String> method = send(HttpRequest.newBuilder(uri("/api/orders")).DELETE());
        assertProblem(method, 405);
        assertThat(method.headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void overAmqpExtensionsAreKeptAndHeadersOfAnotherBindingAreNamed() {
        String eventId = unique("amqp-binary");
        String orderId = unique("order");
        MessageProperties properties = new MessageProperties();
        properties.setContentType("application/json");
        properties.setHeader("cloudEvents:specversion", "1.0");
        properties.setHeader("cloudEvents:id", eventId);
        properties.setHeader("cloudEvents:source", "/amqp");
        properties.setHeader("cloudEvents:type", "order_placed");
        properties.setHeader("cloudEvents:partitionkey", orderId);
        properties.setHeader("cloudEvents:priority", 3);
        rabbit.send("shop.events", "order_placed", new Message(orderData(orderId).getBytes(StandardCharsets.UTF_8), properties));
        await().atMost(WAIT).until(() -> applied.containsKey(eventId));
        assertThat(applied.get(eventId).get(0).extensions()).containsEntry("partitionkey", orderId).containsEntry("priority", 3);

        String kafkaStyle = unique("kafka-style");
        MessageProperties ce = new MessageProperties();
        ce.setMessageId(kafkaStyle);
        ce.setHeader("ce_specversion", "1.0");
        ce.setHeader("ce_id", kafkaStyle);
        ce.setHeader("ce_type", "order_placed");
        rabbit.send("shop.events", "order_placed", new Message(orderData(unique("order")).getBytes(StandardCharsets.UTF_8), ce));
        String reason = DeadLetters.take(rabbit, kafkaStyle).getProps().getHeaders().get("x-exception-message").toString();
        assertThat(reason).contains("ce_id").contains("cloudEvents:");
    }

    private static CloudEventBuilder order(String kind) {
        String orderId = unique("order-" + kind);
        return CloudEventBuilder.v1()
                .withId(UUID.randomUUID().toString())
                .withSource(URI.create("https://sdk.example/" + kind))
                .withType("order_placed")
                .withSubject(orderId)
                .withTime(OffsetDateTime.now())
                .withExtension("partitionkey", orderId)
                .withExtension("priority", 7)
                .withExtension("rush", true)
                .withDataContentType("application/json")
                .withData(orderData(orderId).getBytes(StandardCharsets.UTF_8));
    }

    private static String orderData(String orderId) {
        return "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":12.5}";
    }

    private HttpResponse<String> sendStructured(CloudEvent event) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/events"));
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(request::header, bytes -> body[0] = bytes)
                .writeStructured(event, JsonFormat.CONTENT_TYPE);
        return send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body[0])));
    }

    private HttpResponse<String> sendBinary(CloudEvent event) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/events"));
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(request::header, bytes -> body[0] = bytes).writeBinary(event);
        return send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body[0])));
    }

    private HttpRequest.Builder binaryRequest(String eventId, String orderId) {
        return HttpRequest.newBuilder(uri("/api/events")).header("Content-Type", "application/json")
                .header("ce-specversion", "1.0").header("ce-id", eventId).header("ce-source", "/curl")
                .header("ce-type", "order_placed")
                .POST(HttpRequest.BodyPublishers.ofString(orderData(orderId)));
    }

    private static String serialized(CloudEvent event) {
        return new String(EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE).serialize(event),
                StandardCharsets.UTF_8);
    }

    private double outcome(String outcome) {
        return meters.find("shop.subscription.events").tag("subscription", SUBSCRIPTION).tag("outcome", outcome).counters()
                .stream().collect(Collectors.summingDouble(Counter::count));
    }
}
