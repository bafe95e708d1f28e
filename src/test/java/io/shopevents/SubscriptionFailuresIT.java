package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.shopevents.event.CloudEvent;
import io.shopevents.subscription.PermanentFailureException;
import io.shopevents.support.DeadLetters;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retries on the broker, dead letters per subscription and their replay, consumers that really
 * run in parallel: shown with subscriptions made for the test (their queues are deleted after it).
 */
@TestPropertySource(properties = {
        "shop.custom-events.types=order_shipped,parcel_lost,parcel_damaged",
        "shop.custom-events.schema-dir=src/test/resources/custom-schemas"})
@Import(SubscriptionFailuresIT.TestSubscriptions.class)
class SubscriptionFailuresIT extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** What each test subscription's steps saw: event id, attempt, thread, time. */
    record Seen(String eventId, int attempt, String thread, long nanos) {
    }

    private static final Map<String, List<Seen>> seen = new ConcurrentHashMap<>();
    /** Events test-replay-a refuses for good (a permanent failure) while their id is in here. */
    private static final Set<String> refusedByA = ConcurrentHashMap.newKeySet();
    private static final CountDownLatch allThreeAtOnce = new CountDownLatch(3);

    @TestConfiguration
    static class TestSubscriptions {
        @Bean
        RouteBuilder testSubscriptions() {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    // fails the first two attempts of events whose id starts with "flaky-"
                    from("subscription:test-flaky?types=order_shipped").routeId("test-flaky").process(exchange -> {
                        CloudEvent event = exchange.getMessage().getBody(CloudEvent.class);
                        int attempt = exchange.getMessage().getHeader("attempt", Integer.class);
                        record("test-flaky", event, attempt);
                        if (event.id().startsWith("flaky-") && attempt < 3) {
                            throw new IllegalStateException("the downstream hiccuped (attempt " + attempt + ")");
                        }
                    });
                    // two subscriptions of one type: a refuses what it is told to, b takes everything
                    from("subscription:test-replay-a?types=parcel_damaged").routeId("test-replay-a").process(exchange -> {
                        CloudEvent event = exchange.getMessage().getBody(CloudEvent.class);
                        record("test-replay-a", event, 1);
                        if (refusedByA.contains(event.id())) {
                            throw new PermanentFailureException("test-replay-a refuses " + event.id());
                        }
                    });
                    from("subscription:test-replay-b?types=parcel_damaged").routeId("test-replay-b").process(exchange ->
                            record("test-replay-b", exchange.getMessage().getBody(CloudEvent.class), 1));
                    // three consumers: each waits until all three are in at once
                    from("subscription:test-parallel?types=parcel_lost&consumers=3&prefetch=1").routeId("test-parallel")
                            .process(exchange -> {
                                allThreeAtOnce.countDown();
                                if (allThreeAtOnce.await(20, TimeUnit.SECONDS)) {
                                    record("test-parallel", exchange.getMessage().getBody(CloudEvent.class), 1);
                                }
                            });
                }
            };
        }

        private static void record(String subscription, CloudEvent event, int attempt) {
            seen.computeIfAbsent(subscription, s -> new CopyOnWriteArrayList<>())
                    .add(new Seen(event.id(), attempt, Thread.currentThread().getName(), System.nanoTime()));
        }
    }

    @Autowired
    private MeterRegistry meters;

    @Test
    void transientFailureWaitsOnTheBrokerWhileTheSubscriptionGoesOn() {
        String flaky = unique("flaky");
        List<String> others = new ArrayList<>();
        publish("order_shipped", shipped(flaky));
        for (int i = 0; i < 5; i++) {
            others.add(unique("steady"));
            publish("order_shipped", shipped(others.get(i)));
        }

        await().atMost(WAIT).until(() -> seenBy("test-flaky", flaky).size() == 3);
        List<Seen> tries = seenBy("test-flaky", flaky);
        // the attempt count travels on the message (x-attempts), not in the consumer's memory
        assertThat(tries).extracting(Seen::attempt).containsExactly(1, 2, 3);
        // the broker held it for the retry delays (100 ms, then 200 ms); no thread waited for it
        assertThat(tries.get(1).nanos() - tries.get(0).nanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(tries.get(2).nanos() - tries.get(1).nanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        // its one consumer took the events behind it meanwhile
        await().atMost(WAIT).until(() -> others.stream().allMatch(id -> seenBy("test-flaky", id).size() == 1));
        for (String other : others) {
            assertThat(seenBy("test-flaky", other).get(0).nanos()).as(other + " taken before the retry")
                    .isLessThan(tries.get(1).nanos());
        }
        assertThat(seen.get("test-flaky")).extracting(Seen::thread).containsOnly("test-flaky-1");
        assertThat(DeadLetters.takeIfPresent(rabbit, flaky)).isEmpty();
    }

    @Test
    void replayReachesOnlyTheSubscriptionThatFailed() {
        String eventId = unique("replay");
        refusedByA.add(eventId);
        publish("parcel_damaged", damaged(eventId));

        await().atMost(WAIT).until(() -> letterOf("test-replay-a", eventId) != null);
        JsonNode letter = letterOf("test-replay-a", eventId);
        assertThat(letter.get("attempts").asInt()).as("a permanent failure is tried once").isEqualTo(1);
        assertThat(letter.get("reason").asText()).contains("test-replay-a refuses");
        assertThat(letter.get("failedAt").asText()).isNotBlank();
        assertThat(seenBy("test-replay-b", eventId)).hasSize(1);
        double deliveredToB = deliveries("test-replay-b");

        refusedByA.remove(eventId);
        JsonNode replayed = replay("{\"ids\":[\"" + letter.get("id").asText() + "\"]}");
        assertThat(replayed.get("replayed").asInt()).isEqualTo(1);

        await().atMost(WAIT).until(() -> seenBy("test-replay-a", eventId).size() == 2);
        // b's queue is taken in order: once a later event is through, a copy sent before it would be too
        String later = unique("later");
        publish("parcel_damaged", damaged(later));
        await().atMost(WAIT).until(() -> seenBy("test-replay-b", later).size() == 1);
        assertThat(seenBy("test-replay-b", eventId)).as("b got the event once").hasSize(1);
        assertThat(deliveries("test-replay-b")).as("b's deliveries since the replay: the later event only")
                .isEqualTo(deliveredToB + 1);
        assertThat(letterOf("test-replay-a", eventId)).as("replayed, so no longer dead").isNull();
    }

    @Test
    void listingTwiceGivesTheSameLettersInTheSameOrderAndReplayTakesExactlyTheChosenOnes() {
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(unique("listed-" + i));
            refusedByA.add(events.get(i));
            publish("parcel_damaged", damaged(events.get(i)));
        }
        await().atMost(WAIT).until(() -> events.stream().allMatch(id -> letterOf("test-replay-a", id) != null));

        List<String> firstThree = listedEvents("limit=3");
        assertThat(listedEvents("limit=3")).as("the same letters, in the same order").isEqualTo(firstThree);
        List<String> all = listedEvents("limit=1000");
        assertThat(listedEvents("limit=1000")).isEqualTo(all);
        assertThat(all.subList(0, 3)).isEqualTo(firstThree);
        assertThat(all).containsSubsequence(events);

        String second = letterOf("test-replay-a", events.get(1)).get("id").asText();
        String fourth = letterOf("test-replay-a", events.get(3)).get("id").asText();
        refusedByA.removeAll(List.of(events.get(1), events.get(3)));
        JsonNode replayed = replay("{\"ids\":[\"" + second + "\",\"" + fourth + "\"]}");

        assertThat(replayed.get("replayed").asInt()).isEqualTo(2);
        assertThat(replayed.get("notReplayed")).isEmpty();
        await().atMost(WAIT).until(() -> seenBy("test-replay-a", events.get(1)).size() == 2
                && seenBy("test-replay-a", events.get(3)).size() == 2);
        List<String> left = listedEvents("limit=1000");
        assertThat(left).doesNotContain(events.get(1), events.get(3));
        assertThat(left).containsSubsequence(events.get(0), events.get(2), events.get(4));
        assertThat(seenBy("test-replay-a", events.get(0))).as("not chosen, not replayed").hasSize(1);
        for (String event : List.of(events.get(0), events.get(2), events.get(4))) {
            assertThat(DeadLetters.takeIfPresent(rabbit, event)).isPresent();
        }
    }

    @Test
    void replayOfAnIdThatIsNotThereSaysSo() {
        JsonNode replayed = replay("{\"ids\":[\"no-such-letter\"]}");

        assertThat(replayed.get("replayed").asInt()).isZero();
        assertThat(replayed.at("/notReplayed/0/id").asText()).isEqualTo("no-such-letter");
        assertThat(replayed.at("/notReplayed/0/reason").asText()).contains("no such dead letter");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"0", "\"x\"", "[]", "true", "null", "{}", "{\"ids\":[]}",
            "{\"ids\":\"x\"}", "{\"id\":[\"x\"]}"})
    void aReplayBodyThatIsNotAListOfIdsIsRefusedAndReplaysNothing(String body) {
        String eventId = unique("kept");
        refusedByA.add(eventId);
        publish("parcel_damaged", damaged(eventId));
        await().atMost(WAIT).until(() -> letterOf("test-replay-a", eventId) != null);

        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/dead-letters/replay?subscription=test-replay-a"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));

        assertProblem(response, 400);
        assertThat(json(response.body()).get("detail").asText()).contains("ids");
        assertThat(letterOf("test-replay-a", eventId)).as("still a dead letter").isNotNull();
        assertThat(seenBy("test-replay-a", eventId)).as("not replayed").hasSize(1);
        assertThat(DeadLetters.takeIfPresent(rabbit, eventId)).isPresent();
    }

    @Test
    void consumersReallyRunInParallel() {
        List<String> events = List.of(unique("parallel"), unique("parallel"), unique("parallel"));
        events.forEach(id -> publish("parcel_lost", cloudEvent(id, "parcel_lost", "{\"orderId\":\"1\"}")));

        // each of the three waits for the other two: only three threads at once get all three through
        await().atMost(WAIT).until(() -> events.stream().allMatch(id -> seenBy("test-parallel", id).size() == 1));
        assertThat(seen.get("test-parallel")).extracting(Seen::thread)
                .containsExactlyInAnyOrder("test-parallel-1", "test-parallel-2", "test-parallel-3");
    }

    // --- helpers

    private static List<Seen> seenBy(String subscription, String eventId) {
        return seen.getOrDefault(subscription, List.of()).stream().filter(s -> s.eventId().equals(eventId)).toList();
    }

    private double deliveries(String subscription) {
        return meters.find("shop.subscription.events").tag("subscription", subscription).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private JsonNode letterOf(String subscription, String eventId) {
        HttpResponse<String> response = get("/api/dead-letters?limit=1000&subscription=" + subscription);
        assertThat(response.statusCode()).isEqualTo(200);
        return StreamSupport.stream(json(response.body()).get("deadLetters").spliterator(), false)
                .filter(l -> eventId.equals(l.path("eventId").asText())).findFirst().orElse(null);
    }

    private List<String> listedEvents(String query) {
        HttpResponse<String> response = get("/api/dead-letters?subscription=test-replay-a&" + query);
        assertThat(response.statusCode()).isEqualTo(200);
        return StreamSupport.stream(json(response.body()).get("deadLetters").spliterator(), false)
                .map(l -> l.get("eventId").asText()).toList();
    }

    private JsonNode replay(String body) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/dead-letters/replay"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response.body());
    }

    private static String shipped(String eventId) {
        return cloudEvent(eventId, "order_shipped", "{\"orderId\":\"1\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}");
    }

    private static String damaged(String eventId) {
        return cloudEvent(eventId, "parcel_damaged", "{\"orderId\":\"1\"}");
    }
}
