package io.shopevents;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every YAML file under routes/ parses with the Camel YAML DSL; a broken one fails the build
 * with its file name. (The integration tests then start all of them together.)
 */
class RouteFilesTest {

    static Stream<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @Test
    void routesFolderHasTheRouteFiles() throws IOException {
        assertThat(routeFiles().map(f -> f.getFileName().toString()))
                .contains("rest-api.yaml", "publish.yaml", "dispatch.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void routeFileLoads(Path file) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            try {
                load(context, file);
            } catch (Exception e) {
                fail("route file " + file + " does not load: " + e.getMessage(), e);
            }
            ModelCamelContext model = context;
            assertThat(model.getRouteDefinitions().size() + model.getRestDefinitions().size())
                    .as("routes and rests defined in " + file).isPositive();
        }
    }

    @Test
    void brokenRouteFileIsReportedByName(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("broken-route.yaml");
        Files.writeString(broken, """
                - route:
                    id: broken
                    from:
                      uri: direct:broken
                      steps:
                        - sendTo: log:typo
                """);
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            assertThatThrownBy(() -> load(context, broken))
                    .hasStackTraceContaining("broken-route.yaml");
        }
    }

    private static void load(DefaultCamelContext context, Path file) throws Exception {
        Resource resource = ResourceHelper.resolveMandatoryResource(context, "file:" + file);
        PluginHelper.getRoutesLoader(context).loadRoutes(resource);
    }
}
