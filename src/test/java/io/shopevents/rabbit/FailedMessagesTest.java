package io.shopevents.rabbit;

import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FailedMessagesTest {

    @Test
    void twoBinaryModeEventsThatDifferOnlyInAHeaderAreTwoLetters() {
        Message fromShopA = binary(Map.of("cloudEvents:id", "1", "cloudEvents:source", "/shop-a"), "order_placed");
        Message fromShopB = binary(Map.of("cloudEvents:id", "1", "cloudEvents:source", "/shop-b"), "order_placed");
        Message ofAnotherType = binary(Map.of("cloudEvents:id", "1", "cloudEvents:source", "/shop-a"), "order_shipped");

        assertThat(FailedMessages.letterId(fromShopA, "order-status", 1))
                .isNotEqualTo(FailedMessages.letterId(fromShopB, "order-status", 1))
                .isNotEqualTo(FailedMessages.letterId(ofAnotherType, "order-status", 1));
    }

    @Test
    void theSameMessageFailedAgainIsTheSameLetter() {
        Message first = binary(Map.of("cloudEvents:id", "1", "cloudEvents:source", "/shop-a"), "order_placed");
        Message redelivered = binary(Map.of("cloudEvents:id", "1", "cloudEvents:source", "/shop-a", "x-delivery-count", 2),
                "order_placed");

        assertThat(FailedMessages.letterId(first, "order-status", 1))
                .isEqualTo(FailedMessages.letterId(redelivered, "order-status", 1))
                .isNotEqualTo(FailedMessages.letterId(first, "order-status", 2))
                .isNotEqualTo(FailedMessages.letterId(first, "payment-status", 1));
    }

    private static Message binary(Map<String, Object> headers, String routingKey) {
        MessageProperties properties = new MessageProperties();
        headers.forEach(properties::setHeader);
        properties.setReceivedRoutingKey(routingKey);
        return new Message("{\"orderId\":\"1\"}".getBytes(StandardCharsets.UTF_8), properties);
    }
}
