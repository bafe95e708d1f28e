package io.shopevents.support;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;

/**
 * The PostgreSQL server of the machine (127.0.0.1:5432, database test, user postgres, trust auth),
 * for tests of several instances on one database. Without one such a test is skipped, except
 * under CI (CI=true), where it must run.
 */
public final class Postgres {

    public static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";

    private Postgres() {
    }

    public static void assumeRunning() {
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(answers(), "no PostgreSQL at 127.0.0.1:5432");
        }
    }

    /** A new schema of its own, for one test's instances; drop it with {@link #drop}. */
    public static String newSchema(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** The environment that points a packaged instance at this schema. */
    public static Map<String, String> environment(String schema) {
        return Map.of("SPRING_DATASOURCE_URL", URL + "?currentSchema=" + schema,
                "SPRING_DATASOURCE_USERNAME", "postgres",
                "SPRING_DATASOURCE_PASSWORD", "",
                "SPRING_FLYWAY_SCHEMAS", schema);
    }

    public static void drop(String schema) {
        try (var connection = DriverManager.getConnection(URL, "postgres", "");
             var statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", 5432), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
