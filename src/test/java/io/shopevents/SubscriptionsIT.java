package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.GetResponse;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.IntegrationTest;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The built-in subscriptions (routes/order-status, payment-status, welcome-mail .camel.yaml): each
 * event reaches the subscription of its type once, or the dead letters with the reason.
 */
class SubscriptionsIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void registeredUserGetsOneWelcomeMail() throws Exception {
        String email = unique("ann") + "@example.com";

        HttpResponse<String> response = postJson("/api/users",
                "{\"userId\":\"" + unique("u") + "\",\"username\":\"Ann Smith\",\"email\":\"" + email + "\"}");
        assertThat(response.statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        MimeMessage mail = mailsTo(email).get(0);
        assertThat(mail.getRecipients(RecipientType.TO)).extracting(Object::toString).containsExactly(email);
        assertThat(mail.getSubject()).contains("Welcome").contains("Ann Smith");
        assertThat(plainText(mail)).contains("Hello Ann Smith");
        assertThat(html(mail)).contains("Hello Ann Smith");
    }

    @Test
    void htmlInUsernameIsEscapedInTheHtmlPart() throws Exception {
        String email = unique("eve") + "@example.com";

        postJson("/api/users", "{\"userId\":\"1\",\"username\":\"<script>alert(1)</script>\",\"email\":\"" + email + "\"}");

        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        assertThat(html(mailsTo(email).get(0))).contains("&lt;script&gt;").doesNotContain("<script>");
        assertThat(plainText(mailsTo(email).get(0))).contains("<script>");
    }

    @Test
    void orderIsPlacedThenPaid() {
        String orderId = unique("order");
        String paymentId = unique("payment");

        assertThat(postJson("/api/orders", order(orderId, "19.90")).statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
        JsonNode placed = json(get("/api/orders/" + orderId).body());
        assertThat(placed.get("status").asText()).isEqualTo("PLACED");
        assertThat(placed.get("userId").asText()).isEqualTo("user-1");
        assertThat(placed.get("orderTotal").decimalValue()).isEqualByComparingTo("19.90");

        assertThat(postJson("/api/payments", payment(paymentId, orderId)).statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> statusOf(orderId).equals("PAID"));
        JsonNode payment = json(get("/api/payments/" + paymentId).body());
        assertThat(payment.get("status").asText()).isEqualTo("PROCESSED");
        assertThat(payment.get("orderId").asText()).isEqualTo(orderId);
        assertThat(payment.get("paymentAmount").decimalValue()).isEqualByComparingTo("19.90");
    }

    static Stream<Arguments> arrivalOrders() {
        return Stream.of(
                arguments("order, small payment, large payment", List.of("order", "small", "large")),
                arguments("small payment, order, large payment", List.of("small", "order", "large")),
                arguments("large payment, small payment, order", List.of("large", "small", "order")),
                arguments("both payments, then the order", List.of("small", "large", "order")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrivalOrders")
    void paymentsAddUpToTheTotalInAnyArrivalOrderAndRedeliveriesCountOnce(String name, List<String> arrival) {
        String orderId = unique("order");
        String small = unique("payment");
        String large = unique("payment");
        Map<String, String> events = Map.of(
                "order", cloudEvent(unique("event"), "order_placed",
                        "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1000.00}"),
                "small", cloudEvent(unique("event"), "payment_processed",
                        "{\"paymentId\":\"" + small + "\",\"orderId\":\"" + orderId + "\",\"paymentAmount\":0.01}"),
                "large", cloudEvent(unique("event"), "payment_processed",
                        "{\"paymentId\":\"" + large + "\",\"orderId\":\"" + orderId + "\",\"paymentAmount\":999.99}"));
        Map<String, java.math.BigDecimal> amounts = Map.of("small", new java.math.BigDecimal("0.01"),
                "large", new java.math.BigDecimal("999.99"));
        List<String> arrived = new java.util.ArrayList<>();
        for (String event : arrival) {
            String routingKey = event.equals("order") ? "order_placed" : "payment_processed";
            publish(routingKey, events.get(event));
            // every payment event delivered twice, as after a crash before its acknowledgement
            if (!event.equals("order")) {
                publish(routingKey, events.get(event));
            }
            arrived.add(event);
            if (arrived.contains("order")) {
                java.math.BigDecimal paid = arrived.stream().filter(amounts::containsKey).map(amounts::get)
                        .reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add);
                String expected = paid.signum() == 0 ? "PLACED" : paid.compareTo(new java.math.BigDecimal("1000")) < 0
                        ? "PARTIALLY_PAID" : "PAID";
                await().atMost(WAIT).until(() -> statusOf(orderId).equals(expected)
                        && json(get("/api/orders/" + orderId).body()).get("amountPaid").decimalValue().compareTo(paid) == 0);
            }
        }

        await().atMost(WAIT).until(() -> statusOf(orderId).equals("PAID")
                && get("/api/payments/" + small).statusCode() == 200 && get("/api/payments/" + large).statusCode() == 200);
        JsonNode order = json(get("/api/orders/" + orderId).body());
        assertThat(order.get("amountPaid").decimalValue()).isEqualByComparingTo("1000.00");
        assertThat(order.get("orderTotal").decimalValue()).isEqualByComparingTo("1000.00");
    }

    @Test
    void oneSmallPaymentDoesNotPayALargeOrder() {
        String orderId = unique("order");
        postJson("/api/orders", "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1000}");
        postJson("/api/payments", "{\"paymentId\":\"" + unique("p") + "\",\"orderId\":\"" + orderId + "\",\"paymentAmount\":0.01}");

        await().atMost(WAIT).until(() -> statusOf(orderId).equals("PARTIALLY_PAID"));
        String over = unique("p");
        postJson("/api/payments", "{\"paymentId\":\"" + over + "\",\"orderId\":\"" + orderId + "\",\"paymentAmount\":1000}");
        await().atMost(WAIT).until(() -> statusOf(orderId).equals("OVERPAID"));
        assertThat(json(get("/api/orders/" + orderId).body()).get("amountPaid").decimalValue()).isEqualByComparingTo("1000.01");
    }

    @Test
    void twoProducersMayUseTheSameIdAndEachEventIsAppliedOnce() {
        String sharedId = unique("shared");
        String first = unique("order");
        String second = unique("order");
        String one = "{\"specversion\":\"1.0\",\"id\":\"" + sharedId + "\",\"type\":\"order_placed\",\"source\":\"https://shop-a.example/orders\","
                + "\"data\":{\"orderId\":\"" + first + "\",\"userId\":\"u\",\"orderTotal\":1}}";
        String other = "{\"specversion\":\"1.0\",\"id\":\"" + sharedId + "\",\"type\":\"order_placed\",\"source\":\"https://shop-b.example/orders\","
                + "\"data\":{\"orderId\":\"" + second + "\",\"userId\":\"u\",\"orderTotal\":1}}";

        publish("order_placed", one);
        publish("order_placed", other);
        // the same source and id again, with other data: the same event, applied already
        String third = unique("order");
        publish("order_placed", one.replace(first, third));
        String later = unique("order");
        publish("order_placed", cloudEvent(unique("event"), "order_placed",
                "{\"orderId\":\"" + later + "\",\"userId\":\"u\",\"orderTotal\":1}"));

        await().atMost(WAIT).until(() -> get("/api/orders/" + later).statusCode() == 200);
        assertThat(get("/api/orders/" + first).statusCode()).isEqualTo(200);
        assertThat(get("/api/orders/" + second).statusCode()).as("same id, other source: another event").isEqualTo(200);
        assertThat(get("/api/orders/" + third).statusCode()).as("same source and id: applied once").isEqualTo(404);
    }

    @Test
    void paymentBeforeItsOrderGivesTheSameEndState() {
        String orderId = unique("order");
        String paymentId = unique("payment");

        postJson("/api/payments", payment(paymentId, orderId));
        await().atMost(WAIT).until(() -> get("/api/payments/" + paymentId).statusCode() == 200);
        assertThat(get("/api/orders/" + orderId).statusCode()).isEqualTo(404);

        postJson("/api/orders", order(orderId, "19.90"));
        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
        assertThat(statusOf(orderId)).isEqualTo("PAID");
    }

    @Test
    void cloudEventPublishedStraightToTheExchangeIsProcessed() {
        String orderId = unique("order");

        publish("order_placed", cloudEvent(unique("event"), "order_placed",
                "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":5}"));

        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
        assertThat(statusOf(orderId)).isEqualTo("PLACED");
    }

    @Test
    void minimalEnvelopeWithoutOptionalAttributesIsProcessed() {
        String orderId = unique("order");

        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + unique("manual") + "\",\"type\":\"order_placed\","
                + "\"source\":\"/ops\",\"data\":{\"orderId\":\"" + orderId + "\",\"userId\":\"1\",\"orderTotal\":10}}");

        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    @Test
    void eventWhoseTypeTheSubscriptionDoesNotTakeIsDeadLetteredNamingBoth() {
        String eventId = unique("event");
        String orderId = unique("order");

        // routed by its routing key to payment-status, but the body says it is an order
        publish("payment_processed", cloudEvent(eventId, "order_placed",
                "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":5}"));

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(header(dead, "subscription")).isEqualTo("payment-status");
        assertThat(header(dead, "x-exception-message")).contains("takes [payment_processed], not order_placed");
        assertThat(header(dead, "x-attempts")).isEqualTo("1");
        assertThat(get("/api/orders/" + orderId).statusCode()).as("not applied by anyone").isEqualTo(404);
    }

    @Test
    void eventThatNoSubscriptionTakesReachesTheDeadLettersThroughTheAlternateExchange() {
        String eventId = unique("event");

        publish("anything.else", cloudEvent(eventId, "order_placed", "{\"orderId\":\"1\",\"userId\":\"u\",\"orderTotal\":5}"));

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("anything.else");
        assertThat(dead.getProps().getHeaders()).doesNotContainKey("subscription");
    }

    @Test
    void sameEventIdTwiceSendsOneMail() {
        String eventId = unique("event");
        String email = unique("bob") + "@example.com";
        String event = cloudEvent(eventId, "user_registered",
                "{\"userId\":\"u\",\"username\":\"Bob\",\"email\":\"" + email + "\"}");

        publish("user_registered", event);
        publish("user_registered", event);
        String laterEmail = unique("later") + "@example.com";
        publish("user_registered", cloudEvent(unique("event"), "user_registered",
                "{\"userId\":\"u\",\"username\":\"Later\",\"email\":\"" + laterEmail + "\"}"));

        // one consumer takes the queue in order: once the later event is done, both copies are
        await().atMost(WAIT).until(() -> mailsTo(laterEmail).size() == 1);
        assertThat(mailsTo(email)).hasSize(1);
    }

    @Test
    void sameEventIdTwiceChangesTheStoreOnce() {
        String eventId = unique("event");
        String firstPayment = unique("payment");
        String secondPayment = unique("payment");
        String orderId = unique("order");

        // a redelivery of the same event (same id), even with other data, is not applied again
        publish("payment_processed", cloudEvent(eventId, "payment_processed", paymentData(firstPayment, orderId)));
        publish("payment_processed", cloudEvent(eventId, "payment_processed", paymentData(secondPayment, orderId)));
        // one consumer takes payment-status's queue in order: once a later payment is done, both copies are
        String laterPayment = unique("payment");
        publish("payment_processed", cloudEvent(unique("event"), "payment_processed", paymentData(laterPayment, orderId)));

        await().atMost(WAIT).until(() -> get("/api/payments/" + laterPayment).statusCode() == 200);
        assertThat(get("/api/payments/" + firstPayment).statusCode()).isEqualTo(200);
        assertThat(get("/api/payments/" + secondPayment).statusCode()).isEqualTo(404);
    }

    @Test
    void unknownTypeIsDeadLetteredWithTheReason() {
        String eventId = unique("event");

        // routed to order-status by its routing key; the body's type is one nobody knows
        publish("order_placed", cloudEvent(eventId, "order_cancelled", "{\"orderId\":\"1\"}"));

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(header(dead, "x-exception-class")).isEqualTo("io.shopevents.event.InvalidEventException");
        assertThat(header(dead, "x-exception-message")).contains("not order_cancelled");
        assertThat(header(dead, "subscription")).isEqualTo("order-status");
        assertThat(header(dead, "x-attempts")).isEqualTo("1");
        assertThat(header(dead, "x-failed-at")).isNotBlank();
        assertThat(header(dead, "x-dead-letter-id")).isNotBlank();
        assertThat(dead.getEnvelope().getRoutingKey()).isEqualTo("order_placed");
    }

    @Test
    void malformedJsonIsDeadLetteredWithTheReason() {
        String marker = unique("not-json");

        publish("order_placed", "{ this is " + marker);

        GetResponse dead = DeadLetters.take(rabbit, marker);
        assertThat(header(dead, "x-exception-message")).contains("not valid JSON");
        assertThat(new String(dead.getBody(), StandardCharsets.UTF_8)).isEqualTo("{ this is " + marker);
    }

    @Test
    void dataBreakingItsSchemaIsDeadLetteredNamingTheField() {
        String eventId = unique("event");

        publish("user_registered", cloudEvent(eventId, "user_registered",
                "{\"userId\":\"u\",\"username\":\"Mallory\\r\\nBcc: all@example.com\",\"email\":\"m@example.com\"}"));

        GetResponse dead = DeadLetters.take(rabbit, eventId);
        assertThat(header(dead, "x-exception-message")).contains("data.username");
    }

    @Test
    void mailThatCannotBeSentIsRetriedThenDeadLettered() {
        String eventId = unique("event");
        String email = unique("nobody") + "@example.com";
        greenMail.stop(); // the SMTP server is down for longer than the retry budget
        try {
            publish("user_registered", cloudEvent(eventId, "user_registered",
                    "{\"userId\":\"u\",\"username\":\"Nobody\",\"email\":\"" + email + "\"}"));

            GetResponse dead = DeadLetters.take(rabbit, eventId);
            assertThat(header(dead, "x-exception-class")).isEqualTo("io.shopevents.processor.MailNotSentException");
            assertThat(header(dead, "x-exception-message")).contains("not sent");
            assertThat(header(dead, "subscription")).isEqualTo("welcome-mail");
            assertThat(header(dead, "x-attempts")).isEqualTo("4"); // shop.subscriptions.retry.max-attempts in the tests
        } finally {
            greenMail.start();
        }
        assertThat(mailsTo(email)).isEmpty();
    }

    // --- helpers

    private static String order(String orderId, String total) {
        return "{\"orderId\":\"" + orderId + "\",\"userId\":\"user-1\",\"orderTotal\":" + total + "}";
    }

    private static String payment(String paymentId, String orderId) {
        return paymentData(paymentId, orderId);
    }

    private static String paymentData(String paymentId, String orderId) {
        return "{\"paymentId\":\"" + paymentId + "\",\"orderId\":\"" + orderId + "\",\"paymentAmount\":19.90}";
    }

    private String statusOf(String orderId) {
        HttpResponse<String> response = get("/api/orders/" + orderId);
        return response.statusCode() == 200 ? json(response.body()).get("status").asText() : "";
    }

    private static String header(GetResponse response, String name) {
        Object value = response.getProps().getHeaders().get(name);
        return value == null ? null : value.toString();
    }

    private static String plainText(MimeMessage mail) throws Exception {
        return part(mail, "text/plain");
    }

    private static String html(MimeMessage mail) throws Exception {
        return part(mail, "text/html");
    }

    private static String part(MimeMessage mail, String type) throws Exception {
        MimeMultipart multipart = (MimeMultipart) mail.getContent();
        for (int i = 0; i < multipart.getCount(); i++) {
            if (multipart.getBodyPart(i).isMimeType(type)) {
                return multipart.getBodyPart(i).getContent().toString();
            }
        }
        throw new AssertionError("no " + type + " part in " + mail.getContentType());
    }
}
