package io.shopevents;

import io.shopevents.support.AppProcess;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ready means ready: the packaged application, asked for an order from the moment it is
 * launched, answers nothing (port closed), or 503 with Retry-After while it starts, and then the
 * order's own 404; never the web server's "No static resource" for a path that is about to
 * exist. And it starts quietly: no generated password in its log.
 */
class StartupIT {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private static final String LOCAL_KEY = "local-dev-key-0123456789";

    @Test
    void whileItStartsTheApiAnswers503NeverA404ForAPathAboutToExist(@org.junit.jupiter.api.io.TempDir Path data) throws Exception {
        List<String> answers = new ArrayList<>();
        try (AppProcess app = AppProcess.launch("startup", Map.of("SHOP_DATADIR", data.toString()))) {
            URI order = app.uri("/api/orders/no-such-order");
            Instant deadline = Instant.now().plusSeconds(90);
            while (Instant.now().isBefore(deadline)) {
                String answer = ask(order);
                if (answers.isEmpty() || !answers.get(answers.size() - 1).equals(answer)) {
                    answers.add(answer);
                }
                if (answer.startsWith("404 ")) {
                    break;
                }
            }
            assertThat(answers).as("answers while starting, in order").last().asString()
                    .startsWith("404 ").contains("no order with id 'no-such-order'");
            assertThat(answers).allMatch(a -> a.equals("no answer") || a.startsWith("503 retry-after=1 ")
                    || (a.startsWith("404 ") && a.contains("no order with id")));
            assertThat(Files.readString(app.log())).doesNotContain("Using generated security password");
        }
    }

    /** "404 <body>", "503 retry-after=<s> <body>", or "no answer" (the port is not open yet). */
    private static String ask(URI uri) throws InterruptedException {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).header("X-API-Key", LOCAL_KEY)
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + (response.statusCode() == 503
                    ? " retry-after=" + response.headers().firstValue("Retry-After").orElse("none") : "") + " " + response.body();
        } catch (ConnectException e) {
            return "no answer";
        } catch (IOException e) {
            return "no answer";
        }
    }
}
