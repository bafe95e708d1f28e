package io.shopevents;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.shopevents.support.Broker;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.HungSmtpServer;
import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The promise of one queue per subscription: while the SMTP server hangs (accepts connections and
 * never answers) or refuses connections, orders and payments are applied as if nothing happened;
 * the welcome mails wait, and each goes out exactly once when the server is back, with nothing
 * dead-lettered. The application's SMTP port here is one where, in turn, nothing answers, a hung
 * server listens, and finally a real SMTP server (GreenMail) starts.
 */
@TestPropertySource(properties = "shop.subscriptions.retry.max-attempts=12")
class SmtpOutageIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(SmtpOutageIT.class);
    private static final int OUTAGE_PORT = freePort();
    private static final int USERS = 20;
    private static final int ORDERS = 500;

    static {
        applicationSmtpPort = OUTAGE_PORT;
    }

    @Autowired
    private JdbcClient jdbc;

    @Test
    void smtpThatHangsDelaysOnlyTheWelcomeMails() {
        try (HungSmtpServer hung = new HungSmtpServer(OUTAGE_PORT)) {
            List<String> emails = whileSmtpIsDownOrdersAndPaymentsGoOn("hung");
            assertThat(hung.connections()).as("welcome mails were tried against the hung server").isPositive();
            hung.close();
            eachUserGetsExactlyOneMailOnceSmtpIsBack(emails);
        }
    }

    @Test
    void smtpThatRefusesConnectionsDelaysOnlyTheWelcomeMails() {
        // nothing listens on OUTAGE_PORT: every connection is refused
        List<String> emails = whileSmtpIsDownOrdersAndPaymentsGoOn("refused");
        eachUserGetsExactlyOneMailOnceSmtpIsBack(emails);
    }

    /** 20 users, then 500 orders and 500 payments: every order PAID while no mail can be sent. */
    private List<String> whileSmtpIsDownOrdersAndPaymentsGoOn(String name) {
        String run = unique(name);
        List<String> emails = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            String email = run + "-user-" + i + "@example.com";
            emails.add(email);
            assertThat(postJson("/api/users", "{\"userId\":\"" + run + "-" + i + "\",\"username\":\"User " + i
                    + "\",\"email\":\"" + email + "\"}").statusCode()).isEqualTo(202);
        }
        long started = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < ORDERS; i++) {
                String orderId = run + "-order-" + i;
                calls.add(clients.submit(() -> postJson("/api/orders",
                        "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":10.00}").statusCode()));
                calls.add(clients.submit(() -> postJson("/api/payments", "{\"paymentId\":\"" + orderId
                        + "-payment\",\"orderId\":\"" + orderId + "\",\"paymentAmount\":10.00}").statusCode()));
            }
            for (Future<Integer> call : calls) {
                assertThat(call.get(2, TimeUnit.MINUTES)).isEqualTo(202);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            clients.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> paidOrders(run) == ORDERS);
        log.info("SMTP {}: {} orders and {} payments posted and applied in {} ms; mails sent so far: none (no SMTP)",
                name, ORDERS, ORDERS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        assertThat(json(get("/api/orders/" + run + "-order-0").body()).get("status").asText()).isEqualTo("PAID");
        return emails;
    }

    private void eachUserGetsExactlyOneMailOnceSmtpIsBack(List<String> emails) {
        GreenMail smtp = new GreenMail(new ServerSetup(OUTAGE_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> emails.stream().allMatch(e -> mails(smtp, e) >= 1));
            // every retry and parked message has come back and been handled
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> Broker.messagesIn(List.of(
                    "shop.events.welcome-mail", "shop.events.retry.100ms", "shop.events.retry.200ms",
                    "shop.events.retry.400ms")) == 0);
            for (String email : emails) {
                assertThat(mails(smtp, email)).as("mails to " + email).isEqualTo(1);
                // a dead letter's body is the event, which holds the address
                assertThat(DeadLetters.takeIfPresent(rabbit, email)).as("dead letter for " + email).isEmpty();
            }
        } finally {
            smtp.stop();
        }
    }

    private long paidOrders(String run) {
        return jdbc.sql("""
                        SELECT COUNT(*) FROM orders o
                        WHERE o.order_id LIKE :run AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.order_id)""")
                .param("run", run + "-order-%").query(Long.class).single();
    }

    private static long mails(GreenMail smtp, String email) {
        return mailsTo(smtp, email).size();
    }
}
