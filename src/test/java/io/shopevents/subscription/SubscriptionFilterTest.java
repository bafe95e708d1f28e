package io.shopevents.subscription;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.event.CloudEvent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a subscription's filter and jq condition take, on the events they are evaluated on. */
class SubscriptionFilterTest {

    private static final ObjectMapper mapper = new ObjectMapper();
    private static final DefaultCamelContext camel = new DefaultCamelContext();

    static {
        // as the subscription component does: jq reads the event as its JSON
        EventConverters.register(camel, new ObjectMapper().findAndRegisterModules());
    }

    @AfterAll
    static void stop() {
        camel.stop();
    }

    private static CloudEvent event(String source, Map<String, Object> extensions, String data) throws Exception {
        return new CloudEvent("1.0", "e-1", "order_placed", source, "1001", null, CloudEvent.JSON,
                mapper.readTree(data), null, extensions);
    }

    private static boolean takes(String filter, String jq, CloudEvent event) {
        SubscriptionFilter subscriptionFilter = SubscriptionFilter.of(filter, jq, camel);
        return subscriptionFilter.takes(event, new DefaultExchange(camel));
    }

    @Test
    void aSourceThatIsNoJavaUriIsReadAsItsText() throws Exception {
        // a URI-reference to CloudEvents, not to java.net.URI: the SDK's own event refused it
        CloudEvent event = event("shop eu/{checkout}", Map.of(), "{}");

        assertThat(takes("source LIKE '%shop eu%'", null, event)).isTrue();
        assertThat(takes("source = 'shop us'", null, event)).isFalse();
    }

    @Test
    void aConditionThatCannotBeEvaluatedTakesNothingEvenUnderNot() throws Exception {
        CloudEvent withoutRegion = event("/shop", Map.of(), "{}");
        CloudEvent withRegion = event("/shop", Map.of("region", "us"), "{}");

        assertThat(takes("NOT (region = 'eu')", null, withoutRegion)).isFalse();
        assertThat(takes("NOT (region = 'eu')", null, withRegion)).isTrue();
        assertThat(takes("NOT (INT(subject) > 5000)", null, event("/shop", Map.of(), "{}"))).isTrue();
        assertThat(takes("EXISTS region", null, withoutRegion)).isFalse();
    }

    @Test
    void aJqConditionIsTrueAsJqsIfReadsIt() throws Exception {
        CloudEvent event = event("/shop", Map.of(), "{\"userId\":\"u-1\",\"orderTotal\":1500}");

        assertThat(takes(null, ".data.orderTotal > 1000", event)).isTrue();
        assertThat(takes(null, ".data.orderTotal > 2000", event)).isFalse();
        assertThat(takes(null, ".data.userId", event)).as("a text is true").isTrue();
        assertThat(takes(null, ".data.missing", event)).as("null is false").isFalse();
        assertThat(takes(null, "empty", event)).as("no output is false").isFalse();
        assertThat(takes(null, "false, true", event)).as("the first output decides").isFalse();
    }

    @Test
    void aJqConditionThatRecursesWithoutEndThrowsForTheListenerToDeadLetter() throws Exception {
        CloudEvent event = event("/shop", Map.of(), "{}");

        assertThatThrownBy(() -> takes(null, "def f: [f]; (f | length > 0)", event)).isInstanceOf(StackOverflowError.class);
    }
}
