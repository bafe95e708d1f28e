package io.shopevents.subscription;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEventReader;
import io.shopevents.event.EventSources;
import io.shopevents.event.OperationalEventType;
import io.shopevents.rabbit.EventPublisher;
import io.shopevents.store.OutgoingEvents;
import io.shopevents.store.SubscriptionControls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The service's own events (shop.subscription.paused, ..., {@link OperationalEventType}): each is
 * written to the outbox (operational_events) in the transaction of what it tells, then published
 * to shop.events by a thread of its own and deleted once the broker has confirmed it. Its id is
 * derived from what it tells, so it is one event however often it is written or published.
 * Events about operational events are never made: a route that fails on them cannot start a loop.
 */
@Component
public class OperationalEvents implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(OperationalEvents.class);
    private static final Duration CLAIM_STALE = Duration.ofSeconds(30);

    private final OutgoingEvents outbox;
    private final EventSources sources;
    private final ObjectMapper mapper;
    private final EventPublisher publisher;
    private final ExecutorService relay = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "operational-events");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean relaying = new AtomicBoolean();
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CloudEventReader reader;

    public OperationalEvents(OutgoingEvents outbox, EventSources sources, ObjectMapper mapper, EventPublisher publisher,
                             CloudEventReader reader) {
        this.outbox = outbox;
        this.reader = reader;
        this.sources = sources;
        this.mapper = mapper;
        this.publisher = publisher;
    }

    /** In the caller's transaction: the subscription was paused (the row as it is now). */
    void paused(SubscriptionControls.Control paused) {
        ObjectNode data = mapper.createObjectNode();
        data.put("subscription", paused.subscription());
        data.put("pausedAt", paused.pausedAt().toString());
        data.put("pausedBy", paused.pausedBy());
        data.put("reason", paused.reason());
        if ("automatic".equals(paused.pausedBy())) {
            data.put("consecutiveFailures", paused.failures());
            data.put("failingSince", paused.failingSince() == null ? null : paused.failingSince().toString());
            data.put("lastFailure", paused.lastFailure());
        }
        add(OperationalEventType.SUBSCRIPTION_PAUSED, paused.subscription(), paused.pausedAt(),
                paused.subscription() + "\n" + paused.pausedAt().toEpochMilli(), data);
    }

    /** In the caller's transaction: the subscription, paused as {@code was} says, takes events again. */
    void resumed(SubscriptionControls.Control was, Instant at) {
        ObjectNode data = mapper.createObjectNode();
        data.put("subscription", was.subscription());
        data.put("resumedAt", at.toString());
        data.put("pausedAt", was.pausedAt().toString());
        data.put("pausedBy", was.pausedBy());
        data.put("reason", was.reason());
        add(OperationalEventType.SUBSCRIPTION_RESUMED, was.subscription(), at,
                was.subscription() + "\n" + was.pausedAt().toEpochMilli(), data);
    }

    /** In its own transaction (the dead letter is confirmed): the subscription gave up on the event. */
    void exhausted(String subscription, CloudEvent event, int attempts, String reason, String letterId) {
        if (OperationalEventType.isOperational(event.type())) {
            return;
        }
        ObjectNode data = about(subscription, event);
        data.put("attempts", attempts);
        data.put("reason", reason.length() <= 2000 ? reason : reason.substring(0, 1997) + "...");
        data.put("deadLetterId", letterId);
        add(OperationalEventType.DELIVERY_EXHAUSTED, subscription, Instant.now(), letterId, data);
    }

    /** In the transaction that applied it: an event the subscription had dead-lettered went through, replayed. */
    void recovered(String subscription, CloudEvent event, int replays) {
        if (OperationalEventType.isOperational(event.type())) {
            return;
        }
        ObjectNode data = about(subscription, event);
        data.put("replays", replays);
        add(OperationalEventType.DELIVERY_RECOVERED, subscription, Instant.now(),
                subscription + "\n" + event.source() + "\n" + event.id() + "\n" + replays, data);
    }

    private ObjectNode about(String subscription, CloudEvent event) {
        ObjectNode data = mapper.createObjectNode();
        data.put("subscription", subscription);
        data.put("eventId", event.id());
        data.put("eventSource", event.source());
        data.put("eventType", event.type());
        return data;
    }

    private void add(OperationalEventType type, String subscription, Instant time, String identity, ObjectNode data) {
        String id = UUID.nameUUIDFromBytes((type.eventName() + "\n" + identity).getBytes(StandardCharsets.UTF_8)).toString();
        CloudEvent event = new CloudEvent(CloudEvent.SPEC_VERSION, id, type.eventName(),
                sources.of("/subscriptions/" + subscription), subscription, time.truncatedTo(ChronoUnit.MILLIS),
                CloudEvent.JSON, data);
        try {
            outbox.add(id, type.eventName(), mapper.writeValueAsString(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write operational event " + id, e);
        }
    }

    /** After the transaction that wrote events committed: publish them now rather than at the next round. */
    void publishSoon() {
        requested.set(true);
        if (relaying.compareAndSet(false, true)) {
            try {
                relay.execute(this::drain);
            } catch (RejectedExecutionException e) {
                relaying.set(false);
            }
        }
    }

    private void drain() {
        try {
            while (requested.getAndSet(false)) {
                publishWaiting();
            }
        } finally {
            relaying.set(false);
        }
        if (requested.get()) {
            publishSoon();
        }
    }

    /** Every few seconds, on every instance: what is waiting (a crash, or a broker away, left it). */
    @Scheduled(fixedDelayString = "${shop.operational-events.every:5s}", initialDelayString = "${shop.operational-events.every:5s}")
    public void publishLeftovers() {
        publishSoon();
    }

    private void publishWaiting() {
        try {
            for (OutgoingEvents.Outgoing outgoing : outbox.claim(100, CLAIM_STALE)) {
                CloudEvent event = reader.read(outgoing.body().getBytes(StandardCharsets.UTF_8), CloudEvent.STRUCTURED_JSON, Map.of());
                if (Boolean.TRUE.equals(publisher.publish(event).get(30, TimeUnit.SECONDS))) {
                    outbox.delete(outgoing.id());
                    log.info("published {} about subscription {} ({})", event.type(), event.subject(), event.id());
                } else {
                    outbox.release(outgoing.id());
                    log.warn("the broker did not confirm operational event {} ({}); it is published again later",
                            event.id(), event.type());
                    return;
                }
            }
        } catch (Exception e) {
            log.warn("operational events cannot be published now ({}); they are tried again later", e.toString());
        }
    }

    @Override
    public void destroy() {
        relay.shutdownNow();
    }
}
