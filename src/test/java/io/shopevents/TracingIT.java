package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.amqp.core.Message;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import java.net.http.HttpRequest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traces end to end: one POST gives one trace (the caller's, when it sends a W3C traceparent)
 * whose spans cover the HTTP call, the publish, each subscription's consume, its route's steps
 * and the mail it sends; the event carries the trace in its AMQP headers and in the CloudEvents
 * traceparent extension; log lines name the trace. The spans are kept in memory (an OpenTelemetry
 * exporter of the SDK's testing module, where OTLP would send them).
 */
// tracing is off in Spring Boot's tests unless asked for
@AutoConfigureObservability(metrics = false)
@Import(TracingIT.InMemorySpans.class)
@ExtendWith(OutputCaptureExtension.class)
class TracingIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TestConfiguration
    static class InMemorySpans {
        @Bean
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }
    }

    @Autowired
    InMemorySpanExporter spans;

    @Test
    void onePostIsOneTraceFromTheCallThroughTheBrokerToTheProcessor() {
        String traceId = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        String callerSpan = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        String orderId = unique("order");
        try (EventTap tap = new EventTap(rabbit)) {
            var response = send(HttpRequest.newBuilder(uri("/api/orders"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"" + orderId + "\",\"userId\":\"u-1\",\"orderTotal\":12.50}")));
            assertThat(response.statusCode()).isEqualTo(202);

            // the event carries the trace: AMQP headers (the publish span) and the CloudEvents extension
            Message published = tap.next();
            assertThat(published).isNotNull();
            assertThat((String) published.getMessageProperties().getHeader("traceparent")).startsWith("00-" + traceId + "-");
            JsonNode event = json(published.getBody());
            assertThat(event.get("traceparent").asText()).startsWith("00-" + traceId + "-");
        }

        await().atMost(WAIT).until(() -> span(traceId, "route order-status").isPresent());
        SpanData http = spanOfKind(traceId, SpanKind.SERVER);
        SpanData publish = span(traceId, "publish shop.events").orElseThrow();
        SpanData consume = span(traceId, "consume order-status").orElseThrow();
        SpanData route = span(traceId, "route order-status").orElseThrow();

        assertThat(http.getParentSpanId()).as("the caller's span is the HTTP span's parent").isEqualTo(callerSpan);
        assertThat(http.getName()).containsIgnoringCase("post");
        assertThat(publish.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(publish.getParentSpanId()).isEqualTo(http.getSpanId());
        assertThat(consume.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(consume.getParentSpanId()).as("the consumer continues the publish").isEqualTo(publish.getSpanId());
        assertThat(route.getParentSpanId()).isEqualTo(consume.getSpanId());
    }

    @Test
    void aCallWithoutTraceStartsOneThatReachesTheMailServer() {
        String userId = unique("user");
        String traceId;
        try (EventTap tap = new EventTap(rabbit)) {
            var response = postJson("/api/users", "{\"userId\":\"" + userId + "\",\"username\":\"Traced\",\"email\":\"" + userId + "@example.com\"}");
            assertThat(response.statusCode()).isEqualTo(202);
            Message published = tap.next();
            assertThat(published).isNotNull();
            traceId = ((String) published.getMessageProperties().getHeader("traceparent")).split("-")[1];
        }

        await().atMost(WAIT).until(() -> trace(traceId).stream().anyMatch(s -> s.getName().startsWith("mail ")));
        SpanData http = spanOfKind(traceId, SpanKind.SERVER);
        SpanData mail = trace(traceId).stream().filter(s -> s.getName().startsWith("mail ")).findFirst().orElseThrow();
        SpanData route = span(traceId, "route welcome-mail").orElseThrow();
        assertThat(http.getParentSpanId()).as("a new trace, begun by the call").isEqualTo("0000000000000000");
        assertThat(span(traceId, "consume welcome-mail")).isPresent();
        assertThat(mail.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(mail.getParentSpanId()).as("the mail is sent by the route's steps").isEqualTo(route.getSpanId());
        assertThat(mailsTo(userId + "@example.com")).hasSize(1);
    }

    @Test
    void logLinesNameTheTraceBesideTheCorrelationId(CapturedOutput output) {
        String traceId = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        String orderId = unique("order");
        var response = send(HttpRequest.newBuilder(uri("/api/events/order_shipped"))
                .header("Content-Type", "application/json")
                .header("X-Correlation-ID", "corr-" + orderId)
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"" + orderId + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}")));
        assertThat(response.statusCode()).isEqualTo(202);

        // the order-shipped route logs each event: its line names the call's correlation id and trace
        await().atMost(WAIT).until(() -> output.getOut().contains("order " + orderId + " shipped"));
        String line = output.getOut().lines().filter(l -> l.contains("order " + orderId + " shipped")).findFirst().orElseThrow();
        assertThat(line).contains("[corr-" + orderId + "]").contains("[" + traceId + ",");
    }

    private Optional<SpanData> span(String traceId, String name) {
        return trace(traceId).stream().filter(s -> s.getName().equals(name)).findFirst();
    }

    private SpanData spanOfKind(String traceId, SpanKind kind) {
        SpanData span = trace(traceId).stream().filter(s -> s.getKind() == kind).findFirst().orElse(null);
        assertThat(span).as("a " + kind + " span in trace " + traceId + ": " + trace(traceId)).isNotNull();
        return span;
    }

    private List<SpanData> trace(String traceId) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
    }
}
