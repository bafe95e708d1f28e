package io.shopevents;

import io.shopevents.routes.RouteFileCheck;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The build-time check of every YAML file under routes/: valid against the Camel YAML DSL JSON
 * Schema and loadable by Camel. A broken file fails `./mvnw verify` naming the file and line.
 * (The integration tests then start all of them together.)
 */
class RouteFilesTest {

    private static final RouteFileCheck check = new RouteFileCheck();

    static Stream<Path> routeFiles() throws IOException {
        // the shipped routes, and the examples the README tells integrators to copy into routes/
        try (Stream<Path> routes = Files.list(Path.of("routes")); Stream<Path> examples = Files.list(Path.of("examples"))) {
            return Stream.concat(routes, examples)
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList().stream();
        }
    }

    @Test
    void routesFolderHasTheRouteFiles() throws IOException {
        assertThat(routeFiles().map(f -> f.getFileName().toString())).contains("rest-api.camel.yaml",
                "publish.camel.yaml", "order-status.camel.yaml", "payment-status.camel.yaml", "welcome-mail.camel.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void routeFileIsNamedAsCamelToolingExpects(Path file) {
        // Kaoto and the Camel tooling for VS Code open *.camel.yaml; the application loads only those
        assertThat(file.getFileName().toString()).endsWith(".camel.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void everyRouteHasAnExplicitId(Path file) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context, "file:" + file));
            assertThat(context.getRouteDefinitions()).allSatisfy(route ->
                    assertThat(route.hasCustomIdAssigned()).as("route from " + route.getInput().getUri() + " has an id").isTrue());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void routeFileIsValid(Path file) throws Exception {
        assertThat(check.problems(file)).as("problems of " + file).isEmpty();
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context, "file:" + file));
            assertThat(context.getRouteDefinitions().size() + context.getRestDefinitions().size())
                    .as("routes and rests defined in " + file).isPositive();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void routeFileNamesTheSchemaForEditors(Path file) throws IOException {
        assertThat(Files.readAllLines(file).get(0)).startsWith("# yaml-language-server: $schema=");
    }

    @Test
    void unknownStepIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-step.yaml", """
                - route:
                    id: broken
                    from:
                      uri: direct:broken
                      steps:
                        - sendTo: log:typo
                """);

        assertThat(check.problems(broken)).singleElement().asString()
                .startsWith(broken + ":6: ").contains("sendTo");
    }

    @Test
    void misspelledOptionIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-option.yaml", """
                - route:
                    id: broken
                    from:
                      uri: direct:broken
                      steps:
                        - log: hello
                        - setHeader: { name: x, constan: "1" }
                """);

        assertThat(check.problems(broken)).singleElement().asString()
                .startsWith(broken + ":7: ").contains("constan");
    }

    @Test
    void valueOfTheWrongTypeIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-type.yaml", """
                - route:
                    id: broken
                    from:
                      uri: direct:broken
                      steps:
                        - log: { message: hello, loggingLevel: LOUD }
                """);

        List<String> problems = check.problems(broken);
        assertThat(problems).isNotEmpty().allMatch(p -> p.startsWith(broken + ":6: "));
        assertThat(String.join("\n", problems)).contains("loggingLevel");
    }

    @Test
    void brokenIndentationIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-yaml.yaml", """
                - route:
                    id: broken
                    from:
                      uri: direct:broken
                      steps:
                        - to: log:x
                       - log: "one space short"
                """);

        assertThat(check.problems(broken)).singleElement().asString()
                .startsWith(broken + ": is not valid YAML").contains("line 7");
    }

    @Test
    void keyGivenTwiceIsReportedWithBothLines(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "twice.yaml", """
                - route:
                    id: twice
                    from:
                      uri: subscription:twice?types=order_placed
                      parameters:
                        consumers: 2
                        consumers: 4
                      steps:
                        - to: log:x
                """);

        assertThat(check.problems(broken)).singleElement().asString()
                .isEqualTo(broken + ": is not valid YAML: the key 'consumers' appears twice in one mapping, on lines 6 and 7");
    }

    @Test
    void badSubscriptionFilterIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-filter.yaml", """
                - route:
                    id: broken
                    from:
                      uri: subscription:broken
                      parameters:
                        types: order_placed
                        filter: "source LIKE '%shop-eu%' AND AND type = 'x'"
                      steps:
                        - log: hello
                """);

        assertThat(check.problems(broken)).singleElement().asString()
                .startsWith(broken + ":7: ").contains("CloudEvents SQL");
    }

    @Test
    void badRateLimitRetryDelaysAndPauseAreReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-pace.yaml", """
                - route:
                    id: broken
                    from:
                      uri: subscription:broken
                      parameters:
                        types: order_placed
                        rateLimit: fast
                        retryDelays: 1s,0s
                        pauseAfter: soon
                      steps:
                        - log: hello
                """);

        assertThat(check.problems(broken)).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).startsWith(broken + ":7: ").contains("rateLimit").contains("10/s"),
                p -> assertThat(p).startsWith(broken + ":8: ").contains("retryDelays"),
                p -> assertThat(p).startsWith(broken + ":9: ").contains("pauseAfter").contains("'soon'"));
    }

    @Test
    void badNumbersAndDurationsWithoutUnitAreReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-numbers.yaml", """
                - route:
                    id: broken
                    from:
                      uri: subscription:broken
                      parameters:
                        types: order_placed
                        pauseAfterFailures: abc
                        maxAttempts: 1.5
                        batchWait: 0
                        consumers: -1
                        pauseAfter: 30m,1h
                        retryDelays: 10
                      steps:
                        - log: hello
                """);

        assertThat(check.problems(broken)).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).startsWith(broken + ":7: ").contains("pauseAfterFailures is a whole number from 0").contains("'abc'"),
                p -> assertThat(p).startsWith(broken + ":8: ").contains("maxAttempts is a whole number from 1").contains("'1.5'"),
                p -> assertThat(p).startsWith(broken + ":9: ").contains("batchWait").contains("(ms)"),
                p -> assertThat(p).startsWith(broken + ":10: ").contains("consumers").contains("'-1'"),
                p -> assertThat(p).startsWith(broken + ":11: ").contains("pauseAfter is one duration").contains("'30m,1h'"),
                p -> assertThat(p).startsWith(broken + ":12: ").contains("'10' needs a unit (such as 10s or 10ms)"));
    }

    @Test
    void badJqInTheUriOrInAStepIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-jq.yaml", """
                - route:
                    id: broken
                    from:
                      uri: "subscription:broken?types=order_placed&jq=.data.orderTotal >>> 1000"
                      steps:
                        - filter:
                            jq: ".data.orderTotal > "
                            steps:
                              - transform:
                                  jsonpath: "$.data[?(@.orderTotal > 1000)"
                """);

        assertThat(check.problems(broken)).satisfiesExactly(
                first -> assertThat(first).startsWith(broken + ":4: ").contains("jq '.data.orderTotal >>> 1000'"),
                second -> assertThat(second).startsWith(broken + ":7: ").contains("jq '.data.orderTotal > '"),
                third -> assertThat(third).startsWith(broken + ":10: ").contains("jsonpath"));
    }

    @Test
    void badFilterAndJqOfTheKameletAreReportedOnceEachWithFileAndLine(@TempDir Path dir) throws IOException {
        Path broken = write(dir, "broken-kamelet.yaml", """
                - route:
                    id: broken
                    from:
                      uri: kamelet:shop-subscription-source
                      parameters:
                        name: broken
                        types: order_placed
                        filter: "source LIKE"
                        jq: ".data.["
                      steps:
                        - log: hello
                """);

        assertThat(check.problems(broken)).satisfiesExactly(
                first -> assertThat(first).startsWith(broken + ":8: ").contains("CloudEvents SQL"),
                second -> assertThat(second).startsWith(broken + ":9: ").contains("jq '.data.['"));
    }

    @Test
    void validContentExpressionsPass(@TempDir Path dir) throws IOException {
        Path fine = write(dir, "content.yaml", """
                - route:
                    id: content
                    from:
                      uri: subscription:content
                      parameters:
                        types: order_placed
                        filter: "source LIKE '%shop-eu%' AND type IN ('order_placed', 'payment_processed')"
                        jq: ".data.orderTotal > 1000"
                      steps:
                        - choice:
                            when:
                              - jsonpath: "$.data[?(@.orderTotal > 5000)]"
                                steps:
                                  - transform: { jq: "{order: .data.orderId, total: .data.orderTotal}" }
                """);

        assertThat(check.problems(fine)).isEmpty();
    }

    private static Path write(Path dir, String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }
}
