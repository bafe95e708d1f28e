package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.OrderPlaced;
import io.shopevents.store.ShopStore;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscription applies the messages it holds in batches, one transaction each: a poison event
 * in a batch of 100 is undone alone (its savepoint), retried alone and dead-lettered alone, while
 * the other 99 are applied once.
 */
@Import(BatchesIT.TestSubscription.class)
class BatchesIT extends IntegrationTest {

    private static final int BATCH = 100;
    /** Events the test subscription fails on every time, after it has written their order. */
    private static final Set<String> poison = ConcurrentHashMap.newKeySet();

    @TestConfiguration
    static class TestSubscription {
        @Bean
        RouteBuilder testBatchSubscription(ShopStore store) {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    // waits up to 2 s for a batch to fill, so the 100 queued events come as one batch
                    from("subscription:test-batch?types=order_shipped&batchSize=" + BATCH + "&prefetch=" + 2 * BATCH
                            + "&batchWait=2000").routeId("test-batch").process(exchange -> {
                        CloudEvent event = exchange.getMessage().getBody(CloudEvent.class);
                        store.placeOrder(new OrderPlaced(event.id(), "batch", BigDecimal.ONE));
                        if (poison.contains(event.id())) {
                            throw new IllegalStateException("poison event " + event.id());
                        }
                    });
                }
            };
        }
    }

    @Autowired
    private CamelContext camel;

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private JdbcClient jdbc;

    @Test
    void aPoisonEventInABatchOfAHundredIsDeadLetteredAloneAndTheOtherNinetyNineAreApplied() throws Exception {
        // queued while the subscription is stopped, so that its consumer receives them together
        camel.getRouteController().stopRoute("test-batch");
        List<String> events = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            events.add(unique("batched-" + i));
        }
        String bad = events.get(37);
        poison.add(bad);
        for (String id : events) {
            publish("order_shipped", cloudEvent(id, "order_shipped", "{\"orderId\":\"" + id + "\",\"carrier\":\"DHL\",\"trackingCode\":\"JJD0001\"}"));
        }
        camel.getRouteController().startRoute("test-batch");

        await().atMost(Duration.ofSeconds(30)).until(() -> deadLetterListed(bad) != null);
        JsonNode letter = deadLetterListed(bad);
        assertThat(letter.get("subscription").asText()).isEqualTo("test-batch");
        assertThat(letter.get("reason").asText()).contains("poison event " + bad);
        assertThat(letter.get("attempts").asInt()).as("retried up to the limit, then dead-lettered").isEqualTo(4);

        List<String> good = events.stream().filter(id -> !id.equals(bad)).toList();
        assertThat(ordersAmong(events)).as("the 99 applied; the poison event's order undone with its savepoint")
                .containsExactlyInAnyOrderElementsOf(good);
        assertThat(claimsAmong(events)).as("each of the 99 claimed once; the poison event never")
                .containsExactlyInAnyOrderElementsOf(good);
        DistributionSummary batches = meters.find("shop.subscription.batch.size").tag("subscription", "test-batch").summary();
        assertThat(batches).isNotNull();
        assertThat(batches.max()).as("the 100 were applied as one batch").isEqualTo(BATCH);
        List<String> deadLettered = json(get("/api/dead-letters?limit=1000").body()).get("deadLetters").findValuesAsText("eventId");
        assertThat(deadLettered).as("no other event of the batch dead-lettered").contains(bad).doesNotContainAnyElementsOf(good);
    }

    private List<String> ordersAmong(List<String> ids) {
        return jdbc.sql("SELECT order_id FROM orders WHERE order_id IN (:ids)").param("ids", ids).query(String.class).list();
    }

    private List<String> claimsAmong(List<String> ids) {
        return jdbc.sql("SELECT event_id FROM processed_events WHERE subscription = 'test-batch' AND event_id IN (:ids)")
                .param("ids", ids).query(String.class).list();
    }
}
