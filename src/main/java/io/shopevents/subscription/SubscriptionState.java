package io.shopevents.subscription;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How each running subscription is doing, for health and metrics: consumers, messages waiting in
 * its queue (asked of the broker at most once a second per queue), the age of the oldest one, and
 * its circuit.
 */
@Component
public class SubscriptionState {

    private static final Duration FRESH = Duration.ofSeconds(1);

    private final RabbitAdmin admin;
    private final Map<String, Depth> depths = new ConcurrentHashMap<>();

    private record Depth(long messages, Instant at) {
    }

    public SubscriptionState(RabbitAdmin admin) {
        this.admin = admin;
    }

    /** Messages ready in the subscription's queue; -1 when the broker cannot say. */
    public long queueDepth(Subscription subscription) {
        Depth known = depths.get(subscription.queue());
        if (known != null && known.at().plus(FRESH).isAfter(Instant.now())) {
            return known.messages();
        }
        long messages;
        try {
            QueueInformation info = admin.getQueueInfo(subscription.queue());
            messages = info == null ? -1 : info.getMessageCount();
        } catch (AmqpException e) {
            messages = -1;
        }
        depths.put(subscription.queue(), new Depth(messages, Instant.now()));
        return messages;
    }

    /**
     * At most how long the oldest event waiting for the subscription has waited, in its queue or in
     * a retry queue (from its publication); zero when none waits, null when unknown.
     */
    public Duration oldestWaiting(SubscriptionConsumer consumer) {
        long depth = queueDepth(consumer.subscription());
        Instant retrying = consumer.oldestRetryingSince();
        Duration inRetry = retrying == null ? Duration.ZERO : Duration.between(retrying, Instant.now());
        if (depth == 0) {
            return inRetry;
        }
        Instant since = consumer.oldestWaitingSince();
        if (depth < 0 || since == null) {
            return retrying == null ? null : inRetry;
        }
        Duration inQueue = Duration.between(since, Instant.now());
        return inQueue.compareTo(inRetry) >= 0 ? inQueue : inRetry;
    }

    /** What /actuator/health shows of a subscription. */
    public Map<String, Object> details(SubscriptionConsumer consumer) {
        Subscription subscription = consumer.subscription();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("queue", subscription.queue());
        details.put("types", subscription.types().stream().sorted().toList());
        details.put("consumers", consumer.runningConsumers());
        details.put("configuredConsumers", subscription.consumers());
        details.put("messagesWaiting", queueDepth(subscription));
        details.put("messagesRetrying", consumer.retryingCount());
        Duration oldest = oldestWaiting(consumer);
        details.put("oldestWaitingSeconds", oldest == null ? null : oldest.toMillis() / 1000.0);
        details.put("circuit", consumer.circuitState());
        var paused = consumer.pausedAs();
        if (paused != null) {
            details.put("paused", Map.of("at", paused.pausedAt().toString(), "by", paused.pausedBy(), "reason", paused.reason()));
        }
        if (consumer.waitingUntil() != null) {
            details.put("waitingUntil", consumer.waitingUntil().toString());
        }
        return details;
    }
}
