package io.shopevents.support;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the webhook tests share: a route file with a subscription whose one step is a signed
 * webhook to the test's receiver ({@code {{test.receiver}}<path>}, secret under
 * shop.webhooks.test.secret), and the receiver's answer.
 */
public final class WebhookRoutes {

    private WebhookRoutes() {
    }

    /**
     * Writes routes/&lt;name&gt;.camel.yaml: subscription:&lt;name&gt; of these types, with more
     * subscription parameters and more webhook parameters ("key: value" each).
     */
    public static void write(Path routes, String name, String types, String path, List<String> subscriptionParameters,
                             List<String> webhookParameters) throws IOException {
        StringBuilder file = new StringBuilder();
        file.append("- route:\n    id: ").append(name).append("\n    from:\n      uri: subscription:").append(name)
                .append("\n      parameters:\n        types: ").append(types).append('\n');
        subscriptionParameters.forEach(p -> file.append("        ").append(p).append('\n'));
        file.append("      steps:\n        - to:\n            uri: signed-webhook:").append(name)
                .append("\n            parameters:\n              url: \"{{test.receiver}}").append(path).append("\"\n")
                .append("              secretProperty: shop.webhooks.test.secret\n");
        webhookParameters.forEach(p -> file.append("              ").append(p).append('\n'));
        Files.writeString(routes.resolve(name + ".camel.yaml"), file);
    }

    /** A receiver on a free loopback port, answering every call with this handler. */
    public static com.sun.net.httpserver.HttpServer startReceiver(com.sun.net.httpserver.HttpHandler handler) {
        try {
            com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.createContext("/", handler);
            server.start();
            return server;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Answers the call with this status and text (no body when the text is empty). */
    public static void answer(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }
}
