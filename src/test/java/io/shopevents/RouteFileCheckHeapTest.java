package io.shopevents;

import io.shopevents.routes.RouteFileCheck;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check a reload runs fits in a small heap: the Camel YAML DSL schema, compiled with every
 * reference loaded at once, needed about 260 MB, and a reload in a service started with 256 MB
 * died of OutOfMemoryError in the reload thread (which then stopped for good). Checked in a JVM
 * of its own with 128 MB, every shipped route file and example.
 */
class RouteFileCheckHeapTest {

    @Test
    void checkingEveryRouteFileFitsIn128MegabytesOfHeap() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), CheckAll.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes());
        assertThat(child.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("checked without problems");
    }

    /** Checks the files and exits 0 when none has a problem. */
    public static final class CheckAll {
        public static void main(String[] args) throws Exception {
            RouteFileCheck check = new RouteFileCheck();
            List<Path> files;
            try (Stream<Path> routes = Files.list(Path.of("routes")); Stream<Path> examples = Files.list(Path.of("examples"))) {
                files = Stream.concat(routes, examples).filter(f -> f.toString().endsWith(".camel.yaml")).toList();
            }
            for (Path file : files) {
                List<String> problems = check.problems(file);
                if (!problems.isEmpty()) {
                    System.out.println(problems);
                    System.exit(2);
                }
            }
            System.out.println(files.size() + " files checked without problems");
        }
    }
}
