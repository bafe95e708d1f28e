package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.SmtpRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A permanent failure is not retried: the mail server refuses one address for good (550), so
 * that user's event is dead-lettered after exactly one attempt, naming welcome-mail and the
 * server's answer, while the other users' mails go out. The application's SMTP server is a relay
 * in front of GreenMail that refuses that one address.
 */
class SmtpRefusalIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final SmtpRelay relay = new SmtpRelay(greenMailPort(), address -> address.contains("refused-"));

    static {
        applicationSmtpPort = relay.port();
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void addressTheServerRefusesIsDeadLetteredAfterOneAttemptWhileOthersGetTheirMail() {
        String refused = unique("refused") + "@example.com";
        List<String> welcome = List.of(unique("ann") + "@example.com", unique("bob") + "@example.com");
        assertThat(postJson("/api/users", user(welcome.get(0))).statusCode()).isEqualTo(202);
        assertThat(postJson("/api/users", user(refused)).statusCode()).isEqualTo(202);
        assertThat(postJson("/api/users", user(welcome.get(1))).statusCode()).isEqualTo(202);

        await().atMost(WAIT).until(() -> welcome.stream().allMatch(email -> mailsTo(email).size() == 1));
        await().atMost(WAIT).until(() -> letterFor(refused) != null);
        JsonNode letter = letterFor(refused);
        assertThat(letter.get("subscription").asText()).isEqualTo("welcome-mail");
        assertThat(letter.get("attempts").asInt()).isEqualTo(1);
        assertThat(letter.get("exceptionClass").asText()).isEqualTo("io.shopevents.processor.MailRejectedException");
        assertThat(letter.get("reason").asText()).contains("refused").contains("550");
        assertThat(relay.recipients().stream().filter(r -> r.contains(refused))).as("RCPT TO for the refused address")
                .hasSize(1);
        assertThat(mailsTo(refused)).isEmpty();
        io.shopevents.support.DeadLetters.take(rabbit, refused);
    }

    private JsonNode letterFor(String email) {
        // the reason names the user, whose id here is the address
        return StreamSupport.stream(json(get("/api/dead-letters?subscription=welcome-mail&limit=1000").body())
                        .get("deadLetters").spliterator(), false)
                .filter(l -> l.path("reason").asText().contains(email))
                .findFirst().orElse(null);
    }

    private static String user(String email) {
        return "{\"userId\":\"" + email + "\",\"username\":\"User\",\"email\":\"" + email + "\"}";
    }
}
