package io.shopevents.subscription;

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

    /** Longer than any event waits here (retries end after hours), and far from a Duration's nanosecond limit. */
    private static final Duration LONGEST = Duration.ofDays(30);

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public EventLatency(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records the event's latency; never throws (an event's time is the producer's, not ours). */
    public void record(CloudEvent event, String subscription) {
        if (event.time() == null) {
            return; // the envelope's time is optional; a hand-published event may leave it out
        }
        Duration latency = Duration.between(event.time(), Instant.now());
        if (latency.isNegative() || latency.compareTo(LONGEST) > 0) {
            return; // another machine's clock, or an event imported from the past: no latency of ours
        }
        timers.computeIfAbsent(event.type() + " " + subscription, key -> Timer.builder("shop.events.latency")
                        .description("From the event's time (its publication) to the end of its processing by a subscription")
                        .tag("type", event.type())
                        .tag("subscription", subscription)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry))
                .record(latency);
    }
}
