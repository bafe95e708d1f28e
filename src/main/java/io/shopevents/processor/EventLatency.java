package io.shopevents.processor;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.shopevents.event.CloudEvent;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records how long an event took from its publication (the envelope's time) to the end of its
 * processing by a subscription: metric shop.events.latency (Prometheus:
 * shop_events_latency_seconds), per type and subscription.
 */
@Component("eventLatency")
public class EventLatency {

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public EventLatency(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(CloudEvent event, String subscription) {
        if (event.time() == null) {
            return; // the envelope's time is optional; a hand-published event may leave it out
        }
        timers.computeIfAbsent(event.type() + " " + subscription, key -> Timer.builder("shop.events.latency")
                        .description("From the event's time (its publication) to the end of its processing by a subscription")
                        .tag("type", event.type())
                        .tag("subscription", subscription)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry))
                .record(Duration.between(event.time(), Instant.now()));
    }
}
