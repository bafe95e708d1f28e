package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventRWException;
import io.cloudevents.rw.CloudEventWriter;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.SmtpRelay;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.test.context.TestPropertySource;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * What reaches the outside is exactly what was meant: a welcome mail goes to the one mailbox
 * given (its envelope recorded by an SMTP relay in front of GreenMail), a user name is shown as
 * the text it is, CloudEvents from the official SDK are understood in both modes, and nothing a
 * message carries can forge a log line.
 */
@TestPropertySource(properties = "logging.file.name=target/logs/downstream-fidelity.log")
class DownstreamFidelityIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final SmtpRelay envelope = new SmtpRelay(greenMailPort(), address -> false);

    static {
        applicationSmtpPort = envelope.port();
    }

    @AfterAll
    static void stopRelay() {
        envelope.close();
    }

    static Stream<Arguments> addressesRefused() {
        return Stream.of(
                arguments("a list", "root,m11@example.com"),
                arguments("a list with ;", "postmaster;x@example.com"),
                arguments("a second domain", "m16@example.com,evil.org"),
                arguments("a comment", "m15(comment)@example.com"),
                arguments("angle brackets", "x<victim@evil.com>"),
                arguments("a display name", "Ann <ann@example.com>"),
                arguments("a quoted local part", "\"ann smith\"@example.com"),
                arguments("a NUL", "ann\u0000@example.com"),
                arguments("CR/LF smuggled as letters that cut down to them", "ann\u010D\u010ABcc:x@example.com"),
                arguments("a zero-width joiner", "ann\u200D@example.com"),
                arguments("a right-to-left override", "ann@exam\u202Eple.com"),
                arguments("a non-ASCII local part", "jürgen@example.com"),
                arguments("a domain without a dot", "ann@localhost"),
                arguments("an address literal", "ann@[127.0.0.1]"),
                arguments("two @", "ann@b@example.com"),
                arguments("an empty local part", "@example.com"),
                arguments("a dot at the end", "ann.@example.com"),
                arguments("a space", "ann smith@example.com"),
                arguments("a C1 control", "ann\u0085@example.com"),
                arguments("full-width letters, which IDNA maps to example.com", "cy@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com"),
                arguments("a telephone sign, which IDNA maps to tel", "di@ex\u2121.com"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("addressesRefused")
    void addressThatIsNotExactlyOneMailboxIsRefusedAtTheEdge(String name, String email) {
        HttpResponse<String> response = postJson("/api/users", "{\"userId\":\"u\",\"username\":\"Ann\",\"email\":"
                + quoted(email) + "}");

        assertProblem(response, 400);
        assertThat(json(response.body()).get("errors").findValuesAsText("field")).containsExactly("email");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("addressesRefused")
    void addressThatIsNotExactlyOneMailboxIsDeadLetteredWhenPublishedByHand(String name, String email) {
        String eventId = unique("hand");
        publish("user_registered", "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"user_registered\","
                + "\"source\":\"/tests\",\"data\":{\"userId\":\"u\",\"username\":\"Ann\",\"email\":" + quoted(email) + "}}");

        assertThat(DeadLetters.take(rabbit, eventId).getProps().getHeaders().get("x-exception-message").toString())
                .contains("data.email");
        assertThat(envelope.recipients()).noneMatch(r -> r.contains(eventId));
    }

    static Stream<Arguments> addressesMailed() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        return Stream.of(
                arguments("plain", "ann-" + run + "@example.com", "ann-" + run + "@example.com"),
                arguments("upper case, kept", "ANN-" + run + "@EXAMPLE.COM", "ANN-" + run + "@EXAMPLE.COM"),
                arguments("every special the local part may hold", "a!#$%&'*+/=?^_`{|}~-" + run + "@example.com",
                        "a!#$%&'*+/=?^_`{|}~-" + run + "@example.com"),
                arguments("a Cyrillic а in the domain: its own A-label, not ex0mple.com", "ann-" + run + "@exаmple.com",
                        "ann-" + run + "@xn--exmple-4nf.com"),
                arguments("a domain of Latin Extended letters, not eatradar.com", "ann-" + run + "@ťšŴŲšťšŲ.com",
                        "ann-" + run + "@xn--pgaaanc6fdl.com"),
                arguments("an umlaut in the domain", "ann-" + run + "@münchen.de", "ann-" + run + "@xn--mnchen-3ya.de"),
                arguments("a sharp s, IDNA2008: not strasse.de", "ann-" + run + "@straße.de", "ann-" + run + "@xn--strae-oqa.de"),
                arguments("a final sigma, IDNA2008: not σ", "fa-" + run + "@ϛς.gr", "fa-" + run + "@xn--3xa3c.gr"),
                arguments("a domain given as its A-label", "alabel-" + run + "@xn--strae-oqa.de", "alabel-" + run + "@xn--strae-oqa.de"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("addressesMailed")
    void mailGoesToExactlyTheOneMailboxGiven(String name, String email, String onTheEnvelope) throws Exception {
        HttpResponse<String> response = postJson("/api/users", "{\"userId\":\"u\",\"username\":\"Ann\",\"email\":"
                + quoted(email) + "}");
        assertThat(response.statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> envelope.recipients().contains("<" + onTheEnvelope + ">"));
        await().atMost(WAIT).until(() -> receivedFor(onTheEnvelope).size() == 1);
        assertThat(envelope.recipients().stream().filter(r -> r.equals("<" + onTheEnvelope + ">"))).hasSize(1);
        MimeMessage mail = receivedFor(onTheEnvelope).get(0);
        assertThat(Arrays.stream(mail.getRecipients(RecipientType.TO)).map(Object::toString)).containsExactly(onTheEnvelope);
        assertThat(mail.getAllRecipients()).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {".", "..", "a%2Fb", "%5C", "%00", "%0a", "%2e%2e", "x/y", "x\\y"})
    void anIdAUrlPathCannotNameIsRefusedAtTheEdge(String orderId) {
        HttpResponse<String> response = postJson("/api/orders", "{\"orderId\":" + quoted(orderId)
                + ",\"userId\":\"u\",\"orderTotal\":1}");

        assertProblem(response, 400);
        assertThat(json(response.body()).get("errors").findValuesAsText("field")).containsExactly("orderId");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"...", ".a", "a..b", "a;b", "50%off", "a?b", "a#b", "a b", "ü", "a+b", "~", "ﬁ", "@", "a&b=c"})
    void everyOtherIdIsReadBack(String given) {
        String orderId = given + "-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(postJson("/api/orders", "{\"orderId\":" + quoted(orderId) + ",\"userId\":\"u\",\"orderTotal\":1}")
                .statusCode()).isEqualTo(202);

        String path = "/api/orders/" + java.net.URLEncoder.encode(orderId, StandardCharsets.UTF_8).replace("+", "%20");
        await().atMost(WAIT).until(() -> get(path).statusCode() == 200);
        assertThat(json(get(path).body()).get("orderId").asText()).isEqualTo(orderId);
    }

    @Test
    void userNameIsShownAsTheLiteralTextItIs() throws Exception {
        String email = unique("literal") + "@example.com";
        String username = "=?UTF-8?B?PHNjcmlwdD4=?= <b>bold</b> \u202Eevil";

        assertThat(postJson("/api/users", "{\"userId\":\"u\",\"username\":" + quoted(username) + ",\"email\":\""
                + email + "\"}").statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        MimeMessage mail = mailsTo(email).get(0);
        // what a mail client shows: the encoded word as the characters it is, not <script>
        assertThat(mail.getSubject()).isEqualTo("Welcome to the shop, =?UTF-8?B?PHNjcmlwdD4=?= <b>bold</b> [U+202E]evil!");
        String html = part(mail, "text/html");
        // the HTML part escapes what HTML would read (Mustache writes = as &#x3D; too)
        assertThat(html).contains("?UTF-8?B?PHNjcmlwdD4").contains("&lt;b&gt;bold&lt;/b&gt; [U+202E]evil")
                .doesNotContain("<b>bold").doesNotContain("\u202E");
        assertThat(part(mail, "text/plain")).contains("Hello =?UTF-8?B?PHNjcmlwdD4=?= <b>bold</b> [U+202E]evil,")
                .doesNotContain("\u202E");
    }

    @Test
    void eventsFromTheCloudEventsSdkAreAppliedInStructuredAndBinaryMode() {
        String structuredOrder = unique("order");
        String binaryOrder = unique("order");

        CloudEvent structured = order(structuredOrder, "application/json");
        EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        MessageProperties structuredProperties = new MessageProperties();
        structuredProperties.setContentType(JsonFormat.CONTENT_TYPE);
        rabbit.send("shop.events", "order_placed", new Message(format.serialize(structured), structuredProperties));

        rabbit.send("shop.events", "order_placed", binary(order(binaryOrder, "application/json; charset=utf-8")));

        await().atMost(WAIT).until(() -> get("/api/orders/" + structuredOrder).statusCode() == 200
                && get("/api/orders/" + binaryOrder).statusCode() == 200);
    }

    @Test
    void dataAsBase64AndAnyJsonMediaTypeAreUnderstood() {
        String base64Order = unique("order");
        String vendorOrder = unique("order");
        String data = "{\"orderId\":\"" + base64Order + "\",\"userId\":\"u\",\"orderTotal\":3}";

        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + unique("b64") + "\",\"type\":\"order_placed\","
                + "\"source\":\"/tests\",\"datacontenttype\":\"application/json\",\"data_base64\":\""
                + Base64.getEncoder().encodeToString(data.getBytes(StandardCharsets.UTF_8)) + "\"}");
        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + unique("vnd") + "\",\"type\":\"order_placed\","
                + "\"source\":\"/tests\",\"datacontenttype\":\"application/vnd.shop.order+json; charset=utf-8\","
                + "\"data\":{\"orderId\":\"" + vendorOrder + "\",\"userId\":\"u\",\"orderTotal\":3}}");

        await().atMost(WAIT).until(() -> get("/api/orders/" + base64Order).statusCode() == 200
                && get("/api/orders/" + vendorOrder).statusCode() == 200);
    }

    @Test
    void binaryModeEventWithoutItsTypeIsDeadLetteredNamingWhatIsMissing() {
        String eventId = unique("binary");
        Message message = binary(order(unique("order"), "application/json"));
        message.getMessageProperties().getHeaders().remove("cloudEvents:type");
        message.getMessageProperties().getHeaders().put("cloudEvents:id", eventId);
        message.getMessageProperties().setMessageId(eventId);

        rabbit.send("shop.events", "order_placed", message);

        await().atMost(WAIT).until(() -> deadLetterListed(eventId) != null);
        assertThat(deadLetterListed(eventId).get("reason").asText()).contains("binary mode").contains("cloudEvents:type is required")
                .doesNotContain("specversion");
        DeadLetters.take(rabbit, eventId);
    }

    @Test
    void dataThatIsNotJsonIsDeadLetteredSayingWhatItIs() {
        String eventId = unique("xml");
        publish("order_placed", "{\"specversion\":\"1.0\",\"id\":\"" + eventId + "\",\"type\":\"order_placed\",\"source\":\"/tests\","
                + "\"datacontenttype\":\"application/xml\",\"data\":\"<order/>\"}");

        await().atMost(WAIT).until(() -> deadLetterListed(eventId) != null);
        JsonNode letter = deadLetterListed(eventId);
        assertThat(letter.get("reason").asText()).contains("datacontenttype").contains("application/xml");
        assertThat(letter.get("type").asText()).isEqualTo("order_placed");
        DeadLetters.take(rabbit, eventId);
    }

    @Test
    void correlationIdThatWouldForgeALogLineIsNotWrittenAsIs() throws Exception {
        String orderId = unique("order");
        String forged = "x\n2026-11-25T12:00:00.000Z  INFO 1 --- [shop-events] [main] [] i.s.Security : FAKE-LINE-" + orderId
                + ": admin logged in";
        MessageProperties properties = new MessageProperties();
        properties.setCorrelationId(forged);
        rabbit.send("shop.events", "order_placed", new Message(cloudEvent(unique("event"), "order_placed",
                "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}").getBytes(StandardCharsets.UTF_8), properties));

        await().atMost(WAIT).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
        Path log = Path.of("target/logs/downstream-fidelity.log");
        await().atMost(WAIT).until(() -> Files.readString(log).contains("FAKE-LINE-" + orderId));
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).as("no line of the log begins with the forged text")
                .noneMatch(line -> line.startsWith("2026-11-25T12:00:00.000Z") && line.contains("FAKE-LINE-" + orderId));
        assertThat(lines.stream().filter(line -> line.contains("FAKE-LINE-" + orderId)))
                .allMatch(line -> line.contains("\\u000a2026-11-25T12:00:00.000Z"));
    }

    // --- helpers

    private static CloudEvent order(String orderId, String contentType) {
        return CloudEventBuilder.v1()
                .withId(UUID.randomUUID().toString())
                .withSource(URI.create("https://sdk.example/orders"))
                .withType("order_placed")
                .withSubject(orderId)
                .withTime(OffsetDateTime.now())
                .withDataContentType(contentType)
                .withData(("{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":12.5}").getBytes(StandardCharsets.UTF_8))
                .build();
    }

    /**
     * The event in the AMQP protocol binding's binary mode, written by the SDK's own reader: each
     * context attribute an application property "cloudEvents:<name>", the content type the
     * message's, the data the body.
     */
    private static Message binary(CloudEvent event) {
        MessageProperties properties = new MessageProperties();
        Map<String, Object> attributes = new HashMap<>();
        byte[][] body = new byte[1][];
        io.cloudevents.core.CloudEventUtils.toReader(event).read(specVersion -> {
            attributes.put("cloudEvents:specversion", specVersion.toString());
            return new CloudEventWriter<Void>() {
            @Override
            public CloudEventContextWriter withContextAttribute(String name, String value) throws CloudEventRWException {
                if ("datacontenttype".equals(name)) {
                    properties.setContentType(value);
                } else {
                    attributes.put("cloudEvents:" + name, value);
                }
                return this;
            }

            @Override
            public Void end(CloudEventData data) {
                body[0] = data.toBytes();
                return null;
            }

            @Override
            public Void end() {
                body[0] = new byte[0];
                return null;
            }
        };
        });
        attributes.forEach(properties::setHeader);
        return new Message(body[0], properties);
    }

    private String quoted(String text) {
        try {
            return mapper.writeValueAsString(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<MimeMessage> receivedFor(String recipient) {
        return Arrays.stream(greenMail.getReceivedMessages()).filter(m -> {
            try {
                return Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().equals(recipient));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    private static String part(MimeMessage mail, String type) throws Exception {
        MimeMultipart multipart = (MimeMultipart) mail.getContent();
        for (int i = 0; i < multipart.getCount(); i++) {
            if (multipart.getBodyPart(i).isMimeType(type)) {
                return multipart.getBodyPart(i).getContent().toString();
            }
        }
        throw new AssertionError("no " + type + " part");
    }
}
