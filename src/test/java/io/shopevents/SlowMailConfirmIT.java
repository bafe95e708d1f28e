package io.shopevents;

import com.rabbitmq.client.GetResponse;
import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.Broker;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.SmtpRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A mail server that takes a mail whole and is slow to say so (its "250" to the end of the data
 * comes late): the welcome mail is never sent twice. A confirmation later than the other steps'
 * timeout (shop.mail.timeout, 1 s here) but within shop.mail.data-timeout (3 s here) is one mail;
 * one that does not come within it leaves the outcome unknown, so the event is dead-lettered as in
 * doubt, once, and not retried (the server may well have delivered it).
 */
class SlowMailConfirmIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final SmtpRelay relay = new SmtpRelay(greenMailPort(), address -> false);

    @Autowired
    private JdbcClient jdbc;

    static {
        applicationSmtpPort = relay.port();
    }

    @AfterEach
    void confirmAtOnceAgain() {
        relay.confirmAfter(Duration.ZERO);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void aConfirmationSlowerThanTheReadTimeoutButWithinTheDataTimeoutIsOneMail() {
        relay.confirmAfter(Duration.ofMillis(2000));
        String email = unique("slow") + "@example.com";

        String eventId = json(postJson("/api/users", user(email)).body()).get("eventId").asText();

        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        relay.confirmAfter(Duration.ZERO);
        assertOneMailAfterAMarker(email);
        assertThat(DeadLetters.takeIfPresent(rabbit, eventId)).as("sent, not in doubt").isEmpty();
    }

    @Test
    void aConfirmationThatNeverComesInTimeIsDeadLetteredInDoubtNotSentAgain() throws Exception {
        relay.confirmAfter(Duration.ofSeconds(6));
        String email = unique("doubt") + "@example.com";
        String answer = postJson("/api/users", user(email)).body();
        String eventId = json(answer).get("eventId").asText();

        GetResponse dead = DeadLetters.take(rabbit, eventId);

        assertThat(dead.getProps().getHeaders().get("x-exception-class").toString())
                .isEqualTo("io.shopevents.processor.MailInDoubtException");
        assertThat(dead.getProps().getHeaders().get("x-attempts").toString()).isEqualTo("1");
        assertThat(dead.getProps().getHeaders().get("x-exception-message").toString())
                .contains("may or may not have been delivered").contains("Message-ID");
        relay.confirmAfter(Duration.ZERO);
        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        assertOneMailAfterAMarker(email);
        assertThat(mailsTo(email).get(0).getHeader("Message-ID")[0]).startsWith("<welcome.").endsWith("@shop-events>");
    }

    @Test
    void aMailTheServiceStoppedWhileHandingItOverIsDeadLetteredInDoubtAndItsReplaySendsItOnce() {
        String email = unique("stopped") + "@example.com";
        String eventId = unique("stopped-event");
        // as a process stopped in the middle of handing this mail to the server would leave it
        jdbc.sql("""
                        INSERT INTO handovers (purpose, event_source, event_id, replays, started_at)
                        VALUES ('welcome-mail', '/tests', :id, 0, CURRENT_TIMESTAMP)""").param("id", eventId).update();

        publish("user_registered", cloudEvent(eventId, "user_registered", user(email)));

        await().atMost(WAIT).until(() -> deadLetterListed(eventId) != null);
        JsonNode letter = deadLetterListed(eventId);
        assertThat(letter.get("exceptionClass").asText()).isEqualTo("io.shopevents.processor.MailInDoubtException");
        assertThat(letter.get("reason").asText()).contains("when the service stopped").contains("Message-ID");
        assertOneMailAfterAMarker(email, 0);

        // the operator checked the mailbox: the replay is a send of its own
        HttpResponse<String> replay = postJson("/api/dead-letters/replay?subscription=welcome-mail",
                "{\"ids\":[\"" + letter.get("id").asText() + "\"]}");
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        await().atMost(WAIT).until(() -> mailsTo(email).size() == 1);
        assertOneMailAfterAMarker(email, 1);
    }

    /**
     * Once the welcome-mail subscription holds nothing (its queue and the retry queues are empty, so
     * a retried send would be waiting there), another user's mail goes out after it: by then a second
     * mail to this address would have too.
     */
    private void assertOneMailAfterAMarker(String email) {
        assertOneMailAfterAMarker(email, 1);
    }

    private void assertOneMailAfterAMarker(String email, int mails) {
        List<String> queues = new ArrayList<>(Broker.queuesMatching("shop\\.events\\.retry\\..+"));
        queues.add("shop.events.welcome-mail");
        await().atMost(WAIT).until(() -> Broker.messagesIn(queues) == 0);
        String marker = unique("marker") + "@example.com";
        assertThat(postJson("/api/users", user(marker)).statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(() -> mailsTo(marker).size() == 1);
        assertThat(mailsTo(email)).as(mails == 1 ? "one mail, not two" : "no mail").hasSize(mails);
    }

    private static String user(String email) {
        return "{\"userId\":\"" + email + "\",\"username\":\"User\",\"email\":\"" + email + "\"}";
    }
}
