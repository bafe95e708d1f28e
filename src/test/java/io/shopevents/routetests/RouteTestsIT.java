package io.shopevents.routetests;

import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import io.shopevents.support.RouteFolders;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The route tests written in YAML (routes/tests/*.yaml, examples/tests/*.yaml; README.md "Testing
 * a route change"), run against the whole application: the real broker, GreenMail, the database
 * and a webhook receiver in this JVM. One file only:
 * {@code ./mvnw verify -Dit.test=RouteTestsIT -Droute.tests=routes/tests/order-status.yaml}.
 */
@DirtiesContext
class RouteTestsIT extends IntegrationTest {

    /** The files to run: -Droute.tests (files or folders, comma-separated), else the shipped ones. */
    private static final List<RouteTestFile> files = filesToRun(System.getProperty("route.tests", "routes/tests,examples/tests"));
    private static final WebhookReceiver receiver = new WebhookReceiver();
    /** Attached once the application has started: its logging set-up replaces what came before. */
    private static LogLines logs;
    /** routes/ as shipped, and the route files a test file names under 'routes' (an example's). */
    private static final Path routes = routesUnderTest();

    private static CamelContext camel;

    @Autowired
    void camel(CamelContext context) {
        camel = context;
    }

    @DynamicPropertySource
    static void routesAndTheirProperties(DynamicPropertyRegistry registry) {
        registry.add("shop.routes.dir", routes::toString);
        Map<String, String> properties = new HashMap<>();
        for (RouteTestFile file : files) {
            file.properties().forEach((key, value) -> {
                String resolved = (String) RouteTestRunner.resolve(value, new HashMap<>(), receiver.baseUrl());
                String before = properties.putIfAbsent(key, resolved);
                if (before != null && !before.equals(resolved)) {
                    throw new IllegalStateException(file.path() + ": property " + key + " is set differently by another route test file");
                }
            });
        }
        properties.forEach((key, value) -> registry.add(key, () -> value));
    }

    @TestFactory
    Stream<DynamicNode> routeTests() {
        RouteTestRunner runner = runner();
        return files.stream().map(file -> DynamicContainer.dynamicContainer(file.path().toString(), file.path().toUri(),
                file.cases().stream().map(test -> DynamicTest.dynamicTest(test.name(),
                        URI.create(file.path().toUri() + "?line=" + test.location().line()), () -> runner.run(test)))));
    }

    /** Test the test kit: an expectation that does not hold fails, naming its file and line. */
    @Test
    void aWrongExpectationFailsNamingItsFileAndLine() throws IOException {
        Path fixture = Path.of("src/test/resources/route-tests/wrong-status.yaml");
        int line = lineOf(fixture, "- get:");
        RouteTestFile file = RouteTestFile.read(fixture);

        assertThatThrownBy(() -> runner().run(file.cases().get(0)))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("src/test/resources/route-tests/wrong-status.yaml:" + line + ": GET /api/orders/order-")
                .hasMessageContaining("/status is \"PLACED\", expected PAID");
    }

    /** ...and one that holds passes: the same file with the right status. */
    @Test
    void aRightExpectationPasses() throws IOException {
        Path fixture = Path.of("src/test/resources/route-tests/wrong-status.yaml");
        Path right = Files.createTempFile(Path.of("target"), "right-status", ".yaml");
        Files.writeString(right, Files.readString(fixture).replace("status: PAID", "status: PLACED"));
        runner().run(RouteTestFile.read(right).cases().get(0));
    }

    @AfterAll
    static void removeTheExamplesSubscriptions() throws Exception {
        Set<String> shipped = subscriptionsIn(List.of(Path.of("routes")));
        Set<String> added = subscriptionsIn(List.of(routes));
        added.removeAll(shipped);
        for (String name : added) {
            for (Route route : camel.getRoutes()) {
                if (route.getEndpoint().getEndpointUri().startsWith("subscription://" + name)) {
                    camel.getRouteController().stopRoute(route.getRouteId());
                }
            }
            Broker.deleteQueue("shop.events." + name);
        }
        receiver.stop();
    }

    private synchronized RouteTestRunner runner() {
        if (logs == null) {
            logs = LogLines.attach();
        }
        return new RouteTestRunner(this::sendWithKey, URI.create("http://127.0.0.1:" + port), ALL_SCOPES_KEY, rabbit, greenMail, receiver, logs, mapper);
    }

    private static List<RouteTestFile> filesToRun(String paths) {
        List<RouteTestFile> files = new ArrayList<>();
        for (String entry : paths.split(",")) {
            Path path = Path.of(entry.strip());
            if (Files.isDirectory(path)) {
                try (Stream<Path> listed = Files.list(path)) {
                    listed.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(p -> files.add(RouteTestFile.read(p)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (Files.isRegularFile(path)) {
                files.add(RouteTestFile.read(path));
            } else {
                throw new IllegalArgumentException("route.tests: no such file or folder: " + path.toAbsolutePath());
            }
        }
        return files;
    }

    private static Path routesUnderTest() {
        Path copy = RouteFolders.copyOfTheRoutes("route-tests");
        for (RouteTestFile file : files) {
            for (String route : file.routes()) {
                Path source = file.path().toAbsolutePath().getParent().resolve(route).normalize();
                try {
                    // the same file when the test was copied to routes/tests/ beside its route
                    Files.copy(source, copy.resolve(source.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new UncheckedIOException(file.path() + ": routes: " + route, e);
                }
            }
        }
        return copy;
    }

    private static Set<String> subscriptionsIn(List<Path> folders) throws IOException {
        Set<String> names = new TreeSet<>();
        io.shopevents.routes.RouteFileCheck check = new io.shopevents.routes.RouteFileCheck();
        for (Path folder : folders) {
            try (Stream<Path> listed = Files.list(folder)) {
                for (Path file : listed.filter(p -> p.toString().endsWith(".camel.yaml")).toList()) {
                    // by subscription: or through the Kamelet, as the service reads them
                    names.addAll(check.contents(Files.readString(file)).subscriptions().keySet());
                }
            }
        }
        return names;
    }

    private static int lineOf(Path file, String text) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new IllegalStateException(text + " is not in " + file);
    }
}
