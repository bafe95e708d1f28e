package io.shopevents.subscription;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.event.CloudEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The key an ordered subscription orders by, read from the event as orderBy names it. */
class OrderedHoldsTest {

    private static final ObjectMapper mapper = new ObjectMapper();

    private static CloudEvent event(String subject, String data, Map<String, Object> extensions) throws Exception {
        return new CloudEvent("1.0", "e-1", "payment_processed", "/test", subject, null, CloudEvent.JSON,
                mapper.readTree(data), null, extensions);
    }

    private static String key(String orderBy, CloudEvent event) {
        OrderedHolds holds = new OrderedHolds("test", orderBy, Duration.ofMinutes(1));
        try {
            return holds.keyOf(event);
        } finally {
            holds.close();
        }
    }

    @Test
    void theKeyIsTheSubjectAnExtensionOrADataField() throws Exception {
        CloudEvent event = event("p-1", "{\"orderId\":\"1001\",\"card\":{\"brand\":\"visa\"},\"amount\":5}",
                Map.of("partitionkey", "shop-eu"));

        assertThat(key("subject", event)).isEqualTo("p-1");
        assertThat(key("source", event)).isEqualTo("/test");
        assertThat(key("type", event)).isEqualTo("payment_processed");
        assertThat(key("partitionkey", event)).isEqualTo("shop-eu");
        assertThat(key("data.orderId", event)).isEqualTo("1001");
        assertThat(key("data.card.brand", event)).isEqualTo("visa");
        assertThat(key("data.amount", event)).isEqualTo("5");
    }

    @Test
    void anEventWithoutTheKeyHasNone() throws Exception {
        CloudEvent event = event(null, "{\"card\":{\"brand\":\"visa\"},\"none\":null}", Map.of());

        assertThat(key("subject", event)).isNull();
        assertThat(key("partitionkey", event)).isNull();
        assertThat(key("data.orderId", event)).isNull();
        assertThat(key("data.none", event)).isNull();
        // a whole object is not a key
        assertThat(key("data.card", event)).isNull();
    }

    @Test
    void orderByNamesOneOfThose() {
        assertThat(OrderedHolds.problem("subject")).isNull();
        assertThat(OrderedHolds.problem("source")).isNull();
        assertThat(OrderedHolds.problem("partitionkey")).isNull();
        assertThat(OrderedHolds.problem("data.orderId")).isNull();
        assertThat(OrderedHolds.problem("data.")).contains("not 'data.'");
        assertThat(OrderedHolds.problem("$.data.orderId")).contains("not '$.data.orderId'");
        assertThat(OrderedHolds.problem("Subject")).contains("not 'Subject'");
        // every event has its own: nothing would be ordered
        assertThat(OrderedHolds.problem("id")).contains("orders nothing");
        assertThat(OrderedHolds.problem("time")).contains("orders nothing");
        assertThat(OrderedHolds.problem("data")).contains("orders nothing");
    }
}
