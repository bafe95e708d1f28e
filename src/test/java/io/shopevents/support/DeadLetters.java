package io.shopevents.support;

import com.rabbitmq.client.GetResponse;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;

/**
 * Takes a test's own message out of shop.events.dead (the one whose body holds the marker, or
 * whose message_id is the marker), leaving every other message there (they are returned to the
 * queue unacknowledged).
 */
public final class DeadLetters {

    private DeadLetters() {
    }

    /** Waits for the dead letter whose body contains marker, removes it from the queue and returns it. */
    public static GetResponse take(RabbitTemplate rabbit, String marker) {
        AtomicReference<GetResponse> found = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            takeOnce(rabbit, marker).ifPresent(found::set);
            return found.get() != null;
        });
        return found.get();
    }

    /** Takes the dead letter whose body contains marker if it is there now; for proving it is not. */
    public static Optional<GetResponse> takeIfPresent(RabbitTemplate rabbit, String marker) {
        return takeOnce(rabbit, marker);
    }

    private static Optional<GetResponse> takeOnce(RabbitTemplate rabbit, String marker) {
        return rabbit.execute(channel -> {
            List<Long> others = new ArrayList<>();
            GetResponse match = null;
            try {
                GetResponse response;
                while (match == null && (response = channel.basicGet("shop.events.dead", false)) != null) {
                    long tag = response.getEnvelope().getDeliveryTag();
                    if (new String(response.getBody(), StandardCharsets.UTF_8).contains(marker)
                            || marker.equals(response.getProps().getMessageId())) {
                        channel.basicAck(tag, false);
                        match = response;
                    } else {
                        others.add(tag);
                    }
                }
            } finally {
                for (long tag : others) {
                    channel.basicNack(tag, false, true);
                }
            }
            return Optional.ofNullable(match);
        });
    }
}
