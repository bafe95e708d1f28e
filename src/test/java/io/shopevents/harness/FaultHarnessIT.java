package io.shopevents.harness;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.Postgres;
import io.shopevents.support.RouteFolders;
import io.shopevents.support.SmtpRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Randomized runs of calls and faults against the packaged application ({@link FaultHarness}),
 * checking every promise of "exactly once" afterwards. CI runs a few fixed seeds; for longer:
 * <pre>
 *   ./mvnw verify -Dit.test=FaultHarnessIT -Dharness.minutes=30     # random seeds for 30 minutes
 *   ./mvnw verify -Dit.test=FaultHarnessIT -Dharness.seeds=42       # one seed again (a failure names it)
 * </pre>
 * It needs PostgreSQL (the database is read while the application runs), as CI has.
 */
class FaultHarnessIT {

    private static GreenMail mail;
    private static SmtpRelay relay;
    private static Path routes;

    @BeforeAll
    static void mailServerAndRoutes() {
        Postgres.assumeRunning();
        int port = IntegrationTest.freePort();
        mail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        relay = new SmtpRelay(port, address -> address.contains("refused-"));
        routes = RouteFolders.copyOfTheRoutes("harness");
        try {
            // a subscription whose downstream fails twice for some events, then takes them
            Files.writeString(routes.resolve("test-harness-flaky.camel.yaml"), """
                    - route:
                        id: test-harness-flaky
                        from:
                          uri: subscription:test-harness-flaky
                          parameters:
                            types: order_shipped
                          steps:
                            - filter:
                                simple: "${body.data.path('carrier').asText()} == 'FLAKY' && ${header.attempt} < 3"
                                steps:
                                  - throwException:
                                      exceptionType: java.lang.IllegalStateException
                                      message: the downstream hiccuped
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
        if (mail != null) {
            mail.stop();
        }
    }

    @Test
    void everyPromiseHoldsWhateverFaultsComeInWhateverOrder() {
        int steps = Integer.getInteger("harness.steps", 60);
        int minutes = Integer.getInteger("harness.minutes", 0);
        List<String> summaries = new ArrayList<>();
        if (minutes > 0) {
            Instant end = Instant.now().plus(Duration.ofMinutes(minutes));
            Random seeds = new Random();
            while (Instant.now().isBefore(end)) {
                summaries.add(runOnce(seeds.nextLong(), steps));
            }
        } else {
            for (long seed : seeds()) {
                summaries.add(runOnce(seed, steps));
            }
        }
        System.out.println("FaultHarnessIT: " + summaries.size() + " runs\n  " + String.join("\n  ", summaries));
    }

    private static String runOnce(long seed, int steps) {
        try (FaultHarness harness = new FaultHarness(seed, routes, relay, mail)) {
            harness.run(steps);
            harness.verify();
            return harness.summary();
        }
    }

    /** The fixed seeds CI runs, or those of -Dharness.seeds. */
    private static List<Long> seeds() {
        String given = System.getProperty("harness.seeds", "11,23,37");
        return Arrays.stream(given.split(",")).map(String::strip).map(Long::parseLong).toList();
    }
}
