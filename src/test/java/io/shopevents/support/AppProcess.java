package io.shopevents.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * The packaged application (the jar `./mvnw package` builds) in a process of its own, so a
 * test can kill it, stop it with SIGTERM and start it again on the same database.
 */
public final class AppProcess implements AutoCloseable {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;

    private AppProcess(Process process, int port, int managementPort, Path log) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /** Starts the jar with these environment variables (on top of free ports) and waits until it is ready. */
    public static AppProcess start(String name, Map<String, String> environment) {
        AppProcess app = launch(name, environment);
        try {
            // generous: ClusterIT restarts an instance while three broker nodes, the other instance and
            // the load share 2 cores, where Spring's start alone once took 33 s and the whole start 95 s
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!app.process.isAlive()) {
                    throw new IllegalStateException(name + " exited while starting; see " + app.log);
                }
                return app.ready();
            });
        } catch (RuntimeException e) {
            app.kill();
            throw e;
        }
        return app;
    }

    /**
     * Starts the jar with these environment variables (on top of a free SERVER_PORT and
     * MANAGEMENT_SERVER_PORT), without waiting for it.
     */
    public static AppProcess launch(String name, Map<String, String> environment) {
        int port = IntegrationTest.freePort();
        int managementPort = IntegrationTest.freePort();
        Path log = Path.of("target", "app-process", name + ".log");
        try {
            Files.createDirectories(log.getParent());
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", jar().toString()));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().putAll(environment);
            builder.environment().put("SERVER_PORT", String.valueOf(port));
            builder.environment().put("MANAGEMENT_SERVER_PORT", String.valueOf(managementPort));
            AppProcess app = new AppProcess(builder.start(), port, managementPort, log);
            // never leave it running behind the tests, whatever happens to them
            Runtime.getRuntime().addShutdownHook(new Thread(app.process::destroyForcibly));
            return app;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + (path.startsWith("/actuator") ? managementPort : port) + path);
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: the process gets no chance to finish anything. */
    public void kill() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
    }

    /** SIGTERM, as an orchestrator stops a container; returns the exit code once it has ended. */
    public int terminate(Duration within) {
        process.destroy();
        return waitForExit(within);
    }

    private int waitForExit(Duration within) {
        try {
            if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the application did not exit within " + within + "; see " + log);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Ready to take events: broker, database and Camel up (the SMTP server is not needed). */
    private boolean ready() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/actuator/health/readiness"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private static Path jar() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(f -> f.getFileName().toString().matches("shop-events-.*\\.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no packaged jar under target/: run ./mvnw verify"));
        }
    }
}
