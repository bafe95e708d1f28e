package io.shopevents;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.support.Broker;
import io.shopevents.support.IntegrationTest;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A subscription whose consumers are gone while its route should run (its queue deleted by hand
 * in the management UI, say) is DOWN in /actuator/health within seconds, naming it, and says so in
 * /api/subscriptions; readiness stays UP (the API still takes events for the others).
 */
class SubscriptionHealthIT extends IntegrationTest {

    private static final String NAME = "test-health";

    @Autowired
    private CamelContext camel;

    @Test
    void aSubscriptionWhoseConsumersAreGoneIsDownInHealthNamingIt() throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("subscription:" + NAME + "?types=order_shipped").routeId(NAME).log("${body}");
            }
        });
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> consumers(health()) > 0);

            Broker.deleteQueue("shop.events." + NAME);

            await().atMost(Duration.ofSeconds(30)).until(() -> consumers(health()) == 0
                    && "DOWN".equals(health().at("/components/subscriptions/status").asText()));
            assertThat(health().get("status").asText()).isEqualTo("DOWN");
            assertThat(json(get("/actuator/health/readiness").body()).get("status").asText()).isEqualTo("UP");
            JsonNode listed = null;
            for (JsonNode subscription : json(get("/api/subscriptions").body()).get("subscriptions")) {
                if (subscription.get("name").asText().equals(NAME)) {
                    listed = subscription;
                }
            }
            assertThat(listed).isNotNull();
            assertThat(listed.get("consumers").asInt()).isZero();
            assertThat(listed.get("state").asText()).isNotEqualTo("TAKING");
        } finally {
            camel.getRouteController().stopRoute(NAME);
            camel.removeRoute(NAME);
            Broker.queuesMatching("shop\\.events\\." + NAME).forEach(Broker::deleteQueue);
        }
    }

    private JsonNode health() {
        return json(get("/actuator/health").body());
    }

    private static int consumers(JsonNode health) {
        JsonNode details = health.at("/components/subscriptions/details/" + NAME);
        return details.isMissingNode() ? -1 : details.path("consumers").asInt(-1);
    }
}
