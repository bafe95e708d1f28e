package io.shopevents.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What the harness's client sends, and what it learnt: each logical call (one event, or a batch)
 * with the events it carries, and its answers. A call without a definite answer (the process died,
 * the connection broke) is unknown; one with an Idempotency-Key is sent again until it has one.
 */
final class Calls {

    static final String KEY = "local-dev-key-0123456789";
    private static final ObjectMapper mapper = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One event a call carries: its type and the id of what it is about (order, payment, user or shipment). */
    static final class Item {
        final String type;
        final String dataId;
        final String data;
        /** 202, 4xx or 503 once answered; 0 while not known. */
        int status;
        String eventId;

        Item(String type, String dataId, String data) {
            this.type = type;
            this.dataId = dataId;
            this.data = data;
        }

        /** The welcome mail's address of a user_registered item. */
        String email() {
            return dataId + "@harness.example.com";
        }
    }

    /** One call: a single event (its path) or a batch (POST /api/events). */
    static final class Call {
        final String path;
        final List<Item> items;
        final String key;
        int sent;
        boolean answered;

        Call(String path, List<Item> items, String key) {
            this.path = path;
            this.items = items;
            this.key = key;
        }

        boolean batch() {
            return path.equals("/api/events");
        }

        String body() {
            if (!batch()) {
                return items.get(0).data;
            }
            List<String> events = new ArrayList<>();
            for (Item item : items) {
                events.add("{\"specversion\":\"1.0\",\"type\":\"" + item.type + "\",\"data\":" + item.data + "}");
            }
            return "[" + String.join(",", events) + "]";
        }
    }

    /** A new call of a random kind; ids unique to the run. */
    static Call random(Random random, String run, int n) {
        String key = random.nextInt(3) == 0 ? run + "-key-" + n : null;
        int kind = random.nextInt(10);
        if (kind < 2) {
            List<Item> items = new ArrayList<>();
            for (int i = 0, size = 1 + random.nextInt(15); i < size; i++) {
                items.add(item(random, run, n + "-" + i, random.nextInt(4)));
            }
            return new Call("/api/events", items, key);
        }
        Item item = item(random, run, String.valueOf(n), kind % 4);
        String path = switch (item.type) {
            case "order_placed" -> "/api/orders";
            case "payment_processed" -> "/api/payments";
            case "user_registered" -> "/api/users";
            default -> "/api/events/order_shipped";
        };
        return new Call(path, List.of(item), key);
    }

    private static Item item(Random random, String run, String n, int kind) {
        return switch (kind) {
            case 0 -> new Item("order_placed", run + "-o-" + n,
                    "{\"orderId\":\"" + run + "-o-" + n + "\",\"userId\":\"u\",\"orderTotal\":" + (1 + random.nextInt(100)) + ".5}");
            case 1 -> new Item("payment_processed", run + "-p-" + n,
                    "{\"paymentId\":\"" + run + "-p-" + n + "\",\"orderId\":\"" + run + "-o-x\",\"paymentAmount\":1.25}");
            case 2 -> {
                // now and then an address the mail server refuses for good (550): a dead letter, no mail
                String user = (random.nextInt(8) == 0 ? "refused-" : "") + run + "-u-" + n;
                yield new Item("user_registered", user, "{\"userId\":\"" + user + "\",\"username\":\"H\",\"email\":\""
                        + user + "@harness.example.com\"}");
            }
            default -> new Item("order_shipped", run + "-s-" + n, "{\"orderId\":\"" + run + "-s-" + n + "\",\"carrier\":\""
                    + (random.nextBoolean() ? "FLAKY" : "DHL") + "\",\"trackingCode\":\"JJD0001\"}");
        };
    }

    /** Sends the call once; records a definite answer, or leaves it unknown (no answer). */
    static void send(Call call, URI base) {
        call.sent++;
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(call.path))
                .header("Content-Type", call.batch() ? "application/cloudevents-batch+json" : "application/json")
                .header("X-API-Key", KEY)
                .timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(call.body()));
        if (call.key != null) {
            request.header("Idempotency-Key", call.key);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return; // no answer: the outcome is not known
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        int status = response.statusCode();
        if (status == 409 || status == 504) {
            return; // still under way (a retry of a call whose first run may still be going), or not known
        }
        call.answered = true;
        JsonNode body = json(response.body());
        if (!call.batch() || status != 200) {
            for (Item item : call.items) {
                item.status = status;
                item.eventId = status == 202 ? body.path("eventId").asText(null) : null;
            }
            return;
        }
        for (JsonNode outcome : body.get("events")) {
            Item item = call.items.get(outcome.get("index").asInt());
            item.status = outcome.get("status").asInt();
            item.eventId = outcome.path("eventId").asText(null);
        }
    }

    static JsonNode json(String body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }
}
