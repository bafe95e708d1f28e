package io.shopevents;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.ActiveProfiles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The subscriptions suite once more with PostgreSQL as the store (127.0.0.1:5432, database test,
 * schema shop_events). Without a PostgreSQL server it is skipped, except under CI (CI=true),
 * where a missing database fails the build.
 */
@ActiveProfiles({"test", "postgres"})
class PostgresSubscriptionsIT extends SubscriptionsIT {

    @BeforeAll
    static void postgresIsThere() {
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(answers("127.0.0.1", 5432), "no PostgreSQL at 127.0.0.1:5432");
        }
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
