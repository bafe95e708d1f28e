package io.shopevents;

import io.shopevents.support.AppProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * H2 serves one instance. A second instance on the same H2 file, or on an H2 file of its own while
 * the first consumes the subscriptions' queues, stops at start, saying what to do instead.
 */
class OneInstancePerH2IT {

    @Test
    void aSecondInstanceOnH2StopsAtStartSayingWhatToDo(@TempDir Path first, @TempDir Path second) throws Exception {
        try (AppProcess running = AppProcess.start("h2-first", Map.of("SHOP_DATADIR", first.toString()))) {
            String sameFile = refused(AppProcess.launch("h2-same-file", Map.of("SHOP_DATADIR", first.toString())));
            assertThat(sameFile).contains("The H2 database file is in use by another process")
                    .contains("Run one instance per H2 database, or give every instance the same PostgreSQL database");

            String ownFile = refused(AppProcess.launch("h2-own-file", Map.of("SHOP_DATADIR", second.toString())));
            assertThat(ownFile).contains("Another shop-events instance consumes shop.events.")
                    .contains("Run one instance per H2 database, or give every instance the same PostgreSQL database");

            assertThat(running.isAlive()).as("the first instance goes on").isTrue();
        }
    }

    /** Waits for the instance to give up starting; its log. */
    private static String refused(AppProcess app) throws Exception {
        await().atMost(Duration.ofSeconds(90)).until(() -> !app.isAlive());
        app.close();
        return Files.readString(app.log());
    }
}
