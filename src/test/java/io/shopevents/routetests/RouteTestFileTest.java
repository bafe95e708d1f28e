package io.shopevents.routetests;

import io.shopevents.routetests.RouteTestFile.InvalidRouteTestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading route test files: every test and step with its line; a broken file refused with file and line. */
class RouteTestFileTest {

    @TempDir
    Path folder;

    @Test
    void theShippedFilesAreRead() throws IOException {
        try (Stream<Path> files = Stream.concat(Files.list(Path.of("routes/tests")), Files.list(Path.of("examples/tests")))) {
            List<RouteTestFile> read = files.filter(p -> p.toString().endsWith(".yaml")).map(RouteTestFile::read).toList();
            assertThat(read).hasSizeGreaterThanOrEqualTo(5).allSatisfy(file -> assertThat(file.cases()).isNotEmpty());
        }
    }

    @Test
    void stepsKeepTheirLinesAndValues() throws IOException {
        Path file = write("""
                tests:
                  - name: paid
                    within: 500ms
                    send:
                      - post: /api/orders
                        body: { orderId: "${order}", orderTotal: 59.90, count: 2 }
                    expect:
                      - get: /api/orders/${order}
                """);
        RouteTestFile.Case test = RouteTestFile.read(file).cases().get(0);
        assertThat(test.location().line()).isEqualTo(2);
        assertThat(test.within()).isEqualTo(Duration.ofMillis(500));
        assertThat(test.send().get(0).location().toString()).isEqualTo(file.toString().replace('\\', '/') + ":5");
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) test.send().get(0).fields().get("body");
        assertThat(body).containsEntry("orderTotal", new BigDecimal("59.90")).containsEntry("count", 2L);
        assertThat(test.expect().get(0).location().line()).isEqualTo(8);
    }

    @Test
    void yamlSpellingsOfBooleansAndNumbersAreReadAsYamlMeansThem() throws IOException {
        Path file = write("""
                tests:
                  - name: spellings
                    send:
                      - post: /api/x
                        body: { a: yes, b: off, c: 0x1F, d: "007", e: 007 }
                    expect:
                      - log: x
                """);
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) RouteTestFile.read(file).cases().get(0).send().get(0).fields().get("body");
        assertThat(body).containsEntry("a", true).containsEntry("b", false).containsEntry("c", "0x1F")
                .containsEntry("d", "007");
        assertThat(body.get("e")).isInstanceOf(Number.class);
    }

    @Test
    void anUnknownStepIsRefusedWithItsLine() throws IOException {
        Path file = write("""
                tests:
                  - name: a typo
                    expect:
                      - gett: /api/orders/1
                """);
        assertThatThrownBy(() -> RouteTestFile.read(file)).isInstanceOf(InvalidRouteTestException.class)
                .hasMessage(file.toString().replace('\\', '/') + ":4: a step starts with one of "
                        + "[deadLetter, get, log, mail, webhook], not 'gett'");
    }

    @Test
    void anUnknownFieldIsRefusedWithItsLine() throws IOException {
        Path file = write("""
                tests:
                  - name: a typo
                    expect:
                      - get: /api/orders/1
                        staus: 200
                """);
        assertThatThrownBy(() -> RouteTestFile.read(file)).hasMessageStartingWith(file.toString().replace('\\', '/') + ":5: 'staus' is not one of");
    }

    @Test
    void aTestWithoutExpectationsAndABadDurationAreRefused() throws IOException {
        Path noExpect = write("tests:\n  - name: nothing\n");
        assertThatThrownBy(() -> RouteTestFile.read(noExpect)).hasMessageContaining(":2: a test has a 'name' and an 'expect' list");
        Path badWithin = write("tests:\n  - name: slow\n    within: soon\n    expect: []\n");
        assertThatThrownBy(() -> RouteTestFile.read(badWithin)).hasMessageContaining(":3: within is a duration such as 5s or 500ms, not 'soon'");
    }

    private Path write(String text) throws IOException {
        Path file = Files.createTempFile(folder, "test", ".yaml");
        Files.writeString(file, text);
        return file;
    }
}
