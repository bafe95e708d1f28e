package io.shopevents;

import com.rabbitmq.client.GetResponse;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.EventTap;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpResponse;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Documents built to hurt a JSON parser get a 400 at the edge (and nothing published), or a
 * dead letter when published by hand, with the parser's limits (JsonLimits) named.
 */
class HostileInputIT extends IntegrationTest {

    private EventTap tap;

    @BeforeEach
    void tapTheExchange() {
        tap = new EventTap(rabbit);
    }

    @AfterEach
    void removeTap() {
        tap.close();
    }

    static Stream<Arguments> hostileDocuments() {
        return Stream.of(
                arguments("nested deeper than the limit", order("\"x\"", "[".repeat(40) + "]".repeat(40)), "nesting depth"),
                arguments("60 KB of nothing but nesting", "[".repeat(60_000), "nesting depth"),
                arguments("a number with a million-digit exponent", order("\"orderTotal\"", "1e1000000"), "orderTotal"),
                arguments("an exponent no decimal type holds", order("\"orderTotal\"", "1e2147483648"), "out of range"),
                arguments("a number of 200 digits", order("\"orderTotal\"", "1".repeat(200)), "Number value length"),
                arguments("a field given twice", "{\"orderId\":\"1\",\"orderId\":\"2\",\"userId\":\"1\",\"orderTotal\":1}",
                        "Duplicate field 'orderId'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileDocuments")
    void refusedAtTheEdgeWith400AndNothingPublished(String name, String body, String reason) {
        HttpResponse<String> response = postJson("/api/orders", body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(response.body()).contains(reason);
        assertNothingPublished(tap);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileDocuments")
    void publishedByHandIsDeadLetteredWithTheReason(String name, String data, String reason) {
        String eventId = unique("hostile");
        // the hostile document as the event's data, inside an otherwise valid envelope
        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"order_placed\","
                + "\"source\":\"/tests\",\"data\":" + data + "}");

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(dead.getProps().getHeaders().get("x-exception-class").toString())
                .isEqualTo("io.shopevents.event.InvalidEventException");
        assertThat(dead.getProps().getHeaders().get("x-attempts").toString()).isEqualTo("1");
    }

    private static String order(String field, String value) {
        return "{\"orderId\":\"1\",\"userId\":\"1\"," + (field.equals("\"orderTotal\"") ? "" : "\"orderTotal\":1,")
                + field + ":" + value + "}";
    }
}
