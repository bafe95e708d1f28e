package io.shopevents;

import io.shopevents.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live route reloading, on a copy of routes/ in a temporary folder: saved changes take effect in
 * the running application; a file with an error is refused and the routes keep running.
 */
@ExtendWith(OutputCaptureExtension.class)
class RouteReloadIT extends IntegrationTest {

    private static final Duration RELOADED = Duration.ofSeconds(30);
    private static final Path routes = copyOfTheRoutes();

    @DynamicPropertySource
    static void reloadTheCopy(DynamicPropertyRegistry registry) {
        registry.add("shop.routes.dir", routes::toString);
        registry.add("shop.routes.reload", () -> "true");
    }

    @Test
    void newRouteFileTakesEffectWithoutRestart() {
        assertThat(get("/api/hello").statusCode()).isEqualTo(404);

        writeRoute("hello.yaml", helloRest("hello", "Hello!"));

        await().atMost(RELOADED).until(() -> get("/api/hello").statusCode() == 200);
        assertThat(get("/api/hello").body()).isEqualTo("Hello!");
        assertTheShippedRoutesStillWork();
    }

    @Test
    void editedRouteFileChangesWhatTheRouteDoes() {
        writeRoute("greeting.yaml", helloRest("greeting", "Hi"));
        await().atMost(RELOADED).until(() -> "Hi".equals(get("/api/greeting").body()));

        writeRoute("greeting.yaml", helloRest("greeting", "Good morning"));

        await().atMost(RELOADED).until(() -> "Good morning".equals(get("/api/greeting").body()));
    }

    @Test
    void fileWithAnErrorIsRefusedNamingFileAndLineAndTheRoutesKeepRunning(CapturedOutput output) {
        writeRoute("welcome.yaml", helloRest("welcome", "Welcome"));
        await().atMost(RELOADED).until(() -> "Welcome".equals(get("/api/welcome").body()));

        writeRoute("welcome.yaml", helloRest("welcome", "Changed").replace("setBody:", "setBdy:"));

        Path file = routes.resolve("welcome.yaml");
        await().atMost(RELOADED).until(() -> output.getOut().contains("Route file refused"));
        assertThat(output.getOut()).contains(file + ":10: ").contains("setBdy");
        assertThat(get("/api/welcome").body()).as("the route as it was").isEqualTo("Welcome");
        assertTheShippedRoutesStillWork();
    }

    @Test
    void fileThatFailsToStartIsRolledBack(CapturedOutput output) {
        writeRoute("farewell.yaml", helloRest("farewell", "Bye"));
        await().atMost(RELOADED).until(() -> "Bye".equals(get("/api/farewell").body()));

        // valid YAML DSL, but the bean does not exist: only starting the route finds out
        writeRoute("farewell.yaml", helloRest("farewell", "Bye").replace(
                "- setBody: { constant: \"Bye\" }", "- bean: { ref: noSuchBean }"));

        await().atMost(RELOADED).until(() -> output.getOut().contains("putting back the routes that ran before"));
        assertThat(output.getOut()).contains("noSuchBean");
        await().atMost(RELOADED).until(() -> "Bye".equals(get("/api/farewell").body()));
        assertTheShippedRoutesStillWork();
    }

    /** A GET endpoint answering a constant text: behaviour a test can see from outside. */
    private static String helloRest(String name, String answer) {
        return """
                - rest:
                    path: /api/%1$s
                    get:
                      - to: direct:%1$s
                - route:
                    id: %1$s
                    from:
                      uri: direct:%1$s
                      steps:
                        - setBody: { constant: "%2$s" }
                """.formatted(name, answer);
    }

    private void assertTheShippedRoutesStillWork() {
        String orderId = unique("order");
        assertThat(postJson("/api/orders", "{\"orderId\":\"" + orderId + "\",\"userId\":\"u\",\"orderTotal\":1}")
                .statusCode()).isEqualTo(202);
        await().atMost(RELOADED).until(() -> get("/api/orders/" + orderId).statusCode() == 200);
    }

    private static void writeRoute(String name, String content) {
        try {
            Files.writeString(routes.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path copyOfTheRoutes() {
        try {
            Path copy = Files.createTempDirectory("shop-events-routes");
            FileSystemUtils.copyRecursively(Path.of("routes"), copy);
            copy.toFile().deleteOnExit();
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
